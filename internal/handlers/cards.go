package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/history"
	"github.com/tessera-dashboard/tessera/internal/live"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// Adding a card on file: GET /customers/:id/cards/new shows Square's card
// form (the Web Payments SDK), which turns the card into a one-time token
// in the browser; POST /customers/:id/cards stores it with CreateCard.
// Card numbers never reach Tessera, so there is nothing to add without
// JavaScript: the page says so.
//
// Where the card's bank requires Strong Customer Authentication (the EEA
// and the UK), Square stores a card only once the buyer is verified. The
// card form verifies while it tokenizes (card.tokenize with verification
// details: the customer's contact as the billing contact, and
// sellerKeyedIn, since staff type the card in for the customer), so the
// token it posts is already verified and CreateCard needs nothing more.

// cardSDK is where the Web Payments SDK of one environment comes from, and
// what the card page's CSP must allow for it.
type cardSDK struct {
	scriptURL string
	// sources are nil when the script is our own origin (local mode).
	sources *cspSources
}

// squareCardSDK is Square's SDK served from sdkOrigin, tokenizing through
// the API hosts of apiDomain. The card fields are an iframe from
// sdkOrigin that talks to pci-connect; the script also loads parts of
// itself from js.<apiDomain>, and Square's fonts and stylesheet for the
// form from the CDN. These are the origins Square's CSP guide and its
// forums name. Verifying the buyer (3-D Secure) talks to Cardinal
// Commerce, Square's 3-D Secure provider, and may frame the card issuer's
// own challenge page, which can be on any https origin: the card page
// alone may frame https pages (3-D Secure providers advise the same).
func squareCardSDK(sdkOrigin, apiDomain string) cardSDK {
	const (
		fonts    = "https://square-fonts-production-f.squarecdn.com"
		cardinal = "https://*.cardinalcommerce.com"
	)
	return cardSDK{
		scriptURL: sdkOrigin + "/v1/square.js",
		sources: &cspSources{
			Script:  []string{sdkOrigin, "https://js." + apiDomain},
			Style:   []string{sdkOrigin, fonts},
			Font:    []string{fonts},
			Connect: []string{sdkOrigin, "https://pci-connect." + apiDomain, "https://connect." + apiDomain, cardinal},
			Frame:   []string{sdkOrigin, cardinal, "https:"},
		},
	}
}

// cardSDKFor returns the Web Payments SDK of the environment: Square's
// sandbox or production script, or squarelocal's stand-in, which Tessera
// serves itself in local mode and the standalone emulator serves in
// emulator mode. The stand-in makes no requests and brings no styles, so
// its origin is all the page must allow.
func cardSDKFor(cfg *config.Config) cardSDK {
	switch cfg.Environment {
	case config.Sandbox:
		return squareCardSDK("https://sandbox.web.squarecdn.com", "squareupsandbox.com")
	case config.Production:
		return squareCardSDK("https://web.squarecdn.com", "squareup.com")
	case config.Emulator:
		origin := cfg.EmulatorURL.Scheme + "://" + cfg.EmulatorURL.Host
		return cardSDK{scriptURL: origin + "/v1/square.js", sources: &cspSources{Script: []string{origin}}}
	}
	return cardSDK{scriptURL: emulatorPrefix + "/v1/square.js"}
}

// Limits of what the card form posts.
const (
	// maxCardSource is the longest source_id CreateCard takes.
	maxCardSource = 16384
	// maxCardPostalCode bounds the billing postal code, which comes from
	// Square's card form; postal codes are far shorter.
	maxCardPostalCode = 32
)

// cardsPath is where a customer's card form posts.
func cardsPath(customerID string) string {
	return customerPath(customerID) + "/cards"
}

// newCard shows the card form for a customer, with an idempotency key
// minted now: every submit of this page, however often, is one card. The
// customer and the card form's location are fetched at once; the location
// comes from the merchant cache, so usually without a call.
func (a *app) newCard(c echo.Context) error {
	id, err := customerID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	client := a.client(c)
	merchantID := sessionOf(c).MerchantID()
	var (
		cu            *square.Customer
		location      string
		errCu, errLoc error
	)
	runParallel(
		func() { cu, errCu = client.Customers.Get(ctx, id) },
		func() { location, errLoc = a.cardLocation(ctx, merchantID, client) },
	)
	if errCu != nil {
		return a.customerReadError(c, id, errCu)
	}
	if errLoc != nil {
		return errLoc
	}
	v := views.CardFormView{
		CustomerName: customers.DisplayName(cu), IdempotencyKey: newIdempotencyKey(), LocationID: location,
		BillingContact: billingContact(cu),
	}
	return a.renderCardForm(c, http.StatusOK, id, v)
}

// contact is the billing contact of the Web Payments SDK's verification
// details. The more of it the card's bank gets, the likelier it verifies
// the buyer without a challenge.
type contact struct {
	GivenName    string   `json:"givenName,omitempty"`
	FamilyName   string   `json:"familyName,omitempty"`
	Email        string   `json:"email,omitempty"`
	Phone        string   `json:"phone,omitempty"`
	AddressLines []string `json:"addressLines,omitempty"`
	City         string   `json:"city,omitempty"`
	State        string   `json:"state,omitempty"`
	CountryCode  string   `json:"countryCode,omitempty"`
	PostalCode   string   `json:"postalCode,omitempty"`
}

// maxBillingContact bounds the billing contact the card form posts back;
// one made from a customer is far shorter.
const maxBillingContact = 4096

// billingContact is the customer's contact, as JSON for the card form.
func billingContact(cu *square.Customer) string {
	k := contact{GivenName: cu.GivenName, FamilyName: cu.FamilyName, Email: cu.EmailAddress, Phone: cu.PhoneNumber}
	if a := cu.Address; a != nil {
		for _, l := range []string{a.AddressLine1, a.AddressLine2, a.AddressLine3} {
			if l != "" {
				k.AddressLines = append(k.AddressLines, l)
			}
		}
		k.City, k.State, k.CountryCode, k.PostalCode = a.Locality, a.AdministrativeDistrictLevel1, a.Country, a.PostalCode
	}
	return k.json()
}

// postedBillingContact is the billing contact the card form carried, to
// show the page again with it: only what a contact holds, else "{}".
func postedBillingContact(posted string) string {
	var k contact
	if len(posted) > maxBillingContact || json.Unmarshal([]byte(posted), &k) != nil {
		return "{}"
	}
	return k.json()
}

func (k contact) json() string {
	b, err := json.Marshal(k)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// cardLocation is the location the card form works for: SQUARE_LOCATION_ID,
// or else the merchant's main location.
func (a *app) cardLocation(ctx context.Context, merchantID string, client merchantAPI) (string, error) {
	if a.cfg.LocationID != "" {
		return a.cfg.LocationID, nil
	}
	info, err := a.merchants.get(ctx, merchantID, client, a.now())
	if err != nil {
		return "", err
	}
	return info.MainLocationID, nil
}

// renderCardForm renders the card page. The application id is the one the
// Square client signs in with (squarelocal's in local mode,
// SQUARE_APPLICATION_ID otherwise): the card form must belong to the same
// application as the merchant's token.
func (a *app) renderCardForm(c echo.Context, status int, id string, v views.CardFormView) error {
	v.Action, v.CancelURL, v.CSRFToken = cardsPath(id), customerPath(id), csrfToken(c)
	v.ScriptURL = cardSDKFor(a.cfg).scriptURL
	v.ApplicationID = a.square.OAuth.Config("", nil).ClientID
	return render(c, status, views.CardFormPage(a.layout(c, "Add a card for "+v.CustomerName, views.NavCustomers), v))
}

// createCard stores the card the browser tokenized. The page stays usable
// whatever happens: Square's refusals and failures come back as messages,
// with the name as typed, and the next press of Save card makes a new
// token.
func (a *app) createCard(c echo.Context) error {
	id, err := customerID(c)
	if err != nil {
		return err
	}
	form := postedForm(c)
	v := views.CardFormView{
		CustomerName:   form.Get(views.CardCustomerName),
		BillingContact: postedBillingContact(form.Get(views.CardBillingContact)),
		Cardholder:     strings.TrimSpace(form.Get(views.CardCardholderName)),
		PostalCode:     strings.TrimSpace(form.Get(views.CardPostalCode)),
		IdempotencyKey: form.Get(views.CardIdempotencyKey),
	}
	source := form.Get(views.CardSourceID)
	switch {
	case !validIdempotencyKey(v.IdempotencyKey):
		v.IdempotencyKey = newIdempotencyKey()
		return a.cardRefused(c, id, v, "The card was not saved.",
			"This page could not be checked for duplicates. Check the card details and press Save card again.")
	case source == "" || len(source) > maxCardSource:
		return a.cardRefused(c, id, v, "The card was not saved.",
			"The card details from Square's card form did not arrive. Press Save card again.")
	case utf8.RuneCountInString(v.Cardholder) > views.MaxCardholderName:
		return a.cardRefused(c, id, v, "The card was not saved.",
			"The cardholder name is longer than Square takes (96 characters). Shorten it and press Save card again.")
	case len(v.PostalCode) > maxCardPostalCode:
		return a.cardRefused(c, id, v, "The card was not saved.",
			"The postal code is longer than a postal code can be. Correct it in the card form and press Save card again.")
	}
	req := &square.CreateCardRequest{
		IdempotencyKey: v.IdempotencyKey,
		SourceID:       source,
		Card:           square.NewCard{CustomerID: id, CardholderName: v.Cardholder},
	}
	if v.PostalCode != "" {
		req.Card.BillingAddress = &square.Address{PostalCode: v.PostalCode}
	}
	card, err := a.client(c).Cards.Create(c.Request().Context(), req)
	switch outcome := customers.OutcomeOf(err); {
	case outcome == customers.Done:
		name := a.indexedName(c, id)
		if name == "" {
			name = v.CustomerName
		}
		a.recordCard(c, history.CardAdded, id, name, card)
		a.publish(c, live.Event{Kind: live.Card, CustomerID: id})
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "Card added."})
		return redirect(c, customerPath(id))
	case outcome == customers.SignedOut:
		return err
	case outcome == customers.KeyReused:
		// This key already stored a card, from another token: an earlier
		// try went through after all. A new key makes the next press a
		// deliberate second card.
		v.IdempotencyKey = newIdempotencyKey()
		return a.cardRefused(c, id, v, "This page already added a card.",
			"An earlier try that seemed to fail went through. Check the customer's cards first: pressing Save card again now adds another card.")
	case !outcome.Failed():
		// Square refused the card and stored nothing. A new key keeps the
		// next try, with a new token, from being taken for a replay of
		// this one.
		code := square.ErrorCode(err)
		a.logger.InfoContext(c.Request().Context(), "square refused a card",
			slog.String("code", code), slog.String("field", square.ErrorField(err)))
		if code == "CUSTOMER_NOT_FOUND" || outcome == customers.Gone {
			return errCardCustomerGone
		}
		v.IdempotencyKey = newIdempotencyKey()
		title, message := cardRefusalWords(code)
		return a.cardRefused(c, id, v, title, message)
	}
	return a.cardSaveFailed(c, id, v, err)
}

// errCardCustomerGone is a customer deleted while the card page was open.
var errCardCustomerGone = &pageError{
	Status: http.StatusNotFound, Title: "This customer no longer exists",
	Message: "The customer was deleted in Square, so the card was not added.",
	BackURL: "/customers", BackLabel: "Go to customers",
}

// cardRefusalWords says in plain words why Square did not store a card.
// Square gives one code for most card problems (INVALID_CARD_DATA), on
// purpose: it does not say which detail was wrong.
func cardRefusalWords(code string) (title, message string) {
	const title0 = "The card was not saved."
	switch code {
	case "INVALID_CARD_DATA", "INVALID_CARD", "GENERIC_DECLINE", "CARD_DECLINED", "INVALID_EXPIRATION",
		"CARD_EXPIRED", "CVV_FAILURE", "VERIFY_CVV_FAILURE", "ADDRESS_VERIFICATION_FAILURE", "VERIFY_AVS_FAILURE":
		return "Square did not accept this card.",
			"Check the card number, expiry date, CVV and postal code, or try another card."
	case "CARD_DECLINED_VERIFICATION_REQUIRED":
		return "The card's bank did not verify the cardholder.",
			"Square stores this card only once its bank has verified the cardholder. Press Save card again to verify afresh, or try another card."
	case "SOURCE_USED", "CARD_TOKEN_USED":
		return title0, "These card details were already used once. Press Save card again to send them afresh."
	case "SOURCE_EXPIRED", "CARD_TOKEN_EXPIRED":
		return title0, "The card details expired before they reached Square. Press Save card again."
	case "CARD_PROCESSING_NOT_ENABLED":
		return "This Square account cannot store cards yet.",
			"Card processing is not enabled for its location. Finish setting up card payments in Square, then try again."
	}
	return title0, "Square did not accept the card details. Check them and press Save card again, or try another card."
}

// cardRefused answers a try that stored no card: 422 with the message.
// htmx swaps only the form's result (the key and the message), so the
// card form in the page keeps what was typed; without htmx the whole page
// comes back, with the name and the postal code as typed.
func (a *app) cardRefused(c echo.Context, id string, v views.CardFormView, title, message string) error {
	v.Problem = &views.Failure{Title: title, Message: message}
	if isHTMX(c) {
		return render(c, http.StatusUnprocessableEntity, views.CardFormResult(v))
	}
	return a.renderCardPageAgain(c, http.StatusUnprocessableEntity, id, v)
}

// cardSaveFailed answers a try that Square did not complete: it says
// whether the card was not stored or may have been. The key stays, so
// that a card stored after all is stored once.
func (a *app) cardSaveFailed(c echo.Context, id string, v views.CardFormView, err error) error {
	return a.writeFailed(c, err, writeFailure{
		action: "adding a card", alertForHTMX: true,
		notDone: views.Failure{Title: "The card was not saved.",
			Message: "Square could not take it just now. Press Save card again in a moment."},
		maybeDone: views.Failure{Title: "The card may not have been saved.",
			Message: "Square did not confirm it. Press Save card again: if the card was stored after all, this page says so rather than add it twice."},
		page: func(status int, f *views.Failure) error {
			v.Problem = f
			return a.renderCardPageAgain(c, status, id, v)
		},
	})
}

// renderCardPageAgain renders the whole card page after a try, without
// asking Square for the customer again: the form carried the name. The
// location comes from the merchant cache; when Square cannot give it,
// the page goes without, and Square's card form says what it lacks.
func (a *app) renderCardPageAgain(c echo.Context, status int, id string, v views.CardFormView) error {
	if v.CustomerName == "" {
		v.CustomerName = "the customer"
	}
	loc, err := a.cardLocation(c.Request().Context(), sessionOf(c).MerchantID(), a.client(c))
	if err != nil {
		a.logger.WarnContext(c.Request().Context(), "no location for the card form", slog.Any("err", err))
	}
	v.LocationID = loc
	return a.renderCardForm(c, status, id, v)
}
