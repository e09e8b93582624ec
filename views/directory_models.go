package views

// The view models of the customer directory (GET /customers). The handler
// fills every URL and every label; the components only choose what to show.

// The values of DirectoryProblem.Kind.
const (
	// ProblemQuery is a query the directory cannot run: a bad parameter in
	// the URL, or a search Square refused. The page answers 400.
	ProblemQuery = "query"
	// ProblemUnavailable is Square failing or not answering. The page
	// answers 502, 503 or 504.
	ProblemUnavailable = "unavailable"
)

// CustomersView is the customer directory: the search and filter form, and
// the results region that htmx swaps as the person types.
type CustomersView struct {
	// Form is the search and filter form, holding what the person typed.
	Form DirectoryForm
	// Problem, when set, replaces the results with its message.
	Problem *DirectoryProblem
	// Rows are the customers of this page.
	Rows []CustomerRow
	// Bulk, when set, gives each row a checkbox and shows the bulk actions
	// (at /customers/select); SelectURL otherwise leads there. Selecting is
	// a mode of its own so that the directory's first load stays light.
	Bulk      *BulkBar
	SelectURL string
	// ExportURL downloads the view as CSV (every page of it), and
	// ExportExcelURL the same with a byte order mark, which Excel needs to
	// read UTF-8; "" leaves the links out.
	ExportURL, ExportExcelURL string
	// Total is the preformatted count, e.g. "1,234 customers", or "More
	// than 1,000 customers" when the count stopped there.
	Total string
	// TotalURL, when set, answers the exact count, which replaces Total
	// once loaded.
	TotalURL string
	// NextURL is the next page of the list, empty on the last page.
	NextURL string
	// FirstURL is the first page of the same view, set on later pages.
	FirstURL string
	// Empty shows the empty state instead of the table: the directory has
	// no customers at all.
	Empty bool
	// NoResults shows that the search or filters match nothing.
	NoResults bool
	// Filtered says that a search or a filter is active.
	Filtered bool
	// ClearSearchURL drops the search text, set when there is one;
	// ClearAllURL drops the search and every filter, set when a filter
	// other than the search is active.
	ClearSearchURL, ClearAllURL string
	// Chips are the active search and filters, each with a link that
	// removes it.
	Chips []Chip
	// Sorts are the column headers that name a sort, in table order: Name,
	// Company, Email, Phone, Created and, from the index, Updated. The
	// Groups column comes before Created.
	Sorts []SortHeader
	// Indexed says the customer index serves the view: one search box that
	// looks everywhere, every column sortable, the Updated column, pages by
	// offset.
	Indexed bool
	// PrevURL is the previous page, set on the index's later pages.
	PrevURL string
	// BestMatchURL goes back to the best matches first, set while a search
	// is sorted by a column.
	BestMatchURL string
	// Indexing, when set, is the progress of the first sync of the
	// customer index, e.g. "Indexing customers: 41,200 of 100,000".
	Indexing string
	// NewCustomerURL is where "New customer" leads.
	NewCustomerURL string
	// SearchNote, when set, says how Square was searched in several fields
	// at once, with a link to each field on its own.
	SearchNote *SearchNote
}

// SearchNote explains a search of several fields at once, which Square
// can only make as one call per field.
type SearchNote struct {
	// Text says what was searched, e.g. "Searched email, phone and
	// reference id at once."
	Text string
	// More, when set, says that more customers match than the page shows.
	More string
	// Failed, when set, names the fields Square could not search, whose
	// matches are missing; RetryURL searches again.
	Failed, RetryURL string
	// Fields search one field alone, with Square's paging.
	Fields []NoteLink
}

// NoteLink is a link of a note.
type NoteLink struct {
	Label, URL string
}

// CustomerRow is one customer in the directory, with every value already
// formatted for display.
type CustomerRow struct {
	ID, Name, Company, Email, Phone string
	// Groups are the names of the customer's groups.
	Groups []string
	// Created is the creation date for people; CreatedISO is the same day
	// as YYYY-MM-DD for <time datetime>. Updated and UpdatedISO are the
	// same for the last change, shown when the index serves the view.
	Created, CreatedISO string
	Updated, UpdatedISO string
	ProfileURL          string
	// Name, Company, Email and Phone split into what the search matched
	// and what it did not, when it matched there; nil otherwise.
	NameMarks, CompanyMarks, EmailMarks, PhoneMarks []TextPart
	// Matches show where else the search matched, in fields the table has
	// no column for (nickname, reference id, note).
	Matches []FieldMatch
}

// TextPart is a piece of a value, marked when the search matched it.
// Views escape each piece as any text.
type TextPart struct {
	Text string
	Mark bool
}

// FieldMatch is a matched field without a column of its own.
type FieldMatch struct {
	Label string
	Parts []TextPart
}

// DirectoryForm is the search and filter form. Values are as the person
// typed them, valid or not, so that a mistake can be corrected in place.
type DirectoryForm struct {
	// Action is the form's target, the directory itself.
	Action string
	// Indexed drops the Look in and Match choices: the index searches
	// every field at once.
	Indexed bool
	// Query is the search text.
	Query string
	// From and To are the created date range, YYYY-MM-DD.
	From, To string
	// Sort and Order keep the current order across a new search.
	Sort, Order string
	// The choices of the selects, with the current one marked.
	Fields, Matches, Sources, Groups, Sizes []Option
	// Invalid holds the ids of the controls that have a problem.
	Invalid map[string]bool
}

// Option is one <option> of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// Chip is an active search or filter, shown as a removable chip.
type Chip struct {
	// Kind names the filter: search, from, to, source or group.
	Kind  string
	Label string
	// RemoveURL is the directory without this filter.
	RemoveURL string
}

// SortHeader is a column header that sorts the table.
type SortHeader struct {
	// Key is the sort's name in the URL, e.g. "company".
	Key   string
	Label string
	// URL sorts by this column: the other way round when it is the current
	// sort, else in its natural order.
	URL string
	// AriaSort is "ascending" or "descending" on the current sort column,
	// else empty.
	AriaSort string
}

// DirectoryProblem is why the directory shows a message instead of results.
type DirectoryProblem struct {
	// Kind is ProblemQuery or ProblemUnavailable.
	Kind  string
	Title string
	// Messages say what is wrong, each linking to its control when
	// FieldID is set.
	Messages []FieldError
	// LinkURL and LinkLabel lead out of the problem, e.g. to the first page
	// or to try again.
	LinkURL, LinkLabel string
	// RequestID is shown as the reference of a failure.
	RequestID string
	// Focus moves the focus to the message when the page loads; htmx
	// answers leave it off so typing is not interrupted.
	Focus bool
}

// The ids of the directory form's controls, which problem messages link to.
const (
	DirectoryQueryID  = "search-q"
	DirectoryFieldID  = "search-field"
	DirectoryMatchID  = "search-match"
	DirectoryFromID   = "filter-from"
	DirectoryToID     = "filter-to"
	DirectorySourceID = "filter-source"
	DirectoryGroupID  = "filter-group"
	DirectorySizeID   = "page-size"
)

// BulkBar is the directory's bulk-action form.
type BulkBar struct {
	CSRFToken string
	// Query is the address of the page shown, so that "Select all on this
	// page" and "Select all N matching" are resolved from it.
	Query string
	// PageIDs are the ids of the rows shown, space-separated, for "Select
	// all on this page" without JavaScript.
	PageIDs string
	// Matching is the number of customers a search or filter matches,
	// when the index can select them all; "" leaves the choice out.
	Matching string
}
