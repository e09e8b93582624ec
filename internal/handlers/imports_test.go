package handlers_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/customercsv"
	"github.com/tessera-dashboard/tessera/internal/square"
)

// upload sends a file from the upload page's form, as a browser does.
func (e *custEnv) upload(name string, data []byte) *page {
	e.t.Helper()
	form := e.b.get("/customers/import")
	expect(e.t, form, http.StatusOK)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", csrfToken(e.t, form))
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, e.h.url("/customers/import"), &body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, vs := range e.b.header {
		req.Header[k] = vs
	}
	resp, err := e.b.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(raw))
	return &page{Response: resp, Body: string(raw), Doc: doc}
}

// importFile uploads a file and takes it through the mapping as it maps
// itself, to the check page.
func (e *custEnv) importToCheck(name, file string) *page {
	e.t.Helper()
	up := e.upload(name, []byte(file))
	if up.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("upload = %d, want a redirect to the mapping: %s", up.StatusCode, truncate(up.Body))
	}
	m := e.b.get(up.location())
	expect(e.t, m, http.StatusOK)
	check := e.submit(m, `[data-testid="import-map"] form`, nil)
	if check.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("mapping = %d, want a redirect to the check: %s", check.StatusCode, truncate(check.Body))
	}
	p := e.b.get(check.location())
	expect(e.t, p, http.StatusOK)
	return p
}

// startImport starts the import from the check page and waits for its
// report.
func (e *custEnv) startImport(check *page, set map[string]string) *page {
	e.t.Helper()
	r := e.submit(check, `[data-testid="import-check"] form`, set)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/jobs/") {
		e.t.Fatalf("starting = %d %s, want a redirect to the job: %s", r.StatusCode, r.location(), truncate(r.Body))
	}
	return e.waitJob(r.location())
}

func TestAFileTesseraCannotImportIsRefusedWithWhy(t *testing.T) {
	e := newCustEnv(t, 0)
	before := e.count()
	p := e.b.get("/customers/import")
	expect(t, p, http.StatusOK)
	if got := custText(p, "import-limits"); !strings.Contains(got, "16 MB") || !strings.Contains(got, "UTF-8") || !strings.Contains(got, "semicolons") {
		t.Errorf("upload page limits = %q, want the size limit and the formats", got)
	}
	for _, tc := range []struct {
		name, file string
		status     int
		want       string
	}{
		{"empty", "", http.StatusUnprocessableEntity, "The file is empty."},
		{"header only", "First Name,Last Name\r\n", http.StatusUnprocessableEntity, "header row but no customers"},
		{"not CSV", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", http.StatusUnprocessableEntity, "not a CSV file"},
	} {
		got := e.upload(tc.name+".csv", []byte(tc.file))
		if got.StatusCode != tc.status || !strings.Contains(custText(got, "error-summary"), tc.want) {
			t.Errorf("%s: upload = %d %q, want %d saying %q", tc.name, got.StatusCode, custText(got, "error-summary"), tc.status, tc.want)
		}
		if got.Doc.Find(`input[type="file"][name="file"]`).Length() != 1 {
			t.Errorf("%s: the answer has no file input to try again", tc.name)
		}
	}
	big := e.upload("big.csv", append([]byte("First Name\r\n"), bytes.Repeat([]byte("a"), customercsv.MaxFileBytes+1)...))
	if big.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(big.Body, "at most 16 MB") {
		t.Errorf("a file over the limit = %d %s, want 413 with the limit", big.StatusCode, truncate(big.Body))
	}
	if n := e.count(); n != before {
		t.Errorf("customers after refused uploads = %d, want %d", n, before)
	}
}

func TestTheMappingMapsSquaresHeadersAndPreviewsRowsAsSaved(t *testing.T) {
	e := newCustEnv(t, 0)
	file := "First Name,Last Name,Email Address,Birthday,Shoe size\r\nAda,Lovelace,ada@example.com,1815-12-10,38\r\n"
	up := e.upload("semi.csv", []byte(file))
	expectRedirect(t, up, up.location())
	m := e.b.get(up.location())
	expect(t, m, http.StatusOK)
	if got := custText(m, "import-delimiter"); got != "commas" {
		t.Errorf("delimiter shown = %q", got)
	}
	if got := custText(m, "import-encoding"); got != "UTF-8" {
		t.Errorf("encoding shown = %q", got)
	}
	var targets []string
	m.Doc.Find(`[data-testid="import-target"]`).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Find("option[selected]").Attr("value")
		targets = append(targets, v)
	})
	if strings.Join(targets, ",") != "given_name,family_name,email_address,birthday," {
		t.Errorf("automatic mapping = %q", targets)
	}
	preview := custText(m, "import-preview")
	if !strings.Contains(preview, "10 December 1815") || !strings.Contains(preview, "Lovelace") {
		t.Errorf("preview = %q, want the birthday as the profile shows it", preview)
	}
	// Two columns to one target, and nothing naming a customer: refused
	// with the choices kept.
	bad := e.submit(m, `[data-testid="import-map"] form`, map[string]string{"col0": "family_name"})
	expect(t, bad, http.StatusUnprocessableEntity)
	if got := custText(bad, "error-summary"); !strings.Contains(got, `The columns "First Name" and "Last Name" are both set to "Last name"`) {
		t.Errorf("mapping problem = %q", got)
	}
	if v, _ := bad.Doc.Find(`select[name="col0"] option[selected]`).Attr("value"); v != "family_name" {
		t.Errorf("after the error column 1 shows %q, want the choice kept", v)
	}
	none := e.submit(m, `[data-testid="import-map"] form`, map[string]string{"col0": "", "col1": "", "col2": "", "col3": ""})
	if none.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(custText(none, "error-summary"), "Square needs at least one of them") {
		t.Errorf("a mapping naming no customer = %d %q", none.StatusCode, custText(none, "error-summary"))
	}
	// Another merchant cannot see the file.
	other := e.h.newBrowser()
	other.signIn(1)
	expect(t, other.get(up.location()), http.StatusNotFound)
}

func TestTheCheckFindsBadRowsAndLikelyDuplicatesAndTheImportDoesWhatWasChosen(t *testing.T) {
	e := newCustEnv(t, 0)
	dupEmail := e.create(square.CreateCustomerRequest{GivenName: "Existing", EmailAddress: "dup@example.com"})
	dupPhone := e.create(square.CreateCustomerRequest{GivenName: "Phoned", PhoneNumber: "+1 360-555-0199"})
	e.indexMerchant()
	before := e.count()
	file := "First Name,Last Name,Email Address,Phone Number\r\n" +
		"New,Person,new@example.com,\r\n" + // line 2: created
		"Bad,Email,not-an-email,\r\n" + // line 3: fails
		"Same,Email,DUP@example.com,\r\n" + // line 4: updates dupEmail
		"Same,Phone,,13605550199\r\n" // line 5: skipped
	check := e.importToCheck("dups.csv", file)
	if got := custText(check, "import-failed"); !strings.Contains(got, "Line 3") || !strings.Contains(got, "email") {
		t.Errorf("failed rows = %q, want line 3 and why", got)
	}
	if n := check.Doc.Find(`[data-testid="import-dup"]`).Length(); n != 2 {
		t.Fatalf("likely duplicates = %d, want 2: %s", n, custText(check, "import-dups"))
	}
	report := e.startImport(check, map[string]string{"dup-4": "update", "dup-5": "skip"})
	for id, want := range map[string]string{"import-created": "1 customer", "import-updated": "1 customer", "import-skipped": "1 row", "import-failed-count": "1 row"} {
		if got := custText(report, id); got != want {
			t.Errorf("report %s = %q, want %q", id, got, want)
		}
	}
	if got := custText(report, "job-failures"); !strings.Contains(got, "Line 3") {
		t.Errorf("report failures = %q, want line 3", got)
	}
	if got := e.get(dupEmail.ID); got.FamilyName != "Email" {
		t.Errorf("the duplicate chosen for update has family name %q, want Email", got.FamilyName)
	}
	if got := e.get(dupPhone.ID); got.FamilyName != "" {
		t.Errorf("the skipped duplicate changed: %+v", got)
	}
	if n := e.count(); n != before+1 {
		t.Errorf("customers = %d, want %d (one created)", n, before+1)
	}

	// The failed rows come back with the header and an Error column.
	href, _ := report.testID("import-failed-csv").Attr("href")
	dl := e.b.get(href)
	expect(t, dl, http.StatusOK)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(dl.Body, "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 2 || recs[0][4] != "Error" || recs[1][2] != "not-an-email" || recs[1][4] == "" {
		t.Errorf("failed rows CSV = %q, %v; want the header + Error and line 3 as written", recs, err)
	}

	// The same file again creates nothing new.
	again := e.importToCheck("dups.csv", file)
	if got := custText(again, "import-summary"); !strings.Contains(got, "imported from this same file before") {
		t.Errorf("check of the same file = %q, want it to say rows were imported before", got)
	}
	e.startImport(again, map[string]string{"dupall": "update"})
	if n := e.count(); n != before+1 {
		t.Errorf("customers after importing the same file again = %d, want %d", n, before+1)
	}
}

func TestTwoStartsOfOneUploadGoToOneJob(t *testing.T) {
	e := newCustEnv(t, 0)
	before := e.count()
	check := e.importToCheck("twice.csv", "First Name,Email Address\r\nOne,one@example.com\r\nTwo,two@example.com\r\n")
	first := e.submit(check, `[data-testid="import-check"] form`, nil)
	second := e.submit(check, `[data-testid="import-check"] form`, nil)
	if first.location() != second.location() || !strings.HasPrefix(first.location(), "/jobs/") {
		t.Fatalf("two starts went to %q and %q, want one job", first.location(), second.location())
	}
	e.waitJob(first.location())
	if n := e.count(); n != before+2 {
		t.Errorf("customers = %d, want %d", n, before+2)
	}
}

// BenchmarkCheckingTenThousandRows times the check page of a 10,000-row
// file against a ready index: every row checked with the form's rules and
// looked up for likely duplicates. Run it with
// go test -run '^$' -bench CheckingTenThousandRows -benchtime 3x ./internal/handlers/
func BenchmarkCheckingTenThousandRows(b *testing.B) {
	e := newCustEnv(b, 0)
	e.indexMerchant()
	var file strings.Builder
	file.WriteString("First Name,Last Name,Email Address,Phone Number\r\n")
	for i := range 10_000 {
		file.WriteString("Row," + strconv.Itoa(i) + ",row" + strconv.Itoa(i) + "@example.com,+1 360 555 " + strconv.Itoa(1000+i%9000) + "\r\n")
	}
	check := e.importToCheck("big.csv", file.String())
	target := check.Request.URL.RequestURI()
	b.ResetTimer()
	for range b.N {
		p := e.b.get(target)
		if p.StatusCode != http.StatusOK {
			b.Fatalf("check page = %d", p.StatusCode)
		}
	}
}
