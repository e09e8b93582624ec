package squarelocal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type cardResp struct {
	Card Card `json:"card"`
}

type cardsResp struct {
	Cards  []Card `json:"cards"`
	Cursor string `json:"cursor"`
}

// cardToken makes a stand-in token for the Visa test card, failing the test
// if it cannot.
func visaToken(t testing.TB, s *Server) string {
	t.Helper()
	tok, err := s.TestCardToken("4111111111111111", futureExpiry(s), "111", "98101")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// createCardBody is a CreateCard body with a fresh idempotency key.
func createCardBody(source, customerID string) map[string]any {
	return map[string]any{
		"idempotency_key": "key-" + newNonce()[:16],
		"source_id":       source,
		"card":            map[string]any{"customer_id": customerID},
	}
}

// mustCreateCard stores a card for a customer through CreateCard.
func mustCreateCard(t testing.TB, e *testEnv, token string, body map[string]any) Card {
	t.Helper()
	status, out := e.do(t, "POST", "/v2/cards", token, body)
	if status != http.StatusOK {
		t.Fatalf("CreateCard(%v) = %d %s, want 200", body, status, out)
	}
	return decodeAs[cardResp](t, out).Card
}

func TestCreateCardAcceptsTheFixedTestValues(t *testing.T) {
	e := newEnv(t, -1)
	cust := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	tests := []struct {
		source     string
		wantStatus int
		wantCode   string
	}{
		{"cnon:card-nonce-ok", 200, ""},
		{"cnon:card-nonce-declined", 400, "INVALID_CARD_DATA"},
		{"cnon:card-nonce-rejected-cvv", 400, "INVALID_CARD_DATA"},
		{"cnon:card-nonce-rejected-postalcode", 400, "INVALID_CARD_DATA"},
		{"cnon:card-nonce-rejected-expiration", 400, "INVALID_CARD_DATA"},
		{"cnon:card-nonce-already-used", 400, "SOURCE_USED"},
		{"ccof:customer-card-id-ok", 400, "INVALID_CARD_DATA"},
		{"cnon:gift-card-nonce-ok", 400, "INVALID_CARD_DATA"},
		{"cnon:not-base64-at-all!", 400, "INVALID_CARD_DATA"},
		{"a payment id", 400, "INVALID_CARD_DATA"},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			status, body := e.do(t, "POST", "/v2/cards", e.tokA, createCardBody(tt.source, cust.ID))
			if tt.wantStatus != 200 {
				wantError(t, "CreateCard("+tt.source+")", status, body, tt.wantStatus, tt.wantCode, "source_id")
				return
			}
			if status != 200 {
				t.Fatalf("CreateCard(%s) = %d %s, want 200", tt.source, status, body)
			}
			c := decodeAs[cardResp](t, body).Card
			if c.CardBrand != "VISA" || c.Last4 != "1111" || !c.Enabled || c.Version != 1 || c.CustomerID != cust.ID ||
				c.MerchantID != e.a.ID || !strings.HasPrefix(c.ID, "ccof:") || c.CreatedAt != "" || c.ExpYear < int64(e.s.Now().Year()) {
				t.Errorf("CreateCard(%s) = %+v, want an enabled version-1 Visa 1111 of %s without created_at", tt.source, c, cust.ID)
			}
		})
	}
	t.Run("the fixed ok value can be used again", func(t *testing.T) {
		for range 2 {
			if status, body := e.do(t, "POST", "/v2/cards", e.tokA, createCardBody("cnon:card-nonce-ok", cust.ID)); status != 200 {
				t.Fatalf("CreateCard(cnon:card-nonce-ok) = %d %s, want 200", status, body)
			}
		}
	})
}

func TestCreateCardFromCardFormTokens(t *testing.T) {
	e := newEnv(t, -1)
	cust := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	exp := futureExpiry(e.s)
	tests := []struct {
		name                     string
		number, exp, cvv, postal string
		wantCode                 string
		brand, last4             string
	}{
		{"a Visa card is stored", "4111111111111111", exp, "111", "98101", "", "VISA", "1111"},
		{"a Mastercard is stored", "5105105105105100", exp, "111", "98101", "", "MASTERCARD", "5100"},
		{"an American Express card is stored", "340000000000009", exp, "1111", "98101", "", "AMERICAN_EXPRESS", "0009"},
		{"a UnionPay card is stored", "6222988812340000", exp, "123", "10435", "", "CHINA_UNIONPAY", "0000"},
		{"the declined card is refused", "4000000000000002", exp, "111", "98101", "INVALID_CARD_DATA", "", ""},
		{"the card-on-file declined card is refused", "4000000000000010", exp, "111", "98101", "INVALID_CARD_DATA", "", ""},
		{"CVV 911 is refused", "4111111111111111", exp, "911", "98101", "INVALID_CARD_DATA", "", ""},
		{"postal code 99999 is refused", "4111111111111111", exp, "111", "99999", "INVALID_CARD_DATA", "", ""},
		{"expiry 01/40 is refused", "4111111111111111", "01/40", "111", "98101", "INVALID_CARD_DATA", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := e.s.TestCardToken(tt.number, tt.exp, tt.cvv, tt.postal)
			if err != nil {
				t.Fatal(err)
			}
			status, body := e.do(t, "POST", "/v2/cards", e.tokA, createCardBody(tok, cust.ID))
			if tt.wantCode != "" {
				wantError(t, "CreateCard("+tt.name+")", status, body, 400, tt.wantCode, "source_id")
				return
			}
			if status != 200 {
				t.Fatalf("CreateCard(%s) = %d %s, want 200", tt.name, status, body)
			}
			c := decodeAs[cardResp](t, body).Card
			if c.CardBrand != tt.brand || c.Last4 != tt.last4 || c.Bin != tt.number[:6] || c.ExpMonth != 12 ||
				c.BillingAddress == nil || c.BillingAddress.PostalCode != tt.postal || c.Fingerprint == "" ||
				c.CardType != "CREDIT" || c.PrepaidType != "NOT_PREPAID" {
				t.Errorf("CreateCard(%s) = %+v, want %s %s with postal code %s", tt.name, c, tt.brand, tt.last4, tt.postal)
			}
		})
	}
}

func TestCreateCardKeepsTheSentCardDetails(t *testing.T) {
	e := newEnv(t, -1)
	cust := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	body := createCardBody(visaToken(t, e.s), cust.ID)
	body["verification_token"] = "verf:abc"
	body["card"] = map[string]any{
		"customer_id": cust.ID, "cardholder_name": "Ada Lovelace", "reference_id": "ref-1",
		"billing_address": map[string]any{"address_line_1": "1 Main St", "postal_code": "98109", "country": "US"},
	}
	c := mustCreateCard(t, e, e.tokA, body)
	if c.CardholderName != "Ada Lovelace" || c.ReferenceID != "ref-1" || c.BillingAddress == nil ||
		c.BillingAddress.PostalCode != "98109" || c.BillingAddress.AddressLine1 != "1 Main St" {
		t.Errorf("CreateCard(%v) = %+v, want the sent name, reference and billing address", body, c)
	}
	// The same card typed again has the same fingerprint.
	again := mustCreateCard(t, e, e.tokA, createCardBody(visaToken(t, e.s), cust.ID))
	if again.Fingerprint != c.Fingerprint || again.ID == c.ID {
		t.Errorf("CreateCard twice for one card = fingerprints %q, %q and ids %q, %q, want equal fingerprints and new ids", c.Fingerprint, again.Fingerprint, c.ID, again.ID)
	}
}

func TestACardTokenMakesOneCard(t *testing.T) {
	e := newEnv(t, -1)
	cust := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	tok := visaToken(t, e.s)
	mustCreateCard(t, e, e.tokA, createCardBody(tok, cust.ID))
	status, body := e.do(t, "POST", "/v2/cards", e.tokA, createCardBody(tok, cust.ID))
	wantError(t, "CreateCard(reused token)", status, body, 400, "SOURCE_USED", "source_id")
	// Not even another merchant can use it.
	other := e.create(t, e.tokB, map[string]any{"given_name": "Bea"})
	status, body = e.do(t, "POST", "/v2/cards", e.tokB, createCardBody(tok, other.ID))
	wantError(t, "CreateCard(token used by another merchant)", status, body, 400, "SOURCE_USED", "source_id")
}

func TestCreateCardIsIdempotent(t *testing.T) {
	e := newEnv(t, -1)
	cust := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	body := createCardBody(visaToken(t, e.s), cust.ID)
	first := mustCreateCard(t, e, e.tokA, body)
	// A replay answers the first card, although its token is now used.
	replay := mustCreateCard(t, e, e.tokA, body)
	if replay.ID != first.ID {
		t.Errorf("CreateCard replay = %s, want %s", replay.ID, first.ID)
	}
	changed := createCardBody(visaToken(t, e.s), cust.ID)
	changed["idempotency_key"] = body["idempotency_key"]
	status, out := e.do(t, "POST", "/v2/cards", e.tokA, changed)
	wantError(t, "CreateCard(same key, other body)", status, out, 400, "IDEMPOTENCY_KEY_REUSED", "idempotency_key")
	status, out = e.do(t, "GET", "/v2/cards?customer_id="+cust.ID, e.tokA, nil)
	if n := len(decodeAs[cardsResp](t, out).Cards); status != 200 || n != 1 {
		t.Errorf("ListCards after a replay = %d with %d cards, want 200 with 1", status, n)
	}
}

func TestCreateCardRefusesBadRequests(t *testing.T) {
	e := newEnv(t, -1)
	cust := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	other := e.create(t, e.tokB, map[string]any{"given_name": "Bea"})
	tok := visaToken(t, e.s)
	with := func(change func(b map[string]any)) map[string]any {
		b := createCardBody(tok, cust.ID)
		change(b)
		return b
	}
	card := func(kv ...any) map[string]any {
		m := map[string]any{"customer_id": cust.ID}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name       string
		body       any
		wantStatus int
		code       string
		field      string
	}{
		{"a missing idempotency key", with(func(b map[string]any) { delete(b, "idempotency_key") }), 400, "MISSING_REQUIRED_PARAMETER", "idempotency_key"},
		{"an idempotency key over 45 characters", with(func(b map[string]any) { b["idempotency_key"] = strings.Repeat("k", 46) }), 400, "VALUE_TOO_LONG", "idempotency_key"},
		{"a missing source", with(func(b map[string]any) { delete(b, "source_id") }), 400, "MISSING_REQUIRED_PARAMETER", "source_id"},
		{"a source over 16384 characters", with(func(b map[string]any) { b["source_id"] = "cnon:" + strings.Repeat("a", 16384) }), 400, "VALUE_TOO_LONG", "source_id"},
		{"a missing card", with(func(b map[string]any) { delete(b, "card") }), 400, "MISSING_REQUIRED_PARAMETER", "card"},
		{"a missing customer", with(func(b map[string]any) { b["card"] = map[string]any{} }), 400, "MISSING_REQUIRED_PARAMETER", "card.customer_id"},
		{"an unknown customer", with(func(b map[string]any) { b["card"] = card("customer_id", "NOPE") }), 400, "CUSTOMER_NOT_FOUND", "card.customer_id"},
		{"another merchant's customer", with(func(b map[string]any) { b["card"] = card("customer_id", other.ID) }), 400, "CUSTOMER_NOT_FOUND", "card.customer_id"},
		{"a cardholder name over 96 characters", with(func(b map[string]any) { b["card"] = card("cardholder_name", strings.Repeat("n", 97)) }), 400, "VALUE_TOO_LONG", "card.cardholder_name"},
		{"a reference id over 128 characters", with(func(b map[string]any) { b["card"] = card("reference_id", strings.Repeat("r", 129)) }), 400, "VALUE_TOO_LONG", "card.reference_id"},
		{"an unknown billing country", with(func(b map[string]any) { b["card"] = card("billing_address", map[string]any{"country": "XX"}) }), 400, "INVALID_ENUM_VALUE", "card.billing_address.country"},
		{"a billing postal code of 99999", with(func(b map[string]any) { b["card"] = card("billing_address", map[string]any{"postal_code": "99999"}) }), 400, "INVALID_CARD_DATA", "source_id"},
		{"a verification token that is not one", with(func(b map[string]any) { b["verification_token"] = "hello" }), 400, "INVALID_VALUE", "verification_token"},
		{"a number where a string belongs", with(func(b map[string]any) { b["source_id"] = 42 }), 400, "EXPECTED_STRING", "source_id"},
		{"a string where the card belongs", with(func(b map[string]any) { b["card"] = "ccof:x" }), 400, "EXPECTED_OBJECT", "card"},
		{"a body that is not JSON", "{nope", 400, "BAD_REQUEST", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.do(t, "POST", "/v2/cards", e.tokA, tt.body)
			wantError(t, "CreateCard("+tt.name+")", status, body, tt.wantStatus, tt.code, tt.field)
		})
	}
	// None of them used the token up.
	mustCreateCard(t, e, e.tokA, createCardBody(tok, cust.ID))
}

func TestListCardsPagesFiltersAndSorts(t *testing.T) {
	e := newEnv(t, -1)
	ada := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	bob := e.create(t, e.tokA, map[string]any{"given_name": "Bob"})
	var adaCards []string
	for i := range 30 {
		body := createCardBody("cnon:card-nonce-ok", ada.ID)
		body["card"] = map[string]any{"customer_id": ada.ID, "reference_id": fmt.Sprintf("ref-%d", i%2)}
		adaCards = append(adaCards, mustCreateCard(t, e, e.tokA, body).ID)
	}
	bobCard := mustCreateCard(t, e, e.tokA, createCardBody("cnon:card-nonce-ok", bob.ID)).ID
	if status, out := e.do(t, "POST", "/v2/cards/"+adaCards[3]+"/disable", e.tokA, nil); status != 200 {
		t.Fatalf("DisableCard = %d %s", status, out)
	}
	enabledAda := append(append([]string{}, adaCards[:3]...), adaCards[4:]...)

	// pages lists every page of a query, checking page sizes.
	pages := func(t *testing.T, query string) []string {
		t.Helper()
		var got []string
		cursor := ""
		for n := 0; ; n++ {
			q := query
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			status, out := e.do(t, "GET", "/v2/cards?"+q, e.tokA, nil)
			if status != 200 {
				t.Fatalf("ListCards(%s) = %d %s", q, status, out)
			}
			page := decodeAs[cardsResp](t, out)
			if len(page.Cards) > 25 || (page.Cursor != "" && len(page.Cards) != 25) {
				t.Fatalf("ListCards(%s) = %d cards with cursor %q, want full pages of at most 25", q, len(page.Cards), page.Cursor)
			}
			for _, c := range page.Cards {
				got = append(got, c.ID)
			}
			if cursor = page.Cursor; cursor == "" || n > 10 {
				return got
			}
		}
	}
	reversed := func(ids []string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[len(ids)-1-i] = id
		}
		return out
	}
	tests := []struct {
		name, query string
		want        []string
	}{
		{"a customer's enabled cards in creation order", "customer_id=" + ada.ID, enabledAda},
		{"a customer's cards newest first", "customer_id=" + ada.ID + "&sort_order=DESC", reversed(enabledAda)},
		{"a customer's cards with the disabled one", "customer_id=" + ada.ID + "&include_disabled=true", adaCards},
		{"all enabled cards of the merchant", "include_disabled=false", append(append([]string{}, enabledAda...), bobCard)},
		{"cards with a reference id", "reference_id=ref-1&customer_id=" + ada.ID, oddOnes(adaCards, adaCards[3])},
		{"another customer's cards", "customer_id=" + bob.ID, []string{bobCard}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pages(t, tt.query); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("ListCards(%s) = %v, want %v", tt.query, got, tt.want)
			}
		})
	}

	t.Run("no match answers an empty object", func(t *testing.T) {
		status, out := e.do(t, "GET", "/v2/cards?customer_id=NOBODY", e.tokA, nil)
		if status != 200 || string(out) != "{}" {
			t.Errorf("ListCards(customer_id=NOBODY) = %d %s, want 200 {}", status, out)
		}
	})

	status, out := e.do(t, "GET", "/v2/cards?customer_id="+ada.ID, e.tokA, nil)
	cursor := decodeAs[cardsResp](t, out).Cursor
	if status != 200 || cursor == "" {
		t.Fatalf("ListCards = %d with cursor %q, want a cursor", status, cursor)
	}
	bad := []struct {
		name, query, code, field string
	}{
		{"include_disabled that is not a boolean", "include_disabled=maybe", "EXPECTED_BOOLEAN", "include_disabled"},
		{"an unknown sort order", "sort_order=UP", "INVALID_ENUM_VALUE", "sort_order"},
		{"a made-up cursor", "cursor=abc", "INVALID_CURSOR", "cursor"},
		{"a cursor of another query", "customer_id=" + bob.ID + "&cursor=" + url.QueryEscape(cursor), "INVALID_CURSOR", "cursor"},
		{"a cursor of another sort order", "customer_id=" + ada.ID + "&sort_order=DESC&cursor=" + url.QueryEscape(cursor), "INVALID_CURSOR", "cursor"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			status, out := e.do(t, "GET", "/v2/cards?"+tt.query, e.tokA, nil)
			wantError(t, "ListCards("+tt.query+")", status, out, 400, tt.code, tt.field)
		})
	}
}

// oddOnes returns the elements at odd positions, except one.
func oddOnes(ids []string, except string) []string {
	var out []string
	for i := 1; i < len(ids); i += 2 {
		if ids[i] != except {
			out = append(out, ids[i])
		}
	}
	return out
}

func TestDisableCardTwiceChangesItOnce(t *testing.T) {
	e := newEnv(t, -1)
	cust := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	c := mustCreateCard(t, e, e.tokA, createCardBody(visaToken(t, e.s), cust.ID))
	var first Card
	for i := range 2 {
		// disabled_at is in the answer from Square-Version 2026-05-20 on.
		status, out := e.do(t, "POST", "/v2/cards/"+c.ID+"/disable", e.tokA, nil, "Square-Version", "2026-05-20")
		if status != 200 {
			t.Fatalf("DisableCard #%d = %d %s, want 200", i+1, status, out)
		}
		got := decodeAs[cardResp](t, out).Card
		if got.Enabled || got.Version != 2 || got.DisabledAt == "" {
			t.Errorf("DisableCard #%d = %+v, want disabled at version 2", i+1, got)
		}
		if i == 0 {
			first = got
		} else if got.DisabledAt != first.DisabledAt {
			t.Errorf("DisableCard again moved disabled_at from %s to %s", first.DisabledAt, got.DisabledAt)
		}
	}
	status, out := e.do(t, "GET", "/v2/cards/"+c.ID, e.tokA, nil)
	if got := decodeAs[cardResp](t, out).Card; status != 200 || got.Enabled {
		t.Errorf("RetrieveCard after DisableCard = %d %+v, want the disabled card", status, got)
	}
}

func TestCardsOfOneMerchantAreInvisibleToAnother(t *testing.T) {
	e := newEnv(t, -1)
	cust := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	c := mustCreateCard(t, e, e.tokA, createCardBody(visaToken(t, e.s), cust.ID))
	for _, tt := range []struct{ method, path string }{
		{"GET", "/v2/cards/" + c.ID},
		{"POST", "/v2/cards/" + c.ID + "/disable"},
		{"DELETE", "/v2/customers/" + cust.ID + "/cards/" + c.ID},
	} {
		status, out := e.do(t, tt.method, tt.path, e.tokB, nil)
		wantError(t, "merchant B: "+tt.method+" "+tt.path, status, out, 404, "NOT_FOUND", "")
	}
	status, out := e.do(t, "GET", "/v2/cards?include_disabled=true&customer_id="+cust.ID, e.tokB, nil)
	if status != 200 || string(out) != "{}" {
		t.Errorf("merchant B: ListCards(customer_id=A's customer) = %d %s, want 200 {}", status, out)
	}
	status, out = e.do(t, "GET", "/v2/cards?include_disabled=true", e.tokB, nil)
	if status != 200 || string(out) != "{}" {
		t.Errorf("merchant B: ListCards = %d %s, want 200 {}", status, out)
	}
	status, out = e.do(t, "GET", "/v2/cards/"+c.ID, e.tokA, nil)
	if got := decodeAs[cardResp](t, out).Card; status != 200 || !got.Enabled {
		t.Errorf("merchant A: RetrieveCard after B's attempts = %d %+v, want it enabled", status, got)
	}
	status, out = e.do(t, "GET", "/v2/cards/ccof:NOPE", e.tokA, nil)
	wantError(t, "RetrieveCard(unknown)", status, out, 404, "NOT_FOUND", "")
}

func TestCardsEndpointsNeedPaymentsScopes(t *testing.T) {
	e := newEnv(t, -1)
	cust := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	c := mustCreateCard(t, e, e.tokA, createCardBody("cnon:card-nonce-ok", cust.ID))
	readOnly := e.s.MintAccessToken(e.a.ID, ScopePaymentsRead)
	customersOnly := e.s.MintAccessToken(e.a.ID, ScopeCustomersRead, ScopeCustomersWrite)
	tests := []struct {
		name, token, method, path string
		body                      any
		want                      int
	}{
		{"listing with customers scopes only", customersOnly, "GET", "/v2/cards", nil, 403},
		{"retrieving with customers scopes only", customersOnly, "GET", "/v2/cards/" + c.ID, nil, 403},
		{"listing with PAYMENTS_READ", readOnly, "GET", "/v2/cards", nil, 200},
		{"retrieving with PAYMENTS_READ", readOnly, "GET", "/v2/cards/" + c.ID, nil, 200},
		{"creating with PAYMENTS_READ only", readOnly, "POST", "/v2/cards", createCardBody("cnon:card-nonce-ok", cust.ID), 403},
		{"disabling with PAYMENTS_READ only", readOnly, "POST", "/v2/cards/" + c.ID + "/disable", nil, 403},
		{"the old customer card endpoint with PAYMENTS_READ only", readOnly, "POST", "/v2/customers/" + cust.ID + "/cards", map[string]any{"card_nonce": "cnon:card-nonce-ok"}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := e.do(t, tt.method, tt.path, tt.token, tt.body)
			if tt.want == 403 {
				wantError(t, tt.method+" "+tt.path, status, out, 403, "INSUFFICIENT_SCOPES", "")
			} else if status != tt.want {
				t.Errorf("%s %s = %d %s, want %d", tt.method, tt.path, status, out, tt.want)
			}
		})
	}
}

func TestDeprecatedCreateCustomerCardIsIdempotentByNonce(t *testing.T) {
	e := newEnv(t, -1)
	ada := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	bob := e.create(t, e.tokA, map[string]any{"given_name": "Bob"})
	tok := visaToken(t, e.s)
	path := "/v2/customers/" + ada.ID + "/cards"
	body := map[string]any{"card_nonce": tok, "cardholder_name": "Ada L", "billing_address": map[string]any{"postal_code": "98101"}}
	var first Card
	for i := range 2 {
		status, out := e.do(t, "POST", path, e.tokA, body)
		if status != 200 {
			t.Fatalf("CreateCustomerCard #%d = %d %s, want 200", i+1, status, out)
		}
		got := decodeAs[cardResp](t, out).Card
		if i == 0 {
			first = got
			if got.CustomerID != ada.ID || got.CardholderName != "Ada L" || !got.Enabled || got.Last4 != "1111" {
				t.Errorf("CreateCustomerCard = %+v, want Ada's enabled Visa 1111", got)
			}
		} else if got.ID != first.ID {
			t.Errorf("CreateCustomerCard with the same nonce = %s, want the first card %s", got.ID, first.ID)
		}
	}
	tests := []struct {
		name, path  string
		body        any
		status      int
		code, field string
	}{
		{"the same nonce for another customer", "/v2/customers/" + bob.ID + "/cards", map[string]any{"card_nonce": tok}, 400, "SOURCE_USED", "card_nonce"},
		{"the same nonce used by CreateCard", "/v2/cards", createCardBody(tok, ada.ID), 400, "SOURCE_USED", "source_id"},
		{"an unknown customer", "/v2/customers/NOBODY/cards", map[string]any{"card_nonce": visaToken(t, e.s)}, 404, "NOT_FOUND", ""},
		{"a missing nonce", path, map[string]any{}, 400, "MISSING_REQUIRED_PARAMETER", "card_nonce"},
		{"a declined fixed value", path, map[string]any{"card_nonce": "cnon:card-nonce-declined"}, 400, "INVALID_CARD_DATA", "card_nonce"},
		{"a billing postal code other than the card form's", path, map[string]any{"card_nonce": visaToken(t, e.s), "billing_address": map[string]any{"postal_code": "10001"}}, 400, "INVALID_CARD_DATA", "billing_address.postal_code"},
		{"a cardholder name over 96 characters", path, map[string]any{"card_nonce": visaToken(t, e.s), "cardholder_name": strings.Repeat("x", 97)}, 400, "VALUE_TOO_LONG", "cardholder_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := e.do(t, "POST", tt.path, e.tokA, tt.body)
			wantError(t, "POST "+tt.path, status, out, tt.status, tt.code, tt.field)
		})
	}
	t.Run("the fixed ok value makes a new card each time", func(t *testing.T) {
		var ids []string
		for range 2 {
			status, out := e.do(t, "POST", path, e.tokA, map[string]any{"card_nonce": "cnon:card-nonce-ok"})
			if status != 200 {
				t.Fatalf("CreateCustomerCard(cnon:card-nonce-ok) = %d %s", status, out)
			}
			ids = append(ids, decodeAs[cardResp](t, out).Card.ID)
		}
		if ids[0] == ids[1] {
			t.Errorf("CreateCustomerCard(cnon:card-nonce-ok) twice = %v, want two cards", ids)
		}
	})
}

func TestDeprecatedDeleteCustomerCardDisablesTheCard(t *testing.T) {
	e := newEnv(t, -1)
	ada := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	bob := e.create(t, e.tokA, map[string]any{"given_name": "Bob"})
	c := mustCreateCard(t, e, e.tokA, createCardBody(visaToken(t, e.s), ada.ID))
	path := "/v2/customers/" + ada.ID + "/cards/" + c.ID

	status, out := e.do(t, "DELETE", "/v2/customers/"+bob.ID+"/cards/"+c.ID, e.tokA, nil)
	wantError(t, "DeleteCustomerCard(another customer's card)", status, out, 404, "NOT_FOUND", "")
	status, out = e.do(t, "DELETE", "/v2/customers/NOBODY/cards/"+c.ID, e.tokA, nil)
	wantError(t, "DeleteCustomerCard(unknown customer)", status, out, 404, "NOT_FOUND", "")

	status, out = e.do(t, "DELETE", path, e.tokA, nil)
	if status != 200 || string(out) != "{}" {
		t.Fatalf("DeleteCustomerCard = %d %s, want 200 {}", status, out)
	}
	status, out = e.do(t, "GET", "/v2/cards/"+c.ID, e.tokA, nil)
	if got := decodeAs[cardResp](t, out).Card; status != 200 || got.Enabled || got.Version != 2 {
		t.Errorf("RetrieveCard after DeleteCustomerCard = %d %+v, want disabled at version 2", status, got)
	}
	status, out = e.do(t, "DELETE", path, e.tokA, nil)
	wantError(t, "DeleteCustomerCard again", status, out, 404, "NOT_FOUND", "")
}

// verfToken builds a verification token as the deprecated verifyBuyer() of
// square.js does.
func verfToken(t testing.TB, v verificationToken) string {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return "verf:" + base64.RawURLEncoding.EncodeToString(body)
}

// nonceOf is the single-use part of a card form token.
func nonceOf(t testing.TB, token string) string {
	t.Helper()
	ct, ok := decodeCardToken(token)
	if !ok {
		t.Fatalf("decodeCardToken(%q) failed", token)
	}
	return ct.Nonce
}

func TestCardsWhoseBankRequiresItAreStoredOnlyOnceTheBuyerIsVerified(t *testing.T) {
	e := newEnv(t, -1)
	cust := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	exp := futureExpiry(e.s)
	store := VerificationDetails{Intent: "STORE"}
	keyedIn := VerificationDetails{Intent: "STORE", SellerKeyedIn: true}
	tests := []struct {
		name   string
		number string
		verify []VerificationDetails
		// verification is the body's verification_token, from the token
		// the case made ("" for none).
		verification func(token string) string
		wantOK       bool
	}{
		{"a card of a region without SCA needs no verification", "4111111111111111", nil, nil, true},
		{"a card of a region without SCA, verified anyway", "4111111111111111", []VerificationDetails{store}, nil, true},
		{"a frictionless SCA card, not verified", "4800000000000004", nil, nil, false},
		{"a frictionless SCA card verified while tokenizing", "4800000000000004", []VerificationDetails{store}, nil, true},
		{"a frictionless Mastercard verified", "5222220000000005", []VerificationDetails{store}, nil, true},
		{"a frictionless Discover verified", "6011000000201016", []VerificationDetails{store}, nil, true},
		{"a challenge card, the buyer typed the code", "5248480000210034", []VerificationDetails{store}, nil, true},
		{"a challenge card keyed in by the seller", "5248480000210034", []VerificationDetails{keyedIn}, nil, true},
		{"a challenge card, not verified", "5248480000210034", nil, nil, false},
		{"a card whose verification fails", "4811110000000008", []VerificationDetails{keyedIn}, nil, false},
		{"a frictionless card with verifyBuyer's token", "4800000000000004", nil, func(tok string) string {
			return verfToken(t, verificationToken{V: 1, Nonce: nonceOf(t, tok), Intent: "STORE", Result: verifiedOK})
		}, true},
		{"verifyBuyer's token to charge and store", "4800000000000004", nil, func(tok string) string {
			return verfToken(t, verificationToken{V: 1, Nonce: nonceOf(t, tok), Intent: "CHARGE_AND_STORE", Result: verifiedOK})
		}, true},
		{"verifyBuyer's token to charge only", "4800000000000004", nil, func(tok string) string {
			return verfToken(t, verificationToken{V: 1, Nonce: nonceOf(t, tok), Intent: "CHARGE", Result: verifiedOK})
		}, false},
		{"verifyBuyer's token for another card token", "4800000000000004", nil, func(string) string {
			return verfToken(t, verificationToken{V: 1, Nonce: newNonce(), Intent: "STORE", Result: verifiedOK})
		}, false},
		{"verifyBuyer's token of a failed verification", "4811110000000008", nil, func(tok string) string {
			return verfToken(t, verificationToken{V: 1, Nonce: nonceOf(t, tok), Intent: "STORE", Result: verifiedFailed})
		}, false},
		{"a verification token that says nothing", "4800000000000004", nil, func(string) string { return "verf:x" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := e.s.TestCardToken(tt.number, exp, "111", "SW1A 1AA", tt.verify...)
			if err != nil {
				t.Fatal(err)
			}
			body := createCardBody(tok, cust.ID)
			if tt.verification != nil {
				body["verification_token"] = tt.verification(tok)
			}
			status, out := e.do(t, "POST", "/v2/cards", e.tokA, body)
			if tt.wantOK {
				if status != 200 {
					t.Fatalf("CreateCard = %d %s, want 200", status, out)
				}
				if c := decodeAs[cardResp](t, out).Card; c.Last4 != tt.number[len(tt.number)-4:] || !c.Enabled {
					t.Errorf("CreateCard = %+v, want the enabled card ending in %s", c, tt.number[len(tt.number)-4:])
				}
				return
			}
			wantError(t, "CreateCard", status, out, 400, "CARD_DECLINED_VERIFICATION_REQUIRED", "")
			if er := decodeAs[errResp](t, out); len(er.Errors) == 0 || er.Errors[0].Category != "PAYMENT_METHOD_ERROR" {
				t.Errorf("CreateCard = %s, want category PAYMENT_METHOD_ERROR", out)
			}
			// The refusal leaves the token unused: verified, it stores the card.
			body["idempotency_key"] = "key-" + newNonce()[:16]
			body["verification_token"] = verfToken(t, verificationToken{V: 1, Nonce: nonceOf(t, tok), Intent: "STORE", Result: verifiedOK})
			if status, out := e.do(t, "POST", "/v2/cards", e.tokA, body); status != 200 {
				t.Errorf("CreateCard of the refused token with a verification = %d %s, want 200", status, out)
			}
		})
	}

	// The deprecated CreateCustomerCard asks the same.
	tok, err := e.s.TestCardToken("4800000000000004", exp, "111", "SW1A 1AA")
	if err != nil {
		t.Fatal(err)
	}
	path := "/v2/customers/" + cust.ID + "/cards"
	status, out := e.do(t, "POST", path, e.tokA, map[string]any{"card_nonce": tok})
	wantError(t, "CreateCustomerCard(unverified)", status, out, 400, "CARD_DECLINED_VERIFICATION_REQUIRED", "")
	verified := verfToken(t, verificationToken{V: 1, Nonce: nonceOf(t, tok), Intent: "STORE", Result: verifiedOK})
	if status, out := e.do(t, "POST", path, e.tokA, map[string]any{"card_nonce": tok, "verification_token": verified}); status != 200 {
		t.Errorf("CreateCustomerCard(verified) = %d %s, want 200", status, out)
	}
}

func TestCardTimeStampsAreSentOnlyFromSquareVersion20260520(t *testing.T) {
	e := newEnv(t, -1)
	cust := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	c := mustCreateCard(t, e, e.tokA, createCardBody(visaToken(t, e.s), cust.ID))
	if status, out := e.do(t, "POST", "/v2/cards/"+c.ID+"/disable", e.tokA, nil); status != 200 {
		t.Fatalf("DisableCard = %d %s, want 200", status, out)
	}
	cases := []struct {
		version   string
		wantTimes bool
	}{
		{"", false}, // the app's pinned version, 2025-08-20 here
		{"2025-08-20", false},
		{"2026-05-19", false},
		{"2026-05-20", true},
		{"2026-09-01", true},
	}
	for _, tc := range cases {
		var header []string
		if tc.version != "" {
			header = []string{"Square-Version", tc.version}
		}
		for _, path := range []string{"/v2/cards/" + c.ID, "/v2/cards?include_disabled=true"} {
			status, out := e.do(t, "GET", path, e.tokA, nil, header...)
			if status != 200 {
				t.Fatalf("GET %s (Square-Version %q) = %d %s, want 200", path, tc.version, status, out)
			}
			hasCreated := bytes.Contains(out, []byte(`"created_at"`))
			hasDisabled := bytes.Contains(out, []byte(`"disabled_at"`))
			if hasCreated != tc.wantTimes || hasDisabled != tc.wantTimes {
				t.Errorf("GET %s (Square-Version %q) = created_at %t, disabled_at %t; want both %t: %s",
					path, tc.version, hasCreated, hasDisabled, tc.wantTimes, out)
			}
		}
	}
}
