package squarelocal

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestListCustomersEmpty(t *testing.T) {
	e := newEnv(t, -1)
	for _, path := range []string{"/v2/customers", "/v2/customers?count=true", "/v2/customers?sort_field=CREATED_AT&sort_order=DESC"} {
		status, body := e.do(t, "GET", path, e.tokA, nil)
		if status != 200 || string(body) != "{}" {
			t.Errorf("ListCustomers(%s) on an empty directory = %d %s, want 200 {}", path, status, body)
		}
	}
	// Invisible profiles do not make the directory non-empty.
	e.putRaw(e.a.ID, &Customer{Note: "hidden", ReferenceID: "R-1"})
	status, body := e.do(t, "GET", "/v2/customers?count=true", e.tokA, nil)
	if status != 200 || string(body) != "{}" {
		t.Errorf("ListCustomers(count) with only an invisible profile = %d %s, want 200 {}", status, body)
	}
}

// sortFixture creates customers whose DEFAULT order exercises every rule:
// case-insensitive name order, given+family concatenation, and the
// fallbacks to company, email and phone. It returns them in creation
// order and the DEFAULT ascending order of their labels.
func sortFixture(t *testing.T, e *testEnv) (created []Customer, label map[string]string, defaultOrder []string) {
	t.Helper()
	bodies := []struct {
		label string
		body  map[string]any
	}{
		{"zoe", map[string]any{"given_name": "Zoe", "family_name": "Adams"}},                // zoeadams
		{"anna-b", map[string]any{"given_name": "anna", "family_name": "Bell"}},             // annabell
		{"ann-lee", map[string]any{"given_name": "Ann", "family_name": "Lee"}},              // annlee
		{"company", map[string]any{"company_name": "Lighthouse Ltd"}},                       // lighthouse ltd
		{"email", map[string]any{"email_address": "Mika@example.com"}},                      // mika@example.com
		{"phone", map[string]any{"phone_number": "+1 206-555-0100"}},                        // +1 206-555-0100
		{"family-only", map[string]any{"family_name": "Brown"}},                             // brown
		{"given-wins", map[string]any{"given_name": "Carl", "company_name": "Aardvark Co"}}, // carl
		{"ANN-LEE-2", map[string]any{"given_name": "ANN", "family_name": "LEE"}},            // annlee, tie by id
	}
	label = map[string]string{}
	for _, b := range bodies {
		c := e.create(t, e.tokA, b.body)
		created = append(created, c)
		label[c.ID] = b.label
	}
	// Invisible profiles are never listed.
	e.putRaw(e.a.ID, &Customer{Note: "invisible", ReferenceID: "AAA"})
	// annlee twice: the one with the smaller id first.
	annlee := []string{"ann-lee", "ANN-LEE-2"}
	if created[8].ID < created[2].ID {
		annlee = []string{"ANN-LEE-2", "ann-lee"}
	}
	defaultOrder = slices.Concat([]string{"phone", "anna-b"}, annlee, []string{"family-only", "given-wins", "company", "email", "zoe"})
	return created, label, defaultOrder
}

func TestListCustomersSortOrders(t *testing.T) {
	e := newEnv(t, -1)
	created, label, defaultOrder := sortFixture(t, e)
	var createdOrder []string
	for _, c := range created {
		createdOrder = append(createdOrder, label[c.ID])
	}
	reversed := func(s []string) []string { r := slices.Clone(s); slices.Reverse(r); return r }
	tests := []struct {
		query string
		want  []string
	}{
		{"", defaultOrder},
		{"sort_field=DEFAULT&sort_order=ASC", defaultOrder},
		{"sort_order=DESC", reversed(defaultOrder)},
		{"sort_field=CREATED_AT", createdOrder},
		{"sort_field=CREATED_AT&sort_order=DESC", reversed(createdOrder)},
	}
	for _, tc := range tests {
		for _, limit := range []int{100, 2} {
			t.Run(fmt.Sprintf("%s limit %d", tc.query, limit), func(t *testing.T) {
				var got []string
				for _, c := range listAll(t, e, e.tokA, fmt.Sprintf("%s&limit=%d", tc.query, limit)) {
					got = append(got, label[c.ID])
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("ListCustomers(%s) = %v, want %v", tc.query, got, tc.want)
				}
			})
		}
	}
}

// listAll follows cursors to the end and returns every customer listed.
func listAll(t *testing.T, e *testEnv, token, query string) []Customer {
	t.Helper()
	var all []Customer
	cursor := ""
	for range 10000 {
		status, body := e.do(t, "GET", "/v2/customers?"+query+"&cursor="+url.QueryEscape(cursor), token, nil)
		if status != 200 {
			t.Fatalf("ListCustomers(%s) = %d %s, want 200", query, status, body)
		}
		p := decodeAs[pageResp](t, body)
		all = append(all, p.Customers...)
		if p.Cursor == "" {
			return all
		}
		if len(p.Customers) == 0 {
			t.Fatalf("ListCustomers(%s) = an empty page with a cursor", query)
		}
		cursor = p.Cursor
	}
	t.Fatalf("ListCustomers(%s) never ended", query)
	return nil
}

func TestListCustomersParameters(t *testing.T) {
	e := newEnv(t, 30)
	tests := []struct {
		name, query, code, field string
	}{
		{"a limit of 0 is too low", "limit=0", "VALUE_TOO_LOW", "limit"},
		{"a negative limit is too low", "limit=-5", "VALUE_TOO_LOW", "limit"},
		{"a limit of 101 is too high", "limit=101", "VALUE_TOO_HIGH", "limit"},
		{"a limit in words is invalid", "limit=ten", "EXPECTED_INTEGER", "limit"},
		{"a fractional limit is invalid", "limit=1.5", "EXPECTED_INTEGER", "limit"},
		{"an unknown sort field is an invalid enum value", "sort_field=NAME", "INVALID_ENUM_VALUE", "sort_field"},
		{"a lower-case sort order is an invalid enum value", "sort_order=asc", "INVALID_ENUM_VALUE", "sort_order"},
		{"a count that is not a boolean is invalid", "count=maybe", "EXPECTED_BOOLEAN", "count"},
		{"a limit of 1 is fine", "limit=1", "", ""},
		{"a limit of 100 is fine", "limit=100", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, "GET", "/v2/customers?"+tc.query, e.tokA, nil)
			if tc.code != "" {
				wantError(t, "ListCustomers("+tc.query+")", status, body, 400, tc.code, tc.field)
				return
			}
			if status != 200 {
				t.Errorf("ListCustomers(%s) = %d %s, want 200", tc.query, status, body)
			}
		})
	}
	_, body := e.do(t, "GET", "/v2/customers?limit=1", e.tokA, nil)
	if p := decodeAs[pageResp](t, body); len(p.Customers) != 1 || p.Cursor == "" || p.Count != 0 {
		t.Errorf("ListCustomers(limit=1) = %d customers, cursor %q, count %d, want 1 customer, a cursor and no count", len(p.Customers), p.Cursor, p.Count)
	}
}

func TestListCustomersCountsVisibleCustomers(t *testing.T) {
	e := newEnv(t, 60)
	st := e.md(e.a.ID).customers
	visible := 0
	for _, rec := range st.byID {
		if rec.c.Visible() {
			visible++
		}
	}
	if visible == len(st.byID) {
		t.Fatalf("the seeded directory has no invisible profile to leave out of the count")
	}
	_, body := e.do(t, "GET", "/v2/customers?count=true&limit=5", e.tokA, nil)
	if got := decodeAs[pageResp](t, body).Count; got != int64(visible) {
		t.Errorf("ListCustomers(count) = %d, want %d visible of %d stored", got, visible, len(st.byID))
	}
	all := listAll(t, e, e.tokA, "limit=9")
	for _, c := range all {
		if !c.Visible() {
			t.Errorf("ListCustomers() returned invisible profile %s", c.ID)
		}
	}
	if len(all) != visible {
		t.Errorf("ListCustomers() over all pages = %d customers, want %d", len(all), visible)
	}
}

func TestListCustomersPagesReturnEveryRowOnce(t *testing.T) {
	e := newEnv(t, 120)
	want := e.md(e.a.ID).customers.visibleCount()
	for _, q := range []string{"", "sort_order=DESC", "sort_field=CREATED_AT", "sort_field=CREATED_AT&sort_order=DESC"} {
		for _, limit := range []int{1, 7, 100} {
			all := listAll(t, e, e.tokA, fmt.Sprintf("%s&limit=%d", q, limit))
			seen := map[string]int{}
			for _, c := range all {
				seen[c.ID]++
			}
			if len(all) != want || len(seen) != want {
				t.Errorf("ListCustomers(%s, limit %d) over all pages = %d rows, %d distinct, want %d once each", q, limit, len(all), len(seen), want)
			}
		}
	}
}

func TestListCustomersCursorSurvivesChanges(t *testing.T) {
	for _, q := range []string{"sort_field=DEFAULT&sort_order=ASC", "sort_order=DESC", "sort_field=CREATED_AT", "sort_field=CREATED_AT&sort_order=DESC"} {
		t.Run(q, func(t *testing.T) {
			e := newEnv(t, 80)
			before := listAll(t, e, e.tokA, q+"&limit=100")

			_, body := e.do(t, "GET", "/v2/customers?"+q+"&limit=10", e.tokA, nil)
			first := decodeAs[pageResp](t, body)
			got := ids(first.Customers)
			changed := map[string]bool{}

			// Between pages: delete a row already returned and one not yet
			// returned, rename one not yet returned, and add customers that
			// sort before and after the cursor.
			del := []string{before[3].ID, before[30].ID}
			for _, id := range del {
				if status, body := e.do(t, "DELETE", "/v2/customers/"+id, e.tokA, nil); status != 200 {
					t.Fatalf("DeleteCustomer(%s) = %d %s", id, status, body)
				}
				changed[id] = true
			}
			renamed := before[40].ID
			e.do(t, "PUT", "/v2/customers/"+renamed, e.tokA, `{"given_name":"Aaaaron","family_name":"Aardvark"}`)
			changed[renamed] = true
			for _, name := range []string{"Aaa", "Mmm", "Zzz"} {
				changed[e.create(t, e.tokA, map[string]any{"given_name": name}).ID] = true
			}

			cursor := first.Cursor
			for cursor != "" {
				status, body := e.do(t, "GET", "/v2/customers?"+q+"&limit=10&cursor="+cursor, e.tokA, nil)
				if status != 200 {
					t.Fatalf("ListCustomers(cursor after changes) = %d %s, want 200", status, body)
				}
				p := decodeAs[pageResp](t, body)
				got = append(got, ids(p.Customers)...)
				cursor = p.Cursor
			}
			count := map[string]int{}
			for _, id := range got {
				count[id]++
				if count[id] == 2 {
					t.Errorf("ListCustomers(%s) across changes returned %s twice", q, id)
				}
			}
			for _, c := range before {
				if !changed[c.ID] && count[c.ID] != 1 {
					t.Errorf("ListCustomers(%s) across changes returned unchanged %s %d times, want once", q, c.ID, count[c.ID])
				}
			}
		})
	}
}

func TestListCustomersInvalidCursor(t *testing.T) {
	e := newEnv(t, 30)
	_, body := e.do(t, "GET", "/v2/customers?limit=2", e.tokA, nil)
	listCursor := decodeAs[pageResp](t, body).Cursor
	_, body = e.do(t, "POST", "/v2/customers/search", e.tokA, `{"limit":2}`)
	searchCursor := decodeAs[pageResp](t, body).Cursor
	_, body = e.do(t, "GET", "/v2/customers?limit=2", e.tokB, nil)
	otherMerchant := decodeAs[pageResp](t, body).Cursor
	tampered := []byte(listCursor)
	if mid := len(tampered) / 2; tampered[mid] == 'A' {
		tampered[mid] = 'B'
	} else {
		tampered[mid] = 'A'
	}
	tests := []struct {
		name, query string
	}{
		{"garbage", "cursor=not-a-cursor"},
		{"characters outside base64url", "cursor=" + url.QueryEscape("!!!")},
		{"a tampered cursor", "cursor=" + string(tampered)},
		{"a cursor reused with another sort order", "sort_order=DESC&cursor=" + listCursor},
		{"a cursor reused with another sort field", "sort_field=CREATED_AT&cursor=" + listCursor},
		{"a search cursor", "cursor=" + searchCursor},
		{"another merchant's cursor", "cursor=" + otherMerchant},
		{"a cursor of almost nothing", "cursor=AA"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, "GET", "/v2/customers?limit=2&"+tc.query, e.tokA, nil)
			wantError(t, "ListCustomers("+tc.name+")", status, body, 400, "INVALID_CURSOR", "cursor")
		})
	}
	if status, body := e.do(t, "GET", "/v2/customers?limit=2&cursor="+listCursor, e.tokA, nil); status != 200 {
		t.Errorf("ListCustomers(its own cursor) = %d %s, want 200", status, body)
	}
	if strings.Contains(listCursor, "=") || strings.Contains(listCursor, "/") || strings.Contains(listCursor, "+") {
		t.Errorf("ListCustomers().cursor = %q, want URL-safe characters only", listCursor)
	}
}

func TestToE164(t *testing.T) {
	tests := []struct {
		in, country, want string
	}{
		{"+1-415-212-1200", "US", "+14152121200"},
		{"(415) 212-1200", "US", "+14152121200"},
		{"1 415 212 1200", "US", "+14152121200"},
		{"011 49 30 1234567", "US", "+49301234567"},
		{"030 1234567", "DE", "+49301234567"},
		{"0049 30 1234567", "DE", "+49301234567"},
		{"+49 30 1234567", "US", "+49301234567"},
		{"030 1234567", "BR", ""},
		{"", "US", ""},
	}
	for _, tc := range tests {
		if got := toE164(tc.in, tc.country); got != tc.want {
			t.Errorf("toE164(%q, %s) = %q, want %q", tc.in, tc.country, got, tc.want)
		}
	}
}
