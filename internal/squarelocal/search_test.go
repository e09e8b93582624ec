package squarelocal

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// searchFixture is a directory of labelled customers for search tests.
type searchFixture struct {
	e     *testEnv
	label map[string]string // id → label
	byLbl map[string]Customer
	group map[string]string // group name → id
}

func newSearchFixture(t *testing.T) *searchFixture {
	t.Helper()
	e := newEnv(t, -1)
	f := &searchFixture{e: e, label: map[string]string{}, byLbl: map[string]Customer{}, group: map[string]string{}}
	for _, name := range []string{"VIP", "Wholesale"} {
		status, body := e.do(t, "POST", "/v2/customers/groups", e.tokA, map[string]any{"group": map[string]any{"name": name}})
		if status != 200 {
			t.Fatalf("CreateCustomerGroup(%s) = %d %s", name, status, body)
		}
		f.group[name] = decodeAs[struct{ Group CustomerGroup }](t, body).Group.ID
	}
	customers := []struct {
		label  string
		body   map[string]any
		groups []string
	}{
		{"steven", map[string]any{"given_name": "Steven", "family_name": "Johnson", "email_address": "steven.johnson@gmail.com",
			"phone_number": "+1-415-212-1200", "reference_id": "NYC_M_35_JOHNSON"}, []string{"VIP"}},
		{"steve-yahoo", map[string]any{"given_name": "Steve", "email_address": "steve@yahoo.com",
			"phone_number": "+1-212-415-1234", "reference_id": "NYC_X_35_STEVE"}, []string{"VIP", "Wholesale"}},
		{"gmail-other", map[string]any{"given_name": "Maya", "email_address": "Maya_Lin@GMAIL.com",
			"phone_number": "+1 (551) 234-1567", "reference_id": "SEA-12"}, []string{"Wholesale"}},
		{"nils", map[string]any{"given_name": "Nils", "phone_number": "+1-206-555-0100", "reference_id": "nyc_m_35_johnson"}, nil},
		{"national", map[string]any{"company_name": "Local Co", "phone_number": "(415) 212-1200"}, nil},
		{"company", map[string]any{"company_name": "Quiet Ltd"}, nil},
	}
	for _, c := range customers {
		created := e.create(t, e.tokA, c.body)
		f.label[created.ID] = c.label
		for _, g := range c.groups {
			if status, body := e.do(t, "PUT", "/v2/customers/"+created.ID+"/groups/"+f.group[g], e.tokA, nil); status != 200 {
				t.Fatalf("AddGroupToCustomer(%s, %s) = %d %s", c.label, g, status, body)
			}
		}
		_, body := e.do(t, "GET", "/v2/customers/"+created.ID, e.tokA, nil)
		f.byLbl[c.label] = decodeAs[struct{ Customer Customer }](t, body).Customer
	}
	// Seeded-looking sources, which the API cannot set.
	e.s.mu.Lock()
	md := e.md(e.a.ID)
	for lbl, src := range map[string]string{"steven": "DIRECTORY", "steve-yahoo": "APPOINTMENTS"} {
		rec := md.customers.get(f.byLbl[lbl].ID)
		c := *rec.c
		c.CreationSource = src
		md.replaceCustomer(rec, &c)
	}
	e.s.mu.Unlock()
	e.putRaw(e.a.ID, &Customer{ReferenceID: "NYC_M_35_HIDDEN", Note: "invisible", CreationSource: "DIRECTORY"})
	return f
}

// search runs a search and returns the labels of all matches, following
// cursors, in order.
func (f *searchFixture) search(t *testing.T, body string) (labels []string, status int, raw []byte) {
	t.Helper()
	var req map[string]any
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatalf("bad test body %s: %v", body, err)
	}
	for range 100 {
		b, _ := json.Marshal(req)
		status, raw = f.e.do(t, "POST", "/v2/customers/search", f.e.tokA, b)
		if status != 200 {
			return nil, status, raw
		}
		p := decodeAs[pageResp](t, raw)
		for _, c := range p.Customers {
			labels = append(labels, f.label[c.ID])
		}
		if p.Cursor == "" {
			return labels, status, raw
		}
		req["cursor"] = p.Cursor
	}
	t.Fatalf("SearchCustomers(%s) never ended", body)
	return nil, 0, nil
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestSearchCustomersFilters(t *testing.T) {
	f := newSearchFixture(t)
	filter := func(s string) string { return `{"query":{"filter":` + s + `}}` }
	tests := []struct {
		name string
		body string
		want []string // nil: no match, the answer must be {}
	}{
		{"no query returns every visible customer", `{}`, []string{"company", "gmail-other", "national", "nils", "steve-yahoo", "steven"}},
		{"an exact email matches case-insensitively", filter(`{"email_address":{"exact":"MAYA_LIN@gmail.COM"}}`), []string{"gmail-other"}},
		{"an exact email does not match a part", filter(`{"email_address":{"exact":"steven"}}`), nil},
		{"fuzzy email tokens match in any order: Steven gmail", filter(`{"email_address":{"fuzzy":"Steven gmail"}}`), []string{"steven"}},
		{"fuzzy email ignores punctuation in the query", filter(`{"email_address":{"fuzzy":"johnson@gmail.com"}}`), []string{"steven"}},
		{"fuzzy email matches across stripped punctuation", filter(`{"email_address":{"fuzzy":"mayalin"}}`), []string{"gmail-other"}},
		{"fuzzy email needs every token", filter(`{"email_address":{"fuzzy":"steve hotmail"}}`), nil},
		{"fuzzy email with one token matches every address containing it", filter(`{"email_address":{"fuzzy":"GMAIL"}}`), []string{"gmail-other", "steven"}},
		{"an exact E.164 phone matches formatted stored numbers", filter(`{"phone_number":{"exact":"+14152121200"}}`), []string{"national", "steven"}},
		{"an exact phone may be formatted", filter(`{"phone_number":{"exact":"+1 (415) 212-1200"}}`), []string{"national", "steven"}},
		{"fuzzy phone 415 matches it anywhere in the number", filter(`{"phone_number":{"fuzzy":"415"}}`), []string{"gmail-other", "national", "steve-yahoo", "steven"}},
		{"fuzzy phone needs every digit token", filter(`{"phone_number":{"fuzzy":"415 1234"}}`), []string{"gmail-other", "steve-yahoo"}},
		{"fuzzy phone tokens are digits only", filter(`{"phone_number":{"fuzzy":"(206) 555"}}`), []string{"nils"}},
		{"an exact reference id matches case-insensitively", filter(`{"reference_id":{"exact":"nyc_m_35_johnson"}}`), []string{"nils", "steven"}},
		{"an exact reference id is not a prefix match", filter(`{"reference_id":{"exact":"NYC_M"}}`), nil},
		{"fuzzy reference NYC M matches NYC_M_35_JOHNSON", filter(`{"reference_id":{"fuzzy":"NYC M"}}`), []string{"nils", "steven"}},
		{"fuzzy reference tokens match in any order", filter(`{"reference_id":{"fuzzy":"35 nyc"}}`), []string{"nils", "steve-yahoo", "steven"}},
		{"creation source INCLUDE", filter(`{"creation_source":{"values":["DIRECTORY","APPOINTMENTS"]}}`), []string{"steve-yahoo", "steven"}},
		{"creation source EXCLUDE", filter(`{"creation_source":{"values":["THIRD_PARTY"],"rule":"EXCLUDE"}}`), []string{"steve-yahoo", "steven"}},
		{"group any", filter(fmt.Sprintf(`{"group_ids":{"any":[%q]}}`, f.group["Wholesale"])), []string{"gmail-other", "steve-yahoo"}},
		{"group all", filter(fmt.Sprintf(`{"group_ids":{"all":[%q,%q]}}`, f.group["VIP"], f.group["Wholesale"])), []string{"steve-yahoo"}},
		{"group none", filter(fmt.Sprintf(`{"group_ids":{"none":[%q]}}`, f.group["VIP"])), []string{"company", "gmail-other", "national", "nils"}},
		{"an unknown group gives an empty answer", filter(`{"group_ids":{"any":["NO_SUCH_GROUP"]}}`), nil},
		{"the reachable segment", filter(fmt.Sprintf(`{"segment_ids":{"none":[%q]}}`, f.e.a.ID+".REACHABLE")), []string{"company"}},
		{"custom attribute filters match nothing", filter(`{"custom_attribute":{"filters":[{"key":"favorite","filter":{"text":{"exact":"x"}}}]}}`), nil},
		{"filters are ANDed", filter(`{"email_address":{"fuzzy":"gmail"},"reference_id":{"fuzzy":"NYC"}}`), []string{"steven"}},
		{"ANDed filters with no common match give an empty answer", filter(`{"email_address":{"fuzzy":"yahoo"},"group_ids":{"none":["` + f.group["VIP"] + `"]}}`), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, status, raw := f.search(t, tc.body)
			if status != 200 {
				t.Fatalf("SearchCustomers(%s) = %d %s, want 200", tc.body, status, raw)
			}
			if tc.want == nil {
				if string(raw) != "{}" {
					t.Errorf("SearchCustomers(%s) = %s, want {}", tc.body, raw)
				}
				return
			}
			if !slices.Equal(sorted(got), sorted(tc.want)) {
				t.Errorf("SearchCustomers(%s) = %v, want %v", tc.body, sorted(got), sorted(tc.want))
			}
		})
	}
}

func TestSearchCustomersTimeRanges(t *testing.T) {
	f := newSearchFixture(t)
	at := func(lbl string) string { return f.byLbl[lbl].CreatedAt }
	tests := []struct {
		name, filter string
		want         []string
	}{
		{"created_at includes both ends", fmt.Sprintf(`{"created_at":{"start_at":%q,"end_at":%q}}`, at("steve-yahoo"), at("nils")), []string{"steve-yahoo", "gmail-other", "nils"}},
		{"created_at with a start only", fmt.Sprintf(`{"created_at":{"start_at":%q}}`, at("national")), []string{"national", "company"}},
		{"created_at with an end only", fmt.Sprintf(`{"created_at":{"end_at":%q}}`, at("steven")), []string{"steven"}},
		{"a start after the end matches nothing", fmt.Sprintf(`{"created_at":{"start_at":%q,"end_at":%q}}`, at("nils"), at("steven")), nil},
		{"updated_at reflects later updates", fmt.Sprintf(`{"updated_at":{"start_at":%q}}`, f.byLbl["company"].UpdatedAt), []string{"company"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"query":{"filter":` + tc.filter + `,"sort":{"field":"CREATED_AT"}}}`
			got, status, raw := f.search(t, body)
			if status != 200 || !slices.Equal(got, tc.want) {
				t.Errorf("SearchCustomers(%s) = %d %v %s, want %v", tc.filter, status, got, raw, tc.want)
			}
		})
	}
}

func TestSearchCustomersSortAndPaging(t *testing.T) {
	f := newSearchFixture(t)
	created := []string{"steven", "steve-yahoo", "gmail-other", "nils", "national", "company"}
	reversed := slices.Clone(created)
	slices.Reverse(reversed)
	tests := []struct {
		body string
		want []string
	}{
		{`{"limit":1,"query":{"sort":{"field":"CREATED_AT"}}}`, created},
		{`{"limit":2,"query":{"sort":{"field":"CREATED_AT","order":"DESC"}}}`, reversed},
		// DEFAULT: "local co", "mayalin"... given+family, else company.
		{`{"limit":4,"query":{"sort":{"field":"DEFAULT"}}}`, []string{"national", "gmail-other", "nils", "company", "steve-yahoo", "steven"}},
		{`{"limit":4,"query":{"sort":{"order":"DESC"}}}`, []string{"steven", "steve-yahoo", "company", "nils", "gmail-other", "national"}},
		{`{"limit":1,"query":{"filter":{"phone_number":{"fuzzy":"415"}},"sort":{"field":"CREATED_AT"}}}`, []string{"steven", "steve-yahoo", "gmail-other", "national"}},
	}
	for _, tc := range tests {
		got, status, raw := f.search(t, tc.body)
		if status != 200 || !slices.Equal(got, tc.want) {
			t.Errorf("SearchCustomers(%s) = %d %v %s, want %v", tc.body, status, got, raw, tc.want)
		}
	}
	_, body := f.e.do(t, "POST", "/v2/customers/search", f.e.tokA, `{"count":true,"limit":1,"query":{"filter":{"phone_number":{"fuzzy":"415"}}}}`)
	if p := decodeAs[pageResp](t, body); p.Count != 4 || len(p.Customers) != 1 || p.Cursor == "" {
		t.Errorf("SearchCustomers(count, limit 1) = count %d, %d customers, cursor %q, want 4, 1 and a cursor", p.Count, len(p.Customers), p.Cursor)
	}
	_, body = f.e.do(t, "POST", "/v2/customers/search", f.e.tokA, `{"count":true}`)
	if p := decodeAs[pageResp](t, body); p.Count != 6 {
		t.Errorf("SearchCustomers(count, no query) = %d, want the 6 visible customers", p.Count)
	}
}

func TestSearchCustomersRejectsBadRequests(t *testing.T) {
	f := newSearchFixture(t)
	_, body := f.e.do(t, "POST", "/v2/customers/search", f.e.tokA, `{"limit":1,"query":{"filter":{"phone_number":{"fuzzy":"415"}}}}`)
	cursor := decodeAs[pageResp](t, body).Cursor
	_, body = f.e.do(t, "GET", "/v2/customers?limit=1", f.e.tokA, nil)
	listCursor := decodeAs[pageResp](t, body).Cursor
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = fmt.Sprintf(`{"key":"k%d","filter":{}}`, i)
	}
	tests := []struct {
		name, body, code, field string
	}{
		{"a limit of 0 is too low", `{"limit":0}`, "VALUE_TOO_LOW", "limit"},
		{"a limit of 101 is too high", `{"limit":101}`, "VALUE_TOO_HIGH", "limit"},
		{"a fractional limit is invalid", `{"limit":2.5}`, "EXPECTED_INTEGER", "limit"},
		{"a garbage cursor is invalid", `{"cursor":"garbage"}`, "INVALID_CURSOR", "cursor"},
		{"a cursor reused with another filter is invalid", `{"cursor":"` + cursor + `","query":{"filter":{"phone_number":{"fuzzy":"416"}}}}`, "INVALID_CURSOR", "cursor"},
		{"a cursor reused with another sort is invalid", `{"cursor":"` + cursor + `","query":{"filter":{"phone_number":{"fuzzy":"415"}},"sort":{"order":"DESC"}}}`, "INVALID_CURSOR", "cursor"},
		{"a list cursor is invalid for search", `{"cursor":"` + listCursor + `"}`, "INVALID_CURSOR", "cursor"},
		{"an unknown sort field is an invalid enum value", `{"query":{"sort":{"field":"NAME"}}}`, "INVALID_ENUM_VALUE", "query.sort.field"},
		{"an unknown sort order is an invalid enum value", `{"query":{"sort":{"order":"UP"}}}`, "INVALID_ENUM_VALUE", "query.sort.order"},
		{"a text filter with exact and fuzzy is a bad request", `{"query":{"filter":{"email_address":{"exact":"a@b.co","fuzzy":"a"}}}}`, "BAD_REQUEST", "query.filter.email_address"},
		{"a text filter with neither is a bad request", `{"query":{"filter":{"reference_id":{}}}}`, "BAD_REQUEST", "query.filter.reference_id"},
		{"an empty fuzzy text is invalid", `{"query":{"filter":{"email_address":{"fuzzy":"  "}}}}`, "INVALID_VALUE", "query.filter.email_address.fuzzy"},
		{"an exact phone not in E.164 form is invalid", `{"query":{"filter":{"phone_number":{"exact":"415-212-1200"}}}}`, "INVALID_PHONE_NUMBER", "query.filter.phone_number.exact"},
		{"an unknown creation source is an invalid enum value", `{"query":{"filter":{"creation_source":{"values":["DIRECTORY","WALK_IN"]}}}}`, "INVALID_ENUM_VALUE", "query.filter.creation_source.values[1]"},
		{"an unknown creation source rule is an invalid enum value", `{"query":{"filter":{"creation_source":{"values":["DIRECTORY"],"rule":"ONLY"}}}}`, "INVALID_ENUM_VALUE", "query.filter.creation_source.rule"},
		{"a time that is not RFC 3339 is invalid", `{"query":{"filter":{"created_at":{"start_at":"yesterday"}}}}`, "INVALID_TIME", "query.filter.created_at.start_at"},
		{"an unknown segment is a bad request", `{"query":{"filter":{"segment_ids":{"any":["NOPE.SEGMENT"]}}}}`, "BAD_REQUEST", "query.filter.segment_ids"},
		{"more than three segments is a bad request", fmt.Sprintf(`{"query":{"filter":{"segment_ids":{"all":[%[1]q,%[1]q],"none":[%[1]q,%[1]q]}}}}`, f.e.a.ID+".REACHABLE"), "BAD_REQUEST", "query.filter.segment_ids"},
		{"more than ten custom attribute filters is a bad request", `{"query":{"filter":{"custom_attribute":{"filters":[` + strings.Join(eleven, ",") + `]}}}}`, "BAD_REQUEST", "query.filter.custom_attribute.filters"},
		{"a custom attribute filter without a key is missing a parameter", `{"query":{"filter":{"custom_attribute":{"filters":[{"filter":{}}]}}}}`, "MISSING_REQUIRED_PARAMETER", "query.filter.custom_attribute.filters[0].key"},
		{"a repeated custom attribute key is a bad request", `{"query":{"filter":{"custom_attribute":{"filters":[{"key":"a","filter":{}},{"key":"a","filter":{}}]}}}}`, "BAD_REQUEST", "query.filter.custom_attribute.filters[1].key"},
		{"a custom attribute filter without filter or updated_at is a bad request", `{"query":{"filter":{"custom_attribute":{"filters":[{"key":"a"}]}}}}`, "BAD_REQUEST", "query.filter.custom_attribute.filters[0]"},
		{"a filter of the wrong type is invalid", `{"query":{"filter":{"email_address":"steven"}}}`, "EXPECTED_OBJECT", "query.filter.email_address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := f.e.do(t, "POST", "/v2/customers/search", f.e.tokA, tc.body)
			wantError(t, "SearchCustomers("+tc.body+")", status, raw, 400, tc.code, tc.field)
		})
	}
	status, raw := f.e.do(t, "POST", "/v2/customers/search", f.e.tokA, `{"query":{"filter":{"segment_ids":{"any":["NOPE.SEGMENT"]}}}}`)
	if status != 400 || !strings.Contains(string(raw), "NOPE.SEGMENT") {
		t.Errorf("SearchCustomers(unknown segment) = %d %s, want a detail naming the segment", status, raw)
	}
	status, raw = f.e.do(t, "POST", "/v2/customers/search", f.e.tokA, `{"cursor":"`+cursor+`","query":{"filter":{"phone_number":{"fuzzy":"415"}}}}`)
	if status != 200 {
		t.Errorf("SearchCustomers(its own cursor) = %d %s, want 200", status, raw)
	}
}

func TestSearchCustomersCursorSurvivesChanges(t *testing.T) {
	e := newEnv(t, 150)
	q := `{"limit":10,"query":{"filter":{"email_address":{"fuzzy":"gmail"}},"sort":{"field":"DEFAULT"}}}`
	all := func() []string {
		var out []string
		req := map[string]any{}
		_ = json.Unmarshal([]byte(q), &req)
		for {
			b, _ := json.Marshal(req)
			_, body := e.do(t, "POST", "/v2/customers/search", e.tokA, b)
			p := decodeAs[pageResp](t, body)
			out = append(out, ids(p.Customers)...)
			if p.Cursor == "" {
				return out
			}
			req["cursor"] = p.Cursor
		}
	}
	before := all()
	if len(before) < 15 {
		t.Fatalf("SearchCustomers(gmail) = %d matches in the seed, want at least 15", len(before))
	}
	_, body := e.do(t, "POST", "/v2/customers/search", e.tokA, q)
	first := decodeAs[pageResp](t, body)
	got := ids(first.Customers)
	changed := map[string]bool{before[12]: true, before[2]: true}
	for id := range changed {
		e.do(t, "DELETE", "/v2/customers/"+id, e.tokA, nil)
	}
	for _, n := range []string{"aaa", "mmm", "zzz"} {
		changed[e.create(t, e.tokA, map[string]any{"given_name": n, "email_address": n + "@gmail.com"}).ID] = true
	}
	req := map[string]any{}
	_ = json.Unmarshal([]byte(q), &req)
	for cursor := first.Cursor; cursor != ""; {
		req["cursor"] = cursor
		b, _ := json.Marshal(req)
		status, body := e.do(t, "POST", "/v2/customers/search", e.tokA, b)
		if status != 200 {
			t.Fatalf("SearchCustomers(cursor after changes) = %d %s", status, body)
		}
		p := decodeAs[pageResp](t, body)
		got = append(got, ids(p.Customers)...)
		cursor = p.Cursor
	}
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	for _, id := range before {
		if !changed[id] && count[id] != 1 {
			t.Errorf("SearchCustomers() across changes returned unchanged %s %d times, want once", id, count[id])
		}
	}
	for id, n := range count {
		if n > 1 {
			t.Errorf("SearchCustomers() across changes returned %s %d times", id, n)
		}
	}
}
