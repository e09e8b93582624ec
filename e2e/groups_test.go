package e2e

import (
	"testing"

	"github.com/playwright-community/playwright-go"
)

// Groups and bulk actions, with JavaScript and without: a group is made,
// three customers are added to it from the directory, the directory
// filtered by it shows them, one is removed on its profile, and the group
// is deleted after a confirmation naming its members; then five customers
// are selected and deleted after confirming. axe checks each new page.
func TestGroupsAndBulkActions(t *testing.T) {
	t.Parallel()
	withAndWithoutJS(t, func(t *testing.T, app *webApp, page playwright.Page, noJS bool, axe func(what string)) {
		signIn(t, page, merchantHarbor)
		group := "Tasting club"

		// A new group from the Groups page.
		check(t, page.GetByRole(*playwright.AriaRoleNavigation, playwright.PageGetByRoleOptions{Name: "Main"}).
			GetByRole(*playwright.AriaRoleLink, playwright.LocatorGetByRoleOptions{Name: "Groups"}).Click(), "the Groups link")
		check(t, expect.Page(page).ToHaveURL(urlPath("/groups")), "the groups page")
		axe("the groups page")
		check(t, page.GetByLabel("Name", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}).Fill(group), "typing the name")
		check(t, byRole(page, *playwright.AriaRoleButton, "Create group").Click(), "Create group")
		row := page.GetByTestId("group-row").Filter(playwright.LocatorFilterOptions{HasText: group})
		check(t, expect.Locator(row).ToBeVisible(), "the new group's row")
		gid, err := row.GetAttribute("data-group-id")
		check(t, err, "the group's id")

		// Three customers added from the directory.
		_, err = page.Goto("/customers")
		check(t, err, "the directory")
		check(t, page.GetByTestId("select-mode").Click(), "Select customers")
		check(t, expect.Page(page).ToHaveURL(urlPath("/customers/select")), "selection mode")
		_, names := listedCustomers(t, page)
		axe("the directory in selection mode")
		for _, n := range names[:3] {
			check(t, page.GetByRole(*playwright.AriaRoleCheckbox, playwright.PageGetByRoleOptions{Name: "Select " + n, Exact: playwright.Bool(true)}).Check(), "ticking "+n)
		}
		check(t, byRole(page, *playwright.AriaRoleButton, "Add to group").Click(), "Add to group")
		check(t, expect.Locator(page.GetByTestId("bulk-count")).ToHaveText("3 customers selected:"), "the confirmation")
		axe("the bulk confirmation")
		check(t, page.GetByRole(*playwright.AriaRoleRadio, playwright.PageGetByRoleOptions{Name: group}).Check(), "choosing the group")
		check(t, page.GetByTestId("confirm-bulk").Click(), "confirming")
		check(t, expect.Locator(page.GetByTestId("job-summary")).ToHaveText("Finished: 3 customers added to “"+group+"”."), "the job's summary")
		axe("the job page")

		// Filtered by the group, the directory shows the three.
		_, err = page.Goto("/customers?group=" + gid)
		check(t, err, "the directory filtered by the group")
		check(t, expect.Locator(customerRows(page)).ToHaveCount(3), "three members")

		// One removed on its profile.
		check(t, customerRows(page).First().GetByRole(*playwright.AriaRoleLink).First().Click(), "opening a member")
		waitProfile(t, page)
		axe("the profile with its groups")
		check(t, page.GetByRole(*playwright.AriaRoleButton, playwright.PageGetByRoleOptions{Name: "Remove from group " + group}).Click(), "Remove from group")
		check(t, expect.Locator(page.GetByTestId("profile-group").Filter(playwright.LocatorFilterOptions{HasText: group})).ToHaveCount(0), "the group gone from the profile's groups")

		// The group deleted after a confirmation naming its members.
		_, err = page.Goto("/groups")
		check(t, err, "the groups page")
		check(t, page.GetByRole(*playwright.AriaRoleLink, playwright.PageGetByRoleOptions{Name: "Delete " + group}).Click(), "Delete group")
		check(t, expect.Locator(page.GetByTestId("delete-group-members")).ToContainText("2 customers are in this group"), "the member count")
		axe("the group delete confirmation")
		check(t, page.GetByTestId("confirm-delete-group").Click(), "confirming")
		check(t, expect.Page(page).ToHaveURL(urlPath("/groups")), "back on the groups page")
		check(t, expect.Locator(page.GetByTestId("group-row").Filter(playwright.LocatorFilterOptions{HasText: group})).ToHaveCount(0), "the group gone")

		// Five selected and deleted after confirming.
		_, err = page.Goto("/customers/select")
		check(t, err, "selection mode")
		_, names = listedCustomers(t, page)
		for _, n := range names[:5] {
			check(t, page.GetByRole(*playwright.AriaRoleCheckbox, playwright.PageGetByRoleOptions{Name: "Select " + n, Exact: playwright.Bool(true)}).Check(), "ticking "+n)
		}
		check(t, byRole(page, *playwright.AriaRoleButton, "Delete selected").Click(), "Delete selected")
		check(t, expect.Locator(page.GetByRole(*playwright.AriaRoleHeading, playwright.PageGetByRoleOptions{Level: playwright.Int(1)})).ToHaveText("Delete 5 customers?"), "the delete confirmation")
		check(t, expect.Locator(page.GetByTestId("bulk-names").GetByRole(*playwright.AriaRoleListitem)).ToHaveCount(5), "the five names")
		check(t, page.GetByTestId("confirm-bulk").Click(), "confirming the delete")
		check(t, expect.Locator(page.GetByTestId("job-summary")).ToHaveText("Finished: 5 customers deleted."), "the delete's summary")
		check(t, expect.Locator(page.GetByTestId("job-done").GetByRole(*playwright.AriaRoleListitem)).ToHaveCount(5), "the five listed as deleted")
		_, err = page.Goto("/customers")
		check(t, err, "the directory")
		for _, n := range names[:5] {
			check(t, expect.Locator(customerRows(page).GetByRole(*playwright.AriaRoleRowheader, playwright.LocatorGetByRoleOptions{Name: n, Exact: playwright.Bool(true)})).ToHaveCount(0), n+" gone")
		}
	})
}
