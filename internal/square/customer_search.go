package square

import "time"

// SearchCustomersRequest is the body of SearchCustomers. Zero values are left
// out, so Square's defaults apply; with no Query every profile is returned.
type SearchCustomersRequest struct {
	// Cursor continues from a previous page.
	Cursor string `json:"cursor,omitempty"`
	// Limit is a page size from 1 to 100.
	Limit int64 `json:"limit,omitempty"`
	// Query holds the filters and the sort order.
	Query *CustomerQuery `json:"query,omitempty"`
	// Count asks Square for the total number of matches.
	Count bool `json:"count,omitempty"`
}

// CustomerQuery combines a filter and a sort order.
type CustomerQuery struct {
	Filter *CustomerFilter `json:"filter,omitempty"`
	Sort   *CustomerSort   `json:"sort,omitempty"`
}

// CustomerSort orders search results.
type CustomerSort struct {
	Field CustomerSortField `json:"field,omitempty"`
	Order SortOrder         `json:"order,omitempty"`
}

// CustomerFilter narrows a search. Every filter that is set must match (AND);
// Square offers no OR and no filter on names.
type CustomerFilter struct {
	CreationSource *CreationSourceFilter `json:"creation_source,omitempty"`
	CreatedAt      *TimeRange            `json:"created_at,omitempty"`
	UpdatedAt      *TimeRange            `json:"updated_at,omitempty"`
	// EmailAddress matches case-insensitively; Fuzzy matches tokens in any
	// order after punctuation is removed.
	EmailAddress *TextFilter `json:"email_address,omitempty"`
	// PhoneNumber needs E.164 for Exact; Fuzzy matches groups of digits.
	PhoneNumber *TextFilter `json:"phone_number,omitempty"`
	ReferenceID *TextFilter `json:"reference_id,omitempty"`
	// GroupIDs matches customer group membership; an unknown id matches
	// nothing rather than failing.
	GroupIDs *FilterValue `json:"group_ids,omitempty"`
	// SegmentIDs matches segment membership, at most three ids in all.
	SegmentIDs      *FilterValue              `json:"segment_ids,omitempty"`
	CustomAttribute *CustomAttributeFilterSet `json:"custom_attribute,omitempty"`
}

// CreationSourceRule says whether a creation source filter keeps or drops
// the listed sources.
type CreationSourceRule string

// Creation source rules.
const (
	CreationSourceInclude CreationSourceRule = "INCLUDE"
	CreationSourceExclude CreationSourceRule = "EXCLUDE"
)

// CreationSourceFilter matches how a profile was created, e.g. THIRD_PARTY.
type CreationSourceFilter struct {
	Values []string `json:"values,omitempty"`
	// Rule defaults to INCLUDE.
	Rule CreationSourceRule `json:"rule,omitempty"`
}

// TimeRange is a span of time; either end may be left open.
type TimeRange struct {
	StartAt time.Time `json:"start_at,omitzero"`
	EndAt   time.Time `json:"end_at,omitzero"`
}

// TextFilter matches a string exactly or fuzzily; set one of the two.
type TextFilter struct {
	Exact string `json:"exact,omitempty"`
	Fuzzy string `json:"fuzzy,omitempty"`
}

// FilterValue matches a set of ids: All of them, Any of them, None of them.
type FilterValue struct {
	All  []string `json:"all,omitempty"`
	Any  []string `json:"any,omitempty"`
	None []string `json:"none,omitempty"`
}

// CustomAttributeFilterSet holds up to ten custom attribute filters, ANDed,
// with distinct keys.
type CustomAttributeFilterSet struct {
	Filters []CustomAttributeFilter `json:"filters"`
}

// CustomAttributeFilter matches one custom attribute by key, on its value
// (Filter), on when it changed (UpdatedAt), or both.
type CustomAttributeFilter struct {
	Key       string                      `json:"key"`
	Filter    *CustomAttributeFilterValue `json:"filter,omitempty"`
	UpdatedAt *TimeRange                  `json:"updated_at,omitempty"`
}

// CustomAttributeFilterValue is the typed match on a custom attribute's
// value; set the one that fits the attribute's type.
type CustomAttributeFilterValue struct {
	Email *TextFilter `json:"email,omitempty"`
	Phone *TextFilter `json:"phone,omitempty"`
	Text  *TextFilter `json:"text,omitempty"`
	// Selection matches selection attributes by display name (case
	// sensitive), with Any or All.
	Selection *FilterValue `json:"selection,omitempty"`
	// Date matches date attributes, ends inclusive.
	Date    *TimeRange             `json:"date,omitempty"`
	Number  *NumberRange           `json:"number,omitempty"`
	Boolean *bool                  `json:"boolean,omitempty"`
	Address *CustomerAddressFilter `json:"address,omitempty"`
}

// NumberRange is a range of decimal numbers written as strings, as Square
// takes them; either end may be left open.
type NumberRange struct {
	StartAt string `json:"start_at,omitempty"`
	EndAt   string `json:"end_at,omitempty"`
}

// CustomerAddressFilter matches address attributes by postal code and
// country.
type CustomerAddressFilter struct {
	PostalCode *TextFilter `json:"postal_code,omitempty"`
	Country    string      `json:"country,omitempty"`
}
