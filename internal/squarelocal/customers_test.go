package squarelocal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testEpoch is the start of the test clock.
var testEpoch = time.Date(2025, time.June, 2, 10, 0, 0, 0, time.UTC)

// stepClock moves one millisecond every time it is read, so every request
// has its own time and CREATED_AT order is creation order.
type stepClock struct{ n atomic.Int64 }

func (c *stepClock) now() time.Time {
	return testEpoch.Add(time.Duration(c.n.Add(1)) * time.Millisecond)
}

// testEnv is an emulator with the tokens of its two merchants: A (US) and
// B (DE).
type testEnv struct {
	s          *Server
	a, b       Merchant
	tokA, tokB string
}

// newEnv builds an emulator; customers is Options.CustomersPerMerchant
// (-1 for none).
func newEnv(t testing.TB, customers int) *testEnv {
	t.Helper()
	clock := &stepClock{}
	s := New(Options{CustomersPerMerchant: customers, Now: clock.now})
	ms := s.Merchants()
	if len(ms) < 2 {
		t.Fatalf("Merchants() = %d merchants, want at least 2", len(ms))
	}
	return &testEnv{s: s, a: ms[0], b: ms[1], tokA: s.MintAccessToken(ms[0].ID), tokB: s.MintAccessToken(ms[1].ID)}
}

// do sends a request with a bearer token; body is nil, a string, []byte,
// or a value to encode as JSON; header holds name, value pairs.
func (e *testEnv) do(t testing.TB, method, path, token string, body any, header ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.s.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

// create makes a customer through the API and fails the test if it cannot.
func (e *testEnv) create(t testing.TB, token string, fields map[string]any) Customer {
	t.Helper()
	status, body := e.do(t, "POST", "/v2/customers", token, fields)
	if status != http.StatusOK {
		t.Fatalf("CreateCustomer(%v) = %d %s, want 200", fields, status, body)
	}
	return decodeAs[struct{ Customer Customer }](t, body).Customer
}

// md returns the merchant data of a merchant id.
func (e *testEnv) md(id string) *merchantData { return e.s.byID[id] }

// putRaw stores a customer directly, bypassing validation: the only way
// to get an invisible profile, which the API cannot create.
func (e *testEnv) putRaw(merchantID string, c *Customer) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	if c.ID == "" {
		c.ID = e.s.ids.customer()
	}
	if c.CreatedAt == "" {
		c.CreatedAt = timestamp(e.s.Now())
		c.UpdatedAt = c.CreatedAt
	}
	e.md(merchantID).putCustomer(c)
}

// addCard gives a customer a card directly (the Cards API is another
// part of the emulator).
func (e *testEnv) addCard(merchantID, customerID string, enabled bool) *Card {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	c := &Card{ID: e.s.ids.card(), CardBrand: "VISA", Last4: "1111", ExpMonth: 12, ExpYear: 2030,
		CustomerID: customerID, MerchantID: merchantID, Enabled: enabled, Version: 1, CreatedAt: timestamp(e.s.Now())}
	e.md(merchantID).addCard(c)
	return c
}

func decodeAs[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("json.Unmarshal(%s) = %v", body, err)
	}
	return v
}

type pageResp struct {
	Customers []Customer `json:"customers"`
	Cursor    string     `json:"cursor"`
	Count     int64      `json:"count"`
}

type errResp struct {
	Errors []ErrorDetail `json:"errors"`
}

// wantError checks that an answer is Square's error shape with the status,
// and the code and field of its first error.
func wantError(t testing.TB, call string, status int, body []byte, wantStatus int, wantCode, wantField string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("%s = %d %s, want %d %s", call, status, body, wantStatus, wantCode)
		return
	}
	er := decodeAs[errResp](t, body)
	if len(er.Errors) == 0 {
		t.Errorf("%s = %s, want an errors array", call, body)
		return
	}
	got := er.Errors[0]
	if got.Code != wantCode || got.Field != wantField || got.Category == "" {
		t.Errorf("%s = %s/%s (category %q), want %s/%s", call, got.Code, got.Field, got.Category, wantCode, wantField)
	}
}

func ids(cs []Customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func TestCreateCustomerStoresEveryField(t *testing.T) {
	e := newEnv(t, -1)
	in := map[string]any{
		"given_name": "Amelia", "family_name": "Earhart", "company_name": "Lockheed", "nickname": "Millie",
		"email_address": "Amelia.Earhart@example.com", "phone_number": "+1-212-555-4240",
		"reference_id": "YOUR_REFERENCE_ID", "note": "a customer", "birthday": "07-24",
		"address": map[string]any{"address_line_1": "500 Electric Ave", "address_line_2": "Suite 600",
			"locality": "New York", "administrative_district_level_1": "NY", "postal_code": "10003",
			"country": "US", "first_name": "Dropped", "last_name": "Too"},
	}
	c := e.create(t, e.tokA, in)
	want := Customer{
		ID: c.ID, CreatedAt: c.CreatedAt, UpdatedAt: c.CreatedAt, GivenName: "Amelia", FamilyName: "Earhart",
		CompanyName: "Lockheed", Nickname: "Millie", EmailAddress: "Amelia.Earhart@example.com",
		PhoneNumber: "+1-212-555-4240", ReferenceID: "YOUR_REFERENCE_ID", Note: "a customer", Birthday: "0000-07-24",
		Address: &Address{AddressLine1: "500 Electric Ave", AddressLine2: "Suite 600", Locality: "New York",
			AdministrativeDistrictLevel1: "NY", PostalCode: "10003", Country: "US"},
		Preferences: &Preferences{}, CreationSource: "THIRD_PARTY", Version: 0,
		SegmentIDs: []string{e.a.ID + ".REACHABLE"},
	}
	got, _ := json.Marshal(c)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(got, wantJSON) {
		t.Errorf("CreateCustomer() = %s, want %s", got, wantJSON)
	}
	if len(c.ID) != 26 {
		t.Errorf("CreateCustomer().id = %q, want 26 characters", c.ID)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", c.CreatedAt); err != nil {
		t.Errorf("CreateCustomer().created_at = %q, want RFC 3339 with milliseconds in UTC", c.CreatedAt)
	}
	status, body := e.do(t, "GET", "/v2/customers/"+c.ID, e.tokA, nil)
	if status != 200 || !bytes.Contains(body, []byte(`"email_unsubscribed":false`)) {
		t.Errorf("RetrieveCustomer(%s) = %d %s, want 200 with preferences.email_unsubscribed false", c.ID, status, body)
	}
}

// customerValidationCases are shared by create and update: each body is
// one field (or a few) and either succeeds or fails with code and field.
var customerValidationCases = []struct {
	name  string
	body  map[string]any
	code  string // "" means success
	field string
	check func(c Customer) string // optional: what the stored customer must look like
}{
	{name: "a given name of 300 characters is accepted", body: map[string]any{"given_name": strings.Repeat("é", 300)}},
	{name: "a given name of 301 characters is too long", body: map[string]any{"given_name": strings.Repeat("a", 301)}, code: "VALUE_TOO_LONG", field: "given_name"},
	{name: "a family name of 300 characters is accepted", body: map[string]any{"family_name": strings.Repeat("b", 300)}},
	{name: "a family name of 301 characters is too long", body: map[string]any{"family_name": strings.Repeat("b", 301)}, code: "VALUE_TOO_LONG", field: "family_name"},
	{name: "a company name of 500 characters is accepted", body: map[string]any{"company_name": strings.Repeat("c", 500)}},
	{name: "a company name of 501 characters is too long", body: map[string]any{"company_name": strings.Repeat("c", 501)}, code: "VALUE_TOO_LONG", field: "company_name"},
	{name: "a nickname of 100 characters is accepted", body: map[string]any{"given_name": "N", "nickname": strings.Repeat("n", 100)}},
	{name: "a nickname of 101 characters is too long", body: map[string]any{"given_name": "N", "nickname": strings.Repeat("n", 101)}, code: "VALUE_TOO_LONG", field: "nickname"},
	{name: "a reference id of 100 characters is accepted", body: map[string]any{"given_name": "R", "reference_id": strings.Repeat("r", 100)}},
	{name: "a reference id of 101 characters is too long", body: map[string]any{"given_name": "R", "reference_id": strings.Repeat("r", 101)}, code: "VALUE_TOO_LONG", field: "reference_id"},
	{name: "an email of 254 characters is accepted", body: map[string]any{"email_address": strings.Repeat("e", 242) + "@example.com"}},
	{name: "an email of 255 characters is too long", body: map[string]any{"email_address": strings.Repeat("e", 243) + "@example.com"}, code: "VALUE_TOO_LONG", field: "email_address"},
	{name: "an email with a plus and a subdomain is accepted", body: map[string]any{"email_address": "first.last+tag@mail.example.org"}},
	{name: "an email without an at sign is invalid", body: map[string]any{"email_address": "no-at.example.com"}, code: "INVALID_EMAIL_ADDRESS", field: "email_address"},
	{name: "an email with two at signs is invalid", body: map[string]any{"email_address": "a@b@example.com"}, code: "INVALID_EMAIL_ADDRESS", field: "email_address"},
	{name: "an email with an empty local part is invalid", body: map[string]any{"email_address": "@example.com"}, code: "INVALID_EMAIL_ADDRESS", field: "email_address"},
	{name: "an email whose domain has no dot is invalid", body: map[string]any{"email_address": "a@localhost"}, code: "INVALID_EMAIL_ADDRESS", field: "email_address"},
	{name: "an email whose domain starts with a dot is invalid", body: map[string]any{"email_address": "a@.com"}, code: "INVALID_EMAIL_ADDRESS", field: "email_address"},
	{name: "an email with a space is invalid", body: map[string]any{"email_address": "a b@example.com"}, code: "INVALID_EMAIL_ADDRESS", field: "email_address"},
	{name: "a formatted phone number is accepted and stored as given", body: map[string]any{"phone_number": "+1 (206) 555-0100"},
		check: func(c Customer) string { return want(c.PhoneNumber, "+1 (206) 555-0100") }},
	{name: "a phone number with dots is accepted", body: map[string]any{"phone_number": "206.555.0100"}},
	{name: "a phone number of 9 digits is accepted", body: map[string]any{"phone_number": "123456789"}},
	{name: "a phone number of 16 digits is accepted", body: map[string]any{"phone_number": "+1234567890123456"}},
	{name: "a phone number of 8 digits is invalid", body: map[string]any{"phone_number": "12345678"}, code: "INVALID_PHONE_NUMBER", field: "phone_number"},
	{name: "a phone number of 17 digits is invalid", body: map[string]any{"phone_number": "+12345678901234567"}, code: "INVALID_PHONE_NUMBER", field: "phone_number"},
	{name: "a phone number with letters is invalid", body: map[string]any{"phone_number": "206-555-CALL"}, code: "INVALID_PHONE_NUMBER", field: "phone_number"},
	{name: "a phone number with a plus inside is invalid", body: map[string]any{"phone_number": "1+2065550100"}, code: "INVALID_PHONE_NUMBER", field: "phone_number"},
	{name: "a birthday with a year is kept", body: map[string]any{"given_name": "B", "birthday": "1990-07-15"},
		check: func(c Customer) string { return want(c.Birthday, "1990-07-15") }},
	{name: "a birthday without a year is returned with year 0000", body: map[string]any{"given_name": "B", "birthday": "07-15"},
		check: func(c Customer) string { return want(c.Birthday, "0000-07-15") }},
	{name: "February 29 without a year is a birthday", body: map[string]any{"given_name": "B", "birthday": "02-29"},
		check: func(c Customer) string { return want(c.Birthday, "0000-02-29") }},
	{name: "a birthday sent back as 0000-MM-DD is accepted", body: map[string]any{"given_name": "B", "birthday": "0000-12-31"},
		check: func(c Customer) string { return want(c.Birthday, "0000-12-31") }},
	{name: "February 29 of a leap year is a birthday", body: map[string]any{"given_name": "B", "birthday": "2000-02-29"}},
	{name: "February 29 of a common year is not a date", body: map[string]any{"given_name": "B", "birthday": "1991-02-29"}, code: "INVALID_TIME", field: "birthday"},
	{name: "April 31 is not a date", body: map[string]any{"given_name": "B", "birthday": "2020-04-31"}, code: "INVALID_TIME", field: "birthday"},
	{name: "month 13 is not a date", body: map[string]any{"given_name": "B", "birthday": "13-01"}, code: "INVALID_TIME", field: "birthday"},
	{name: "day 00 is not a date", body: map[string]any{"given_name": "B", "birthday": "2020-01-00"}, code: "INVALID_TIME", field: "birthday"},
	{name: "a birthday with slashes is invalid", body: map[string]any{"given_name": "B", "birthday": "1990/07/15"}, code: "INVALID_TIME", field: "birthday"},
	{name: "a birthday without leading zeros is invalid", body: map[string]any{"given_name": "B", "birthday": "7-15"}, code: "INVALID_TIME", field: "birthday"},
	{name: "a birthday in words is invalid", body: map[string]any{"given_name": "B", "birthday": "tomorrow"}, code: "INVALID_TIME", field: "birthday"},
	{name: "an address line of 500 characters is accepted", body: map[string]any{"given_name": "A", "address": map[string]any{"address_line_1": strings.Repeat("x", 500)}}},
	{name: "an address line of 501 characters is too long", body: map[string]any{"given_name": "A", "address": map[string]any{"address_line_1": strings.Repeat("x", 501)}}, code: "VALUE_TOO_LONG", field: "address.address_line_1"},
	{name: "a postal code of 501 characters is too long", body: map[string]any{"given_name": "A", "address": map[string]any{"postal_code": strings.Repeat("9", 501)}}, code: "VALUE_TOO_LONG", field: "address.postal_code"},
	{name: "an ISO country is accepted", body: map[string]any{"given_name": "A", "address": map[string]any{"country": "GB"}}},
	{name: "Square's ZZ country is accepted", body: map[string]any{"given_name": "A", "address": map[string]any{"country": "ZZ"}}},
	{name: "an unknown country is an invalid enum value", body: map[string]any{"given_name": "A", "address": map[string]any{"country": "XX"}}, code: "INVALID_ENUM_VALUE", field: "address.country"},
	{name: "a lower-case country is an invalid enum value", body: map[string]any{"given_name": "A", "address": map[string]any{"country": "us"}}, code: "INVALID_ENUM_VALUE", field: "address.country"},
	{name: "first and last names inside the address are dropped", body: map[string]any{"given_name": "A", "address": map[string]any{"first_name": "F", "last_name": "L"}},
		check: func(c Customer) string {
			if c.Address != nil {
				return fmt.Sprintf("address %+v, want none", *c.Address)
			}
			return ""
		}},
	{name: "tax ids are ignored for a US seller", body: map[string]any{"given_name": "T", "tax_ids": map[string]any{"eu_vat": "not valid at all!"}},
		check: func(c Customer) string {
			if c.TaxIDs != nil {
				return fmt.Sprintf("tax_ids %+v, want none", *c.TaxIDs)
			}
			return ""
		}},
	{name: "a body with none of the five identifying fields is rejected", body: map[string]any{"note": "only a note", "reference_id": "R"}, code: "MISSING_REQUIRED_PARAMETER"},
	{name: "an empty body is rejected", body: map[string]any{}, code: "MISSING_REQUIRED_PARAMETER"},
	{name: "a given name alone is enough", body: map[string]any{"given_name": "G"}},
	{name: "a family name alone is enough", body: map[string]any{"family_name": "F"}},
	{name: "a company name alone is enough", body: map[string]any{"company_name": "C"}},
	{name: "an email address alone is enough", body: map[string]any{"email_address": "e@example.com"}},
	{name: "a phone number alone is enough", body: map[string]any{"phone_number": "+12065550100"}},
	{name: "a number for a string field is refused as not a string", body: map[string]any{"given_name": 5}, code: "EXPECTED_STRING", field: "given_name"},
}

// want returns a mismatch message, or "" when got is want.
func want(got, want string) string {
	if got == want {
		return ""
	}
	return fmt.Sprintf("%q, want %q", got, want)
}

func TestCreateCustomerValidation(t *testing.T) {
	e := newEnv(t, -1)
	for _, tc := range customerValidationCases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, "POST", "/v2/customers", e.tokA, tc.body)
			call := fmt.Sprintf("CreateCustomer(%.80v)", tc.body)
			if tc.code != "" {
				wantError(t, call, status, body, 400, tc.code, tc.field)
				return
			}
			if status != 200 {
				t.Fatalf("%s = %d %s, want 200", call, status, body)
			}
			if tc.check != nil {
				if msg := tc.check(decodeAs[struct{ Customer Customer }](t, body).Customer); msg != "" {
					t.Errorf("%s = %s", call, msg)
				}
			}
		})
	}
}

func TestCreateCustomerReportsEveryInvalidField(t *testing.T) {
	e := newEnv(t, -1)
	status, body := e.do(t, "POST", "/v2/customers", e.tokA, map[string]any{
		"given_name": strings.Repeat("a", 301), "email_address": "bad", "phone_number": "12",
	})
	var got []string
	for _, d := range decodeAs[errResp](t, body).Errors {
		got = append(got, d.Code+"/"+d.Field)
	}
	wantErrs := []string{"VALUE_TOO_LONG/given_name", "INVALID_EMAIL_ADDRESS/email_address", "INVALID_PHONE_NUMBER/phone_number"}
	if status != 400 || !slices.Equal(got, wantErrs) {
		t.Errorf("CreateCustomer(three bad fields) = %d %v, want 400 %v", status, got, wantErrs)
	}
}

func TestCreateCustomerTaxIDsForEUSeller(t *testing.T) {
	e := newEnv(t, -1)
	tests := []struct {
		name, vat, code, field string
	}{
		{name: "an alphanumeric VAT id is kept", vat: "DE123456789"},
		{name: "a VAT id of 20 characters is kept", vat: strings.Repeat("A", 20)},
		{name: "a VAT id of 21 characters is too long", vat: strings.Repeat("A", 21), code: "VALUE_TOO_LONG", field: "tax_ids.eu_vat"},
		{name: "a VAT id with a space is invalid", vat: "DE 123", code: "INVALID_VALUE", field: "tax_ids.eu_vat"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, "POST", "/v2/customers", e.tokB, map[string]any{"company_name": "GmbH", "tax_ids": map[string]any{"eu_vat": tc.vat}})
			if tc.code != "" {
				wantError(t, "CreateCustomer(eu_vat "+tc.vat+")", status, body, 400, tc.code, tc.field)
				return
			}
			c := decodeAs[struct{ Customer Customer }](t, body).Customer
			if status != 200 || c.TaxIDs == nil || c.TaxIDs.EuVat != tc.vat {
				t.Errorf("CreateCustomer(eu_vat %s) = %d %s, want 200 with the VAT id", tc.vat, status, body)
			}
		})
	}
}

func TestCreateCustomerRejectsBodiesThatAreNotCustomers(t *testing.T) {
	e := newEnv(t, -1)
	for _, body := range []string{`{`, `[1,2]`, `"text"`, `{"address": "street"}`, `{"given_name": ["a"]}`} {
		status, got := e.do(t, "POST", "/v2/customers", e.tokA, body)
		if status != 400 || !bytes.Contains(got, []byte(`"errors"`)) {
			t.Errorf("CreateCustomer(%s) = %d %s, want 400 with errors", body, status, got)
		}
	}
}

func TestCreateCustomerIdempotency(t *testing.T) {
	e := newEnv(t, -1)
	first := e.create(t, e.tokA, map[string]any{"idempotency_key": "k1", "given_name": "Ada"})
	again := e.create(t, e.tokA, map[string]any{"given_name": "Ada", "idempotency_key": "k1"})
	if again.ID != first.ID {
		t.Errorf("CreateCustomer(same key, same body) = id %s, want the first id %s", again.ID, first.ID)
	}
	status, body := e.do(t, "POST", "/v2/customers", e.tokA, map[string]any{"idempotency_key": "k1", "given_name": "Grace"})
	wantError(t, "CreateCustomer(same key, other body)", status, body, 400, "IDEMPOTENCY_KEY_REUSED", "idempotency_key")

	other := e.create(t, e.tokA, map[string]any{"idempotency_key": "k2", "given_name": "Ada"})
	plain1 := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	plain2 := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	if other.ID == first.ID || plain1.ID == plain2.ID {
		t.Errorf("CreateCustomer(new key or no key) reused an id: %s %s %s", other.ID, plain1.ID, plain2.ID)
	}
	inB := e.create(t, e.tokB, map[string]any{"idempotency_key": "k1", "given_name": "Ada"})
	if inB.ID == first.ID {
		t.Errorf("CreateCustomer(merchant B, A's key) = id %s, want a customer of B's own", inB.ID)
	}

	// A failed request is not remembered: the same key can be used again
	// once the form is corrected.
	status, body = e.do(t, "POST", "/v2/customers", e.tokA, map[string]any{"idempotency_key": "k3", "email_address": "bad"})
	wantError(t, "CreateCustomer(k3, bad email)", status, body, 400, "INVALID_EMAIL_ADDRESS", "email_address")
	e.create(t, e.tokA, map[string]any{"idempotency_key": "k3", "email_address": "good@example.com"})

	_, body = e.do(t, "GET", "/v2/customers?count=true", e.tokA, nil)
	if got := decodeAs[pageResp](t, body).Count; got != 5 {
		t.Errorf("ListCustomers(count) = %d after the idempotent creates, want 5", got)
	}
}

func TestRetrieveCustomer(t *testing.T) {
	e := newEnv(t, -1)
	c := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	hidden := &Customer{Note: "no contact details", Version: 0, CreationSource: "IMPORT"}
	e.putRaw(e.a.ID, hidden)

	status, body := e.do(t, "GET", "/v2/customers/"+c.ID, e.tokA, nil)
	if got := decodeAs[struct{ Customer Customer }](t, body).Customer; status != 200 || got.ID != c.ID || got.GivenName != "Ada" {
		t.Errorf("RetrieveCustomer(%s) = %d %s, want the customer", c.ID, status, body)
	}
	status, body = e.do(t, "GET", "/v2/customers/"+hidden.ID, e.tokA, nil)
	if got := decodeAs[struct{ Customer Customer }](t, body).Customer; status != 200 || got.Note != "no contact details" {
		t.Errorf("RetrieveCustomer(invisible %s) = %d %s, want the customer", hidden.ID, status, body)
	}
	status, body = e.do(t, "GET", "/v2/customers/NOPE", e.tokA, nil)
	wantError(t, "RetrieveCustomer(NOPE)", status, body, 404, "NOT_FOUND", "")
	if d := decodeAs[errResp](t, body).Errors[0].Detail; d != "Customer with ID `NOPE` not found." {
		t.Errorf("RetrieveCustomer(NOPE).detail = %q, want Square's wording", d)
	}
}

func TestUpdateCustomer(t *testing.T) {
	type check func(t *testing.T, before, after Customer)
	same := func(field string, get func(Customer) any) check {
		return func(t *testing.T, before, after Customer) {
			if b, a := fmt.Sprint(get(before)), fmt.Sprint(get(after)); b != a {
				t.Errorf("UpdateCustomer() changed %s from %s to %s, want unchanged", field, b, a)
			}
		}
	}
	is := func(field string, get func(Customer) any, wantV any) check {
		return func(t *testing.T, _, after Customer) {
			if got := fmt.Sprint(get(after)); got != fmt.Sprint(wantV) {
				t.Errorf("UpdateCustomer().%s = %s, want %v", field, got, wantV)
			}
		}
	}
	addr := func(c Customer) any {
		if c.Address == nil {
			return "<nil>"
		}
		return *c.Address
	}
	tests := []struct {
		name   string
		body   string
		checks []check
	}{
		{name: "a sparse update changes only the fields sent", body: `{"given_name":"Augusta"}`, checks: []check{
			is("given_name", func(c Customer) any { return c.GivenName }, "Augusta"),
			same("family_name", func(c Customer) any { return c.FamilyName }),
			same("email_address", func(c Customer) any { return c.EmailAddress }),
			same("address", addr),
			same("note", func(c Customer) any { return c.Note }),
		}},
		{name: "null clears a field", body: `{"note":null}`, checks: []check{
			is("note", func(c Customer) any { return c.Note }, ""),
			same("given_name", func(c Customer) any { return c.GivenName }),
		}},
		{name: "an empty string clears a field", body: `{"nickname":""}`, checks: []check{
			is("nickname", func(c Customer) any { return c.Nickname }, ""),
		}},
		{name: "null clears the address", body: `{"address":null}`, checks: []check{is("address", addr, "<nil>")}},
		{name: "an address is updated field by field", body: `{"address":{"postal_code":"98109","address_line_2":null}}`, checks: []check{
			is("address", addr, Address{AddressLine1: "1 Main St", Locality: "Seattle", PostalCode: "98109", Country: "US"}),
		}},
		{name: "a birthday without a year is normalised", body: `{"birthday":"12-10"}`, checks: []check{
			is("birthday", func(c Customer) any { return c.Birthday }, "0000-12-10"),
		}},
		{name: "read-only fields in the body are ignored", body: `{"id":"OTHER","created_at":"2001-01-01T00:00:00Z","creation_source":"IMPORT","group_ids":["G"],"cards":[{"id":"x"}],"preferences":{"email_unsubscribed":true}}`, checks: []check{
			same("id", func(c Customer) any { return c.ID }),
			same("created_at", func(c Customer) any { return c.CreatedAt }),
			same("creation_source", func(c Customer) any { return c.CreationSource }),
			same("group_ids", func(c Customer) any { return c.GroupIDs }),
			same("preferences", func(c Customer) any { return *c.Preferences }),
		}},
		{name: "clearing some of the five fields is fine while one remains", body: `{"given_name":null,"family_name":"","email_address":null}`, checks: []check{
			is("phone_number", func(c Customer) any { return c.PhoneNumber }, "+12065550100"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, -1)
			before := e.create(t, e.tokA, map[string]any{
				"given_name": "Ada", "family_name": "Lovelace", "nickname": "Countess", "email_address": "ada@example.com",
				"phone_number": "+12065550100", "note": "first", "address": map[string]any{"address_line_1": "1 Main St",
					"address_line_2": "Apt 1", "locality": "Seattle", "postal_code": "98101", "country": "US"},
			})
			status, body := e.do(t, "PUT", "/v2/customers/"+before.ID, e.tokA, tc.body)
			if status != 200 {
				t.Fatalf("UpdateCustomer(%s) = %d %s, want 200", tc.body, status, body)
			}
			after := decodeAs[struct{ Customer Customer }](t, body).Customer
			for _, c := range tc.checks {
				c(t, before, after)
			}
			if after.Version != before.Version+1 || after.UpdatedAt <= before.UpdatedAt || after.CreatedAt != before.CreatedAt {
				t.Errorf("UpdateCustomer(%s) = version %d updated_at %s, want version %d and a later updated_at", tc.body, after.Version, after.UpdatedAt, before.Version+1)
			}
			_, body = e.do(t, "GET", "/v2/customers/"+before.ID, e.tokA, nil)
			stored := decodeAs[struct{ Customer Customer }](t, body).Customer
			if a, b := string(must(json.Marshal(stored))), string(must(json.Marshal(after))); a != b {
				t.Errorf("RetrieveCustomer() after update = %s, want what the update answered %s", a, b)
			}
		})
	}
}

func TestUpdateCustomerTaxIDs(t *testing.T) {
	e := newEnv(t, -1)
	c := e.create(t, e.tokB, map[string]any{"company_name": "GmbH", "tax_ids": map[string]any{"eu_vat": "DE1"}})
	_, body := e.do(t, "PUT", "/v2/customers/"+c.ID, e.tokB, `{"tax_ids":{"eu_vat":"DE2"}}`)
	if got := decodeAs[struct{ Customer Customer }](t, body).Customer.TaxIDs; got == nil || got.EuVat != "DE2" {
		t.Errorf("UpdateCustomer(eu_vat DE2) = %s, want tax_ids.eu_vat DE2", body)
	}
	status, body := e.do(t, "PUT", "/v2/customers/"+c.ID, e.tokB, `{"tax_ids":{"eu_vat":"DE-2"}}`)
	wantError(t, "UpdateCustomer(eu_vat DE-2)", status, body, 400, "INVALID_VALUE", "tax_ids.eu_vat")
	_, body = e.do(t, "PUT", "/v2/customers/"+c.ID, e.tokB, `{"tax_ids":null}`)
	if bytes.Contains(body, []byte("tax_ids")) {
		t.Errorf("UpdateCustomer(tax_ids null) = %s, want no tax_ids", body)
	}
}

func TestUpdateCustomerValidation(t *testing.T) {
	e := newEnv(t, -1)
	c := e.create(t, e.tokA, map[string]any{"given_name": "Ada", "email_address": "ada@example.com"})
	for _, tc := range customerValidationCases {
		if tc.code == "" || tc.code == "MISSING_REQUIRED_PARAMETER" {
			continue // five-field cases are about create bodies; see below
		}
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, "PUT", "/v2/customers/"+c.ID, e.tokA, tc.body)
			wantError(t, fmt.Sprintf("UpdateCustomer(%.80v)", tc.body), status, body, 400, tc.code, tc.field)
		})
	}
	tests := []struct {
		name, body, code, field string
	}{
		{"clearing all five identifying fields is rejected", `{"given_name":null,"email_address":""}`, "MISSING_REQUIRED_PARAMETER", ""},
		{"a body that is not an object is refused", `[1]`, "EXPECTED_JSON_BODY", ""},
		{"a version that is not an integer is invalid", `{"version":"one"}`, "EXPECTED_INTEGER", "version"},
		{"an address that is not an object is invalid", `{"address":"1 Main St"}`, "EXPECTED_OBJECT", "address"},
		{"a number for an address field is invalid", `{"address":{"locality":5}}`, "EXPECTED_STRING", "address.locality"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, "PUT", "/v2/customers/"+c.ID, e.tokA, tc.body)
			wantError(t, "UpdateCustomer("+tc.body+")", status, body, 400, tc.code, tc.field)
		})
	}
	_, body := e.do(t, "GET", "/v2/customers/"+c.ID, e.tokA, nil)
	if got := decodeAs[struct{ Customer Customer }](t, body).Customer; got.Version != 0 || got.GivenName != "Ada" {
		t.Errorf("RetrieveCustomer() after rejected updates = version %d given_name %q, want version 0 and nothing changed", got.Version, got.GivenName)
	}
	status, body := e.do(t, "PUT", "/v2/customers/NOPE", e.tokA, `{"given_name":"X"}`)
	wantError(t, "UpdateCustomer(NOPE)", status, body, 404, "NOT_FOUND", "")
}

func TestCustomerVersion(t *testing.T) {
	e := newEnv(t, -1)
	c := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	if c.Version != 0 {
		t.Fatalf("CreateCustomer().version = %d, want 0", c.Version)
	}
	for v := int64(0); v < 3; v++ {
		status, body := e.do(t, "PUT", "/v2/customers/"+c.ID, e.tokA, map[string]any{"version": v, "note": fmt.Sprint(v)})
		got := decodeAs[struct{ Customer Customer }](t, body).Customer
		if status != 200 || got.Version != v+1 {
			t.Fatalf("UpdateCustomer(version %d) = %d %s, want 200 version %d", v, status, body, v+1)
		}
	}
	status, body := e.do(t, "PUT", "/v2/customers/"+c.ID, e.tokA, map[string]any{"version": 1, "note": "stale"})
	wantError(t, "UpdateCustomer(stale version 1)", status, body, 400, "VERSION_MISMATCH", "version")
	status, body = e.do(t, "PUT", "/v2/customers/"+c.ID, e.tokA, map[string]any{"note": "no version"})
	if got := decodeAs[struct{ Customer Customer }](t, body).Customer; status != 200 || got.Version != 4 {
		t.Errorf("UpdateCustomer(no version) = %d %s, want 200 version 4", status, body)
	}

	status, body = e.do(t, "DELETE", "/v2/customers/"+c.ID+"?version=3", e.tokA, nil)
	wantError(t, "DeleteCustomer(stale version 3)", status, body, 400, "VERSION_MISMATCH", "version")
	status, body = e.do(t, "DELETE", "/v2/customers/"+c.ID+"?version=x", e.tokA, nil)
	wantError(t, "DeleteCustomer(version x)", status, body, 400, "EXPECTED_INTEGER", "version")
	status, body = e.do(t, "DELETE", "/v2/customers/"+c.ID+"?version=4", e.tokA, nil)
	if status != 200 || string(body) != "{}" {
		t.Errorf("DeleteCustomer(version 4) = %d %s, want 200 {}", status, body)
	}
}

func TestDeleteCustomer(t *testing.T) {
	e := newEnv(t, -1)
	c := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	keep := e.create(t, e.tokA, map[string]any{"given_name": "Grace"})
	card := e.addCard(e.a.ID, c.ID, true)
	otherCard := e.addCard(e.a.ID, keep.ID, true)

	status, body := e.do(t, "DELETE", "/v2/customers/"+c.ID, e.tokA, nil)
	if status != 200 || string(body) != "{}" {
		t.Fatalf("DeleteCustomer(%s) = %d %s, want 200 {}", c.ID, status, body)
	}
	status, body = e.do(t, "GET", "/v2/customers/"+c.ID, e.tokA, nil)
	wantError(t, "RetrieveCustomer(deleted)", status, body, 404, "NOT_FOUND", "")
	status, body = e.do(t, "DELETE", "/v2/customers/"+c.ID, e.tokA, nil)
	wantError(t, "DeleteCustomer(deleted)", status, body, 404, "NOT_FOUND", "")
	status, body = e.do(t, "PUT", "/v2/customers/"+c.ID, e.tokA, `{"note":"x"}`)
	wantError(t, "UpdateCustomer(deleted)", status, body, 404, "NOT_FOUND", "")

	e.s.mu.RLock()
	defer e.s.mu.RUnlock()
	if card.CustomerID != "" || card.Enabled || card.DisabledAt == "" {
		t.Errorf("card of the deleted customer = customer_id %q enabled %v disabled_at %q, want unlinked and disabled", card.CustomerID, card.Enabled, card.DisabledAt)
	}
	if otherCard.CustomerID != keep.ID || !otherCard.Enabled {
		t.Errorf("card of another customer = customer_id %q enabled %v, want untouched", otherCard.CustomerID, otherCard.Enabled)
	}
}

func TestCustomerCardsBySquareVersion(t *testing.T) {
	e := newEnv(t, -1)
	c := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	enabled := e.addCard(e.a.ID, c.ID, true)
	e.addCard(e.a.ID, c.ID, false) // disabled cards are not on the customer
	calls := []struct {
		name, method, path string
		body               any
	}{
		{"RetrieveCustomer", "GET", "/v2/customers/" + c.ID, nil},
		{"ListCustomers", "GET", "/v2/customers", nil},
		{"SearchCustomers", "POST", "/v2/customers/search", `{}`},
		{"UpdateCustomer", "PUT", "/v2/customers/" + c.ID, `{"note":"n"}`},
		{"BulkRetrieveCustomers", "POST", "/v2/customers/bulk-retrieve", map[string]any{"customer_ids": []string{c.ID}}},
	}
	for _, call := range calls {
		for _, tc := range []struct {
			version string
			cards   bool
		}{{"2024-11-20", true}, {"2024-12-18", false}, {"2025-08-20", false}} {
			t.Run(call.name+" at "+tc.version, func(t *testing.T) {
				status, body := e.do(t, call.method, call.path, e.tokA, call.body, "Square-Version", tc.version)
				has := bytes.Contains(body, []byte(`"cards":[{"id":"`+enabled.ID+`"`))
				if status != 200 || has != tc.cards || (!tc.cards && bytes.Contains(body, []byte(`"cards"`))) {
					t.Errorf("%s(Square-Version %s) = %d %s, want cards present: %v", call.name, tc.version, status, body, tc.cards)
				}
				if n := bytes.Count(body, []byte(`"card_brand"`)); tc.cards && n != 1 {
					t.Errorf("%s(Square-Version %s) has %d cards, want only the enabled one", call.name, tc.version, n)
				}
			})
		}
	}
}

func TestMerchantIsolation(t *testing.T) {
	e := newEnv(t, 30)
	a := e.create(t, e.tokA, map[string]any{"given_name": "Only", "family_name": "InA", "email_address": "only@a.example", "reference_id": "ISO-1"})
	_, body := e.do(t, "GET", "/v2/customers?count=true", e.tokB, nil)
	wantCount := int64(e.md(e.b.ID).customers.visibleCount())
	var seen []string
	page := decodeAs[pageResp](t, body)
	if page.Count != wantCount {
		t.Errorf("ListCustomers(B, count) = %d, want B's own %d", page.Count, wantCount)
	}
	for cursor := ""; ; {
		_, body := e.do(t, "GET", "/v2/customers?limit=7&cursor="+cursor, e.tokB, nil)
		p := decodeAs[pageResp](t, body)
		seen = append(seen, ids(p.Customers)...)
		if cursor = p.Cursor; cursor == "" {
			break
		}
	}
	for _, id := range seen {
		if e.md(e.a.ID).customers.get(id) != nil {
			t.Errorf("ListCustomers(B) returned %s, a customer of A", id)
		}
	}
	searches := []string{`{}`, `{"query":{"filter":{"email_address":{"exact":"only@a.example"}}}}`, `{"query":{"filter":{"reference_id":{"fuzzy":"ISO"}}}}`}
	for _, q := range searches {
		_, body := e.do(t, "POST", "/v2/customers/search", e.tokB, q)
		if bytes.Contains(body, []byte(a.ID)) {
			t.Errorf("SearchCustomers(B, %s) = %s, want no customer of A", q, body)
		}
	}
	for _, call := range []struct{ method, path, body string }{
		{"GET", "/v2/customers/" + a.ID, ""},
		{"PUT", "/v2/customers/" + a.ID, `{"note":"from B"}`},
		{"DELETE", "/v2/customers/" + a.ID, ""},
	} {
		status, body := e.do(t, call.method, call.path, e.tokB, call.body)
		wantError(t, call.method+" "+call.path+" with B's token", status, body, 404, "NOT_FOUND", "")
	}
	_, body = e.do(t, "POST", "/v2/customers/bulk-retrieve", e.tokB, map[string]any{"customer_ids": []string{a.ID}})
	if !bytes.Contains(body, []byte(`"NOT_FOUND"`)) || bytes.Contains(body, []byte("only@a.example")) {
		t.Errorf("BulkRetrieveCustomers(B, A's id) = %s, want NOT_FOUND", body)
	}
	_, body = e.do(t, "GET", "/v2/customers/"+a.ID, e.tokA, nil)
	if got := decodeAs[struct{ Customer Customer }](t, body).Customer; got.Note != "" || got.Version != 0 {
		t.Errorf("RetrieveCustomer(A) after B's attempts = %s, want untouched", body)
	}
}

func TestCustomerScopes(t *testing.T) {
	e := newEnv(t, 5)
	readOnly := e.s.MintAccessToken(e.a.ID, ScopeCustomersRead)
	writeOnly := e.s.MintAccessToken(e.a.ID, ScopeCustomersWrite)
	tests := []struct {
		name, token, method, path, body string
		status                          int
	}{
		{"a read-only token cannot create", readOnly, "POST", "/v2/customers", `{"given_name":"A"}`, 403},
		{"a read-only token cannot bulk delete", readOnly, "POST", "/v2/customers/bulk-delete", `{"customer_ids":["X"]}`, 403},
		{"a read-only token cannot create a group", readOnly, "POST", "/v2/customers/groups", `{"group":{"name":"G"}}`, 403},
		{"a read-only token can list", readOnly, "GET", "/v2/customers", ``, 200},
		{"a read-only token can search", readOnly, "POST", "/v2/customers/search", `{}`, 200},
		{"a write-only token cannot list", writeOnly, "GET", "/v2/customers", ``, 403},
		{"a write-only token can create", writeOnly, "POST", "/v2/customers", `{"given_name":"A"}`, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, tc.method, tc.path, tc.token, tc.body)
			if tc.status == 403 {
				wantError(t, tc.method+" "+tc.path, status, body, 403, "INSUFFICIENT_SCOPES", "")
			} else if status != tc.status {
				t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, status, body, tc.status)
			}
		})
	}
}

func TestBulkRetrieveCustomers(t *testing.T) {
	e := newEnv(t, -1)
	c := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	status, body := e.do(t, "POST", "/v2/customers/bulk-retrieve", e.tokA, map[string]any{"customer_ids": []string{c.ID, "MISSING"}})
	got := decodeAs[struct {
		Responses map[string]bulkItem `json:"responses"`
	}](t, body).Responses
	if status != 200 || got[c.ID].Customer == nil || got[c.ID].Customer.GivenName != "Ada" || len(got[c.ID].Errors) != 0 {
		t.Errorf("BulkRetrieveCustomers(%s) = %d %s, want 200 with the customer", c.ID, status, body)
	}
	if errs := got["MISSING"].Errors; len(errs) != 1 || errs[0].Code != "NOT_FOUND" || errs[0].Detail != "Customer with ID `MISSING` not found." {
		t.Errorf("BulkRetrieveCustomers(MISSING) = %s, want a NOT_FOUND item", body)
	}
	bulkBounds(t, e, "/v2/customers/bulk-retrieve")
}

func TestBulkDeleteCustomers(t *testing.T) {
	e := newEnv(t, -1)
	c1 := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	c2 := e.create(t, e.tokA, map[string]any{"given_name": "Grace"})
	card := e.addCard(e.a.ID, c1.ID, true)
	status, body := e.do(t, "POST", "/v2/customers/bulk-delete", e.tokA, map[string]any{"customer_ids": []string{c1.ID, "MISSING", c2.ID}})
	wantBody := `{"responses":{"` + c1.ID + `":{},"` + c2.ID + `":{},"MISSING":{"errors":[{"category":"INVALID_REQUEST_ERROR","code":"NOT_FOUND","detail":"Customer with ID ` + "`MISSING`" + ` not found."}]}}}`
	if status != 200 || !jsonEqual(body, []byte(wantBody)) {
		t.Errorf("BulkDeleteCustomers() = %d %s, want 200 %s", status, body, wantBody)
	}
	for _, id := range []string{c1.ID, c2.ID} {
		status, body := e.do(t, "GET", "/v2/customers/"+id, e.tokA, nil)
		wantError(t, "RetrieveCustomer(bulk-deleted)", status, body, 404, "NOT_FOUND", "")
	}
	e.s.mu.RLock()
	if card.CustomerID != "" || card.Enabled {
		t.Errorf("card after BulkDeleteCustomers = customer_id %q enabled %v, want unlinked and disabled", card.CustomerID, card.Enabled)
	}
	e.s.mu.RUnlock()
	bulkBounds(t, e, "/v2/customers/bulk-delete")
}

func bulkBounds(t *testing.T, e *testEnv, path string) {
	t.Helper()
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprint("ID", i)
	}
	for _, tc := range []struct {
		name, body, code string
	}{
		{"no customer_ids is a missing parameter", `{}`, "MISSING_REQUIRED_PARAMETER"},
		{"an empty customer_ids is too short", `{"customer_ids":[]}`, "VALUE_TOO_SHORT"},
		{"101 customer_ids are too many", string(must(json.Marshal(map[string]any{"customer_ids": many}))), "VALUE_TOO_LONG"},
	} {
		status, body := e.do(t, "POST", path, e.tokA, tc.body)
		wantError(t, "POST "+path+" ("+tc.name+")", status, body, 400, tc.code, "customer_ids")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

// FuzzCustomerRequestBodies sends arbitrary bodies to the endpoints that
// parse customer JSON: the answer must be 200 or a 4xx in Square's error
// shape, never a panic or a 5xx.
func FuzzCustomerRequestBodies(f *testing.F) {
	seeds := []string{
		`{"given_name":"Ada","email_address":"ada@example.com","birthday":"12-10"}`,
		`{"idempotency_key":"k","company_name":"C","address":{"country":"US","postal_code":"98101"}}`,
		`{"given_name":null,"address":null,"version":0}`,
		`{"version":"x"}`, `{"address":{"locality":5}}`, `{"tax_ids":{"eu_vat":"DE1"}}`,
		`{"query":{"filter":{"email_address":{"fuzzy":"steven gmail"}},"sort":{"field":"CREATED_AT","order":"DESC"}},"limit":3,"count":true}`,
		`{"query":{"filter":{"phone_number":{"exact":"+1 206 555 0100"},"group_ids":{"any":["X"]},"segment_ids":{"all":["A","B","C","D"]}}}}`,
		`{"query":{"filter":{"custom_attribute":{"filters":[{"key":"k"}]},"created_at":{"start_at":"bad"}}}}`,
		`{"cursor":"AAAA","limit":0}`, `{"limit":1e40}`, `{"birthday":"02-29"}`, `[]`, `null`, `"`, ``, `{"a":{"b":[{}]}}`,
	}
	for _, s := range seeds {
		for op := range uint8(3) {
			f.Add(op, []byte(s))
		}
	}
	e := newEnv(f, 20)
	var target string
	for id, rec := range e.md(e.a.ID).customers.byID {
		if rec.c.Visible() {
			target = id
			break
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		method, path := "POST", "/v2/customers"
		switch op % 3 {
		case 1:
			method, path = "PUT", "/v2/customers/"+target
		case 2:
			path = "/v2/customers/search"
		}
		status, got := e.do(t, method, path, e.tokA, body)
		switch {
		case status == 200:
			if !json.Valid(got) {
				t.Fatalf("%s %s(%q) = 200 %q, want JSON", method, path, body, got)
			}
		case status >= 400 && status < 500:
			er := decodeAs[errResp](t, got)
			if len(er.Errors) == 0 || er.Errors[0].Code == "" || er.Errors[0].Category == "" {
				t.Fatalf("%s %s(%q) = %d %s, want Square's error shape", method, path, body, status, got)
			}
		default:
			t.Fatalf("%s %s(%q) = %d %s, want 200 or a 4xx", method, path, body, status, got)
		}
	})
}

func TestConcurrentCustomerCallsAreSafe(t *testing.T) {
	e := newEnv(t, 50)
	c := e.create(t, e.tokA, map[string]any{"given_name": "Shared", "phone_number": "030 1234567"})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				switch (i + j) % 5 {
				case 0:
					e.do(t, "GET", "/v2/customers?limit=5&count=true", e.tokA, nil)
				case 1:
					e.do(t, "POST", "/v2/customers/search", e.tokA, `{"query":{"filter":{"phone_number":{"exact":"+1 206 555 0100"}}}}`)
				case 2:
					e.do(t, "GET", "/v2/customers/"+c.ID, e.tokA, nil, "Square-Version", "2024-11-20")
				case 3:
					e.do(t, "PUT", "/v2/customers/"+c.ID, e.tokA, fmt.Sprintf(`{"note":"%d-%d"}`, i, j))
				default:
					e.do(t, "POST", "/v2/customers", e.tokA, map[string]any{"given_name": fmt.Sprint("G", i, j)})
				}
			}
		})
	}
	wg.Wait()
	_, body := e.do(t, "GET", "/v2/customers/"+c.ID, e.tokA, nil)
	if got := decodeAs[struct{ Customer Customer }](t, body).Customer.Version; got != 32 {
		t.Errorf("RetrieveCustomer() after 32 concurrent updates = version %d, want 32", got)
	}
}

// Answers are encoded after the lock is released, which is safe only while
// nothing an answer shares is changed in place. Run with -race, this drives
// every kind of write (customer, address, groups, cards, delete) against
// every read that shares what they change.
func TestAnswersShareNothingThatWritesChangeInPlace(t *testing.T) {
	e := newEnv(t, 20)
	c := e.create(t, e.tokA, map[string]any{"given_name": "Shared", "address": map[string]any{"address_line_1": "1 Main St", "country": "US"}})
	g := createGroup(t, e, e.tokA, "Regulars")
	cards := make([]Card, 4)
	for i := range cards {
		cards[i] = mustCreateCard(t, e, e.tokA, createCardBody(visaToken(t, e.s), c.ID))
	}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			for j := range 12 {
				switch (i + j) % 8 {
				case 0:
					e.do(t, "PUT", "/v2/customers/"+c.ID, e.tokA, fmt.Sprintf(`{"address":{"locality":"City %d-%d"},"note":"n"}`, i, j))
				case 1:
					method := "PUT"
					if j%2 == 1 {
						method = "DELETE"
					}
					e.do(t, method, "/v2/customers/"+c.ID+"/groups/"+g.ID, e.tokA, nil)
				case 2:
					e.do(t, "POST", "/v2/cards/"+cards[(i+j)%len(cards)].ID+"/disable", e.tokA, nil)
				case 3:
					e.do(t, "POST", "/v2/cards", e.tokA, createCardBody(visaToken(t, e.s), c.ID))
				case 4:
					e.do(t, "GET", "/v2/cards?customer_id="+c.ID+"&include_disabled=true", e.tokA, nil)
				case 5:
					e.do(t, "GET", "/v2/customers/"+c.ID, e.tokA, nil, "Square-Version", "2024-11-20")
				case 6:
					e.do(t, "GET", "/v2/customers?limit=50", e.tokA, nil, "Square-Version", "2024-11-20")
				default:
					e.do(t, "POST", "/v2/customers/search", e.tokA, `{"query":{"filter":{"group_ids":{"any":["`+g.ID+`"]}}}}`)
				}
			}
		})
	}
	wg.Wait()
	if status, _ := e.do(t, "DELETE", "/v2/customers/"+c.ID, e.tokA, nil); status != 200 {
		t.Errorf("DeleteCustomer after the concurrent calls = %d, want 200", status)
	}
}
