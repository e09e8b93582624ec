package e2e

import (
	"testing"

	"github.com/playwright-community/playwright-go"
)

// phone is the viewport of a common phone, in CSS pixels.
var phone = playwright.Size{Width: 390, Height: 844}

func TestAPhoneShowsTheSearchAndResultsFirstAndTheFiltersOnRequest(t *testing.T) {
	app := startApp(t)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	check(t, page.SetViewportSize(phone.Width, phone.Height), "turning the window into a phone's")
	waitForIndex(t, page)

	search := page.GetByRole(*playwright.AriaRoleSearchbox, playwright.PageGetByRoleOptions{Name: "Search customers"})
	check(t, expect.Locator(search).ToBeInViewport(), "the search box on a phone's first screen")
	first := customerRows(page).First()
	check(t, expect.Locator(first).ToBeVisible(), "the first customer")
	box, err := first.BoundingBox()
	check(t, err, "measuring the first customer")
	if box == nil || box.Y+box.Height > float64(phone.Height) {
		t.Errorf("the first customer ends at %v px, want it on the phone's first screen (%d px)", box, phone.Height)
	}
	wide, err := page.Evaluate(`() => document.documentElement.scrollWidth`)
	check(t, err, "measuring the page's width")
	if w, _ := wide.(int); w > phone.Width {
		t.Errorf("the page is %d px wide on a %d px phone, want no sideways scrolling", w, phone.Width)
	}

	// The filters wait behind their button.
	from := page.GetByLabel("Created from")
	check(t, expect.Locator(from).ToBeHidden(), "the filters folded away")
	filters := page.GetByRole(*playwright.AriaRoleButton, playwright.PageGetByRoleOptions{Name: "Filters", Exact: playwright.Bool(true)})
	check(t, expect.Locator(filters).ToHaveAttribute("aria-expanded", "false"), "the Filters button, closed")
	check(t, filters.Click(), "pressing Filters")
	check(t, expect.Locator(from).ToBeVisible(), "the filters after pressing Filters")
	check(t, expect.Locator(filters).ToHaveAttribute("aria-expanded", "true"), "the Filters button, open")
}

func TestWithoutJavaScriptAPhoneShowsTheFilters(t *testing.T) {
	app := startApp(t)
	page := newPage(t, app, contextOptions{noJS: true})
	signIn(t, page, merchantHarbor)
	check(t, page.SetViewportSize(phone.Width, phone.Height), "turning the window into a phone's")
	_, err := page.Goto("/customers")
	check(t, err, "opening the directory")
	check(t, expect.Locator(page.GetByLabel("Created from")).ToBeVisible(), "the filters, with no button to open them")
	check(t, expect.Locator(page.GetByTestId("filters-toggle")).ToBeHidden(), "no Filters button without JavaScript")
}
