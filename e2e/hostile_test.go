package e2e

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/playwright-community/playwright-go"
)

// Hostile input in a real browser: customer fields that hold script run
// nothing wherever they are shown, and forms that another origin posts to
// Tessera change nothing. newPage already fails a test on a CSP violation
// or an uncaught script error; these tests also fail on any dialog.

// hostileFields are typed into the create form by label: a different
// payload in every free-text input, each naming itself in its alert.
var hostileFields = [][2]string{
	{"First name", `<script>alert("given")</script>`},
	{"Last name", `"><img src=x onerror=alert("family")>`},
	{"Nickname", `javascript:alert("nickname")`},
	{"Company", `</textarea><script>alert("company")</script>`},
	{"Email address", `"><svg/onload=alert("email")>@x.co`},
	{"Phone number", "+1 206 555 0100"},
	{"Address line 1", `{{7*7}} ${7*7} <%= 7*7 %>`},
	{"Address line 2", `'><svg onload=alert("line2")>`},
	{"Town or city", "\u202Egnp.exe\u202C"},
	{"State, province or region", `<iframe src="javascript:alert('region')"></iframe>`},
	{"Postal code", `<b onmouseover=alert("postal")>x</b>`},
	{"Reference ID", `<a href="javascript:alert('ref')">ref</a>`},
	{"Note", "</textarea><script>alert(\"note\")</script>\n<img src=x onerror=alert(\"note2\")>"},
}

// hostileValue is the payload typed into the input with label.
func hostileValue(label string) string {
	for _, lv := range hostileFields {
		if lv[0] == label {
			return lv[1]
		}
	}
	panic("no hostile value for " + label)
}

// failOnDialog fails the test if the page opens any dialog: an alert from
// a payload that ran, or anything else.
func failOnDialog(t *testing.T, page playwright.Page) {
	t.Helper()
	var mu sync.Mutex
	var opened []string
	page.OnDialog(func(d playwright.Dialog) {
		mu.Lock()
		opened = append(opened, d.Type()+": "+d.Message())
		mu.Unlock()
		_ = d.Dismiss()
	})
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range opened {
			t.Errorf("a dialog opened on %s: %s", page.URL(), d)
		}
	})
}

// expectNothingInjected checks the page in the browser: its scripts are
// all our files (squarelocal's card form on the card page), and nothing was made of the payloads that loads, embeds
// or handles events.
func expectNothingInjected(t *testing.T, page playwright.Page, where string) {
	t.Helper()
	found, err := page.Evaluate(`() => {
		const out = [];
		for (const s of document.scripts) {
			const path = s.src ? new URL(s.src).pathname : "";
			if (!path.startsWith("/static/") && path !== "/squarelocal/v1/square.js") out.push("script " + (s.src || s.textContent.slice(0, 40)));
		}
		for (const el of document.querySelectorAll("img, svg, iframe, object, embed, math, body style, body link, body meta")) out.push(el.tagName);
		for (const el of document.querySelectorAll("*")) {
			for (const a of el.attributes) {
				if (a.name.startsWith("on")) out.push(el.tagName + " " + a.name);
				if (["href", "src", "action", "formaction"].includes(a.name) && /^\s*javascript:/i.test(a.value)) out.push(el.tagName + " " + a.name + "=" + a.value);
			}
		}
		return out;
	}`)
	check(t, err, where+": inspecting the page")
	if list, _ := found.([]any); len(list) > 0 {
		t.Errorf("%s: injected or foreign content %v", where, list)
	}
}

// With JavaScript on: every payload is typed into the create form, comes
// back as typed after a validation error (swapped in by htmx), and shows
// as plain text on the profile, in the directory and its search box, in
// the edit form, on the delete confirmation and on the conflict page.
func TestHostileCustomerFieldsShowAsTextAndRunNothing(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	failOnDialog(t, page)
	signIn(t, page, merchantHarbor)

	check(t, byRole(page, *playwright.AriaRoleLink, "New customer").Click(), `clicking "New customer"`)
	check(t, expect.Locator(page.GetByTestId("form-heading")).ToHaveText("New customer"), "the create form")
	// The heading arrives before the rest of the page: count the controls
	// once the form's last one, its Save button, is there too.
	check(t, expect.Locator(byRole(page, *playwright.AriaRoleButton, "Save")).ToBeVisible(), "the whole create form")
	controls := page.Locator(`[data-testid="customer-form"] :is(input:not([type=hidden]), select, textarea)`)
	emptyControls, err := controls.Count()
	check(t, err, "counting the form's controls")

	// A bad email first: htmx swaps the form back with everything kept.
	fillCustomerForm(t, page, hostileFields)
	check(t, customerInput(page, "Email address").Fill(`"><svg/onload=alert("email")>`), "typing a bad email")
	clickSave(t, page)
	check(t, expect.Locator(page.GetByTestId("error-summary")).ToContainText(msgBadEmail), "the email problem")
	for _, lv := range hostileFields {
		if lv[0] != "Email address" {
			check(t, expect.Locator(customerInput(page, lv[0])).ToHaveValue(lv[1]), lv[0]+" is kept as typed")
		}
	}
	check(t, expect.Locator(controls).ToHaveCount(emptyControls), "the form has its own controls and no others")
	expectNothingInjected(t, page, "the create form after a problem")

	check(t, customerInput(page, "Email address").Fill(hostileValue("Email address")), "correcting the email")
	clickSave(t, page)
	id := waitProfile(t, page)
	given, family := hostileValue("First name"), hostileValue("Last name")
	name := given + " " + family
	check(t, expect.Locator(page.GetByTestId("customer-name")).ToHaveText(name), "the profile's heading")
	for key, label := range map[string]string{
		"given_name": "First name", "family_name": "Last name", "nickname": "Nickname", "company_name": "Company",
		"email_address": "Email address", "reference_id": "Reference ID",
	} {
		expectProfileDetail(t, page, key, hostileValue(label))
	}
	for _, label := range []string{"Address line 1", "Address line 2", "Town or city", "State, province or region", "Postal code"} {
		check(t, expect.Locator(page.GetByTestId("detail-address")).ToContainText(hostileValue(label)), "the profile's address shows "+label)
	}
	check(t, expect.Locator(page.GetByTestId("detail-note")).ToContainText(`</textarea><script>alert("note")</script>`), "the profile's note")
	expectNothingInjected(t, page, "the profile")

	// The directory, found by an exact search for the email address,
	// which the search box shows again.
	_, err = page.Goto("/customers?" + url.Values{"q": {hostileValue("Email address")}, "field": {"email"}, "match": {"exact"}}.Encode())
	check(t, err, "searching for the email")
	check(t, expect.Locator(customerRows(page)).ToHaveCount(1), "one match")
	check(t, expect.Locator(customerRows(page).First().GetByRole(*playwright.AriaRoleRowheader)).ToHaveText(name), "the row's name")
	check(t, expect.Locator(page.Locator("#search-q")).ToHaveValue(hostileValue("Email address")), "the search box")
	expectNothingInjected(t, page, "the directory")

	_, err = page.Goto("/customers/" + id + "/delete")
	check(t, err, "opening the delete confirmation")
	check(t, expect.Locator(page.GetByTestId("delete-confirm").GetByRole(*playwright.AriaRoleHeading, playwright.LocatorGetByRoleOptions{Level: playwright.Int(1)})).
		ToHaveText("Delete "+name+"?"), "the confirmation names the customer")
	expectNothingInjected(t, page, "the delete confirmation")

	// The card page gives the customer's contact to Square's card form,
	// which verifies the buyer with it; a card saved with it comes back
	// to the profile.
	_, err = page.Goto("/customers/" + id + "/cards/new")
	check(t, err, "opening the card page")
	check(t, expect.Locator(page.GetByTestId("card-page").GetByRole(*playwright.AriaRoleHeading, playwright.LocatorGetByRoleOptions{Level: playwright.Int(1)})).
		ToHaveText("Add a card for "+name), "the card page names the customer")
	contact, err := page.Locator(`input[name="billing_contact"]`).InputValue()
	check(t, err, "reading the billing contact")
	var k struct{ GivenName, Email string }
	if err := json.Unmarshal([]byte(contact), &k); err != nil || k.GivenName != given || k.Email != hostileValue("Email address") {
		t.Errorf("billing contact = %s (%v), want the name %q and email as typed", contact, err, given)
	}
	check(t, expect.Locator(cardSaveButton(page)).ToBeEnabled(), "Square's card form")
	expectNothingInjected(t, page, "the card page")
	fillCard(t, page, cardVisa, `<img src=x onerror=alert("cardholder")>`)
	check(t, cardSaveButton(page).Click(), `clicking "Save card"`)
	expectCardAdded(t, page, id, `<img src=x onerror=alert("cardholder")>`, "1111")
	expectNothingInjected(t, page, "the profile with the card")

	// The edit form holds every value; someone else saves first, and the
	// conflict page shows both payloads.
	openEditForm(t, page, id, name)
	for _, lv := range hostileFields {
		check(t, expect.Locator(customerInput(page, lv[0])).ToHaveValue(lv[1]), "the edit form's "+lv[0])
	}
	check(t, expect.Locator(controls).ToHaveCount(emptyControls), "the edit form has its own controls and no others")
	expectNothingInjected(t, page, "the edit form")

	other := newPage(t, app)
	failOnDialog(t, other)
	signIn(t, other, merchantHarbor)
	openEditForm(t, other, id, name)
	theirs := `<img src=x onerror=alert("theirs")>`
	fillCustomerForm(t, other, [][2]string{{"Nickname", theirs}})
	clickSave(t, other)
	waitProfile(t, other)
	expectProfileDetail(t, other, "nickname", theirs)

	mine := `<svg onload=alert("mine")>`
	fillCustomerForm(t, page, [][2]string{{"Nickname", mine}})
	clickSave(t, page)
	nick := page.Locator(`[data-testid="conflict-field"][data-field="nickname"]`)
	check(t, expect.Locator(nick.GetByTestId("conflict-mine")).ToHaveText(mine), "my nickname on the conflict page")
	check(t, expect.Locator(nick.GetByTestId("conflict-square")).ToHaveText(theirs), "theirs on the conflict page")
	expectNothingInjected(t, page, "the conflict page")
}

// attackerSite serves, on another loopback port, a page whose form posts
// itself to Tessera as soon as it loads, the classic cross-site request
// forgery. The path of the request picks the target and the fields.
func attackerSite(t *testing.T, app *webApp) *httptest.Server {
	t.Helper()
	forms := map[string]url.Values{
		"/logout":    {"_csrf": {"guessed"}},
		"/customers": {"_csrf": {"guessed"}, "idempotency_key": {"csrf-attack-key-000001"}, "given_name": {"Forged Customer"}},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fields, ok := forms[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		var inputs strings.Builder
		for k, vs := range fields {
			fmt.Fprintf(&inputs, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(vs[0]))
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Win a prize</title><form method="post" action="%s">%s</form><script>document.forms[0].submit()</script>`,
			html.EscapeString(app.URL+r.URL.Path), inputs.String())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A signed-in person opens pages of another origin, on 127.0.0.1 (the
// same site, another port, so the browser sends Tessera's cookies) and on
// localhost (another site): each posts a form to Tessera's sign-out and
// create. Tessera answers 403, and the person is still signed in with no
// new customer.
func TestFormsPostedFromAHostileOriginAreRefused(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	failOnDialog(t, page)
	signIn(t, page, merchantHarbor)
	evil := attackerSite(t, app)
	port := evil.URL[strings.LastIndex(evil.URL, ":")+1:]

	var mu sync.Mutex
	statuses := map[string]int{}
	page.OnResponse(func(r playwright.Response) {
		if r.Request().Method() == http.MethodPost && strings.HasPrefix(r.URL(), app.URL) {
			mu.Lock()
			statuses[strings.TrimPrefix(r.URL(), app.URL)] = r.Status()
			mu.Unlock()
		}
	})

	for _, origin := range []string{"http://127.0.0.1:" + port, "http://localhost:" + port} {
		for _, path := range []string{"/logout", "/customers"} {
			mu.Lock()
			delete(statuses, path)
			mu.Unlock()
			_, err := page.Goto(origin + path)
			check(t, err, "opening "+origin+path)
			waitForPage(t, page, regexp.MustCompile("^"+regexp.QuoteMeta(app.URL+path)+"$"), "the forged POST "+path+" from "+origin)
			check(t, expect.Locator(page.GetByTestId("error-page")).ToBeVisible(), "the refusal page")
			mu.Lock()
			got := statuses[path]
			mu.Unlock()
			if got != http.StatusForbidden {
				t.Errorf("POST %s from %s = %d, want 403", path, origin, got)
			}
		}
	}

	_, err := page.Goto("/customers")
	check(t, err, "back to the directory")
	check(t, expect.Page(page).ToHaveURL(urlPath("/customers")), "still signed in")
	check(t, expect.Locator(page.GetByTestId("business-name")).ToHaveText(merchantHarbor), "still signed in as "+merchantHarbor)
	_, err = page.Goto("/customers?sort=created&order=desc&size=25")
	check(t, err, "the newest customers")
	_, names := listedCustomers(t, page)
	for _, n := range names {
		if strings.Contains(n, "Forged") {
			t.Errorf("the directory lists %q, want no customer made by the forged form", n)
		}
	}
}
