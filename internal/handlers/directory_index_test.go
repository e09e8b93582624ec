package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/square"
)

// The directory served from the customer index. Each test fills the index
// as the background runner would, with a full sync of the signed-in
// merchant; the directory tests elsewhere run with the index never filled,
// so Square serves them.

// indexMerchant runs a full sync of the signed-in merchant, after which the
// index serves the directory.
func (e *custEnv) indexMerchant() {
	e.t.Helper()
	d, ok := e.h.sessionData(e.b.sessionCookie())
	if !ok {
		e.t.Fatal("indexMerchant: the browser is signed out, want signed in")
	}
	if err := e.h.syncer.Full(e.t.Context(), d.MerchantID, e.sq.Customers); err != nil {
		e.t.Fatalf("Syncer.Full(%s) = %v, want nil", d.MerchantID, err)
	}
	st, err := e.h.index.SyncState(e.t.Context(), d.MerchantID)
	if err != nil || !st.Ready() {
		e.t.Fatalf("after Syncer.Full: SyncState = %+v, %v, want ready", st, err)
	}
}

// merchantID is the signed-in merchant.
func (e *custEnv) merchantID() string {
	e.t.Helper()
	d, ok := e.h.sessionData(e.b.sessionCookie())
	if !ok {
		e.t.Fatal("the browser is signed out, want signed in")
	}
	return d.MerchantID
}

// rowNames are the names of the rows shown, in order.
func rowNames(p *page) []string {
	var names []string
	p.Doc.Find(`[data-testid="customer-row"] [data-testid="cell-name"] a`).Each(func(_ int, s *goquery.Selection) {
		names = append(names, dirText(s))
	})
	return names
}

// rowCells are the text of one column's cells, in order.
func rowCells(p *page, testID string) []string {
	var cells []string
	p.Doc.Find(`[data-testid="customer-row"] [data-testid="` + testID + `"]`).Each(func(_ int, s *goquery.Selection) {
		cells = append(cells, dirText(s))
	})
	return cells
}

// indexedPeople are customers whose every field is known, in several
// scripts, made at Square before the index is filled.
var indexedPeople = []square.CreateCustomerRequest{
	{GivenName: "Jane", FamilyName: "Fernández", EmailAddress: "jane.fernandez@example.org", PhoneNumber: "+1 (360) 555-0155"},
	{GivenName: "Adaeze", FamilyName: "Okafor", EmailAddress: "adaeze1999@example.net", ReferenceID: "LOYAL-4471"},
	{GivenName: "Lukas", FamilyName: "Müller", CompanyName: "Quokka Baumarkt", Note: "Wants the zebrawood samples."},
	{GivenName: "Дмитрий", FamilyName: "Иванов", EmailAddress: "dmitri@example.ru"},
	{GivenName: "Γιώργος", FamilyName: "Παπαδόπουλος", EmailAddress: "giorgos@example.gr"},
	{GivenName: "小明", FamilyName: "王", EmailAddress: "xiaoming@example.cn"},
	{GivenName: "فاطمة", FamilyName: "الزهراء", EmailAddress: "fatima@example.ae"},
	{GivenName: "Kiri", Nickname: "Spindle", EmailAddress: "kiri@example.nz"},
}

// newIndexedEnv signs in, adds indexedPeople and fills the index.
func newIndexedEnv(t *testing.T) (*custEnv, map[string]string) {
	t.Helper()
	e := newCustEnv(t, 0)
	ids := map[string]string{}
	for _, req := range indexedPeople {
		cu := e.create(req)
		ids[strings.TrimSpace(req.GivenName+" "+req.FamilyName)] = cu.ID
	}
	e.indexMerchant()
	return e, ids
}

func TestTheIndexedDirectoryAsksSquareNothingForCustomers(t *testing.T) {
	t.Parallel()
	e, _ := newIndexedEnv(t)
	e.h.emu.ResetCalls()

	// A cold merchant cache costs the groups and the profile, never the
	// customers.
	p := e.b.get("/customers")
	expect(t, p, http.StatusOK)
	if n := dirCalls(e.h); n != 0 {
		t.Errorf("GET /customers from the index made %d customer calls to Square, want 0", n)
	}
	if n := len(rowNames(p)); n != 50 {
		t.Errorf("GET /customers from the index shows %d rows, want 50", n)
	}

	e.h.emu.ResetCalls()
	group := p.Doc.Find(`#filter-group option[value!=""]`).First().AttrOr("value", "")
	for _, target := range []string{
		"/customers",
		"/customers?q=fern",
		"/customers?q=jane&sort=company&order=desc",
		"/customers?sort=updated&offset=50",
		"/customers?from=2020-01-01&to=2030-12-31&source=THIRD_PARTY",
		"/customers?group=" + url.QueryEscape(group),
	} {
		expect(t, e.b.get(target), http.StatusOK)
		expect(t, e.b.get(target, "HX-Request", "true", "HX-Target", "customer-results"), http.StatusOK)
		expect(t, e.b.get(target, "HX-Request", "true"), http.StatusOK)
	}
	if calls := e.h.emu.Calls(); len(calls) != 0 {
		t.Errorf("the directory from the index with a warm cache called Square %d times, want 0; first: %s %s", len(calls), calls[0].Method, calls[0].Path)
	}
}

func TestTypingAnyFragmentFindsTheCustomerInTheIndex(t *testing.T) {
	t.Parallel()
	e, ids := newIndexedEnv(t)
	for _, tc := range []struct {
		typed, who, marked string
	}{
		{"fern", "Jane Fernández", "Fern"},
		{"FERNANDEZ", "Jane Fernández", "Fernández"},
		{"jane fern", "Jane Fernández", "Jane"},
		{"5550155", "Jane Fernández", "555-0155"},
		{"555-0155", "Jane Fernández", "555-0155"},
		{"adaeze1999", "Adaeze Okafor", "adaeze1999"},
		{"loyal-44", "Adaeze Okafor", "LOYAL-44"},
		{"muller", "Lukas Müller", "Müller"},
		{"quokka", "Lukas Müller", "Quokka"},
		{"zebrawood", "Lukas Müller", "zebrawood"},
		{"иван", "Дмитрий Иванов", "Иван"},
		{"ΠΑΠΑΔ", "Γιώργος Παπαδόπουλος", "Παπαδ"},
		{"γιωργος", "Γιώργος Παπαδόπουλος", "Γιώργος"},
		{"小明", "小明 王", "小明"},
		{"فاطمة", "فاطمة الزهراء", "فاطمة"},
		{"spindle", "Kiri", "Spindle"},
	} {
		target := "/customers?q=" + url.QueryEscape(tc.typed)
		p := e.b.get(target)
		expect(t, p, http.StatusOK)
		// The demo data may hold namesakes; the customer must be among the
		// matches, and the matches must all be about the words typed.
		rows := dirRows(p)
		if !slices.Contains(rows, ids[tc.who]) || len(rows) > 5 {
			t.Errorf("GET %s rows = %v (%v), want %s (%s) among a few", target, rows, rowNames(p), tc.who, ids[tc.who])
			continue
		}
		row := p.Doc.Find(`[data-testid="customer-row"][data-customer-id="` + ids[tc.who] + `"]`)
		var marks []string
		row.Find("mark").Each(func(_ int, s *goquery.Selection) { marks = append(marks, s.Text()) })
		if !slices.Contains(marks, tc.marked) {
			t.Errorf("GET %s: the row of %s marks %q, want %q among them", target, tc.who, marks, tc.marked)
		}
		if got := dirInputValue(p, "search-q"); got != tc.typed {
			t.Errorf("GET %s: the search box holds %q, want %q", target, got, tc.typed)
		}
	}
}

func TestTheIndexedSearchBoxIsOneBoxThatSearchesAsYouType(t *testing.T) {
	t.Parallel()
	e, _ := newIndexedEnv(t)
	p := e.b.get("/customers")
	expect(t, p, http.StatusOK)
	input := p.testID("search-input")
	if got := dirText(p.Doc.Find(`label[for="` + input.AttrOr("id", "-") + `"]`)); got != "Search customers" {
		t.Errorf(`the search box's label = %q, want "Search customers"`, got)
	}
	for name, want := range map[string]string{
		"type": "search", "name": "q", "hx-get": "/customers", "hx-trigger": "input changed delay:200ms, search",
	} {
		if got := input.AttrOr(name, ""); got != want {
			t.Errorf("search input %s = %q, want %q", name, got, want)
		}
	}
	if got := p.testID("search-form").AttrOr("hx-push-url", ""); got != "true" {
		t.Errorf("search form hx-push-url = %q, want true", got)
	}
	if n := p.Doc.Find("#search-field, #search-match").Length(); n != 0 {
		t.Errorf("the index's directory shows %d Look in / Match choices, want none: one box searches everything", n)
	}
	if hint := dirText(p.testID("search-hint")); !strings.Contains(hint, "name") || strings.Contains(hint, "cannot search names") {
		t.Errorf("the search hint = %q, want it to say names are searched", hint)
	}

	frag := e.b.get("/customers?q=fern", "HX-Request", "true", "HX-Target", "customer-results")
	expect(t, frag, http.StatusOK)
	if got, want := frag.Header.Get("HX-Push-URL"), "/customers?q=fern"; got != want {
		t.Errorf("htmx GET /customers?q=fern HX-Push-URL = %q, want %q", got, want)
	}
	if got := dirText(frag.testID("customer-total")); got != "1 customer" {
		t.Errorf("htmx GET /customers?q=fern total = %q, want 1 customer", got)
	}
}

func TestHostileTextInTheIndexIsShownAsText(t *testing.T) {
	t.Parallel()
	e := newCustEnv(t, 0)
	hostile := e.create(square.CreateCustomerRequest{
		GivenName:  `<script>alert("x")</script>`,
		FamilyName: `"><img src=x onerror=alert(1)>`,
		Note:       `</mark><b>bold</b> NEAR( "quoted" * OR ^`,
	})
	e.indexMerchant()

	p := e.b.get("/customers?q=" + url.QueryEscape(`alert("x")`))
	expect(t, p, http.StatusOK)
	if rows := dirRows(p); len(rows) != 1 || rows[0] != hostile.ID {
		t.Fatalf(`GET /customers?q=alert("x") rows = %v, want [%s]`, rows, hostile.ID)
	}
	rows := p.Doc.Find(`[data-testid="customer-rows"], #customer-rows`)
	if n := rows.Find("script, img, b").Length(); n != 0 {
		t.Errorf("the hostile customer's row holds %d script, img or b elements, want none:\n%s", n, truncate(p.Body))
	}
	if got, want := dirText(p.testID("cell-name").First()), `<script>alert("x")</script> "><img src=x onerror=alert(1)>`; got != want {
		t.Errorf("the hostile customer's name reads %q, want %q", got, want)
	}
	if got := p.testID("cell-name").First().Find("mark").First().Text(); got != `alert("x")` {
		t.Errorf("the hostile customer's mark = %q, want alert(\"x\")", got)
	}

	// Search syntax typed as text is searched as that text.
	for _, typed := range []string{`NEAR(`, `"quoted"`, `</mark>`, `*`, `OR ^`} {
		target := "/customers?q=" + url.QueryEscape(typed)
		p := e.b.get(target)
		expect(t, p, http.StatusOK)
		// Never everyone: only customers holding the text (the demo data
		// has a few odd characters of its own).
		if rows := dirRows(p); !slices.Contains(rows, hostile.ID) || len(rows) > 3 {
			t.Errorf("GET %s rows = %v, want the customer whose note holds it, %s, among a few", target, rows, hostile.ID)
		}
		if n := p.Doc.Find(`#customer-rows b`).Length(); n != 0 {
			t.Errorf("GET %s: the note's <b> became markup %d times, want 0", target, n)
		}
		if match := dirText(p.testID("cell-match").First()); !strings.Contains(match, "<b>bold</b> NEAR(") {
			t.Errorf("GET %s: the note's match reads %q, want the note's text as typed", target, match)
		}
	}
}

func TestTheIndexedDirectorySortsByEveryColumn(t *testing.T) {
	t.Parallel()
	e, _ := newIndexedEnv(t)
	for _, col := range []string{"name", "company", "email", "phone", "created", "updated"} {
		for _, order := range []string{"asc", "desc"} {
			target := "/customers?sort=" + col + "&order=" + order
			p := e.b.get(target)
			expect(t, p, http.StatusOK)
			want := map[string]string{"asc": "ascending", "desc": "descending"}[order]
			if got := p.testID("sort-"+col).AttrOr("aria-sort", ""); got != want {
				t.Errorf("GET %s: the %s header's aria-sort = %q, want %q", target, col, got, want)
			}
			if n := p.Doc.Find("th[aria-sort]").Length(); n != 1 {
				t.Errorf("GET %s: %d headers carry aria-sort, want 1", target, n)
			}
			link := p.testID("sort-"+col).Find("a").AttrOr("href", "")
			flip := map[string]string{"asc": "desc", "desc": "asc"}[order]
			if !strings.Contains(link, "order="+flip) && !(flip == "asc" && !strings.Contains(link, "order=")) {
				t.Errorf("GET %s: the %s header links to %q, want the %s order", target, col, link, flip)
			}
		}
	}
	// The order is the column's: emails A to Z, empty ones last.
	p := e.b.get("/customers?sort=email&size=100")
	emails := rowCells(p, "cell-email")
	var filled []string
	for i, em := range emails {
		if em == "" {
			if rest := emails[i:]; slices.ContainsFunc(rest, func(s string) bool { return s != "" }) {
				t.Errorf("GET /customers?sort=email: an empty email before filled ones: %q", rest)
			}
			break
		}
		filled = append(filled, strings.ToLower(em))
	}
	if !slices.IsSorted(filled) || len(filled) < 50 {
		t.Errorf("GET /customers?sort=email emails = %q, want at least 50, sorted A to Z", filled)
	}
	// Newest first by creation.
	var days []string
	p = e.b.get("/customers?sort=created&order=desc&size=100")
	p.Doc.Find(`[data-testid="cell-created"] time`).Each(func(_ int, s *goquery.Selection) { days = append(days, s.AttrOr("datetime", "")) })
	if len(days) < 50 || !slices.IsSortedFunc(days, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("GET /customers?sort=created&order=desc days = %q, want newest first", days)
	}
	// A search sorted by a column offers the way back to the best matches.
	p = e.b.get("/customers?q=example&sort=name")
	if got := p.testID("best-match").AttrOr("href", ""); got != "/customers?q=example" {
		t.Errorf("GET /customers?q=example&sort=name best-match link = %q, want /customers?q=example", got)
	}
}

func TestTheIndexedDirectoryPagesByOffsetWithExactTotals(t *testing.T) {
	t.Parallel()
	e := newCustEnv(t, 0)
	for _, req := range indexedPeople {
		e.create(req)
	}
	// Square's count, then the index's: they agree.
	squareTotal := dirText(e.b.get("/customers").testID("customer-total"))
	e.indexMerchant()
	e.h.emu.ResetCalls()
	total := dirText(e.b.get("/customers").testID("customer-total"))
	if total != squareTotal || total == "" || dirCalls(e.h) != 0 {
		t.Errorf("the index's total = %q (%d customer calls), want Square's %q without a call", total, dirCalls(e.h), squareTotal)
	}

	first := e.b.get("/customers?size=25")
	next := first.testID("next-page").AttrOr("href", "")
	if next != "/customers?offset=25&size=25" {
		t.Fatalf("page 1 next-page = %q, want /customers?offset=25&size=25", next)
	}
	if first.testID("previous-page").Length() != 0 || first.testID("first-page").Length() != 0 {
		t.Errorf("page 1 links to a previous or first page, want neither")
	}
	third := e.b.get("/customers?offset=50&size=25")
	expect(t, third, http.StatusOK)
	if got := third.testID("previous-page").AttrOr("href", ""); got != "/customers?offset=25&size=25" {
		t.Errorf("page 3 previous-page = %q, want /customers?offset=25&size=25", got)
	}
	if got := third.testID("first-page").AttrOr("href", ""); got != "/customers?size=25" {
		t.Errorf("page 3 first-page = %q, want /customers?size=25", got)
	}
	seen := map[string]bool{}
	for target := "/customers?size=25"; target != ""; {
		p := e.b.get(target)
		expect(t, p, http.StatusOK)
		for _, id := range dirRows(p) {
			if seen[id] {
				t.Errorf("GET %s shows %s again", target, id)
			}
			seen[id] = true
		}
		target = p.testID("next-page").AttrOr("href", "")
	}
	if got := thousandsOf(len(seen)) + " customers"; got != total {
		t.Errorf("paging to the end shows %s, want the total %s", got, total)
	}

	// Load more appends the next page and pushes its address.
	more := dirFragment(t, e.b.get(next, "HX-Request", "true"))
	expect(t, more, http.StatusOK)
	if got := more.Header.Get("HX-Push-URL"); got != next {
		t.Errorf("htmx GET %s HX-Push-URL = %q, want %q", next, got, next)
	}
	if got, want := dirRows(more), dirRows(e.b.get(next)); len(got) != 25 || !slices.Equal(got, want) {
		t.Errorf("htmx GET %s rows = %v, want the page's %v", next, got, want)
	}

	// Search, filters and total together.
	p := e.b.get("/customers?q=example.&from=2020-01-01")
	if got := dirText(p.testID("customer-total")); got != "7 customers" {
		t.Errorf("GET /customers?q=example.&from=2020-01-01 total = %q, want 7 customers", got)
	}
	p = e.b.get("/customers?q=example.&to=2000-01-01")
	if got := dirText(p.testID("customer-total")); got != "0 customers" || p.testID("no-results").Length() != 1 {
		t.Errorf("GET /customers?q=example.&to=2000-01-01 total = %q, want 0 customers and no results", got)
	}
}

// thousandsOf writes n as the directory does: 1,234.
func thousandsOf(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func TestABadQueryOfTheIndexedDirectoryIsA400ThatKeepsTheSearchAndAsksSquareNothing(t *testing.T) {
	t.Parallel()
	e, _ := newIndexedEnv(t)
	for _, tc := range []struct{ target, typed, message string }{
		{"/customers?q=fern&offset=-1", "fern", "page of results"},
		{"/customers?q=fern&offset=abc", "fern", "page of results"},
		{"/customers?q=fern&sort=bogus", "fern", "Sort by name, company, email, phone"},
		{"/customers?q=fern&order=up", "fern", "ascending or descending"},
		{"/customers?q=fern&size=7", "fern", "25, 50 or 100"},
		{"/customers?q=fern&from=2026-02-30", "fern", "Created from"},
		{"/customers?q=" + strings.Repeat("a", 201), strings.Repeat("a", 201), "too long"},
		{"/customers?q=" + url.QueryEscape("a b c d e f g h i"), "a b c d e f g h i", "too many words"},
	} {
		e.h.emu.ResetCalls()
		for _, hx := range [][]string{nil, {"HX-Request", "true", "HX-Target", "customer-results"}} {
			p := e.b.get(tc.target, hx...)
			expect(t, p, http.StatusBadRequest)
			if msg := dirText(p.testID("query-error")); !strings.Contains(msg, tc.message) {
				t.Errorf("GET %s (htmx %v) message = %q, want it to mention %q", tc.target, hx != nil, msg, tc.message)
			}
			if hx == nil {
				if got := dirInputValue(p, "search-q"); got != tc.typed {
					t.Errorf("GET %s: the search box holds %q, want %q kept", tc.target, got, tc.typed)
				}
			}
		}
		if calls := e.h.emu.Calls(); len(calls) != 0 {
			t.Errorf("GET %s called Square %d times, want 0 for a query that cannot run", tc.target, len(calls))
		}
	}
}

func TestWhileTheFirstSyncRunsSquareServesTheDirectoryWithItsProgress(t *testing.T) {
	t.Parallel()
	e := newCustEnv(t, 0)
	err := e.h.index.UpdateSyncState(t.Context(), e.merchantID(), func(st *index.SyncState) error {
		st.FullSyncStarted = e.h.clock.Now()
		st.Expected = 100000
		st.Ranges = []index.SyncRange{{Indexed: 40000}, {Indexed: 1200}}
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateSyncState = %v", err)
	}
	e.h.emu.ResetCalls()
	p := e.b.get("/customers")
	expect(t, p, http.StatusOK)
	progress := p.testID("index-progress")
	if got, want := dirText(progress), "Indexing customers: 41,200 of 100,000"; got != want || progress.AttrOr("role", "") != "status" {
		t.Errorf("GET /customers progress = %q (role %q), want %q (status)", got, progress.AttrOr("role", ""), want)
	}
	if dirCalls(e.h) != 1 {
		t.Errorf("GET /customers while indexing made %d customer calls to Square, want 1: Square serves", dirCalls(e.h))
	}
	// Square's search, as before the index: Look in and Match are there.
	if p.Doc.Find("#search-field").Length() != 1 {
		t.Errorf("GET /customers while indexing has no Look in choice, want Square's search form")
	}
	frag := e.b.get("/customers?q=gmail", "HX-Request", "true", "HX-Target", "customer-results")
	expect(t, frag, http.StatusOK)
	if got := dirText(frag.testID("index-progress")); got != "Indexing customers: 41,200 of 100,000" {
		t.Errorf("htmx GET /customers?q=gmail progress = %q, want it shown", got)
	}
	// A column only the index can sort by is refused in words, not a 500.
	p = e.b.get("/customers?sort=company")
	expect(t, p, http.StatusBadRequest)
	if msg := dirText(p.testID("query-error")); !strings.Contains(msg, "Square, which serves the directory for now, sorts by name or by created date only") {
		t.Errorf("GET /customers?sort=company while indexing message = %q, want it to say what Square can sort by", msg)
	}

	// Once the sync is done the index serves, with no banner.
	e.indexMerchant()
	e.h.emu.ResetCalls()
	p = e.b.get("/customers")
	if p.testID("index-progress").Length() != 0 || dirCalls(e.h) != 0 {
		t.Errorf("GET /customers after the sync: progress %q, %d customer calls, want neither", dirText(p.testID("index-progress")), dirCalls(e.h))
	}
}

func TestABroadSearchShowsMoreThanAThousandThenTheExactTotal(t *testing.T) {
	t.Parallel()
	e := newCustEnv(t, 0)
	e.indexMerchant()
	// More customers than the index counts while typing, straight into
	// the index: Square is not asked for the directory anyway.
	var many []index.Customer
	at := e.h.clock.Now()
	for i := range index.MaxCounted + 50 {
		many = append(many, index.Customer{ID: "BROAD" + strconv.Itoa(i), Version: 1, CreatedAt: at, UpdatedAt: at,
			GivenName: "Broad " + strconv.Itoa(i), Note: "Likes the zanzibar blend."})
	}
	if _, err := e.h.index.PutAll(t.Context(), e.merchantID(), many, nil); err != nil {
		t.Fatalf("PutAll = %v", err)
	}
	want := thousandsOf(index.MaxCounted+50) + " customers"

	frag := e.b.get("/customers?q=zanzibar", "HX-Request", "true", "HX-Target", "customer-results")
	expect(t, frag, http.StatusOK)
	total := frag.testID("customer-total")
	if got := dirText(total); got != "More than 1,000 customers" {
		t.Errorf("htmx GET /customers?q=zanzibar total = %q, want More than 1,000 customers", got)
	}
	countURL := total.AttrOr("hx-get", "")
	if countURL != "/customers/count?q=zanzibar" || total.AttrOr("hx-trigger", "") != "load" {
		t.Fatalf("htmx GET /customers?q=zanzibar total hx-get = %q, trigger %q, want /customers/count?q=zanzibar on load", countURL, total.AttrOr("hx-trigger", ""))
	}
	if frag.testID("next-page").Length() != 1 {
		t.Errorf("htmx GET /customers?q=zanzibar has no next page, want one: a full page of a capped count")
	}
	count := e.b.get(countURL, "HX-Request", "true")
	expect(t, count, http.StatusOK)
	if got := dirText(count.testID("customer-total")); got != want {
		t.Errorf("GET %s = %q, want %q", countURL, got, want)
	}
	page := e.b.get("/customers?q=zanzibar")
	if got := dirText(page.testID("customer-total")); got != want {
		t.Errorf("GET /customers?q=zanzibar total = %q, want the exact %q", got, want)
	}
	expect(t, e.b.get("/customers/count?q=zanzibar&sort=bogus", "HX-Request", "true"), http.StatusBadRequest)
}

func TestWithTheIndexOffSquareServesTheDirectoryAsBefore(t *testing.T) {
	t.Parallel()
	e := newCustEnv(t, 0, withIndexOff())
	if e.h.index != nil {
		t.Fatalf("with TESSERA_INDEX=off the harness has an index, want none")
	}
	e.h.emu.ResetCalls()
	p := e.b.get("/customers?q=gmail&field=email")
	expect(t, p, http.StatusOK)
	if dirCalls(e.h) != 1 || p.testID("index-progress").Length() != 0 {
		t.Errorf("GET /customers?q=gmail&field=email with the index off: %d customer calls, progress %q; want 1 call to Square and no progress",
			dirCalls(e.h), dirText(p.testID("index-progress")))
	}
	if p.Doc.Find("#search-field").Length() != 1 || p.testID("sort-company").Find("a").Length() != 0 {
		t.Errorf("GET /customers with the index off: want Square's Look in choice and no sort by company")
	}
}
