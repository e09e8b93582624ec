package square

import (
	"context"
	"fmt"
	"net/http"
)

// LocationsService reads the seller's business locations.
type LocationsService service

// Location is one of the seller's business locations.
type Location struct {
	ID           string `json:"id"`
	Name         string `json:"name,omitempty"`
	BusinessName string `json:"business_name,omitempty"`
	// Status is ACTIVE or INACTIVE.
	Status     string `json:"status,omitempty"`
	Country    string `json:"country,omitempty"`
	Currency   string `json:"currency,omitempty"`
	MerchantID string `json:"merchant_id,omitempty"`
	// Timezone is an IANA zone name such as America/Los_Angeles.
	Timezone     string   `json:"timezone,omitempty"`
	LanguageCode string   `json:"language_code,omitempty"`
	Address      *Address `json:"address,omitempty"`
	// Type is PHYSICAL or MOBILE.
	Type string `json:"type,omitempty"`
	// Capabilities lists e.g. CREDIT_CARD_PROCESSING; the card form needs it.
	Capabilities  []string  `json:"capabilities,omitempty"`
	CreatedAt     Timestamp `json:"created_at,omitzero"`
	PhoneNumber   string    `json:"phone_number,omitempty"`
	BusinessEmail string    `json:"business_email,omitempty"`
	WebsiteURL    string    `json:"website_url,omitempty"`
	Description   string    `json:"description,omitempty"`
	MCC           string    `json:"mcc,omitempty"`
}

// List returns all the seller's locations, inactive ones included, sorted by
// name. Square does not page this list.
func (s *LocationsService) List(ctx context.Context) ([]Location, error) {
	req, err := s.client.newRequest(ctx, http.MethodGet, "v2/locations", nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Locations []Location `json:"locations"`
	}
	if err := s.client.do(req, &out); err != nil {
		return nil, err
	}
	return out.Locations, nil
}

// Get returns the location with the given id.
func (s *LocationsService) Get(ctx context.Context, id string) (*Location, error) {
	path, err := idPath("v2/locations/", id)
	if err != nil {
		return nil, err
	}
	req, err := s.client.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Location *Location `json:"location"`
	}
	if err := s.client.do(req, &out); err != nil {
		return nil, err
	}
	if out.Location == nil {
		return nil, fmt.Errorf("square: %s %s: response has no location", req.Method, req.URL.Path)
	}
	return out.Location, nil
}
