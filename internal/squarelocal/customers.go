package squarelocal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Customers API (docs/square.md#customers): list, create, retrieve, update, delete
// and the bulk retrieve and delete. Validation follows
// docs/square.md#customer-validation. Where Square states no rule the emulator's choice is
// written beside the code:
//
//   - Address fields are at most maxAddressField characters each, and
//     address.country must be an ISO 3166-1 alpha-2 code (or ZZ).
//   - Lengths count characters (runes), not bytes.
//   - UpdateCustomer is sparse all the way down: inside address and
//     tax_ids too, an omitted field is unchanged, null or "" clears it.
//   - An update that would leave none of the five identifying fields is
//     rejected with 400 MISSING_REQUIRED_PARAMETER, as a create would be.
//   - Every committed update bumps version and updated_at, even one that
//     changes nothing.
//   - A search or list asked for count with no match answers {} (Square's
//     JSON omits zero values), so a missing count means 0.
//   - Every customer with an email address or phone number is in one
//     computed segment, "<merchant id>.REACHABLE"; there are no others.

// Field limits from docs/square.md#customer-fields; maxAddressField is the emulator's
// own choice, as Square publishes none.
const (
	maxGivenName    = 300
	maxFamilyName   = 300
	maxCompanyName  = 500
	maxNickname     = 100
	maxEmail        = 254
	maxReferenceID  = 100
	maxAddressField = 500
	maxEuVat        = 20
	maxPageSize     = 100
	maxBulkIDs      = 100
)

// customerInput is the body of CreateCustomer.
type customerInput struct {
	IdempotencyKey string   `json:"idempotency_key,omitempty"`
	GivenName      string   `json:"given_name,omitempty"`
	FamilyName     string   `json:"family_name,omitempty"`
	CompanyName    string   `json:"company_name,omitempty"`
	Nickname       string   `json:"nickname,omitempty"`
	EmailAddress   string   `json:"email_address,omitempty"`
	Address        *Address `json:"address,omitempty"`
	PhoneNumber    string   `json:"phone_number,omitempty"`
	ReferenceID    string   `json:"reference_id,omitempty"`
	Note           string   `json:"note,omitempty"`
	Birthday       string   `json:"birthday,omitempty"`
	TaxIDs         *TaxIDs  `json:"tax_ids,omitempty"`
}

// customerPage is the answer of ListCustomers and SearchCustomers; with
// nothing in it, it is {} as Square sends.
type customerPage struct {
	Customers []Customer `json:"customers,omitempty"`
	Cursor    string     `json:"cursor,omitempty"`
	Count     int64      `json:"count,omitempty"`
}

// bulkItem is one entry of a bulk answer's responses map; a successful
// delete is {}.
type bulkItem struct {
	Customer *Customer     `json:"customer,omitempty"`
	Errors   []ErrorDetail `json:"errors,omitempty"`
}

func customerNotFound(id string) *apiError {
	return notFound("Customer with ID `" + id + "` not found.")
}

// creationSourceThirdParty is the creation_source of profiles made through
// the API.
const creationSourceThirdParty = "THIRD_PARTY"

func (s *Server) createCustomer(r *request) (any, *apiError) {
	var in customerInput
	if e := r.decode(&in); e != nil {
		return nil, e
	}
	create := func() (any, *apiError) { return s.newCustomer(r, &in, creationSourceThirdParty) }
	if in.IdempotencyKey == "" {
		return create()
	}
	return s.idempotent(r, "CreateCustomer", in.IdempotencyKey, in, create)
}

// newCustomer validates and stores a customer made by CreateCustomer, by
// one entry of BulkCreateCustomers or elsewhere (source says where), and
// answers {"customer": …}.
func (s *Server) newCustomer(r *request, in *customerInput, source string) (any, *apiError) {
	now := timestamp(r.Now)
	c := &Customer{
		ID:             s.ids.customer(),
		CreatedAt:      now,
		UpdatedAt:      now,
		GivenName:      in.GivenName,
		FamilyName:     in.FamilyName,
		CompanyName:    in.CompanyName,
		Nickname:       in.Nickname,
		EmailAddress:   in.EmailAddress,
		Address:        cleanAddress(in.Address),
		PhoneNumber:    in.PhoneNumber,
		ReferenceID:    in.ReferenceID,
		Note:           in.Note,
		Birthday:       normalizeBirthday(in.Birthday),
		Preferences:    &Preferences{},
		CreationSource: source,
	}
	if r.Merchant.keepsTaxIDs() && in.TaxIDs != nil && in.TaxIDs.EuVat != "" {
		c.TaxIDs = &TaxIDs{EuVat: in.TaxIDs.EuVat}
	}
	if e := validateCustomer(c); e != nil {
		return nil, e
	}
	rec := r.Merchant.putCustomer(c)
	s.emitCustomer(r.Merchant, EventCustomerCreated, rec.c)
	return map[string]any{"customer": customerView(r, rec)}, nil
}

func (s *Server) retrieveCustomer(r *request) (any, *apiError) {
	id := r.PathValue("customer_id")
	rec := r.Merchant.customers.get(id)
	if rec == nil {
		return nil, customerNotFound(id)
	}
	return map[string]any{"customer": customerView(r, rec)}, nil
}

func (s *Server) updateCustomer(r *request) (any, *apiError) {
	id := r.PathValue("customer_id")
	rec := r.Merchant.customers.get(id)
	if rec == nil {
		return nil, customerNotFound(id)
	}
	body := bytes.TrimSpace(r.Body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return nil, badRequest("EXPECTED_JSON_BODY", "", "The request body must be a JSON object.")
	}
	if e := s.commitUpdate(r, rec, fields); e != nil {
		return nil, e
	}
	return map[string]any{"customer": customerView(r, rec)}, nil
}

// commitUpdate applies the fields of an UpdateCustomer body, or of one
// entry of BulkUpdateCustomers, to a stored customer: version check,
// sparse update, validation, then a new version.
func (s *Server) commitUpdate(r *request, rec *customerRec, fields map[string]json.RawMessage) *apiError {
	if raw, ok := fields["version"]; ok && !isNull(raw) {
		var v int64
		if err := json.Unmarshal(raw, &v); err != nil {
			return badRequest("EXPECTED_INTEGER", "version", "Expected an integer for `version`.")
		}
		if v != rec.c.Version {
			return versionMismatch(v, rec.c.Version)
		}
	}
	c := *rec.c
	if e := applyCustomerUpdate(&c, fields, r.Merchant.keepsTaxIDs()); e != nil {
		return e
	}
	if e := validateCustomer(&c); e != nil {
		return e
	}
	s.commitChange(r.Merchant, rec, &c, r.Now)
	return nil
}

// commitChange stores c as the new state of the stored customer rec, as
// every committed update does: a new version and updated_at, and a
// customer.updated event.
func (s *Server) commitChange(md *merchantData, rec *customerRec, c *Customer, now time.Time) {
	c.Version++
	c.UpdatedAt = timestamp(now)
	md.replaceCustomer(rec, c)
	s.emitCustomer(md, EventCustomerUpdated, c)
}

func versionMismatch(sent, current int64) *apiError {
	return badRequest("VERSION_MISMATCH", "version",
		fmt.Sprintf("Version %d does not match the customer's current version %d.", sent, current))
}

func (s *Server) deleteCustomer(r *request) (any, *apiError) {
	id := r.PathValue("customer_id")
	q := r.URL.Query()
	var version *int64
	if q.Has("version") {
		v, err := strconv.ParseInt(q.Get("version"), 10, 64)
		if err != nil {
			return nil, badRequest("EXPECTED_INTEGER", "version", "Expected an integer for `version`.")
		}
		version = &v
	}
	rec := r.Merchant.customers.get(id)
	if rec == nil {
		return nil, customerNotFound(id)
	}
	if version != nil && *version != rec.c.Version {
		return nil, versionMismatch(*version, rec.c.Version)
	}
	s.removeCustomer(r, rec)
	return struct{}{}, nil
}

// removeCustomer deletes a customer and unlinks its cards, as Square does,
// and sends customer.deleted (unlinking cards sends no customer event).
func (s *Server) removeCustomer(r *request, rec *customerRec) {
	s.deleteRec(r.Merchant, rec, r.Now)
}

func (s *Server) deleteRec(md *merchantData, rec *customerRec, now time.Time) {
	md.customers.remove(rec)
	md.unlinkCards(rec.c.ID, timestamp(now))
	s.emitCustomer(md, EventCustomerDeleted, rec.c)
}

// bulkIDs reads and checks the customer_ids of a bulk request.
func bulkIDs(r *request) ([]string, *apiError) {
	var in struct {
		CustomerIDs []string `json:"customer_ids"`
	}
	if e := r.decode(&in); e != nil {
		return nil, e
	}
	switch {
	case in.CustomerIDs == nil:
		return nil, badRequest("MISSING_REQUIRED_PARAMETER", "customer_ids", "Field `customer_ids` is required.")
	case len(in.CustomerIDs) == 0:
		return nil, badRequest("VALUE_TOO_SHORT", "customer_ids", "Field `customer_ids` must have at least 1 entry.")
	case len(in.CustomerIDs) > maxBulkIDs:
		return nil, badRequest("VALUE_TOO_LONG", "customer_ids", fmt.Sprintf("Field `customer_ids` must have at most %d entries.", maxBulkIDs))
	}
	return in.CustomerIDs, nil
}

func itemNotFound(id string) []ErrorDetail {
	return customerNotFound(id).Errors
}

func (s *Server) bulkRetrieveCustomers(r *request) (any, *apiError) {
	ids, e := bulkIDs(r)
	if e != nil {
		return nil, e
	}
	out := make(map[string]bulkItem, len(ids))
	for _, id := range ids {
		rec := r.Merchant.customers.get(id)
		if rec == nil {
			out[id] = bulkItem{Errors: itemNotFound(id)}
			continue
		}
		c := customerView(r, rec)
		out[id] = bulkItem{Customer: &c}
	}
	return map[string]any{"responses": out}, nil
}

func (s *Server) bulkDeleteCustomers(r *request) (any, *apiError) {
	ids, e := bulkIDs(r)
	if e != nil {
		return nil, e
	}
	out := make(map[string]bulkItem, len(ids))
	for _, id := range ids {
		rec := r.Merchant.customers.get(id)
		if rec == nil {
			if _, done := out[id]; !done {
				out[id] = bulkItem{Errors: itemNotFound(id)}
			}
			continue
		}
		s.removeCustomer(r, rec)
		out[id] = bulkItem{}
	}
	return map[string]any{"responses": out}, nil
}

func (s *Server) listCustomers(r *request) (any, *apiError) {
	q := r.URL.Query()
	limit, e := queryLimit(q, maxPageSize)
	if e != nil {
		return nil, e
	}
	field, e := enumParam(q.Get("sort_field"), "sort_field", sortDefault, sortDefault, sortCreatedAt)
	if e != nil {
		return nil, e
	}
	order, e := enumParam(q.Get("sort_order"), "sort_order", orderASC, orderASC, orderDESC)
	if e != nil {
		return nil, e
	}
	count := false
	if v := q.Get("count"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, badRequest("EXPECTED_BOOLEAN", "count", "Expected a boolean for `count`.")
		}
		count = b
	}
	st := r.Merchant.customers
	var after *cursorState
	if c := q.Get("cursor"); c != "" {
		if after, e = st.openCursor(c, cursorList); e != nil {
			return nil, e
		}
		if after.Field != field || after.Order != order {
			return nil, badRequest("INVALID_CURSOR", "cursor", "The cursor was made for another sort order.")
		}
	}
	rows, more := st.page(field, order, after, limit, nil)
	resp := customerPage{Customers: customerViews(r, rows)}
	if more {
		last := rows[len(rows)-1]
		resp.Cursor = st.sealCursor(cursorState{Kind: cursorList, Field: field, Order: order, Key: sortKey(last, field), ID: last.c.ID})
	}
	if count {
		resp.Count = int64(st.visibleCount())
	}
	return resp, nil
}

// queryLimit reads the limit query parameter: an integer from 1 to max,
// max when absent.
func queryLimit(q url.Values, max int) (int, *apiError) {
	v := q.Get("limit")
	if v == "" {
		return max, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest("EXPECTED_INTEGER", "limit", "Expected an integer for `limit`.")
	}
	return checkLimit(n, max)
}

func checkLimit(n int64, max int) (int, *apiError) {
	switch {
	case n < 1:
		return 0, badRequest("VALUE_TOO_LOW", "limit", "`limit` must be at least 1.")
	case n > int64(max):
		return 0, badRequest("VALUE_TOO_HIGH", "limit", fmt.Sprintf("`limit` must be at most %d.", max))
	}
	return int(n), nil
}

// enumParam checks v against the allowed values; "" means def.
func enumParam(v, field, def string, allowed ...string) (string, *apiError) {
	if v == "" {
		return def, nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", badRequest("INVALID_ENUM_VALUE", field, fmt.Sprintf("`%s` is not a valid value for `%s`.", v, field))
}

// reachableSegment is the one segment the emulator computes.
func reachableSegment(md *merchantData) string { return md.Merchant.ID + ".REACHABLE" }

func isReachable(c *Customer) bool { return c.EmailAddress != "" || c.PhoneNumber != "" }

// customerView is the customer as the request's Square-Version shows it.
func customerView(r *request, rec *customerRec) Customer {
	c := viewOf(r.Merchant, rec)
	if r.wantsCards() {
		for _, card := range r.Merchant.cardsOf(c.ID, false) {
			c.Cards = append(c.Cards, r.cardView(&card))
		}
	}
	return c
}

func viewOf(md *merchantData, rec *customerRec) Customer {
	c := *rec.c
	if isReachable(&c) {
		c.SegmentIDs = []string{reachableSegment(md)}
	}
	return c
}

// customerViews renders a page, attaching cards for old Square-Versions in
// one pass over the merchant's cards rather than one per customer.
func customerViews(r *request, rows []*customerRec) []Customer {
	if len(rows) == 0 {
		return nil
	}
	out := make([]Customer, len(rows))
	at := make(map[string]int, len(rows))
	for i, rec := range rows {
		out[i] = viewOf(r.Merchant, rec)
		at[rec.c.ID] = i
	}
	if r.wantsCards() {
		for _, card := range r.Merchant.cards {
			if i, ok := at[card.CustomerID]; ok && card.Enabled && card.CustomerID != "" {
				out[i].Cards = append(out[i].Cards, r.cardView(card))
			}
		}
	}
	return out
}

// keepsTaxIDs reports whether the merchant is in the EU or the UK, the only
// sellers whose customers have tax_ids (docs/square.md#customer-fields).
func (md *merchantData) keepsTaxIDs() bool {
	return euUKCountries[md.Merchant.Country]
}

var euUKCountries = setOf("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE GB")

// isoCountries are the ISO 3166-1 alpha-2 codes, plus Square's ZZ.
var isoCountries = setOf(`
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT
MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG
UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW ZZ`)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// cleanAddress drops what Square ignores (first_name, last_name) and an
// address left empty.
func cleanAddress(a *Address) *Address {
	if a == nil {
		return nil
	}
	c := *a
	c.FirstName, c.LastName = "", ""
	if c.IsZero() {
		return nil
	}
	return &c
}

// normalizeBirthday turns MM-DD into 0000-MM-DD; anything else is kept for
// validateCustomer to judge.
func normalizeBirthday(s string) string {
	if len(s) == 5 && s[2] == '-' {
		return "0000-" + s
	}
	return s
}

// validBirthday reports whether s is YYYY-MM-DD (0000 meaning no year) and
// a real calendar date; without a year, February 29 is allowed.
func validBirthday(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, ch := range []byte(s) {
		if i != 4 && i != 7 && (ch < '0' || ch > '9') {
			return false
		}
	}
	year, _ := strconv.Atoi(s[:4])
	month, _ := strconv.Atoi(s[5:7])
	day, _ := strconv.Atoi(s[8:])
	if year == 0 {
		year = 2000 // a leap year, so 02-29 is a date
	}
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).Day() == day
}

// validEmail is Square's rule (docs/square.md#customer-validation): one @, a non-empty local part, a
// domain with a dot, no spaces.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.Contains(domain, "@") {
		return false
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return false
	}
	dot := strings.Index(domain, ".")
	return dot > 0 && !strings.HasSuffix(domain, ".")
}

// validPhone is Square's rule (docs/square.md#customer-validation): after removing spaces, dashes, dots and
// parentheses, an optional leading + and 9 to 16 digits.
func validPhone(s string) bool {
	d := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, s)
	d = strings.TrimPrefix(d, "+")
	if len(d) < 9 || len(d) > 16 {
		return false
	}
	for _, ch := range []byte(d) {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return true
}

func isAlnumASCII(s string) bool {
	for _, ch := range []byte(s) {
		if (ch < '0' || ch > '9') && (ch < 'A' || ch > 'Z') && (ch < 'a' || ch > 'z') {
			return false
		}
	}
	return true
}

// fieldErrors collects validation errors, so that a form can show every
// problem at once; the answer's status follows the first.
type fieldErrors []ErrorDetail

func (fe *fieldErrors) add(code, field, detail string) {
	*fe = append(*fe, ErrorDetail{Category: catInvalidRequest, Code: code, Field: field, Detail: detail})
}

func (fe *fieldErrors) maxLen(field, v string, max int) bool {
	if utf8.RuneCountInString(v) > max {
		fe.add("VALUE_TOO_LONG", field, fmt.Sprintf("Field `%s` must be at most %d characters long.", field, max))
		return false
	}
	return true
}

func (fe fieldErrors) err() *apiError {
	if len(fe) == 0 {
		return nil
	}
	return &apiError{Status: http.StatusBadRequest, Errors: fe}
}

// validateCustomer checks a customer about to be stored, by create or by
// update, against docs/square.md#customer-validation.
func validateCustomer(c *Customer) *apiError {
	var fe fieldErrors
	fe.maxLen("given_name", c.GivenName, maxGivenName)
	fe.maxLen("family_name", c.FamilyName, maxFamilyName)
	fe.maxLen("company_name", c.CompanyName, maxCompanyName)
	fe.maxLen("nickname", c.Nickname, maxNickname)
	if c.EmailAddress != "" && fe.maxLen("email_address", c.EmailAddress, maxEmail) && !validEmail(c.EmailAddress) {
		fe.add("INVALID_EMAIL_ADDRESS", "email_address", "The email address is not valid.")
	}
	if c.PhoneNumber != "" && !validPhone(c.PhoneNumber) {
		fe.add("INVALID_PHONE_NUMBER", "phone_number", "The phone number is not valid.")
	}
	if c.Birthday != "" && !validBirthday(c.Birthday) {
		fe.add("INVALID_TIME", "birthday", "The birthday must be a date as YYYY-MM-DD or MM-DD.")
	}
	fe.maxLen("reference_id", c.ReferenceID, maxReferenceID)
	if a := c.Address; a != nil {
		for _, f := range addressFields {
			fe.maxLen("address."+f.name, *f.get(a), maxAddressField)
		}
		if a.Country != "" && !isoCountries[a.Country] {
			fe.add("INVALID_ENUM_VALUE", "address.country", fmt.Sprintf("`%s` is not an ISO 3166-1 alpha-2 country code.", a.Country))
		}
	}
	if t := c.TaxIDs; t != nil && fe.maxLen("tax_ids.eu_vat", t.EuVat, maxEuVat) && !isAlnumASCII(t.EuVat) {
		fe.add("INVALID_VALUE", "tax_ids.eu_vat", "The EU VAT id must contain only letters and digits.")
	}
	if !c.Visible() {
		fe.add("MISSING_REQUIRED_PARAMETER", "",
			"At least one of given_name, family_name, company_name, email_address or phone_number is required.")
	}
	return fe.err()
}

// stringField names a string field of the customer for sparse updates.
type stringField struct {
	name string
	get  func(*Customer) *string
}

var customerStringFields = []stringField{
	{"given_name", func(c *Customer) *string { return &c.GivenName }},
	{"family_name", func(c *Customer) *string { return &c.FamilyName }},
	{"company_name", func(c *Customer) *string { return &c.CompanyName }},
	{"nickname", func(c *Customer) *string { return &c.Nickname }},
	{"email_address", func(c *Customer) *string { return &c.EmailAddress }},
	{"phone_number", func(c *Customer) *string { return &c.PhoneNumber }},
	{"reference_id", func(c *Customer) *string { return &c.ReferenceID }},
	{"note", func(c *Customer) *string { return &c.Note }},
	{"birthday", func(c *Customer) *string { return &c.Birthday }},
}

// addressField names a string field of an address; first_name and
// last_name are absent because Square ignores them on customers.
type addressField struct {
	name string
	get  func(*Address) *string
}

var addressFields = []addressField{
	{"address_line_1", func(a *Address) *string { return &a.AddressLine1 }},
	{"address_line_2", func(a *Address) *string { return &a.AddressLine2 }},
	{"address_line_3", func(a *Address) *string { return &a.AddressLine3 }},
	{"locality", func(a *Address) *string { return &a.Locality }},
	{"sublocality", func(a *Address) *string { return &a.Sublocality }},
	{"sublocality_2", func(a *Address) *string { return &a.Sublocality2 }},
	{"sublocality_3", func(a *Address) *string { return &a.Sublocality3 }},
	{"administrative_district_level_1", func(a *Address) *string { return &a.AdministrativeDistrictLevel1 }},
	{"administrative_district_level_2", func(a *Address) *string { return &a.AdministrativeDistrictLevel2 }},
	{"administrative_district_level_3", func(a *Address) *string { return &a.AdministrativeDistrictLevel3 }},
	{"postal_code", func(a *Address) *string { return &a.PostalCode }},
	{"country", func(a *Address) *string { return &a.Country }},
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// sparseString reads one field of a sparse update: null and "" clear it.
func sparseString(raw json.RawMessage, field string, dst *string) *apiError {
	if isNull(raw) {
		*dst = ""
		return nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return badRequest("EXPECTED_STRING", field, fmt.Sprintf("Expected a string for `%s`.", field))
	}
	*dst = v
	return nil
}

// sparseObject reads a nested object of a sparse update.
func sparseObject(raw json.RawMessage, field string) (map[string]json.RawMessage, *apiError) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, badRequest("EXPECTED_OBJECT", field, fmt.Sprintf("Expected an object for `%s`.", field))
	}
	return m, nil
}

// applyCustomerUpdate applies the fields of an UpdateCustomer body to c, a
// copy of the stored customer. Read-only fields (id, created_at,
// updated_at, version, cards, preferences, creation_source, group_ids,
// segment_ids) are ignored, as are unknown ones.
func applyCustomerUpdate(c *Customer, fields map[string]json.RawMessage, keepTaxIDs bool) *apiError {
	for _, f := range customerStringFields {
		raw, ok := fields[f.name]
		if !ok {
			continue
		}
		if e := sparseString(raw, f.name, f.get(c)); e != nil {
			return e
		}
	}
	c.Birthday = normalizeBirthday(c.Birthday)
	if raw, ok := fields["address"]; ok {
		if isNull(raw) {
			c.Address = nil
		} else {
			m, e := sparseObject(raw, "address")
			if e != nil {
				return e
			}
			var a Address
			if c.Address != nil {
				a = *c.Address
			}
			for _, f := range addressFields {
				if v, ok := m[f.name]; ok {
					if e := sparseString(v, "address."+f.name, f.get(&a)); e != nil {
						return e
					}
				}
			}
			c.Address = cleanAddress(&a)
		}
	}
	if raw, ok := fields["tax_ids"]; ok && keepTaxIDs {
		if isNull(raw) {
			c.TaxIDs = nil
		} else {
			m, e := sparseObject(raw, "tax_ids")
			if e != nil {
				return e
			}
			var t TaxIDs
			if c.TaxIDs != nil {
				t = *c.TaxIDs
			}
			if v, ok := m["eu_vat"]; ok {
				if e := sparseString(v, "tax_ids.eu_vat", &t.EuVat); e != nil {
					return e
				}
			}
			c.TaxIDs = nil
			if t.EuVat != "" {
				c.TaxIDs = &t
			}
		}
	}
	return nil
}
