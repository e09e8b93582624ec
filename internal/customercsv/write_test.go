package customercsv

import (
	"bytes"
	"encoding/csv"
	"io"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/square"
)

func TestSafeCellNeutralisesFormulasAndPlainCellUndoesIt(t *testing.T) {
	for _, tc := range []struct{ in, safe string }{
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1 206 555 0100", "'+1 206 555 0100"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"Ada", "Ada"},
		{"", ""},
		{"'tis", "'tis"},
		{"a=b", "a=b"},
		{"'=already", "''=already"},
		{"''@x", "'''@x"},
	} {
		if got := SafeCell(tc.in); got != tc.safe {
			t.Errorf("SafeCell(%q) = %q, want %q", tc.in, got, tc.safe)
		}
		if got := PlainCell(SafeCell(tc.in)); got != tc.in {
			t.Errorf("PlainCell(SafeCell(%q)) = %q", tc.in, got)
		}
	}
	for in, want := range map[string]string{"'": "'", "'tis": "'tis", "'=1": "=1", "''=1": "'=1", "''": "''"} {
		if got := PlainCell(in); got != want {
			t.Errorf("PlainCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSafeCellRoundTrips(f *testing.F) {
	for _, s := range []string{"", "=1", "'=1", "'", "ab", "\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		safe := SafeCell(s)
		if formulaLike(safe) {
			t.Fatalf("SafeCell(%q) = %q starts like a formula", s, safe)
		}
		if got := PlainCell(safe); got != s {
			t.Fatalf("PlainCell(SafeCell(%q)) = %q", s, got)
		}
	})
}

func readAll(t *testing.T, data []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("the file is not CSV: %v\n%s", err, data)
	}
	return recs
}

func column(header string) int {
	for i, c := range Columns {
		if c.Header == header {
			return i
		}
	}
	panic("no column " + header)
}

func TestWriterWritesSquaresColumnsRFC4180(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, Options{})
	full := &square.Customer{
		ID: "CUST1", GivenName: "Zoë", FamilyName: "Müller", EmailAddress: "zoe@example.com", PhoneNumber: "+44 20 7946 0958",
		CompanyName: "Acme, Inc.", Nickname: "Z", ReferenceID: "R-1", Note: "Line one\nsaid \"hi\"",
		Address: &square.Address{AddressLine1: "1 High St", AddressLine2: "Flat 2", Locality: "London", AdministrativeDistrictLevel1: "Greater London",
			PostalCode: "N1 9GU", Country: "GB"},
		Birthday: "1990-05-17", TaxIDs: &square.TaxIDs{EUVat: "GB123456789"},
	}
	noYear := &square.Customer{ID: "CUST2", GivenName: "=cmd|' /C calc'!A0", Birthday: "0000-12-09"}
	for _, cu := range []*square.Customer{full, noYear} {
		if err := w.Write(cu); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if bytes.HasPrefix(data, []byte(BOM)) {
		t.Error("a file without the BOM option starts with one")
	}
	if !bytes.HasSuffix(data, []byte("\r\n")) || bytes.Count(data, []byte("\n")) != bytes.Count(data, []byte("\r\n")) {
		t.Errorf("every line should end in CRLF, as RFC 4180 has it:\n%q", data)
	}
	recs := readAll(t, data)
	if len(recs) != 3 {
		t.Fatalf("%d records, want header + 2", len(recs))
	}
	for i, c := range Columns {
		if recs[0][i] != c.Header {
			t.Errorf("header %d = %q, want %q", i, recs[0][i], c.Header)
		}
	}
	want := map[string]string{
		"Square Customer ID": "CUST1", "First Name": "Zoë", "Last Name": "Müller", "Company Name": "Acme, Inc.",
		"Phone Number": "'+44 20 7946 0958", "Memo": "Line one\nsaid \"hi\"", "Birthday": "1990-05-17",
		"Street Address 1": "1 High St", "Street Address 2": "Flat 2", "City": "London", "State": "Greater London",
		"Postal Code": "N1 9GU", "Country": "GB", "EU VAT Number": "GB123456789", "Reference ID": "R-1", "Nickname": "Z",
		"Email Address": "zoe@example.com",
	}
	for h, v := range want {
		if got := recs[1][column(h)]; got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}
	if got := recs[2][column("Birthday")]; got != "12-09" {
		t.Errorf("a birthday without a year = %q, want 12-09 as Square's importer reads it", got)
	}
	if got := recs[2][column("First Name")]; got != "'=cmd|' /C calc'!A0" {
		t.Errorf("a formula name = %q, want it neutralised", got)
	}
}

// A file Tessera writes reads back, through the importer's own parser and
// mapping, as the customer form's values of the same customer.
func TestWrittenFileReadsBackThroughTheImporter(t *testing.T) {
	cu := &square.Customer{ID: "CUST9", GivenName: "-Dash", FamilyName: "@At", Note: "=1+1\nsecond line", Birthday: "0000-02-29",
		Address: &square.Address{Country: "DE", PostalCode: "10115"}, TaxIDs: &square.TaxIDs{EUVat: "DE123456789"}}
	var buf bytes.Buffer
	w := NewWriter(&buf, Options{BOM: true})
	if err := w.Write(cu); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte(BOM)) {
		t.Fatal("the BOM option wrote no BOM")
	}
	tab, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	m := AutoMap(tab.Header)
	for i, target := range m {
		if target != Columns[i].Target {
			t.Fatalf("AutoMap = %q, want every column mapped to itself", m)
		}
	}
	// Parse has undone the neutralising already.
	row := m.Row(tab.Records[0])
	want := customers.FromSquare(cu, customers.Fields(true))
	if row.SquareID != cu.ID {
		t.Errorf("Square id = %q", row.SquareID)
	}
	for k, v := range want {
		if row.Values[k] != v {
			t.Errorf("%s read back %q, want %q", k, row.Values[k], v)
		}
	}
}

func TestWriterWritesHeaderAloneForNoCustomers(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, Options{})
	if err := w.WriteHeader(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if recs := readAll(t, buf.Bytes()); len(recs) != 1 {
		t.Errorf("%d records, want the header alone", len(recs))
	}
}

func BenchmarkWriter(b *testing.B) {
	cu := &square.Customer{ID: "CUST1", GivenName: "Ada", FamilyName: "Lovelace", EmailAddress: "ada@example.com",
		PhoneNumber: "+1 206 555 0100", Note: "Met at the fair, \"likes tea\"", Address: &square.Address{AddressLine1: "1 Main St", Locality: "Seattle", Country: "US"}}
	w := NewWriter(io.Discard, Options{})
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(cu); err != nil {
			b.Fatal(err)
		}
	}
}
