package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/playwright-community/playwright-go"
)

// Creating, editing and deleting customers, with JavaScript (htmx, the
// delete dialog) and without it (plain forms, the confirmation page); and
// an edit conflict between two people.

// msgBadEmail is the form's message for an email address Square would refuse.
const msgBadEmail = "Enter an email address in the right format, like name@example.com."

// customerInput is an input of the customer form, found by its label.
func customerInput(page playwright.Page, label string) playwright.Locator {
	return page.GetByLabel(label, playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})
}

// profileURL matches a customer's profile; the id is its first group.
var profileURL = regexp.MustCompile(`/customers/([A-Za-z0-9_-]+)$`)

// waitProfile waits for a customer's profile and returns the customer's id.
func waitProfile(t *testing.T, page playwright.Page) string {
	t.Helper()
	check(t, expect.Page(page).ToHaveURL(profileURL), "a customer's profile")
	check(t, expect.Locator(page.GetByTestId("customer-profile")).ToBeVisible(), "the profile's details")
	return profileURL.FindStringSubmatch(page.URL())[1]
}

// expectFlashText checks the one message at the top of the page.
func expectFlashText(t *testing.T, page playwright.Page, msg string) {
	t.Helper()
	check(t, expect.Locator(page.GetByTestId("flash")).ToHaveText(msg), "the message "+msg)
}

// expectProfileDetail checks a value of the profile (detail-<key>).
func expectProfileDetail(t *testing.T, page playwright.Page, key, want string) {
	t.Helper()
	check(t, expect.Locator(page.GetByTestId("detail-"+key)).ToHaveText(want), "the profile's "+key)
}

// fillCustomerForm types values into the customer form's inputs, by label.
func fillCustomerForm(t *testing.T, page playwright.Page, values [][2]string) {
	t.Helper()
	for _, lv := range values {
		check(t, customerInput(page, lv[0]).Fill(lv[1]), "filling "+lv[0])
	}
}

// clickSave presses the form's "Save".
func clickSave(t *testing.T, page playwright.Page) {
	t.Helper()
	check(t, byRole(page, *playwright.AriaRoleButton, "Save").Click(), `clicking "Save"`)
}

// expectCustomerGone checks that a deleted customer's profile is a 404
// page with a way back, and that searching for its email finds nobody.
func expectCustomerGone(t *testing.T, page playwright.Page, id, emailWord string) {
	t.Helper()
	resp, err := page.Goto("/customers/" + id)
	check(t, err, "opening the deleted customer's profile")
	if resp.Status() != http.StatusNotFound {
		t.Errorf("the deleted customer's profile answers %d, want 404", resp.Status())
	}
	check(t, expect.Locator(byRole(page, *playwright.AriaRoleHeading, "Customer not found")).ToBeVisible(), "the 404 page")
	check(t, expect.Locator(byRole(page, *playwright.AriaRoleLink, "Go to customers")).ToBeVisible(), "the 404 page's way back")

	_, err = page.Goto("/customers?" + url.Values{"q": {emailWord}, "field": {"email"}}.Encode())
	check(t, err, "searching for the deleted customer")
	check(t, expect.Locator(page.GetByTestId("no-results")).ToBeVisible(), "no customer matches the deleted one's email")
}

// createWithBadEmail opens "New customer", saves it with a bad email
// address, checks the messages and that nothing typed was lost, then fixes
// the address and saves: the profile shows "Customer created." and the
// values. It returns the new customer's id.
func createWithBadEmail(t *testing.T, page playwright.Page, given, family, email, phone, note string, js bool) string {
	t.Helper()
	check(t, byRole(page, *playwright.AriaRoleLink, "New customer").Click(), `clicking "New customer"`)
	check(t, expect.Page(page).ToHaveURL(urlPath("/customers/new")), "the create form's address")
	check(t, expect.Locator(page.GetByTestId("form-heading")).ToHaveText("New customer"), "the create form")

	bad := "not-an-email@" + family
	fillCustomerForm(t, page, [][2]string{
		{"First name", given}, {"Last name", family}, {"Email address", bad}, {"Phone number", phone}, {"Note", note},
	})
	clickSave(t, page)

	summary := page.GetByTestId("error-summary")
	check(t, expect.Locator(summary).ToBeVisible(), "the error summary")
	check(t, expect.Locator(summary).ToContainText(msgBadEmail), "the summary names the email problem")
	check(t, expect.Locator(summary.GetByRole(*playwright.AriaRoleLink, playwright.LocatorGetByRoleOptions{Name: msgBadEmail})).
		ToHaveAttribute("href", "#field-email_address"), "the summary links to the email input")
	check(t, expect.Locator(page.Locator("#field-email_address-error")).ToHaveText("Error: "+msgBadEmail), "the message beside the email input")
	emailInput := customerInput(page, "Email address")
	check(t, expect.Locator(emailInput).ToHaveAttribute("aria-invalid", "true"), "the email input is marked invalid")
	check(t, expect.Locator(emailInput).ToHaveAccessibleDescription(regexp.MustCompile(regexp.QuoteMeta(msgBadEmail))), "the email input is described by its message")
	check(t, expect.Locator(page.GetByTestId("field-error")).ToHaveCount(1), "only the email input has a message")
	if js {
		check(t, expect.Locator(summary).ToBeFocused(), "the focus moves to the error summary")
	}
	// Nothing typed is lost, and no customer was made. htmx swaps the
	// form in place; without it the form comes back as the POST's answer.
	if js {
		check(t, expect.Page(page).ToHaveURL(urlPath("/customers/new")), "htmx keeps the form's address")
	} else {
		check(t, expect.Page(page).ToHaveURL(urlPath("/customers")), "the form comes back from its POST")
	}
	check(t, expect.Locator(page.GetByTestId("form-heading")).ToHaveText("New customer"), "still the create form")
	check(t, expect.Locator(customerInput(page, "First name")).ToHaveValue(given), "the first name is kept")
	check(t, expect.Locator(customerInput(page, "Last name")).ToHaveValue(family), "the last name is kept")
	check(t, expect.Locator(emailInput).ToHaveValue(bad), "the bad email is kept to be corrected")
	check(t, expect.Locator(customerInput(page, "Phone number")).ToHaveValue(phone), "the phone number is kept")
	check(t, expect.Locator(customerInput(page, "Note")).ToHaveValue(note), "the note is kept")

	check(t, emailInput.Fill(email), "correcting the email address")
	clickSave(t, page)
	id := waitProfile(t, page)
	expectFlashText(t, page, "Customer created.")
	check(t, expect.Locator(page.GetByTestId("customer-name")).ToHaveText(given+" "+family), "the new customer's name")
	expectProfileDetail(t, page, "given_name", given)
	expectProfileDetail(t, page, "family_name", family)
	expectProfileDetail(t, page, "email_address", email)
	expectProfileDetail(t, page, "phone_number", phone)
	expectProfileDetail(t, page, "note", note)
	return id
}

// editOnProfile opens "Edit" on the profile, sets the nickname, empties
// the note and saves: the profile says "Customer updated." and shows both.
func editOnProfile(t *testing.T, page playwright.Page, name, email, nickname string) {
	t.Helper()
	check(t, page.GetByTestId("edit-customer").Click(), `clicking "Edit"`)
	check(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`/customers/[A-Za-z0-9_-]+/edit$`)), "the edit form's address")
	check(t, expect.Locator(page.GetByTestId("form-heading")).ToHaveText("Edit "+name), "the edit form")
	check(t, expect.Locator(customerInput(page, "Email address")).ToHaveValue(email), "the form holds the customer's email")
	fillCustomerForm(t, page, [][2]string{{"Nickname", nickname}, {"Note", ""}})
	clickSave(t, page)
	waitProfile(t, page)
	expectFlashText(t, page, "Customer updated.")
	expectProfileDetail(t, page, "nickname", nickname)
	expectProfileDetail(t, page, "note", "Not provided")
	expectProfileDetail(t, page, "email_address", email)
}

// With JavaScript: create (a validation error first), edit, then delete
// through the profile's dialog.
func TestCreateEditDeleteCustomer(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)

	const given, family, email = "Imogen", "Farthingale", "imogen.farthingale@example.com"
	id := createWithBadEmail(t, page, given, family, email, "+1 206 555 0142", "Prefers the window seat.", true)
	editOnProfile(t, page, given+" "+family, email, "Immy")

	// Delete opens a dialog that names the customer; Cancel closes it.
	dialog := page.GetByTestId("delete-dialog")
	check(t, page.GetByTestId("delete-customer").Click(), `clicking "Delete"`)
	check(t, expect.Locator(dialog).ToBeVisible(), "the delete dialog")
	check(t, expect.Locator(dialog.GetByRole(*playwright.AriaRoleHeading)).ToHaveText("Delete "+given+" "+family+"?"), "the dialog names the customer")
	check(t, dialog.GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: "Cancel"}).Click(), `clicking "Cancel"`)
	check(t, expect.Locator(dialog).ToBeHidden(), "Cancel closes the dialog")
	check(t, expect.Page(page).ToHaveURL(urlPath("/customers/"+id)), "Cancel stays on the profile")

	check(t, page.GetByTestId("delete-customer").Click(), `clicking "Delete" again`)
	check(t, expect.Locator(dialog).ToBeVisible(), "the delete dialog again")
	check(t, dialog.GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: "Delete customer"}).Click(), `clicking "Delete customer"`)
	waitForPage(t, page, regexp.MustCompile(`/customers$`), "the directory after the delete")
	expectFlashText(t, page, "Customer deleted.")
	expectCustomerGone(t, page, id, "farthingale")
}

// Without JavaScript every form posts as a plain form: create (a
// validation error first), edit, and delete through the confirmation page.
func TestCreateEditDeleteCustomerWithoutJavaScript(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app, contextOptions{noJS: true})
	signIn(t, page, merchantHarbor)

	const given, family, email = "Octavia", "Quillfeather", "octavia@quillfeather.example.org"
	id := createWithBadEmail(t, page, given, family, email, "(206) 555-0187", "Pays by invoice.", false)
	editOnProfile(t, page, given+" "+family, email, "Tavi")

	// Delete leads to a confirmation page that names the customer; its
	// Cancel leads back to the profile.
	check(t, page.GetByTestId("delete-customer").Click(), `clicking "Delete"`)
	waitForPage(t, page, urlPath("/customers/"+id+"/delete"), "the confirmation page")
	confirm := page.GetByTestId("delete-confirm")
	check(t, expect.Locator(confirm.GetByRole(*playwright.AriaRoleHeading, playwright.LocatorGetByRoleOptions{Level: playwright.Int(1)})).
		ToHaveText("Delete "+given+" "+family+"?"), "the confirmation names the customer")
	check(t, page.GetByTestId("cancel-delete").Click(), `clicking "Cancel"`)
	waitForPage(t, page, urlPath("/customers/"+id), "Cancel leads back to the profile")
	expectProfileDetail(t, page, "nickname", "Tavi")

	check(t, page.GetByTestId("delete-customer").Click(), `clicking "Delete" again`)
	waitForPage(t, page, urlPath("/customers/"+id+"/delete"), "the confirmation page again")
	check(t, confirm.GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: "Delete customer"}).Click(), `clicking "Delete customer"`)
	waitForPage(t, page, regexp.MustCompile(`/customers$`), "the directory after the delete")
	expectFlashText(t, page, "Customer deleted.")
	expectCustomerGone(t, page, id, "quillfeather")
}

// namedCustomer returns the id and name of a customer on the directory's
// first page who has a name.
func namedCustomer(t *testing.T, page playwright.Page) (id, name string) {
	t.Helper()
	ids, names := listedCustomers(t, page)
	for i, n := range names {
		if regexp.MustCompile(`^[A-Z][a-z]+ [A-Z][a-z]+$`).MatchString(n) {
			return ids[i], n
		}
	}
	t.Fatalf("no customer with a plain name on the first page: %q", names)
	return "", ""
}

// openEditForm opens a customer's edit form directly.
func openEditForm(t *testing.T, page playwright.Page, id, name string) {
	t.Helper()
	_, err := page.Goto("/customers/" + id + "/edit")
	check(t, err, "opening the edit form")
	check(t, expect.Locator(page.GetByTestId("form-heading")).ToHaveText("Edit "+name), "the edit form of "+name)
}

// Two people edit the same customer at once. The first saves; the
// second's save does not overwrite that, but shows both values for each
// difference; the second person chooses, saves, and the profile shows
// exactly the chosen values.
func TestEditConflictAcrossTwoBrowsers(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	alice, bob := newPage(t, app), newPage(t, app) // two contexts, two sessions
	signIn(t, alice, merchantHarbor)
	signIn(t, bob, merchantHarbor)
	id, name := namedCustomer(t, alice)

	openEditForm(t, alice, id, name)
	openEditForm(t, bob, id, name)
	oldNote, err := customerInput(bob, "Note").InputValue()
	check(t, err, "reading the note")
	if oldNote == "" {
		oldNote = "(empty)"
	}

	// Alice changes the nickname and the note, and saves first.
	fillCustomerForm(t, alice, [][2]string{{"Nickname", "Skipper A"}, {"Note", "Changed by A"}})
	clickSave(t, alice)
	waitProfile(t, alice)
	expectFlashText(t, alice, "Customer updated.")
	expectProfileDetail(t, alice, "nickname", "Skipper A")

	// Bob, on the form he opened before, changes the nickname only.
	fillCustomerForm(t, bob, [][2]string{{"Nickname", "Skipper B"}})
	clickSave(t, bob)
	conflict := bob.GetByTestId("conflict")
	check(t, expect.Locator(conflict).ToBeVisible(), "the conflict page")
	check(t, expect.Locator(bob.GetByRole(*playwright.AriaRoleHeading, playwright.PageGetByRoleOptions{Level: playwright.Int(1)})).
		ToHaveText(name+" was changed while you were editing"), "the conflict page's heading")
	rows := bob.GetByTestId("conflict-field")
	check(t, expect.Locator(rows).ToHaveCount(2), "two fields differ: the nickname and the note")
	nick := bob.Locator(`[data-testid="conflict-field"][data-field="nickname"]`)
	note := bob.Locator(`[data-testid="conflict-field"][data-field="note"]`)
	check(t, expect.Locator(nick.GetByTestId("conflict-mine")).ToHaveText("Skipper B"), "Bob's nickname")
	check(t, expect.Locator(nick.GetByTestId("conflict-square")).ToHaveText("Skipper A"), "Alice's nickname, in Square now")
	check(t, expect.Locator(note.GetByTestId("conflict-mine")).ToHaveText(oldNote), "the note as Bob opened it")
	check(t, expect.Locator(note.GetByTestId("conflict-square")).ToHaveText("Changed by A"), "Alice's note, in Square now")
	mineNick := nick.GetByRole(*playwright.AriaRoleRadio, playwright.LocatorGetByRoleOptions{Name: "Your version"})
	squareNote := note.GetByRole(*playwright.AriaRoleRadio, playwright.LocatorGetByRoleOptions{Name: "In Square now"})
	check(t, expect.Locator(mineNick).ToBeChecked(), "Bob's changed nickname is preselected")
	check(t, expect.Locator(squareNote).ToBeChecked(), "Alice's note, which Bob did not touch, is preselected")

	// Nothing was overwritten meanwhile.
	_, err = alice.Reload()
	check(t, err, "Alice reloads the profile")
	expectProfileDetail(t, alice, "nickname", "Skipper A")
	expectProfileDetail(t, alice, "note", "Changed by A")

	// Bob keeps his nickname and Alice's note.
	check(t, mineNick.Check(), "choosing Bob's nickname")
	check(t, squareNote.Check(), "choosing Alice's note")
	clickSave(t, bob)
	if got := waitProfile(t, bob); got != id {
		t.Fatalf("saving the choices led to the profile of %s, want %s", got, id)
	}
	expectFlashText(t, bob, "Customer updated.")
	expectProfileDetail(t, bob, "nickname", "Skipper B")
	expectProfileDetail(t, bob, "note", "Changed by A")

	_, err = alice.Reload()
	check(t, err, "Alice reloads the profile again")
	expectProfileDetail(t, alice, "nickname", "Skipper B")
	expectProfileDetail(t, alice, "note", "Changed by A")
}
