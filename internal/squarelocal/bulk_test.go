package squarelocal

import (
	"fmt"
	"net/http"
	"testing"
)

// bulkResp is the answer of the bulk calls: one entry per key.
type bulkResp struct {
	Responses map[string]struct {
		Customer *Customer     `json:"customer"`
		Errors   []ErrorDetail `json:"errors"`
	} `json:"responses"`
	Errors []ErrorDetail `json:"errors"`
}

func TestBulkCreateCustomersAnswersEachEntry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, -1)
	body := map[string]any{"customers": map[string]any{
		"key-ada":   map[string]any{"given_name": "Ada", "email_address": "ada@example.com"},
		"key-bad":   map[string]any{"email_address": "not-an-email"},
		"key-empty": map[string]any{"note": "no name"},
	}}
	status, out := e.do(t, "POST", "/v2/customers/bulk-create", e.tokA, body)
	if status != http.StatusOK {
		t.Fatalf("BulkCreateCustomers = %d %s, want 200", status, out)
	}
	got := decodeAs[bulkResp](t, out)
	ada := got.Responses["key-ada"].Customer
	if ada == nil || ada.GivenName != "Ada" || ada.Version != 0 || ada.CreationSource != "THIRD_PARTY" {
		t.Fatalf("BulkCreateCustomers[key-ada] = %s, want Ada at version 0", out)
	}
	for key, code := range map[string]string{"key-bad": "INVALID_EMAIL_ADDRESS", "key-empty": "MISSING_REQUIRED_PARAMETER"} {
		if r := got.Responses[key]; r.Customer != nil || len(r.Errors) == 0 || r.Errors[0].Code != code {
			t.Errorf("BulkCreateCustomers[%s] = %+v, want only the error %s", key, r, code)
		}
	}
	if status, out := e.do(t, "GET", "/v2/customers/"+ada.ID, e.tokA, nil); status != http.StatusOK {
		t.Errorf("RetrieveCustomer(bulk-created) = %d %s, want 200", status, out)
	}
	if status, out := e.do(t, "GET", "/v2/customers?count=true", e.tokA, nil); decodeAs[pageResp](t, out).Count != 1 {
		t.Errorf("ListCustomers after one good entry of three = %d %s, want count 1", status, out)
	}

	// The keys are idempotency keys.
	_, out = e.do(t, "POST", "/v2/customers/bulk-create", e.tokA, map[string]any{"customers": map[string]any{
		"key-ada":   map[string]any{"given_name": "Ada", "email_address": "ada@example.com"},
		"key-other": map[string]any{"given_name": "Grace"},
	}})
	again := decodeAs[bulkResp](t, out)
	if c := again.Responses["key-ada"].Customer; c == nil || c.ID != ada.ID {
		t.Errorf("BulkCreateCustomers with key-ada again = %s, want customer %s again", out, ada.ID)
	}
	if c := again.Responses["key-other"].Customer; c == nil || c.ID == ada.ID {
		t.Errorf("BulkCreateCustomers[key-other] = %s, want a new customer", out)
	}
	_, out = e.do(t, "POST", "/v2/customers/bulk-create", e.tokA, map[string]any{"customers": map[string]any{
		"key-ada": map[string]any{"given_name": "Someone else"},
	}})
	if r := decodeAs[bulkResp](t, out).Responses["key-ada"]; len(r.Errors) == 0 || r.Errors[0].Code != "IDEMPOTENCY_KEY_REUSED" {
		t.Errorf("BulkCreateCustomers with key-ada for other data = %s, want IDEMPOTENCY_KEY_REUSED", out)
	}
}

// entries makes a bulk map of n entries.
func entries(n int, entry func(i int) (string, any)) map[string]any {
	m := map[string]any{}
	for i := range n {
		k, v := entry(i)
		m[k] = v
	}
	return m
}

func TestBulkCallsTakeOneToOneHundredEntries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, -1)
	create := func(n int) map[string]any {
		return map[string]any{"customers": entries(n, func(i int) (string, any) {
			return fmt.Sprint("k", i), map[string]any{"given_name": fmt.Sprint("Name ", i)}
		})}
	}
	status, out := e.do(t, "POST", "/v2/customers/bulk-create", e.tokA, create(100))
	if got := decodeAs[bulkResp](t, out); status != http.StatusOK || len(got.Responses) != 100 {
		t.Fatalf("BulkCreateCustomers(100 entries) = %d, %d answers; want 200 and 100", status, len(got.Responses))
	}
	var ids []string
	for _, r := range decodeAs[bulkResp](t, out).Responses {
		ids = append(ids, r.Customer.ID)
	}
	update := func(n int) map[string]any {
		return map[string]any{"customers": entries(n, func(i int) (string, any) {
			return ids[i], map[string]any{"note": "updated"}
		})}
	}
	if status, out := e.do(t, "POST", "/v2/customers/bulk-update", e.tokA, update(100)); status != http.StatusOK {
		t.Errorf("BulkUpdateCustomers(100 entries) = %d %s, want 200", status, out)
	}
	tooMany := create(101)
	upd101 := update(100)
	upd101["customers"].(map[string]any)["extra"] = map[string]any{"note": "x"}
	for _, tc := range []struct {
		name, path string
		body       any
		code       string
	}{
		{"create without customers", "/v2/customers/bulk-create", map[string]any{}, "MISSING_REQUIRED_PARAMETER"},
		{"create with no entries", "/v2/customers/bulk-create", create(0), "VALUE_EMPTY"},
		{"create with 101 entries", "/v2/customers/bulk-create", tooMany, "TOO_MANY_MAP_ENTRIES"},
		{"create with an empty key", "/v2/customers/bulk-create", map[string]any{"customers": map[string]any{"": map[string]any{"given_name": "A"}}}, "MAP_KEY_LENGTH_TOO_SHORT"},
		{"create with a list", "/v2/customers/bulk-create", map[string]any{"customers": []any{}}, "EXPECTED_MAP"},
		{"update without customers", "/v2/customers/bulk-update", map[string]any{}, "MISSING_REQUIRED_PARAMETER"},
		{"update with no entries", "/v2/customers/bulk-update", update(0), "VALUE_EMPTY"},
		{"update with 101 entries", "/v2/customers/bulk-update", upd101, "TOO_MANY_MAP_ENTRIES"},
	} {
		status, out := e.do(t, "POST", tc.path, e.tokA, tc.body)
		wantError(t, "bulk "+tc.name, status, out, http.StatusBadRequest, tc.code, "customers")
	}
	if status, out := e.do(t, "GET", "/v2/customers?count=true", e.tokA, nil); decodeAs[pageResp](t, out).Count != 100 {
		t.Errorf("ListCustomers after refused bulk calls = %d %s, want count 100", status, out)
	}
}

func TestBulkUpdateCustomersUpdatesEachEntryAsUpdateCustomerWould(t *testing.T) {
	t.Parallel()
	e := newEnv(t, -1)
	ada := e.create(t, e.tokA, map[string]any{"given_name": "Ada", "note": "keep", "nickname": "Countess"})
	grace := e.create(t, e.tokA, map[string]any{"given_name": "Grace"})
	mary := e.create(t, e.tokA, map[string]any{"given_name": "Mary"})
	theirs := e.create(t, e.tokB, map[string]any{"given_name": "Not A's"})
	status, out := e.do(t, "POST", "/v2/customers/bulk-update", e.tokA, map[string]any{"customers": map[string]any{
		ada.ID:    map[string]any{"family_name": "Lovelace", "nickname": nil, "version": 0},
		grace.ID:  map[string]any{"family_name": "Hopper", "version": 3},
		mary.ID:   map[string]any{"email_address": "nope"},
		theirs.ID: map[string]any{"note": "x"},
	}})
	if status != http.StatusOK {
		t.Fatalf("BulkUpdateCustomers = %d %s, want 200", status, out)
	}
	got := decodeAs[bulkResp](t, out)
	c := got.Responses[ada.ID].Customer
	if c == nil || c.FamilyName != "Lovelace" || c.Nickname != "" || c.Note != "keep" || c.Version != 1 {
		t.Errorf("BulkUpdateCustomers[ada] = %+v, want family name set, nickname cleared, note kept, version 1", c)
	}
	for id, code := range map[string]string{grace.ID: "VERSION_MISMATCH", mary.ID: "INVALID_EMAIL_ADDRESS", theirs.ID: "NOT_FOUND"} {
		if r := got.Responses[id]; r.Customer != nil || len(r.Errors) == 0 || r.Errors[0].Code != code {
			t.Errorf("BulkUpdateCustomers[%s] = %+v, want only the error %s", id, r, code)
		}
	}
	_, out = e.do(t, "GET", "/v2/customers/"+grace.ID, e.tokA, nil)
	if c := decodeAs[struct{ Customer Customer }](t, out).Customer; c.FamilyName != "" || c.Version != 0 {
		t.Errorf("RetrieveCustomer(grace) after a refused entry = %+v, want unchanged", c)
	}
	_, out = e.do(t, "GET", "/v2/customers/"+theirs.ID, e.tokB, nil)
	if c := decodeAs[struct{ Customer Customer }](t, out).Customer; c.Note != "" {
		t.Errorf("merchant B's customer after A's bulk update = %+v, want unchanged", c)
	}
}
