package square

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// CardsService is the Cards API: cards on file, which are created from a
// card-form token and can only be disabled afterwards.
type CardsService service

// Card is a card on file. Square never returns the full card number.
type Card struct {
	// ID looks like "ccof:...".
	ID string `json:"id,omitempty"`
	// CardBrand is e.g. VISA, MASTERCARD or AMERICAN_EXPRESS.
	CardBrand      string   `json:"card_brand,omitempty"`
	Last4          string   `json:"last_4,omitempty"`
	ExpMonth       int64    `json:"exp_month,omitempty"`
	ExpYear        int64    `json:"exp_year,omitempty"`
	CardholderName string   `json:"cardholder_name,omitempty"`
	BillingAddress *Address `json:"billing_address,omitempty"`
	// Fingerprint identifies the card number within this application.
	Fingerprint string `json:"fingerprint,omitempty"`
	CustomerID  string `json:"customer_id,omitempty"`
	MerchantID  string `json:"merchant_id,omitempty"`
	ReferenceID string `json:"reference_id,omitempty"`
	// Enabled turns false once the card is disabled, for good.
	Enabled bool `json:"enabled"`
	// CardType is CREDIT, DEBIT or UNKNOWN_CARD_TYPE.
	CardType string `json:"card_type,omitempty"`
	// PrepaidType is PREPAID, NOT_PREPAID or UNKNOWN_PREPAID_TYPE.
	PrepaidType string `json:"prepaid_type,omitempty"`
	Bin         string `json:"bin,omitempty"`
	Version     int64  `json:"version,omitempty"`
	// CardCoBrand is UNKNOWN, AFTERPAY or CLEARPAY.
	CardCoBrand string `json:"card_co_brand,omitempty"`
	// IssuerAlert is set while the issuer reports a problem, e.g.
	// ISSUER_ALERT_CARD_CLOSED.
	IssuerAlert   string    `json:"issuer_alert,omitempty"`
	IssuerAlertAt Timestamp `json:"issuer_alert_at,omitzero"`
	HsaFsa        bool      `json:"hsa_fsa,omitempty"`
	CreatedAt     Timestamp `json:"created_at,omitzero"`
	DisabledAt    Timestamp `json:"disabled_at,omitzero"`
}

// CreateCardRequest is the body of CreateCard.
type CreateCardRequest struct {
	// IdempotencyKey is required; it also makes the request safe to retry.
	IdempotencyKey string `json:"idempotency_key"`
	// SourceID is the card-form token (cnon:...) or a payment id.
	SourceID string `json:"source_id"`
	// VerificationToken comes from the card form's buyer verification
	// (verf:...), when the seller's region requires it.
	VerificationToken string  `json:"verification_token,omitempty"`
	Card              NewCard `json:"card"`
}

// NewCard holds the fields of a card that the caller chooses; the brand,
// number and expiry come from the token.
type NewCard struct {
	CustomerID     string   `json:"customer_id"`
	CardholderName string   `json:"cardholder_name,omitempty"`
	BillingAddress *Address `json:"billing_address,omitempty"`
	ReferenceID    string   `json:"reference_id,omitempty"`
}

// Create stores a card on file for req.Card.CustomerID.
func (s *CardsService) Create(ctx context.Context, body *CreateCardRequest) (*Card, error) {
	if body == nil {
		return nil, errors.New("square: Cards.Create needs a request")
	}
	req, err := s.client.newRequest(ctx, http.MethodPost, "v2/cards", body)
	if err != nil {
		return nil, err
	}
	req.retrySafe = body.IdempotencyKey != ""
	return s.card(req)
}

// ListCardsParams are the query parameters of ListCards; zero values are
// left out.
type ListCardsParams struct {
	Cursor     string
	CustomerID string
	// IncludeDisabled also returns disabled cards.
	IncludeDisabled bool
	ReferenceID     string
	// SortOrder orders by creation time; ascending by default.
	SortOrder SortOrder
}

// values encodes p as a query string.
func (p *ListCardsParams) values() url.Values {
	v := url.Values{}
	if p == nil {
		return v
	}
	if p.Cursor != "" {
		v.Set("cursor", p.Cursor)
	}
	if p.CustomerID != "" {
		v.Set("customer_id", p.CustomerID)
	}
	if p.IncludeDisabled {
		v.Set("include_disabled", "true")
	}
	if p.ReferenceID != "" {
		v.Set("reference_id", p.ReferenceID)
	}
	if p.SortOrder != "" {
		v.Set("sort_order", string(p.SortOrder))
	}
	return v
}

// CardPage is one page of cards (at most 25); Cursor is empty on the last
// page.
type CardPage struct {
	Cards  []Card `json:"cards"`
	Cursor string `json:"cursor"`
}

// List returns one page of the seller's cards on file.
func (s *CardsService) List(ctx context.Context, params *ListCardsParams) (*CardPage, error) {
	req, err := s.client.newRequest(ctx, http.MethodGet, withQuery("v2/cards", params.values()), nil)
	if err != nil {
		return nil, err
	}
	page := new(CardPage)
	if err := s.client.do(req, page); err != nil {
		return nil, err
	}
	return page, nil
}

// Get returns the card with the given id.
func (s *CardsService) Get(ctx context.Context, id string) (*Card, error) {
	path, err := idPath("v2/cards/", id)
	if err != nil {
		return nil, err
	}
	req, err := s.client.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return s.card(req)
}

// Disable takes a card out of use; Square keeps it, disabled, for the
// record. Disabling twice is harmless, so the call is retried like a read.
func (s *CardsService) Disable(ctx context.Context, id string) (*Card, error) {
	path, err := idPath("v2/cards/", id)
	if err != nil {
		return nil, err
	}
	req, err := s.client.newRequest(ctx, http.MethodPost, path+"/disable", nil)
	if err != nil {
		return nil, err
	}
	req.retrySafe = true
	return s.card(req)
}

// card sends req and returns the {"card": ...} of its response.
func (s *CardsService) card(req *request) (*Card, error) {
	var out struct {
		Card *Card `json:"card"`
	}
	if err := s.client.do(req, &out); err != nil {
		return nil, err
	}
	if out.Card == nil {
		return nil, fmt.Errorf("square: %s %s: response has no card", req.Method, req.URL.Path)
	}
	return out.Card, nil
}
