package square

import (
	"context"
	"fmt"
	"net/http"
)

// MerchantsService reads the seller account behind the access token.
type MerchantsService service

// Merchant is a Square seller account.
type Merchant struct {
	ID           string `json:"id"`
	BusinessName string `json:"business_name,omitempty"`
	// Country is an ISO 3166-1 alpha-2 code.
	Country string `json:"country"`
	// LanguageCode is a BCP 47 tag such as en-US.
	LanguageCode string `json:"language_code,omitempty"`
	// Currency is an ISO 4217 code.
	Currency string `json:"currency,omitempty"`
	// Status is ACTIVE or INACTIVE.
	Status         string    `json:"status,omitempty"`
	MainLocationID string    `json:"main_location_id,omitempty"`
	CreatedAt      Timestamp `json:"created_at,omitzero"`
}

// Get returns a merchant; the id "me" means the merchant of the token.
func (s *MerchantsService) Get(ctx context.Context, id string) (*Merchant, error) {
	path, err := idPath("v2/merchants/", id)
	if err != nil {
		return nil, err
	}
	req, err := s.client.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Merchant *Merchant `json:"merchant"`
	}
	if err := s.client.do(req, &out); err != nil {
		return nil, err
	}
	if out.Merchant == nil {
		return nil, fmt.Errorf("square: %s %s: response has no merchant", req.Method, req.URL.Path)
	}
	return out.Merchant, nil
}
