package customercsv

import (
	"errors"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/customers"
)

// A file in Square Dashboard's own shape maps itself and reads into the
// customer form's values, birthday split as the form has it.
func TestASquareFileMapsItselfAndReadsIntoFormValues(t *testing.T) {
	file := "\xef\xbb\xbfFirst Name,Last Name,Email Address,Birthday,Square Customer ID\r\n" +
		"Ada,Lovelace,ada@example.com,1815-12-10,CUST1\r\n" +
		"\"Grace \"\"Amazing\"\"\",Hopper,,12-09,\r\n"
	tab, err := Parse([]byte(file))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	if tab.Encoding != UTF8BOM || len(tab.Records) != 2 || tab.Lines[1] != 3 {
		t.Fatalf("Parse = encoding %q, %d records, lines %v; want UTF-8 with BOM, 2, [2 3]", tab.Encoding, len(tab.Records), tab.Lines)
	}
	m := AutoMap(tab.Header)
	want := Mapping{customers.GivenName, customers.FamilyName, customers.EmailAddress, customers.Birthday, TargetSquareID}
	for i := range want {
		if m[i] != want[i] {
			t.Fatalf("AutoMap = %q, want %q", m, want)
		}
	}
	r := m.Row(tab.Records[0])
	if r.SquareID != "CUST1" || r.Values[customers.GivenName] != "Ada" || r.Values[customers.BirthdayYear] != "1815" || r.Values[customers.BirthdayMonth] != "12" {
		t.Errorf("Row = %+v", r)
	}
	if _, errs := m.Row(tab.Records[1]).Check(customers.Fields(false), time.Now()); len(errs) != 0 {
		t.Errorf("Check of a good row = %v, want none", errs)
	}
}

func TestAnEmptyFileSaysSo(t *testing.T) {
	_, err := Parse(nil)
	var e *Error
	if !errors.As(err, &e) || e.Msg != "The file is empty." {
		t.Errorf("Parse(nil) = %v, want The file is empty.", err)
	}
}
