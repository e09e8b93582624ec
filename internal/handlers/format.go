package handlers

import (
	"strconv"
	"strings"
	"time"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// Mapping Square's data to view models: names, dates and counts as people
// read them.

// customerRow maps Square's customer to a directory row, as directoryRow
// maps the index's. Group names need the merchant's groups; see groupNames.
func customerRow(c square.Customer) views.CustomerRow {
	return directoryRow(index.FromSquare(&c))
}

// directoryRow maps a customer to a directory row.
func directoryRow(c index.Customer) views.CustomerRow {
	r := views.CustomerRow{
		ID:         c.ID,
		Name:       customers.Name(c.GivenName, c.FamilyName, c.CompanyName, c.EmailAddress, c.PhoneNumber),
		Company:    c.CompanyName,
		Email:      c.EmailAddress,
		Phone:      c.PhoneNumber,
		ProfileURL: customerPath(c.ID),
	}
	if !c.CreatedAt.IsZero() {
		r.Created, r.CreatedISO = formatDay(c.CreatedAt), c.CreatedAt.UTC().Format(dayLayout)
	}
	if !c.UpdatedAt.IsZero() {
		r.Updated, r.UpdatedISO = formatDay(c.UpdatedAt), c.UpdatedAt.UTC().Format(dayLayout)
	}
	return r
}

// formatDay writes a day for people, in UTC: "2 Mar 2026".
func formatDay(t time.Time) string {
	return t.UTC().Format("2 Jan 2006")
}

// groupNames are the names of the groups ids, in the order given. An id
// missing from info, a group made since it was cached, is left out until
// the cache is refreshed.
func groupNames(ids []string, info *merchantInfo) []string {
	var names []string
	for _, id := range ids {
		if name := info.GroupName(id); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// customerTotal formats Square's count: "1,234 customers". Square leaves
// the count out when it is 0, so a missing count asked for is none.
func customerTotal(count *int64) string {
	var n int64
	if count != nil {
		n = *count
	}
	if n == 1 {
		return "1 customer"
	}
	return thousands(n) + " customers"
}

// directorySources are Square's CustomerCreationSource values with the words
// people read for them.
var directorySources = map[string]string{
	"APPOINTMENTS":       "Appointments",
	"COUPON":             "Coupon",
	"DELETION_RECOVERY":  "Deletion recovery",
	"DIRECTORY":          "Customer directory",
	"EGIFTING":           "eGift cards",
	"EMAIL_COLLECTION":   "Email collection",
	"FEEDBACK":           "Feedback",
	"IMPORT":             "Import",
	"INSTANT_PROFILE":    "Instant profile",
	"INVOICES":           "Invoices",
	"LOYALTY":            "Loyalty",
	"MARKETING":          "Marketing",
	"MERGE":              "Merged profiles",
	"ONLINE_STORE":       "Online store",
	"OTHER":              "Other",
	"TERMINAL":           "Square Terminal",
	"THIRD_PARTY":        "Third-party app",
	"THIRD_PARTY_IMPORT": "Third-party import",
	"UNMERGE_RECOVERY":   "Unmerge recovery",
}

// creationSourceLabel is the readable name of a creation source, or "" for
// a value Square does not define.
func creationSourceLabel(source string) string {
	return directorySources[source]
}

// thousands writes n with comma separators.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
