package customers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tessera-dashboard/tessera/internal/locale"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/textutil"
)

// Values are a customer's values by input name, as the form shows them.
type Values map[string]string

// FromSquare returns a customer's values for every input of fs, normalised
// as a posted form is, so that an untouched input never looks changed.
func FromSquare(cu *square.Customer, fs []Field) Values {
	v := make(Values, len(fields)+2)
	for _, f := range fs {
		f.put(v, f.get(cu))
	}
	return v
}

// put writes Square's value of the field into v as its inputs hold it.
func (f Field) put(v Values, value string) {
	if f.Kind == Date {
		v[BirthdayMonth], v[BirthdayDay], v[BirthdayYear] = SplitBirthday(value)
		return
	}
	v[f.Key] = Normalize(f.Key, value)
}

// SquareValue is the field's value in v as Square takes it: the birthday
// joined into one date, any other field its input.
func (f Field) SquareValue(v Values) string {
	if f.Kind == Date {
		return joinBirthday(v)
	}
	return v[f.Key]
}

// Equal reports whether a and b agree on every input of the field.
func (f Field) Equal(a, b Values) bool {
	for _, in := range f.Inputs() {
		if a[in] != b[in] {
			return false
		}
	}
	return true
}

// Display is the field's value in v as people read it (see Format).
func (f Field) Display(v Values) string {
	return f.Format(f.SquareValue(v))
}

// Format writes a value of the field as Square holds it for people: a
// birthday as "17 May 1990", a country by its name, anything else as it is.
func (f Field) Format(value string) string {
	switch {
	case value == "":
		return ""
	case f.Kind == Date:
		return FormatBirthday(value)
	case f.Kind == CountryCode:
		return locale.CountryName(value)
	}
	return value
}

// Of is the field's value on a customer, as Square holds it.
func (f Field) Of(cu *square.Customer) string {
	return f.get(cu)
}

// DisplayName is how a customer is named in lists and headings: given and
// family name, else the company, else the email or phone.
func DisplayName(cu *square.Customer) string {
	return Name(cu.GivenName, cu.FamilyName, cu.CompanyName, cu.EmailAddress, cu.PhoneNumber)
}

// Name is DisplayName of a customer given as form values.
func (v Values) Name() string {
	return Name(v[GivenName], v[FamilyName], v[CompanyName], v[EmailAddress], v[PhoneNumber])
}

// Name is DisplayName of a customer given by its fields, as the customer
// index keeps them.
func Name(given, family, company, email, phone string) string {
	if name := strings.TrimSpace(given + " " + family); name != "" {
		return name
	}
	for _, s := range []string{company, email, phone} {
		if s != "" {
			return s
		}
	}
	return "Unnamed customer"
}

// SplitBirthday splits Square's YYYY-MM-DD (0000 for no year) or MM-DD
// into the form's month ("01"), day ("7") and year ("" for none). A value
// it cannot read gives three empty inputs, which leave it untouched.
func SplitBirthday(b string) (month, day, year string) {
	y, m, d, ok := parseBirthday(b)
	if !ok {
		return "", "", ""
	}
	month, day = fmt.Sprintf("%02d", m), strconv.Itoa(d)
	if y != 0 {
		year = fmt.Sprintf("%04d", y)
	}
	return month, day, year
}

// parseBirthday reads YYYY-MM-DD or MM-DD; year 0 means none.
func parseBirthday(b string) (year, month, day int, ok bool) {
	if len(b) == 5 {
		b = "0000-" + b
	}
	if len(b) != 10 || b[4] != '-' || b[7] != '-' || !textutil.IsDigits(b[:4]) || !textutil.IsDigits(b[5:7]) || !textutil.IsDigits(b[8:]) {
		return 0, 0, 0, false
	}
	year, _ = strconv.Atoi(b[:4])
	month, _ = strconv.Atoi(b[5:7])
	day, _ = strconv.Atoi(b[8:])
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return 0, 0, 0, false
	}
	return year, month, day, true
}

// joinBirthday is the form's birthday as Square takes it: YYYY-MM-DD, or
// MM-DD without a year, or "" for none. The inputs have been validated.
func joinBirthday(v Values) string {
	month, day, year := v[BirthdayMonth], v[BirthdayDay], v[BirthdayYear]
	if month == "" || day == "" {
		return ""
	}
	m, _ := strconv.Atoi(month)
	d, _ := strconv.Atoi(day)
	if year == "" {
		return fmt.Sprintf("%02d-%02d", m, d)
	}
	y, _ := strconv.Atoi(year)
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

// FormatBirthday writes Square's birthday for people: "17 May 1990", or
// "17 May" when there is no year. A value it cannot read is shown as is.
func FormatBirthday(b string) string {
	if b == "" {
		return ""
	}
	y, m, d, ok := parseBirthday(b)
	if !ok {
		return b
	}
	s := strconv.Itoa(d) + " " + locale.MonthName(m)
	if y != 0 {
		s += " " + strconv.Itoa(y)
	}
	return s
}
