package squarelocal

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SearchCustomers (docs/square.md#searching-customers). Filters are ANDed. Where Square is
// silent the emulator chooses:
//
//   - created_at and updated_at ranges include both ends.
//   - A range whose start is after its end matches nothing.
//   - An empty exact or fuzzy text is 400 INVALID_VALUE; a fuzzy text with
//     no letters or digits at all has no tokens and matches every customer
//     that has the field.
//   - An exact phone_number must be in E.164 form (a leading + and 9 to 16
//     digits, formatting allowed), else 400 INVALID_PHONE_NUMBER. Stored
//     numbers written without a country code are read as numbers of the
//     merchant's country.
//   - Fuzzy text tokens match as substrings of the stored value's
//     normalised form: email with punctuation stripped, phone as digits,
//     reference_id with non-alphanumerics as spaces.
//   - A group id unknown to the merchant anywhere in group_ids (all, any or
//     none) makes the answer {}, as Square documents for invalid ids.
//   - segment_ids know one segment, "<merchant id>.REACHABLE" (customers
//     with an email address or phone number); any other id is 400
//     BAD_REQUEST naming it.
//   - custom_attribute filters are checked for shape (at most 10, unique
//     keys, each with filter or updated_at); the emulator stores no custom
//     attributes, so a query that has any matches nothing.

// maxCustomAttributeFilters and maxSegmentIDs are Square's documented caps.
const (
	maxCustomAttributeFilters = 10
	maxSegmentIDs             = 3
)

// creationSources is Square's CustomerCreationSource enum.
var creationSources = setOf(`OTHER APPOINTMENTS COUPON DELETION_RECOVERY DIRECTORY EGIFTING EMAIL_COLLECTION
FEEDBACK IMPORT INVOICES LOYALTY MARKETING MERGE ONLINE_STORE INSTANT_PROFILE TERMINAL THIRD_PARTY
THIRD_PARTY_IMPORT UNMERGE_RECOVERY`)

type searchRequest struct {
	Cursor string         `json:"cursor"`
	Limit  *int64         `json:"limit"`
	Count  bool           `json:"count"`
	Query  *customerQuery `json:"query"`
}

type customerQuery struct {
	Filter *customerFilter `json:"filter,omitempty"`
	Sort   *customerSort   `json:"sort,omitempty"`
}

type customerSort struct {
	Field string `json:"field,omitempty"`
	Order string `json:"order,omitempty"`
}

type customerFilter struct {
	CreationSource  *creationSourceFilter  `json:"creation_source,omitempty"`
	CreatedAt       *timeRange             `json:"created_at,omitempty"`
	UpdatedAt       *timeRange             `json:"updated_at,omitempty"`
	EmailAddress    *textFilter            `json:"email_address,omitempty"`
	PhoneNumber     *textFilter            `json:"phone_number,omitempty"`
	ReferenceID     *textFilter            `json:"reference_id,omitempty"`
	GroupIDs        *filterValue           `json:"group_ids,omitempty"`
	SegmentIDs      *filterValue           `json:"segment_ids,omitempty"`
	CustomAttribute *customAttributeFilter `json:"custom_attribute,omitempty"`
}

type creationSourceFilter struct {
	Values []string `json:"values,omitempty"`
	Rule   string   `json:"rule,omitempty"`
}

type timeRange struct {
	StartAt string `json:"start_at,omitempty"`
	EndAt   string `json:"end_at,omitempty"`
}

type textFilter struct {
	Exact *string `json:"exact,omitempty"`
	Fuzzy *string `json:"fuzzy,omitempty"`
}

type filterValue struct {
	All  []string `json:"all,omitempty"`
	Any  []string `json:"any,omitempty"`
	None []string `json:"none,omitempty"`
}

type customAttributeFilter struct {
	Filters []customAttributeEntry `json:"filters,omitempty"`
}

type customAttributeEntry struct {
	Key       string          `json:"key,omitempty"`
	Filter    json.RawMessage `json:"filter,omitempty"`
	UpdatedAt *timeRange      `json:"updated_at,omitempty"`
}

// matcher is one compiled filter.
type matcher func(*customerRec) bool

func (s *Server) searchCustomers(r *request) (any, *apiError) {
	var in searchRequest
	if e := r.decode(&in); e != nil {
		return nil, e
	}
	limit := maxPageSize
	if in.Limit != nil {
		var e *apiError
		if limit, e = checkLimit(*in.Limit, maxPageSize); e != nil {
			return nil, e
		}
	}
	q := in.Query
	if q == nil {
		q = &customerQuery{}
	}
	field, order := sortDefault, orderASC
	if q.Sort != nil {
		var e *apiError
		if field, e = enumParam(q.Sort.Field, "query.sort.field", sortDefault, sortDefault, sortCreatedAt); e != nil {
			return nil, e
		}
		if order, e = enumParam(q.Sort.Order, "query.sort.order", orderASC, orderASC, orderDESC); e != nil {
			return nil, e
		}
	}
	matchers, none, e := compileFilter(r.Merchant, q.Filter)
	if e != nil {
		return nil, e
	}
	hash := queryHash(q.Filter, field, order)
	st := r.Merchant.customers
	var after *cursorState
	if in.Cursor != "" {
		if after, e = st.openCursor(in.Cursor, cursorSearch); e != nil {
			return nil, e
		}
		if after.Query != hash {
			return nil, badRequest("INVALID_CURSOR", "cursor", "The cursor was made for another query.")
		}
	}
	if none {
		return customerPage{}, nil
	}
	var match func(*customerRec) bool
	if len(matchers) > 0 {
		match = func(rec *customerRec) bool {
			for _, m := range matchers {
				if !m(rec) {
					return false
				}
			}
			return true
		}
	}
	rows, more := st.page(field, order, after, limit, match)
	resp := customerPage{Customers: customerViews(r, rows)}
	if more {
		last := rows[len(rows)-1]
		resp.Cursor = st.sealCursor(cursorState{Kind: cursorSearch, Field: field, Order: order, Key: sortKey(last, field), ID: last.c.ID, Query: hash})
	}
	if in.Count {
		resp.Count = int64(countMatches(st, match))
	}
	return resp, nil
}

func countMatches(st *customerStore, match func(*customerRec) bool) int {
	if match == nil {
		return st.visibleCount()
	}
	n := 0
	for _, rec := range st.byName {
		if match(rec) {
			n++
		}
	}
	return n
}

// queryHash identifies a query, so that its cursors are refused by any
// other query or sort.
func queryHash(f *customerFilter, field, order string) string {
	b, _ := json.Marshal(struct {
		F *customerFilter
		S string
		O string
	}{f, field, order})
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// compileFilter checks a filter and turns it into matchers. none reports a
// filter known to match nothing (an unknown group, a custom attribute).
func compileFilter(md *merchantData, f *customerFilter) (ms []matcher, none bool, e *apiError) {
	if f == nil {
		return nil, false, nil
	}
	if cs := f.CreationSource; cs != nil {
		m, e := creationSourceMatcher(cs)
		if e != nil {
			return nil, false, e
		}
		ms = append(ms, m)
	}
	for _, tr := range []struct {
		name string
		r    *timeRange
		get  func(*customerRec) int64
	}{
		{"created_at", f.CreatedAt, func(rec *customerRec) int64 { return rec.createdNS }},
		{"updated_at", f.UpdatedAt, func(rec *customerRec) int64 { return rec.updatedNS }},
	} {
		if tr.r == nil {
			continue
		}
		lo, hi, e := parseRange(tr.r, "query.filter."+tr.name)
		if e != nil {
			return nil, false, e
		}
		get := tr.get
		ms = append(ms, func(rec *customerRec) bool { v := get(rec); return v >= lo && v <= hi })
	}
	if tf := f.EmailAddress; tf != nil {
		m, e := emailMatcher(tf)
		if e != nil {
			return nil, false, e
		}
		ms = append(ms, m)
	}
	if tf := f.PhoneNumber; tf != nil {
		m, e := phoneMatcher(tf)
		if e != nil {
			return nil, false, e
		}
		ms = append(ms, m)
	}
	if tf := f.ReferenceID; tf != nil {
		m, e := referenceMatcher(tf)
		if e != nil {
			return nil, false, e
		}
		ms = append(ms, m)
	}
	if sf := f.SegmentIDs; sf != nil {
		m, e := segmentMatcher(md, sf)
		if e != nil {
			return nil, false, e
		}
		ms = append(ms, m)
	}
	if ca := f.CustomAttribute; ca != nil {
		if e := checkCustomAttributes(ca); e != nil {
			return nil, false, e
		}
		if len(ca.Filters) > 0 {
			none = true
		}
	}
	if gf := f.GroupIDs; gf != nil {
		for _, id := range slices.Concat(gf.All, gf.Any, gf.None) {
			if md.group(id) == nil {
				none = true
			}
		}
		ms = append(ms, membershipMatcher(gf, func(rec *customerRec) []string { return rec.c.GroupIDs }))
	}
	return ms, none, nil
}

func creationSourceMatcher(cs *creationSourceFilter) (matcher, *apiError) {
	rule, e := enumParam(cs.Rule, "query.filter.creation_source.rule", "INCLUDE", "INCLUDE", "EXCLUDE")
	if e != nil {
		return nil, e
	}
	set := map[string]bool{}
	for i, v := range cs.Values {
		if !creationSources[v] {
			return nil, badRequest("INVALID_ENUM_VALUE", fmt.Sprintf("query.filter.creation_source.values[%d]", i),
				fmt.Sprintf("`%s` is not a valid creation source.", v))
		}
		set[v] = true
	}
	include := rule == "INCLUDE"
	return func(rec *customerRec) bool { return set[rec.c.CreationSource] == include }, nil
}

// parseRange reads a TimeRange as inclusive bounds in Unix nanoseconds.
func parseRange(tr *timeRange, field string) (lo, hi int64, e *apiError) {
	lo, hi = minInt64, maxInt64
	for _, b := range []struct {
		name string
		v    string
		dst  *int64
	}{{"start_at", tr.StartAt, &lo}, {"end_at", tr.EndAt, &hi}} {
		if b.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, b.v)
		if err != nil {
			return 0, 0, badRequest("INVALID_TIME", field+"."+b.name, fmt.Sprintf("`%s` is not an RFC 3339 timestamp.", b.v))
		}
		*b.dst = t.UnixNano()
	}
	return lo, hi, nil
}

const (
	minInt64 = -1 << 63
	maxInt64 = 1<<63 - 1
)

// textQuery checks that a text filter has exactly one of exact and fuzzy,
// and that it is not empty.
func textQuery(tf *textFilter, field string) (text string, exact bool, e *apiError) {
	if (tf.Exact == nil) == (tf.Fuzzy == nil) {
		return "", false, badRequest("BAD_REQUEST", field, fmt.Sprintf("Exactly one of `exact` and `fuzzy` must be set in `%s`.", field))
	}
	if tf.Exact != nil {
		text, exact, field = *tf.Exact, true, field+".exact"
	} else {
		text, field = *tf.Fuzzy, field+".fuzzy"
	}
	if strings.TrimSpace(text) == "" {
		return "", false, badRequest("INVALID_VALUE", field, fmt.Sprintf("`%s` must not be empty.", field))
	}
	return strings.TrimSpace(text), exact, nil
}

func emailMatcher(tf *textFilter) (matcher, *apiError) {
	text, exact, e := textQuery(tf, "query.filter.email_address")
	if e != nil {
		return nil, e
	}
	if exact {
		want := strings.ToLower(text)
		return func(rec *customerRec) bool { return rec.emailLower == want }, nil
	}
	toks := tokens(text)
	return func(rec *customerRec) bool { return rec.emailLower != "" && containsAll(rec.emailNorm, toks) }, nil
}

func phoneMatcher(tf *textFilter) (matcher, *apiError) {
	text, exact, e := textQuery(tf, "query.filter.phone_number")
	if e != nil {
		return nil, e
	}
	if exact {
		if !strings.HasPrefix(text, "+") || !validPhone(text) {
			return nil, badRequest("INVALID_PHONE_NUMBER", "query.filter.phone_number.exact",
				"An exact phone number must be in E.164 form, such as +12065550100.")
		}
		want := "+" + digitsOf(text)
		return func(rec *customerRec) bool { return rec.phoneE164 == want }, nil
	}
	toks := digitTokens(text)
	return func(rec *customerRec) bool { return rec.phoneDigits != "" && containsAll(rec.phoneDigits, toks) }, nil
}

func referenceMatcher(tf *textFilter) (matcher, *apiError) {
	text, exact, e := textQuery(tf, "query.filter.reference_id")
	if e != nil {
		return nil, e
	}
	if exact {
		want := strings.ToLower(text)
		return func(rec *customerRec) bool { return rec.refLower == want }, nil
	}
	toks := tokens(text)
	return func(rec *customerRec) bool { return rec.refLower != "" && containsAll(rec.refNorm, toks) }, nil
}

func segmentMatcher(md *merchantData, sf *filterValue) (matcher, *apiError) {
	ids := slices.Concat(sf.All, sf.Any, sf.None)
	if len(ids) > maxSegmentIDs {
		return nil, badRequest("BAD_REQUEST", "query.filter.segment_ids",
			fmt.Sprintf("At most %d segment ids may be given in total.", maxSegmentIDs))
	}
	for _, id := range ids {
		if id != reachableSegment(md) {
			return nil, badRequest("BAD_REQUEST", "query.filter.segment_ids", fmt.Sprintf("Segment with ID `%s` not found.", id))
		}
	}
	return membershipMatcher(sf, func(rec *customerRec) []string {
		if isReachable(rec.c) {
			return []string{reachableSegment(md)}
		}
		return nil
	}), nil
}

// membershipMatcher applies a FilterValue to the ids a customer belongs to.
func membershipMatcher(fv *filterValue, of func(*customerRec) []string) matcher {
	return func(rec *customerRec) bool {
		have := of(rec)
		for _, id := range fv.All {
			if !slices.Contains(have, id) {
				return false
			}
		}
		if len(fv.Any) > 0 && !slices.ContainsFunc(fv.Any, func(id string) bool { return slices.Contains(have, id) }) {
			return false
		}
		for _, id := range fv.None {
			if slices.Contains(have, id) {
				return false
			}
		}
		return true
	}
}

func checkCustomAttributes(ca *customAttributeFilter) *apiError {
	const field = "query.filter.custom_attribute.filters"
	if len(ca.Filters) > maxCustomAttributeFilters {
		return badRequest("BAD_REQUEST", field, fmt.Sprintf("At most %d custom attribute filters may be given.", maxCustomAttributeFilters))
	}
	seen := map[string]bool{}
	for i, f := range ca.Filters {
		at := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case f.Key == "":
			return badRequest("MISSING_REQUIRED_PARAMETER", at+".key", "Each custom attribute filter needs a `key`.")
		case seen[f.Key]:
			return badRequest("BAD_REQUEST", at+".key", fmt.Sprintf("The key `%s` is filtered on more than once.", f.Key))
		case (len(f.Filter) == 0 || isNull(f.Filter)) && f.UpdatedAt == nil:
			return badRequest("BAD_REQUEST", at, "Each custom attribute filter needs `filter` or `updated_at`.")
		}
		seen[f.Key] = true
		if len(f.Filter) > 0 && !isNull(f.Filter) {
			if _, e := sparseObject(f.Filter, at+".filter"); e != nil {
				return e
			}
		}
		if f.UpdatedAt != nil {
			if _, _, e := parseRange(f.UpdatedAt, at+".updated_at"); e != nil {
				return e
			}
		}
	}
	return nil
}
