package handlers

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/textutil"
	"github.com/tessera-dashboard/tessera/views"
)

// The directory's state lives in its URL, so that reload, back and a shared
// link show the same view. These are its query parameters; defaults are left
// out of the URLs the directory makes.
const (
	paramQuery  = "q"      // search text
	paramField  = "field"  // auto (default), email, phone, reference
	paramMatch  = "match"  // fuzzy (default), exact
	paramFrom   = "from"   // created on or after, YYYY-MM-DD (UTC)
	paramTo     = "to"     // created on or before, YYYY-MM-DD (UTC)
	paramSource = "source" // creation source, Square's enum value
	paramGroup  = "group"  // customer group id
	paramSort   = "sort"   // see the sortBy constants
	paramOrder  = "order"  // asc (default), desc
	paramSize   = "size"   // 25, 50 (default), 100
	paramCursor = "cursor" // Square's cursor of the page shown
	paramOffset = "offset" // the index's page: how many rows come before it
)

// The values of the enumerated parameters.
const (
	searchInAuto      = "auto"
	searchInEmail     = "email"
	searchInPhone     = "phone"
	searchInReference = "reference"
	// searchInAll is Auto's choice for text that is neither an email
	// address nor a phone number: email, phone and reference id searched
	// at once. It is never a value of the URL.
	searchInAll = "all"

	matchFuzzy = "fuzzy"
	matchExact = "exact"

	sortByName    = "name"
	sortByCreated = "created"
	// Only the index can sort by these; Square sorts by name or created
	// date alone.
	sortByCompany = "company"
	sortByEmail   = "email"
	sortByPhone   = "phone"
	sortByUpdated = "updated"

	orderAsc  = "asc"
	orderDesc = "desc"
)

// Page sizes: Square accepts 1 to 100; we offer three.
const defaultPageSize = 50

var pageSizes = []int{25, 50, 100}

// Bounds on what the URL may carry. Square caps emails at 254 characters,
// reference ids at 100 and group ids at 255; its cursors are far shorter
// than maxCursor. A longer address is refused before it is read.
const (
	maxQueryBytes = 8 << 10
	maxSearchLen  = 254
	maxGroupLen   = 255
	maxCursorLen  = 2048
	// maxOffset is far beyond any directory; it only keeps a hand-made
	// link from asking the database for absurd work.
	maxOffset = 10_000_000
)

// dayLayout is how <input type=date> sends a date.
const dayLayout = "2006-01-02"

// directoryQuery is the directory's state as read from the URL. The string
// fields hold what the person typed, valid or not, for the form; the others
// are parsed from them and are only meaningful when parsing found no problem.
type directoryQuery struct {
	Query, Field, Match string
	From, To            string
	Source, Group       string
	Sort, Order, Size   string
	Cursor, Offset      string

	// indexed says the view is served from the customer index, which
	// searches every field at once, sorts by any column and pages by offset;
	// otherwise Square serves it, with cursors.
	indexed bool
	// indexing is the progress of the index's first sync, shown while
	// Square serves the view; it is not part of the URL.
	indexing string
	// field is the search field after Auto is resolved; empty without a search.
	field    string
	from, to time.Time
	size     int
	offset   int
}

// parseDirectoryQuery reads the directory's query string, for the index
// when indexed is set and for Square otherwise: what each can run differs.
// It never fails: every problem becomes a message for the person, tied to
// the form control it is about, and the values are kept so the form can
// show them again.
func parseDirectoryQuery(raw string, indexed bool) (directoryQuery, []views.FieldError) {
	q := directoryQuery{size: defaultPageSize, indexed: indexed}
	if len(raw) > maxQueryBytes {
		return q, []views.FieldError{{Message: "This address is too long to be a directory search. Start again from the first page."}}
	}
	var problems []views.FieldError
	vals, err := url.ParseQuery(raw)
	if err != nil {
		// ParseQuery keeps every pair it could read.
		problems = append(problems, views.FieldError{Message: "Part of this address could not be read, so it was left out."})
	}
	get := func(name string) string {
		vs := vals[name]
		if len(vs) == 0 {
			return ""
		}
		if len(vs) > 1 {
			problems = append(problems, views.FieldError{FieldID: controlOf(name),
				Message: "The address gives “" + name + "” more than once; only the first is shown."})
		}
		return strings.TrimSpace(strings.ToValidUTF8(vs[0], "\uFFFD"))
	}
	q.Query, q.Field, q.Match = get(paramQuery), get(paramField), get(paramMatch)
	q.From, q.To = get(paramFrom), get(paramTo)
	q.Source, q.Group = get(paramSource), get(paramGroup)
	q.Sort, q.Order, q.Size = get(paramSort), get(paramOrder), get(paramSize)
	q.Cursor, q.Offset = get(paramCursor), get(paramOffset)

	problems = append(problems, q.check()...)
	if len(q.Cursor) > maxCursorLen {
		problems = append(problems, cursorProblem())
	}
	if n, err := strconv.Atoi(q.Offset); q.Offset != "" && (err != nil || n < 0 || n > maxOffset) {
		problems = append(problems, cursorProblem())
	} else {
		q.offset = n
	}
	// A page of one kind means nothing to the other: a link saved while
	// Square served the directory opens the first page of the same view
	// from the index, and the other way round.
	// The same goes for a search of all fields at once, which has one
	// page only.
	if indexed || q.field == searchInAll {
		q.Cursor = ""
	}
	if !indexed {
		q.Offset, q.offset = "", 0
	}
	return q, problems
}

// check validates the parameters parseDirectoryQuery read, each against
// what the page offers, and fills in their parsed forms (the search field,
// the dates, the page size). It returns a message per parameter at fault.
func (q *directoryQuery) check() []views.FieldError {
	var problems []views.FieldError
	bad := func(param, message string) {
		problems = append(problems, views.FieldError{FieldID: controlOf(param), Message: message})
	}
	switch q.Field {
	case "", searchInAuto, searchInEmail, searchInPhone, searchInReference:
	default:
		bad(paramField, "Choose where to search: Auto, Email, Phone or Reference id.")
	}
	switch q.Match {
	case "", matchFuzzy, matchExact:
	default:
		bad(paramMatch, "Choose how to match: Fuzzy or Exact.")
	}
	switch {
	case q.Query != "" && q.indexed:
		if msg := checkIndexSearch(q.Query); msg != "" {
			bad(paramQuery, msg)
		}
	case q.Query != "":
		q.field = searchField(q.Query, q.Field, q.Match == matchExact)
		if msg := checkSearch(q.Query, q.field, q.Match == matchExact); msg != "" {
			bad(paramQuery, msg)
		}
	}
	var okFrom, okTo bool
	q.from, okFrom = parseDay(q.From)
	if !okFrom {
		bad(paramFrom, "Enter “Created from” as a date, such as 2026-03-01.")
	}
	q.to, okTo = parseDay(q.To)
	if !okTo {
		bad(paramTo, "Enter “Created to” as a date, such as 2026-03-31.")
	}
	if okFrom && okTo && !q.from.IsZero() && !q.to.IsZero() && q.to.Before(q.from) {
		bad(paramTo, "“Created to” is before “Created from”. Swap the dates or change one of them.")
	}
	if q.Source != "" && creationSourceLabel(q.Source) == "" {
		bad(paramSource, "Choose a creation source from the list.")
	}
	if len(q.Group) > maxGroupLen {
		bad(paramGroup, "Choose a customer group from the list.")
	}
	switch {
	case q.sortable():
	case !q.indexed && slices.Contains(indexSorts, q.Sort):
		bad(paramSort, "Square, which serves the directory for now, sorts by name or by created date only.")
	case q.indexed:
		bad(paramSort, "Sort by name, company, email, phone, created or updated date.")
	default:
		bad(paramSort, "Sort by name or by created date.")
	}
	switch q.Order {
	case "", orderAsc, orderDesc:
	default:
		bad(paramSort, "Sort in ascending or descending order.")
	}
	if q.Size != "" {
		n, err := strconv.Atoi(q.Size)
		if err != nil || !validPageSize(n) {
			bad(paramSize, "Show 25, 50 or 100 customers per page.")
		} else {
			// Written back in its plain form, so "0025" cannot bloat every
			// link the page makes.
			q.size, q.Size = n, strconv.Itoa(n)
		}
	}
	return problems
}

// checkGroup reports a group id the merchant does not have (any more).
// Square would quietly match nobody; the person deserves to know why.
func (q *directoryQuery) checkGroup(info *merchantInfo) []views.FieldError {
	if q.Group == "" || info.GroupName(q.Group) != "" {
		return nil
	}
	return []views.FieldError{{FieldID: views.DirectoryGroupID,
		Message: "That customer group does not exist, or no longer does. Choose one from the list."}}
}

// indexSorts are the orders only the index can give.
var indexSorts = []string{sortByCompany, sortByEmail, sortByPhone, sortByUpdated}

// sortable reports whether the view's sort is one its source can give.
func (q *directoryQuery) sortable() bool {
	switch q.Sort {
	case "", sortByName, sortByCreated:
		return true
	}
	return q.indexed && slices.Contains(indexSorts, q.Sort)
}

// cursorProblem is a page link Square no longer knows, or never made.
func cursorProblem() views.FieldError {
	return views.FieldError{Message: "This link points to a page of results that has expired or is not valid. Start again from the first page."}
}

// controlOf is the id of the form control that sets a parameter.
func controlOf(param string) string {
	switch param {
	case paramQuery:
		return views.DirectoryQueryID
	case paramField:
		return views.DirectoryFieldID
	case paramMatch:
		return views.DirectoryMatchID
	case paramFrom:
		return views.DirectoryFromID
	case paramTo:
		return views.DirectoryToID
	case paramSource:
		return views.DirectorySourceID
	case paramGroup:
		return views.DirectoryGroupID
	case paramSize:
		return views.DirectorySizeID
	}
	// Sort, order and cursor have no control of their own: the column
	// headers and page links set them.
	return ""
}

func validPageSize(n int) bool {
	for _, s := range pageSizes {
		if n == s {
			return true
		}
	}
	return false
}

// parseDay reads a YYYY-MM-DD date as midnight UTC; "" is no date.
func parseDay(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(dayLayout, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// searchField resolves the field to search: the chosen one, or for Auto the
// one the text looks like. An @ means an email address; digits with only
// + ( ) - and spaces around them a phone number. Anything else could be
// part of any of the three (`adaeze1999` of an email address, `206.555` of
// a phone number, `INV-2024` of a reference id), so a fuzzy search looks
// in all three at once (searchInAll). An exact match of such text can only
// be a reference id: an exact email has an @, an exact phone is all digits.
func searchField(text, chosen string, exact bool) string {
	switch chosen {
	case searchInEmail, searchInPhone, searchInReference:
		return chosen
	}
	if strings.Contains(text, "@") {
		return searchInEmail
	}
	if textutil.IsPhoneText(text) && !strings.ContainsAny(text, "./") {
		return searchInPhone
	}
	if exact {
		return searchInReference
	}
	return searchInAll
}

// checkSearch returns what is wrong with a search Square would refuse or
// could not make sense of, or "".
func checkSearch(text, field string, exact bool) string {
	if utf8.RuneCountInString(text) > maxSearchLen {
		return "The search text is too long: use at most " + strconv.Itoa(maxSearchLen) + " characters."
	}
	switch {
	case field == searchInPhone && exact && !isE164(text):
		return "An exact phone search needs the whole number with its country code, such as +1 206 555 0100. Or choose Fuzzy to match part of a number."
	case field == searchInPhone && !strings.ContainsFunc(text, unicode.IsDigit):
		return "A phone search needs at least one digit."
	case !exact && !strings.ContainsFunc(text, isLetterOrDigit):
		// Square drops punctuation from fuzzy searches: nothing would be left.
		return "The search needs at least one letter or digit."
	}
	return ""
}

// The index's bounds on a search, which keep every keystroke's work small.
const (
	maxIndexSearchBytes = 200
	maxIndexSearchWords = 8
)

// checkIndexSearch returns what is wrong with a search the index cannot
// run, or "". Any character is fine: the index searches for it as text.
func checkIndexSearch(text string) string {
	switch {
	case len(text) > maxIndexSearchBytes:
		return "The search text is too long: a part of a name, an email address or a phone number is enough."
	case len(strings.Fields(text)) > maxIndexSearchWords:
		return "The search has too many words: use at most " + strconv.Itoa(maxIndexSearchWords) + "."
	}
	return ""
}

func isLetterOrDigit(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// isE164 reports a phone number in the international form Square's exact
// phone search needs: a leading + and 9 to 16 digits, spaces, dots, dashes
// and parentheses allowed between them.
func isE164(s string) bool {
	if !strings.HasPrefix(s, "+") {
		return false
	}
	digits := 0
	for _, r := range s[1:] {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" .-()", r):
		default:
			return false
		}
	}
	return digits >= 9 && digits <= 16
}

// searched and filtered report whether the view narrows the directory.
func (q *directoryQuery) searched() bool { return q.Query != "" }
func (q *directoryQuery) filtered() bool {
	return q.From != "" || q.To != "" || q.Source != "" || q.Group != ""
}

// sortField and sortOrder are the order in Square's terms.
func (q *directoryQuery) sortField() square.CustomerSortField {
	if q.Sort == sortByCreated {
		return square.CustomerSortCreatedAt
	}
	return square.CustomerSortDefault
}

func (q *directoryQuery) sortOrder() square.SortOrder {
	if q.Order == orderDesc {
		return square.SortDescending
	}
	return square.SortAscending
}

// searchRequest is the SearchCustomers body of a view with a search or a
// filter: every part ANDed, as Square does.
func (q *directoryQuery) searchRequest() *square.SearchCustomersRequest {
	return q.searchRequestIn(q.field)
}

// searchRequestIn is the SearchCustomers body of the view with its search
// in field, one of email, phone and reference id.
func (q *directoryQuery) searchRequestIn(field string) *square.SearchCustomersRequest {
	f := &square.CustomerFilter{}
	if q.Query != "" {
		tf := &square.TextFilter{Fuzzy: q.Query}
		if q.Match == matchExact {
			tf = &square.TextFilter{Exact: q.Query}
		}
		switch field {
		case searchInEmail:
			f.EmailAddress = tf
		case searchInPhone:
			f.PhoneNumber = tf
		default:
			f.ReferenceID = tf
		}
	}
	if !q.from.IsZero() || !q.to.IsZero() {
		r := &square.TimeRange{StartAt: q.from}
		if !q.to.IsZero() {
			// The whole of the last day counts.
			r.EndAt = q.to.AddDate(0, 0, 1).Add(-time.Millisecond)
		}
		f.CreatedAt = r
	}
	if q.Source != "" {
		f.CreationSource = &square.CreationSourceFilter{Values: []string{q.Source}, Rule: square.CreationSourceInclude}
	}
	if q.Group != "" {
		f.GroupIDs = &square.FilterValue{Any: []string{q.Group}}
	}
	return &square.SearchCustomersRequest{
		Cursor: q.Cursor,
		Limit:  int64(q.size),
		Count:  true,
		Query: &square.CustomerQuery{
			Filter: f,
			Sort:   &square.CustomerSort{Field: q.sortField(), Order: q.sortOrder()},
		},
	}
}

// listParams are the ListCustomers parameters of a view without search or
// filters.
func (q *directoryQuery) listParams() *square.ListCustomersParams {
	return &square.ListCustomersParams{
		Cursor:    q.Cursor,
		Limit:     q.size,
		SortField: q.sortField(),
		SortOrder: q.sortOrder(),
		Count:     true,
	}
}

// values are the URL parameters of the view, defaults left out, without
// the cursor.
func (q directoryQuery) values() url.Values {
	v := url.Values{}
	set := func(name, value, def string) {
		if value != "" && value != def {
			v.Set(name, value)
		}
	}
	set(paramQuery, q.Query, "")
	if q.Query != "" && !q.indexed {
		set(paramField, q.Field, searchInAuto)
		set(paramMatch, q.Match, matchFuzzy)
	}
	set(paramFrom, q.From, "")
	set(paramTo, q.To, "")
	set(paramSource, q.Source, "")
	set(paramGroup, q.Group, "")
	set(paramSort, q.Sort, q.defaultSort())
	set(paramOrder, q.Order, orderAsc)
	set(paramSize, q.Size, strconv.Itoa(defaultPageSize))
	return v
}

// defaultSort is the order of a view without sort: the best matches first
// when the index searches, else by name.
func (q directoryQuery) defaultSort() string {
	if q.indexed && q.Query != "" {
		return ""
	}
	return sortByName
}

// url is the directory's address for the view, at the page of cursor ("" for
// the first page).
func (q directoryQuery) url(cursor string) string {
	v := q.values()
	if cursor != "" {
		v.Set(paramCursor, cursor)
	}
	return directoryURL(v)
}

// urlAt is the index's address for the view at offset (0 for the first
// page).
func (q directoryQuery) urlAt(offset int) string {
	v := q.values()
	if offset > 0 {
		v.Set(paramOffset, strconv.Itoa(offset))
	}
	return directoryURL(v)
}

// here is the address of the page shown.
func (q directoryQuery) here() string {
	if q.indexed {
		return q.urlAt(q.offset)
	}
	return q.url(q.Cursor)
}

// firstPage reports whether the view is at its first page.
func (q directoryQuery) firstPage() bool { return q.Cursor == "" && q.offset == 0 }

func directoryURL(v url.Values) string {
	if len(v) == 0 {
		return "/customers"
	}
	return "/customers?" + v.Encode()
}

// without returns the view with a search or a filter removed, from the
// first page.
func (q directoryQuery) without(kind string) directoryQuery {
	switch kind {
	case chipSearch:
		q.Query, q.Field, q.Match, q.field = "", "", "", ""
	case chipFrom:
		q.From, q.from = "", time.Time{}
	case chipTo:
		q.To, q.to = "", time.Time{}
	case chipSource:
		q.Source = ""
	case chipGroup:
		q.Group = ""
	case chipAll:
		q = q.without(chipSearch).without(chipFrom).without(chipTo).without(chipSource).without(chipGroup)
	}
	q.Cursor, q.Offset, q.offset = "", "", 0
	return q
}

// sortedBy returns the view in another order, from the first page.
func (q directoryQuery) sortedBy(sort, order string) directoryQuery {
	q.Sort, q.Order, q.Cursor, q.Offset, q.offset = sort, order, "", "", 0
	return q
}
