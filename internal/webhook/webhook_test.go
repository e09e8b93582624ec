package webhook

import (
	"errors"
	"strings"
	"testing"
)

func TestSignatureMatchesSquaresPublishedVector(t *testing.T) {
	t.Parallel()
	const (
		key  = "signature-key"
		url  = "https://webhook.site/webhooks"
		body = `{"data":{"type":"webhooks","id":"fake_id"}}`
		want = "W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA="
	)
	if got := Sign(key, url, []byte(body)); got != want {
		t.Fatalf("Sign(vector) = %q, want %q", got, want)
	}
	cases := []struct {
		name                string
		key, url, body, sig string
		want                bool
	}{
		{"Square's vector verifies", key, url, body, want, true},
		{"a wrong key does not", "other-key", url, body, want, false},
		{"a changed byte of the body does not", key, url, strings.Replace(body, "fake_id", "fake_iD", 1), want, false},
		{"another URL does not", key, "https://webhook.site/webhooks/", body, want, false},
		{"a URL differing in case does not", key, "https://Webhook.site/webhooks", body, want, false},
		{"a changed signature does not", key, url, body, "X" + want[1:], false},
		{"no signature does not", key, url, body, "", false},
		{"no key never verifies, even an empty body", "", url, "", Sign("", url, nil), false},
		{"a signature of the wrong length does not", key, url, body, want + "=", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Verify(c.key, c.url, []byte(c.body), c.sig); got != c.want {
				t.Errorf("Verify(%q, %q, %q, %q) = %v, want %v", c.key, c.url, c.body, c.sig, got, c.want)
			}
		})
	}
}

const customerUpdated = `{"merchant_id":"MLX1","type":"customer.updated","event_id":"6a8f5f28-54a1-4eb0-a98a-3111513fd4fc",
"created_at":"2026-12-04T10:00:00Z","data":{"type":"customer","id":"CUST1","object":{"customer":{
"id":"CUST1","given_name":"Jane","family_name":"Fernández","version":3,"updated_at":"2026-12-04T09:59:58Z"}}}}`

func TestACustomerEventCarriesTheCustomer(t *testing.T) {
	t.Parallel()
	e, err := Parse([]byte(customerUpdated))
	if err != nil {
		t.Fatalf("Parse(customer.updated) = %v", err)
	}
	if e.MerchantID != "MLX1" || e.Type != CustomerUpdated || e.EventID == "" || e.CreatedAt.IsZero() {
		t.Errorf("Parse(customer.updated) = %+v, want its merchant, type, id and time", e)
	}
	cu, err := e.Customer()
	if err != nil {
		t.Fatalf("Customer() = %v", err)
	}
	if cu.ID != "CUST1" || cu.FamilyName != "Fernández" || cu.Version != 3 || cu.UpdatedAt.IsZero() {
		t.Errorf("Customer() = %+v, want CUST1 Fernández at version 3 with its updated_at", cu)
	}
}

func TestMalformedDeliveriesAreRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
	}{
		{"not JSON", `merchant_id=MLX1`},
		{"an empty body", ``},
		{"JSON that is not an object", `[1,2]`},
		{"no merchant", `{"type":"customer.updated","event_id":"e1","data":{}}`},
		{"no type", `{"merchant_id":"M","event_id":"e1","data":{}}`},
		{"no event id", `{"merchant_id":"M","type":"customer.updated","data":{}}`},
		{"an over-long event id", `{"merchant_id":"M","type":"customer.updated","event_id":"` + strings.Repeat("e", 65) + `","data":{}}`},
		{"two events in one body", customerUpdated + customerUpdated},
		{"a field of the wrong type", `{"merchant_id":7,"type":"customer.updated","event_id":"e1"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Parse([]byte(c.body)); !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse(%q) = %v, want ErrMalformed", c.body, err)
			}
		})
	}
}

func TestACustomerEventWithoutItsCustomerIsMalformed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
	}{
		{"no object", `{"merchant_id":"M","type":"customer.created","event_id":"e1","data":{"type":"customer","id":"C1"}}`},
		{"an object without the customer", `{"merchant_id":"M","type":"customer.created","event_id":"e1","data":{"type":"customer","id":"C1","object":{}}}`},
		{"a customer of another id", `{"merchant_id":"M","type":"customer.deleted","event_id":"e1","data":{"type":"customer","id":"C1","object":{"customer":{"id":"C2"}}}}`},
		{"no event asks about revocation's customer", `{"merchant_id":"M","type":"oauth.authorization.revoked","event_id":"e1","data":{"type":"revocation","id":"x","object":{"revocation":{}}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e, err := Parse([]byte(c.body))
			if err != nil {
				t.Fatalf("Parse(%q) = %v, want the envelope read", c.body, err)
			}
			if _, err := e.Customer(); !errors.Is(err, ErrMalformed) {
				t.Errorf("Customer() of %q = %v, want ErrMalformed", c.body, err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(customerUpdated))
	f.Add([]byte(`{"merchant_id":"M","type":"customer.deleted","event_id":"e","data":{"id":"C","object":{"customer":{"id":"C"}}}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := Parse(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %v, want ErrMalformed or an event", err)
			}
			return
		}
		if e.MerchantID == "" || e.EventID == "" || e.Type == "" {
			t.Fatalf("Parse = %+v without a merchant, id or type, want ErrMalformed", e)
		}
		if cu, err := e.Customer(); err == nil && (cu.ID == "" || (e.Data.ID != "" && cu.ID != e.Data.ID)) {
			t.Fatalf("Customer() = %+v of data.id %q", cu, e.Data.ID)
		}
	})
}
