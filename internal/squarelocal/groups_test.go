package squarelocal

import (
	"fmt"
	"strings"
	"testing"
)

func createGroup(t *testing.T, e *testEnv, token, name string) CustomerGroup {
	t.Helper()
	status, body := e.do(t, "POST", "/v2/customers/groups", token, map[string]any{"group": map[string]any{"name": name}})
	if status != 200 {
		t.Fatalf("CreateCustomerGroup(%s) = %d %s, want 200", name, status, body)
	}
	return decodeAs[struct{ Group CustomerGroup }](t, body).Group
}

func TestListCustomerGroups(t *testing.T) {
	e := newEnv(t, -1)
	status, body := e.do(t, "GET", "/v2/customers/groups", e.tokA, nil)
	if status != 200 || string(body) != "{}" {
		t.Errorf("ListCustomerGroups() with no groups = %d %s, want 200 {}", status, body)
	}
	var want []string
	for i := range 5 {
		want = append(want, createGroup(t, e, e.tokA, fmt.Sprint("Group ", i)).ID)
	}
	for _, limit := range []int{1, 2, 5, 50} {
		var got []string
		cursor := ""
		for range 10 {
			status, body := e.do(t, "GET", fmt.Sprintf("/v2/customers/groups?limit=%d&cursor=%s", limit, cursor), e.tokA, nil)
			p := decodeAs[struct {
				Groups []CustomerGroup `json:"groups"`
				Cursor string          `json:"cursor"`
			}](t, body)
			if status != 200 {
				t.Fatalf("ListCustomerGroups(limit %d) = %d %s", limit, status, body)
			}
			for _, g := range p.Groups {
				got = append(got, g.ID)
			}
			if cursor = p.Cursor; cursor == "" {
				break
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("ListCustomerGroups(limit %d) over all pages = %v, want %v in creation order", limit, got, want)
		}
	}
	_, body = e.do(t, "GET", "/v2/customers/groups", e.tokB, nil)
	if string(body) != "{}" {
		t.Errorf("ListCustomerGroups(merchant B) = %s, want {} (A's groups are not B's)", body)
	}
	for _, tc := range []struct {
		name, query, code, field string
	}{
		{"a limit of 0 is too low", "limit=0", "VALUE_TOO_LOW", "limit"},
		{"a limit of 51 is too high", "limit=51", "VALUE_TOO_HIGH", "limit"},
		{"a limit in words is invalid", "limit=x", "EXPECTED_INTEGER", "limit"},
		{"a garbage cursor is invalid", "cursor=zzz", "INVALID_CURSOR", "cursor"},
	} {
		status, body := e.do(t, "GET", "/v2/customers/groups?"+tc.query, e.tokA, nil)
		wantError(t, "ListCustomerGroups("+tc.query+")", status, body, 400, tc.code, tc.field)
	}
}

func TestCreateCustomerGroup(t *testing.T) {
	e := newEnv(t, -1)
	g := createGroup(t, e, e.tokA, "VIP")
	if len(g.ID) != 26 || g.Name != "VIP" || g.CreatedAt == "" || g.UpdatedAt != g.CreatedAt {
		t.Errorf("CreateCustomerGroup(VIP) = %+v, want an id, the name and timestamps", g)
	}
	for _, tc := range []struct {
		name, body, code, field string
	}{
		{"a body without a group is missing a parameter", `{}`, "MISSING_REQUIRED_PARAMETER", "group"},
		{"a group without a name is missing a parameter", `{"group":{}}`, "MISSING_REQUIRED_PARAMETER", "group.name"},
		{"a name of 256 characters is too long", `{"group":{"name":"` + strings.Repeat("n", 256) + `"}}`, "VALUE_TOO_LONG", "group.name"},
		{"a name that is not a string is invalid", `{"group":{"name":1}}`, "EXPECTED_STRING", "group.name"},
	} {
		status, body := e.do(t, "POST", "/v2/customers/groups", e.tokA, tc.body)
		wantError(t, "CreateCustomerGroup("+tc.name+")", status, body, 400, tc.code, tc.field)
	}
	_, body := e.do(t, "POST", "/v2/customers/groups", e.tokA, `{"idempotency_key":"g1","group":{"name":"Staff"}}`)
	first := decodeAs[struct{ Group CustomerGroup }](t, body).Group
	_, body = e.do(t, "POST", "/v2/customers/groups", e.tokA, `{"idempotency_key":"g1","group":{"name":"Staff"}}`)
	if again := decodeAs[struct{ Group CustomerGroup }](t, body).Group; again.ID != first.ID {
		t.Errorf("CreateCustomerGroup(same key) = %s, want the first group %s", again.ID, first.ID)
	}
	status, body := e.do(t, "POST", "/v2/customers/groups", e.tokA, `{"idempotency_key":"g1","group":{"name":"Other"}}`)
	wantError(t, "CreateCustomerGroup(same key, other name)", status, body, 400, "IDEMPOTENCY_KEY_REUSED", "idempotency_key")

	status, body = e.do(t, "GET", "/v2/customers/groups/"+g.ID, e.tokA, nil)
	if got := decodeAs[struct{ Group CustomerGroup }](t, body).Group; status != 200 || got != g {
		t.Errorf("RetrieveCustomerGroup(%s) = %d %s, want %+v", g.ID, status, body, g)
	}
	status, body = e.do(t, "GET", "/v2/customers/groups/"+g.ID, e.tokB, nil)
	wantError(t, "RetrieveCustomerGroup(A's group with B's token)", status, body, 404, "NOT_FOUND", "")
	status, body = e.do(t, "GET", "/v2/customers/groups/NOPE", e.tokA, nil)
	wantError(t, "RetrieveCustomerGroup(NOPE)", status, body, 404, "NOT_FOUND", "")
}

func TestGroupMembership(t *testing.T) {
	e := newEnv(t, -1)
	g := createGroup(t, e, e.tokA, "VIP")
	c := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	get := func() Customer {
		_, body := e.do(t, "GET", "/v2/customers/"+c.ID, e.tokA, nil)
		return decodeAs[struct{ Customer Customer }](t, body).Customer
	}
	steps := []struct {
		name, method string
		groups       int
		version      int64
	}{
		{"adding a customer to a group bumps its version", "PUT", 1, 1},
		{"adding it again changes nothing", "PUT", 1, 1},
		{"removing it bumps the version again", "DELETE", 0, 2},
		{"removing it again changes nothing", "DELETE", 0, 2},
	}
	for _, st := range steps {
		status, body := e.do(t, st.method, "/v2/customers/"+c.ID+"/groups/"+g.ID, e.tokA, nil)
		if status != 200 || string(body) != "{}" {
			t.Fatalf("%s /v2/customers/%s/groups/%s = %d %s, want 200 {}", st.method, c.ID, g.ID, status, body)
		}
		got := get()
		if len(got.GroupIDs) != st.groups || got.Version != st.version || (st.groups == 1 && got.GroupIDs[0] != g.ID) {
			t.Errorf("%s: customer has group_ids %v version %d, want %d groups version %d", st.name, got.GroupIDs, got.Version, st.groups, st.version)
		}
	}
	for _, tc := range []struct {
		name, method, path, token string
	}{
		{"an unknown group", "PUT", "/v2/customers/" + c.ID + "/groups/NOPE", e.tokA},
		{"an unknown customer", "PUT", "/v2/customers/NOPE/groups/" + g.ID, e.tokA},
		{"another merchant's customer and group", "PUT", "/v2/customers/" + c.ID + "/groups/" + g.ID, e.tokB},
		{"removing from an unknown group", "DELETE", "/v2/customers/" + c.ID + "/groups/NOPE", e.tokA},
	} {
		status, body := e.do(t, tc.method, tc.path, tc.token, nil)
		wantError(t, tc.method+" "+tc.name, status, body, 404, "NOT_FOUND", "")
	}
}

func TestUpdateCustomerGroupRenamesIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, -1)
	g := createGroup(t, e, e.tokA, "Regulars")
	status, out := e.do(t, "PUT", "/v2/customers/groups/"+g.ID, e.tokA, map[string]any{"group": map[string]any{"name": "VIP", "id": "ignored"}})
	got := decodeAs[struct{ Group CustomerGroup }](t, out).Group
	if status != 200 || got.ID != g.ID || got.Name != "VIP" || got.CreatedAt != g.CreatedAt || got.UpdatedAt == g.UpdatedAt {
		t.Fatalf("UpdateCustomerGroup(VIP) = %d %s, want %s renamed VIP with a new updated_at", status, out, g.ID)
	}
	_, out = e.do(t, "GET", "/v2/customers/groups/"+g.ID, e.tokA, nil)
	if got := decodeAs[struct{ Group CustomerGroup }](t, out).Group; got.Name != "VIP" {
		t.Errorf("RetrieveCustomerGroup after the update = %s, want the name VIP", out)
	}
	for _, tc := range []struct {
		name, id, token string
		body            any
		status          int
		code, field     string
	}{
		{"an unknown group", unknownID, e.tokA, map[string]any{"group": map[string]any{"name": "X"}}, 404, "NOT_FOUND", ""},
		{"another merchant's group", g.ID, e.tokB, map[string]any{"group": map[string]any{"name": "X"}}, 404, "NOT_FOUND", ""},
		{"no group", g.ID, e.tokA, map[string]any{}, 400, "MISSING_REQUIRED_PARAMETER", "group"},
		{"no name", g.ID, e.tokA, map[string]any{"group": map[string]any{}}, 400, "MISSING_REQUIRED_PARAMETER", "group.name"},
		{"a name too long", g.ID, e.tokA, map[string]any{"group": map[string]any{"name": strings.Repeat("n", 256)}}, 400, "VALUE_TOO_LONG", "group.name"},
		{"a number as name", g.ID, e.tokA, `{"group":{"name":3}}`, 400, "EXPECTED_STRING", "group.name"},
	} {
		status, out := e.do(t, "PUT", "/v2/customers/groups/"+tc.id, tc.token, tc.body)
		wantError(t, "UpdateCustomerGroup("+tc.name+")", status, out, tc.status, tc.code, tc.field)
	}
}

func TestDeleteCustomerGroupTakesItsCustomersOutOfIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, -1)
	g := createGroup(t, e, e.tokA, "Regulars")
	keep := createGroup(t, e, e.tokA, "Staff")
	ada := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	for _, gid := range []string{g.ID, keep.ID} {
		if status, out := e.do(t, "PUT", "/v2/customers/"+ada.ID+"/groups/"+gid, e.tokA, nil); status != 200 {
			t.Fatalf("AddGroupToCustomer = %d %s", status, out)
		}
	}
	if status, out := e.do(t, "DELETE", "/v2/customers/groups/"+g.ID, e.tokB, nil); status != 404 {
		t.Errorf("DeleteCustomerGroup by another merchant = %d %s, want 404", status, out)
	}
	status, out := e.do(t, "DELETE", "/v2/customers/groups/"+g.ID, e.tokA, nil)
	if status != 200 || string(out) != "{}" {
		t.Fatalf("DeleteCustomerGroup = %d %s, want 200 {}", status, out)
	}
	status, out = e.do(t, "GET", "/v2/customers/groups/"+g.ID, e.tokA, nil)
	wantError(t, "RetrieveCustomerGroup(deleted)", status, out, 404, "NOT_FOUND", "")
	status, out = e.do(t, "DELETE", "/v2/customers/groups/"+g.ID, e.tokA, nil)
	wantError(t, "DeleteCustomerGroup(deleted)", status, out, 404, "NOT_FOUND", "")
	_, out = e.do(t, "GET", "/v2/customers/"+ada.ID, e.tokA, nil)
	c := decodeAs[struct{ Customer Customer }](t, out).Customer
	if len(c.GroupIDs) != 1 || c.GroupIDs[0] != keep.ID || c.Version != 3 {
		t.Errorf("customer after its group was deleted = groups %v version %d, want [%s] at version 3", c.GroupIDs, c.Version, keep.ID)
	}
	_, out = e.do(t, "POST", "/v2/customers/search", e.tokA, map[string]any{"query": map[string]any{"filter": map[string]any{"group_ids": map[string]any{"any": []string{g.ID}}}}})
	if string(out) != "{}" {
		t.Errorf("SearchCustomers in the deleted group = %s, want {}", out)
	}
}

// TestFaultsReachEveryGroupAndBulkEndpoint injects a fault on each group
// and bulk endpoint by its pattern: that endpoint answers it, and the
// change it asked for is not made.
func TestFaultsReachEveryGroupAndBulkEndpoint(t *testing.T) {
	e := newEnv(t, -1)
	g := createGroup(t, e, e.tokA, "Faulty")
	c := e.create(t, e.tokA, map[string]any{"given_name": "Ada"})
	ids := map[string]any{"customer_ids": []string{c.ID}}
	for _, tc := range []struct {
		pattern, method, path string
		body                  any
	}{
		{"GET /v2/customers/groups", "GET", "/v2/customers/groups", nil},
		{"POST /v2/customers/groups", "POST", "/v2/customers/groups", map[string]any{"group": map[string]any{"name": "New"}}},
		{"GET /v2/customers/groups/{group_id}", "GET", "/v2/customers/groups/" + g.ID, nil},
		{"PUT /v2/customers/groups/{group_id}", "PUT", "/v2/customers/groups/" + g.ID, map[string]any{"group": map[string]any{"name": "Renamed"}}},
		{"DELETE /v2/customers/groups/{group_id}", "DELETE", "/v2/customers/groups/" + g.ID, nil},
		{"PUT /v2/customers/{customer_id}/groups/{group_id}", "PUT", "/v2/customers/" + c.ID + "/groups/" + g.ID, nil},
		{"DELETE /v2/customers/{customer_id}/groups/{group_id}", "DELETE", "/v2/customers/" + c.ID + "/groups/" + g.ID, nil},
		{"POST /v2/customers/bulk-create", "POST", "/v2/customers/bulk-create", map[string]any{"customers": map[string]any{"k": map[string]any{"given_name": "B"}}}},
		{"POST /v2/customers/bulk-update", "POST", "/v2/customers/bulk-update", map[string]any{"customers": map[string]any{c.ID: map[string]any{"note": "x"}}}},
		{"POST /v2/customers/bulk-retrieve", "POST", "/v2/customers/bulk-retrieve", ids},
		{"POST /v2/customers/bulk-delete", "POST", "/v2/customers/bulk-delete", ids},
	} {
		if err := e.s.InjectFault(Fault{Kind: FaultUnavailable, Endpoint: tc.pattern, Count: 1}); err != nil {
			t.Fatal(err)
		}
		status, body := e.do(t, tc.method, tc.path, e.tokA, tc.body)
		wantError(t, tc.pattern+" with a fault", status, body, 503, "SERVICE_UNAVAILABLE", "")
	}
	// Nothing the faulted calls asked for happened.
	status, body := e.do(t, "GET", "/v2/customers/groups/"+g.ID, e.tokA, nil)
	if got := decodeAs[struct{ Group CustomerGroup }](t, body).Group; status != 200 || got.Name != "Faulty" {
		t.Errorf("the group after faulted calls = %d %s, want it as it was", status, body)
	}
	status, body = e.do(t, "GET", "/v2/customers/"+c.ID, e.tokA, nil)
	if got := decodeAs[struct{ Customer Customer }](t, body).Customer; status != 200 || got.Version != 0 || got.Note != "" {
		t.Errorf("the customer after faulted calls = %d %s, want it unchanged", status, body)
	}
}
