// Package customers is the customer as Tessera sees it: the fields staff
// edit, read from and written to Square through one table; the checks
// Square makes, applied before Square is called; what changed between two
// versions; the choices of an edit conflict; and what Square's answer to a
// write means for the person who made it. It knows nothing of HTTP or HTML:
// handlers parse a request, call it, and map its results to view models.
//
// Adding a field to Tessera is one row of fields (and, where it needs a
// layout of its own, its view).
package customers

import (
	"slices"
	"strings"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// The names of the inputs of the customer form, which are also the keys
// of Values. Most are Square's own field names.
const (
	GivenName     = "given_name"
	FamilyName    = "family_name"
	Nickname      = "nickname"
	CompanyName   = "company_name"
	EmailAddress  = "email_address"
	PhoneNumber   = "phone_number"
	AddressLine1  = "address_line_1"
	AddressLine2  = "address_line_2"
	Locality      = "locality"
	Region        = "administrative_district_level_1"
	PostalCode    = "postal_code"
	Country       = "country"
	BirthdayMonth = "birthday_month"
	BirthdayDay   = "birthday_day"
	BirthdayYear  = "birthday_year"
	ReferenceID   = "reference_id"
	Note          = "note"
	EUVat         = "eu_vat"
)

// Birthday is the key of the birthday, a field of three inputs.
const Birthday = "birthday"

// Kind says how a field is entered and shown.
type Kind int

// The kinds of field.
const (
	// Text is a line of text.
	Text Kind = iota
	// Email is an email address: a mailto: link on the profile.
	Email
	// Phone is a phone number: a tel: link on the profile.
	Phone
	// LongText is free text over several lines.
	LongText
	// CountryCode is a choice of country, stored as its ISO code.
	CountryCode
	// Date is a birthday: month, day and an optional year.
	Date
)

// Section is the part of the form a field belongs to: "" for the form
// itself, or the name of a group of fields shown together.
type Section string

// AddressSection groups the address's fields.
const AddressSection Section = "Address"

// Field is one thing staff edit on a customer. Messages, the conflict page
// and the history speak of fields; most have one input, the birthday three.
type Field struct {
	// Key names the field: its input's name, or Birthday.
	Key string
	// Label is what the form and messages call it.
	Label string
	// Hint is shown under the label, when there is one.
	Hint string
	Kind Kind
	// Section is the group the form shows it in.
	Section Section
	// MaxLen is Square's limit in characters; 0 where Square publishes none
	// and judges for itself.
	MaxLen int
	// Identifying fields are those of which Square needs at least one.
	Identifying bool
	// EUOnly fields are shown only to sellers in the EU or the UK, and to
	// customers that already have a value.
	EUOnly bool
	// SquareFields are the field paths Square names in its errors about it.
	SquareFields []string
	// check returns the message for a value Square would refuse, or "".
	check func(string) string
	// get reads Square's value, set writes it into a create request, and
	// update into an update request; an empty value clears the field.
	get    func(*square.Customer) string
	set    func(*square.CreateCustomerRequest, string)
	update func(*updateRequest, square.Nullable[string])
}

// fields are every field, in the order of the form and the profile.
var fields = []Field{
	{Key: GivenName, Label: "First name", MaxLen: 300, Identifying: true, SquareFields: []string{"given_name"},
		get:    func(c *square.Customer) string { return c.GivenName },
		set:    func(r *square.CreateCustomerRequest, v string) { r.GivenName = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.GivenName = v }},
	{Key: FamilyName, Label: "Last name", MaxLen: 300, Identifying: true, SquareFields: []string{"family_name"},
		get:    func(c *square.Customer) string { return c.FamilyName },
		set:    func(r *square.CreateCustomerRequest, v string) { r.FamilyName = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.FamilyName = v }},
	{Key: Nickname, Label: "Nickname", Hint: "What the customer likes to be called.", MaxLen: 100, SquareFields: []string{"nickname"},
		get:    func(c *square.Customer) string { return c.Nickname },
		set:    func(r *square.CreateCustomerRequest, v string) { r.Nickname = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.Nickname = v }},
	{Key: CompanyName, Label: "Company", MaxLen: 500, Identifying: true, SquareFields: []string{"company_name"},
		get:    func(c *square.Customer) string { return c.CompanyName },
		set:    func(r *square.CreateCustomerRequest, v string) { r.CompanyName = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.CompanyName = v }},
	{Key: EmailAddress, Label: "Email address", Hint: "For example, name@example.com.", Kind: Email, MaxLen: 254,
		Identifying: true, SquareFields: []string{"email_address"}, check: checkEmail,
		get:    func(c *square.Customer) string { return c.EmailAddress },
		set:    func(r *square.CreateCustomerRequest, v string) { r.EmailAddress = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.EmailAddress = v }},
	{Key: PhoneNumber, Label: "Phone number", Hint: "With the country code if outside your own country, for example +1 206 555 0100.",
		Kind: Phone, Identifying: true, SquareFields: []string{"phone_number"}, check: checkPhone,
		get:    func(c *square.Customer) string { return c.PhoneNumber },
		set:    func(r *square.CreateCustomerRequest, v string) { r.PhoneNumber = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.PhoneNumber = v }},
	// Square has no published limits on the address, so it judges them.
	{Key: AddressLine1, Label: "Address line 1", Section: AddressSection, SquareFields: []string{"address", "address.address_line_1"},
		get:    func(c *square.Customer) string { return addressOf(c).AddressLine1 },
		set:    func(r *square.CreateCustomerRequest, v string) { newAddress(r).AddressLine1 = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.address().AddressLine1 = v }},
	{Key: AddressLine2, Label: "Address line 2", Section: AddressSection, SquareFields: []string{"address.address_line_2"},
		get:    func(c *square.Customer) string { return addressOf(c).AddressLine2 },
		set:    func(r *square.CreateCustomerRequest, v string) { newAddress(r).AddressLine2 = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.address().AddressLine2 = v }},
	{Key: Locality, Label: "Town or city", Section: AddressSection, SquareFields: []string{"address.locality"},
		get:    func(c *square.Customer) string { return addressOf(c).Locality },
		set:    func(r *square.CreateCustomerRequest, v string) { newAddress(r).Locality = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.address().Locality = v }},
	{Key: Region, Label: "State, province or region", Section: AddressSection, SquareFields: []string{"address.administrative_district_level_1"},
		get:    func(c *square.Customer) string { return addressOf(c).AdministrativeDistrictLevel1 },
		set:    func(r *square.CreateCustomerRequest, v string) { newAddress(r).AdministrativeDistrictLevel1 = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.address().AdministrativeDistrictLevel1 = v }},
	{Key: PostalCode, Label: "Postal code", Section: AddressSection, SquareFields: []string{"address.postal_code"},
		get:    func(c *square.Customer) string { return addressOf(c).PostalCode },
		set:    func(r *square.CreateCustomerRequest, v string) { newAddress(r).PostalCode = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.address().PostalCode = v }},
	{Key: Country, Label: "Country", Kind: CountryCode, Section: AddressSection, SquareFields: []string{"address.country"}, check: checkCountry,
		get:    func(c *square.Customer) string { return addressOf(c).Country },
		set:    func(r *square.CreateCustomerRequest, v string) { newAddress(r).Country = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.address().Country = v }},
	{Key: Birthday, Label: "Birthday", Kind: Date, SquareFields: []string{"birthday"},
		get:    func(c *square.Customer) string { return c.Birthday },
		set:    func(r *square.CreateCustomerRequest, v string) { r.Birthday = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.Birthday = v }},
	{Key: ReferenceID, Label: "Reference ID", Hint: "Your own ID for this customer, for example from another system.",
		MaxLen: 100, SquareFields: []string{"reference_id"},
		get:    func(c *square.Customer) string { return c.ReferenceID },
		set:    func(r *square.CreateCustomerRequest, v string) { r.ReferenceID = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.ReferenceID = v }},
	{Key: Note, Label: "Note", Kind: LongText, SquareFields: []string{"note"},
		get:    func(c *square.Customer) string { return c.Note },
		set:    func(r *square.CreateCustomerRequest, v string) { r.Note = v },
		update: func(r *updateRequest, v square.Nullable[string]) { r.Note = v }},
	// The EU VAT number is Square's only tax id; a tax id is replaced or
	// removed whole.
	{Key: EUVat, Label: "EU VAT number", Hint: "Letters and digits only, for example DE123456789.", MaxLen: 20, EUOnly: true,
		SquareFields: []string{"tax_ids", "tax_ids.eu_vat"}, check: checkVAT,
		get: func(c *square.Customer) string {
			if c.TaxIDs == nil {
				return ""
			}
			return c.TaxIDs.EUVat
		},
		set: func(r *square.CreateCustomerRequest, v string) { r.TaxIDs = &square.TaxIDs{EUVat: v} },
		update: func(r *updateRequest, v square.Nullable[string]) {
			if vat, ok := v.Get(); ok {
				r.TaxIDs = square.Set(square.TaxIDs{EUVat: vat})
				return
			}
			r.TaxIDs = square.Clear[square.TaxIDs]()
		}},
}

// birthdayInputs are the inputs of the birthday, in form order.
var birthdayInputs = []string{BirthdayMonth, BirthdayDay, BirthdayYear}

// Inputs are the names of the field's inputs, in form order.
func (f Field) Inputs() []string {
	if f.Kind == Date {
		return birthdayInputs
	}
	return []string{f.Key}
}

// InputLabel is the label of one input: the field's, or for the
// birthday's inputs "Month", "Day" and "Year (optional)".
func InputLabel(input string) string {
	switch input {
	case BirthdayMonth:
		return "Month"
	case BirthdayDay:
		return "Day"
	case BirthdayYear:
		return "Year (optional)"
	}
	if f, ok := FieldByKey(input); ok {
		return f.Label
	}
	return input
}

// fieldSets are the fields without (0) and with (1) the EU-only ones,
// worked out once: every save needs them.
var fieldSets = [2][]Field{
	slices.Clip(slices.DeleteFunc(slices.Clone(fields), func(f Field) bool { return f.EUOnly })),
	slices.Clip(fields),
}

// Fields are the fields a form shows, in order: with the EU-only ones when
// withEU is true. The result is shared and must not be changed.
func Fields(withEU bool) []Field {
	if withEU {
		return fieldSets[1]
	}
	return fieldSets[0]
}

// FieldByKey returns the field with the given key.
func FieldByKey(key string) (Field, bool) {
	i := slices.IndexFunc(fields, func(f Field) bool { return f.Key == key })
	if i < 0 {
		return Field{}, false
	}
	return fields[i], true
}

// InputNames are the names of every input of the fields, in form order.
func InputNames(fs []Field) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Inputs()...)
	}
	return out
}

// addressOf is the customer's address, or an empty one.
func addressOf(c *square.Customer) *square.Address {
	if c.Address == nil {
		return &square.Address{}
	}
	return c.Address
}

// newAddress is the create request's address, made when first needed.
func newAddress(r *square.CreateCustomerRequest) *square.Address {
	if r.Address == nil {
		r.Address = &square.Address{}
	}
	return r.Address
}

// updateRequest is an UpdateCustomer body being built, with the address's
// changes apart until the end: Square merges an address update line by
// line, so only the changed lines are sent.
type updateRequest struct {
	*square.UpdateCustomerRequest
	addr *square.AddressUpdate
}

func (r *updateRequest) address() *square.AddressUpdate {
	if r.addr == nil {
		r.addr = &square.AddressUpdate{}
	}
	return r.addr
}

// Normalize tidies what a browser sent for an input: line breaks as \n
// (browsers send \r\n from textareas and hidden inputs alike), no
// surrounding spaces, a VAT number without spaces inside, and a country
// code in capitals. Square's values are normalised the same way, so that an
// untouched input never looks changed.
func Normalize(input, v string) string {
	v = strings.ReplaceAll(v, "\r\n", "\n")
	v = strings.ReplaceAll(v, "\r", "\n")
	v = strings.TrimSpace(v)
	switch input {
	case EUVat:
		v = strings.Join(strings.Fields(v), "")
	case Country:
		v = strings.ToUpper(v)
	}
	return v
}

// euVATCountries are the EU members and the UK, whose sellers can keep an
// EU VAT number on their customers.
var euVATCountries = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true,
	"FI": true, "FR": true, "DE": true, "GR": true, "HU": true, "IE": true, "IT": true, "LV": true,
	"LT": true, "LU": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SK": true,
	"SI": true, "ES": true, "SE": true, "GB": true,
}

// EUVATCountry reports whether a seller in country can keep EU VAT
// numbers, so that the EU-only fields apply.
func EUVATCountry(country string) bool {
	return euVATCountries[country]
}
