package e2e

import (
	"regexp"
	"testing"

	"github.com/playwright-community/playwright-go"
)

// A staff member signs in with a name, edits a customer, and finds the
// change on record: in the profile's History and on the Activity page,
// with the name as given, the field and its values before and after. Run
// with JavaScript and without.
func TestTheHistoryShowsAnEditWithTheNameGiven(t *testing.T) {
	t.Parallel()
	withAndWithoutJS(t, func(t *testing.T, app *webApp, page playwright.Page, noJS bool, axe func(what string)) {

		_, err := page.Goto("/login")
		check(t, err, "opening /login")
		check(t, page.GetByLabel("Your name, shown in the history").Fill("Grace Hopper"), "typing a name")
		check(t, byRole(page, *playwright.AriaRoleButton, "Sign in with Square").Click(), `clicking "Sign in with Square"`)
		check(t, expect.Locator(page.GetByTestId("consent")).ToBeVisible(), "Square's consent page")
		check(t, byRole(page, *playwright.AriaRoleRadio, merchantHarbor).Check(), "choosing "+merchantHarbor)
		check(t, byRole(page, *playwright.AriaRoleButton, "Allow").Click(), `clicking "Allow"`)
		check(t, expect.Page(page).ToHaveURL(urlPath("/customers")), "landing on /customers")

		id, customer := namedCustomer(t, page)
		openEditForm(t, page, id, customer)
		fillCustomerForm(t, page, [][2]string{{"Nickname", "Amazing Grace"}})
		clickSave(t, page)
		waitProfile(t, page)
		expectFlashText(t, page, "Customer updated.")

		// The profile's History, newest first.
		entry := page.GetByTestId("history").GetByTestId("history-entry").First()
		check(t, expect.Locator(entry.GetByTestId("history-kind")).ToHaveText("Edited"), "the newest entry is the edit")
		check(t, expect.Locator(entry.GetByTestId("history-who")).ToHaveText("Grace Hopper"), "the entry names Grace Hopper")
		check(t, expect.Locator(entry).ToContainText("name as given at sign-in, not verified"), "the name is labelled as given")
		row := entry.GetByTestId("change")
		check(t, expect.Locator(row).ToHaveCount(1), "one field changed")
		check(t, expect.Locator(row.Locator("th")).ToHaveText("Nickname"), "the field is the nickname")
		check(t, expect.Locator(row.GetByTestId("change-after")).ToHaveText("Amazing Grace"), "the new nickname")
		axe("the profile with its history")

		// The Activity page, from the header.
		check(t, page.GetByRole(*playwright.AriaRoleNavigation, playwright.PageGetByRoleOptions{Name: "Main"}).
			GetByRole(*playwright.AriaRoleLink, playwright.LocatorGetByRoleOptions{Name: "Activity"}).Click(), `clicking "Activity"`)
		waitForPage(t, page, urlPath("/activity"), "the Activity page")
		entry = page.GetByTestId("activity").GetByTestId("history-entry").First()
		check(t, expect.Locator(entry.GetByTestId("history-customer")).ToHaveText(customer), "the entry names the customer")
		check(t, expect.Locator(entry.GetByTestId("history-who")).ToHaveText("Grace Hopper"), "the entry names Grace Hopper")
		check(t, expect.Locator(entry.GetByTestId("change-after")).ToHaveText("Amazing Grace"), "the new nickname")
		axe("the Activity page")

		// Filtering by kind keeps the edit; a bad date gets a message.
		_, err = page.GetByLabel("Change", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}).
			SelectOption(playwright.SelectOptionValues{Labels: &[]string{"Edited"}})
		check(t, err, "choosing Edited")
		check(t, byRole(page, *playwright.AriaRoleButton, "Apply filters").Click(), `clicking "Apply filters"`)
		waitForPage(t, page, regexp.MustCompile(`/activity\?.*kind=edited`), "the filtered page")
		check(t, expect.Locator(page.GetByTestId("history-entry")).ToHaveCount(1), "the one edit")
		_, err = page.Goto("/activity?from=someday")
		check(t, err, "opening a bad filter")
		check(t, expect.Locator(page.GetByTestId("error-summary")).ToContainText("Enter “From” as a date"), "the message")
		axe("the Activity page with a bad filter")
	})
}
