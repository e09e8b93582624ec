package e2e

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/playwright-community/playwright-go"
)

// The customer directory: search, filters, sort and paging, with
// JavaScript (htmx) on, as most people have it.

// directoryTotal reads the directory's total, "1,234 customers", as a number.
func directoryTotal(t *testing.T, page playwright.Page) int {
	t.Helper()
	total := page.GetByTestId("customer-total")
	check(t, expect.Locator(total).ToHaveText(regexp.MustCompile(`^[\d,]+ customers?$`)), "the customer total")
	s, err := total.InnerText()
	check(t, err, "reading the customer total")
	n, err := strconv.Atoi(strings.ReplaceAll(strings.Fields(s)[0], ",", ""))
	check(t, err, "the customer total "+s)
	return n
}

// columnTexts are the texts of one column (a cell's data-testid) of the rows.
func columnTexts(t *testing.T, page playwright.Page, testID string) []string {
	t.Helper()
	texts, err := customerRows(page).GetByTestId(testID).AllInnerTexts()
	check(t, err, "reading the "+testID+" column")
	return texts
}

// createdDays are the rows' creation days, YYYY-MM-DD from <time datetime>.
func createdDays(t *testing.T, page playwright.Page) []string {
	t.Helper()
	times := customerRows(page).GetByTestId("cell-created").Locator("time")
	n, err := times.Count()
	check(t, err, "counting creation dates")
	days := make([]string, 0, n)
	for i := range n {
		d, err := times.Nth(i).GetAttribute("datetime")
		check(t, err, "a row's creation date")
		days = append(days, d)
	}
	return days
}

// waitForPage waits until the page is at a URL matching re and that document
// has loaded, so that a full navigation (a link, the back button) is over
// before rows are read.
func waitForPage(t *testing.T, page playwright.Page, re *regexp.Regexp, what string) {
	t.Helper()
	check(t, expect.Page(page).ToHaveURL(re), what)
	check(t, page.WaitForLoadState(), what+": the page loads")
}

// emailToken picks, from the rows on the page, an email address and a
// word of at least four letters in its local part, for a fuzzy search
// that matches few customers.
func emailToken(t *testing.T, page playwright.Page) (customerID, email, token string) {
	t.Helper()
	ids, _ := listedCustomers(t, page)
	emails := columnTexts(t, page, "cell-email")
	for i, e := range emails {
		local, _, ok := strings.Cut(strings.ToLower(e), "@")
		if !ok {
			continue
		}
		for _, w := range strings.FieldsFunc(local, func(r rune) bool { return r < 'a' || r > 'z' }) {
			if len(w) > len(token) && len(w) >= 4 {
				customerID, email, token = ids[i], e, w
			}
		}
		if token != "" {
			return customerID, email, token
		}
	}
	t.Fatalf("no row on the first page has an email address with a word of 4 letters: %q", emails)
	return "", "", ""
}

// Typing part of an email address into "Search" narrows the table as the
// person types (no Enter: htmx's active search), to customers whose email
// address contains it, and the address bar carries the search.
func TestFuzzyEmailSearchNarrowsTable(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, squareSearch)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)

	allTotal := directoryTotal(t, page)
	allIDs, _ := listedCustomers(t, page)
	wantID, email, token := emailToken(t, page)
	t.Logf("searching for %q (from %s)", token, email)

	// "Look in" Email: Square cannot tell from a bare word that it is part
	// of an email address (Auto would search email and reference id at
	// once, one call each), and this test follows one field's search.
	_, err := page.ExpectResponse(regexp.MustCompile(`/customers\?`), func() error {
		_, err := page.GetByLabel("Look in").SelectOption(playwright.SelectOptionValues{Labels: &[]string{"Email"}})
		return err
	})
	check(t, err, `choosing "Look in: Email"`)

	// One input event, so one request: no Enter, no button.
	search := byRole(page, *playwright.AriaRoleSearchbox, "Search")
	check(t, search.Fill(token), "typing into Search")

	chip := page.GetByTestId("filter-chip")
	check(t, expect.Locator(chip).ToContainText("Email contains “"+token+"”"), "the search's chip")
	check(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`/customers\?(.*&)?q=`+regexp.QuoteMeta(token)+`(&|$)`)), "the search in the address bar")
	check(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`[?&]field=email(&|$)`)), "the searched field in the address bar")
	check(t, expect.Locator(search).ToBeFocused(), "the search box keeps the focus: the results changed in place")

	ids, _ := listedCustomers(t, page)
	if len(ids) >= len(allIDs) {
		t.Errorf("the search shows %d rows, the directory %d: it did not narrow the table", len(ids), len(allIDs))
	}
	if n := directoryTotal(t, page); n >= allTotal {
		t.Errorf("the search finds %d customers of %d", n, allTotal)
	}
	if !slices.Contains(ids, wantID) {
		t.Errorf("the customer whose email is %s is not among the results %v", email, ids)
	}
	// Square's fuzzy email search ignores punctuation in the address.
	for _, e := range columnTexts(t, page, "cell-email") {
		if !strings.Contains(lettersAndDigits(e), token) {
			t.Errorf("the search for %q shows a customer with email %q", token, e)
		}
	}

	// The URL is the view: opening it afresh shows the same results.
	_, err = page.Reload()
	check(t, err, "reloading the search")
	check(t, expect.Locator(search).ToHaveValue(token), "the search box keeps the text after a reload")
	again, _ := listedCustomers(t, page)
	if !slices.Equal(again, ids) {
		t.Errorf("reloading the search shows other customers:\nbefore %v\nafter  %v", ids, again)
	}

	// Back leads to the directory as it was before the search.
	_, err = page.GoBack()
	check(t, err, "going back")
	waitForPage(t, page, regexp.MustCompile(`/customers$`), "back to the directory without the search")
	check(t, expect.Locator(search).ToHaveValue(""), "the search box is empty again")
	// htmx keeps no history of its own: it reloads the page from the server.
	check(t, page.WaitForLoadState(), "the directory before the search loads")
	check(t, expect.Locator(page.GetByTestId("filter-chip")).ToHaveCount(0), "no search chip")
	if back, _ := listedCustomers(t, page); !slices.Equal(back, allIDs) {
		t.Errorf("back before the search, the rows differ:\nbefore %v\nafter  %v", allIDs, back)
	}
}

// lettersAndDigits is s in lower case without anything but letters and digits.
func lettersAndDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// Filtering by a customer group shows only its members, with a chip that
// removes the filter; a created-date range shows only customers created
// within it.
func TestFilterByGroupAndCreatedDate(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, squareSearch)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	allTotal := directoryTotal(t, page)
	allIDs, _ := listedCustomers(t, page)
	days := createdDays(t, page)

	// A group: with htmx, choosing it applies it.
	const group = "Wholesale"
	_, err := page.GetByLabel("Customer group").SelectOption(playwright.SelectOptionValues{Labels: &[]string{group}})
	check(t, err, "choosing the group "+group)
	chip := page.GetByTestId("filter-chip")
	check(t, expect.Locator(chip).ToContainText("Group: "+group), "the group's chip")
	check(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`/customers\?(.*&)?group=`)), "the group in the address bar")
	listedCustomers(t, page)
	if n := directoryTotal(t, page); n >= allTotal {
		t.Errorf("the group %s has %d customers of %d", group, n, allTotal)
	}
	for _, g := range columnTexts(t, page, "cell-groups") {
		if !slices.Contains(strings.Split(g, ", "), group) {
			t.Errorf("a customer of groups %q is listed under the group %s", g, group)
		}
	}

	// Its chip's remove link leads back to every customer.
	check(t, byRole(page, *playwright.AriaRoleLink, "Remove Group: "+group).Click(), "removing the group's chip")
	waitForPage(t, page, regexp.MustCompile(`/customers$`), "the directory without the filter")
	check(t, expect.Locator(chip).ToHaveCount(0), "no chip left")
	check(t, expect.Locator(page.GetByLabel("Customer group")).ToHaveValue(""), `the group select is back at "Any group"`)
	if n := directoryTotal(t, page); n != allTotal {
		t.Errorf("without the filter the directory has %d customers, before it %d", n, allTotal)
	}
	if ids, _ := listedCustomers(t, page); !slices.Equal(ids, allIDs) {
		t.Errorf("without the filter the first page differs from before:\nbefore %v\nafter  %v", allIDs, ids)
	}

	// A created-date range around a customer of the first page, applied
	// with the button.
	mid, err := time.Parse(time.DateOnly, days[len(days)/2])
	check(t, err, "a row's creation date")
	from, to := mid.AddDate(0, 0, -30).Format(time.DateOnly), mid.AddDate(0, 0, 30).Format(time.DateOnly)
	check(t, page.GetByLabel("Created from").Fill(from), "filling Created from")
	check(t, page.GetByLabel("Created to").Fill(to), "filling Created to")
	check(t, byRole(page, *playwright.AriaRoleButton, "Apply filters").Click(), `clicking "Apply filters"`)
	check(t, expect.Locator(page.Locator(`[data-testid="filter-chip"][data-filter="from"]`)).ToContainText("Created on or after "+mid.AddDate(0, 0, -30).Format("2 Jan 2006")), "the from chip")
	check(t, expect.Locator(page.Locator(`[data-testid="filter-chip"][data-filter="to"]`)).ToContainText("Created on or before "+mid.AddDate(0, 0, 30).Format("2 Jan 2006")), "the to chip")
	check(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`[?&]from=`+from+`&to=`+to+`(&|$)`)), "the dates in the address bar")
	listedCustomers(t, page)
	if n := directoryTotal(t, page); n >= allTotal {
		t.Errorf("customers created from %s to %s: %d of %d", from, to, n, allTotal)
	}
	inRange := createdDays(t, page)
	if len(inRange) == 0 {
		t.Fatal("no creation dates in the filtered table")
	}
	for _, d := range inRange {
		if d < from || d > to {
			t.Errorf("a customer created on %s is listed for %s to %s", d, from, to)
		}
	}
}

// firstRunes are the lower-cased first letters of names, the order Square
// sorts by name in, leaving out customers without a name (Square sorts
// them by other fields).
func firstRunes(names []string) []string {
	var out []string
	for _, n := range names {
		if n == "Unnamed customer" {
			continue
		}
		r, _ := utf8.DecodeRuneInString(n)
		out = append(out, string(unicode.ToLower(r)))
	}
	return out
}

func isSortedDesc(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] > s[i-1] {
			return false
		}
	}
	return true
}

// The Name and Created column headers sort the table both ways, and say
// which way with aria-sort.
func TestSortByNameAndCreated(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, squareSearch)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	nameHeader, createdHeader := page.GetByTestId("sort-name"), page.GetByTestId("sort-created")
	sortBy := func(header playwright.Locator, url *regexp.Regexp, ariaSort, what string) (ids, names []string) {
		t.Helper()
		check(t, header.GetByRole(*playwright.AriaRoleLink).Click(), "clicking the column header to sort "+what)
		waitForPage(t, page, url, "the directory sorted "+what)
		check(t, expect.Locator(header).ToHaveAttribute("aria-sort", ariaSort), "aria-sort "+ariaSort+" when sorted "+what)
		return listedCustomers(t, page)
	}

	// The default order: names A to Z.
	check(t, expect.Locator(nameHeader).ToHaveAttribute("aria-sort", "ascending"), "the directory opens sorted by name")
	check(t, expect.Locator(createdHeader).Not().ToHaveAttribute("aria-sort", regexp.MustCompile(`.`)), "no aria-sort on Created")
	ascIDs, ascNames := listedCustomers(t, page)
	if r := firstRunes(ascNames); !slices.IsSorted(r) {
		t.Errorf("names A to Z are not in order: %q", ascNames)
	}

	descIDs, descNames := sortBy(nameHeader, regexp.MustCompile(`/customers\?order=desc$`), "descending", "by name Z to A")
	if r := firstRunes(descNames); !isSortedDesc(r) {
		t.Errorf("names Z to A are not in order: %q", descNames)
	}
	if descIDs[0] == ascIDs[0] {
		t.Errorf("sorting by name both ways shows %s (%s) first", descNames[0], descIDs[0])
	}
	if firstRunes(descNames)[0] <= firstRunes(ascNames)[0] {
		t.Errorf("Z to A starts with %q, A to Z with %q", descNames[0], ascNames[0])
	}

	againIDs, _ := sortBy(nameHeader, regexp.MustCompile(`/customers$`), "ascending", "by name A to Z again")
	if againIDs[0] != ascIDs[0] {
		t.Errorf("sorting A to Z again starts with %s, first %s", againIDs[0], ascIDs[0])
	}

	// Created: newest first, then oldest first.
	newestIDs, _ := sortBy(createdHeader, regexp.MustCompile(`/customers\?order=desc&sort=created$`), "descending", "newest first")
	check(t, expect.Locator(nameHeader).Not().ToHaveAttribute("aria-sort", regexp.MustCompile(`.`)), "no aria-sort on Name when sorted by date")
	newest := createdDays(t, page)
	if !isSortedDesc(newest) {
		t.Errorf("newest first is not in order: %v", newest)
	}
	oldestIDs, _ := sortBy(createdHeader, regexp.MustCompile(`/customers\?sort=created$`), "ascending", "oldest first")
	oldest := createdDays(t, page)
	if !slices.IsSorted(oldest) {
		t.Errorf("oldest first is not in order: %v", oldest)
	}
	if oldestIDs[0] == newestIDs[0] || oldest[0] >= newest[0] {
		t.Errorf("oldest first starts with %s (%s), newest first with %s (%s)", oldestIDs[0], oldest[0], newestIDs[0], newest[0])
	}
}

// "Next page" shows the next customers; the browser's back button then
// shows the first page again, as it was.
func TestNextPageThenBack(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, squareSearch)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	firstIDs, firstNames := listedCustomers(t, page)

	check(t, byRole(page, *playwright.AriaRoleLink, "Next page").Click(), `clicking "Next page"`)
	waitForPage(t, page, regexp.MustCompile(`/customers\?(.*&)?cursor=`), "the second page")
	check(t, expect.Locator(page.GetByTestId("first-page")).ToBeVisible(), `the "First page" link on the second page`)
	secondIDs, _ := listedCustomers(t, page)
	for _, id := range secondIDs {
		if slices.Contains(firstIDs, id) {
			t.Errorf("customer %s is on the first and the second page", id)
		}
	}

	_, err := page.GoBack()
	check(t, err, "going back")
	waitForPage(t, page, regexp.MustCompile(`/customers$`), "back on the first page")
	check(t, expect.Locator(customerRows(page).First().GetByRole(*playwright.AriaRoleRowheader)).ToHaveText(firstNames[0]), "the first page's first customer")
	check(t, expect.Locator(page.GetByTestId("first-page")).ToHaveCount(0), `no "First page" link on the first page`)
	backIDs, _ := listedCustomers(t, page)
	if !slices.Equal(backIDs, firstIDs) {
		t.Errorf("back on the first page, the rows differ:\nbefore %v\nafter  %v", firstIDs, backIDs)
	}
}
