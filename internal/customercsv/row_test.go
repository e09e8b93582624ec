package customercsv

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/customers"
)

var checkNow = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

func TestReadBirthdayFormats(t *testing.T) {
	tests := map[string][3]int{ // year, month, day
		"1985-05-17": {1985, 5, 17}, "1985-5-7": {1985, 5, 7}, "1985/5/17": {1985, 5, 17}, "1985.05.17": {1985, 5, 17},
		"0000-05-17": {0, 5, 17}, "05-17": {0, 5, 17}, "5/17": {0, 5, 17}, "--05-17": {0, 5, 17},
		"5/17/1985": {1985, 5, 17}, "05-17-1985": {1985, 5, 17}, "5/17/85": {1985, 5, 17}, "5-17-10": {2010, 5, 17},
		"85-5-17": {1985, 5, 17}, "85/05/17": {1985, 5, 17}, "05/06/07": {2007, 5, 6},
		"17.05.1985": {1985, 5, 17}, "17.5.85": {1985, 5, 17}, "17.05.": {0, 5, 17}, "17.05": {0, 5, 17},
		"17 May 1985": {1985, 5, 17}, "May 17, 1985": {1985, 5, 17}, "17-May-85": {1985, 5, 17}, "17 may": {0, 5, 17},
		"Sept 3rd": {0, 9, 3}, "1985 May 17": {1985, 5, 17}, "December 10": {0, 12, 10},
		"1985-05-17 00:00:00": {1985, 5, 17}, "1985-05-17T00:00:00Z": {1985, 5, 17}, " 1985-05-17 ": {1985, 5, 17},
		"2026-02-31": {2026, 2, 31},  // a day the month lacks is the form's to refuse
		"12/31/27":   {1927, 12, 31}, // never in the future
	}
	for in, want := range tests {
		y, m, d, msg := readBirthday(in, checkNow.Year())
		if msg != "" || [3]int{y, m, d} != want {
			t.Errorf("readBirthday(%q) = %d-%d-%d %q, want %v", in, y, m, d, msg, want)
		}
	}
	for _, in := range []string{"soon", "1985", "1985-05", "1985-13-01", "5/32/1985", "00-00", "1985-05-17-01",
		"17 Foo 1985", "May", "May June 1", "1985_05_17", "+5/-3/1985", "123/4/1985", "12/4/123", "May 100"} {
		if _, _, _, msg := readBirthday(in, checkNow.Year()); !strings.HasPrefix(msg, "Tessera cannot read the birthday") {
			t.Errorf("readBirthday(%q) message = %q", in, msg)
		}
	}
	_, _, _, msg := readBirthday("13/05/1985", checkNow.Year())
	if want := `The birthday "13/05/1985" has no month 13: dates written with "/" are read month first, as Square reads them. If this file writes the day first, write its birthdays as YYYY-MM-DD (this one as 1985-05-13), since others in it may have been read the wrong way round.`; msg != want {
		t.Errorf("day-first message = %q, want %q", msg, want)
	}
}

// A birthday Tessera cannot read is reported by Check on the birthday,
// never dropped; one it reads goes through the form's rules.
func TestCheckReportsABirthdayItCannotRead(t *testing.T) {
	m := Mapping{customers.GivenName, customers.Birthday}
	tests := []struct {
		birthday string
		want     map[string]string
	}{
		{"1985-05-17", map[string]string{}},
		{"next tuesday", map[string]string{customers.BirthdayMonth: `Tessera cannot read the birthday "next tuesday". Write it as YYYY-MM-DD, like 1985-05-17, or as MM-DD without the year, like 05-17.`}},
		{"2/30/1985", map[string]string{customers.BirthdayDay: "February does not have 30 days. Enter a birthday that is a real date."}},
		{"1/1/2030", map[string]string{customers.BirthdayYear: "The year cannot be in the future."}},
		{"", map[string]string{}},
	}
	for _, tt := range tests {
		_, errs := m.Row([]string{"Ada", tt.birthday}).Check(customers.Fields(false), checkNow)
		if !maps.Equal(errs, tt.want) {
			t.Errorf("Check of birthday %q = %q, want %q", tt.birthday, errs, tt.want)
		}
	}
}

func TestRowReadsCountriesByCodeOrName(t *testing.T) {
	m := Mapping{customers.GivenName, customers.Country}
	for in, want := range map[string]string{"DE": "DE", "de": "DE", "Germany": "DE", "united kingdom": "GB",
		"USA": "US", "United States": "US", "Deutschland": "DE", "Côte d’Ivoire": "CI"} {
		if f, errs := m.Row([]string{"Ada", in}).Check(customers.Fields(false), checkNow); f.Values[customers.Country] != want || len(errs) != 0 {
			t.Errorf("country %q = %q %q, want %q", in, f.Values[customers.Country], errs, want)
		}
	}
	_, errs := m.Row([]string{"Ada", "Atlantis"}).Check(customers.Fields(false), checkNow)
	if want := `Tessera does not know the country "Atlantis". Write its two-letter code, like US or DE, or its name in English.`; errs[customers.Country] != want {
		t.Errorf("Check = %q", errs)
	}
}

// A row with nothing that identifies a customer gets the form's message.
func TestCheckAppliesTheFormsRules(t *testing.T) {
	m := Mapping{customers.Note, customers.EmailAddress, customers.PhoneNumber}
	_, errs := m.Row([]string{"hello", "", ""}).Check(customers.Fields(false), checkNow)
	if errs[customers.GivenName] != customers.MsgNeedOneIdentifier {
		t.Errorf("Check = %q", errs)
	}
	_, errs = m.Row([]string{"", "not an email", "12"}).Check(customers.Fields(false), checkNow)
	if errs[customers.EmailAddress] == "" || errs[customers.PhoneNumber] == "" {
		t.Errorf("Check = %q", errs)
	}
}

// Every corpus file of customers reads into the values a person would
// have typed in the form, and the form takes them.
func TestCorpusRowsReadIntoFormValues(t *testing.T) {
	tests := []struct {
		file string
		want customers.Values // of the first record
	}{
		{"excel-semicolon-1252.csv", customers.Values{
			customers.GivenName: "Jürgen", customers.FamilyName: "Müller", customers.EmailAddress: "juergen.mueller@example.de",
			customers.PhoneNumber: "+49 30 1234567", customers.CompanyName: "Bäckerei Müller GmbH",
			customers.AddressLine1: "Hauptstraße 5", customers.PostalCode: "10115", customers.Locality: "Berlin",
			customers.Country: "DE", customers.BirthdayYear: "1985", customers.BirthdayMonth: "05", customers.BirthdayDay: "17",
			customers.Note: "Kunde seit 2010; mag Brötchen"}},
		{"google-sheets.csv", customers.Values{
			customers.GivenName: "Ada", customers.FamilyName: "Lovelace", customers.EmailAddress: "ada@example.com",
			customers.PhoneNumber: "+44 20 7946 0000", customers.CompanyName: "Engines, Ltd",
			customers.BirthdayYear: "1985", customers.BirthdayMonth: "12", customers.BirthdayDay: "10", customers.Note: `Prefers "Countess"`}},
		{"google-contacts.csv", customers.Values{
			customers.GivenName: "Ada", customers.FamilyName: "Lovelace", customers.Nickname: "Countess",
			customers.CompanyName: "Engines Ltd", customers.EmailAddress: "ada@example.com", customers.PhoneNumber: "+44 20 7946 0000",
			customers.AddressLine1: "1 Analytical Way", customers.AddressLine2: "Flat 2", customers.Locality: "London",
			customers.Region: "Greater London", customers.PostalCode: "N1 9GU", customers.Country: "GB",
			customers.BirthdayMonth: "12", customers.BirthdayDay: "10"}},
		{"outlook.csv", customers.Values{
			customers.GivenName: "Grace", customers.FamilyName: "Hopper", customers.Nickname: "Amazing",
			customers.EmailAddress: "grace@example.com", customers.PhoneNumber: "+1 206 555 0100", customers.CompanyName: "US Navy",
			customers.AddressLine1: "1 Harbor Rd", customers.Locality: "Arlington", customers.Region: "VA", customers.PostalCode: "22201",
			customers.Country: "US", customers.BirthdayYear: "1906", customers.BirthdayMonth: "12", customers.BirthdayDay: "9",
			customers.Note: "Admiral"}},
		{"mailchimp.tsv", customers.Values{
			customers.EmailAddress: "ada@example.com", customers.GivenName: "Ada", customers.FamilyName: "Lovelace",
			customers.AddressLine1: "1 Analytical Way", customers.PhoneNumber: "+44 20 7946 0000",
			customers.BirthdayMonth: "12", customers.BirthdayDay: "10"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tab := parseOrFail(t, corpusFile(t, tt.file))
			f, errs := AutoMap(tab.Header).Row(tab.Records[0]).Check(customers.Fields(true), checkNow)
			if len(errs) != 0 {
				t.Errorf("Check = %q", errs)
			}
			for k, v := range f.Values {
				if v != tt.want[k] {
					t.Errorf("%s = %q, want %q", k, v, tt.want[k])
				}
			}
		})
	}
}

// A file in Square Dashboard's shape, built from its documented columns
// with Square's own extra columns around them, reads back field for field;
// the cells Tessera's export neutralised read as they were.
func TestASquareDashboardFileReadsBack(t *testing.T) {
	want := map[string]string{
		customers.ReferenceID: "R-1", customers.GivenName: "Ada", customers.FamilyName: "O'Lovelace",
		customers.EmailAddress: "ada@example.com", customers.PhoneNumber: "+1 206 555 0100", customers.Nickname: "Countess",
		customers.CompanyName: "Engines, Ltd", customers.AddressLine1: "1 Analytical Way", customers.AddressLine2: "Flat 2",
		customers.Locality: "London", customers.Region: "Greater London", customers.PostalCode: "N1 9GU",
		customers.Birthday: "1915-12-10", customers.Note: "=1+1 is two\nand \"quoted\"", TargetSquareID: "CUST1",
		customers.Country: "GB", customers.EUVat: "GB123456789",
	}
	var b bytes.Buffer
	b.WriteString("\xef\xbb\xbf")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	header, cells := []string{"Creation Source"}, []string{"Directory"}
	for _, c := range Columns {
		header, cells = append(header, c.Header), append(cells, exportNeutralised(want[c.Target]))
	}
	header, cells = append(header, "First Visit", "Groups"), append(cells, "2020-01-01", "VIP, Regulars")
	_ = w.Write(header)
	_ = w.Write(cells)
	w.Flush()

	tab := parseOrFail(t, b.Bytes())
	m := AutoMap(tab.Header)
	if m[0] != TargetIgnore || m[len(m)-1] != TargetIgnore || len(m.Problems(tab.Header)) != 0 {
		t.Fatalf("AutoMap = %q, problems %q", m, m.Problems(tab.Header))
	}
	r := m.Row(tab.Records[0])
	f, errs := r.Check(customers.Fields(true), time.Now())
	if len(errs) != 0 || r.SquareID != "CUST1" {
		t.Fatalf("Check = %q, Square id %q", errs, r.SquareID)
	}
	for _, field := range customers.Fields(true) {
		if got := field.SquareValue(f.Values); got != want[field.Key] {
			t.Errorf("%s = %q, want %q", field.Key, got, want[field.Key])
		}
	}
}

// exportNeutralised is what the export does to a cell a spreadsheet would run.
func exportNeutralised(s string) string {
	if t := strings.TrimLeft(s, "'"); t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0])) {
		return "'" + s
	}
	return s
}

// Where two columns hold one target, the first that is not empty is read.
func TestRowTakesTheFirstCellThatIsNotEmpty(t *testing.T) {
	m := Mapping{customers.PhoneNumber, customers.PhoneNumber, customers.Birthday, customers.Birthday, "bogus"}
	r := m.Row([]string{" ", "+1 206 555 0100", "huh", "1985-05-17", "x"})
	if r.Values[customers.PhoneNumber] != "+1 206 555 0100" || r.Unread[customers.BirthdayMonth] == "" || r.Values[customers.BirthdayMonth] != "" {
		t.Errorf("Row = %+v", r)
	}
	if _, ok := r.Values["bogus"]; ok {
		t.Error("an unknown target was read")
	}
	if got := fmt.Sprint(Mapping{customers.GivenName}.Row(nil).Values); got != "map[]" {
		t.Errorf("Row of no cells = %s", got)
	}
}

// A phone number a spreadsheet turned into a number says what happened.
func TestCheckExplainsAPhoneNumberASpreadsheetTurnedIntoANumber(t *testing.T) {
	_, errs := Mapping{customers.PhoneNumber}.Row([]string{"4.42079E+11"}).Check(customers.Fields(false), checkNow)
	if want := `The phone number "4.42079E+11" was turned into a number by a spreadsheet, and its digits are lost. Format the column as text in the spreadsheet, type the numbers again, and save the file again.`; errs[customers.PhoneNumber] != want {
		t.Errorf("Check = %q", errs)
	}
}

// Row's values are normalised as the form's: line breaks as \n, a VAT
// number without spaces.
func TestRowNormalisesAsTheForm(t *testing.T) {
	tab := parseOrFail(t, []byte("First Name,Note,VAT\r\nAda,\"one\r\ntwo\rthree\",\" DE 123 456 789 \"\r\n"))
	r := AutoMap(tab.Header).Row(tab.Records[0])
	if r.Values[customers.Note] != "one\ntwo\nthree" || r.Values[customers.EUVat] != "DE123456789" {
		t.Errorf("Row = %q", r.Values)
	}
}

// ="00123", written so that a spreadsheet keeps leading zeros, reads as
// 00123; a formula is left as it is.
func TestRowReadsExcelsTextFormula(t *testing.T) {
	m := Mapping{customers.GivenName, customers.PostalCode, customers.Note}
	r := m.Row([]string{"Ada", `="02134"`, `=A1&"x"`})
	if r.Values[customers.PostalCode] != "02134" || r.Values[customers.Note] != `=A1&"x"` {
		t.Errorf("Row = %q", r.Values)
	}
}

// A value for a field the seller's form leaves out is reported, not lost.
func TestCheckReportsAValueTheFormLeavesOut(t *testing.T) {
	m := Mapping{customers.GivenName, customers.EUVat}
	_, errs := m.Row([]string{"Ada", "DE123456789"}).Check(customers.Fields(false), checkNow)
	if want := `Tessera keeps the EU VAT number only for sellers in the EU or the UK. Set its column to "Do not import".`; errs[customers.EUVat] != want {
		t.Errorf("Check = %q", errs)
	}
	if _, errs := m.Row([]string{"Ada", "DE123456789"}).Check(customers.Fields(true), checkNow); len(errs) != 0 {
		t.Errorf("Check with the EU fields = %q", errs)
	}
}
