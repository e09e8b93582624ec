package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// The directory, GET /customers, against squarelocal behind the real
// client. Expected pages come from Square itself (the emulator, asked
// directly with the merchant's token), so each test checks that the
// directory asks Square the right question and shows the answer; checks
// that do not depend on the emulator (dates in order, every customer once)
// are made on the page itself.
//
// Every test here runs with the merchant's customer index never filled:
// the harness runs no background sync. That is the directory while the
// first sync runs, with TESSERA_INDEX=off, or when the index fails: Square
// serves it. directory_index_test.go covers the directory from the index.

// Square's endpoints the directory uses for its results.
const (
	dirListCall   = "GET /v2/customers"
	dirSearchCall = "POST /v2/customers/search"
)

// dirSquare is Square as the i-th merchant's token sees it.
func dirSquare(h *harness, i int) *square.Client {
	return h.square.WithAccessToken(h.emu.MintAccessToken(h.merchant(i).ID))
}

// dirList and dirSearch ask Square for the page the directory should show.
func dirList(t *testing.T, sq *square.Client, p *square.ListCustomersParams) *square.CustomerPage {
	t.Helper()
	page, err := sq.Customers.List(t.Context(), p)
	if err != nil {
		t.Fatalf("Customers.List(%+v): %v", p, err)
	}
	return page
}

func dirSearch(t *testing.T, sq *square.Client, req *square.SearchCustomersRequest) *square.CustomerPage {
	t.Helper()
	page, err := sq.Customers.Search(t.Context(), req)
	if err != nil {
		t.Fatalf("Customers.Search: %v", err)
	}
	return page
}

// dirSearchFirst is the first page of 50 of a filter in Square's default
// order, as the directory asks for it.
func dirSearchFirst(t *testing.T, sq *square.Client, f *square.CustomerFilter) *square.CustomerPage {
	t.Helper()
	return dirSearch(t, sq, &square.SearchCustomersRequest{Limit: 50, Count: true, Query: &square.CustomerQuery{Filter: f}})
}

// dirAll is every customer of the merchant, in Square's default order.
func dirAll(t *testing.T, sq *square.Client) []square.Customer {
	t.Helper()
	return listCustomers(t, sq)
}

// dirGroups is the merchant's groups by name.
func dirGroups(t *testing.T, sq *square.Client) map[string]string {
	t.Helper()
	byName := map[string]string{}
	for g, err := range sq.Customers.AllGroups(t.Context()) {
		if err != nil {
			t.Fatalf("Customers.AllGroups: %v", err)
		}
		byName[g.Name] = g.ID
	}
	return byName
}

func dirIDs(cs []square.Customer) []string {
	ids := []string{}
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

// dirRows are the customer ids of a page's rows, in order.
func dirRows(p *page) []string {
	ids := []string{}
	p.testID("customer-row").Each(func(_ int, s *goquery.Selection) {
		ids = append(ids, s.AttrOr("data-customer-id", ""))
	})
	return ids
}

// dirFragment reads an htmx answer of rows. HTML parsers drop <tr> outside
// a table, so it is read inside one, as htmx does.
func dirFragment(t *testing.T, p *page) *page {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + p.Body + "</tbody></table>"))
	if err != nil {
		t.Fatalf("parsing the rows of %s: %v", p.Request.URL.RequestURI(), err)
	}
	return &page{Response: p.Response, Body: p.Body, Doc: doc}
}

// dirCalls counts the directory's calls to Square for results.
func dirCalls(h *harness) int {
	return h.emu.CountCalls(dirListCall, 0) + h.emu.CountCalls(dirSearchCall, 0)
}

// dirLastSearch is the body of the last SearchCustomers call.
func dirLastSearch(t *testing.T, h *harness) map[string]any {
	t.Helper()
	calls := h.wire.find(http.MethodPost, "/v2/customers/search")
	if len(calls) == 0 {
		t.Fatal("the directory did not call SearchCustomers")
	}
	return calls[len(calls)-1].Request
}

// dirPath reads a nested value of a JSON object, e.g. "query.filter".
func dirPath(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[k]
	}
	return v
}

// dirHTMX asks as htmx does, for the element with the given id.
func dirHTMX(b *browser, target, id string) *page {
	b.h.t.Helper()
	return b.get(target, "HX-Request", "true", "HX-Target", id, "HX-Current-URL", b.h.url("/customers"))
}

// dirText is the trimmed text of a selection.
func dirText(s *goquery.Selection) string { return strings.TrimSpace(s.Text()) }

// dirChip is the text of the chip of a kind, "" when there is none.
func dirChip(p *page, kind string) string {
	return dirText(p.Doc.Find(`[data-testid="filter-chip"][data-filter="` + kind + `"] span`).First())
}

// dirInputValue is the value of the form control with an id, or of the
// selected option of a select.
func dirInputValue(p *page, id string) string {
	s := p.Doc.Find("#" + id)
	if goquery.NodeName(s) == "select" {
		return s.Find("option[selected]").AttrOr("value", "")
	}
	return s.AttrOr("value", "")
}

// dirName is how the directory names a customer: given and family name,
// else the company, else the email or phone.
func dirName(c square.Customer) string {
	if n := strings.TrimSpace(c.GivenName + " " + c.FamilyName); n != "" {
		return n
	}
	for _, s := range []string{c.CompanyName, c.EmailAddress, c.PhoneNumber} {
		if s != "" {
			return s
		}
	}
	return "Unnamed customer"
}

// dirCreated are the creation days of a page's rows, as <time datetime>.
func dirCreated(p *page) []string {
	var days []string
	p.testID("customer-row").Each(func(_ int, s *goquery.Selection) {
		days = append(days, s.Find(`[data-testid="cell-created"] time`).AttrOr("datetime", ""))
	})
	return days
}

func TestTheDirectoryShowsEachCustomerWithItsColumnsAndTheTotal(t *testing.T) {
	h := newHarness(t)
	p := h.newBrowser().signIn(0)
	sq := dirSquare(h, 0)
	want := dirList(t, sq, &square.ListCustomersParams{Limit: 50, Count: true})

	if got := dirRows(p); !slices.Equal(got, dirIDs(want.Customers)) {
		t.Fatalf("GET /customers rows = %v, want %v", got, dirIDs(want.Customers))
	}
	if got, want := dirText(p.testID("customer-total")), fmt.Sprintf("%d customers", *want.Count); got != want {
		t.Errorf("GET /customers total = %q, want %q", got, want)
	}
	var headers []string
	p.Doc.Find(`[data-testid="customer-table"] thead th`).Each(func(_ int, s *goquery.Selection) {
		headers = append(headers, strings.TrimRight(dirText(s), "▲▼"))
	})
	if got := strings.Join(headers, ","); got != "Name,Company,Email,Phone,Groups,Created" {
		t.Errorf("GET /customers column headers = %q, want Name,Company,Email,Phone,Groups,Created", got)
	}

	groupName := map[string]string{}
	for name, id := range dirGroups(t, sq) {
		groupName[id] = name
	}
	withGroups, withCompany := 0, 0
	for i, c := range want.Customers {
		row := p.testID("customer-row").Eq(i)
		link := row.Find(`[data-testid="cell-name"] a`)
		if got := link.AttrOr("href", ""); got != "/customers/"+c.ID {
			t.Errorf("row %d link = %q, want /customers/%s", i, got, c.ID)
		}
		var groups []string
		for _, id := range c.GroupIDs {
			groups = append(groups, groupName[id])
		}
		cells := map[string]string{
			"cell-name":    dirName(c),
			"cell-company": c.CompanyName,
			"cell-email":   c.EmailAddress,
			"cell-phone":   c.PhoneNumber,
			"cell-groups":  strings.Join(groups, ", "),
			"cell-created": c.CreatedAt.UTC().Format("2 Jan 2006"),
		}
		for id, want := range cells {
			if got := dirText(row.Find(`[data-testid="` + id + `"]`)); got != want {
				t.Errorf("row %d (%s) %s = %q, want %q", i, c.ID, id, got, want)
			}
		}
		if got := row.Find("time").AttrOr("datetime", ""); got != c.CreatedAt.UTC().Format("2006-01-02") {
			t.Errorf("row %d created datetime = %q, want %q", i, got, c.CreatedAt.UTC().Format("2006-01-02"))
		}
		if len(groups) > 0 {
			withGroups++
		}
		if c.CompanyName != "" {
			withCompany++
		}
	}
	if withGroups == 0 || withCompany == 0 {
		t.Errorf("the first page has %d customers with groups and %d with a company; the test needs some of each", withGroups, withCompany)
	}

	// The seeded data holds markup in a company name; it stays text.
	if n := p.Doc.Find("main img, main script").Length(); n != 0 {
		t.Errorf("GET /customers: %d <img> or <script> elements in <main>, want none", n)
	}
	if got := p.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("GET /customers Cache-Control = %q, want no-store", got)
	}
	if got := p.Doc.Find("body").AttrOr("hx-history", ""); got != "false" {
		t.Errorf(`GET /customers <body hx-history> = %q, want "false"`, got)
	}
	if n := p.Doc.Find("[hx-boost]").Length(); n != 0 {
		t.Errorf("GET /customers: %d elements with hx-boost, want none", n)
	}
}

func TestTheDirectorySortsByNameAndByCreatedDateBothWays(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	sq := dirSquare(h, 0)

	tests := []struct {
		name, query      string
		field            square.CustomerSortField
		order            square.SortOrder
		sorted, other    string
		ariaSort, toggle string
	}{
		{"name ascending is the default", "", square.CustomerSortDefault, square.SortAscending,
			"sort-name", "sort-created", "ascending", "/customers?order=desc"},
		{"name descending", "?order=desc", square.CustomerSortDefault, square.SortDescending,
			"sort-name", "sort-created", "descending", "/customers"},
		{"created ascending", "?sort=created", square.CustomerSortCreatedAt, square.SortAscending,
			"sort-created", "sort-name", "ascending", "/customers?order=desc&sort=created"},
		{"created descending", "?order=desc&sort=created", square.CustomerSortCreatedAt, square.SortDescending,
			"sort-created", "sort-name", "descending", "/customers?sort=created"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.get("/customers" + tt.query)
			expect(t, p, http.StatusOK)

			want := dirList(t, sq, &square.ListCustomersParams{Limit: 50, SortField: tt.field, SortOrder: tt.order})
			if got := dirRows(p); !slices.Equal(got, dirIDs(want.Customers)) {
				t.Errorf("GET /customers%s rows = %v, want %v", tt.query, got, dirIDs(want.Customers))
			}
			if got := p.testID(tt.sorted).AttrOr("aria-sort", ""); got != tt.ariaSort {
				t.Errorf("GET /customers%s: %s aria-sort = %q, want %q", tt.query, tt.sorted, got, tt.ariaSort)
			}
			if _, ok := p.testID(tt.other).Attr("aria-sort"); ok {
				t.Errorf("GET /customers%s: %s has aria-sort, want none", tt.query, tt.other)
			}
			if got := p.testID(tt.sorted).Find("a").AttrOr("href", ""); got != tt.toggle {
				t.Errorf("GET /customers%s: %s link = %q, want %q", tt.query, tt.sorted, got, tt.toggle)
			}
			if tt.field == square.CustomerSortCreatedAt {
				days := dirCreated(p)
				ordered := slices.IsSorted(days)
				if tt.order == square.SortDescending {
					slices.Reverse(days)
					ordered = slices.IsSorted(days)
				}
				if !ordered {
					t.Errorf("GET /customers%s: created days not in %s order: %v", tt.query, tt.order, dirCreated(p))
				}
			}
		})
	}

	// The unsorted column's link starts it in its natural order: dates
	// newest first.
	p := b.get("/customers")
	next := p.testID("sort-created").Find("a").AttrOr("href", "")
	p = b.get(next)
	expect(t, p, http.StatusOK)
	if got := p.testID("sort-created").AttrOr("aria-sort", ""); got != "descending" {
		t.Errorf("GET %s: sort-created aria-sort = %q, want descending", next, got)
	}
}

func TestSortLinksKeepTheSearchFiltersAndPageSizeButNotTheCursor(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	first := b.get("/customers?q=com&field=email&size=25")
	expect(t, first, http.StatusOK)
	next, ok := first.testID("next-page").Attr("href")
	if !ok {
		t.Fatal("GET /customers?q=com&field=email&size=25: no next page; the test needs one")
	}
	p := b.get(next)
	expect(t, p, http.StatusOK)

	for _, id := range []string{"sort-name", "sort-created"} {
		href := p.testID(id).Find("a").AttrOr("href", "")
		u, err := url.Parse(href)
		if err != nil {
			t.Fatalf("%s link %q: %v", id, href, err)
		}
		q := u.Query()
		if q.Get("q") != "com" || q.Get("field") != "email" || q.Get("size") != "25" || q.Has("cursor") {
			t.Errorf("GET %s: %s link = %q, want q, field and size kept and no cursor", next, id, href)
		}
	}
}

func TestTheDirectoryShows25Or50Or100CustomersAPage(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	total := len(dirAll(t, dirSquare(h, 0)))

	for _, tt := range []struct {
		query string
		size  int
	}{{"", 50}, {"?size=25", 25}, {"?size=50", 50}, {"?size=100", 100}} {
		p := b.get("/customers" + tt.query)
		expect(t, p, http.StatusOK)
		if got, want := len(dirRows(p)), min(tt.size, total); got != want {
			t.Errorf("GET /customers%s: %d rows, want %d", tt.query, got, want)
		}
		next, hasNext := p.testID("next-page").Attr("href")
		if hasNext != (total > tt.size) {
			t.Errorf("GET /customers%s: next page link %v, want %v with %d customers", tt.query, hasNext, total > tt.size, total)
		}
		if hasNext && tt.size != 50 && !strings.Contains(next, fmt.Sprintf("size=%d", tt.size)) {
			t.Errorf("GET /customers%s: next page %q does not keep the page size", tt.query, next)
		}
		if got := dirInputValue(p, "page-size"); got != fmt.Sprint(tt.size) {
			t.Errorf("GET /customers%s: page size select = %q, want %d", tt.query, got, tt.size)
		}
	}
}

func TestPagingThroughTheDirectoryShowsEveryCustomerOnce(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	want := dirIDs(dirAll(t, dirSquare(h, 0)))

	var seen []string
	target := "/customers?size=25"
	for pages := 0; target != ""; pages++ {
		if pages > 10 {
			t.Fatalf("still paging after %d pages", pages)
		}
		p := b.get(target)
		expect(t, p, http.StatusOK)
		seen = append(seen, dirRows(p)...)
		first, hasFirst := p.testID("first-page").Attr("href")
		if pages > 0 && (!hasFirst || first != "/customers?size=25") {
			t.Errorf("GET %s: first page link = %q (%v), want /customers?size=25", target, first, hasFirst)
		}
		if pages == 0 && hasFirst {
			t.Errorf("GET %s: the first page links to the first page", target)
		}
		target = p.testID("next-page").AttrOr("href", "")
	}
	if !slices.Equal(seen, want) {
		t.Errorf("paging through the directory showed %d customers %v, want each of the %d once, in order: %v", len(seen), seen, len(want), want)
	}
}

func TestLoadMoreAppendsTheNextPageAndPushesItsURL(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	first := b.get("/customers?size=25")
	expect(t, first, http.StatusOK)

	more := first.testID("load-more")
	next := first.testID("next-page").AttrOr("href", "")
	if more.Length() != 1 || next == "" {
		t.Fatalf("GET /customers?size=25: %d load-more buttons and next page %q, want one of each", more.Length(), next)
	}
	attrs := map[string]string{"hx-get": next, "hx-target": "#customer-rows", "hx-swap": "beforeend", "hx-push-url": "true"}
	for name, want := range attrs {
		if got := more.AttrOr(name, ""); got != want {
			t.Errorf("load-more %s = %q, want %q", name, got, want)
		}
	}
	if _, hidden := more.Attr("hidden"); !hidden {
		t.Error("load-more is shown without JavaScript; it needs htmx and starts hidden")
	}

	p := dirHTMX(b, next, "customer-rows")
	expect(t, p, http.StatusOK)
	if strings.Contains(p.Body, "<html") || strings.Contains(p.Body, "<table") || strings.Contains(p.Body, "search-form") {
		t.Fatalf("htmx GET %s: want rows and the pager only, got\n%s", next, truncate(p.Body))
	}
	if got := p.Header.Get("HX-Push-Url"); got != next {
		t.Errorf("htmx GET %s: HX-Push-Url = %q, want %q", next, got, next)
	}
	frag := dirFragment(t, p)
	full := b.get(next)
	expect(t, full, http.StatusOK)
	if got, want := dirRows(frag), dirRows(full); len(got) == 0 || !slices.Equal(got, want) {
		t.Errorf("htmx GET %s rows = %v, want the rows of that page %v", next, got, want)
	}
	pager := frag.Doc.Find(`nav#customer-pager[hx-swap-oob="true"]`)
	if pager.Length() != 1 {
		t.Fatalf("htmx GET %s: no out-of-band pager\n%s", next, truncate(p.Body))
	}
	// Square's cursors differ from call to call; the pages they lead to
	// do not.
	after := pager.Find(`[data-testid="load-more"]`).AttrOr("hx-get", "")
	if got, want := dirRows(b.get(after)), dirRows(b.get(full.testID("next-page").AttrOr("href", ""))); len(got) == 0 || !slices.Equal(got, want) {
		t.Errorf("htmx GET %s: the new load-more (%s) leads to %v, want the page after, %v", next, after, got, want)
	}
	if _, hidden := pager.Find(`[data-testid="load-more"]`).Attr("hidden"); hidden {
		t.Errorf("htmx GET %s: the appended pager hides load-more; htmx is plainly there", next)
	}
	if pager.Find(`[data-testid="first-page"]`).Length() != 0 {
		t.Errorf("htmx GET %s: the appended pager links to the first page, which is on screen", next)
	}
	// A reload of the pushed URL shows that page, with a way back to the
	// first.
	if got := full.testID("first-page").AttrOr("href", ""); got != "/customers?size=25" {
		t.Errorf("GET %s: first page link = %q, want /customers?size=25", next, got)
	}
}

func TestTheSearchBoxAsksForActiveSearchWithHtmx(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	p := b.signIn(0)

	input := p.testID("search-input")
	if got := dirText(p.Doc.Find(`label[for="` + input.AttrOr("id", "-") + `"]`)); got != "Search customers" {
		t.Errorf(`the search box's label = %q, want "Search customers"`, got)
	}
	hint := dirText(p.testID("search-hint"))
	for _, w := range []string{"email", "phone", "reference id", "cannot search names"} {
		if !strings.Contains(hint, w) {
			t.Errorf("the search hint %q does not mention %q", hint, w)
		}
	}
	for name, want := range map[string]string{
		"name": "q", "type": "search", "hx-get": "/customers", "hx-include": "closest form",
		"hx-trigger": "input changed delay:300ms, search",
	} {
		if got := input.AttrOr(name, ""); got != want {
			t.Errorf("search input %s = %q, want %q", name, got, want)
		}
	}
	form := p.testID("search-form")
	for name, want := range map[string]string{
		"method": "get", "action": "/customers", "hx-get": "/customers", "hx-target": "#customer-results",
		"hx-swap": "outerHTML", "hx-push-url": "true", "hx-sync": "this:replace", "hx-indicator": "#search-indicator",
	} {
		if got := form.AttrOr(name, ""); got != want {
			t.Errorf("search form %s = %q, want %q", name, got, want)
		}
	}
	if p.Doc.Find("#search-indicator.htmx-indicator").Length() != 1 {
		t.Error("no #search-indicator.htmx-indicator for the search's progress")
	}

	target := "/customers?q=com&field=email&match=fuzzy&from=&to=&source=&group=&size=50"
	r := dirHTMX(b, target, "customer-results")
	expect(t, r, http.StatusOK)
	if strings.Contains(r.Body, "<html") || r.Doc.Find("#customer-results").Length() != 1 || r.testID("search-form").Length() != 0 {
		t.Fatalf("htmx GET %s: want the results region only, got\n%s", target, truncate(r.Body))
	}
	if got := r.Header.Get("HX-Push-Url"); got != "/customers?field=email&q=com" {
		t.Errorf("htmx GET %s: HX-Push-Url = %q, want /customers?field=email&q=com", target, got)
	}
	if got := dirText(r.Doc.Find(`#directory-status[hx-swap-oob]`)); got != dirText(r.testID("customer-total")) || got == "" {
		t.Errorf("htmx GET %s: status region says %q, want the total %q", target, got, dirText(r.testID("customer-total")))
	}
	// The pushed URL shows the same view on a reload.
	full := b.get(r.Header.Get("HX-Push-Url"))
	expect(t, full, http.StatusOK)
	if !slices.Equal(dirRows(full), dirRows(r)) {
		t.Errorf("GET /customers?field=email&q=com rows = %v, want those of the htmx answer %v", dirRows(full), dirRows(r))
	}
}

func TestSearchingFindsCustomersByEmailPhoneOrReferenceID(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	sq := dirSquare(h, 0)
	all := dirAll(t, sq)

	// Seeded customers to search for.
	var email, intlPhone, otherPhone, ref square.Customer
	for _, c := range all {
		switch {
		case email.ID == "" && strings.Contains(c.EmailAddress, "@"):
			email = c
		case intlPhone.ID == "" && strings.HasPrefix(c.PhoneNumber, "+"):
			intlPhone = c
		case otherPhone.ID == "" && c.PhoneNumber != "" && !strings.HasPrefix(c.PhoneNumber, "+"):
			otherPhone = c
		case ref.ID == "" && c.ReferenceID != "":
			ref = c
		}
	}
	if email.ID == "" || intlPhone.ID == "" || otherPhone.ID == "" || ref.ID == "" {
		t.Fatal("the seeded directory lacks a customer with an email, an international phone, another phone or a reference id")
	}
	local := email.EmailAddress[:strings.Index(email.EmailAddress, "@")]
	last4 := otherPhone.PhoneNumber[len(otherPhone.PhoneNumber)-4:]

	tests := []struct {
		name   string
		values url.Values
		target square.Customer
		filter *square.CustomerFilter
		// key is where the filter goes in Square's request; chip is how
		// the page words the search.
		key, chip string
	}{
		{"a part of an email finds it fuzzily", url.Values{"q": {local}, "field": {"email"}}, email,
			&square.CustomerFilter{EmailAddress: &square.TextFilter{Fuzzy: local}},
			"email_address.fuzzy", "Email contains “" + local + "”"},
		{"a whole email finds it exactly", url.Values{"q": {email.EmailAddress}, "match": {"exact"}}, email,
			&square.CustomerFilter{EmailAddress: &square.TextFilter{Exact: email.EmailAddress}},
			"email_address.exact", "Email is exactly “" + email.EmailAddress + "”"},
		{"digits of a phone find it fuzzily", url.Values{"q": {last4}}, otherPhone,
			&square.CustomerFilter{PhoneNumber: &square.TextFilter{Fuzzy: last4}},
			"phone_number.fuzzy", "Phone contains “" + last4 + "”"},
		{"an international phone finds it exactly", url.Values{"q": {intlPhone.PhoneNumber}, "match": {"exact"}}, intlPhone,
			&square.CustomerFilter{PhoneNumber: &square.TextFilter{Exact: intlPhone.PhoneNumber}},
			"phone_number.exact", "Phone is exactly “" + intlPhone.PhoneNumber + "”"},
		{"a reference id finds it fuzzily", url.Values{"q": {ref.ReferenceID}, "field": {"reference"}}, ref,
			&square.CustomerFilter{ReferenceID: &square.TextFilter{Fuzzy: ref.ReferenceID}},
			"reference_id.fuzzy", "Reference id contains “" + ref.ReferenceID + "”"},
		{"a reference id finds it exactly", url.Values{"q": {ref.ReferenceID}, "field": {"reference"}, "match": {"exact"}}, ref,
			&square.CustomerFilter{ReferenceID: &square.TextFilter{Exact: ref.ReferenceID}},
			"reference_id.exact", "Reference id is exactly “" + ref.ReferenceID + "”"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := "/customers?" + tt.values.Encode()
			p := b.get(target)
			expect(t, p, http.StatusOK)

			want := dirSearchFirst(t, sq, tt.filter)
			got := dirRows(p)
			if !slices.Equal(got, dirIDs(want.Customers)) {
				t.Errorf("GET %s rows = %v, want %v", target, got, dirIDs(want.Customers))
			}
			if !slices.Contains(got, tt.target.ID) {
				t.Errorf("GET %s does not list %s, whose details were searched for", target, tt.target.ID)
			}
			if len(got) >= len(all) {
				t.Errorf("GET %s lists %d of %d customers; the search does not narrow", target, len(got), len(all))
			}
			if got, want := dirText(p.testID("customer-total")), fmt.Sprintf("%d customer", len(want.Customers)); !strings.HasPrefix(got, want) {
				t.Errorf("GET %s total = %q, want %q…", target, got, want)
			}
			if got := dirPath(dirLastSearch(t, h), "query.filter."+tt.key); got != tt.values.Get("q") {
				t.Errorf("GET %s sent Square query.filter.%s = %v, want %q", target, tt.key, got, tt.values.Get("q"))
			}
			if got := dirChip(p, "search"); got != tt.chip {
				t.Errorf("GET %s search chip = %q, want %q", target, got, tt.chip)
			}
			if got := dirInputValue(p, "search-q"); got != tt.values.Get("q") {
				t.Errorf("GET %s search box = %q, want %q", target, got, tt.values.Get("q"))
			}
		})
	}
}

func TestTheSearchFieldIsPickedFromWhatIsTypedUnlessChosen(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)

	tests := []struct {
		name, query, key, chip string
	}{
		{"an @ means email", "q=ada%40example", "email_address.fuzzy", "Email contains “ada@example”"},
		{"digits with + ( ) - and spaces mean phone", "q=%2B1+(206)+555-0100", "phone_number.fuzzy", "Phone contains “+1 (206) 555-0100”"},
		{"digits alone mean phone", "q=0100", "phone_number.fuzzy", "Phone contains “0100”"},
		{"an exact match of anything else means reference id", "q=LOY-0012&match=exact", "reference_id.exact", "Reference id is exactly “LOY-0012”"},
		{"a chosen field wins", "q=0100&field=reference", "reference_id.fuzzy", "Reference id contains “0100”"},
		{"a chosen field wins over an @", "q=a%40b&field=reference&match=exact", "reference_id.exact", "Reference id is exactly “a@b”"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.get("/customers?" + tt.query)
			expect(t, p, http.StatusOK)
			if got := dirChip(p, "search"); got != tt.chip {
				t.Errorf("GET /customers?%s search chip = %q, want %q", tt.query, got, tt.chip)
			}
			if dirPath(dirLastSearch(t, h), "query.filter."+tt.key) == nil {
				t.Errorf("GET /customers?%s: Square's request has no query.filter.%s: %v", tt.query, tt.key, dirLastSearch(t, h)["query"])
			}
		})
	}
}

func TestFiltersNarrowTheDirectoryCombineWithSearchAndShowAsRemovableChips(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	sq := dirSquare(h, 0)
	all := dirAll(t, sq)
	vip := dirGroups(t, sq)["VIP"]
	if vip == "" {
		t.Fatal("the seeded merchant has no VIP group")
	}

	// A created range that holds some customers but not all.
	days := make([]string, 0, len(all))
	for _, c := range all {
		days = append(days, c.CreatedAt.UTC().Format("2006-01-02"))
	}
	slices.Sort(days)
	from, to := days[len(days)/4], days[len(days)*3/4]
	start, _ := time.Parse("2006-01-02", from)
	end, _ := time.Parse("2006-01-02", to)
	end = end.AddDate(0, 0, 1).Add(-time.Millisecond)

	tests := []struct {
		name   string
		values url.Values
		filter *square.CustomerFilter
		chips  map[string]string
	}{
		{"by group", url.Values{"group": {vip}},
			&square.CustomerFilter{GroupIDs: &square.FilterValue{Any: []string{vip}}},
			map[string]string{"group": "Group: VIP"}},
		{"by creation source", url.Values{"source": {"THIRD_PARTY"}},
			&square.CustomerFilter{CreationSource: &square.CreationSourceFilter{Values: []string{"THIRD_PARTY"}, Rule: square.CreationSourceInclude}},
			map[string]string{"source": "Source: Third-party app"}},
		{"by created dates", url.Values{"from": {from}, "to": {to}},
			&square.CustomerFilter{CreatedAt: &square.TimeRange{StartAt: start, EndAt: end}},
			map[string]string{"from": "Created on or after " + start.Format("2 Jan 2006"), "to": "Created on or before " + end.Format("2 Jan 2006")}},
		{"a group and dates with a search", url.Values{"q": {"com"}, "field": {"email"}, "group": {vip}, "from": {from}},
			&square.CustomerFilter{
				EmailAddress: &square.TextFilter{Fuzzy: "com"},
				GroupIDs:     &square.FilterValue{Any: []string{vip}},
				CreatedAt:    &square.TimeRange{StartAt: start},
			},
			map[string]string{"search": "Email contains “com”", "group": "Group: VIP", "from": "Created on or after " + start.Format("2 Jan 2006")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := "/customers?" + tt.values.Encode()
			p := b.get(target)
			expect(t, p, http.StatusOK)

			want := dirSearchFirst(t, sq, tt.filter)
			if len(want.Customers) == 0 {
				t.Fatalf("Square finds no customer for %s; the test needs some", target)
			}
			if got := dirRows(p); !slices.Equal(got, dirIDs(want.Customers)) {
				t.Errorf("GET %s rows = %v, want %v", target, got, dirIDs(want.Customers))
			}
			if len(dirRows(p)) >= len(all) {
				t.Errorf("GET %s lists %d of %d customers; the filter does not narrow", target, len(dirRows(p)), len(all))
			}
			if tt.values.Has("group") {
				p.testID("cell-groups").Each(func(i int, s *goquery.Selection) {
					if !strings.Contains(s.Text(), "VIP") {
						t.Errorf("GET %s row %d groups = %q, want VIP among them", target, i, s.Text())
					}
				})
			}
			if tt.values.Has("from") || tt.values.Has("to") {
				lo, hi := tt.values.Get("from"), tt.values.Get("to")
				for i, d := range dirCreated(p) {
					if d < lo || (hi != "" && d > hi) {
						t.Errorf("GET %s row %d was created %s, outside %s to %s", target, i, d, lo, hi)
					}
				}
			}
			for param, id := range map[string]string{"q": "search-q", "from": "filter-from", "to": "filter-to", "source": "filter-source", "group": "filter-group"} {
				if got := dirInputValue(p, id); got != tt.values.Get(param) {
					t.Errorf("GET %s: form control %s = %q, want %q", target, id, got, tt.values.Get(param))
				}
			}

			chips := p.testID("filter-chip")
			if chips.Length() != len(tt.chips) {
				t.Errorf("GET %s: %d chips, want %d", target, chips.Length(), len(tt.chips))
			}
			for kind, label := range tt.chips {
				if got := dirChip(p, kind); got != label {
					t.Errorf("GET %s: %s chip = %q, want %q", target, kind, got, label)
				}
				// The chip's link is the view without that filter.
				remove := p.Doc.Find(`[data-testid="filter-chip"][data-filter="` + kind + `"] [data-testid="remove-filter"]`)
				href := remove.AttrOr("href", "")
				if !strings.HasPrefix(remove.AttrOr("aria-label", ""), "Remove ") {
					t.Errorf("GET %s: the %s chip's link is named %q, want Remove …", target, kind, remove.AttrOr("aria-label", ""))
				}
				after := b.get(href)
				expect(t, after, http.StatusOK)
				if dirChip(after, kind) != "" {
					t.Errorf("GET %s (removing the %s chip) still shows it", href, kind)
				}
				for other, label := range tt.chips {
					if other != kind && dirChip(after, other) != label {
						t.Errorf("GET %s (removing the %s chip) lost the %s chip", href, kind, other)
					}
				}
			}
		})
	}
}

func TestTheSearchFormWorksWithoutJavaScript(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	sq := dirSquare(h, 0)
	p := b.get("/customers?order=desc&sort=created")
	expect(t, p, http.StatusOK)

	// Fill in the form as a browser would submit it: every named control.
	form := p.testID("search-form")
	values := url.Values{}
	form.Find("input[name], select[name]").Each(func(_ int, s *goquery.Selection) {
		name := s.AttrOr("name", "")
		if goquery.NodeName(s) == "select" {
			values.Add(name, s.Find("option[selected]").AttrOr("value", s.Find("option").First().AttrOr("value", "")))
			return
		}
		values.Add(name, s.AttrOr("value", ""))
	})
	for name, vs := range values {
		if len(vs) != 1 {
			t.Errorf("the search form has %d controls named %q, want 1", len(vs), name)
		}
	}
	values.Set("q", "com")
	values.Set("field", "email")
	target := form.AttrOr("action", "") + "?" + values.Encode()
	r := b.get(target)
	expect(t, r, http.StatusOK)

	want := dirSearch(t, sq, &square.SearchCustomersRequest{Limit: 50, Query: &square.CustomerQuery{
		Filter: &square.CustomerFilter{EmailAddress: &square.TextFilter{Fuzzy: "com"}},
		Sort:   &square.CustomerSort{Field: square.CustomerSortCreatedAt, Order: square.SortDescending},
	}})
	if got := dirRows(r); len(got) == 0 || !slices.Equal(got, dirIDs(want.Customers)) {
		t.Errorf("GET %s rows = %v, want %v (the search, newest first)", target, got, dirIDs(want.Customers))
	}
	if got := r.testID("sort-created").AttrOr("aria-sort", ""); got != "descending" {
		t.Errorf("GET %s: the search lost the order; sort-created aria-sort = %q, want descending", target, got)
	}
}

func TestAnEmptyDirectorySaysSo(t *testing.T) {
	h := newHarness(t)
	// The second merchant's customers, all deleted.
	sq := dirSquare(h, 1)
	for _, id := range dirIDs(dirAll(t, sq)) {
		if err := sq.Customers.Delete(t.Context(), id, nil); err != nil {
			t.Fatalf("Customers.Delete(%s): %v", id, err)
		}
	}

	p := h.newBrowser().signIn(1)

	if p.testID("empty-state").Length() != 1 {
		t.Errorf("GET /customers of an empty directory: no empty-state\n%s", truncate(p.Body))
	}
	if n := p.testID("customer-table").Length() + p.testID("no-results").Length() + p.testID("next-page").Length(); n != 0 {
		t.Errorf("GET /customers of an empty directory shows %d tables, no-results or next links, want none", n)
	}
	// Square leaves the count out when it is 0.
	if got := dirText(p.testID("customer-total")); got != "0 customers" {
		t.Errorf("GET /customers of an empty directory: total = %q, want %q", got, "0 customers")
	}
}

func TestNoMatchesKeepsTheSearchAndOffersToClearIt(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)

	tests := []struct {
		name, query, clearSearch, showAll string
	}{
		{"a search", "q=zzqx-nobody", "/customers", ""},
		{"a search with a filter", "q=zzqx-nobody&source=LOYALTY&size=25", "/customers?size=25&source=LOYALTY", "/customers?size=25"},
		{"a filter alone", "from=2001-01-01&to=2001-12-31", "", "/customers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.get("/customers?" + tt.query)
			expect(t, p, http.StatusOK)
			if p.testID("no-results").Length() != 1 {
				t.Fatalf("GET /customers?%s: no no-results state\n%s", tt.query, truncate(p.Body))
			}
			if n := p.testID("customer-table").Length() + p.testID("empty-state").Length(); n != 0 {
				t.Errorf("GET /customers?%s shows %d tables or empty states, want none", tt.query, n)
			}
			vals, _ := url.ParseQuery(tt.query)
			if got := dirInputValue(p, "search-q"); got != vals.Get("q") {
				t.Errorf("GET /customers?%s: search box = %q, want %q", tt.query, got, vals.Get("q"))
			}
			for id, want := range map[string]string{"clear-search": tt.clearSearch, "show-all": tt.showAll} {
				if got := p.testID(id).AttrOr("href", ""); got != want {
					t.Errorf("GET /customers?%s: %s link = %q, want %q", tt.query, id, got, want)
				}
			}
		})
	}
}

func TestWhenSquareIsUnreachableTheDirectorySaysSoAndKeepsTheSearch(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	vip := dirGroups(t, dirSquare(h, 0))["VIP"]
	values := url.Values{"q": {"ada"}, "source": {"LOYALTY"}, "group": {vip}, "from": {"2025-01-01"}, "size": {"25"}}
	target := "/customers?" + values.Encode()

	expectKept := func(t *testing.T, p *page) {
		t.Helper()
		for param, id := range map[string]string{"q": "search-q", "source": "filter-source", "group": "filter-group", "from": "filter-from", "size": "page-size"} {
			if got := dirInputValue(p, id); got != values.Get(param) {
				t.Errorf("GET %s with Square down: form control %s = %q, want %q", target, id, got, values.Get(param))
			}
		}
		if p.testID("square-unavailable").Length() != 1 || p.testID("customer-table").Length() != 0 {
			t.Errorf("GET %s with Square down: want the square-unavailable state and no table\n%s", target, truncate(p.Body))
		}
		if got := p.testID("request-id").Find("code").Text(); got == "" || got != p.Header.Get("X-Request-Id") {
			t.Errorf("GET %s with Square down: reference %q, want the request id %q", target, got, p.Header.Get("X-Request-Id"))
		}
		if strings.Contains(p.Body, "SERVICE_UNAVAILABLE") || strings.Contains(p.Body, "/v2/customers") {
			t.Errorf("GET %s with Square down: Square's error text reached the page", target)
		}
	}

	tests := []struct {
		name   string
		fault  squarelocal.Fault
		status int
	}{
		{"Square unavailable", squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Endpoint: dirSearchCall}, http.StatusServiceUnavailable},
		{"Square failing", squarelocal.Fault{Kind: squarelocal.FaultInternal, Endpoint: dirSearchCall}, http.StatusBadGateway},
		{"Square busy", squarelocal.Fault{Kind: squarelocal.FaultRateLimit, Endpoint: dirSearchCall}, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := h.emu.InjectFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			defer h.emu.ClearFaults()

			p := b.get(target)
			expect(t, p, tt.status)
			expectKept(t, p)
			if got := p.testID("problem-link").AttrOr("href", ""); got != "/customers?"+values.Encode() {
				t.Errorf("GET %s with Square down: try-again link = %q, want the same view", target, got)
			}

			// htmx gets the message for its alert region, and the address
			// bar stays.
			r := dirHTMX(b, target, "customer-results")
			expect(t, r, tt.status)
			if r.Doc.Find(`.alert [data-testid="square-unavailable"]`).Length() != 1 || strings.Contains(r.Body, "<html") {
				t.Errorf("htmx GET %s with Square down: want an .alert with square-unavailable, got\n%s", target, truncate(r.Body))
			}
			if got := r.Header.Get("HX-Push-Url"); got != "false" {
				t.Errorf("htmx GET %s with Square down: HX-Push-Url = %q, want false", target, got)
			}
		})
	}

	// With the merchant's groups to fetch as well (the cache has expired),
	// the form still keeps the chosen group.
	h.clock.Advance(6 * time.Minute)
	if err := h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultUnavailable}); err != nil {
		t.Fatal(err)
	}
	p := b.get(target)
	expect(t, p, http.StatusServiceUnavailable)
	expectKept(t, p)

	h.emu.ClearFaults()
	p = b.get(target)
	expect(t, p, http.StatusOK)
	if !strings.Contains(h.logs.String(), "request failed") {
		t.Error("the failures were not logged")
	}
}

func TestBadQueryParametersGetAClearMessageNeverAServerError(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	first := b.signIn(0)
	listCursor := first.testID("next-page").AttrOr("href", "")
	listCursor = listCursor[strings.Index(listCursor, "cursor=")+len("cursor="):]
	otherGroup := dirGroups(t, dirSquare(h, 1))["Newsletter"]
	if otherGroup == "" {
		t.Fatal("the second merchant has no Newsletter group")
	}

	tests := []struct {
		name, query string
		// control is the form control marked invalid, "" for none;
		// value is what it must still hold.
		control, value string
		// askSquare: only Square can tell that a cursor is bad.
		askSquare bool
		// link is where the message leads, "" for the plain directory.
		link string
	}{
		{"a garbage cursor", "cursor=garbage", "", "", true, "/customers"},
		{"a cursor of another view", "q=com&field=email&cursor=" + listCursor, "", "", true, "/customers?field=email&q=com"},
		{"a huge cursor", "cursor=" + strings.Repeat("x", 5000), "", "", false, "/customers"},
		{"an unknown sort", "sort=banana", "", "", false, ""},
		{"an unknown order", "order=sideways", "", "", false, ""},
		{"a page size of 0", "size=0", "page-size", "", false, ""},
		{"a page size of 1000", "size=1000", "page-size", "", false, ""},
		{"a page size that is no number", "size=fifty", "page-size", "", false, ""},
		{"a malformed date", "from=2026-13-45", "filter-from", "2026-13-45", false, ""},
		{"a word for a date", "to=yesterday", "filter-to", "yesterday", false, ""},
		{"the 30th of February", "to=2026-02-30", "filter-to", "2026-02-30", false, ""},
		{"reversed dates", "from=2026-03-01&to=2026-02-01", "filter-to", "2026-02-01", false, ""},
		{"an unknown group", "group=NO-SUCH-GROUP", "filter-group", "", false, ""},
		{"another merchant's group", "group=" + otherGroup, "filter-group", "", false, ""},
		{"an unknown creation source", "source=SPACESHIP", "filter-source", "", false, ""},
		{"an unknown search field", "q=ada&field=name", "search-field", "", false, ""},
		{"an unknown match", "q=ada&match=regex", "search-match", "", false, ""},
		{"a duplicated sort", "sort=name&sort=created", "", "", false, ""},
		{"a duplicated search", "q=ada&q=bob", "search-q", "ada", false, ""},
		{"a search too long", "q=" + strings.Repeat("a", 300), "search-q", strings.Repeat("a", 300), false, ""},
		{"an address too long", "q=" + strings.Repeat("a", 9000), "", "", false, ""},
		{"a malformed escape", "q=%zz&sort=created", "", "", false, ""},
		{"an exact phone without its country code", "q=206-555-0100&match=exact", "search-q", "206-555-0100", false, ""},
		{"a fuzzy search without letters or digits", "q=%40%40", "search-q", "@@", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := dirCalls(h)
			p := b.get("/customers?" + tt.query)
			expect(t, p, http.StatusBadRequest)
			shown := truncate(p.Request.URL.RequestURI())

			msg := p.testID("query-error")
			if msg.Length() != 1 || p.testID("problem-message").Length() == 0 || dirText(p.testID("problem-message")) == "" {
				t.Fatalf("GET %s: want a query-error with a message\n%s", shown, truncate(p.Body))
			}
			if p.testID("customer-table").Length() != 0 {
				t.Errorf("GET %s: a table under the query error", shown)
			}
			if p.testID("search-form").Length() != 1 {
				t.Errorf("GET %s: no search form to correct the query in", shown)
			}
			if got, want := dirCalls(h)-before, map[bool]int{true: 1, false: 0}[tt.askSquare]; got != want {
				t.Errorf("GET %s: %d calls to Square for customers, want %d", shown, got, want)
			}
			if tt.control != "" {
				if _, ok := p.Doc.Find("#" + tt.control).Attr("aria-invalid"); !ok {
					t.Errorf("GET %s: control %s is not marked invalid", shown, tt.control)
				}
				if msg.Find(`a[href="#`+tt.control+`"]`).Length() == 0 {
					t.Errorf("GET %s: no message links to control %s", shown, tt.control)
				}
				if got := dirInputValue(p, tt.control); tt.value != "" && got != tt.value {
					t.Errorf("GET %s: control %s = %q, want what was typed, %q", shown, tt.control, got, tt.value)
				}
			}
			link := cmpOr(tt.link, "/customers")
			if got := p.testID("problem-link").AttrOr("href", ""); got != link {
				t.Errorf("GET %s: the message's link = %q, want %q", shown, got, link)
			}
			if strings.Contains(p.Body, "INVALID_CURSOR") || strings.Contains(p.Body, "VALUE_TOO") {
				t.Errorf("GET %s: Square's error code reached the page", shown)
			}
		})
	}

	// A query error with htmx goes to the alert region and leaves the
	// address bar alone.
	r := dirHTMX(b, "/customers?size=1000", "customer-results")
	expect(t, r, http.StatusBadRequest)
	if r.Doc.Find(`.alert [data-testid="query-error"]`).Length() != 1 {
		t.Errorf("htmx GET /customers?size=1000: want an .alert with the query error, got\n%s", truncate(r.Body))
	}
	if got := r.Header.Get("HX-Push-Url"); got != "false" {
		t.Errorf("htmx GET /customers?size=1000: HX-Push-Url = %q, want false", got)
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func TestAWarmDirectoryPageCostsOneCallToSquare(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0) // lands on the directory, which warms the merchant cache
	vip := dirGroups(t, dirSquare(h, 0))["VIP"]

	tests := []struct {
		name, target, call string
		htmx               bool
	}{
		{"the first page of 50", "/customers", dirListCall, false},
		{"a search with filters", "/customers?q=com&field=email&group=" + vip + "&source=DIRECTORY", dirSearchCall, false},
		{"an htmx search", "/customers?q=%40com", dirSearchCall, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.emu.ResetCalls()
			var p *page
			if tt.htmx {
				p = dirHTMX(b, tt.target, "customer-results")
			} else {
				p = b.get(tt.target)
			}
			expect(t, p, http.StatusOK)
			calls := h.emu.Calls()
			if len(calls) != 1 || calls[0].Pattern != tt.call {
				var got []string
				for _, c := range calls {
					got = append(got, c.Pattern)
				}
				t.Errorf("GET %s called Square %v, want once, %s", tt.target, got, tt.call)
			}
			if tt.target == "/customers" && len(dirRows(p)) != 50 {
				t.Errorf("GET /customers: %d rows, want 50", len(dirRows(p)))
			}
		})
	}
}
