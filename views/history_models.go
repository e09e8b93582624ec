package views

// NavActivity marks the Activity page in the navigation.
const NavActivity = "activity"

// HistoryEntry is one change in a history list.
type HistoryEntry struct {
	// Kind is the change as people read it ("Edited"); KindKey its name.
	Kind, KindKey string
	// Detail adds to the kind: "Created in Square".
	Detail string
	// Customer is the customer's name when the change was made;
	// CustomerURL its profile, CustomerActivityURL its entries.
	Customer, CustomerURL, CustomerActivityURL string
	// Changes are the fields changed, from → to.
	Changes []CustomerChange
	// Card is "Visa ending in 1111" for a card added or removed.
	Card string
	// Who says who made the change: a name as given at sign-in, or words
	// saying none was given, or that it was made in Square. NameGiven is
	// true when Who is a name as given (shown as not verified).
	Who       string
	NameGiven bool
	// Browser and Address are the staff member's, for Tessera's writes.
	Browser, Address string
	// At is the time for people, AtISO for <time datetime>.
	At, AtISO string
}

// HistoryList is a page of entries with links to the pages around it.
type HistoryList struct {
	Entries []HistoryEntry
	// NewerURL and OlderURL are the neighbouring pages, "" at an end.
	NewerURL, OlderURL string
	// Empty is what to say when there are no entries.
	Empty string
}

// ActivityView is the Activity page: the merchant's history, filtered.
type ActivityView struct {
	// The filters as typed.
	Customer, Kind, From, To string
	Kinds                    []Option
	// Errors are the filters' problems; Invalid marks their inputs by id.
	Errors  []FieldError
	Invalid map[string]bool
	List    HistoryList
	// ExportURL downloads the filtered entries as CSV; "" with errors.
	ExportURL string
}

// The ids of the Activity page's inputs.
const (
	ActivityCustomerID = "activity-customer"
	ActivityKindID     = "activity-kind"
	ActivityFromID     = "activity-from"
	ActivityToID       = "activity-to"
)
