package customercsv

import (
	"slices"
	"strings"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/customers"
)

// Square's own header and the variants people and other tools write map
// themselves, whatever their case, spaces and punctuation.
func TestAutoMapKnowsTheCommonNames(t *testing.T) {
	for want, names := range map[string][]string{
		customers.GivenName:    {"First Name", "first_name", "Given name", "firstname", "FIRST NAME", " First  Name ", "Vorname"},
		customers.FamilyName:   {"Last name", "Surname", "Family name", "last-name", "Nachname"},
		customers.EmailAddress: {"E-mail", "Email", "Email Address", "e_mail_address", "E-mail 1 - Value", "E-Mail-Adresse"},
		customers.PhoneNumber:  {"Phone", "Mobile", "Phone Number", "Telephone", "Tel.", "Mobile Phone", "Telefon"},
		customers.CompanyName:  {"Company", "Company Name", "Organization", "Organisation", "Business name", "Organization Name", "Firma"},
		customers.AddressLine1: {"Address", "Street", "Address 1", "Address line 1", "Street Address 1", "Address1", "Straße"},
		customers.AddressLine2: {"Address 2", "Address line 2", "Street Address 2", "Address2"},
		customers.Locality:     {"City", "Town", "Town/City", "Ort"},
		customers.Region:       {"State", "Province", "Region", "State/Province", "Bundesland"},
		customers.PostalCode:   {"Zip", "ZIP code", "Postcode", "Postal code", "Zip/Postal Code", "PLZ"},
		customers.Country:      {"Country", "Country/Region", "Country Code", "Land"},
		customers.Birthday:     {"Birthday", "Date of birth", "DOB", "D.O.B.", "Birthdate", "Geburtsdatum"},
		customers.Note:         {"Note", "Notes", "Memo", "Comments"},
		customers.ReferenceID:  {"Reference", "Reference ID", "External ID", "Ref"},
		customers.Nickname:     {"Nickname", "Nick name", "Preferred name"},
		customers.EUVat:        {"VAT number", "EU VAT Number", "VAT ID", "USt-IdNr."},
		TargetSquareID:         {"Square Customer ID", "Square ID", "square_customer_id"},
	} {
		for _, n := range names {
			if got := AutoMap([]string{n}); got[0] != want {
				t.Errorf("AutoMap(%q) = %q, want %q", n, got[0], want)
			}
		}
	}
}

// Names that could mean two things stay unmapped rather than wrong.
func TestAutoMapLeavesAmbiguousNamesUnmapped(t *testing.T) {
	for _, n := range []string{"Name", "Full Name", "ID", "Customer ID", "County", "Tax ID", "Title", "Date", "=SUM(A1)", "", "Labels"} {
		if got := AutoMap([]string{n}); got[0] != TargetIgnore {
			t.Errorf("AutoMap(%q) = %q, want it unmapped", n, got[0])
		}
	}
}

// Every name AutoMap knows holds one target only, and the names of
// Square's own columns hold what the export writes there.
func TestAliasesDoNotContradictEachOther(t *testing.T) {
	seen := map[string]string{}
	for _, a := range aliasNames {
		for _, n := range a.names {
			k := normalHeader(n)
			if prev, ok := seen[k]; ok && prev != a.target {
				t.Errorf("%q maps to %q and %q", n, prev, a.target)
			}
			seen[k] = a.target
			if targetLabel(a.target) == "" {
				t.Errorf("%q maps to unknown target %q", n, a.target)
			}
		}
	}
	for _, c := range Columns {
		if prev, ok := seen[normalHeader(c.Header)]; ok && prev != c.Target {
			t.Errorf("Square's %q is %q, but an alias says %q", c.Header, c.Target, prev)
		}
	}
}

// Square's own export maps every column it holds, in Columns' order.
func TestSquaresHeaderMapsItself(t *testing.T) {
	header := make([]string, len(Columns))
	for i, c := range Columns {
		header[i] = c.Header
	}
	m := AutoMap(header)
	for i, c := range Columns {
		if m[i] != c.Target {
			t.Errorf("column %q maps to %q, want %q", c.Header, m[i], c.Target)
		}
	}
	if p := m.Problems(header); len(p) != 0 {
		t.Errorf("Problems = %q", p)
	}
}

func TestAutoMapOfExports(t *testing.T) {
	tests := []struct {
		file string
		want map[string]string // column name → target
	}{
		{"outlook.csv", map[string]string{
			"First Name": customers.GivenName, "Last Name": customers.FamilyName, "Nickname": customers.Nickname,
			"E-mail Address": customers.EmailAddress, "Mobile Phone": customers.PhoneNumber, "Company": customers.CompanyName,
			"Home Street": customers.AddressLine1, "Home City": customers.Locality, "Home State": customers.Region,
			"Home Postal Code": customers.PostalCode, "Home Country/Region": customers.Country,
			"Birthday": customers.Birthday, "Notes": customers.Note,
		}},
		{"google-contacts.csv", map[string]string{
			"First Name": customers.GivenName, "Last Name": customers.FamilyName, "Nickname": customers.Nickname,
			"Organization Name": customers.CompanyName, "Birthday": customers.Birthday, "Notes": customers.Note,
			"E-mail 1 - Value": customers.EmailAddress, "Phone 1 - Value": customers.PhoneNumber,
			"Address 1 - Street": customers.AddressLine1, "Address 1 - Extended Address": customers.AddressLine2,
			"Address 1 - City": customers.Locality, "Address 1 - Region": customers.Region,
			"Address 1 - Postal Code": customers.PostalCode, "Address 1 - Country": customers.Country,
		}},
		{"excel-semicolon-1252.csv", map[string]string{
			"Vorname": customers.GivenName, "Nachname": customers.FamilyName, "E-Mail": customers.EmailAddress,
			"Telefon": customers.PhoneNumber, "Firma": customers.CompanyName, "Straße": customers.AddressLine1,
			"PLZ": customers.PostalCode, "Ort": customers.Locality, "Land": customers.Country,
			"Geburtstag": customers.Birthday, "Notiz": customers.Note,
		}},
		{"mailchimp.tsv", map[string]string{
			"Email Address": customers.EmailAddress, "First Name": customers.GivenName, "Last Name": customers.FamilyName,
			"Address": customers.AddressLine1, "Phone Number": customers.PhoneNumber, "Birthday": customers.Birthday,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tab := parseOrFail(t, corpusFile(t, tt.file))
			m := AutoMap(tab.Header)
			for i, h := range tab.Header {
				if m[i] != tt.want[h] {
					t.Errorf("%q maps to %q, want %q", h, m[i], tt.want[h])
				}
			}
			if p := m.Problems(tab.Header); len(p) != 0 {
				t.Errorf("Problems = %q", p)
			}
		})
	}
}

// Of two columns with one name, the first is mapped; the labels tell them
// apart, and choosing both is a problem that names them.
func TestDuplicateHeaders(t *testing.T) {
	tab := parseOrFail(t, corpusFile(t, "duplicate-headers.csv"))
	m := AutoMap(tab.Header)
	if want := (Mapping{customers.EmailAddress, customers.GivenName, "", ""}); !slices.Equal(m, want) {
		t.Errorf("AutoMap = %q, want %q", m, want)
	}
	if p := m.Problems(tab.Header); len(p) != 0 {
		t.Errorf("Problems = %q, want none", p)
	}
	labels := ColumnLabels(tab.Header)
	if want := []string{"Email (column 1)", "First Name (column 2)", "Email (column 3)", "First Name (column 4)"}; !slices.Equal(labels, want) {
		t.Errorf("ColumnLabels = %q, want %q", labels, want)
	}
	m[2] = customers.EmailAddress
	want := []string{`The columns "Email (column 1)" and "Email (column 3)" are both set to "Email address". Set one of them to "Do not import".`}
	if p := m.Problems(tab.Header); !slices.Equal(p, want) {
		t.Errorf("Problems = %q, want %q", p, want)
	}
}

func TestMappingProblems(t *testing.T) {
	header := []string{"A", "B", "C", ""}
	tests := []struct {
		m    Mapping
		want []string
	}{
		{Mapping{customers.Note, "", "", ""},
			[]string{"Choose a column for the first name, last name, company, email address or phone number: Square needs at least one of them for each customer."}},
		{Mapping{"", "", "", ""},
			[]string{"Choose a column for the first name, last name, company, email address or phone number: Square needs at least one of them for each customer."}},
		{Mapping{customers.PhoneNumber, customers.PhoneNumber, customers.PhoneNumber, "bogus"},
			[]string{`Choose what the column "Column 4" holds from the list.`,
				`The columns "A", "B" and "C" are all set to "Phone number". Set all but one of them to "Do not import".`}},
		{Mapping{customers.CompanyName}, []string{"The choices do not match the file's columns. Choose again what each column holds."}},
		{Mapping{"", customers.CompanyName, TargetSquareID, customers.Birthday}, nil},
	}
	for _, tt := range tests {
		if got := tt.m.Problems(header); !slices.Equal(got, tt.want) {
			t.Errorf("%q.Problems = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestTargetsOfferEveryFieldOnce(t *testing.T) {
	ts := Targets()
	if ts[0] != (Target{TargetIgnore, "Do not import"}) || ts[1] != (Target{TargetSquareID, "Square customer ID"}) {
		t.Errorf("Targets start %v", ts[:2])
	}
	seen := map[string]bool{}
	for _, tg := range ts {
		if seen[tg.Key] {
			t.Errorf("target %q twice", tg.Key)
		}
		seen[tg.Key] = true
	}
	for _, f := range customers.Fields(true) {
		if !seen[f.Key] {
			t.Errorf("field %q is no target", f.Key)
		}
	}
}

// Shopify's and HubSpot's customer exports map their customer columns.
func TestAutoMapOfShopifyAndHubSpot(t *testing.T) {
	tests := []struct {
		header []string
		want   Mapping
	}{
		{[]string{"First Name", "Last Name", "Email", "Accepts Email Marketing", "Company", "Address1", "Address2", "City",
			"Province", "Province Code", "Country", "Country Code", "Zip", "Phone", "Total Spent", "Note", "Tags"},
			Mapping{customers.GivenName, customers.FamilyName, customers.EmailAddress, "", customers.CompanyName,
				customers.AddressLine1, customers.AddressLine2, customers.Locality, customers.Region, "", customers.Country, "",
				customers.PostalCode, customers.PhoneNumber, "", customers.Note, ""}},
		{[]string{"Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name", "Street Address", "City",
			"State/Region", "Postal Code", "Country/Region", "Lifecycle Stage"},
			Mapping{"", customers.GivenName, customers.FamilyName, customers.EmailAddress, customers.PhoneNumber,
				customers.CompanyName, customers.AddressLine1, customers.Locality, customers.Region, customers.PostalCode,
				customers.Country, ""}},
	}
	for _, tt := range tests {
		if got := AutoMap(tt.header); !slices.Equal(got, tt.want) {
			t.Errorf("AutoMap(%q) =\n%q, want\n%q", tt.header, got, tt.want)
		}
	}
}

// A file without a header row would lose its first customer: Problems
// says so.
func TestAFirstRowThatIsACustomerIsAProblem(t *testing.T) {
	for _, header := range [][]string{{"Ada", "Lovelace", "ada@example.com"}, {"Grace", "+1 206 555 0100"}} {
		p := AutoMap(header).Problems(header)
		if len(p) == 0 || !strings.HasPrefix(p[0], "The first row looks like a customer (it holds ") {
			t.Errorf("Problems(%q) = %q", header, p)
		}
	}
	for _, header := range [][]string{{"Email Address", "E-mail 1 - Value", "Phone 1 - Value", "Address line 2"}} {
		if p := AutoMap(header).Problems(header); len(p) != 0 {
			t.Errorf("Problems(%q) = %q", header, p)
		}
	}
}
