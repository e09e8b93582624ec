package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// Writes while Square misbehaves, in a real browser with JavaScript:
// squarelocal's fault injection, driven over its HTTP controls, makes one
// endpoint answer 503 on every call or drop the connection after applying
// the write. The page must say whether the change happened (the messages
// of docs/reliability.md's fault matrix), keep exactly what was typed, and
// the person's own retry must leave exactly one effect at Square.

// Square's write endpoints, as squarelocal's call log names them.
const (
	epCreateCustomer = "POST /v2/customers"
	epUpdateCustomer = "PUT /v2/customers/{customer_id}"
	epDeleteCustomer = "DELETE /v2/customers/{customer_id}"
	epCreateCard     = "POST /v2/cards"
	epDisableCard    = "POST /v2/cards/{card_id}/disable"
)

// faultsURL is squarelocal's fault control, served under Tessera's own
// address in local mode.
func faultsURL(app *webApp) string {
	return app.URL + "/squarelocal/_squarelocal/faults"
}

// injectFault switches on a fault of kind on endpoint, for the next count
// calls (0: every call until cleared).
func injectFault(t *testing.T, app *webApp, kind, endpoint string, count int) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"kind": kind, "endpoint": endpoint, "count": count})
	check(t, err, "encoding the fault")
	resp, err := http.Post(faultsURL(app), "application/json", strings.NewReader(string(body)))
	check(t, err, "injecting a fault")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s (%s) = %d, want 200", faultsURL(app), body, resp.StatusCode)
	}
}

// clearFaults switches every fault off.
func clearFaults(t *testing.T, app *webApp) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, faultsURL(app), nil)
	check(t, err, "building the request that clears faults")
	req.Header.Set(squarelocal.ControlHeader, "1")
	resp, err := http.DefaultClient.Do(req)
	check(t, err, "clearing faults")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE %s = %d, want 200", faultsURL(app), resp.StatusCode)
	}
}

// loggedCall is one call of squarelocal's call log.
type loggedCall struct {
	Pattern        string `json:"pattern"`
	Path           string `json:"path"`
	Status         int    `json:"status"`
	Fault          string `json:"fault"`
	IdempotencyKey string `json:"idempotency_key"`
}

// getCallLog asks for squarelocal's call log as a test program must: with
// the control header, which no web page can send cross-site unasked.
func getCallLog(t *testing.T, app *webApp) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, app.URL+"/squarelocal/_squarelocal/calls", nil)
	check(t, err, "building the request for squarelocal's call log")
	req.Header.Set(squarelocal.ControlHeader, "1")
	resp, err := http.DefaultClient.Do(req)
	check(t, err, "reading squarelocal's call log")
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("GET squarelocal's call log = %d, want 200", resp.StatusCode)
	}
	return resp
}

// callsTo returns the logged calls of a route pattern, in order.
func callsTo(t *testing.T, app *webApp, pattern string) []loggedCall {
	t.Helper()
	resp := getCallLog(t, app)
	defer resp.Body.Close()
	var log struct {
		Calls []loggedCall `json:"calls"`
	}
	check(t, json.NewDecoder(resp.Body).Decode(&log), "decoding squarelocal's call log")
	var out []loggedCall
	for _, c := range log.Calls {
		if c.Pattern == pattern {
			out = append(out, c)
		}
	}
	return out
}

// applied counts the calls of a pattern that Square applied: answered 200,
// or dropped after the write.
func applied(calls []loggedCall) int {
	n := 0
	for _, c := range calls {
		if c.Status == http.StatusOK || c.Fault == "drop_after_write" {
			n++
		}
	}
	return n
}

// idempotencyKeys returns the distinct idempotency keys of calls ("" too).
func idempotencyKeys(calls []loggedCall) []string {
	seen := map[string]bool{}
	var keys []string
	for _, c := range calls {
		if !seen[c.IdempotencyKey] {
			seen[c.IdempotencyKey] = true
			keys = append(keys, c.IdempotencyKey)
		}
	}
	return keys
}

// expectSaveFailed checks the failure alert of a customer form or a
// confirmation page, and that no success message shows.
func expectSaveFailed(t *testing.T, page playwright.Page, title string) {
	t.Helper()
	// A page answer carries the message in the form (save-failed); an
	// htmx answer puts it into the page's alert region (alert).
	alert := page.Locator(`[data-testid="save-failed"], [data-testid="alert"]`)
	check(t, expect.Locator(alert).ToHaveCount(1), "the failure message "+title)
	check(t, expect.Locator(alert.Locator("strong")).ToHaveText(title), "the failure says "+title)
	check(t, expect.Locator(page.GetByTestId("flash")).ToHaveCount(0), "no success message with "+title)
}

// expectValues checks that inputs, found by label, hold exactly values.
func expectValues(t *testing.T, find func(label string) playwright.Locator, values [][2]string, when string) {
	t.Helper()
	for _, lv := range values {
		got, err := find(lv[0]).InputValue()
		check(t, err, "reading "+lv[0])
		if got != lv[1] {
			t.Errorf("%s: InputValue(%q) = %q, want %q", when, lv[0], got, lv[1])
		}
	}
}

// countSearch searches the directory's emails for word and returns the
// number of customers found.
func countSearch(t *testing.T, page playwright.Page, word string) int {
	t.Helper()
	_, err := page.Goto("/customers?" + url.Values{"q": {word}, "field": {"email"}}.Encode())
	check(t, err, "searching for "+word)
	check(t, page.WaitForLoadState(), "the search loads")
	n, err := customerRows(page).Count()
	check(t, err, "counting the rows")
	return n
}

// createCustomerUnderFault opens "New customer", types values, saves with
// a fault on CreateCustomer and returns the values typed.
func createCustomerUnderFault(t *testing.T, app *webApp, page playwright.Page, kind string, count int, given, family, email string) [][2]string {
	t.Helper()
	_, err := page.Goto("/customers/new")
	check(t, err, "opening the create form")
	check(t, expect.Locator(page.GetByTestId("form-heading")).ToHaveText("New customer"), "the create form")
	values := [][2]string{
		{"First name", given}, {"Last name", family}, {"Email address", email},
		{"Phone number", "+1 206 555 0199"}, {"Note", "Typed while Square was " + kind + "."},
	}
	fillCustomerForm(t, page, values)
	injectFault(t, app, kind, epCreateCustomer, count)
	clickSave(t, page)
	return values
}

func TestCreatingACustomerWhenSquareFailsSaysWhetherItWasSavedAndTheRetryCreatesOne(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)

	// 503 on every call: "not saved", the form as typed; the retry saves.
	values := createCustomerUnderFault(t, app, page, "unavailable", 0, "Perpetua", "Wolstenholme", "perpetua@wolstenholme.example.org")
	expectSaveFailed(t, page, "The customer was not saved.")
	check(t, expect.Locator(page.GetByTestId("form-heading")).ToHaveText("New customer"), "still the create form")
	expectValues(t, func(l string) playwright.Locator { return customerInput(page, l) }, values, "after the 503")
	if calls := callsTo(t, app, epCreateCustomer); len(calls) != 3 || applied(calls) != 0 {
		t.Errorf("callsTo(%s) after the 503 = %d calls, %d applied; want 3 (the client's attempts), 0", epCreateCustomer, len(calls), applied(calls))
	}
	clearFaults(t, app)
	clickSave(t, page)
	waitProfile(t, page)
	expectFlashText(t, page, "Customer created.")
	expectProfileDetail(t, page, "email_address", "perpetua@wolstenholme.example.org")
	calls := callsTo(t, app, epCreateCustomer)
	if got := applied(calls); got != 1 {
		t.Errorf("applied(%s) after the retry = %d, want 1", epCreateCustomer, got)
	}
	if keys := idempotencyKeys(calls); len(keys) != 1 || keys[0] == "" {
		t.Errorf("idempotencyKeys(%s) = %q, want the form's one key", epCreateCustomer, keys)
	}
	if got := countSearch(t, page, "wolstenholme"); got != 1 {
		t.Errorf("countSearch(wolstenholme) = %d, want 1", got)
	}

	// One dropped answer: the client retries the keyed create, Square
	// answers with the customer it already made, and there is one.
	before := len(callsTo(t, app, epCreateCustomer))
	createCustomerUnderFault(t, app, page, "drop_after_write", 1, "Barnaby", "Quenneville", "barnaby@quenneville.example.org")
	waitProfile(t, page)
	expectFlashText(t, page, "Customer created.")
	calls = callsTo(t, app, epCreateCustomer)[before:]
	if len(calls) != 2 {
		t.Errorf("len(callsTo(%s)) after one drop = %d, want 2 (the drop and the client's retry)", epCreateCustomer, len(calls))
	}
	if keys := idempotencyKeys(calls); len(keys) != 1 || keys[0] == "" {
		t.Errorf("idempotencyKeys(%s) after one drop = %q, want one key", epCreateCustomer, keys)
	}
	if got := countSearch(t, page, "quenneville"); got != 1 {
		t.Errorf("countSearch(quenneville) = %d, want 1", got)
	}
}

func TestEditingAndDeletingACustomerWhileSquareIsDownSayNotSavedAndTheRetryAppliesOnce(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	id, name := namedCustomer(t, page)

	// Edit: 503 on every call.
	openEditForm(t, page, id, name)
	values := [][2]string{{"Nickname", "Faulty Nick"}, {"Note", "Typed while Square was down."}}
	fillCustomerForm(t, page, values)
	injectFault(t, app, "unavailable", epUpdateCustomer, 0)
	clickSave(t, page)
	expectSaveFailed(t, page, "Your changes were not saved.")
	check(t, expect.Locator(page.GetByTestId("form-heading")).ToHaveText("Edit "+name), "still the edit form")
	expectValues(t, func(l string) playwright.Locator { return customerInput(page, l) }, values, "after the 503")
	if got := len(callsTo(t, app, epUpdateCustomer)); got != 1 {
		t.Errorf("len(callsTo(%s)) after the 503 = %d, want 1 (never retried)", epUpdateCustomer, got)
	}
	clearFaults(t, app)
	clickSave(t, page)
	waitProfile(t, page)
	expectFlashText(t, page, "Customer updated.")
	expectProfileDetail(t, page, "nickname", "Faulty Nick")
	expectProfileDetail(t, page, "note", "Typed while Square was down.")
	if got := applied(callsTo(t, app, epUpdateCustomer)); got != 1 {
		t.Errorf("applied(%s) after the retry = %d, want 1", epUpdateCustomer, got)
	}

	// Delete: 503 on every call, through the profile's dialog.
	injectFault(t, app, "unavailable", epDeleteCustomer, 0)
	dialog := page.GetByTestId("delete-dialog")
	check(t, page.GetByTestId("delete-customer").Click(), `clicking "Delete"`)
	check(t, expect.Locator(dialog).ToBeVisible(), "the delete dialog")
	check(t, dialog.GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: "Delete customer"}).Click(), `clicking "Delete customer"`)
	expectSaveFailed(t, page, "The customer was not deleted.")
	if got := len(callsTo(t, app, epDeleteCustomer)); got != 1 {
		t.Errorf("len(callsTo(%s)) after the 503 = %d, want 1 (never retried)", epDeleteCustomer, got)
	}
	clearFaults(t, app)
	check(t, page.GetByTestId("delete-form").GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: "Delete customer"}).Click(), `clicking "Delete customer" again`)
	expectFlashText(t, page, "Customer deleted.")
	if got := applied(callsTo(t, app, epDeleteCustomer)); got != 1 {
		t.Errorf("applied(%s) after the retry = %d, want 1", epDeleteCustomer, got)
	}
	resp, err := page.Goto("/customers/" + id)
	check(t, err, "opening the deleted customer's profile")
	if resp.Status() != http.StatusNotFound {
		t.Errorf("GET /customers/%s = %d, want 404", id, resp.Status())
	}
}

func TestAttachingAndRemovingACardWhenSquareFailsSayWhetherItHappenedAndTheRetryAppliesOnce(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	id := openCardProfile(t, page)
	cardValues := func(holder string) [][2]string {
		return [][2]string{
			{"Cardholder name", holder}, {"Card number", cardVisa.number}, {"Expiration", cardVisa.exp},
			{"CVV", cardVisa.cvv}, {"Postal code", cardVisa.postal},
		}
	}
	find := func(l string) playwright.Locator { return cardField(page, l) }

	// Attach: 503 on every call; the card form keeps what was typed.
	openCardForm(t, page, id)
	fillCard(t, page, cardVisa, "Outage Holder")
	injectFault(t, app, "unavailable", epCreateCard, 0)
	check(t, cardSaveButton(page).Click(), `clicking "Save card"`)
	alert := page.GetByTestId("alert")
	check(t, expect.Locator(alert.Locator("strong")).ToHaveText("The card was not saved."), "the message The card was not saved.")
	check(t, expect.Locator(cardSaveButton(page)).ToBeEnabled(), "Save card, ready again")
	expectValues(t, find, cardValues("Outage Holder"), "after the 503")
	if calls := callsTo(t, app, epCreateCard); len(calls) != 3 || applied(calls) != 0 {
		t.Errorf("callsTo(%s) after the 503 = %d calls, %d applied; want 3 (the client's attempts), 0", epCreateCard, len(calls), applied(calls))
	}
	clearFaults(t, app)
	check(t, cardSaveButton(page).Click(), `clicking "Save card" again`)
	item := expectCardAdded(t, page, id, "Outage Holder", "1111")
	if got := applied(callsTo(t, app, epCreateCard)); got != 1 {
		t.Errorf("applied(%s) after the retry = %d, want 1", epCreateCard, got)
	}

	// Attach: one dropped answer; the client retries the keyed create and
	// Square answers with the card it stored: one card.
	before := len(callsTo(t, app, epCreateCard))
	openCardForm(t, page, id)
	fillCard(t, page, cardVisa, "Dropped Holder")
	injectFault(t, app, "drop_after_write", epCreateCard, 1)
	check(t, cardSaveButton(page).Click(), `clicking "Save card" with one drop`)
	dropped := expectCardAdded(t, page, id, "Dropped Holder", "1111")
	calls := callsTo(t, app, epCreateCard)[before:]
	if got := applied(calls); got != 2 || len(calls) != 2 {
		t.Errorf("callsTo(%s) after one drop = %d calls, %d applied; want 2 calls (the drop and the retry)", epCreateCard, len(calls), got)
	}
	if keys := idempotencyKeys(calls); len(keys) != 1 || keys[0] == "" {
		t.Errorf("idempotencyKeys(%s) after one drop = %q, want one key", epCreateCard, keys)
	}

	// Remove: 503 on every call; the confirmation page says so, and
	// pressing Remove card again removes it once.
	label := "Remove Visa ending in 1111"
	injectFault(t, app, "unavailable", epDisableCard, 0)
	check(t, item.GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: label}).Click(), `clicking "Remove"`)
	dialog := page.Locator("dialog[open]")
	check(t, dialog.GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: "Remove card"}).Click(), `clicking "Remove card"`)
	expectSaveFailed(t, page, "The card was not removed.")
	if calls := callsTo(t, app, epDisableCard); len(calls) != 3 || applied(calls) != 0 {
		t.Errorf("callsTo(%s) after the 503 = %d calls, %d applied; want 3 (the client's attempts), 0", epDisableCard, len(calls), applied(calls))
	}
	clearFaults(t, app)
	check(t, page.GetByTestId("confirm-remove-card").Click(), `clicking "Remove card" again`)
	expectFlashText(t, page, "Card removed.")
	check(t, expect.Locator(page.Locator("li[data-card-id]").Filter(playwright.LocatorFilterOptions{HasText: "Outage Holder"})).ToHaveCount(0), "the card is no longer listed")
	if got := applied(callsTo(t, app, epDisableCard)); got != 1 {
		t.Errorf("applied(%s) after the retry = %d, want 1", epDisableCard, got)
	}

	// Remove: one dropped answer; disabling is safe to repeat, so the
	// client retries it and the page says the card was removed.
	before = len(callsTo(t, app, epDisableCard))
	injectFault(t, app, "drop_after_write", epDisableCard, 1)
	check(t, dropped.GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: label}).Click(), `clicking "Remove" with one drop`)
	check(t, dialog.GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: "Remove card"}).Click(), `clicking "Remove card" with one drop`)
	expectFlashText(t, page, "Card removed.")
	check(t, expect.Locator(page.Locator("li[data-card-id]").Filter(playwright.LocatorFilterOptions{HasText: "Dropped Holder"})).ToHaveCount(0), "the dropped holder's card is no longer listed")
	if calls := callsTo(t, app, epDisableCard)[before:]; len(calls) != 2 || calls[0].Fault != "drop_after_write" {
		t.Errorf("callsTo(%s) after one drop = %+v, want the drop and the client's retry", epDisableCard, calls)
	}
}

func TestEditingAndDeletingACustomerWhenSquareDropsTheAnswerSayMayNotHaveAndTheRetryConfirms(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	id, name := namedCustomer(t, page)

	// Edit: Square applies the change, the answer never arrives.
	openEditForm(t, page, id, name)
	values := [][2]string{{"Nickname", "Dropped Nick"}, {"Note", "Typed while answers were lost."}}
	fillCustomerForm(t, page, values)
	injectFault(t, app, "drop_after_write", epUpdateCustomer, 1)
	clickSave(t, page)
	expectSaveFailed(t, page, "Your changes may not have been saved.")
	expectValues(t, func(l string) playwright.Locator { return customerInput(page, l) }, values, "after the drop")
	if calls := callsTo(t, app, epUpdateCustomer); len(calls) != 1 || applied(calls) != 1 {
		t.Errorf("callsTo(%s) after the drop = %d calls, %d applied; want 1 (never retried), 1", epUpdateCustomer, len(calls), applied(calls))
	}
	clearFaults(t, app)
	clickSave(t, page)
	waitProfile(t, page)
	expectFlashText(t, page, "Square already holds these details, so there was nothing more to save.")
	expectProfileDetail(t, page, "nickname", "Dropped Nick")
	if got := applied(callsTo(t, app, epUpdateCustomer)); got != 1 {
		t.Errorf("applied(%s) after the retry = %d, want 1", epUpdateCustomer, got)
	}

	// Delete: Square deletes, the answer never arrives.
	injectFault(t, app, "drop_after_write", epDeleteCustomer, 1)
	dialog := page.GetByTestId("delete-dialog")
	check(t, page.GetByTestId("delete-customer").Click(), `clicking "Delete"`)
	check(t, expect.Locator(dialog).ToBeVisible(), "the delete dialog")
	check(t, dialog.GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: "Delete customer"}).Click(), `clicking "Delete customer"`)
	expectSaveFailed(t, page, "The customer may not have been deleted.")
	clearFaults(t, app)
	check(t, page.GetByTestId("delete-form").GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: "Delete customer"}).Click(), `clicking "Delete customer" again`)
	expectFlashText(t, page, "The customer is no longer in your directory.")
	if got := applied(callsTo(t, app, epDeleteCustomer)); got != 1 {
		t.Errorf("applied(%s) after the retry = %d, want 1", epDeleteCustomer, got)
	}
	resp, err := page.Goto("/customers/" + id)
	check(t, err, "opening the deleted customer's profile")
	if resp.Status() != http.StatusNotFound {
		t.Errorf("GET /customers/%s = %d, want 404", id, resp.Status())
	}
}
