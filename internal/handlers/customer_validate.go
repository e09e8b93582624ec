package handlers

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// The customer form as posted, its normalisation and its checks. The
// checks are Square's rules (square-api.md §2.4 and §10), applied before
// Square is called so that every problem is shown at once, beside its
// field; whatever Square still refuses is mapped onto the same fields.

// customerForm is a posted customer form.
type customerForm struct {
	// values are what the user typed, normalised.
	values views.CustomerValues
	// orig are the values the edit form showed; nil on the create form.
	orig views.CustomerValues
	// inputs are the inputs the form has, in form order: the EU VAT number
	// only for sellers in the EU or the UK.
	inputs []string
}

// customerUnit is one field of a customer as people see it: one input, or
// the three inputs of the birthday. Changes and conflicts are per unit.
type customerUnit struct {
	key    string
	inputs []string
}

// birthdayKey names the birthday's unit.
const birthdayKey = "birthday"

// birthdayInputs are the inputs of the birthday.
var birthdayInputs = []string{views.CustomerBirthdayMonth, views.CustomerBirthdayDay, views.CustomerBirthdayYear}

// formUnits are the units of the form's two sets of inputs, with and
// without the EU VAT number, worked out once: a save needs them more than
// once, and building them cost each save some forty allocations.
var formUnits = [...]struct {
	inputs []string
	units  []customerUnit
}{
	{formInputs[0], buildUnits(formInputs[0])},
	{formInputs[1], buildUnits(formInputs[1])},
}

// customerUnits returns the units of the given inputs, in form order. The
// result is shared: callers must not change it.
func customerUnits(inputs []string) []customerUnit {
	for _, f := range formUnits {
		if slices.Equal(inputs, f.inputs) {
			return f.units
		}
	}
	return buildUnits(inputs)
}

// buildUnits makes the units of the given inputs, in form order. Its
// result has no spare capacity, so that appending to it never writes into
// an array formUnits shares.
func buildUnits(inputs []string) []customerUnit {
	var units []customerUnit
	for _, in := range inputs {
		switch in {
		case views.CustomerBirthdayMonth:
			units = append(units, customerUnit{key: birthdayKey, inputs: birthdayInputs})
		case views.CustomerBirthdayDay, views.CustomerBirthdayYear:
		default:
			units = append(units, customerUnit{key: in, inputs: []string{in}})
		}
	}
	return slices.Clip(units)
}

// unitLabel is the label of a unit for messages and the conflict page.
func unitLabel(u customerUnit) string {
	if u.key == birthdayKey {
		return "Birthday"
	}
	return inputLabel(u.key)
}

// inputLabel is an input's label without "(optional)", for sentences.
func inputLabel(name string) string {
	return strings.TrimSuffix(views.CustomerLabel(name), " (optional)")
}

// formInputs are the inputs of the customer form without (0) and with (1)
// the EU VAT number.
var formInputs = [...][]string{buildInputs(false), buildInputs(true)}

// customerInputs are the inputs of the customer form, with or without the
// EU VAT number: a copy of formInputs, for the caller to keep.
func customerInputs(showVAT bool) []string {
	if showVAT {
		return slices.Clone(formInputs[1])
	}
	return slices.Clone(formInputs[0])
}

// buildInputs lists the inputs of the customer form, with or without the
// EU VAT number.
func buildInputs(showVAT bool) []string {
	var out []string
	for _, in := range views.CustomerInputNames() {
		if in == views.CustomerEUVat && !showVAT {
			continue
		}
		out = append(out, in)
	}
	return out
}

// readCustomerForm reads a posted customer form. On the conflict page, a
// field in conflict arrives as a choice (pick_<unit>) between the user's
// value (mine_<input>) and Square's, which is the new original.
func readCustomerForm(form url.Values, showVAT, edit bool) customerForm {
	inputs := customerInputs(showVAT)
	f := customerForm{values: make(views.CustomerValues, len(inputs)), inputs: inputs}
	if edit {
		f.orig = make(views.CustomerValues, len(inputs))
		for _, in := range f.inputs {
			f.orig[in] = normalizeInput(in, form.Get(views.OriginalPrefix+in))
		}
	}
	for _, in := range f.inputs {
		f.values[in] = normalizeInput(in, form.Get(in))
	}
	for _, u := range customerUnits(f.inputs) {
		if !form.Has("mine_" + u.inputs[0]) {
			continue
		}
		// A field in conflict keeps Square's value unless the user picked
		// theirs: a choice that did not arrive must not empty it.
		for _, in := range u.inputs {
			if form.Get("pick_"+u.key) == "mine" {
				f.values[in] = normalizeInput(in, form.Get("mine_"+in))
			} else {
				f.values[in] = f.orig[in]
			}
		}
	}
	return f
}

// normalizeInput tidies what a browser sent: line breaks as \n (browsers
// send \r\n from textareas and hidden inputs alike), no surrounding
// spaces, and a VAT number without spaces inside.
func normalizeInput(name, v string) string {
	v = strings.ReplaceAll(v, "\r\n", "\n")
	v = strings.ReplaceAll(v, "\r", "\n")
	v = strings.TrimSpace(v)
	switch name {
	case views.CustomerEUVat:
		v = strings.Join(strings.Fields(v), "")
	case views.CustomerCountry:
		v = strings.ToUpper(v)
	}
	return v
}

// changedUnits are the units whose values differ from the originals; on
// the create form, every unit with a value.
func (f customerForm) changedUnits() []customerUnit {
	var out []customerUnit
	for _, u := range customerUnits(f.inputs) {
		for _, in := range u.inputs {
			if f.values[in] != f.orig[in] {
				out = append(out, u)
				break
			}
		}
	}
	return out
}

// Square's limits on a customer's fields (square-api.md §2.4), counted in
// characters. Address fields have none published, so Square judges them.
var customerMaxLengths = map[string]int{
	views.CustomerGivenName:    300,
	views.CustomerFamilyName:   300,
	views.CustomerCompanyName:  500,
	views.CustomerNickname:     100,
	views.CustomerEmailAddress: 254,
	views.CustomerReferenceID:  100,
	views.CustomerEUVat:        20,
}

// identifyingInputs are the fields of which Square needs at least one.
var identifyingInputs = []string{
	views.CustomerGivenName, views.CustomerFamilyName, views.CustomerCompanyName,
	views.CustomerEmailAddress, views.CustomerPhoneNumber,
}

// Messages used in more than one place.
const (
	msgNeedOneIdentifier = "Enter a first name, last name, company, email address or phone number: Square needs at least one of them."
	msgEmail             = "Enter an email address in the right format, like name@example.com."
	msgPhone             = "Enter a phone number of 9 to 16 digits, like +1 206 555 0100."
	msgCountry           = "Choose a country from the list."
	msgVAT               = "Enter the EU VAT number with letters and digits only, at most 20 of them."
	msgBirthdayDate      = "Enter a birthday that is a real date."
)

// validate checks the form against Square's rules and returns a message
// per input. It checks what the user changed (everything, on the create
// form), so that an old value Square accepted never blocks an unrelated
// edit, and the rule that one identifying field remains. It also writes
// the birthday in a canonical form, so that "07" and "7" are one day.
func (f customerForm) validate(now time.Time) map[string]string {
	errs := map[string]string{}
	for _, u := range f.changedUnits() {
		if u.key == birthdayKey {
			f.validateBirthday(errs, now)
			continue
		}
		in := u.key
		v := f.values[in]
		if v == "" {
			continue
		}
		if limit, ok := customerMaxLengths[in]; ok && utf8.RuneCountInString(v) > limit {
			if in == views.CustomerEUVat {
				errs[in] = msgVAT
			} else {
				errs[in] = fmt.Sprintf("%s must be %d characters or fewer.", inputLabel(in), limit)
			}
			continue
		}
		switch in {
		case views.CustomerEmailAddress:
			if !customerEmailValid(v) {
				errs[in] = msgEmail
			}
		case views.CustomerPhoneNumber:
			if !customerPhoneValid(v) {
				errs[in] = msgPhone
			}
		case views.CustomerCountry:
			if !views.IsCountryCode(v) {
				errs[in] = msgCountry
			}
		case views.CustomerEUVat:
			if !isASCIIAlnum(v) {
				errs[in] = msgVAT
			}
		}
	}
	empty := true
	for _, in := range identifyingInputs {
		if f.values[in] != "" {
			empty = false
		}
	}
	if empty {
		errs[views.CustomerGivenName] = msgNeedOneIdentifier
	}
	return errs
}

// validateBirthday checks the birthday's month, day and optional year and
// writes them canonically: month "01" to "12", day without a leading zero.
func (f customerForm) validateBirthday(errs map[string]string, now time.Time) {
	month, day, year := f.values[views.CustomerBirthdayMonth], f.values[views.CustomerBirthdayDay], f.values[views.CustomerBirthdayYear]
	if month == "" && day == "" && year == "" {
		return
	}
	m, err := strconv.Atoi(month)
	if month == "" || err != nil || m < 1 || m > 12 {
		errs[views.CustomerBirthdayMonth] = "Choose the month of the birthday."
	}
	d, err := strconv.Atoi(day)
	switch {
	case day == "":
		errs[views.CustomerBirthdayDay] = "Enter the day of the birthday."
	case err != nil || !digitsOnly(day) || d < 1 || d > 31:
		errs[views.CustomerBirthdayDay] = "Enter the day as a number from 1 to 31."
	}
	y := 0
	if year != "" {
		y, err = strconv.Atoi(year)
		switch {
		case err != nil || len(year) != 4 || !digitsOnly(year) || y < 1900:
			errs[views.CustomerBirthdayYear] = "Enter the year as 4 digits, like 1985, or leave it empty."
		case y > now.Year():
			errs[views.CustomerBirthdayYear] = "The year cannot be in the future."
		}
	}
	if errs[views.CustomerBirthdayMonth] != "" || errs[views.CustomerBirthdayDay] != "" || errs[views.CustomerBirthdayYear] != "" {
		return
	}
	leap := y
	if leap == 0 {
		leap = 2000 // A leap year: without a year, 29 February is a date.
	}
	date := time.Date(leap, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if date.Day() != d {
		errs[views.CustomerBirthdayDay] = fmt.Sprintf("%s does not have %d days. %s", views.MonthName(m), d, msgBirthdayDate)
		return
	}
	if y != 0 && date.After(now) {
		errs[views.CustomerBirthdayYear] = "The birthday cannot be in the future."
		return
	}
	f.values[views.CustomerBirthdayMonth] = fmt.Sprintf("%02d", m)
	f.values[views.CustomerBirthdayDay] = strconv.Itoa(d)
}

// customerEmailValid is Square's rule (square-api.md §10): one @, a local
// part, a domain with a dot inside it, no spaces.
func customerEmailValid(s string) bool {
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

// customerPhoneValid is Square's rule (§10): without spaces, dashes, dots
// and parentheses, an optional leading + and 9 to 16 digits.
func customerPhoneValid(s string) bool {
	d := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, s)
	d = strings.TrimPrefix(d, "+")
	return len(d) >= 9 && len(d) <= 16 && digitsOnly(d)
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isASCIIAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if (ch < '0' || ch > '9') && (ch < 'A' || ch > 'Z') && (ch < 'a' || ch > 'z') {
			return false
		}
	}
	return true
}

// squareFieldInputs maps the fields Square names in its errors to the
// inputs of the form.
var squareFieldInputs = map[string]string{
	"given_name":             views.CustomerGivenName,
	"family_name":            views.CustomerFamilyName,
	"nickname":               views.CustomerNickname,
	"company_name":           views.CustomerCompanyName,
	"email_address":          views.CustomerEmailAddress,
	"phone_number":           views.CustomerPhoneNumber,
	"address":                views.CustomerAddressLine1,
	"address.address_line_1": views.CustomerAddressLine1,
	"address.address_line_2": views.CustomerAddressLine2,
	"address.locality":       views.CustomerLocality,
	"address.administrative_district_level_1": views.CustomerRegion,
	"address.postal_code":                     views.CustomerPostalCode,
	"address.country":                         views.CustomerCountry,
	"birthday":                                views.CustomerBirthdayMonth,
	"reference_id":                            views.CustomerReferenceID,
	"note":                                    views.CustomerNote,
	"tax_ids":                                 views.CustomerEUVat,
	"tax_ids.eu_vat":                          views.CustomerEUVat,
}

// msgSquareRefused is the form-level message for a refusal Square did not
// tie to a field of the form.
const msgSquareRefused = "Square did not accept these details. Check them and try again."

// squareFormErrors turns Square's 400 about a customer into messages by
// input, and messages about the form as a whole. Square's detail text is
// for developers and never shown.
func squareFormErrors(err error, inputs []string) (byInput map[string]string, general []string) {
	var se *square.Error
	if !errors.As(err, &se) {
		return nil, []string{msgSquareRefused}
	}
	has := map[string]bool{}
	for _, in := range inputs {
		has[in] = true
	}
	byInput = map[string]string{}
	for _, d := range se.Errors {
		if d.Code == "MISSING_REQUIRED_PARAMETER" && (d.Field == "" || slices.Contains(identifyingInputs, squareFieldInputs[d.Field])) {
			byInput[views.CustomerGivenName] = msgNeedOneIdentifier
			continue
		}
		in, ok := squareFieldInputs[d.Field]
		if !ok || !has[in] {
			general = appendOnce(general, msgSquareRefused)
			continue
		}
		if _, seen := byInput[in]; !seen {
			byInput[in] = squareCodeMessage(in, d.Code)
		}
	}
	return byInput, general
}

// squareCodeMessage is the message for Square's error code on an input.
func squareCodeMessage(in, code string) string {
	switch {
	case code == "VALUE_TOO_LONG":
		return inputLabel(in) + " is longer than Square allows. Shorten it."
	case code == "INVALID_EMAIL_ADDRESS":
		return msgEmail
	case code == "INVALID_PHONE_NUMBER":
		return msgPhone
	case in == views.CustomerBirthdayMonth:
		return msgBirthdayDate
	case in == views.CustomerCountry:
		return msgCountry
	case in == views.CustomerEUVat:
		return msgVAT
	}
	return "Square did not accept this " + strings.ToLower(inputLabel(in)) + ". Check it and try again."
}

func appendOnce(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// formSummary is the error summary: the form-level messages first, then
// one entry per input in form order, each linking to its input.
func formSummary(errs map[string]string, general []string) []views.FieldError {
	var out []views.FieldError
	for _, m := range general {
		out = append(out, views.FieldError{Message: m})
	}
	for _, in := range views.CustomerInputNames() {
		if m, ok := errs[in]; ok {
			out = append(out, views.FieldError{FieldID: "field-" + in, Message: m})
		}
	}
	return out
}
