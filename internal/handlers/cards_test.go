package handlers_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/handlers"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// Cards on file: the profile's list, the card page with Square's card form
// (tokens made as squarelocal's stand-in makes them in the browser, with
// TestCardToken), CreateCard's refusals and failures, and removal.

// Route patterns of squarelocal's call log for cards.
const (
	callCreateCard  = "POST /v2/cards"
	callGetCard     = "GET /v2/cards/{card_id}"
	callDisableCard = "POST /v2/cards/{card_id}/disable"
)

// cardFormSel is the selector of the card page's form.
const cardFormSel = `form[data-card-form]`

// The sandbox test Visa of docs/square.md#sandbox-test-values.
const testVisa = "4111 1111 1111 1111"

// token tokenizes a card as the card form does in the browser.
func (e *custEnv) token(number, exp, cvv, postal string) string {
	e.t.Helper()
	tok, err := e.h.emu.TestCardToken(number, exp, cvv, postal)
	if err != nil {
		e.t.Fatalf("TestCardToken(%s, %s, %s, %s) = %v", number, exp, cvv, postal, err)
	}
	return tok
}

// visa is a fresh token of the sandbox Visa with the postal code.
func (e *custEnv) visa(postal string) string {
	return e.token(testVisa, "12/30", "111", postal)
}

// addCard stores a card for a customer at Square directly.
func (e *custEnv) addCard(customerID, token, cardholder string) *square.Card {
	e.t.Helper()
	card, err := e.sq.Cards.Create(e.t.Context(), &square.CreateCardRequest{
		IdempotencyKey: "test-" + strings.ReplaceAll(token[len(token)-20:], "_", "-"),
		SourceID:       token,
		Card:           square.NewCard{CustomerID: customerID, CardholderName: cardholder},
	})
	if err != nil {
		e.t.Fatalf("Cards.Create for %s = %v, want a card", customerID, err)
	}
	return card
}

// cardsOf lists a customer's cards at Square, the removed ones too.
func (e *custEnv) cardsOf(customerID string) []square.Card {
	e.t.Helper()
	return listCards(e.t, e.sq, square.ListCardsParams{CustomerID: customerID, IncludeDisabled: true})
}

// cardPage opens a customer's card page.
func (e *custEnv) cardPage(customerID string) *page {
	e.t.Helper()
	p := e.b.get("/customers/" + customerID + "/cards/new")
	expect(e.t, p, http.StatusOK)
	return p
}

// submitCard posts the card form of p as cards.js does once Square's card
// form made a token: with the token, the cardholder name and the postal
// code the card form reported. extra are header pairs.
func (e *custEnv) submitCard(p *page, token, cardholder, postal string, extra ...string) *page {
	e.t.Helper()
	action, values := custFormValues(e.t, p, cardFormSel)
	values.Set("source_id", token)
	values.Set("cardholder_name", cardholder)
	values.Set("postal_code", postal)
	return e.b.post(action, values, extra...)
}

// cardKey is the idempotency key a card page or fragment carries.
func cardKey(t *testing.T, p *page) string {
	t.Helper()
	return custHiddenOf(t, p, "idempotency_key")
}

// cspWithoutNonce is a response's CSP with its nonce replaced by N.
func cspWithoutNonce(p *page) string {
	return regexp.MustCompile(`'nonce-[^']+'`).ReplaceAllString(p.Header.Get("Content-Security-Policy"), "'nonce-N'")
}

func TestTheProfileListsEnabledCardsWithTheirDetailsAndRemovedOnesOnRequest(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Ada", FamilyName: "Lovelace"})
	kept := e.addCard(cu.ID, e.visa("94103"), "Ada Lovelace")
	removed := e.addCard(cu.ID, e.token("5105 1051 0510 5100", "11/29", "123", "10001"), "A. Lovelace")
	if _, err := e.sq.Cards.Disable(t.Context(), removed.ID); err != nil {
		t.Fatalf("Cards.Disable = %v", err)
	}

	p := e.b.get("/customers/" + cu.ID)
	expect(t, p, http.StatusOK)
	items := p.Doc.Find(`[data-testid="cards"] li[data-card-id]`)
	if items.Length() != 1 {
		t.Fatalf("GET /customers/%s lists %d cards, want only the enabled one", cu.ID, items.Length())
	}
	item := items.First()
	for testID, want := range map[string]string{
		"card-last4":       "1111",
		"card-cardholder":  "Ada Lovelace",
		"card-postal-code": "94103",
		"card-added":       "", // no created_at from Square at the Square-Version Tessera pins
	} {
		if got := strings.TrimSpace(item.Find(`[data-testid="` + testID + `"]`).Text()); got != want {
			t.Errorf("enabled card %s = %q, want %q", testID, got, want)
		}
	}
	if got := strings.Join(strings.Fields(item.Find(".card-summary").Text()), " "); got != "Visa ending in 1111, expires 12/2030" {
		t.Errorf("enabled card = %q, want %q", got, "Visa ending in 1111, expires 12/2030")
	}
	if id, _ := item.Attr("data-card-id"); id != kept.ID {
		t.Errorf("listed card = %s, want %s", id, kept.ID)
	}
	toggle := p.testID("toggle-removed-cards")
	showURL, _ := toggle.Attr("href")
	if showURL != "/customers/"+cu.ID+"?removed=1#cards" || strings.TrimSpace(toggle.Text()) != "Show removed cards" {
		t.Errorf("toggle = %q to %q, want Show removed cards to ?removed=1#cards", strings.TrimSpace(toggle.Text()), showURL)
	}
	if href, _ := p.testID("add-card").Attr("href"); href != "/customers/"+cu.ID+"/cards/new" {
		t.Errorf("Add card link = %q, want /customers/%s/cards/new", href, cu.ID)
	}

	// Without JavaScript the link is the switch: the state is in the URL.
	p = e.b.get(showURL)
	expect(t, p, http.StatusOK)
	items = p.Doc.Find(`[data-testid="cards"] li[data-card-id]`)
	if items.Length() != 2 {
		t.Fatalf("GET /customers/%s?removed=1 lists %d cards, want 2", cu.ID, items.Length())
	}
	gone := p.Doc.Find(`li[data-card-id="` + removed.ID + `"]`)
	if got := strings.TrimSpace(gone.Find(`[data-testid="card-removed"]`).Text()); got != "Removed" {
		t.Errorf("removed card mark = %q, want Removed", got)
	}
	if n := gone.Find(`[data-testid="remove-card"]`).Length(); n != 0 {
		t.Errorf("removed card has %d Remove buttons, want none", n)
	}
	if n := p.Doc.Find(`li[data-card-id="` + kept.ID + `"] [data-testid="card-removed"]`).Length(); n != 0 {
		t.Error("the enabled card is marked removed")
	}
	toggle = p.testID("toggle-removed-cards")
	if href, _ := toggle.Attr("href"); href != "/customers/"+cu.ID+"#cards" || strings.TrimSpace(toggle.Text()) != "Hide removed cards" {
		t.Errorf("toggle = %q to %q, want Hide removed cards to the profile", strings.TrimSpace(toggle.Text()), href)
	}
}

func TestTheProfileMarksAnExpiredCard(t *testing.T) {
	e := newCustEnv(t, 0)
	var expired *square.Card
	for _, card := range listCards(t, e.sq, square.ListCardsParams{}) {
		if card.CustomerID != "" && card.ExpYear < 2026 {
			expired = &card
			break
		}
	}
	if expired == nil {
		t.Skip("squarelocal seeded no expired card")
	}
	p := e.b.get("/customers/" + expired.CustomerID)
	expect(t, p, http.StatusOK)
	item := p.Doc.Find(`li[data-card-id="` + expired.ID + `"]`)
	if testID, _ := item.Attr("data-testid"); testID != "card-expired" || !strings.Contains(item.Find(".card-expired").Text(), "expired") {
		t.Errorf("expired card = %s %q, want it marked expired", testID, item.Text())
	}
}

func TestTheCardPageLoadsTheCardFormOfLocalModeWithTheIDs(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Grace", FamilyName: "Hopper"})
	p := e.cardPage(cu.ID)

	var scripts []string
	p.Doc.Find("main script").Each(func(_ int, s *goquery.Selection) {
		src, _ := s.Attr("src")
		nonce, _ := s.Attr("nonce")
		if nonce == "" {
			t.Errorf("script %s has no nonce", src)
		}
		scripts = append(scripts, src)
	})
	if len(scripts) != 2 || scripts[0] != "/squarelocal/v1/square.js" || !regexp.MustCompile(`^/static/cards\.[0-9a-f]{12}\.js$`).MatchString(scripts[1]) {
		t.Errorf("card page scripts = %q, want squarelocal's square.js then cards.js", scripts)
	}
	form := p.Doc.Find(cardFormSel)
	for attr, want := range map[string]string{
		"data-application-id": squarelocal.LocalClientID,
		"data-location-id":    e.h.merchant(0).MainLocationID,
		"action":              "/customers/" + cu.ID + "/cards",
		"method":              "post",
	} {
		if got, _ := form.Attr(attr); got != want {
			t.Errorf("card form %s = %q, want %q", attr, got, want)
		}
	}
	if _, hidden := form.Attr("hidden"); !hidden {
		t.Error("the card form is shown before the card form script runs, want it hidden until then")
	}
	if got := strings.TrimSpace(p.testID("save-card").Text()); got != "Save card" {
		t.Errorf("submit button = %q, want Save card", got)
	}
	if key := cardKey(t, p); len(key) < 16 {
		t.Errorf("idempotency key = %q, want one minted with the page", key)
	}
	if got := p.Doc.Find("noscript").Text(); !strings.Contains(got, "Adding a card needs JavaScript") {
		t.Errorf("noscript = %q, want it to say adding a card needs JavaScript", got)
	}
	if p.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", p.Header.Get("Cache-Control"))
	}
	// In local mode the stand-in is our own origin: the policy is the one
	// of every other page.
	profile := e.b.get("/customers/" + cu.ID)
	if got, want := cspWithoutNonce(p), cspWithoutNonce(profile); got != want {
		t.Errorf("card page CSP in local mode = %q, want the profile's %q", got, want)
	}
	if second := cardKey(t, e.cardPage(cu.ID)); second == cardKey(t, p) {
		t.Error("two visits of the card page carry the same idempotency key, want one per page")
	}
}

func TestTheCardPageOfSquaresEnvironmentsAllowsSquaresOriginsThereOnly(t *testing.T) {
	tests := []struct {
		env    config.Environment
		script string
		csp    string
	}{
		{
			env:    config.Sandbox,
			script: "https://sandbox.web.squarecdn.com/v1/square.js",
			csp: "default-src 'none'; " +
				"script-src 'self' 'nonce-N' https://sandbox.web.squarecdn.com https://js.squareupsandbox.com; " +
				"style-src 'self' https://sandbox.web.squarecdn.com https://square-fonts-production-f.squarecdn.com; " +
				"img-src 'self' data:; " +
				"font-src 'self' https://square-fonts-production-f.squarecdn.com; " +
				"connect-src 'self' https://sandbox.web.squarecdn.com https://pci-connect.squareupsandbox.com https://connect.squareupsandbox.com https://*.cardinalcommerce.com; " +
				"frame-src https://sandbox.web.squarecdn.com https://*.cardinalcommerce.com https:; " +
				"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
		},
		{
			env:    config.Production,
			script: "https://web.squarecdn.com/v1/square.js",
			csp: "default-src 'none'; " +
				"script-src 'self' 'nonce-N' https://web.squarecdn.com https://js.squareup.com; " +
				"style-src 'self' https://web.squarecdn.com https://square-fonts-production-f.squarecdn.com; " +
				"img-src 'self' data:; " +
				"font-src 'self' https://square-fonts-production-f.squarecdn.com; " +
				"connect-src 'self' https://web.squarecdn.com https://pci-connect.squareup.com https://connect.squareup.com https://*.cardinalcommerce.com; " +
				"frame-src https://web.squarecdn.com https://*.cardinalcommerce.com https:; " +
				"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
		},
		{
			// The standalone emulator's stand-in makes no requests and
			// brings no styles: its origin is the one script source.
			env:    config.Emulator,
			script: "https://emulator.test:9443/v1/square.js",
			csp: "default-src 'none'; script-src 'self' 'nonce-N' https://emulator.test:9443; style-src 'self'; img-src 'self' data:; " +
				"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
		},
	}
	const everyOtherPage = "default-src 'none'; script-src 'self' 'nonce-N'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
	for _, tt := range tests {
		t.Run(string(tt.env), func(t *testing.T) {
			e := newCustEnv(t, 0)
			cu := e.create(square.CreateCustomerRequest{GivenName: "Sandra"})
			// A second Tessera configured for Square's environment, sharing
			// the sessions and the Square client (still squarelocal) of the
			// harness, so the browser's session works there too.
			cfg := *e.h.cfg
			cfg.Environment = tt.env
			if tt.env == config.Emulator {
				cfg.EmulatorURL = &url.URL{Scheme: "https", Host: "emulator.test:9443"}
			}
			srv := httptest.NewServer(handlers.New(handlers.Deps{
				Config: &cfg, Sessions: e.h.sessions, Square: e.h.square, DB: e.h.db, Now: e.h.clock.Now,
			}))
			t.Cleanup(srv.Close)

			p := e.b.get(srv.URL + "/customers/" + cu.ID + "/cards/new")
			expect(t, p, http.StatusOK)
			if got := cspWithoutNonce(p); got != tt.csp {
				t.Errorf("card page CSP =\n%s\nwant\n%s", got, tt.csp)
			}
			if src, _ := p.Doc.Find(`script[src^="https://"]`).Attr("src"); src != tt.script {
				t.Errorf("card page loads %q, want %q", src, tt.script)
			}
			if got, _ := p.Doc.Find(cardFormSel).Attr("data-application-id"); got != e.h.square.OAuth.Config("", nil).ClientID {
				t.Errorf("application id = %q, want the one Tessera signs in with", got)
			}
			for _, path := range []string{"/customers/" + cu.ID, "/customers", "/customers/" + cu.ID + "/edit", "/settings/connection"} {
				other := e.b.get(srv.URL + path)
				expect(t, other, http.StatusOK)
				if got := cspWithoutNonce(other); got != everyOtherPage {
					t.Errorf("GET %s CSP = %q, want the policy without Square's origins", path, got)
				}
			}
		})
	}
}

func TestSavingACardStoresItAndShowsItOnTheProfile(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Ada", FamilyName: "Lovelace"})
	p := e.submitCard(e.cardPage(cu.ID), e.visa("94103"), "  Ada Lovelace ", "94103")
	profile := e.expectFlash(p, "/customers/"+cu.ID, "Card added.")

	cards := e.cardsOf(cu.ID)
	if len(cards) != 1 {
		t.Fatalf("Square holds %d cards for the customer, want 1", len(cards))
	}
	c := cards[0]
	if c.CardBrand != "VISA" || c.Last4 != "1111" || c.CardholderName != "Ada Lovelace" || c.BillingAddress == nil || c.BillingAddress.PostalCode != "94103" || !c.Enabled {
		t.Errorf("stored card = %+v, want an enabled Visa 1111 of Ada Lovelace with postal code 94103", c)
	}
	if got := strings.TrimSpace(profile.Doc.Find(`li[data-card-id="` + c.ID + `"] [data-testid="card-cardholder"]`).Text()); got != "Ada Lovelace" {
		t.Errorf("the profile shows cardholder %q, want Ada Lovelace", got)
	}
}

func TestSavingACardWithHTMXSendsTheBrowserToTheProfile(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Hedy", FamilyName: "Lamarr"})
	p := e.submitCard(e.cardPage(cu.ID), e.visa("90210"), "", "90210", custHX...)
	expect(t, p, http.StatusNoContent)
	if got := p.Header.Get("HX-Redirect"); got != "/customers/"+cu.ID {
		t.Errorf("HX-Redirect = %q, want the profile", got)
	}
	if n := len(e.cardsOf(cu.ID)); n != 1 {
		t.Errorf("cards after saving = %d, want 1", n)
	}
}

func TestEveryRefusalOfSquareSaysWhyAndTheNextTryWithAFreshTokenWorks(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Edsger"})
	// The error triggers of docs/square.md#sandbox-test-values: each tokenizes in the
	// browser, and CreateCard refuses it as INVALID_CARD_DATA.
	triggers := []struct{ name, number, exp, cvv, postal string }{
		{"CVV 911", testVisa, "12/30", "911", "94103"},
		{"postal code 99999", testVisa, "12/30", "111", "99999"},
		{"expiry 01/40", testVisa, "01/40", "111", "94103"},
		{"declined card 4000000000000002", "4000000000000002", "12/30", "111", "94103"},
		{"card-on-file declined card 4000000000000010", "4000000000000010", "12/30", "111", "94103"},
	}
	p := e.cardPage(cu.ID)
	for _, tt := range triggers {
		t.Run(tt.name, func(t *testing.T) {
			key := cardKey(t, p)
			next := e.submitCard(p, e.token(tt.number, tt.exp, tt.cvv, tt.postal), "Edsger Dijkstra", tt.postal)
			expect(t, next, http.StatusUnprocessableEntity)
			if got := custText(next, "card-error"); !strings.Contains(got, "Square did not accept this card.") {
				t.Errorf("message = %q, want it to say Square did not accept the card", got)
			}
			if got := custInput(t, next, "cardholder_name"); got != "Edsger Dijkstra" {
				t.Errorf("cardholder after the refusal = %q, want it as typed", got)
			}
			if got := cardKey(t, next); got == key {
				t.Error("the idempotency key stayed after Square refused the card, want a new one for the next try")
			}
			p = next
		})
	}
	if n := e.h.emu.CountCalls(callCreateCard, http.StatusBadRequest); n != len(triggers) {
		t.Errorf("refused CreateCard calls = %d, want %d", n, len(triggers))
	}
	// The page that came back is ready for another try.
	e.expectFlash(e.submitCard(p, e.visa("94103"), "Edsger Dijkstra", "94103"), "/customers/"+cu.ID, "Card added.")
	if n := len(e.cardsOf(cu.ID)); n != 1 {
		t.Errorf("cards after five refusals and a good card = %d, want 1", n)
	}
}

func TestARefusalAnsweredToHTMXSwapsOnlyTheMessageAndANewKey(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Barbara"})
	p := e.cardPage(cu.ID)
	frag := e.submitCard(p, e.token(testVisa, "12/30", "911", "94103"), "", "94103", custHX...)
	expect(t, frag, http.StatusUnprocessableEntity)
	if frag.testID("card-page").Length() != 0 {
		t.Error("the htmx answer is the whole page, want only the form's result")
	}
	if got := custText(frag, "card-error"); !strings.Contains(got, "Square did not accept this card.") {
		t.Errorf("fragment message = %q, want the refusal", got)
	}
	if got := cardKey(t, frag); got == cardKey(t, p) || len(got) < 16 {
		t.Errorf("fragment key = %q, want a new key", got)
	}
}

func TestTheCodesSquaresCardsAPIAnswersEachHaveTheirMessage(t *testing.T) {
	tests := []struct {
		code, category string
		want           string
	}{
		{"INVALID_CARD_DATA", "INVALID_REQUEST_ERROR", "Square did not accept this card."},
		{"CARD_DECLINED_VERIFICATION_REQUIRED", "PAYMENT_METHOD_ERROR", "The card's bank did not verify the cardholder."},
		{"SOURCE_USED", "INVALID_REQUEST_ERROR", "These card details were already used once."},
		{"SOURCE_EXPIRED", "INVALID_REQUEST_ERROR", "The card details expired before they reached Square."},
		{"CARD_PROCESSING_NOT_ENABLED", "INVALID_REQUEST_ERROR", "This Square account cannot store cards yet."},
		{"SOMETHING_NEW", "INVALID_REQUEST_ERROR", "Square did not accept the card details."},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			e := newCustEnv(t, 0)
			cu := e.create(square.CreateCustomerRequest{GivenName: "Alan"})
			p := e.cardPage(cu.ID)
			// Square answers CreateCard with the code; squarelocal answers
			// everything else. Set before the request that reads it.
			e.h.wire.next = cannedCreateCard{next: e.h.wire.next, code: tt.code, category: tt.category}
			next := e.submitCard(p, e.visa("94103"), "Alan Turing", "94103")
			expect(t, next, http.StatusUnprocessableEntity)
			if got := custText(next, "card-error"); !strings.Contains(got, tt.want) {
				t.Errorf("message for %s = %q, want %q", tt.code, got, tt.want)
			}
			if strings.Contains(next.Body, "canned detail") {
				t.Error("the page shows Square's detail, want it in the log only")
			}
		})
	}
}

// cannedCreateCard answers CreateCard with a 400 of Square's and passes
// every other call on.
type cannedCreateCard struct {
	next           http.RoundTripper
	code, category string
}

func (c cannedCreateCard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.URL.Path != "/v2/cards" {
		return c.next.RoundTrip(req)
	}
	body := `{"errors":[{"category":"` + c.category + `","code":"` + c.code + `","detail":"canned detail","field":"source_id"}]}`
	return &http.Response{
		StatusCode: http.StatusBadRequest, Status: "400 Bad Request", Request: req,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   io.NopCloser(strings.NewReader(body)),
	}, nil
}

func TestATokenUsedBeforeIsRefusedAsSuch(t *testing.T) {
	e := newCustEnv(t, 0)
	first := e.create(square.CreateCustomerRequest{GivenName: "First"})
	second := e.create(square.CreateCustomerRequest{GivenName: "Second"})
	token := e.visa("94103")
	e.expectFlash(e.submitCard(e.cardPage(first.ID), token, "", "94103"), "/customers/"+first.ID, "Card added.")
	p := e.submitCard(e.cardPage(second.ID), token, "", "94103")
	expect(t, p, http.StatusUnprocessableEntity)
	if got := custText(p, "card-error"); !strings.Contains(got, "already used once") {
		t.Errorf("message = %q, want it to say the card details were used before", got)
	}
}

func TestACardForACustomerDeletedMeanwhileSaysTheCustomerIsGone(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Gone"})
	p := e.cardPage(cu.ID)
	if err := e.sq.Customers.Delete(t.Context(), cu.ID, nil); err != nil {
		t.Fatal(err)
	}
	next := e.submitCard(p, e.visa("94103"), "", "94103")
	expectErrorPage(t, next, http.StatusNotFound)
	if got := custText(next, "error-page"); !strings.Contains(got, "This customer no longer exists") {
		t.Errorf("page = %q, want it to say the customer is gone", got)
	}
	alert := e.submitCard(p, e.visa("94103"), "", "94103", custHX...)
	expect(t, alert, http.StatusNotFound)
	if got := custText(alert, "alert"); !strings.Contains(got, "This customer no longer exists") {
		t.Errorf("htmx alert = %q, want it to say the customer is gone", got)
	}
	if n := e.h.emu.CountCalls(callCreateCard, http.StatusBadRequest); n != 2 {
		t.Errorf("CreateCard refusals = %d, want 2 (CUSTOMER_NOT_FOUND)", n)
	}
}

func TestADoubleSubmitStoresOneCard(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Double", FamilyName: "Click"})
	p := e.cardPage(cu.ID)
	action, values := custFormValues(t, p, cardFormSel)
	values.Set("source_id", e.visa("94103"))
	values.Set("postal_code", "94103")
	// The same request twice, as a double click without JavaScript's guard
	// or a retried POST would send it.
	for range 2 {
		expectRedirect(t, e.b.post(action, values), "/customers/"+cu.ID)
	}
	if n := len(e.cardsOf(cu.ID)); n != 1 {
		t.Errorf("cards after a double submit = %d, want 1", n)
	}
	var keys []string
	for _, c := range e.h.emu.Calls() {
		if c.Pattern == callCreateCard {
			keys = append(keys, c.IdempotencyKey)
		}
	}
	if len(keys) != 2 || keys[0] != keys[1] || keys[0] != values.Get("idempotency_key") {
		t.Errorf("CreateCard idempotency keys = %q, want the page's key twice", keys)
	}

	// A second token with the same key (two presses that both got
	// through) stores nothing more and says so.
	again := e.submitCard(p, e.visa("94103"), "", "94103")
	expect(t, again, http.StatusUnprocessableEntity)
	if got := custText(again, "card-error"); !strings.Contains(got, "This page already added a card.") {
		t.Errorf("message = %q, want it to say the page already added a card", got)
	}
	if n := len(e.cardsOf(cu.ID)); n != 1 {
		t.Errorf("cards after a second token with the same key = %d, want 1", n)
	}
}

func TestAFailureAtSquareKeepsTheNameAndPostalCodeAndTheKey(t *testing.T) {
	faults := []struct {
		name       string
		fault      squarelocal.Fault
		status     int
		wantHeader string
	}{
		{"Square unavailable", squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Endpoint: callCreateCard}, http.StatusServiceUnavailable, "The card was not saved."},
		{"Square rate limiting", squarelocal.Fault{Kind: squarelocal.FaultRateLimit, Endpoint: callCreateCard}, http.StatusServiceUnavailable, "The card was not saved."},
		{"Square failing", squarelocal.Fault{Kind: squarelocal.FaultInternal, Endpoint: callCreateCard}, http.StatusBadGateway, "The card may not have been saved."},
	}
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) {
			e := newCustEnv(t, 0)
			cu := e.create(square.CreateCustomerRequest{GivenName: "Kept"})
			p := e.cardPage(cu.ID)
			if err := e.h.emu.InjectFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			next := e.submitCard(p, e.visa("SW1A 1AA"), "Kept Typed", "SW1A 1AA")
			expect(t, next, tt.status)
			if got := custText(next, "card-error"); !strings.Contains(got, tt.wantHeader) || !strings.Contains(got, "Reference:") {
				t.Errorf("message = %q, want %q with a reference", got, tt.wantHeader)
			}
			if got := custInput(t, next, "cardholder_name"); got != "Kept Typed" {
				t.Errorf("cardholder = %q, want it as typed", got)
			}
			if got, _ := next.Doc.Find(cardFormSel).Attr("data-postal-code"); got != "SW1A 1AA" {
				t.Errorf("postal code for the card form = %q, want it as typed", got)
			}
			if got := cardKey(t, next); got != cardKey(t, p) {
				t.Errorf("idempotency key = %q, want the page's own %q", got, cardKey(t, p))
			}
			alert := e.submitCard(p, e.visa("SW1A 1AA"), "Kept Typed", "SW1A 1AA", custHX...)
			expect(t, alert, tt.status)
			if got := custText(alert, "alert"); !strings.Contains(got, tt.wantHeader) {
				t.Errorf("htmx alert = %q, want %q", got, tt.wantHeader)
			}

			e.h.emu.ClearFaults()
			e.expectFlash(e.submitCard(next, e.visa("SW1A 1AA"), "Kept Typed", "SW1A 1AA"), "/customers/"+cu.ID, "Card added.")
			if n := len(e.cardsOf(cu.ID)); n != 1 {
				t.Errorf("cards after the failure and a retry = %d, want 1", n)
			}
		})
	}
}

func TestACardWhoseAnswerWasLostIsNotStoredTwice(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Lost"})
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultDropAfterWrite, Endpoint: callCreateCard}); err != nil {
		t.Fatal(err)
	}
	p := e.submitCard(e.cardPage(cu.ID), e.visa("94103"), "", "94103")
	if p.StatusCode < 500 {
		t.Fatalf("POST with lost answers = %d, want a 5xx", p.StatusCode)
	}
	if got := custText(p, "card-error"); !strings.Contains(got, "may not have been saved") {
		t.Errorf("message = %q, want it to say the card may not have been saved", got)
	}
	e.h.emu.ClearFaults()
	// The next press makes a new token; the page's key shows it as a
	// second card, so nothing is stored twice.
	again := e.submitCard(p, e.visa("94103"), "", "94103")
	expect(t, again, http.StatusUnprocessableEntity)
	if got := custText(again, "card-error"); !strings.Contains(got, "This page already added a card.") {
		t.Errorf("message = %q, want it to say the card was added after all", got)
	}
	if n := len(e.cardsOf(cu.ID)); n != 1 {
		t.Errorf("cards = %d, want 1", n)
	}
}

func TestACardFormWithoutATokenOrWithATooLongNameReachesNoSquare(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Nobody"})
	p := e.cardPage(cu.ID)
	for _, tt := range []struct{ name, token, cardholder, want string }{
		{"no token", "", "", "did not arrive"},
		{"a name over 96 characters", e.visa("94103"), strings.Repeat("n", 97), "longer than Square takes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			next := e.submitCard(p, tt.token, tt.cardholder, "94103")
			expect(t, next, http.StatusUnprocessableEntity)
			if got := custText(next, "card-error"); !strings.Contains(got, tt.want) {
				t.Errorf("message = %q, want %q", got, tt.want)
			}
		})
	}
	if n := e.calls(callCreateCard); n != 0 {
		t.Errorf("CreateCard calls = %d, want none", n)
	}
}

func TestRemovingACardAsksFirstThenDisablesItOnceAndSaysSo(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Ada"})
	card := e.addCard(cu.ID, e.visa("94103"), "Ada")
	profile := e.b.get("/customers/" + cu.ID)
	expect(t, profile, http.StatusOK)

	// Without JavaScript, Remove is a GET form to the confirmation page;
	// with it, app.js opens the dialog that holds the form that removes.
	remove := profile.Doc.Find(`li[data-card-id="` + card.ID + `"] [data-testid="remove-card"]`)
	if got := strings.Join(strings.Fields(remove.Text()), " "); got != "Remove Visa ending in 1111" {
		t.Errorf("Remove button = %q, want it to name the card", got)
	}
	confirmURL := "/customers/" + cu.ID + "/cards/" + card.ID + "/remove"
	form := remove.Closest("form")
	if action, _ := form.Attr("action"); action != confirmURL {
		t.Errorf("Remove form action = %q, want %q", action, confirmURL)
	}
	if method, _ := form.Attr("method"); method != "get" {
		t.Errorf("Remove form method = %q, want get", method)
	}
	dialogID, _ := remove.Attr("data-confirm-dialog")
	dialog := profile.Doc.Find("dialog#" + dialogID)
	if !strings.Contains(dialog.Text(), "Remove Visa ending in 1111?") {
		t.Errorf("dialog %q = %q, want it to ask about the card", dialogID, dialog.Text())
	}
	disableURL := "/customers/" + cu.ID + "/cards/" + card.ID + "/disable"
	if action, values := custFormValues(t, profile, "dialog#"+dialogID+" form"); action != disableURL || values.Get("_csrf") == "" {
		t.Errorf("dialog form = %s %v, want a post to %s with the CSRF token", action, values, disableURL)
	}

	confirm := e.b.get(confirmURL)
	expect(t, confirm, http.StatusOK)
	if got := custText(confirm, "remove-card-confirm"); !strings.Contains(got, "Remove Visa ending in 1111?") {
		t.Errorf("confirmation = %q, want it to name the card", got)
	}
	if e.calls(callDisableCard) != 0 {
		t.Fatal("the confirmation page disabled the card, want GET to change nothing")
	}
	p := e.submit(confirm, `[data-testid="remove-card-form"]`, nil)
	after := e.expectFlash(p, "/customers/"+cu.ID, "Card removed.")
	if n := after.Doc.Find(`li[data-card-id="` + card.ID + `"]`).Length(); n != 0 {
		t.Error("the profile still lists the removed card")
	}
	if got := e.cardsOf(cu.ID); len(got) != 1 || got[0].Enabled {
		t.Errorf("card at Square = %+v, want it disabled", got)
	}

	// Removing it again (a second press, an old tab) is fine.
	e.expectFlash(e.submit(confirm, `[data-testid="remove-card-form"]`, nil), "/customers/"+cu.ID, "Card removed.")
	if n := e.calls(callDisableCard); n != 1 {
		t.Errorf("DisableCard calls = %d, want 1", n)
	}
	again := e.b.get(confirmURL)
	expect(t, again, http.StatusOK)
	if again.testID("card-already-removed").Length() != 1 || again.testID("remove-card-form").Length() != 0 {
		t.Error("the confirmation of a removed card offers to remove it, want it to say it is removed")
	}
}

func TestARemovalThatSquareFailsComesBackToTheConfirmation(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Ada"})
	card := e.addCard(cu.ID, e.visa("94103"), "Ada")
	confirm := e.b.get("/customers/" + cu.ID + "/cards/" + card.ID + "/remove")
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Endpoint: callDisableCard}); err != nil {
		t.Fatal(err)
	}
	p := e.submit(confirm, `[data-testid="remove-card-form"]`, nil)
	expect(t, p, http.StatusServiceUnavailable)
	if got := custText(p, "save-failed"); !strings.Contains(got, "The card was not removed.") {
		t.Errorf("message = %q, want it to say the card was not removed", got)
	}
	e.h.emu.ClearFaults()
	e.expectFlash(e.submit(p, `[data-testid="remove-card-form"]`, nil), "/customers/"+cu.ID, "Card removed.")
}

func TestACardOfAnotherCustomerOrMerchantIsNotFoundAndStaysAsItIs(t *testing.T) {
	e := newCustEnv(t, 0)
	mine := e.create(square.CreateCustomerRequest{GivenName: "Mine"})
	other := e.create(square.CreateCustomerRequest{GivenName: "Other"})
	othersCard := e.addCard(other.ID, e.visa("94103"), "Other")
	page := e.b.get("/customers/" + mine.ID)
	token := csrfToken(t, page)

	// Another merchant's card, read with that merchant's own session.
	b2 := e.h.newBrowser()
	b2.signIn(1)
	d, _ := e.h.sessionData(b2.sessionCookie())
	var foreign string
	for _, card := range listCards(t, e.h.square.WithAccessToken(d.AccessToken), square.ListCardsParams{}) {
		if card.Enabled {
			foreign = card.ID
			break
		}
	}
	if foreign == "" {
		t.Fatal("the second merchant has no enabled card")
	}

	for _, tt := range []struct{ name, customer, card string }{
		{"another customer's card", mine.ID, othersCard.ID},
		{"another merchant's card", mine.ID, foreign},
		{"an unknown card", mine.ID, "ccof:doesnotexist1234"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := "/customers/" + tt.customer + "/cards/" + tt.card
			expectErrorPage(t, e.b.get(base+"/remove"), http.StatusNotFound)
			expectErrorPage(t, e.b.post(base+"/disable", url.Values{"_csrf": {token}}), http.StatusNotFound)
		})
	}
	t.Run("an id no card can have", func(t *testing.T) {
		e.h.emu.ResetCalls()
		expectErrorPage(t, e.b.post("/customers/"+mine.ID+"/cards/%3Cb%3E/disable", url.Values{"_csrf": {token}}), http.StatusNotFound)
		if n := len(e.h.emu.Calls()); n != 0 {
			t.Errorf("Square calls = %d, want none", n)
		}
	})
	if n := e.calls(callDisableCard); n != 0 {
		t.Errorf("DisableCard calls = %d, want none", n)
	}
	if got := e.cardsOf(other.ID); len(got) != 1 || !got[0].Enabled {
		t.Errorf("the other customer's card = %+v, want it enabled", got)
	}
}

func TestCardWritesNeedTheCSRFToken(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Csrf"})
	card := e.addCard(cu.ID, e.visa("94103"), "Csrf")
	p := e.cardPage(cu.ID)
	_, values := custFormValues(t, p, cardFormSel)
	values.Set("source_id", e.visa("94103"))
	values.Del("_csrf")
	e.h.emu.ResetCalls()
	expect(t, e.b.post("/customers/"+cu.ID+"/cards", values), http.StatusForbidden)
	expect(t, e.b.post("/customers/"+cu.ID+"/cards/"+card.ID+"/disable", url.Values{}), http.StatusForbidden)
	values.Set("_csrf", csrfToken(t, p))
	expect(t, e.b.post("/customers/"+cu.ID+"/cards", values, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
	if n := len(e.h.emu.Calls()); n != 0 {
		t.Errorf("Square calls after refused card writes = %d, want none", n)
	}
}

func TestTheCardPageGivesSquaresCardFormTheCustomersContactToVerifyTheBuyer(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{
		GivenName: "Ada", FamilyName: "Lovelace", EmailAddress: "ada@example.co.uk", PhoneNumber: "+44 20 7946 0000",
		Address: &square.Address{AddressLine1: "12 St James's Square", AddressLine2: "Flat 2", Locality: "London",
			AdministrativeDistrictLevel1: "LND", PostalCode: "SW1Y 4LB", Country: "GB"},
	})
	p := e.cardPage(cu.ID)
	want := `{"givenName":"Ada","familyName":"Lovelace","email":"ada@example.co.uk","phone":"+44 20 7946 0000",` +
		`"addressLines":["12 St James's Square","Flat 2"],"city":"London","state":"LND","countryCode":"GB","postalCode":"SW1Y 4LB"}`
	if got := custHiddenOf(t, p, "billing_contact"); got != want {
		t.Errorf("billing_contact = %s, want %s", got, want)
	}

	// Someone with a name only: the contact holds the name only.
	bare := e.create(square.CreateCustomerRequest{CompanyName: "Analytical Engines Ltd"})
	if got := custHiddenOf(t, e.cardPage(bare.ID), "billing_contact"); got != "{}" {
		t.Errorf("billing_contact of a customer with a company name only = %s, want {}", got)
	}
}

func TestACardWhoseBankRequiresVerificationIsStoredOnceTheCardFormVerifiedTheBuyer(t *testing.T) {
	const scaVisa = "4800 0000 0000 0004" // the sandbox's SCA Visa, verified without a challenge
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Ada", FamilyName: "Lovelace"})

	// Tokenized without verification: Square refuses, nothing is stored,
	// and the page says what to do, with what was typed and the contact.
	p := e.cardPage(cu.ID)
	contact := custHiddenOf(t, p, "billing_contact")
	unverified := e.token(scaVisa, "12/30", "111", "SW1A 1AA")
	next := e.submitCard(p, unverified, "Ada Lovelace", "SW1A 1AA")
	expect(t, next, http.StatusUnprocessableEntity)
	if got := custText(next, "card-error"); !strings.Contains(got, "The card's bank did not verify the cardholder.") ||
		!strings.Contains(got, "Press Save card again") {
		t.Errorf("message = %q, want that the bank did not verify the cardholder and what to do", got)
	}
	if got := custHiddenOf(t, next, "billing_contact"); got != contact {
		t.Errorf("billing_contact after the refusal = %s, want %s as before", got, contact)
	}
	if got := custInput(t, next, "cardholder_name"); got != "Ada Lovelace" {
		t.Errorf("cardholder name after the refusal = %q, want it as typed", got)
	}
	if n := len(e.cardsOf(cu.ID)); n != 0 {
		t.Fatalf("after the refusal the customer has %d cards, want 0", n)
	}

	// Verified while tokenizing, as cards.js asks: stored.
	tok, err := e.h.emu.TestCardToken(scaVisa, "12/30", "111", "SW1A 1AA", squarelocal.VerificationDetails{Intent: "STORE", SellerKeyedIn: true})
	if err != nil {
		t.Fatal(err)
	}
	e.expectFlash(e.submitCard(next, tok, "Ada Lovelace", "SW1A 1AA"), "/customers/"+cu.ID, "Card added.")
	if cards := e.cardsOf(cu.ID); len(cards) != 1 || cards[0].Last4 != "0004" {
		t.Errorf("cards = %+v, want the Visa ending in 0004", cards)
	}
}

func TestABillingContactThatIsNotOneIsDropped(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Ada"})
	for _, posted := range []string{`"><script>alert(1)</script>`, `{"givenName":"Ada","extra":"<b>x</b>"}`, strings.Repeat("x", 5000), `[1,2]`} {
		p := e.cardPage(cu.ID)
		action, values := custFormValues(t, p, cardFormSel)
		values.Set("billing_contact", posted)
		values.Set("source_id", "cnon:card-nonce-declined")
		next := e.b.post(action, values)
		expect(t, next, http.StatusUnprocessableEntity)
		got := custHiddenOf(t, next, "billing_contact")
		if want := map[bool]string{true: `{"givenName":"Ada"}`, false: "{}"}[strings.HasPrefix(posted, `{"givenName"`)]; got != want {
			t.Errorf("billing_contact %.40q posted back = %s, want %s", posted, got, want)
		}
	}
}
