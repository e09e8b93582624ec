package handlers_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/customercsv"
	"github.com/tessera-dashboard/tessera/internal/square"
)

// The customer export: GET /customers/export downloads the directory's
// view, POST /customers/export the selection.

// exportFile is a downloaded export, read as CSV.
type exportFile struct {
	header []string
	rows   []map[string]string
}

func (f exportFile) ids() []string {
	out := make([]string, len(f.rows))
	for i, r := range f.rows {
		out[i] = r["Square Customer ID"]
	}
	return out
}

// readExport checks the download's status and headers and parses it.
func readExport(t *testing.T, p *page, bom bool) exportFile {
	t.Helper()
	expect(t, p, http.StatusOK)
	for k, want := range map[string]string{
		"Content-Type":           "text/csv; charset=utf-8",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
	} {
		if got := p.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if cd := p.Header.Get("Content-Disposition"); cd != `attachment; filename="tessera-customers-2026-03-02.csv"` {
		t.Errorf("Content-Disposition = %q, want an attachment with the dated name", cd)
	}
	body, hasBOM := strings.CutPrefix(p.Body, customercsv.BOM)
	if hasBOM != bom {
		t.Errorf("the file starts with a BOM: %v, want %v", hasBOM, bom)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v\n%s", err, truncate(body))
	}
	if len(recs) == 0 {
		t.Fatal("the export is empty, want at least the header")
	}
	f := exportFile{header: recs[0]}
	for i, c := range customercsv.Columns {
		if recs[0][i] != c.Header {
			t.Fatalf("header = %q, want Square's columns", recs[0])
		}
	}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		f.rows = append(f.rows, row)
	}
	return f
}

// exportPeople are customers with every field, a formula and a note over
// several lines, made at Square before the index is filled.
var exportPeople = []square.CreateCustomerRequest{
	{GivenName: "Zebulon", FamilyName: "Quartz", EmailAddress: "zeb@quartz.example", PhoneNumber: "+1 206 555 0100",
		CompanyName: "Quartz, \"Rocks\" & Co", Nickname: "Zeb", ReferenceID: "QZ-1", Birthday: "1990-05-17",
		Note: "First line\nsecond, \"quoted\" line", Address: &square.Address{AddressLine1: "1 Main St", AddressLine2: "Suite 2",
			Locality: "Seattle", AdministrativeDistrictLevel1: "WA", PostalCode: "98101", Country: "US"}},
	{GivenName: "=HYPERLINK(\"http://evil.example\",\"Click\")", FamilyName: "Quartz", EmailAddress: "formula@quartz.example",
		Birthday: "0000-12-09", Address: &square.Address{Country: "DE"}},
	{GivenName: "Anna", FamilyName: "Quartz", Note: "@SUM(1+1)*cmd|' /C calc'!A0"},
}

// newExportEnv signs in and adds exportPeople; the index is left to the
// test.
func newExportEnv(t *testing.T, opts ...harnessOption) (*custEnv, []*square.Customer) {
	e := newCustEnv(t, 0, opts...)
	var made []*square.Customer
	for _, p := range exportPeople {
		made = append(made, e.create(p))
	}
	return e, made
}

func TestExportGivesTheSearchWithEveryFieldAndFormulasNeutralised(t *testing.T) {
	e, made := newExportEnv(t)
	e.indexMerchant()
	f := readExport(t, e.b.get("/customers/export?q=quartz&sort=name"), false)
	if len(f.rows) != 3 {
		t.Fatalf("the search for quartz exported %d rows (%v), want its 3 matches", len(f.rows), f.ids())
	}
	byID := map[string]map[string]string{}
	for _, r := range f.rows {
		byID[r["Square Customer ID"]] = r
	}
	zeb := byID[made[0].ID]
	for h, want := range map[string]string{
		"First Name": "Zebulon", "Last Name": "Quartz", "Email Address": "zeb@quartz.example", "Phone Number": "'+1 206 555 0100",
		"Company Name": "Quartz, \"Rocks\" & Co", "Nickname": "Zeb", "Reference ID": "QZ-1", "Birthday": "1990-05-17",
		"Memo": "First line\nsecond, \"quoted\" line", "Street Address 1": "1 Main St", "Street Address 2": "Suite 2",
		"City": "Seattle", "State": "WA", "Postal Code": "98101", "Country": "US",
	} {
		if zeb[h] != want {
			t.Errorf("%s = %q, want %q", h, zeb[h], want)
		}
	}
	formula := byID[made[1].ID]
	if got := formula["First Name"]; got != "'=HYPERLINK(\"http://evil.example\",\"Click\")" {
		t.Errorf("a formula name was exported as %q, want it neutralised with an apostrophe", got)
	}
	// (This merchant is outside the EU, so Square keeps no VAT number:
	// write_test.go covers that column.)
	if formula["Birthday"] != "12-09" || formula["Country"] != "DE" {
		t.Errorf("birthday without a year and country = %q, %q; want 12-09, DE", formula["Birthday"], formula["Country"])
	}
	if got := byID[made[2].ID]["Memo"]; got != "'@SUM(1+1)*cmd|' /C calc'!A0" {
		t.Errorf("a formula note was exported as %q", got)
	}
}

// The file holds the view's customers in the view's order: the same as
// the directory's own rows for the same address, search, filters and
// sort.
func TestExportFollowsTheDirectorysFiltersAndSort(t *testing.T) {
	e, _ := newExportEnv(t)
	e.indexMerchant()
	for _, query := range []string{
		"sort=email&order=desc",
		"sort=created",
		"q=quartz&sort=name&order=desc",
		"source=THIRD_PARTY&sort=phone",
		"q=example",
	} {
		dir := e.b.get("/customers?size=100&" + query)
		expect(t, dir, http.StatusOK)
		var want []string
		dir.Doc.Find(`[data-testid="customer-row"]`).Each(func(_ int, s *goquery.Selection) {
			want = append(want, s.AttrOr("data-customer-id", ""))
		})
		if len(want) == 0 || len(want) >= 100 {
			t.Fatalf("%s: the directory shows %d rows; the case tests nothing", query, len(want))
		}
		got := readExport(t, e.b.get("/customers/export?"+query), false).ids()
		if !slices.Equal(got, want) {
			t.Errorf("export of %s = %d rows %v…, want the directory's %d rows %v…", query, len(got), got[:min(3, len(got))], len(want), want[:3])
		}
	}
	// The whole directory, without a search: every customer.
	if got := len(readExport(t, e.b.get("/customers/export"), false).rows); int64(got) != e.count() {
		t.Errorf("the whole export has %d rows, want Square's %d customers", got, e.count())
	}
}

// HEAD answers the download's headers without reading a customer.
func TestExportHeadCallsSquareNever(t *testing.T) {
	e, _ := newExportEnv(t)
	e.indexMerchant()
	before := e.h.emu.CountCalls("POST /v2/customers/bulk-retrieve", 0)
	resp := e.b.send(http.MethodHead, "/customers/export", nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Errorf("HEAD = %d %q, want 200 text/csv", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if n := e.h.emu.CountCalls("POST /v2/customers/bulk-retrieve", 0) - before; n != 0 {
		t.Errorf("HEAD made %d calls to Square, want none", n)
	}
}

func TestExportForExcelStartsWithABOM(t *testing.T) {
	e, _ := newExportEnv(t)
	e.indexMerchant()
	dir := e.b.get("/customers?q=quartz")
	for id, want := range map[string]string{"export": "/customers/export?q=quartz", "export-excel": "/customers/export?bom=1&q=quartz"} {
		if got := dir.testID(id).AttrOr("href", ""); got != want {
			t.Errorf("the directory's %s link = %q, want %q", id, got, want)
		}
	}
	f := readExport(t, e.b.get("/customers/export?q=quartz&bom=1"), true)
	if len(f.rows) != 3 {
		t.Errorf("the Excel export has %d rows, want 3", len(f.rows))
	}
}

func TestExportSelectedGivesTheCustomersTicked(t *testing.T) {
	e, made := newExportEnv(t)
	e.indexMerchant()
	sel := e.b.get("/customers/select?q=quartz")
	expect(t, sel, http.StatusOK)
	if sel.Doc.Find(`[data-testid="bulk"] button[formaction="/customers/export"]`).Length() != 1 {
		t.Error("the selection form has no Export selected button")
	}
	form := url.Values{"_csrf": {csrfToken(t, sel)}, "q": {"/customers?q=quartz"}, "i": {made[2].ID, made[0].ID}, "bom": {"1"}}
	f := readExport(t, e.b.post("/customers/export", form), true)
	if got := f.ids(); !slices.Equal(got, []string{made[2].ID, made[0].ID}) {
		t.Errorf("Export selected gave %v, want the two ticked in order", got)
	}
	// Every match of the search, from "Select all N matching".
	form = url.Values{"_csrf": {csrfToken(t, sel)}, "q": {"/customers?q=quartz"}, "a": {"m"}}
	if got := len(readExport(t, e.b.post("/customers/export", form), false).rows); got != 3 {
		t.Errorf("Export of all matching gave %d rows, want 3", got)
	}
	// Nothing ticked: back to selecting, with a message.
	form = url.Values{"_csrf": {csrfToken(t, sel)}, "q": {"/customers?q=quartz"}}
	p := e.b.post("/customers/export", form)
	expectRedirect(t, p, "/customers/select?q=quartz")
	// Without the CSRF token, nothing.
	if p := e.b.post("/customers/export", url.Values{"i": {made[0].ID}}); p.StatusCode != http.StatusForbidden {
		t.Errorf("Export selected without a CSRF token = %d, want 403", p.StatusCode)
	}
}

// Without the index (off here, or its first sync still running), the
// export reads the view from Square page by page.
func TestExportWithoutTheIndexReadsSquare(t *testing.T) {
	e, made := newExportEnv(t, withIndexOff())
	all := readExport(t, e.b.get("/customers/export"), false)
	if int64(len(all.rows)) != e.count() {
		t.Errorf("the whole export from Square has %d rows, want %d", len(all.rows), e.count())
	}
	f := readExport(t, e.b.get("/customers/export?q="+url.QueryEscape("zeb@quartz.example")), false)
	if got := f.ids(); !slices.Equal(got, []string{made[0].ID}) {
		t.Errorf("the export of an email search from Square = %v, want %s", got, made[0].ID)
	}
	if f.rows[0]["Memo"] != exportPeople[0].Note || f.rows[0]["City"] != "Seattle" {
		t.Errorf("from Square: memo %q, city %q", f.rows[0]["Memo"], f.rows[0]["City"])
	}
}

func TestExportOfABadViewGetsTheErrorPage(t *testing.T) {
	e, _ := newExportEnv(t)
	p := e.b.get("/customers/export?from=yesterday")
	expect(t, p, http.StatusBadRequest)
	if strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") || !strings.Contains(p.Body, "Created from") {
		t.Errorf("a bad view gave %q: %s", p.Header.Get("Content-Type"), truncate(p.Body))
	}
	signedOut := e.h.newBrowser().get("/customers/export")
	if signedOut.StatusCode != http.StatusSeeOther && signedOut.StatusCode != http.StatusFound {
		t.Errorf("a signed-out export = %d, want a redirect to sign in", signedOut.StatusCode)
	}
}

// failingBulk answers BulkRetrieveCustomers with Square's 400 when the
// request names the id poison holds (once set), and passes everything
// else on.
type failingBulk struct {
	next   http.RoundTripper
	poison atomic.Value
}

func (f *failingBulk) RoundTrip(req *http.Request) (*http.Response, error) {
	id, _ := f.poison.Load().(string)
	if id != "" && req.URL.Path == "/v2/customers/bulk-retrieve" && req.Body != nil {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte(id)) {
			return &http.Response{StatusCode: http.StatusBadRequest, Header: http.Header{"Content-Type": {"application/json"}},
				Body:    io.NopCloser(strings.NewReader(`{"errors":[{"category":"INVALID_REQUEST_ERROR","code":"BAD_REQUEST","detail":"no"}]}`)),
				Request: req}, nil
		}
	}
	return f.next.RoundTrip(req)
}

// Square failing before the first customer gives the error page; failing
// part way through ends the file short, and the log says so.
func TestExportFailingSquareBeforeAndDuringTheFile(t *testing.T) {
	fb := &failingBulk{}
	e := newCustEnv(t, 0, withSquareTransport(func(next http.RoundTripper) http.RoundTripper { fb.next = next; return fb }))
	// More than one batch of 100, the last by name far down the file.
	for i := range 30 {
		e.create(square.CreateCustomerRequest{GivenName: "Zz" + strconv.Itoa(i), FamilyName: "Last"})
	}
	last := e.create(square.CreateCustomerRequest{GivenName: "Zzzz", FamilyName: "Last"})
	e.indexMerchant()

	fb.poison.Store(last.ID)
	f := readExport(t, e.b.get("/customers/export"), false)
	if n := int64(len(f.rows)); n == 0 || n >= e.count() {
		t.Errorf("Square failing on the second batch gave %d rows of %d, want the first batch alone", n, e.count())
	}
	if !strings.Contains(e.h.logs.String(), "the customer export failed part way") {
		t.Error("the short file was not logged")
	}

	// A search that finds only the poisoned customer fails at its first
	// batch.
	p := e.b.get("/customers/export?q=zzzz")
	if p.StatusCode == http.StatusOK || strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("Square failing before the first row gave %d %q, want the error page", p.StatusCode, p.Header.Get("Content-Type"))
	}
}

// An export holds only the signed-in merchant's customers: the whole
// directory is theirs alone, and another merchant's ids in a selection
// come back as nothing.
func TestExportNeverGivesAnotherMerchantsCustomers(t *testing.T) {
	e, made := newExportEnv(t)
	e.indexMerchant()
	other := e.h.newBrowser()
	other.signIn(1)
	d, _ := e.h.sessionData(other.sessionCookie())
	if err := e.h.syncer.Full(t.Context(), d.MerchantID, e.h.square.WithAccessToken(d.AccessToken).Customers); err != nil {
		t.Fatal(err)
	}
	whole := readExport(t, other.get("/customers/export?q=quartz"), false)
	if len(whole.rows) != 0 {
		t.Errorf("merchant B's search for A's customers exported %v", whole.ids())
	}
	sel := other.get("/customers/select")
	form := url.Values{"_csrf": {csrfToken(t, sel)}, "q": {"/customers"}, "i": {made[0].ID, made[1].ID}}
	if f := readExport(t, other.post("/customers/export", form), false); len(f.rows) != 0 {
		t.Errorf("merchant B's export of A's ids gave %v", f.ids())
	}
	all := readExport(t, other.get("/customers/export"), false)
	for _, id := range all.ids() {
		if slices.Contains([]string{made[0].ID, made[1].ID, made[2].ID}, id) {
			t.Errorf("merchant B's whole export holds A's customer %s", id)
		}
	}
}
