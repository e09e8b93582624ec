package squarelocal

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestChangeElsewhereCommitsLikeAnUpdateAndSendsTheEvent(t *testing.T) {
	t.Parallel()
	e, rc := hookEnv(t)
	c := e.create(t, e.tokA, map[string]any{"given_name": "Jane", "family_name": "Fernandez"})
	got, err := e.s.ChangeElsewhere(e.a.ID, c.ID, func(c *Customer) {
		c.FamilyName = "Fernández"
		c.ID, c.Version, c.CreatedAt = "HIJACKED", 99, "1999-01-01T00:00:00Z" // not the seller's to change
	})
	if err != nil {
		t.Fatalf("ChangeElsewhere = %v, want nil", err)
	}
	if got.ID != c.ID || got.Version != c.Version+1 || got.CreatedAt != c.CreatedAt || got.FamilyName != "Fernández" || got.UpdatedAt <= c.UpdatedAt {
		t.Errorf("ChangeElsewhere = %+v, want %s at version %d, its created_at, a later updated_at and the new name", got, c.ID, c.Version+1)
	}
	status, body := e.do(t, "GET", "/v2/customers/"+c.ID, e.tokA, nil)
	if stored := decodeAs[struct{ Customer Customer }](t, body).Customer; status != 200 || stored.FamilyName != "Fernández" || stored.Version != got.Version {
		t.Errorf("RetrieveCustomer after ChangeElsewhere = %d %s, want the change at version %d", status, body, got.Version)
	}
	ev := eventOf(t, rc.waitFor(t, 2)[1].body)
	if ev.Type != EventCustomerUpdated || ev.Data.Object.Customer.FamilyName != "Fernández" || ev.Data.Object.Customer.Version != got.Version {
		t.Errorf("event = %+v, want customer.updated with the change at version %d", ev, got.Version)
	}
}

func TestChangeElsewhereRefusesWhatSquareWould(t *testing.T) {
	t.Parallel()
	e, rc := hookEnv(t)
	c := e.create(t, e.tokA, map[string]any{"given_name": "Kept"})
	cases := []struct {
		name     string
		merchant string
		id       string
		change   func(*Customer)
		want     error
	}{
		{"an unknown customer", e.a.ID, unknownID, func(*Customer) {}, ErrUnknownCustomer},
		{"another merchant's customer", e.b.ID, c.ID, func(*Customer) {}, ErrUnknownCustomer},
		{"an unknown merchant", "NOPE", c.ID, func(*Customer) {}, ErrUnknownMerchant},
		{"an invalid email address", e.a.ID, c.ID, func(c *Customer) { c.EmailAddress = "not an email" }, ErrInvalidCustomer},
	}
	for _, tc := range cases {
		if _, err := e.s.ChangeElsewhere(tc.merchant, tc.id, tc.change); !errors.Is(err, tc.want) {
			t.Errorf("ChangeElsewhere(%s) = %v, want %v", tc.name, err, tc.want)
		}
	}
	rc.waitFor(t, 1)
	time.Sleep(20 * time.Millisecond)
	if n := len(rc.all()); n != 1 {
		t.Errorf("events after refused changes = %d, want only the creation's", n)
	}
	status, body := e.do(t, "GET", "/v2/customers/"+c.ID, e.tokA, nil)
	if stored := decodeAs[struct{ Customer Customer }](t, body).Customer; status != 200 || stored.Version != c.Version || stored.EmailAddress != "" {
		t.Errorf("RetrieveCustomer after refused changes = %d %s, want it unchanged", status, body)
	}
}

func TestCreateAndDeleteElsewhereSendTheirEvents(t *testing.T) {
	t.Parallel()
	e, rc := hookEnv(t)
	made, err := e.s.CreateElsewhere(e.b.ID, Customer{GivenName: "Müller", PhoneNumber: "+49 30 901820"})
	if err != nil {
		t.Fatalf("CreateElsewhere = %v, want nil", err)
	}
	if made.CreationSource != creationSourceDirectory || made.Version != 0 {
		t.Errorf("CreateElsewhere = %+v, want creation_source DIRECTORY at version 0", made)
	}
	if _, err := e.s.CreateElsewhere(e.b.ID, Customer{Note: "no name"}); !errors.Is(err, ErrInvalidCustomer) {
		t.Errorf("CreateElsewhere(no identifying field) = %v, want ErrInvalidCustomer", err)
	}
	if err := e.s.DeleteElsewhere(e.b.ID, made.ID); err != nil {
		t.Fatalf("DeleteElsewhere = %v, want nil", err)
	}
	if err := e.s.DeleteElsewhere(e.b.ID, made.ID); !errors.Is(err, ErrUnknownCustomer) {
		t.Errorf("DeleteElsewhere twice = %v, want ErrUnknownCustomer", err)
	}
	got := rc.waitFor(t, 2)
	for i, want := range []string{EventCustomerCreated, EventCustomerDeleted} {
		if ev := eventOf(t, got[i].body); ev.Type != want || ev.MerchantID != e.b.ID || ev.Data.ID != made.ID {
			t.Errorf("event %d = %s, want %s of %s for merchant B", i, got[i].body, want, made.ID)
		}
	}
}

func TestElsewhereControls(t *testing.T) {
	t.Parallel()
	e, rc := hookEnv(t)
	c := e.create(t, e.tokA, map[string]any{"given_name": "Ctl"})
	cases := []struct {
		name, method, path, body string
		header                   []string
		wantStatus               int
		wantBody                 string
	}{
		{"a sparse change", "POST", "/_squarelocal/customers/" + c.ID, `{"nickname":"Cee","note":"from the till"}`, nil, 200, `"version":1`},
		{"a change Square would refuse", "POST", "/_squarelocal/customers/" + c.ID, `{"email_address":"nope"}`, nil, 400, "INVALID_EMAIL_ADDRESS"},
		{"a change that is not an object", "POST", "/_squarelocal/customers/" + c.ID, `[1]`, nil, 400, "EXPECTED_JSON_BODY"},
		{"a change of an unknown customer", "POST", "/_squarelocal/customers/" + unknownID, `{"note":"x"}`, nil, 404, "NOT_FOUND"},
		{"a change sent as a form", "POST", "/_squarelocal/customers/" + c.ID, `note=x`, []string{"Content-Type", "text/plain"}, 403, "FORBIDDEN"},
		{"a creation", "POST", "/_squarelocal/merchants/" + e.a.ID + "/customers", `{"given_name":"Walk-in"}`, nil, 200, `"creation_source":"DIRECTORY"`},
		{"a creation for an unknown merchant", "POST", "/_squarelocal/merchants/NOPE/customers", `{"given_name":"X"}`, nil, 404, "NOT_FOUND"},
		{"a deletion", "DELETE", "/_squarelocal/customers/" + c.ID, "", nil, 200, "{}"},
		{"a deletion of an unknown customer", "DELETE", "/_squarelocal/customers/" + c.ID, "", nil, 404, "NOT_FOUND"},
		{"a revocation by the seller", "POST", "/_squarelocal/merchants/" + e.a.ID + "/revoke", "{}", nil, 200, `"success":true`},
		{"a revocation for an unknown merchant", "POST", "/_squarelocal/merchants/NOPE/revoke", "{}", nil, 404, "NOT_FOUND"},
	}
	for _, tc := range cases {
		status, body := controlBody(t, e.s, tc.method, tc.path, tc.body, tc.header...)
		if status != tc.wantStatus || !strings.Contains(string(body), tc.wantBody) {
			t.Errorf("%s: %s %s = %d %s, want %d with %s", tc.name, tc.method, tc.path, status, body, tc.wantStatus, tc.wantBody)
		}
	}
	// Created, changed, created elsewhere, deleted, revoked.
	got := rc.waitFor(t, 5)
	var types []string
	for _, r := range got {
		types = append(types, eventOf(t, r.body).Type)
	}
	want := []string{EventCustomerCreated, EventCustomerUpdated, EventCustomerCreated, EventCustomerDeleted, EventOAuthRevoked}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Errorf("events = %v, want %v", types, want)
	}
	if status, _ := e.do(t, "GET", "/v2/customers", e.tokA, nil); status != 401 {
		t.Errorf("ListCustomers after the seller revoked = %d, want 401", status)
	}
}

func TestSearchByUpdatedAtFindsChangesMadeElsewhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, -1)
	t.Cleanup(e.s.Close)
	old := e.create(t, e.tokA, map[string]any{"given_name": "Old"})
	changed := e.create(t, e.tokA, map[string]any{"given_name": "Changed"})
	e.s.Advance(time.Hour)
	watermark := timestamp(e.s.Now())
	e.s.Advance(time.Minute)
	if _, err := e.s.ChangeElsewhere(e.a.ID, changed.ID, func(c *Customer) { c.Note = "new" }); err != nil {
		t.Fatal(err)
	}
	fresh := e.create(t, e.tokA, map[string]any{"given_name": "Fresh"})
	cases := []struct {
		name   string
		filter string
		want   []string
	}{
		{"updated since the watermark", fmt.Sprintf(`{"updated_at":{"start_at":%q}}`, watermark), []string{changed.ID, fresh.ID}},
		{"updated before the watermark", fmt.Sprintf(`{"updated_at":{"end_at":%q}}`, watermark), []string{old.ID}},
		{"created before the watermark and updated after it", fmt.Sprintf(`{"created_at":{"end_at":%q},"updated_at":{"start_at":%q}}`, watermark, watermark), []string{changed.ID}},
		{"created after the watermark", fmt.Sprintf(`{"created_at":{"start_at":%q}}`, watermark), []string{fresh.ID}},
	}
	for _, tc := range cases {
		body := `{"query":{"filter":` + tc.filter + `,"sort":{"field":"CREATED_AT","order":"ASC"}}}`
		status, out := e.do(t, "POST", "/v2/customers/search", e.tokA, body)
		var page struct{ Customers []Customer }
		if err := json.Unmarshal(out, &page); status != 200 || err != nil {
			t.Fatalf("%s: SearchCustomers = %d %s, want 200", tc.name, status, out)
		}
		var got []string
		for _, c := range page.Customers {
			got = append(got, c.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: SearchCustomers(%s) = %v, want %v", tc.name, tc.filter, got, tc.want)
		}
	}
}
