package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/playwright-community/playwright-go"
)

// A person opens "/", is sent to sign in, signs in with Square as the first
// (preselected) merchant and sees its customer directory.
func TestSignInShowsDirectory(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)

	openConsent(t, page)
	first := byRole(page, *playwright.AriaRoleRadio, merchantHarbor)
	check(t, expect.Locator(first).ToBeChecked(), "the first merchant is preselected")
	check(t, byRole(page, *playwright.AriaRoleButton, "Allow").Click(), `clicking "Allow"`)

	check(t, expect.Page(page).ToHaveURL(urlPath("/customers")), "landing on /customers")
	check(t, expect.Locator(page.GetByTestId("business-name")).ToHaveText(merchantHarbor), "the header names the merchant")
	check(t, expect.Locator(page.GetByTestId("local-banner")).ToBeVisible(), "the local demo banner")
	check(t, expect.Locator(page.GetByTestId("customer-table")).ToBeVisible(), "the customer table")
	check(t, expect.Locator(page.GetByTestId("customer-total")).ToHaveText(regexp.MustCompile(`^[\d,]+ customers?$`)), "the customer total")
	ids, _ := listedCustomers(t, page)
	if len(ids) == 0 {
		t.Fatal("the directory shows no customers")
	}

	// The README's picture of the directory in a 1280x800 window: the top
	// 1280x1200 of the page, so the search form leaves room for some rows.
	shot := filepath.Join(env.repoRoot, "docs", "screenshot.png")
	if _, err := os.Stat(shot); *updateScreenshot || os.IsNotExist(err) {
		check(t, os.MkdirAll(filepath.Dir(shot), 0o755), "creating docs/")
		_, err := page.Screenshot(playwright.PageScreenshotOptions{
			Path:     playwright.String(shot),
			FullPage: playwright.Bool(true),
			Clip:     &playwright.Rect{X: 0, Y: 0, Width: 1280, Height: 1200},
		})
		check(t, err, "screenshot of the directory")
		t.Logf("wrote %s", shot)
	}
}

// After signing out, the back button shows no customer data: the directory
// was served no-store, so the browser asks again and is sent to sign in.
func TestSignOutThenBackShowsNoCustomers(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	_, names := listedCustomers(t, page)

	check(t, byRole(page, *playwright.AriaRoleButton, "Sign out").Click(), `clicking "Sign out"`)
	check(t, expect.Page(page).ToHaveURL(urlPath("/login")), "signing out leads to /login")
	check(t, expect.Locator(page.GetByTestId("flash")).ToHaveText("You have signed out."), "the sign-out message")
	check(t, expect.Locator(page.GetByTestId("business-name")).ToHaveCount(0), "no merchant in the header")

	resp, err := page.GoBack()
	check(t, err, "going back")
	if resp == nil {
		t.Fatal("going back made no request: the directory came from a cache (bfcache or HTTP) despite no-store")
	}
	// The directory's URL, asked for again without a session, redirects to
	// sign in, remembering where the person was going.
	check(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`/login\?return_to=%2Fcustomers$`)), "back lands on sign-in")
	check(t, expect.Locator(byRole(page, *playwright.AriaRoleButton, "Sign in with Square")).ToBeVisible(), "the sign-in button")
	check(t, expect.Locator(customerRows(page)).ToHaveCount(0), "no customer rows")
	check(t, expect.Locator(page.GetByTestId("customer-table")).ToHaveCount(0), "no customer table")
	body := page.Locator("body")
	for _, name := range names[:min(5, len(names))] {
		check(t, expect.Locator(body).Not().ToContainText(name), "no customer name on the page ("+name+")")
	}
}

// "Deny" on Square's consent page leads to a clear page with a way back to
// sign in, which works.
func TestDenyShowsErrorWithWayBack(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	openConsent(t, page)
	check(t, byRole(page, *playwright.AriaRoleButton, "Deny").Click(), `clicking "Deny"`)

	errPage := page.GetByTestId("error-page")
	check(t, expect.Locator(errPage).ToBeVisible(), "the error page")
	check(t, expect.Locator(byRole(page, *playwright.AriaRoleHeading, "Access was not granted")).ToBeVisible(), "the error page's heading")
	check(t, expect.Locator(page.GetByTestId("business-name")).ToHaveCount(0), "still signed out")

	back := errPage.GetByRole(*playwright.AriaRoleLink, playwright.LocatorGetByRoleOptions{Name: "sign in"})
	check(t, back.Click(), "following the link back to sign in")
	check(t, expect.Page(page).ToHaveURL(urlPath("/login")), "the link leads to /login")
	check(t, expect.Locator(byRole(page, *playwright.AriaRoleButton, "Sign in with Square")).ToBeVisible(), "the sign-in button")
}

// The second merchant sees only its own customers.
func TestSecondMerchantSeesOnlyItsCustomers(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	first := newPage(t, app)
	second := newPage(t, app) // its own context: its own session

	// Both merchants' directories come from the customer index: each of its
	// rows carries its merchant, and this is where that is proven.
	signIn(t, second, merchantLindenhof)
	waitForIndex(t, second)
	ids2, names2 := listedCustomers(t, second)
	signIn(t, first, merchantHarbor)
	waitForIndex(t, first)
	ids1, names1 := listedCustomers(t, first)

	for _, id := range ids2 {
		if slices.Contains(ids1, id) {
			t.Errorf("customer %s is listed for both merchants", id)
		}
	}
	for _, name := range names2 {
		if slices.Contains(names1, name) {
			t.Errorf("%q is listed on the first page of both merchants", name)
		}
	}

	// Reloading keeps each browser on its own merchant.
	_, err := second.Reload()
	check(t, err, "reloading the second merchant's directory")
	check(t, expect.Locator(second.GetByTestId("business-name")).ToHaveText(merchantLindenhof), "still the second merchant")
	again, _ := listedCustomers(t, second)
	if !slices.Equal(again, ids2) {
		t.Errorf("after a reload the second merchant's first page changed:\nbefore %v\nafter  %v", ids2, again)
	}
}

// Without JavaScript, the "Next page" link shows the next customers.
func TestNextPageWithoutJavaScript(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app, contextOptions{noJS: true})
	signIn(t, page, merchantHarbor)
	waitForIndex(t, page)
	ids, _ := listedCustomers(t, page)

	next := byRole(page, *playwright.AriaRoleLink, "Next page")
	check(t, expect.Locator(next).ToBeVisible(), `the "Next page" link (the demo merchant has several pages)`)
	check(t, next.Click(), `clicking "Next page"`)
	check(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`/customers\?(.*&)?offset=`)), "the next page's URL")
	after, _ := listedCustomers(t, page)
	for _, id := range after {
		if slices.Contains(ids, id) {
			t.Errorf("customer %s is on the first and the second page", id)
		}
	}
}

// With JavaScript, "Load more" (htmx) appends the next customers to the
// table and puts the next page's URL in the address bar.
func TestLoadMoreAppendsCustomers(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	waitForIndex(t, page)
	ids, _ := listedCustomers(t, page)

	more := page.GetByTestId("load-more")
	if n, err := more.Count(); err != nil || n == 0 {
		// The directory gains "Load more" with its search and filters.
		t.Skipf(`this build's directory has no "Load more" button (err %v)`, err)
	}
	check(t, expect.Locator(more).ToBeVisible(), `"Load more" is shown once htmx is there`)
	check(t, more.Click(), `clicking "Load more"`)
	check(t, expect.Locator(customerRows(page).Nth(len(ids))).ToBeVisible(), "appended rows")
	check(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`/customers\?(.*&)?offset=`)), "the next page's URL in the address bar")
	after, _ := listedCustomers(t, page)
	if !slices.Equal(after[:len(ids)], ids) {
		t.Errorf("the first page's rows changed after \"Load more\"")
	}
	for _, id := range after[len(ids):] {
		if slices.Contains(ids, id) {
			t.Errorf("customer %s was appended again", id)
		}
	}
}
