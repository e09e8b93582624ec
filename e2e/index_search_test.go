package e2e

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"
)

// squareSearch runs Tessera without its customer index, for the tests of
// the directory as Square serves it (Look in, Match, Square's orders and
// cursors): with the index, one box searches everything, those controls
// are gone, pages go by offset, and the index becoming ready part way
// through a test would change the view under it.
const squareSearch = "TESSERA_INDEX=off"

// How long the first sync of a seeded merchant may take in local mode, and
// how soon after sign-in it must have started.
const (
	indexReadyWithin   = 60 * time.Second
	indexStartedWithin = 10 * time.Second
)

// indexHint is how the search box's hint reads once the index serves the
// directory.
const indexHint = "any part of a name"

// waitForIndex reloads the directory until the customer index serves it:
// the progress banner gone and the one search box over every field. The
// sign-in starts the merchant's first full sync in the background; a sync
// that never starts, or does not finish, fails the test.
func waitForIndex(t *testing.T, page playwright.Page) {
	t.Helper()
	start := time.Now()
	started := false
	for {
		_, err := page.Goto("/customers")
		check(t, err, "opening the directory")
		hint, err := page.GetByTestId("search-hint").InnerText()
		check(t, err, "reading the search hint")
		if strings.Contains(hint, indexHint) {
			return
		}
		progress, err := page.GetByTestId("index-progress").Count()
		check(t, err, "looking for the indexing progress")
		started = started || progress > 0
		switch waited := time.Since(start); {
		case !started && waited > indexStartedWithin:
			saveFailureScreenshot(t, page)
			t.Fatalf("the customer index never started filling within %v of sign-in", indexStartedWithin)
		case waited > indexReadyWithin:
			saveFailureScreenshot(t, page)
			t.Fatalf("the customer index is still not serving the directory %v after sign-in", indexReadyWithin)
		}
		// The sync runs in the background and the page does not refresh
		// itself, so the directory is asked again after a pause.
		time.Sleep(250 * time.Millisecond)
	}
}

// createNamed makes a customer through Tessera's "New customer" form and
// returns its id. Tessera's own writes reach the index at once.
func createNamed(t *testing.T, page playwright.Page, given, family, email string) string {
	t.Helper()
	_, err := page.Goto("/customers/new")
	check(t, err, "opening New customer")
	fillCustomerForm(t, page, [][2]string{{"First name", given}, {"Last name", family}, {"Email address", email}})
	clickSave(t, page)
	return waitProfile(t, page)
}

// searchFinds types text into "Search customers" on the directory and
// waits for the customer's row, with a mark in it; it returns how long the
// row took to appear after the typing.
func searchFinds(t *testing.T, page playwright.Page, text, id, name string) time.Duration {
	t.Helper()
	search := byRole(page, *playwright.AriaRoleSearchbox, "Search customers")
	check(t, expect.Locator(search).ToBeVisible(), "the search box")
	begin := time.Now()
	check(t, search.Fill(text), "typing "+text)
	row := page.Locator(`[data-testid="customer-row"][data-customer-id="` + id + `"]`)
	check(t, expect.Locator(row).ToBeVisible(), "the row of "+name+" for "+text)
	took := time.Since(begin)
	check(t, expect.Locator(row.GetByRole(*playwright.AriaRoleRowheader).GetByRole(*playwright.AriaRoleLink)).ToHaveText(name), "the row names "+name)
	check(t, expect.Locator(row.Locator("mark").First()).ToBeVisible(), "the match marked in the row of "+name)
	check(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`[?&]q=`)), "the search in the address bar")
	return took
}

// Typing part of a name finds the customer as the person types, in under
// a second, with the part marked, and the address keeps the search.
func TestTypingPartOfANameFindsTheCustomer(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app, contextOptions{axe: true})
	signIn(t, page, merchantHarbor)
	waitForIndex(t, page)

	id := createNamed(t, page, "Jane", "Fernández", "jane.fernandez@example.org")
	_, err := page.Goto("/customers")
	check(t, err, "opening the directory")
	if took := searchFinds(t, page, "fern", id, "Jane Fernández"); took > time.Second {
		t.Errorf(`typing "fern" showed Jane Fernández after %v, want under a second`, took)
	}
	row := page.Locator(`[data-testid="customer-row"][data-customer-id="` + id + `"]`)
	check(t, expect.Locator(row.Locator("mark").First()).ToHaveText("Fern"), "the typed part marked")
	checkAxe(t, page, "the directory from the index with a search and its marks")

	_, err = page.Reload()
	check(t, err, "reloading the search")
	check(t, expect.Locator(byRole(page, *playwright.AriaRoleSearchbox, "Search customers")).ToHaveValue("fern"), "the search kept after a reload")
	check(t, expect.Locator(row).ToBeVisible(), "the customer still found after a reload")
}

// Names in other scripts are found by a part of them, whatever the case
// and accents typed.
func TestANameInAnotherScriptIsFound(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	waitForIndex(t, page)

	for _, c := range []struct{ given, family, email, typed string }{
		{"Дмитрий", "Иванов", "dmitri.ivanov@example.ru", "иван"},
		{"Γιώργος", "Παπαδόπουλος", "giorgos@example.gr", "παπαδοπ"},
		{"小明", "王", "xiaoming.wang@example.cn", "小明"},
		{"فاطمة", "الزهراء", "fatima@example.ae", "الزهراء"},
	} {
		id := createNamed(t, page, c.given, c.family, c.email)
		_, err := page.Goto("/customers")
		check(t, err, "opening the directory")
		searchFinds(t, page, c.typed, id, c.given+" "+c.family)
	}
}

// A column header sorts the directory by that column, then the other way
// round; aria-sort says which.
func TestTheDirectorySortsByAColumnHeader(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	waitForIndex(t, page)

	header := page.GetByTestId("sort-email")
	check(t, header.GetByRole(*playwright.AriaRoleLink).Click(), `clicking the "Email" header`)
	check(t, expect.Locator(header).ToHaveAttribute("aria-sort", "ascending"), "Email sorted A to Z")
	check(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`[?&]sort=email(&|$)`)), "the sort in the address bar")
	asc := filled(columnTexts(t, page, "cell-email"))
	if len(asc) < 10 || !slices.IsSorted(lower(asc)) {
		t.Errorf("sorted by email, the emails are %q, want A to Z", asc)
	}

	// Dates start newest first, then flip.
	created := page.GetByTestId("sort-created")
	check(t, created.GetByRole(*playwright.AriaRoleLink).Click(), `clicking the "Created" header`)
	check(t, expect.Locator(created).ToHaveAttribute("aria-sort", "descending"), "Created sorted newest first")
	check(t, expect.Locator(header).Not().ToHaveAttribute("aria-sort", regexp.MustCompile(`.`)), "Email no longer the sort")
	newest := createdDays(t, page)
	if len(newest) < 10 || !slices.IsSortedFunc(newest, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("sorted by created date, the days are %q, want newest first", newest)
	}
	check(t, created.GetByRole(*playwright.AriaRoleLink).Click(), `clicking the "Created" header again`)
	check(t, expect.Locator(created).ToHaveAttribute("aria-sort", "ascending"), "Created sorted oldest first")
	oldest := createdDays(t, page)
	if len(oldest) < 10 || !slices.IsSorted(oldest) {
		t.Errorf("sorted by created date ascending, the days are %q, want oldest first", oldest)
	}
	if n, err := page.Locator("th[aria-sort]").Count(); err != nil || n != 1 {
		t.Errorf("%d headers carry aria-sort (%v), want 1", n, err)
	}
}

func filled(ss []string) []string {
	return slices.DeleteFunc(slices.Clone(ss), func(s string) bool { return strings.TrimSpace(s) == "" })
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}

// A change made elsewhere in Square (as its POS would make it, through the
// emulator's control) reaches the index by Square's webhook, and the next
// search finds it without the app being reloaded.
func TestAChangeMadeElsewhereShowsInTheNextSearch(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	waitForIndex(t, page)
	id := createNamed(t, page, "Odile", "Marchetti", "odile.marchetti@example.org")
	_, err := page.Goto("/customers")
	check(t, err, "opening the directory")
	searchFinds(t, page, "marchett", id, "Odile Marchetti")

	// At the counter, the customer's name is corrected in Square itself.
	req, err := http.NewRequest(http.MethodPost, app.URL+"/squarelocal/_squarelocal/customers/"+id,
		strings.NewReader(`{"family_name":"Quennell-Marsh"}`))
	check(t, err, "building the change made elsewhere")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	check(t, err, "changing the customer elsewhere")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST the change made elsewhere = %d, want 200", resp.StatusCode)
	}

	// The page is still the one loaded before the change: only the search
	// box is typed into.
	searchFinds(t, page, "quennell", id, "Odile Quennell-Marsh")
}
