// Package customercsv reads and writes customer lists as CSV files in the
// shape of Square Dashboard's own customer export, so that a file goes from
// Tessera to Square's Dashboard, a spreadsheet or a mailing tool and back.
// It knows nothing of HTTP: handlers and jobs call it. docs/csv.md says
// where the columns come from.
package customercsv

import (
	"github.com/tessera-dashboard/tessera/internal/customers"
)

// Target keys that are not inputs of the customer form. Every other target
// is an input name of internal/customers (customers.GivenName, …), except
// customers.Birthday, which takes the whole date in one cell.
const (
	// TargetIgnore leaves a column out of the import.
	TargetIgnore = ""
	// TargetSquareID is Square's id of the customer: a row that has one
	// updates that customer.
	TargetSquareID = "square_id"
)

// Column is one column of the files Tessera writes.
type Column struct {
	// Header is the column's name in the file, as Square's Dashboard
	// writes it.
	Header string
	// Target is what the column holds (see the Target keys).
	Target string
}

// Columns are the columns of an exported file, in order: Square
// Dashboard's names and order for what Tessera holds, then Tessera's own
// (Country, EU VAT number), which Square's importer lets a person map or
// skip.
var Columns = []Column{
	{"Reference ID", customers.ReferenceID},
	{"First Name", customers.GivenName},
	{"Last Name", customers.FamilyName},
	{"Email Address", customers.EmailAddress},
	{"Phone Number", customers.PhoneNumber},
	{"Nickname", customers.Nickname},
	{"Company Name", customers.CompanyName},
	{"Street Address 1", customers.AddressLine1},
	{"Street Address 2", customers.AddressLine2},
	{"City", customers.Locality},
	{"State", customers.Region},
	{"Postal Code", customers.PostalCode},
	{"Birthday", customers.Birthday},
	{"Memo", customers.Note},
	{"Square Customer ID", TargetSquareID},
	{"Country", customers.Country},
	{"EU VAT Number", customers.EUVat},
}
