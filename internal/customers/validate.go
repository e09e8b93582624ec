package customers

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tessera-dashboard/tessera/internal/locale"
	"github.com/tessera-dashboard/tessera/internal/textutil"
)

// The checks are Square's rules for a customer (docs/square.md), applied
// before Square is called so that every problem is shown at once, beside
// its input; whatever Square still refuses is mapped onto the same inputs
// (see SquareProblems).

// Messages used in more than one place.
const (
	MsgNeedOneIdentifier = "Enter a first name, last name, company, email address or phone number: Square needs at least one of them."
	msgEmail             = "Enter an email address in the right format, like name@example.com."
	msgPhone             = "Enter a phone number of 9 to 16 digits, like +1 206 555 0100."
	msgCountry           = "Choose a country from the list."
	msgVAT               = "Enter the EU VAT number with letters and digits only, at most 20 of them."
	msgBirthdayDate      = "Enter a birthday that is a real date."
)

// Validate checks the form against Square's rules and returns a message
// per input. It checks what the person changed (everything, on the create
// form), so that an old value Square accepted never blocks an unrelated
// edit, and the rule that one identifying field remains. It also writes the
// birthday in a canonical form, so that "07" and "7" are one day.
func (f Form) Validate(now time.Time) map[string]string {
	errs := map[string]string{}
	for _, field := range f.Changed() {
		if field.Kind == Date {
			validateBirthday(f.Values, errs, now)
			continue
		}
		v := f.Values[field.Key]
		if v == "" {
			continue
		}
		if field.MaxLen > 0 && utf8.RuneCountInString(v) > field.MaxLen {
			errs[field.Key] = tooLong(field)
			continue
		}
		if field.check != nil {
			if msg := field.check(v); msg != "" {
				errs[field.Key] = msg
			}
		}
	}
	if !f.hasIdentifier() {
		errs[GivenName] = MsgNeedOneIdentifier
	}
	return errs
}

// hasIdentifier reports whether one of the fields Square needs has a value.
func (f Form) hasIdentifier() bool {
	for _, field := range f.Fields {
		if field.Identifying && f.Values[field.Key] != "" {
			return true
		}
	}
	return false
}

// tooLong is the message for a value over the field's limit. The VAT
// number's own message already states its limit.
func tooLong(f Field) string {
	if f.Key == EUVat {
		return msgVAT
	}
	return fmt.Sprintf("%s must be %d characters or fewer.", f.Label, f.MaxLen)
}

// validateBirthday checks the birthday's month, day and optional year and
// writes them canonically: month "01" to "12", day without a leading zero.
func validateBirthday(v Values, errs map[string]string, now time.Time) {
	month, day, year := v[BirthdayMonth], v[BirthdayDay], v[BirthdayYear]
	if month == "" && day == "" && year == "" {
		return
	}
	m, err := strconv.Atoi(month)
	if month == "" || err != nil || m < 1 || m > 12 {
		errs[BirthdayMonth] = "Choose the month of the birthday."
	}
	d, err := strconv.Atoi(day)
	switch {
	case day == "":
		errs[BirthdayDay] = "Enter the day of the birthday."
	case err != nil || !textutil.IsDigits(day) || d < 1 || d > 31:
		errs[BirthdayDay] = "Enter the day as a number from 1 to 31."
	}
	y := 0
	if year != "" {
		y, err = strconv.Atoi(year)
		switch {
		case err != nil || len(year) != 4 || !textutil.IsDigits(year) || y < 1900:
			errs[BirthdayYear] = "Enter the year as 4 digits, like 1985, or leave it empty."
		case y > now.Year():
			errs[BirthdayYear] = "The year cannot be in the future."
		}
	}
	if errs[BirthdayMonth] != "" || errs[BirthdayDay] != "" || errs[BirthdayYear] != "" {
		return
	}
	leap := y
	if leap == 0 {
		leap = 2000 // A leap year: without a year, 29 February is a date.
	}
	date := time.Date(leap, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if date.Day() != d {
		errs[BirthdayDay] = fmt.Sprintf("%s does not have %d days. %s", locale.MonthName(m), d, msgBirthdayDate)
		return
	}
	if y != 0 && date.After(now) {
		errs[BirthdayYear] = "The birthday cannot be in the future."
		return
	}
	v[BirthdayMonth] = fmt.Sprintf("%02d", m)
	v[BirthdayDay] = strconv.Itoa(d)
}

// checkEmail is Square's rule for an email address: one @, a local part,
// a domain with a dot inside it, no spaces.
func checkEmail(s string) string {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.Contains(domain, "@") {
		return msgEmail
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return msgEmail
	}
	if dot := strings.Index(domain, "."); dot <= 0 || strings.HasSuffix(domain, ".") {
		return msgEmail
	}
	return ""
}

// checkPhone is Square's rule for a phone number: without the separators
// people type, an optional leading + and 9 to 16 digits.
func checkPhone(s string) string {
	if !textutil.IsPhoneText(s) {
		return msgPhone
	}
	digits := strings.TrimPrefix(textutil.PhoneDigits(s), "+")
	if len(digits) < 9 || len(digits) > 16 {
		return msgPhone
	}
	return ""
}

// checkCountry accepts an ISO 3166-1 alpha-2 code, or Square's ZZ.
func checkCountry(s string) string {
	if !locale.IsCountryCode(s) {
		return msgCountry
	}
	return ""
}

// checkVAT accepts letters and digits only; the length is MaxLen's.
func checkVAT(s string) string {
	if !textutil.IsAlnum(s) {
		return msgVAT
	}
	return ""
}
