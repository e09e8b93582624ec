package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/playwright-community/playwright-go"
)

// Cards on file in local mode: squarelocal's stand-in for Square's card
// form tokenizes Square's sandbox test cards in the browser
// (docs/square.md#sandbox-test-values), and Tessera stores them with CreateCard; removing a card asks
// first, in a dialog with JavaScript and on a page without.

// cardTrigger is one of the sandbox's error triggers.
type cardTrigger struct {
	name, number, exp, cvv, postal string
}

// cardTriggers are the error triggers of docs/square.md#sandbox-test-values: each passes
// the card form's own checks and Square refuses the card.
var cardTriggers = []cardTrigger{
	{"CVV 911", "4111 1111 1111 1111", "12/30", "911", "94103"},
	{"postal code 99999", "4111 1111 1111 1111", "12/30", "111", "99999"},
	{"expiry 01/40", "4111 1111 1111 1111", "01/40", "111", "94103"},
	{"declined card", "4000000000000002", "12/30", "111", "94103"},
	{"card-on-file declined card", "4000000000000010", "12/30", "111", "94103"},
}

// cardVisa is the sandbox Visa, which Square stores.
var cardVisa = cardTrigger{"Visa", "4111 1111 1111 1111", "12/30", "111", "94103"}

// msgCardRefused is the page's message when Square refuses a card.
const msgCardRefused = "Square did not accept this card."

// openCardProfile signs in as Harbor & Pine Coffee and opens the profile
// of the first customer of the directory; it returns the customer's id.
func openCardProfile(t *testing.T, page playwright.Page) string {
	t.Helper()
	signIn(t, page, merchantHarbor)
	ids, _ := listedCustomers(t, page)
	_, err := page.Goto("/customers/" + ids[0])
	check(t, err, "opening a customer's profile")
	check(t, expect.Locator(page.GetByTestId("cards")).ToBeVisible(), "the profile's cards")
	return ids[0]
}

// openCardForm follows "Add card" from the profile and waits for Square's
// card form.
func openCardForm(t *testing.T, page playwright.Page, customerID string) {
	t.Helper()
	check(t, byRole(page, *playwright.AriaRoleLink, "Add card").Click(), `clicking "Add card"`)
	check(t, expect.Page(page).ToHaveURL(urlPath("/customers/"+customerID+"/cards/new")), "the card page")
	check(t, expect.Locator(cardField(page, "Card number")).ToBeVisible(), "Square's card form")
	check(t, expect.Locator(cardSaveButton(page)).ToBeEnabled(), "Save card, once the card form is ready")
}

// cardField is an input of the page, Square's card form included, by label.
func cardField(page playwright.Page, label string) playwright.Locator {
	return page.GetByLabel(label, playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})
}

func cardSaveButton(page playwright.Page) playwright.Locator {
	return byRole(page, *playwright.AriaRoleButton, "Save card")
}

// fillCard types a card into Square's card form and the cardholder name.
func fillCard(t *testing.T, page playwright.Page, c cardTrigger, cardholder string) {
	t.Helper()
	for _, f := range [][2]string{
		{"Cardholder name", cardholder}, {"Card number", c.number}, {"Expiration", c.exp},
		{"CVV", c.cvv}, {"Postal code", c.postal},
	} {
		check(t, cardField(page, f[0]).Fill(f[1]), "typing the "+f[0])
	}
}

// cardCalls counts the calls of a route pattern with a status (0 for any)
// in squarelocal's call log, read over HTTP as any tool would.
func cardCalls(t *testing.T, app *webApp, pattern string, status int) int {
	t.Helper()
	resp := getCallLog(t, app)
	defer resp.Body.Close()
	var log struct {
		Calls []struct {
			Pattern string `json:"pattern"`
			Status  int    `json:"status"`
		} `json:"calls"`
	}
	check(t, json.NewDecoder(resp.Body).Decode(&log), "decoding squarelocal's call log")
	n := 0
	for _, c := range log.Calls {
		if c.Pattern == pattern && (status == 0 || c.Status == status) {
			n++
		}
	}
	return n
}

// expectCardAdded waits for the profile with "Card added." and the card
// of the cardholder, ending in last4, and returns that card's list item.
func expectCardAdded(t *testing.T, page playwright.Page, customerID, cardholder, last4 string) playwright.Locator {
	t.Helper()
	check(t, expect.Page(page).ToHaveURL(urlPath("/customers/"+customerID)), "back on the profile")
	check(t, expect.Locator(page.GetByTestId("flash")).ToHaveText("Card added."), "the message Card added.")
	item := page.Locator("li[data-card-id]").Filter(playwright.LocatorFilterOptions{HasText: cardholder})
	check(t, expect.Locator(item).ToHaveCount(1), "one card of "+cardholder)
	check(t, expect.Locator(item.GetByTestId("card-last4")).ToHaveText(last4), "the card's last four digits")
	return item
}

// The sandbox's Strong Customer Authentication test cards.
var (
	// cardSCAChallenge's bank challenges the buyer, unless the seller
	// keyed the card in, as Tessera's staff do.
	cardSCAChallenge = cardTrigger{"SCA challenge Mastercard", "5248 4800 0021 0034", "12/30", "111", "SW1A 1AA"}
	// cardSCAFailed's bank fails every verification.
	cardSCAFailed = cardTrigger{"SCA failing Visa", "4811 1100 0000 0008", "12/30", "111", "SW1A 1AA"}
)

func TestCardsWhoseBankRequiresVerificationAreVerifiedAsKeyedInByStaff(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app, contextOptions{axe: true})
	id := openCardProfile(t, page)
	openCardForm(t, page, id)

	// A bank that does not verify the cardholder: Square stores nothing,
	// and the page says why and stays usable.
	fillCard(t, page, cardSCAFailed, "Verified Holder")
	check(t, cardSaveButton(page).Click(), `clicking "Save card" with the `+cardSCAFailed.name)
	check(t, expect.Locator(page.GetByTestId("card-error")).ToContainText("The card's bank did not verify the cardholder."), "the message for the "+cardSCAFailed.name)
	check(t, expect.Locator(cardSaveButton(page)).ToBeEnabled(), "Save card, ready again")
	checkAxe(t, page, "the card page after a failed verification")
	if n := cardCalls(t, app, "POST /v2/cards", http.StatusBadRequest); n != 1 {
		t.Errorf("refused CreateCard calls = %d, want 1", n)
	}

	// A card whose bank would challenge a buyer: staff keyed it in, so the
	// card form verifies it without a challenge, and Square stores it.
	fillCard(t, page, cardSCAChallenge, "Verified Holder")
	check(t, cardSaveButton(page).Click(), `clicking "Save card" with the `+cardSCAChallenge.name)
	expectCardAdded(t, page, id, "Verified Holder", "0034")
	if n := cardCalls(t, app, "POST /v2/cards", http.StatusOK); n != 1 {
		t.Errorf("stored cards = %d, want 1", n)
	}
}

// TestTheCardFormStandInChallengesABuyer drives squarelocal's stand-in for
// the bank's challenge, which a card form verifying a buyer (not keyed in
// by a seller) shows: a dialog that takes the sandbox's code.
func TestTheCardFormStandInChallengesABuyer(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app, contextOptions{axe: true})
	id := openCardProfile(t, page)
	openCardForm(t, page, id)
	fillCard(t, page, cardSCAChallenge, "")

	// A second card form in the page, verifying as a buyer-facing page
	// would; its result lands in window.challengeResult.
	_, err := page.Evaluate(`async () => {
		const payments = Square.payments(document.querySelector('[data-card-form]').dataset.applicationId);
		const card = await payments.card();
		const box = document.createElement('div');
		document.body.appendChild(box);
		await card.attach(box);
		const typed = [...document.querySelectorAll('#card-container input')].map(i => i.value);
		box.querySelectorAll('input').forEach((input, i) => { input.value = typed[i]; });
		card.tokenize({intent: 'STORE', billingContact: {givenName: 'Ada'}}).then(r => {
			const b64 = (r.token || '').slice(5).replace(/-/g, '+').replace(/_/g, '/');
			window.challengeResult = {status: r.status, verified: r.token ? JSON.parse(atob(b64 + '==='.slice((b64.length + 3) % 4))).verified : ''};
		});
	}`)
	check(t, err, "tokenizing with verification details")
	dialog := page.GetByTestId("sq-challenge")
	check(t, expect.Locator(dialog).ToBeVisible(), "the bank's challenge")
	checkAxe(t, page, "the challenge dialog")
	code := dialog.GetByLabel("Code")
	check(t, code.Fill("000000"), "typing a wrong code")
	check(t, dialog.GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: "Verify"}).Click(), `clicking "Verify"`)
	check(t, expect.Locator(dialog).ToContainText("That code is not right."), "the wrong code is refused")
	check(t, code.Fill("123456"), "typing the sandbox's code")
	check(t, dialog.GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: "Verify"}).Click(), `clicking "Verify"`)
	check(t, expect.Locator(dialog).ToHaveCount(0), "the challenge closes")
	result, err := page.WaitForFunction(`() => window.challengeResult`, nil)
	check(t, err, "the tokenize result")
	got, err := result.JSONValue()
	check(t, err, "reading the tokenize result")
	if m, _ := got.(map[string]any); m["status"] != "OK" || m["verified"] != "ok" {
		t.Errorf("tokenize after the right code = %v, want status OK and a verified token", got)
	}
}

func TestCardsAttachTheSandboxVisa(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app, contextOptions{axe: true})
	id := openCardProfile(t, page)
	openCardForm(t, page, id)
	checkAxe(t, page, "the card page")

	fillCard(t, page, cardVisa, "Visa Holder E2E")
	check(t, cardSaveButton(page).Click(), `clicking "Save card"`)
	item := expectCardAdded(t, page, id, "Visa Holder E2E", "1111")
	check(t, expect.Locator(item.GetByTestId("card-postal-code")).ToHaveText("94103"), "the card's postal code")
	check(t, expect.Locator(item).ToContainText("Visa ending in 1111, expires 12/2030"), "the card's brand and expiry")
	checkAxe(t, page, "the profile with the new card")
	if n := cardCalls(t, app, "POST /v2/cards", http.StatusOK); n != 1 {
		t.Errorf("CreateCard calls = %d, want 1", n)
	}
}

func TestCardErrorTriggersSayWhyAndThePageStaysUsable(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app, contextOptions{axe: true})
	id := openCardProfile(t, page)
	openCardForm(t, page, id)

	// The card form's own checks come first: nothing reaches Square.
	fillCard(t, page, cardTrigger{"bad number", "1234", "12/30", "111", "94103"}, "Trigger Holder")
	check(t, cardSaveButton(page).Click(), `clicking "Save card" with a bad number`)
	check(t, expect.Locator(page.GetByTestId("card-field-errors")).ToContainText("Card number: Card number is not valid."), "the card form's field error")
	check(t, expect.Locator(cardSaveButton(page)).ToBeEnabled(), "Save card, ready again")
	checkAxe(t, page, "the card page with a field error")

	for i, c := range cardTriggers {
		fillCard(t, page, c, "Trigger Holder")
		check(t, cardSaveButton(page).Click(), `clicking "Save card" with the `+c.name)
		check(t, expect.Locator(page.GetByTestId("card-error")).ToContainText(msgCardRefused), "the message for the "+c.name)
		check(t, expect.Locator(cardSaveButton(page)).ToBeEnabled(), "Save card, ready again after the "+c.name)
		check(t, expect.Locator(page.GetByTestId("card-field-errors")).ToBeHidden(), "no field errors for the "+c.name)
		if got := cardCalls(t, app, "POST /v2/cards", http.StatusBadRequest); got != i+1 {
			t.Fatalf("after the %s, Square refused %d cards, want %d", c.name, got, i+1)
		}
	}
	checkAxe(t, page, "the card page with Square's refusal")
	check(t, expect.Locator(cardField(page, "Cardholder name")).ToHaveValue("Trigger Holder"), "the name, as typed")

	// The same page, a good card: a fresh token, and it is stored.
	fillCard(t, page, cardVisa, "Trigger Holder")
	check(t, cardSaveButton(page).Click(), `clicking "Save card" with the Visa`)
	expectCardAdded(t, page, id, "Trigger Holder", "1111")
	if n := cardCalls(t, app, "POST /v2/cards", http.StatusOK); n != 1 {
		t.Errorf("stored cards = %d, want 1", n)
	}
}

func TestCardDoubleClickStoresOneCard(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	id := openCardProfile(t, page)
	openCardForm(t, page, id)
	fillCard(t, page, cardVisa, "Double Clicker")
	check(t, cardSaveButton(page).Dblclick(), `double-clicking "Save card"`)
	expectCardAdded(t, page, id, "Double Clicker", "1111")
	if n := cardCalls(t, app, "POST /v2/cards", 0); n != 1 {
		t.Errorf("CreateCard calls after a double click = %d, want 1", n)
	}
}

func TestCardRemovalAsksInADialogAndShowsTheCardAsRemoved(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app, contextOptions{axe: true})
	id := openCardProfile(t, page)
	openCardForm(t, page, id)
	fillCard(t, page, cardVisa, "Removable Holder")
	check(t, cardSaveButton(page).Click(), `clicking "Save card"`)
	item := expectCardAdded(t, page, id, "Removable Holder", "1111")

	// The confirmation page, which Remove opens without JavaScript.
	cardID, err := item.GetAttribute("data-card-id")
	check(t, err, "the card's id")
	_, err = page.Goto("/customers/" + id + "/cards/" + cardID + "/remove")
	check(t, err, "opening the removal confirmation")
	check(t, expect.Locator(byRole(page, *playwright.AriaRoleHeading, "Remove Visa ending in 1111?")).ToBeVisible(), "the confirmation asks")
	checkAxe(t, page, "the removal confirmation")
	_, err = page.Goto("/customers/" + id)
	check(t, err, "back to the profile")

	check(t, item.GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: "Remove Visa ending in 1111"}).Click(), `clicking "Remove"`)
	dialog := page.Locator("dialog[open]")
	check(t, expect.Locator(dialog).ToContainText("Remove Visa ending in 1111?"), "the dialog asks")
	checkAxe(t, page, "the profile with the removal dialog")
	check(t, dialog.GetByRole(*playwright.AriaRoleButton, playwright.LocatorGetByRoleOptions{Name: "Remove card"}).Click(), `clicking "Remove card"`)
	check(t, expect.Locator(page.GetByTestId("flash")).ToHaveText("Card removed."), "the message Card removed.")
	check(t, expect.Locator(page.Locator("li[data-card-id]").Filter(playwright.LocatorFilterOptions{HasText: "Removable Holder"})).ToHaveCount(0), "the card is no longer listed")

	check(t, byRole(page, *playwright.AriaRoleLink, "Show removed cards").Click(), `clicking "Show removed cards"`)
	removed := page.Locator("li[data-card-id]").Filter(playwright.LocatorFilterOptions{HasText: "Removable Holder"})
	check(t, expect.Locator(removed.GetByTestId("card-removed")).ToHaveText("Removed"), "the card, marked removed")
	check(t, expect.Locator(removed.GetByRole(*playwright.AriaRoleButton)).ToHaveCount(0), "no Remove button on a removed card")
	if n := cardCalls(t, app, "POST /v2/cards/{card_id}/disable", http.StatusOK); n != 1 {
		t.Errorf("DisableCard calls = %d, want 1", n)
	}
}

func TestCardPageWithoutJavaScriptSaysItNeedsItAndRemovalStillWorks(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app, contextOptions{noJS: true})
	signIn(t, page, merchantHarbor)

	// A customer with a card on file (the seed gives many of them one).
	_, err := page.Goto("/customers")
	check(t, err, "opening the directory")
	ids, _ := listedCustomers(t, page)
	var id string
	for _, candidate := range ids {
		_, err := page.Goto("/customers/" + candidate)
		check(t, err, "opening a profile")
		if n, _ := page.GetByTestId("remove-card").Count(); n > 0 {
			id = candidate
			break
		}
	}
	if id == "" {
		t.Fatal("no customer on the directory's first page has a card on file")
	}
	cards, err := page.Locator("li[data-card-id]").Count()
	check(t, err, "counting the cards")

	check(t, byRole(page, *playwright.AriaRoleLink, "Add card").Click(), `clicking "Add card"`)
	check(t, expect.Page(page).ToHaveURL(urlPath("/customers/"+id+"/cards/new")), "the card page")
	check(t, expect.Locator(page.GetByTestId("card-needs-js")).ToContainText("Adding a card needs JavaScript"), "the page says why there is no card form")
	check(t, expect.Locator(cardSaveButton(page)).ToBeHidden(), "no Save card button without JavaScript")
	check(t, expect.Locator(page.GetByTestId("card-form")).ToBeHidden(), "no card form without JavaScript")

	// Removing works through the confirmation page.
	_, err = page.Goto("/customers/" + id)
	check(t, err, "back to the profile")
	first := page.Locator("li[data-card-id]").First()
	cardID, err := first.GetAttribute("data-card-id")
	check(t, err, "the first card's id")
	check(t, first.GetByTestId("remove-card").Click(), `clicking "Remove"`)
	check(t, expect.Page(page).ToHaveURL(regexp.MustCompile(regexp.QuoteMeta("/cards/"+cardID+"/remove"))), "the confirmation page")
	check(t, byRole(page, *playwright.AriaRoleButton, "Remove card").Click(), `clicking "Remove card"`)
	check(t, expect.Page(page).ToHaveURL(urlPath("/customers/"+id)), "back on the profile")
	check(t, expect.Locator(page.GetByTestId("flash")).ToHaveText("Card removed."), "the message Card removed.")
	check(t, expect.Locator(page.Locator("li[data-card-id]")).ToHaveCount(cards-1), "one card fewer")
	if strings.Contains(page.URL(), "removed=1") {
		t.Errorf("after removing, the profile is %s, want the plain profile", page.URL())
	}
}
