package customercsv

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/locale"
)

// Row is one record as the mapping reads it.
type Row struct {
	// SquareID is the record's Square customer id, "" when it has none.
	SquareID string
	// Values are the record's values by input of the customer form; the
	// birthday is split into its three inputs as the form has them.
	Values customers.Values
	// Unread are messages, by input, about cells Tessera could not read
	// into the form's inputs: a birthday in a format it does not know (on
	// customers.BirthdayMonth, the birthday's first input). Check returns
	// them with the form's own messages, so nothing is dropped silently.
	Unread map[string]string
}

// Row reads a record through the mapping: each cell normalised as the
// form normalises what a browser posts (customers.Normalize: trimmed, line
// breaks as \n, a VAT number without spaces), a birthday read from any
// format readBirthday knows, a country's English name as its code
// ("Germany" is DE). Where two columns hold one target (Problems reports
// that), the first that is not empty is read.
func (m Mapping) Row(record []string) Row {
	r := Row{Values: customers.Values{}}
	for i, key := range m {
		if i >= len(record) || key == TargetIgnore || targetLabel(key) == "" {
			continue
		}
		v := excelText(strings.TrimSpace(record[i]))
		if v == "" {
			continue
		}
		switch key {
		case TargetSquareID:
			if r.SquareID == "" {
				r.SquareID = v
			}
		case customers.Birthday:
			if r.Values[customers.BirthdayMonth] != "" || r.Unread[customers.BirthdayMonth] != "" {
				continue
			}
			y, mo, d, msg := readBirthday(v, time.Now().Year())
			if msg != "" {
				r.Unread = map[string]string{customers.BirthdayMonth: msg}
				continue
			}
			r.Values[customers.BirthdayMonth], r.Values[customers.BirthdayDay] = fmt.Sprintf("%02d", mo), fmt.Sprint(d)
			if y != 0 {
				r.Values[customers.BirthdayYear] = fmt.Sprintf("%04d", y)
			}
		case customers.Country:
			if r.Values[key] == "" {
				r.Values[key] = countryCode(v)
			}
		default:
			if r.Values[key] == "" {
				r.Values[key] = customers.Normalize(key, v)
			}
		}
	}
	return r
}

// Form is the row as the customer form would post it, to be checked with
// the form's own rules (Form.Validate) and sent with its requests.
func (r Row) Form(fs []customers.Field) customers.Form {
	posted := url.Values{}
	for k, v := range r.Values {
		posted.Set(k, v)
	}
	return customers.ReadForm(posted, fs, false)
}

// Check returns the row's form and its messages by input: the customer
// form's own (Form.Validate, the same rules as the form), with Unread's, a
// country Tessera does not know said in the file's terms, and a value for
// a field fs leaves out. No
// messages means Square would take it.
func (r Row) Check(fs []customers.Field, now time.Time) (customers.Form, map[string]string) {
	f := r.Form(fs)
	errs := f.Validate(now)
	for in, msg := range r.Unread {
		errs[in] = msg
	}
	// A value for a field fs leaves out (the EU VAT number, for a seller
	// outside the EU) would otherwise vanish without a word.
	for in, v := range r.Values {
		if _, ok := f.Values[in]; !ok && v != "" {
			errs[in] = fmt.Sprintf("Tessera keeps the %s only for sellers in the EU or the UK. Set its column to \"Do not import\".", customers.InputLabel(in))
		}
	}
	if errs[customers.PhoneNumber] != "" && excelNumber.MatchString(r.Values[customers.PhoneNumber]) {
		errs[customers.PhoneNumber] = fmt.Sprintf("The phone number %q was turned into a number by a spreadsheet, and its digits are lost. Format the column as text in the spreadsheet, type the numbers again, and save the file again.", r.Values[customers.PhoneNumber])
	}
	if errs[customers.Country] != "" {
		errs[customers.Country] = fmt.Sprintf("Tessera does not know the country %q. Write its two-letter code, like US or DE, or its name in English.", r.Values[customers.Country])
	}
	return f, errs
}

// excelText reads ="00123", which some systems write so that a
// spreadsheet keeps a number's leading zeros, as 00123.
func excelText(v string) string {
	if len(v) >= 3 && strings.HasPrefix(v, `="`) && strings.HasSuffix(v, `"`) {
		if inner := v[2 : len(v)-1]; !strings.Contains(strings.ReplaceAll(inner, `""`, ""), `"`) {
			return strings.TrimSpace(strings.ReplaceAll(inner, `""`, `"`))
		}
	}
	return v
}

// excelNumber is a long number as a spreadsheet writes it in scientific
// notation, 4.42079E+11: what Excel makes of a phone number in a cell
// formatted as a number.
var excelNumber = regexp.MustCompile(`^\d([.,]\d+)?[eE]\+\d+$`)

// countryNames are the English names of the countries, lower case, with
// the other names files use for the commonest ones, each to its code.
var countryNames = func() map[string]string {
	m := map[string]string{
		"usa": "US", "u.s.a.": "US", "u.s.": "US", "united states of america": "US", "america": "US",
		"uk": "GB", "u.k.": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
		"wales": "GB", "northern ireland": "GB", "deutschland": "DE", "österreich": "AT", "schweiz": "CH",
		"suisse": "CH", "nederland": "NL", "the netherlands": "NL", "holland": "NL", "españa": "ES",
		"italia": "IT", "czech republic": "CZ", "turkey": "TR", "south korea": "KR", "korea": "KR",
		"russian federation": "RU", "viet nam": "VN", "ivory coast": "CI",
	}
	for _, code := range locale.CountriesByName() {
		m[strings.ToLower(locale.CountryName(code))] = code
	}
	return m
}()

// countryCode is the code of a country written as its code (in any case)
// or its name; anything else is returned as it is, for the form's rules
// to refuse.
func countryCode(v string) string {
	if up := strings.ToUpper(v); len(v) == 2 && locale.IsCountryCode(up) {
		return up
	}
	if code, ok := countryNames[strings.ToLower(v)]; ok {
		return code
	}
	return v
}
