package squarelocal

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cards API (docs/square.md#cards-api) and the deprecated customer-card endpoints
// (docs/square.md#customer-card-endpoints). A merchant sees only its own cards: another merchant's card id is
// unknown (404), as another merchant's customer id is.
//
// Choices where Square is silent:
//   - include_disabled other than true/false is 400 EXPECTED_BOOLEAN, a
//     sort_order other than ASC/DESC 400 INVALID_ENUM_VALUE, an altered or
//     foreign cursor 400 INVALID_CURSOR.
//   - CreateCard for an unknown customer is 400 CUSTOMER_NOT_FOUND on
//     card.customer_id (it is in CreateCard's x-endpoint-errors).
//   - A verification_token, when sent, must look like one ("verf:…"),
//     else 400 INVALID_VALUE.
//   - A card whose bank requires the buyer verified (the SCA test cards)
//     is refused with 400 CARD_DECLINED_VERIFICATION_REQUIRED
//     (PAYMENT_METHOD_ERROR) unless verified: see cardtokens.go. The
//     refusal leaves the card token unused.
//   - A billing postal code of 99999, typed into the card form or sent in
//     the body, fails as the sandbox's AVS trigger does: INVALID_CARD_DATA.
//   - DeleteCustomerCard of a card already deleted (disabled) is 404: the
//     card is gone from the customer, as it would be from Customer.cards.

// Limits from docs/square.md#cards-api.
const (
	maxCardIdempotencyKey = 45
	maxCardSourceID       = 16384
	maxCardholderName     = 96
	maxCardReferenceID    = 128
	cardsPageSize         = 25
	// maxCardCustomerID is the emulator's own bound; Square publishes none.
	maxCardCustomerID = 255
)

// cardInput is the card object of a CreateCard request; read-only fields
// that clients sometimes echo back are ignored.
type cardInput struct {
	CustomerID     string   `json:"customer_id,omitempty"`
	CardholderName string   `json:"cardholder_name,omitempty"`
	BillingAddress *Address `json:"billing_address,omitempty"`
	ReferenceID    string   `json:"reference_id,omitempty"`
}

// createCardRequest is the body of CreateCard.
type createCardRequest struct {
	IdempotencyKey    string     `json:"idempotency_key"`
	SourceID          string     `json:"source_id"`
	VerificationToken string     `json:"verification_token,omitempty"`
	Card              *cardInput `json:"card"`
}

// createCustomerCardRequest is the body of the deprecated CreateCustomerCard.
type createCustomerCardRequest struct {
	CardNonce         string   `json:"card_nonce"`
	BillingAddress    *Address `json:"billing_address,omitempty"`
	CardholderName    string   `json:"cardholder_name,omitempty"`
	VerificationToken string   `json:"verification_token,omitempty"`
}

// cardsPage is the answer of ListCards; with nothing in it, it is {}.
type cardsPage struct {
	Cards  []Card `json:"cards,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

func cardNotFound(id string) *apiError {
	return notFound("Card with ID `" + id + "` not found.")
}

// hasCustomer reports whether the merchant has a customer with id.
func (md *merchantData) hasCustomer(id string) bool {
	return md.customers.get(id) != nil
}

// cardFieldChecks validates what CreateCard and CreateCustomerCard share.
// prefix is "card." for CreateCard, whose card fields are nested.
func cardFieldChecks(fe *fieldErrors, prefix, cardholder, verification string, billing *Address) {
	fe.maxLen(prefix+"cardholder_name", cardholder, maxCardholderName)
	if verification != "" && !strings.HasPrefix(verification, "verf:") {
		fe.add("INVALID_VALUE", "verification_token", "The verification token is not valid.")
	}
	if billing == nil {
		return
	}
	for _, f := range addressFields {
		fe.maxLen(prefix+"billing_address."+f.name, *f.get(billing), maxAddressField)
	}
	fe.maxLen(prefix+"billing_address.first_name", billing.FirstName, maxAddressField)
	fe.maxLen(prefix+"billing_address.last_name", billing.LastName, maxAddressField)
	if c := billing.Country; c != "" && !isoCountries[c] {
		fe.add("INVALID_ENUM_VALUE", prefix+"billing_address.country", fmt.Sprintf("`%s` is not an ISO 3166-1 alpha-2 country code.", c))
	}
}

// requireCardField adds MISSING_REQUIRED_PARAMETER for an empty value and
// VALUE_TOO_LONG for one over max characters.
func requireCardField(fe *fieldErrors, field, v string, max int) {
	if v == "" {
		fe.add("MISSING_REQUIRED_PARAMETER", field, fmt.Sprintf("Field `%s` is required.", field))
		return
	}
	fe.maxLen(field, v, max)
}

func (in *createCardRequest) validate() *apiError {
	var fe fieldErrors
	requireCardField(&fe, "idempotency_key", in.IdempotencyKey, maxCardIdempotencyKey)
	requireCardField(&fe, "source_id", in.SourceID, maxCardSourceID)
	if in.Card == nil {
		fe.add("MISSING_REQUIRED_PARAMETER", "card", "Field `card` is required.")
		return fe.err()
	}
	requireCardField(&fe, "card.customer_id", in.Card.CustomerID, maxCardCustomerID)
	fe.maxLen("card.reference_id", in.Card.ReferenceID, maxCardReferenceID)
	cardFieldChecks(&fe, "card.", in.Card.CardholderName, in.VerificationToken, in.Card.BillingAddress)
	return fe.err()
}

// createCard stores a card made from a card token for one of the
// merchant's customers.
func (s *Server) createCard(r *request) (any, *apiError) {
	var in createCardRequest
	if e := r.decode(&in); e != nil {
		return nil, e
	}
	if e := in.validate(); e != nil {
		return nil, e
	}
	return s.idempotent(r, "CreateCard", in.IdempotencyKey, in, func() (any, *apiError) {
		md := r.Merchant
		if !md.hasCustomer(in.Card.CustomerID) {
			return nil, badRequest("CUSTOMER_NOT_FOUND", "card.customer_id", "Customer with ID `"+in.Card.CustomerID+"` not found.")
		}
		src, e := resolveCardSource(in.SourceID, "source_id", r.Now)
		if e != nil {
			return nil, e
		}
		if src.UseKey != "" && s.nonces[src.UseKey] != nil {
			return nil, sourceUsed("source_id")
		}
		if e := checkVerification(src, in.VerificationToken); e != nil {
			return nil, e
		}
		card := src.newCard()
		card.BillingAddress = billingAddress(in.Card.BillingAddress, src.Postal)
		if card.BillingAddress != nil {
			if e := checkAVS(card.BillingAddress.PostalCode, "source_id"); e != nil {
				return nil, e
			}
		}
		card.CardholderName = in.Card.CardholderName
		card.ReferenceID = in.Card.ReferenceID
		card.CustomerID = in.Card.CustomerID
		s.storeCard(r, card, src)
		return map[string]any{"card": r.cardView(card)}, nil
	})
}

// billingAddress is the card's billing address: the one sent, with the
// postal code typed into the card form when the body has none.
func billingAddress(sent *Address, tokenPostal string) *Address {
	var a Address
	if sent != nil {
		a = *sent
	}
	if a.PostalCode == "" {
		a.PostalCode = tokenPostal
	}
	if a.IsZero() {
		return nil
	}
	return &a
}

// storeCard gives a new card its id and stamps and stores it, marking its
// single-use token as used.
func (s *Server) storeCard(r *request, card *Card, src *cardSource) {
	card.ID = s.ids.card()
	card.MerchantID = r.Merchant.Merchant.ID
	card.CreatedAt = timestamp(r.Now)
	r.Merchant.addCard(card)
	if src.UseKey != "" {
		s.nonces[src.UseKey] = &nonceUse{CardID: card.ID}
	}
}

func (s *Server) retrieveCard(r *request) (any, *apiError) {
	id := r.PathValue("card_id")
	c := r.Merchant.card(id)
	if c == nil {
		return nil, cardNotFound(id)
	}
	return map[string]any{"card": r.cardView(c)}, nil
}

// disableCard disables a card; disabling it again changes nothing.
func (s *Server) disableCard(r *request) (any, *apiError) {
	id := r.PathValue("card_id")
	c := r.Merchant.card(id)
	if c == nil {
		return nil, cardNotFound(id)
	}
	disableCardNow(c, r.Now)
	return map[string]any{"card": r.cardView(c)}, nil
}

// disableCardNow disables an enabled card at now.
func disableCardNow(c *Card, now time.Time) {
	if c.Enabled {
		c.Enabled = false
		c.DisabledAt = timestamp(now)
		c.Version++
	}
}

// listCards pages through the merchant's cards in creation order. A
// cursor is the position in the merchant's card list where the next page
// starts; cards are never removed from that list (only disabled), so the
// position stays valid while cards are added or disabled.
func (s *Server) listCards(r *request) (any, *apiError) {
	q := r.URL.Query()
	includeDisabled := false
	switch v := q.Get("include_disabled"); v {
	case "", "false":
	case "true":
		includeDisabled = true
	default:
		return nil, badRequest("EXPECTED_BOOLEAN", "include_disabled", "Expected a boolean for `include_disabled`.")
	}
	order, e := enumParam(q.Get("sort_order"), "sort_order", orderASC, orderASC, orderDESC)
	if e != nil {
		return nil, e
	}
	customerID, referenceID := q.Get("customer_id"), q.Get("reference_id")
	all := r.Merchant.cards
	step, pos := 1, 0
	if order == orderDESC {
		step, pos = -1, len(all)-1
	}
	query := cardsQueryHash(r.Merchant.Merchant.ID, customerID, referenceID, includeDisabled, order)
	if c := q.Get("cursor"); c != "" {
		p, ok := openCardsCursor(c, query)
		if !ok || p < 0 || p >= len(all) {
			return nil, badRequest("INVALID_CURSOR", "cursor", "The cursor is not valid for this request.")
		}
		pos = p
	}
	var page cardsPage
	for ; pos >= 0 && pos < len(all); pos += step {
		c := all[pos]
		if (!includeDisabled && !c.Enabled) || (customerID != "" && c.CustomerID != customerID) ||
			(referenceID != "" && c.ReferenceID != referenceID) {
			continue
		}
		if len(page.Cards) == cardsPageSize {
			page.Cursor = sealCardsCursor(pos, query)
			break
		}
		page.Cards = append(page.Cards, r.cardView(c))
	}
	return page, nil
}

// cardsQueryHash ties a cursor to the merchant and query that made it.
func cardsQueryHash(merchantID, customerID, referenceID string, includeDisabled bool, order string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%t\x00%s", merchantID, customerID, referenceID, includeDisabled, order))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

func sealCardsCursor(pos int, query string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("cards:" + strconv.Itoa(pos) + ":" + query))
}

func openCardsCursor(cursor, query string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(raw), "cards:")
	if !ok {
		return 0, false
	}
	num, hash, ok := strings.Cut(rest, ":")
	if !ok || hash != query {
		return 0, false
	}
	pos, err := strconv.Atoi(num)
	return pos, err == nil
}

// createCustomerCard is the deprecated CreateCustomerCard: it is
// idempotent by nonce, so repeating a card token returns the card its
// first use made. The reusable fixed test values make a new card each time.
func (s *Server) createCustomerCard(r *request) (any, *apiError) {
	customerID := r.PathValue("customer_id")
	md := r.Merchant
	if !md.hasCustomer(customerID) {
		return nil, customerNotFound(customerID)
	}
	var in createCustomerCardRequest
	if e := r.decode(&in); e != nil {
		return nil, e
	}
	var fe fieldErrors
	requireCardField(&fe, "card_nonce", in.CardNonce, maxCardSourceID)
	cardFieldChecks(&fe, "", in.CardholderName, in.VerificationToken, in.BillingAddress)
	if e := fe.err(); e != nil {
		return nil, e
	}
	src, e := resolveCardSource(in.CardNonce, "card_nonce", r.Now)
	if e != nil {
		return nil, e
	}
	if used := s.nonces[src.UseKey]; src.UseKey != "" && used != nil {
		if c := md.card(used.CardID); c != nil && c.CustomerID == customerID {
			return map[string]any{"card": r.cardView(c)}, nil
		}
		return nil, sourceUsed("card_nonce")
	}
	if e := checkVerification(src, in.VerificationToken); e != nil {
		return nil, e
	}
	// A billing postal code, when sent, must match the one typed into the
	// card form (docs/square.md#customer-card-endpoints).
	if in.BillingAddress != nil && in.BillingAddress.PostalCode != "" && src.Postal != "" &&
		!strings.EqualFold(strings.TrimSpace(in.BillingAddress.PostalCode), src.Postal) {
		return nil, invalidCardData("billing_address.postal_code")
	}
	card := src.newCard()
	card.BillingAddress = billingAddress(in.BillingAddress, src.Postal)
	if card.BillingAddress != nil {
		if e := checkAVS(card.BillingAddress.PostalCode, "card_nonce"); e != nil {
			return nil, e
		}
	}
	card.CardholderName = in.CardholderName
	card.CustomerID = customerID
	s.storeCard(r, card, src)
	return map[string]any{"card": r.cardView(card)}, nil
}

// deleteCustomerCard is the deprecated DeleteCustomerCard: it disables the
// card, which then no longer belongs to the customer's cards.
func (s *Server) deleteCustomerCard(r *request) (any, *apiError) {
	customerID, cardID := r.PathValue("customer_id"), r.PathValue("card_id")
	md := r.Merchant
	if !md.hasCustomer(customerID) {
		return nil, customerNotFound(customerID)
	}
	c := md.card(cardID)
	if c == nil || c.CustomerID != customerID || !c.Enabled {
		return nil, cardNotFound(cardID)
	}
	disableCardNow(c, r.Now)
	return map[string]any{}, nil
}
