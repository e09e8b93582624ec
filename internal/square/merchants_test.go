package square

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"
)

const merchantJSON = `{"id":"DM7VKY8Q63GNP","business_name":"Apple A Day","country":"US","language_code":"en-US","currency":"USD","status":"ACTIVE","main_location_id":"9A65CGC72ZQG1","created_at":"2021-12-10T19:25:52.484Z"}`

func merchant() Merchant {
	return Merchant{
		ID: "DM7VKY8Q63GNP", BusinessName: "Apple A Day", Country: "US", LanguageCode: "en-US", Currency: "USD",
		Status: "ACTIVE", MainLocationID: "9A65CGC72ZQG1", CreatedAt: Timestamp{time.Date(2021, 12, 10, 19, 25, 52, 484000000, time.UTC)},
	}
}

func TestMerchantsGet(t *testing.T) {
	env := setup(t)
	env.mux.HandleFunc("/v2/merchants/me", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeader(t, r, "Authorization", "Bearer "+testToken)
		fmt.Fprint(w, `{"merchant":`+merchantJSON+`}`)
	})
	got, err := env.client.Merchants.Get(context.Background(), "me")
	if err != nil {
		t.Fatalf("Merchants.Get(ctx, me) error = %v", err)
	}
	if want := merchant(); !reflect.DeepEqual(*got, want) {
		t.Errorf("Merchants.Get(ctx, me) = %+v, want %+v", *got, want)
	}
}

func TestMerchantsList(t *testing.T) {
	tests := []struct {
		name      string
		cursor    int64
		wantQuery url.Values
		response  string
		want      *MerchantPage
	}{
		{"the first page sends no cursor and reads the singular merchant key", 0, nil, `{"merchant":[` + merchantJSON + `],"cursor":1}`, &MerchantPage{Merchants: []Merchant{merchant()}, Cursor: 1}},
		{"a later page sends its integer cursor", 1, url.Values{"cursor": {"1"}}, `{"merchant":[]}`, &MerchantPage{Merchants: []Merchant{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			env.mux.HandleFunc("/v2/merchants", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testQuery(t, r, tt.wantQuery)
				fmt.Fprint(w, tt.response)
			})
			got, err := env.client.Merchants.List(context.Background(), tt.cursor)
			if err != nil {
				t.Fatalf("Merchants.List(ctx, %d) error = %v", tt.cursor, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Merchants.List(ctx, %d) = %+v, want %+v", tt.cursor, got, tt.want)
			}
		})
	}
}

const locationJSON = `{"id":"9A65CGC72ZQG1","name":"Main","business_name":"Apple A Day","status":"ACTIVE","country":"US","currency":"USD","merchant_id":"DM7VKY8Q63GNP","timezone":"America/New_York","language_code":"en-US","address":{"address_line_1":"1 Main St","postal_code":"10003","country":"US"},"type":"PHYSICAL","capabilities":["CREDIT_CARD_PROCESSING","AUTOMATIC_TRANSFERS"],"created_at":"2021-12-10T19:25:52Z","phone_number":"+1 212-555-0100","business_email":"hi@example.com","website_url":"https://example.com","description":"The shop","mcc":"5812"}`

func location() Location {
	return Location{
		ID: "9A65CGC72ZQG1", Name: "Main", BusinessName: "Apple A Day", Status: "ACTIVE", Country: "US", Currency: "USD",
		MerchantID: "DM7VKY8Q63GNP", Timezone: "America/New_York", LanguageCode: "en-US",
		Address: &Address{AddressLine1: "1 Main St", PostalCode: "10003", Country: "US"}, Type: "PHYSICAL",
		Capabilities: []string{"CREDIT_CARD_PROCESSING", "AUTOMATIC_TRANSFERS"},
		CreatedAt:    Timestamp{time.Date(2021, 12, 10, 19, 25, 52, 0, time.UTC)},
		PhoneNumber:  "+1 212-555-0100", BusinessEmail: "hi@example.com", WebsiteURL: "https://example.com", Description: "The shop", MCC: "5812",
	}
}

func TestLocationsList(t *testing.T) {
	env := setup(t)
	env.mux.HandleFunc("/v2/locations", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testQuery(t, r, nil)
		fmt.Fprint(w, `{"locations":[`+locationJSON+`]}`)
	})
	got, err := env.client.Locations.List(context.Background())
	if err != nil {
		t.Fatalf("Locations.List(ctx) error = %v", err)
	}
	if want := []Location{location()}; !reflect.DeepEqual(got, want) {
		t.Errorf("Locations.List(ctx) = %+v, want %+v", got, want)
	}
}

func TestLocationsGet(t *testing.T) {
	env := setup(t)
	env.mux.HandleFunc("/v2/locations/9A65CGC72ZQG1", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		fmt.Fprint(w, `{"location":`+locationJSON+`}`)
	})
	got, err := env.client.Locations.Get(context.Background(), "9A65CGC72ZQG1")
	if err != nil {
		t.Fatalf("Locations.Get(ctx, id) error = %v", err)
	}
	if want := location(); !reflect.DeepEqual(*got, want) {
		t.Errorf("Locations.Get(ctx, id) = %+v, want %+v", *got, want)
	}
}
