package square

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"
)

const fullCardJSON = `{
  "id": "ccof:uIbfJXhXETSP197M3GB",
  "card_brand": "VISA",
  "last_4": "1111",
  "exp_month": 11,
  "exp_year": 2030,
  "cardholder_name": "Amelia Earhart",
  "billing_address": {"address_line_1": "500 Electric Ave", "locality": "New York", "administrative_district_level_1": "NY", "postal_code": "10003", "country": "US"},
  "fingerprint": "ex-p-cs80EK9Flz7LsCMv-szbptQ_ssAGrhemzSTsPFgt9nzyE6t7okiLIQc-qw_quqKX4Q",
  "customer_id": "VDKXEEKPJN48QDG3BGGFAK05P8",
  "merchant_id": "6SSW7HV8K2ST5",
  "reference_id": "user-id-1",
  "enabled": true,
  "card_type": "CREDIT",
  "prepaid_type": "NOT_PREPAID",
  "bin": "411111",
  "version": 1,
  "card_co_brand": "UNKNOWN",
  "issuer_alert": "ISSUER_ALERT_CARD_CLOSED",
  "issuer_alert_at": "2025-01-02T03:04:05Z",
  "hsa_fsa": true,
  "created_at": "2025-08-20T10:11:12.345Z",
  "disabled_at": "2025-08-21T10:11:12Z"
}`

func fullCard() *Card {
	return &Card{
		ID:             "ccof:uIbfJXhXETSP197M3GB",
		CardBrand:      "VISA",
		Last4:          "1111",
		ExpMonth:       11,
		ExpYear:        2030,
		CardholderName: "Amelia Earhart",
		BillingAddress: &Address{AddressLine1: "500 Electric Ave", Locality: "New York", AdministrativeDistrictLevel1: "NY", PostalCode: "10003", Country: "US"},
		Fingerprint:    "ex-p-cs80EK9Flz7LsCMv-szbptQ_ssAGrhemzSTsPFgt9nzyE6t7okiLIQc-qw_quqKX4Q",
		CustomerID:     "VDKXEEKPJN48QDG3BGGFAK05P8",
		MerchantID:     "6SSW7HV8K2ST5",
		ReferenceID:    "user-id-1",
		Enabled:        true,
		CardType:       "CREDIT",
		PrepaidType:    "NOT_PREPAID",
		Bin:            "411111",
		Version:        1,
		CardCoBrand:    "UNKNOWN",
		IssuerAlert:    "ISSUER_ALERT_CARD_CLOSED",
		IssuerAlertAt:  Timestamp{time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)},
		HsaFsa:         true,
		CreatedAt:      Timestamp{time.Date(2025, 8, 20, 10, 11, 12, 345000000, time.UTC)},
		DisabledAt:     Timestamp{time.Date(2025, 8, 21, 10, 11, 12, 0, time.UTC)},
	}
}

func TestCardsCreate(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/cards", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testHeader(t, r, "Authorization", "Bearer "+testToken)
		testHeader(t, r, "Content-Type", "application/json")
		testJSONBody(t, r, `{
		  "idempotency_key": "card-key-1",
		  "source_id": "cnon:card-nonce-ok",
		  "verification_token": "verf:abc",
		  "card": {"customer_id": "C1", "cardholder_name": "Amelia Earhart", "billing_address": {"postal_code": "10003"}, "reference_id": "ref-1"}
		}`)
		fmt.Fprint(w, `{"card":`+fullCardJSON+`}`)
	})
	got, err := env.client.Cards.Create(t.Context(), &CreateCardRequest{
		IdempotencyKey:    "card-key-1",
		SourceID:          "cnon:card-nonce-ok",
		VerificationToken: "verf:abc",
		Card:              NewCard{CustomerID: "C1", CardholderName: "Amelia Earhart", BillingAddress: &Address{PostalCode: "10003"}, ReferenceID: "ref-1"},
	})
	if err != nil {
		t.Fatalf("Cards.Create(ctx, req) error = %v", err)
	}
	if want := fullCard(); !reflect.DeepEqual(got, want) {
		t.Errorf("Cards.Create(ctx, req) = %+v, want %+v", got, want)
	}
	if _, err := env.client.Cards.Create(t.Context(), nil); err == nil {
		t.Errorf("Cards.Create(ctx, nil) error = nil, want an error")
	}
}

func TestCardsCreateSendsOnlyWhatIsGiven(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/cards", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"idempotency_key":"k","source_id":"cnon:x","card":{"customer_id":"C1"}}`)
		fmt.Fprint(w, `{"card":{"id":"ccof:1","enabled":true}}`)
	})
	if _, err := env.client.Cards.Create(t.Context(), &CreateCardRequest{IdempotencyKey: "k", SourceID: "cnon:x", Card: NewCard{CustomerID: "C1"}}); err != nil {
		t.Errorf("Cards.Create(ctx, minimal) error = %v", err)
	}
}

func TestCardsList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		params    *ListCardsParams
		wantQuery url.Values
	}{
		{"no parameters send no query", nil, nil},
		{
			"every parameter is sent",
			&ListCardsParams{Cursor: "c", CustomerID: "C1", IncludeDisabled: true, ReferenceID: "r", SortOrder: SortDescending},
			url.Values{"cursor": {"c"}, "customer_id": {"C1"}, "include_disabled": {"true"}, "reference_id": {"r"}, "sort_order": {"DESC"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			env.mux.HandleFunc("/v2/cards", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testQuery(t, r, tt.wantQuery)
				fmt.Fprint(w, `{"cards":[`+fullCardJSON+`],"cursor":"more"}`)
			})
			got, err := env.client.Cards.List(t.Context(), tt.params)
			if err != nil {
				t.Fatalf("Cards.List(ctx, %+v) error = %v", tt.params, err)
			}
			want := &CardPage{Cards: []Card{*fullCard()}, Cursor: "more"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Cards.List(ctx, %+v) = %+v, want %+v", tt.params, got, want)
			}
		})
	}
}

func TestCardsListEmpty(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/cards", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{}`)
	})
	got, err := env.client.Cards.List(t.Context(), &ListCardsParams{CustomerID: "C1"})
	if err != nil {
		t.Fatalf("Cards.List(ctx, C1) error = %v", err)
	}
	if len(got.Cards) != 0 || got.Cursor != "" {
		t.Errorf("Cards.List(ctx, C1) = %+v, want an empty page", got)
	}
}

func TestCardsGet(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/cards/ccof:uIbfJXhXETSP197M3GB", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		fmt.Fprint(w, `{"card":`+fullCardJSON+`}`)
	})
	got, err := env.client.Cards.Get(t.Context(), "ccof:uIbfJXhXETSP197M3GB")
	if err != nil {
		t.Fatalf("Cards.Get(ctx, id) error = %v", err)
	}
	if want := fullCard(); !reflect.DeepEqual(got, want) {
		t.Errorf("Cards.Get(ctx, id) = %+v, want %+v", got, want)
	}
}

func TestCardsDisable(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/cards/ccof:1/disable", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testNoBody(t, r)
		testNoHeader(t, r, "Content-Type")
		fmt.Fprint(w, `{"card":{"id":"ccof:1","enabled":false,"version":2,"disabled_at":"2025-08-21T10:11:12Z"}}`)
	})
	got, err := env.client.Cards.Disable(t.Context(), "ccof:1")
	if err != nil {
		t.Fatalf("Cards.Disable(ctx, ccof:1) error = %v", err)
	}
	want := &Card{ID: "ccof:1", Enabled: false, Version: 2, DisabledAt: Timestamp{time.Date(2025, 8, 21, 10, 11, 12, 0, time.UTC)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Cards.Disable(ctx, ccof:1) = %+v, want %+v", got, want)
	}
}
