package e2e

import (
	"testing"

	"github.com/playwright-community/playwright-go"
)

// The customer pages pass axe-core without serious or critical findings,
// each in the state that has the most on it: the directory with a search
// and with no matches, the profile with its delete dialog open, the edit
// form, the create form showing validation errors, the edit conflict page
// and the confirmation page used without JavaScript.
func TestCustomerPagesAccessibility(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, squareSearch)
	page := newPage(t, app, contextOptions{axe: true})
	other := newPage(t, app) // the second editor of the conflict
	signIn(t, page, merchantHarbor)
	signIn(t, other, merchantHarbor)

	// The directory with a search (and a filter) active.
	_, err := page.GetByLabel("Customer group").SelectOption(playwright.SelectOptionValues{Labels: &[]string{"Newsletter"}})
	check(t, err, "choosing a group")
	check(t, expect.Locator(page.GetByTestId("filter-chip")).ToContainText("Group: Newsletter"), "the group's chip")
	check(t, byRole(page, *playwright.AriaRoleSearchbox, "Search").Fill("gmail@"), "typing a search")
	check(t, expect.Locator(page.GetByTestId("filter-chip").First()).ToContainText("Email contains “gmail@”"), "the search's chip")
	listedCustomers(t, page)
	checkAxe(t, page, "the directory with a search")

	check(t, byRole(page, *playwright.AriaRoleSearchbox, "Search").Fill("zzqqxx@"), "typing a search that matches nobody")
	check(t, expect.Locator(page.GetByTestId("no-results")).ToBeVisible(), "the no-results state")
	checkAxe(t, page, "the directory without matches")

	// A profile, then with the delete dialog open.
	_, err = page.Goto("/customers")
	check(t, err, "opening the directory")
	id, name := namedCustomer(t, page)
	check(t, customerRows(page).GetByRole(*playwright.AriaRoleLink, playwright.LocatorGetByRoleOptions{Name: name, Exact: playwright.Bool(true)}).First().Click(), "opening "+name)
	if got := waitProfile(t, page); got != id {
		t.Fatalf("the link of %s (%s) led to the profile of %s", name, id, got)
	}
	checkAxe(t, page, "the profile")
	check(t, page.GetByTestId("delete-customer").Click(), `clicking "Delete"`)
	check(t, expect.Locator(page.GetByTestId("delete-dialog")).ToBeVisible(), "the delete dialog")
	checkAxe(t, page, "the profile with the delete dialog")

	// The confirmation page that Delete leads to without JavaScript.
	_, err = page.Goto("/customers/" + id + "/delete")
	check(t, err, "opening the confirmation page")
	check(t, expect.Locator(page.GetByTestId("delete-confirm")).ToBeVisible(), "the confirmation page")
	checkAxe(t, page, "the delete confirmation page")

	// The create form with validation errors.
	_, err = page.Goto("/customers/new")
	check(t, err, "opening the create form")
	check(t, customerInput(page, "Email address").Fill("no-at-sign"), "typing a bad email")
	check(t, customerInput(page, "Phone number").Fill("12"), "typing a bad phone number")
	clickSave(t, page)
	check(t, expect.Locator(page.GetByTestId("error-summary")).ToBeVisible(), "the error summary")
	check(t, expect.Locator(page.GetByTestId("field-error")).ToHaveCount(2), "messages beside the email and phone inputs")
	checkAxe(t, page, "the create form with errors")

	// The edit form, then the conflict page: the other person saves first.
	openEditForm(t, page, id, name)
	checkAxe(t, page, "the edit form")
	openEditForm(t, other, id, name)
	check(t, customerInput(other, "Nickname").Fill("Changed elsewhere"), "the other person changes the nickname")
	clickSave(t, other)
	expectFlashText(t, other, "Customer updated.")
	check(t, customerInput(page, "Nickname").Fill("Changed here"), "changing the nickname")
	clickSave(t, page)
	check(t, expect.Locator(page.GetByTestId("conflict")).ToBeVisible(), "the conflict page")
	checkAxe(t, page, "the edit conflict page")
}
