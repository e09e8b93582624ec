package handlers

import (
	"errors"
	"strconv"
	"strings"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// Mapping Square's data to view models: names, dates and counts as people
// read them.

// displayName is how a customer is named in lists: given and family name,
// else the company, else the email or phone.
func displayName(c square.Customer) string {
	if name := strings.TrimSpace(c.GivenName + " " + c.FamilyName); name != "" {
		return name
	}
	for _, s := range []string{c.CompanyName, c.EmailAddress, c.PhoneNumber} {
		if s != "" {
			return s
		}
	}
	return "Unnamed customer"
}

// customerRow maps a customer to a directory row.
func customerRow(c square.Customer) views.CustomerRow {
	created := ""
	if !c.CreatedAt.IsZero() {
		created = c.CreatedAt.Format("2 Jan 2006")
	}
	return views.CustomerRow{
		ID:         c.ID,
		Name:       displayName(c),
		Email:      c.EmailAddress,
		Phone:      c.PhoneNumber,
		Created:    created,
		ProfileURL: "/customers/" + c.ID,
	}
}

// customerTotal formats Square's count: "1,234 customers".
func customerTotal(count *int64) string {
	if count == nil {
		return ""
	}
	n := *count
	if n == 1 {
		return "1 customer"
	}
	return thousands(n) + " customers"
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

// asSquare is errors.As for Square's error type.
func asSquare(err error, target **square.Error) bool {
	return errors.As(err, target)
}
