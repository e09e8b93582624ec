package squarelocal

import (
	"cmp"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Customer storage. Each merchant has one customerStore: a map by id and two
// sorted indexes of the visible customers (those with at least one of the
// five identifying fields), one per sort field of ListCustomers and
// SearchCustomers. A page is a binary search for the cursor's position and a
// short walk, so paging stays fast at 100,000 customers. Callers hold s.mu.

// Sort fields and orders of List and Search (docs/square.md#listing-customers).
const (
	sortDefault   = "DEFAULT"
	sortCreatedAt = "CREATED_AT"
	orderASC      = "ASC"
	orderDESC     = "DESC"
)

// customerRec is a stored customer with the values derived from it for
// sorting and searching, recomputed on every write.
type customerRec struct {
	c *Customer

	// nameKey is the DEFAULT sort key: given_name and family_name
	// concatenated, or company_name, email_address or phone_number when
	// there is no name, in lower case.
	nameKey string
	// indexed reports whether the record is in the sorted indexes (it is
	// exactly when the customer is visible).
	indexed bool

	createdNS, updatedNS int64

	emailLower  string // for exact email matches
	emailNorm   string // lower case, letters and digits only, for fuzzy matches
	phoneDigits string // digits only, for fuzzy matches
	phoneE164   string // E.164 form, for exact matches ("" when unknown)
	refLower    string // for exact reference id matches
	refNorm     string // lower case, non-alphanumerics as spaces, for fuzzy matches
}

// customerStore holds one merchant's customers.
type customerStore struct {
	byID      map[string]*customerRec
	byName    []*customerRec // visible customers by (nameKey, id)
	byCreated []*customerRec // visible customers by (created_at, id)
	// country is the merchant's country, used to put national phone
	// numbers into E.164 form.
	country string
	// aead seals cursors, so they are opaque (they carry sort keys made of
	// names and email addresses, which must not show in URLs and logs) and
	// a cursor altered or made by another merchant's store is rejected.
	aead cipher.AEAD
}

func newCustomerStore() *customerStore {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &customerStore{byID: map[string]*customerRec{}, aead: aead}
}

// putCustomer stores a new customer of md. Callers hold s.mu for writing:
// the store learns the merchant's country here, for phone numbers written
// without a country code.
func (md *merchantData) putCustomer(c *Customer) *customerRec {
	md.customers.country = md.Merchant.Country
	return md.customers.put(c)
}

// replaceCustomer commits the new state c of a stored customer of md.
// Callers hold s.mu for writing.
func (md *merchantData) replaceCustomer(rec *customerRec, c *Customer) {
	md.customers.country = md.Merchant.Country
	md.customers.replace(rec, c)
}

// get returns the customer record with id, or nil.
func (st *customerStore) get(id string) *customerRec { return st.byID[id] }

// withGroup returns the records of the customers in a group. Deleting a
// group is rare, so a scan is enough.
func (st *customerStore) withGroup(gid string) []*customerRec {
	var out []*customerRec
	for _, rec := range st.byID {
		if slices.Contains(rec.c.GroupIDs, gid) {
			out = append(out, rec)
		}
	}
	return out
}

// visibleCount is the number of customers List and Search can return.
func (st *customerStore) visibleCount() int { return len(st.byName) }

// newRec derives the sort and search values of c.
func (st *customerStore) newRec(c *Customer) *customerRec {
	rec := &customerRec{c: c}
	st.derive(rec)
	return rec
}

func (st *customerStore) derive(rec *customerRec) {
	c := rec.c
	rec.nameKey = defaultSortKey(c)
	rec.createdNS = parseStamp(c.CreatedAt)
	rec.updatedNS = parseStamp(c.UpdatedAt)
	rec.emailLower = strings.ToLower(c.EmailAddress)
	rec.emailNorm = alnumOnly(rec.emailLower)
	rec.phoneDigits = digitsOf(c.PhoneNumber)
	rec.phoneE164 = toE164(c.PhoneNumber, st.country)
	rec.refLower = strings.ToLower(c.ReferenceID)
	rec.refNorm = alnumSpaced(rec.refLower)
}

// defaultSortKey is Square's DEFAULT order: given_name + family_name, else
// company_name, email_address, phone_number; compared case-insensitively.
func defaultSortKey(c *Customer) string {
	switch {
	case c.GivenName != "" || c.FamilyName != "":
		return strings.ToLower(c.GivenName + c.FamilyName)
	case c.CompanyName != "":
		return strings.ToLower(c.CompanyName)
	case c.EmailAddress != "":
		return strings.ToLower(c.EmailAddress)
	default:
		return strings.ToLower(c.PhoneNumber)
	}
}

// parseStamp reads a timestamp the emulator wrote; 0 if it cannot.
func parseStamp(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0
	}
	return t.UnixNano()
}

func cmpByName(a, b *customerRec) int {
	return cmp.Or(strings.Compare(a.nameKey, b.nameKey), strings.Compare(a.c.ID, b.c.ID))
}

func cmpByCreated(a, b *customerRec) int {
	return cmp.Or(strings.Compare(a.c.CreatedAt, b.c.CreatedAt), strings.Compare(a.c.ID, b.c.ID))
}

// put stores a new customer.
func (st *customerStore) put(c *Customer) *customerRec {
	rec := st.newRec(c)
	st.byID[c.ID] = rec
	st.index(rec)
	return rec
}

// replace swaps in the new state of a stored customer, moving it in the
// indexes when its sort keys changed.
func (st *customerStore) replace(rec *customerRec, c *Customer) {
	st.unindex(rec)
	rec.c = c
	st.derive(rec)
	st.index(rec)
}

// remove deletes a customer.
func (st *customerStore) remove(rec *customerRec) {
	st.unindex(rec)
	delete(st.byID, rec.c.ID)
}

func (st *customerStore) index(rec *customerRec) {
	if rec.indexed || !rec.c.Visible() {
		return
	}
	st.byName = insertSorted(st.byName, rec, cmpByName)
	st.byCreated = insertSorted(st.byCreated, rec, cmpByCreated)
	rec.indexed = true
}

func (st *customerStore) unindex(rec *customerRec) {
	if !rec.indexed {
		return
	}
	st.byName = removeSorted(st.byName, rec, cmpByName)
	st.byCreated = removeSorted(st.byCreated, rec, cmpByCreated)
	rec.indexed = false
}

func insertSorted(idx []*customerRec, rec *customerRec, f func(a, b *customerRec) int) []*customerRec {
	i, _ := slices.BinarySearchFunc(idx, rec, f)
	return slices.Insert(idx, i, rec)
}

func removeSorted(idx []*customerRec, rec *customerRec, f func(a, b *customerRec) int) []*customerRec {
	i, found := slices.BinarySearchFunc(idx, rec, f)
	if !found || idx[i] != rec {
		// The keys of an indexed record only change through replace, which
		// unindexes first, so this cannot happen; fall back to a scan
		// rather than corrupt the index if it ever does.
		i = slices.Index(idx, rec)
		if i < 0 {
			return idx
		}
	}
	return slices.Delete(idx, i, i+1)
}

// load fills an empty store with cs in one go, sorting once:
// seeding 100,000 customers must not pay for 100,000 sorted inserts.
func (st *customerStore) load(cs []*Customer) {
	st.byName = make([]*customerRec, 0, len(cs))
	for _, c := range cs {
		rec := st.newRec(c)
		st.byID[c.ID] = rec
		if c.Visible() {
			rec.indexed = true
			st.byName = append(st.byName, rec)
		}
	}
	st.byCreated = slices.Clone(st.byName)
	slices.SortFunc(st.byName, cmpByName)
	slices.SortFunc(st.byCreated, cmpByCreated)
}

// sortIndex returns the index ordered by a sort field.
func (st *customerStore) sortIndex(field string) []*customerRec {
	if field == sortCreatedAt {
		return st.byCreated
	}
	return st.byName
}

// sortKey is the value of rec that orders it under field.
func sortKey(rec *customerRec, field string) string {
	if field == sortCreatedAt {
		return rec.c.CreatedAt
	}
	return rec.nameKey
}

// page walks the index of field in order from just after the position
// after (nil: from the start), returning up to limit records that match,
// and whether a further match exists. Because positions are sort keys and
// not offsets, a cursor stays valid while customers are added, changed or
// deleted: the next page starts strictly after the last row returned.
func (st *customerStore) page(field, order string, after *cursorState, limit int, match func(*customerRec) bool) (rows []*customerRec, more bool) {
	idx := st.sortIndex(field)
	pos := func(i int) int { // compares idx[i] with the cursor position
		return cmp.Or(strings.Compare(sortKey(idx[i], field), after.Key), strings.Compare(idx[i].c.ID, after.ID))
	}
	if order == orderDESC {
		i := len(idx) - 1
		if after != nil {
			// The last index whose row sorts before the cursor.
			lo, hi := 0, len(idx)
			for lo < hi {
				m := int(uint(lo+hi) >> 1)
				if pos(m) < 0 {
					lo = m + 1
				} else {
					hi = m
				}
			}
			i = lo - 1
		}
		for ; i >= 0; i-- {
			if match != nil && !match(idx[i]) {
				continue
			}
			if len(rows) == limit {
				return rows, true
			}
			rows = append(rows, idx[i])
		}
		return rows, false
	}
	i := 0
	if after != nil {
		// The first index whose row sorts after the cursor.
		lo, hi := 0, len(idx)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if pos(m) <= 0 {
				lo = m + 1
			} else {
				hi = m
			}
		}
		i = lo
	}
	for ; i < len(idx); i++ {
		if match != nil && !match(idx[i]) {
			continue
		}
		if len(rows) == limit {
			return rows, true
		}
		rows = append(rows, idx[i])
	}
	return rows, false
}

// Cursor kinds: a cursor only works for the operation that made it.
const (
	cursorList   = "list"
	cursorSearch = "search"
	cursorGroups = "groups"
)

// cursorState is what a cursor holds: where the last page ended and what
// it was a page of.
type cursorState struct {
	Kind  string `json:"k"`
	Field string `json:"f,omitempty"`
	Order string `json:"o,omitempty"`
	Key   string `json:"s,omitempty"` // sort key of the last row returned
	ID    string `json:"i"`           // id of the last row returned
	Query string `json:"q,omitempty"` // hash of the search query
}

// sealCursor encodes a cursor: AES-GCM sealed JSON in base64url.
func (st *customerStore) sealCursor(cs cursorState) string {
	plain, _ := json.Marshal(cs)
	nonce := make([]byte, st.aead.NonceSize(), st.aead.NonceSize()+len(plain)+st.aead.Overhead())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(st.aead.Seal(nonce, nonce, plain, nil))
}

// openCursor decodes a cursor made by sealCursor for the given kind; any
// other string is INVALID_CURSOR.
func (st *customerStore) openCursor(s, kind string) (*cursorState, *apiError) {
	bad := badRequest("INVALID_CURSOR", "cursor", "The cursor is not valid for this request.")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < st.aead.NonceSize() {
		return nil, bad
	}
	n := st.aead.NonceSize()
	plain, err := st.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return nil, bad
	}
	var cs cursorState
	if json.Unmarshal(plain, &cs) != nil || cs.Kind != kind {
		return nil, bad
	}
	return &cs, nil
}

// Text normalisation for searching (docs/square.md#searching-customers).

// alnumOnly keeps the letters and digits of s: the stored form for fuzzy
// email matching, where punctuation such as . _ @ is stripped.
func alnumOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

// alnumSpaced turns every non-alphanumeric character of s into a space.
func alnumSpaced(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return ' '
	}, s)
}

// tokens splits a fuzzy query into lower-case alphanumeric tokens.
func tokens(q string) []string {
	return strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// digitTokens splits a fuzzy phone query into runs of digits.
func digitTokens(q string) []string {
	return strings.FieldsFunc(q, func(r rune) bool { return r < '0' || r > '9' })
}

// containsAll reports whether s contains every token.
func containsAll(s string, toks []string) bool {
	for _, t := range toks {
		if !strings.Contains(s, t) {
			return false
		}
	}
	return true
}

// digitsOf keeps the ASCII digits of s.
func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// callingCodes maps countries to their international calling codes, for
// putting national numbers into E.164 form. Countries not listed keep
// national numbers out of exact phone matches.
var callingCodes = map[string]string{
	"US": "1", "CA": "1", "GB": "44", "IE": "353", "AU": "61", "NZ": "64", "JP": "81",
	"DE": "49", "AT": "43", "CH": "41", "FR": "33", "ES": "34", "IT": "39", "NL": "31",
	"BE": "32", "DK": "45", "SE": "46", "NO": "47", "FI": "358", "PL": "48", "PT": "351",
}

// toE164 puts a stored phone number into E.164 form: an international
// number (leading + or 00) keeps its digits; a national number gets the
// merchant country's calling code, dropping a trunk prefix 0 (or, in the
// North American plan, accepting a leading 1).
func toE164(s, country string) string {
	d := digitsOf(s)
	if d == "" {
		return ""
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "+") {
		return "+" + d
	}
	if strings.HasPrefix(d, "00") {
		return "+" + d[2:]
	}
	switch cc := callingCodes[country]; cc {
	case "":
		return ""
	case "1":
		if strings.HasPrefix(d, "011") {
			return "+" + d[3:]
		}
		if len(d) == 11 && d[0] == '1' {
			return "+" + d
		}
		return "+1" + d
	default:
		return "+" + cc + strings.TrimPrefix(d, "0")
	}
}
