package customercsv

import "github.com/tessera-dashboard/tessera/internal/customers"

// alias is a column name AutoMap knows: the target it holds, and its rank
// among the names of that target (0 best), which settles which column wins
// when a file has several (Outlook has a home, a business and a mobile
// phone).
type alias struct {
	target string
	rank   int
}

// aliasNames are the column names AutoMap knows besides Square's own
// (Columns, rank 0), by target and rank. They come from the exports people
// bring: spreadsheets typed by hand, Google Sheets and Google Contacts,
// Outlook, Mailchimp, Shopify and HubSpot, and the German Excel files of
// European sellers. They are compared as normalHeader writes them, so
// "E-mail", "email" and "EMAIL" are one entry. Names that could mean two
// things are left out on purpose: "Name" and "Full Name" (Tessera does not
// split names), "ID" and "Customer ID" (whose id?), "County" (a region in
// the UK, less than one in the US), "Tax ID" (not only an EU VAT number).
var aliasNames = []struct {
	target string
	rank   int
	names  []string
}{
	{customers.GivenName, 1, []string{"First Name", "First", "Firstname", "Given Name", "Given", "Forename", "First_Name",
		"Customer First Name", "Contact First Name", "Billing First Name", "Vorname", "Prénom", "Voornaam", "Nombre"}},
	{customers.FamilyName, 1, []string{"Last Name", "Last", "Lastname", "Surname", "Family Name", "Customer Last Name",
		"Contact Last Name", "Billing Last Name", "Nachname", "Familienname", "Achternaam", "Apellido", "Apellidos"}},
	{customers.Nickname, 1, []string{"Nickname", "Nick Name", "Preferred Name", "Known As", "Spitzname"}},
	{customers.CompanyName, 1, []string{"Company", "Company Name", "Organization", "Organisation", "Organization Name",
		"Organisation Name", "Organization 1 - Name", "Business", "Business Name", "Firma", "Firmenname", "Unternehmen",
		"Default Address Company", "Address 1 - Company"}},
	{customers.EmailAddress, 1, []string{"Email", "E-mail", "Email Address", "E-mail Address", "Mail", "E-Mail-Adresse",
		"Email 1", "E-mail 1 - Value", "Primary Email", "Customer Email", "Contact Email", "Billing Email"}},
	{customers.EmailAddress, 2, []string{"Home Email", "Personal Email", "Work Email", "Business Email", "Email 2", "E-mail 2 Address", "E-mail 2 - Value"}},
	{customers.PhoneNumber, 1, []string{"Phone", "Phone Number", "Telephone", "Telephone Number", "Tel", "Phone 1 - Value",
		"Customer Phone", "Contact Phone", "Billing Phone", "Telefon", "Telefonnummer", "Téléphone", "Telefoon"}},
	{customers.PhoneNumber, 2, []string{"Mobile", "Mobile Phone", "Mobile Number", "Cell", "Cell Phone", "Cellphone",
		"Mobile Phone Number", "Primary Phone", "Handy", "Mobil", "Mobiltelefon"}},
	{customers.PhoneNumber, 3, []string{"Home Phone", "Phone 2 - Value", "Default Address Phone"}},
	{customers.PhoneNumber, 4, []string{"Business Phone", "Work Phone", "Other Phone"}},
	{customers.AddressLine1, 1, []string{"Address", "Street", "Street Address", "Address 1", "Address1", "Address Line 1",
		"Addr1", "Street 1", "Street Line 1", "Address 1 - Street", "Default Address Address1", "Billing Address 1",
		"Straße", "Strasse", "Adresse", "Anschrift"}},
	{customers.AddressLine1, 2, []string{"Home Street", "Mailing Street"}},
	{customers.AddressLine1, 3, []string{"Business Street"}},
	{customers.AddressLine2, 1, []string{"Address 2", "Address2", "Address Line 2", "Addr2", "Street 2", "Street Line 2",
		"Street Address 2", "Apartment", "Apt", "Suite", "Address 1 - Extended Address", "Default Address Address2",
		"Billing Address 2", "Adresszusatz"}},
	{customers.AddressLine2, 2, []string{"Home Street 2"}},
	{customers.AddressLine2, 3, []string{"Business Street 2"}},
	{customers.Locality, 1, []string{"City", "Town", "Town/City", "City/Town", "Locality", "Address 1 - City",
		"Default Address City", "Billing City", "Ort", "Stadt", "Wohnort", "Ville", "Plaats", "Ciudad"}},
	{customers.Locality, 2, []string{"Home City", "Mailing City"}},
	{customers.Locality, 3, []string{"Business City"}},
	{customers.Region, 1, []string{"State", "Province", "Region", "State/Province", "State/Region", "Province/State",
		"State or Province", "State/Province/Region", "Address 1 - Region", "Default Address Province", "Billing State",
		"Bundesland", "Administrative District Level 1"}},
	{customers.Region, 2, []string{"Home State", "Mailing State", "State Code", "Province Code", "Default Address Province Code"}},
	{customers.Region, 3, []string{"Business State"}},
	{customers.PostalCode, 1, []string{"Zip", "Zip Code", "Zipcode", "ZIP/Postal Code", "Postal/Zip Code", "Postcode",
		"Post Code", "Postal Code", "Postal", "Address 1 - Postal Code", "Default Address Zip", "Billing Zip", "PLZ",
		"Postleitzahl", "Code Postal", "Código Postal"}},
	{customers.PostalCode, 2, []string{"Home Postal Code", "Home Zip", "Mailing Zip", "Mailing Postal Code"}},
	{customers.PostalCode, 3, []string{"Business Postal Code", "Business Zip"}},
	// Row reads a country's English name as its code.
	{customers.Country, 1, []string{"Country Code", "Country", "Country/Region", "Address 1 - Country",
		"Default Address Country Code", "Billing Country", "Land", "Pays", "País"}},
	{customers.Country, 2, []string{"Home Country/Region", "Home Country", "Mailing Country", "Default Address Country"}},
	{customers.Country, 3, []string{"Business Country/Region", "Business Country"}},
	{customers.Birthday, 1, []string{"Birthday", "Birth Date", "Birthdate", "Date of Birth", "DOB", "D.O.B.", "Born",
		"Geburtstag", "Geburtsdatum", "Anniversaire", "Date de naissance", "Fecha de nacimiento"}},
	{customers.ReferenceID, 1, []string{"Reference", "Reference ID", "Reference Number", "Ref", "Ref ID", "External ID",
		"External Reference", "Customer Reference", "Kundennummer"}},
	{customers.Note, 1, []string{"Note", "Notes", "Memo", "Comment", "Comments", "Notiz", "Notizen", "Bemerkung", "Remarks"}},
	{customers.EUVat, 1, []string{"VAT", "VAT Number", "VAT No", "VAT ID", "VAT Reg No", "VAT Registration Number",
		"EU VAT", "EU VAT Number", "EU VAT ID", "USt-IdNr", "USt-ID", "Umsatzsteuer-ID", "TVA", "Numéro de TVA", "BTW-nummer"}},
	{TargetSquareID, 1, []string{"Square Customer ID", "Square ID", "Square Customer Id"}},
}

// aliases are every known name, normalised, with Square's own at rank 0.
var aliases = func() map[string]alias {
	m := map[string]alias{}
	for _, a := range aliasNames {
		for _, n := range a.names {
			m[normalHeader(n)] = alias{a.target, a.rank}
		}
	}
	for _, c := range Columns {
		m[normalHeader(c.Header)] = alias{c.Target, 0}
	}
	return m
}()

// aliasFor is what a column name holds, if AutoMap knows it.
func aliasFor(header string) (alias, bool) {
	a, ok := aliases[normalHeader(header)]
	return a, ok
}
