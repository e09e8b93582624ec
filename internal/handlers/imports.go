package handlers

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/customercsv"
	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/imports"
	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/jobs"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/textutil"
	"github.com/tessera-dashboard/tessera/views"
)

// Importing customers from a CSV file (docs/csv-import-flow.md): GET and
// POST /customers/import take the file, /customers/import/:imp maps its
// columns, /customers/import/:imp/check checks the rows and starts the
// import's job, whose page (/jobs/:job) shows its progress and report, and
// /jobs/:job/failed.csv gives back the rows that failed.

const (
	importPath = "/customers/import"
	// importPreviewRows is how many rows the mapping page previews.
	importPreviewRows = 5
	// importShownRows is how many failed rows and likely duplicates a page
	// lists; the rest are counted.
	importShownRows = 200
	// likelyLimit is how many likely duplicates a row looks for.
	likelyLimit = 3
)

// uploadBody bounds the upload's body: the file and the form around it.
var uploadBody = strconv.Itoa(customercsv.MaxFileBytes>>10+64) + "K"

// isImportUpload reports whether the request sends a file to import, the
// only one allowed a body larger than maxBody.
func isImportUpload(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == importPath
}

// uploadTooLarge answers a file over the limit with the limit, on the
// upload's own terms.
func uploadTooLarge(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		var he *echo.HTTPError
		if err != nil && isImportUpload(c) && errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
			return errFileTooLarge
		}
		return err
	}
}

var errFileTooLarge = &pageError{Status: http.StatusRequestEntityTooLarge, Title: "The file is too large",
	Message: fmt.Sprintf("Tessera imports files of at most %s. Split the file in parts and import each.", megabytes(customercsv.MaxFileBytes)),
	BackURL: importPath, BackLabel: "Choose another file"}

func megabytes(n int) string { return strconv.Itoa(n>>20) + " MB" }

// importFiles is the store of uploaded files.
func (a *app) importFiles() (*imports.Store, error) {
	if a.imports == nil || a.jobs == nil {
		return nil, errNotFound
	}
	return a.imports, nil
}

// importUploadPage is the first step.
func (a *app) importUploadPage(c echo.Context) error {
	if _, err := a.importFiles(); err != nil {
		return err
	}
	return a.renderUpload(c, http.StatusOK, "")
}

func (a *app) renderUpload(c echo.Context, status int, problem string) error {
	v := views.ImportUploadView{CSRFToken: csrfToken(c), Limit: megabytes(customercsv.MaxFileBytes),
		MaxRows: thousands(customercsv.MaxRows), Error: problem}
	return render(c, status, views.ImportUploadPage(a.layout(c, "Import customers", views.NavCustomers), v))
}

// importUpload reads the file, keeps it if Tessera can read it, and goes
// on to the mapping; a file it cannot read is answered with why.
func (a *app) importUpload(c echo.Context) error {
	st, err := a.importFiles()
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return a.renderUpload(c, http.StatusUnprocessableEntity, "Choose a CSV file to upload.")
	}
	if fh.Size > customercsv.MaxFileBytes {
		return errFileTooLarge
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(f, customercsv.MaxFileBytes+1))
	_ = f.Close()
	if err != nil {
		return err
	}
	if _, problem := readImport(data); problem != "" {
		return a.renderUpload(c, http.StatusUnprocessableEntity, problem)
	}
	name := fh.Filename
	if len(name) > 200 {
		name = name[:200]
	}
	id, err := st.Save(c.Request().Context(), imports.File{MerchantID: sessionOf(c).MerchantID(), Name: strings.ToValidUTF8(name, "?"),
		Bytes: data, Uploaded: a.now()})
	if err != nil {
		return err
	}
	return redirect(c, importPath+"/"+id)
}

// readImport parses a file, or says why it cannot be imported.
func readImport(data []byte) (*customercsv.Table, string) {
	if len(data) > customercsv.MaxFileBytes {
		return nil, errFileTooLarge.Message
	}
	if bytes.IndexByte(data, 0) >= 0 {
		// NUL never occurs in text: a spreadsheet or image, not CSV.
		return nil, "This is not a CSV file. In your spreadsheet, choose Save as or Download, then CSV, and upload that file."
	}
	t, err := customercsv.Parse(data)
	if err != nil {
		var pe *customercsv.Error
		if errors.As(err, &pe) {
			if pe.Line > 0 {
				return nil, fmt.Sprintf("Line %d: %s", pe.Line, pe.Msg)
			}
			return nil, pe.Msg
		}
		return nil, "Tessera could not read this file as CSV."
	}
	if len(t.Records) == 0 {
		return nil, "The file has a header row but no customers under it."
	}
	return t, ""
}

// importFile loads the signed-in merchant's file of the address.
func (a *app) importFile(c echo.Context) (imports.File, *customercsv.Table, error) {
	st, err := a.importFiles()
	if err != nil {
		return imports.File{}, nil, err
	}
	id := c.Param("imp")
	if len(id) > 64 || !textutil.IsIDSafe(id) {
		return imports.File{}, nil, errImportNotFound
	}
	f, err := st.Get(c.Request().Context(), sessionOf(c).MerchantID(), id)
	if errors.Is(err, imports.ErrNotFound) {
		return imports.File{}, nil, errImportNotFound
	}
	if err != nil {
		return imports.File{}, nil, err
	}
	t, problem := readImport(f.Bytes)
	if problem != "" {
		return imports.File{}, nil, errImportNotFound
	}
	return f, t, nil
}

var errImportNotFound = &pageError{Status: http.StatusNotFound, Title: "File not found",
	Message: "There is no such uploaded file in this Square account. Files are kept for a day until imported; upload it again.",
	BackURL: importPath, BackLabel: "Upload a file"}

// importMapping is the file's mapping: the person's, else the automatic.
func importMapping(f imports.File, t *customercsv.Table) customercsv.Mapping {
	if len(f.Choices.Mapping) == len(t.Header) {
		return customercsv.Mapping(f.Choices.Mapping)
	}
	return customercsv.AutoMap(t.Header)
}

// importFields are the customer fields of an import: with the EU VAT
// number when a column holds one.
func importFields(m customercsv.Mapping) []customers.Field {
	return customers.Fields(slices.Contains(m, customers.EUVat))
}

// importMapPage is the second step.
func (a *app) importMapPage(c echo.Context) error {
	f, t, err := a.importFile(c)
	if err != nil {
		return err
	}
	return a.renderMap(c, http.StatusOK, f, t, importMapping(f, t), nil)
}

// importMap takes the mapping: with problems, or to update the preview,
// the page again with the choices kept; else on to the check.
func (a *app) importMap(c echo.Context) error {
	f, t, err := a.importFile(c)
	if err != nil {
		return err
	}
	form := postedForm(c)
	m := make(customercsv.Mapping, len(t.Header))
	known := map[string]bool{}
	for _, tg := range customercsv.Targets() {
		known[tg.Key] = true
	}
	var problems []string
	for i := range t.Header {
		v := form.Get("col" + strconv.Itoa(i))
		if !known[v] {
			problems = append(problems, fmt.Sprintf("Choose what column %d holds from its list.", i+1))
			continue
		}
		m[i] = v
	}
	problems = append(problems, m.Problems(t.Header)...)
	ctx := c.Request().Context()
	if err := a.imports.SetChoices(ctx, f.MerchantID, f.ID, imports.Choices{Mapping: m, Mapped: len(problems) == 0}); err != nil {
		return err
	}
	if len(problems) > 0 {
		return a.renderMap(c, http.StatusUnprocessableEntity, f, t, m, problems)
	}
	if form.Get("go") == "preview" {
		return redirect(c, importPath+"/"+f.ID)
	}
	return redirect(c, importPath+"/"+f.ID+"/check")
}

func (a *app) renderMap(c echo.Context, status int, f imports.File, t *customercsv.Table, m customercsv.Mapping, problems []string) error {
	targets := customercsv.Targets()
	v := views.ImportMapView{CSRFToken: csrfToken(c), Action: importPath + "/" + f.ID, UploadURL: importPath,
		FileName: f.Name, Rows: rowsWord(len(t.Records)), Encoding: string(t.Encoding), Delimiter: delimiterWords(t.Delimiter)}
	for _, p := range problems {
		v.Errors = append(v.Errors, views.FieldError{FieldID: "map-0", Message: p})
	}
	for i, h := range t.Header {
		col := views.ImportColumn{Index: i, Header: h}
		if len(t.Records) > 0 {
			col.Sample = t.Records[0][i]
		}
		for _, tg := range targets {
			col.Options = append(col.Options, views.Option{Value: tg.Key, Label: tg.Label, Selected: m[i] == tg.Key})
		}
		v.Columns = append(v.Columns, col)
	}
	// The preview shows the fields in the profile's order, each formatted
	// as the profile shows it.
	fs := importFields(m)
	var shown []customers.Field
	for _, fl := range fs {
		if slices.Contains(m, fl.Key) {
			shown = append(shown, fl)
			v.PreviewHeaders = append(v.PreviewHeaders, fl.Label)
		}
	}
	withID := slices.Contains(m, customercsv.TargetSquareID)
	if withID {
		v.PreviewHeaders = append(v.PreviewHeaders, "Square customer ID")
	}
	for _, rec := range t.Records[:min(importPreviewRows, len(t.Records))] {
		if len(v.PreviewHeaders) == 0 {
			break
		}
		row := m.Row(rec)
		values := row.Form(fs).Values
		var cells []string
		for _, fl := range shown {
			cells = append(cells, fl.Display(values))
		}
		if withID {
			cells = append(cells, row.SquareID)
		}
		v.PreviewRows = append(v.PreviewRows, cells)
	}
	return render(c, status, views.ImportMapPage(a.layout(c, "Import customers: columns", views.NavCustomers), v))
}

func rowsWord(n int) string {
	if n == 1 {
		return "1 row"
	}
	return thousands(int64(n)) + " rows"
}

// likelyFinder is the index's duplicate look-up.
type likelyFinder interface {
	Likely(ctx context.Context, merchantID string, contacts []index.Contact, limit int) ([][]index.Customer, error)
}

// importPlan is a file's rows checked: against the form's rules, the
// index (likely duplicates), Square (the Square customer IDs named) and the
// earlier imports of the same file.
type importPlan struct {
	file    imports.File
	rows    []imports.Row
	exists  map[string]bool
	names   map[string]string
	indexed bool
}

func (a *app) planImport(c echo.Context) (*importPlan, error) {
	f, t, err := a.importFile(c)
	if err != nil {
		return nil, err
	}
	m := importMapping(f, t)
	if !f.Choices.Mapped || len(m.Problems(t.Header)) > 0 {
		return nil, &pageError{Status: http.StatusConflict, Title: "Choose the columns first",
			Message: "Say what each column holds before checking the rows.", BackURL: importPath + "/" + f.ID, BackLabel: "Choose the columns"}
	}
	ctx := c.Request().Context()
	merchant := sessionOf(c).MerchantID()
	p := &importPlan{file: f, rows: imports.Check(t, m, importFields(m), a.now()), names: map[string]string{}}
	earlier, err := a.jobs.Store().Imported(ctx, merchant, f.SHA256)
	if err != nil {
		return nil, err
	}
	finder, ok := a.index.(likelyFinder)
	p.indexed = ok && a.indexState(c).ready
	// The rows that name a customer of this account update it; the
	// others (no ID, or an ID this account does not have: a customer
	// deleted since the export) are created, after the checks for an
	// earlier import of this file and for likely duplicates.
	var ids []string
	for _, r := range p.rows {
		if r.Problem == "" && r.SquareID != "" {
			ids = append(ids, r.SquareID)
		}
	}
	if p.exists, err = a.existingCustomers(c, ids); err != nil {
		return nil, err
	}
	var asked []int
	var contacts []index.Contact
	for i := range p.rows {
		r := &p.rows[i]
		switch {
		case r.Problem != "", p.exists[r.SquareID]:
		case earlier[r.Line] != "":
			r.Imported = earlier[r.Line]
		case p.indexed:
			asked = append(asked, i)
			contacts = append(contacts, index.Contact{Email: r.Form.Values[customers.EmailAddress], Phone: r.Form.Values[customers.PhoneNumber]})
		}
	}
	if len(contacts) > 0 {
		found, err := finder.Likely(ctx, merchant, contacts, likelyLimit)
		if err != nil {
			return nil, err
		}
		for k, i := range asked {
			for _, cu := range found[k] {
				p.rows[i].Matches = append(p.rows[i].Matches, cu.ID)
				p.names[cu.ID] = customers.Name(cu.GivenName, cu.FamilyName, cu.CompanyName, cu.EmailAddress, cu.PhoneNumber)
			}
		}
	}
	return p, nil
}

// existingCustomers tells which of the ids are the merchant's customers:
// by BulkRetrieveCustomers, 100 a call, 4 calls in flight (another
// merchant's ids are unknown to this merchant's token).
func (a *app) existingCustomers(c echo.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	ids = slices.DeleteFunc(ids, func(id string) bool { return len(id) > maxCustomerID || !textutil.IsIDSafe(id) })
	err := bulkGet(c.Request().Context(), a.groupAPI(c), ids, func(_ []string, res map[string]square.BulkResult) {
		for id, r := range res {
			if r.Customer != nil {
				out[id] = true
			}
		}
	})
	return out, err
}

// decisions reads the duplicate choices posted.
func decisions(form map[string][]string) imports.Decisions {
	d := imports.Decisions{ByLine: map[int]string{}}
	if all := first(form["dupall"]); all == imports.DupSkip || all == imports.DupUpdate || all == imports.DupCreate {
		d.All = all
	}
	for k, vs := range form {
		if rest, ok := strings.CutPrefix(k, "dup-"); ok {
			if line, err := strconv.Atoi(rest); err == nil {
				d.ByLine[line] = first(vs)
			}
		}
	}
	return d
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// importCheckPage is the third step.
func (a *app) importCheckPage(c echo.Context) error {
	p, err := a.planImport(c)
	if err != nil {
		return err
	}
	if p.file.JobID != "" {
		return redirect(c, "/jobs/"+p.file.JobID)
	}
	return a.renderCheck(c, http.StatusOK, p, imports.Decisions{}, "", "", "")
}

func (a *app) renderCheck(c echo.Context, status int, p *importPlan, d imports.Decisions, chosen, typed, problem string) error {
	groups, err := a.freshGroups(c)
	if err != nil {
		return err
	}
	f := p.file
	v := views.ImportCheckView{CSRFToken: csrfToken(c), Action: importPath + "/" + f.ID + "/start", MapURL: importPath + "/" + f.ID,
		FileName: f.Name, NewGroup: views.Field{Name: groupNameField, ID: "group-name", Label: "Or a new group named", Value: typed, Error: problem}}
	if problem != "" {
		v.Errors = []views.FieldError{{FieldID: "group-name", Message: problem}}
	}
	for _, g := range groups {
		v.Groups = append(v.Groups, views.Option{Value: g.ID, Label: g.Name, Selected: g.ID == chosen})
	}
	v.DupAll = []views.Option{{Value: "", Label: "Choose for each row below"}, {Value: imports.DupSkip, Label: "Skip them"},
		{Value: imports.DupUpdate, Label: "Update the customer you have"}, {Value: imports.DupCreate, Label: "Create a new customer anyway"}}
	for i := range v.DupAll {
		v.DupAll[i].Selected = v.DupAll[i].Value == d.All
	}
	items := imports.Items(p.rows, f.SHA256, imports.Decisions{All: imports.DupSkip}, p.exists)
	var creates, updates, failed, earlier, dups int
	for i, it := range items {
		r := p.rows[i]
		switch {
		case it.State == jobs.Failed:
			failed++
			if len(v.Failed) < importShownRows {
				v.Failed = append(v.Failed, views.ImportRowView{Line: strconv.Itoa(r.Line), Name: r.Name, Reason: it.Reason})
			}
		case r.Imported != "":
			earlier++
		case len(r.Matches) > 0 && !p.exists[r.SquareID]:
			dups++
			if len(v.Dups) >= importShownRows {
				continue
			}
			input := "dup-" + strconv.Itoa(r.Line)
			choice := d.ByLine[r.Line]
			if choice == "" {
				choice = imports.DupSkip
			}
			dv := views.ImportDupView{Line: strconv.Itoa(r.Line), Name: r.Name, Existing: p.names[r.Matches[0]],
				ExistingURL: "/customers/" + r.Matches[0], Input: input}
			for _, o := range [][2]string{{imports.DupSkip, "Skip"}, {imports.DupUpdate, "Update the customer you have"}, {imports.DupCreate, "Create anyway"}} {
				dv.Options = append(dv.Options, views.Option{Value: o[0], Label: o[1], Selected: o[0] == choice})
			}
			v.Dups = append(v.Dups, dv)
		case it.Action == jobs.ActionUpdate:
			updates++
		default:
			creates++
		}
	}
	v.Summary = append(v.Summary, fmt.Sprintf("%s to create", rowsWord(creates)))
	if updates > 0 {
		v.Summary = append(v.Summary, fmt.Sprintf("%s to update, by their Square customer ID", rowsWord(updates)))
	}
	if dups > 0 {
		v.Summary = append(v.Summary, fmt.Sprintf("%s likely already customers: choose below", rowsWord(dups)))
	}
	if earlier > 0 {
		v.Summary = append(v.Summary, fmt.Sprintf("%s imported from this same file before: skipped, so nothing is created twice", rowsWord(earlier)))
	}
	if failed > 0 {
		v.Summary = append(v.Summary, fmt.Sprintf("%s cannot be imported", rowsWord(failed)))
	}
	if !p.indexed {
		v.Summary = append(v.Summary, "The customer index is not ready yet, so likely duplicates were not looked for.")
	}
	if failed > len(v.Failed) {
		v.FailedMore = "and " + rowsWord(failed-len(v.Failed)) + " more, listed in the report"
	}
	if dups > len(v.Dups) {
		v.DupsMore = "and " + rowsWord(dups-len(v.Dups)) + " more: they follow the choice for all, or are skipped"
	}
	// With only failed rows the import still runs, for its report and the
	// failed rows to download.
	v.Importable = creates+updates+dups+failed > 0
	return render(c, status, views.ImportCheckPage(a.layout(c, "Import customers: check", views.NavCustomers), v))
}

// importStart checks the rows again and starts the import's job: one job
// per file at a time, so a double click or a second tab finds the first.
func (a *app) importStart(c echo.Context) error {
	p, err := a.planImport(c)
	if err != nil {
		return err
	}
	f := p.file
	ctx := c.Request().Context()
	merchant := sessionOf(c).MerchantID()
	if f.JobID != "" {
		if _, err := a.jobs.Store().Get(ctx, merchant, f.JobID); err == nil {
			return redirect(c, "/jobs/"+f.JobID)
		}
	}
	form := postedForm(c)
	d := decisions(form)
	job := jobs.Job{MerchantID: merchant, Kind: jobs.Import, RunKey: f.SHA256, Created: a.now()}
	if chosen, typed := form.Get("g"), form.Get(groupNameField); chosen != "" || strings.TrimSpace(typed) != "" {
		g, status, problem, err := a.bulkGroup(c, bulkAdd, chosen, typed)
		if err != nil {
			return err
		}
		if problem != "" {
			return a.renderCheck(c, status, p, d, chosen, typed, problem)
		}
		job.GroupID, job.GroupName = g.ID, g.Name
	}
	items := imports.Items(p.rows, f.SHA256, d, p.exists)
	id, err := a.jobs.Store().Create(ctx, job, items)
	var running *jobs.RunningError
	if errors.As(err, &running) {
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashInfo, Message: "This file is already being imported: here is its progress."})
		id, err = running.ID, nil
	}
	if err != nil {
		return err
	}
	if err := a.imports.SetJob(ctx, merchant, f.ID, id); err != nil {
		return err
	}
	a.jobs.Start(id, sessionOf(c).Data().AccessToken)
	return redirect(c, "/jobs/"+id)
}

// importJobPage is an import's progress, then its report.
func (a *app) importJobPage(c echo.Context, j jobs.Job) error {
	ctx := c.Request().Context()
	name, err := a.imports.FileName(ctx, j.MerchantID, j.ID)
	if err != nil {
		name = "the file"
	}
	processed := j.Done + j.Failed + j.Skipped
	v := views.ImportJobView{Running: j.Running(), PollURL: "/jobs/" + j.ID, Processed: processed, Total: j.Total,
		Progress: fmt.Sprintf("%s of %s rows done", thousands(int64(processed)), thousands(int64(j.Total)))}
	v.Title = "Importing " + name
	if !j.Running() {
		v.Title = "Imported " + name
		v.Created, v.Updated = customersWord(j.Made), customersWord(j.Done-j.Made)
		v.Skipped, v.Failed = rowsWord(j.Skipped), rowsWord(j.Failed)
		if j.GroupID != "" {
			n, err := a.jobs.Store().NotGrouped(ctx, j.ID)
			if err != nil {
				return err
			}
			if n > 0 {
				v.NotGrouped = fmt.Sprintf("%s imported but not added to “%s”: Square refused.", customersWord(n), j.GroupName)
			} else if j.Done > 0 {
				v.NotGrouped = fmt.Sprintf("Every imported customer is in “%s”.", j.GroupName)
			}
		}
		failed, err := a.jobs.Store().Items(ctx, j.ID, jobs.Failed, importShownRows)
		if err != nil {
			return err
		}
		for _, it := range failed {
			v.Failures = append(v.Failures, views.ImportRowView{Line: strconv.Itoa(it.Line), Name: it.Name, Reason: it.Reason})
		}
		if j.Failed > len(failed) {
			v.FailuresMore = "and " + rowsWord(j.Failed-len(failed)) + " more, in the download"
		}
		v.FailedCSVURL = "/jobs/" + j.ID + "/failed.csv"
	} else if !a.jobs.Running(j.ID) && !a.jobs.Elsewhere(j) {
		v.Waiting = "Square is not answering just now. Tessera keeps trying; every row marked done is in Square, and none is created twice."
	}
	l := a.layout(c, v.Title, views.NavCustomers)
	if j.Running() {
		l.NoScriptRefresh = 2
	}
	return render(c, http.StatusOK, views.ImportJobPage(l, v))
}

// importFailedCSV gives back the rows that failed: the file's header and
// an Error column, each failed row with its cells as they were, so that
// the person fixes them and imports the file again. Cells that a
// spreadsheet would run as formulas are neutralised.
func (a *app) importFailedCSV(c echo.Context) error {
	if a.jobs == nil || a.imports == nil {
		return errJobNotFound
	}
	id := c.Param("job")
	if len(id) > 64 || !textutil.IsIDSafe(id) {
		return errJobNotFound
	}
	ctx := c.Request().Context()
	merchant := sessionOf(c).MerchantID()
	j, err := a.jobs.Store().Get(ctx, merchant, id)
	if errors.Is(err, jobs.ErrNotFound) || (err == nil && j.Kind != jobs.Import) {
		return errJobNotFound
	}
	if err != nil {
		return err
	}
	f, err := a.imports.ByJob(ctx, merchant, id)
	if errors.Is(err, imports.ErrNotFound) {
		return errImportNotFound
	}
	if err != nil {
		return err
	}
	t, problem := readImport(f.Bytes)
	if problem != "" {
		return errImportNotFound
	}
	failed, err := a.jobs.Store().Items(ctx, id, jobs.Failed, customercsv.MaxRows)
	if err != nil {
		return err
	}
	reasons := make(map[int]string, len(failed))
	for _, it := range failed {
		reasons[it.Line] = it.Reason
	}
	var buf bytes.Buffer
	buf.WriteString("\xef\xbb\xbf") // Excel reads UTF-8 only with its mark
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	row := make([]string, 0, len(t.Header)+1)
	for _, h := range t.Header {
		row = append(row, customercsv.SafeCell(h))
	}
	_ = w.Write(append(row, "Error"))
	for i, rec := range t.Records {
		reason, ok := reasons[t.Lines[i]]
		if !ok {
			continue
		}
		row = row[:0]
		for _, cell := range rec {
			row = append(row, customercsv.SafeCell(cell))
		}
		_ = w.Write(append(row, customercsv.SafeCell(reason)))
	}
	w.Flush()
	base := strings.TrimSuffix(f.Name, ".csv")
	base = strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r == '/' || r > 0x7e {
			return '_'
		}
		return r
	}, base)
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-failed.csv"`, base))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// delimiterWords names a file's delimiter in a sentence: "commas".
func delimiterWords(r rune) string {
	name := customercsv.DelimiterName(r)
	if strings.HasPrefix(name, "'") {
		return name
	}
	return name + "s"
}
