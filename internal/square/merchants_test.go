package square

import (
	"fmt"
	"net/http"
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
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/merchants/me", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeader(t, r, "Authorization", "Bearer "+testToken)
		fmt.Fprint(w, `{"merchant":`+merchantJSON+`}`)
	})
	got, err := env.client.Merchants.Get(t.Context(), "me")
	if err != nil {
		t.Fatalf("Merchants.Get(ctx, me) error = %v", err)
	}
	if want := merchant(); !reflect.DeepEqual(*got, want) {
		t.Errorf("Merchants.Get(ctx, me) = %+v, want %+v", *got, want)
	}
}
