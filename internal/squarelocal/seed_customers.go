package squarelocal

import (
	"cmp"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Demo customers, groups and cards. Everything comes from the rng handed in
// (and the id source), so a seed gives the same directory on every start.
// The data is varied on purpose: names from many cultures, some with
// accents and apostrophes; profiles with only a company, only an email or
// only a phone; a few invisible profiles (none of the five identifying
// fields); and a few with hostile-looking text so the UI's escaping is
// exercised. Seeding builds the whole list and sorts it once.

// seedLocale is what a country's demo customers are made of.
type seedLocale struct {
	given, family []string
	domains       []string
	companies     []string
	notes         []string
	groups        []string
	streets       []string
	places        []seedPlace
	// streetFirst writes the house number after the street, as in Germany.
	streetFirst bool
	unit        []string
	phone       func(rng *mrand.Rand) string
	brands      []string
	vat         bool
}

type seedPlace struct {
	locality, region string
	postal           []string
}

var seedLocaleUS = &seedLocale{
	given: []string{"James", "Maria", "Wei", "Aisha", "Carlos", "Priya", "Steven", "Olivia", "Mohammed", "Sofia",
		"Kenji", "Fatima", "Liam", "Ngozi", "Hannah", "Diego", "Mei", "Omar", "Grace", "Jamal", "Elena", "Hiroshi",
		"Chloé", "Mateo", "Zoë", "Kwame", "Anika", "Noah", "Isabella", "Dmitri", "Amara", "Lucas", "Yuki", "Rahul",
		"Sarah", "Miguel", "Leilani", "Tomasz", "Ava", "Jin-woo", "Aroha", "Emily", "Daniel", "Nour", "Santiago",
		"Ingrid", "Tariq", "Camila", "Benjamin", "Thandiwe", "Ethan", "Lucía", "Arjun", "Siobhan", "Malik", "Hana",
		"Gabriel", "Esther", "Ravi", "Marisol", "Connor", "Adaeze", "Bao", "Chayton", "Freya", "José"},
	family: []string{"Smith", "Johnson", "Garcia", "Nguyen", "Kim", "Patel", "Chen", "Okafor", "Williams",
		"Rodriguez", "Hernández", "Müller", "O'Brien", "Tanaka", "Kowalski", "Rossi", "Haddad", "Cohen", "Mensah",
		"Silva", "Ivanova", "Wang", "Singh", "Dubois", "van der Berg", "MacDonald", "Yilmaz", "Johansson", "Brown",
		"Lee", "Martinez", "Davis", "Nakamura", "Abdullah", "Kaur", "Osei", "Petrov", "Lopez", "Anderson",
		"Thompson", "Begay", "Kealoha", "Fernández", "Novak", "Ali", "Jones", "Miller", "Wilson", "Clark",
		"Walker", "Young", "Park", "Choi", "Alvarez", "Ramos", "Gupta", "Mwangi", "Adeyemi", "Sato", "Larsen"},
	domains: []string{"gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "icloud.com",
		"hotmail.com", "aol.com", "proton.me", "comcast.net", "fastmail.com"},
	companies: []string{"Emerald City Events", "Northwind Traders", "Ballard Bike Works", "Salish Sea Outfitters",
		"Capitol Hill Yoga", "Fremont Design Studio", "Rainier Catering Co.", "Cascade Tech LLC",
		"Pike Place Florals", "Queen Anne Dental Group", "Puget Sound Realty", "Georgetown Brewing Supply"},
	notes: []string{"Prefers oat milk.", "Regular: large drip, no room.", "Allergic to tree nuts.",
		"Ask about the loyalty card.", "Wholesale account; invoices net 30.", "Birthday treat on the house.",
		"Prefers email over phone.", "Picks up orders on Fridays.", "Catering contact for the office.",
		"Gluten-free.", "Brings a reusable cup.", "Tips generously, remembers everyone's name."},
	groups: []string{"VIP", "Wholesale", "Newsletter", "Staff", "Catering"},
	streets: []string{"Pine St", "Pike St", "Broadway E", "Rainier Ave S", "NE 45th St", "Aurora Ave N",
		"Market St NW", "California Ave SW", "Fremont Ave N", "Queen Anne Ave N", "15th Ave E", "Beacon Ave S",
		"Holman Rd NW", "Greenwood Ave N", "Roosevelt Way NE", "Bellevue Way NE", "Pacific Ave"},
	places: []seedPlace{
		{"Seattle", "WA", []string{"98101", "98102", "98103", "98105", "98107", "98109", "98112", "98115", "98118", "98122", "98144"}},
		{"Bellevue", "WA", []string{"98004", "98005", "98006"}},
		{"Tacoma", "WA", []string{"98402", "98403", "98405"}},
		{"Redmond", "WA", []string{"98052"}},
		{"Kirkland", "WA", []string{"98033", "98034"}},
		{"Everett", "WA", []string{"98201"}},
	},
	unit:   []string{"Apt 4B", "Unit 12", "Suite 300", "Apt 2", "#507"},
	brands: []string{"VISA", "VISA", "VISA", "MASTERCARD", "MASTERCARD", "AMERICAN_EXPRESS", "DISCOVER"},
	phone: func(rng *mrand.Rand) string {
		area := []string{"206", "206", "206", "425", "253", "360", "509", "415", "212", "503"}[rng.IntN(10)]
		line := rng.IntN(100) // 555-0100 to 555-0199 is the range set aside for fiction
		switch rng.IntN(5) {
		case 0:
			return fmt.Sprintf("(%s) 555-01%02d", area, line)
		case 1:
			return fmt.Sprintf("%s-555-01%02d", area, line)
		case 2:
			return fmt.Sprintf("+1%s55501%02d", area, line)
		case 3:
			return fmt.Sprintf("%s.555.01%02d", area, line)
		default:
			return fmt.Sprintf("+1 %s-555-01%02d", area, line)
		}
	},
}

var seedLocaleDE = &seedLocale{
	given: []string{"Lukas", "Anna", "Felix", "Marie", "Jonas", "Sophie", "Leon", "Emma", "Paul", "Mia", "Elias",
		"Hannah", "Ben", "Lea", "Maximilian", "Lina", "Finn", "Clara", "Noah", "Ida", "Mehmet", "Ayşe", "Yusuf",
		"Elif", "Katarzyna", "Piotr", "Dimitri", "Olga", "Giulia", "Marco", "Fatma", "Ali", "Jürgen", "Ursula",
		"Klaus", "Birgit", "Sven", "Jana", "Tobias", "Charlotte", "Zoë", "Amadou", "Nguyen Thi", "Søren"},
	family: []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
		"Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
		"Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Yılmaz", "Kaya", "Demir", "Nowak",
		"Kowalczyk", "Rossi", "Popescu", "Ivanov", "Nguyen", "Papadopoulos", "Öztürk", "Lehmann", "Köhler",
		"Vogel", "Jäger", "Diallo", "von Arnim"},
	domains: []string{"gmx.de", "gmx.de", "web.de", "web.de", "t-online.de", "gmail.com", "gmail.com",
		"posteo.de", "outlook.de", "mailbox.org"},
	companies: []string{"Kiezladen GmbH", "Prenzlauer Bio-Markt", "Spree Catering UG", "Mauerpark Events",
		"Café Kollwitz", "Buchhandlung am Platz", "Hotel Kastanienhof", "Kita Sonnenschein e.V.",
		"Weinhandlung Schäfer & Söhne", "Feinkost Öztürk"},
	notes: []string{"Bestellt jeden Samstag zwei Roggenbrote.", "Glutenfrei.", "Rechnung per E-Mail.",
		"Stammkunde seit der Eröffnung.", "Nussallergie!", "Holt Torten immer freitags ab.",
		"Möchte keine Werbung per Post.", "Lieferung an den Hintereingang."},
	groups: []string{"Stammkunden", "Großhandel", "Newsletter", "Mitarbeiter"},
	streets: []string{"Kastanienallee", "Schönhauser Allee", "Torstraße", "Kollwitzstraße", "Oranienstraße",
		"Bergmannstraße", "Karl-Marx-Allee", "Sonnenallee", "Friedrichstraße", "Danziger Straße",
		"Prenzlauer Allee", "Warschauer Straße"},
	places: []seedPlace{
		{"Berlin", "Berlin", []string{"10115", "10117", "10243", "10247", "10405", "10435", "10437", "10961", "10999", "12043"}},
		{"Potsdam", "Brandenburg", []string{"14467", "14469"}},
	},
	streetFirst: true,
	unit:        []string{"Hinterhaus", "2. OG", "Aufgang B", "c/o Schmidt"},
	brands:      []string{"VISA", "VISA", "MASTERCARD", "MASTERCARD", "MASTERCARD", "AMERICAN_EXPRESS"},
	vat:         true,
	phone: func(rng *mrand.Rand) string {
		switch rng.IntN(4) {
		case 0:
			return fmt.Sprintf("+49 30 %08d", 20000000+rng.IntN(9999999))
		case 1:
			return fmt.Sprintf("030 %07d", 2000000+rng.IntN(999999))
		case 2:
			return fmt.Sprintf("+49 151 %08d", rng.IntN(100000000))
		default:
			return fmt.Sprintf("0176 %08d", rng.IntN(100000000))
		}
	},
}

func localeFor(country string) *seedLocale {
	if country == "DE" {
		return seedLocaleDE
	}
	return seedLocaleUS
}

// seedSources weights creation sources as a directory that grew from the
// point of sale, appointments and the online store would have them.
var seedSources = []struct {
	source string
	weight int
}{
	{"DIRECTORY", 30}, {"THIRD_PARTY", 14}, {"APPOINTMENTS", 12}, {"ONLINE_STORE", 10}, {"LOYALTY", 8},
	{"IMPORT", 6}, {"INVOICES", 4}, {"EMAIL_COLLECTION", 4}, {"INSTANT_PROFILE", 4}, {"TERMINAL", 3},
	{"FEEDBACK", 1}, {"EGIFTING", 1}, {"COUPON", 1}, {"MARKETING", 1}, {"OTHER", 1}, {"THIRD_PARTY_IMPORT", 1},
}

func pickSource(rng *mrand.Rand) string {
	total := 0
	for _, s := range seedSources {
		total += s.weight
	}
	n := rng.IntN(total)
	for _, s := range seedSources {
		if n < s.weight {
			return s.source
		}
		n -= s.weight
	}
	return "OTHER"
}

func pick[T any](rng *mrand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// asciiFold makes a name usable in an email address.
var asciiFold = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "ae", "Ö", "oe", "Ü", "ue", "ß", "ss",
	"é", "e", "è", "e", "ë", "e", "á", "a", "í", "i", "ó", "o", "ú", "u", "ñ", "n", "ç", "c", "ş", "s", "ı", "i",
	"ğ", "g", "ł", "l", "ø", "o", "å", "a", "Ø", "o", "Ş", "s", "Ç", "c")

func emailPart(name string) string {
	s := strings.ToLower(asciiFold.Replace(name))
	return strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, s)
}

// Seeded timestamps spread over about three years before seedEpoch and two
// months after it.
const (
	seedSpanBefore = 3 * 365 * 24 * time.Hour
	seedSpanAfter  = 60 * 24 * time.Hour
)

func seedTime(rng *mrand.Rand, from time.Time) time.Time {
	end := seedEpoch.Add(seedSpanAfter)
	span := end.Sub(from)
	if span <= 0 {
		return from
	}
	return from.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Millisecond)
}

// seedCustomers gives md n demo customers, its groups, and cards on file
// for about 15% of the customers.
func (s *Server) seedCustomers(md *merchantData, n int, rng *mrand.Rand) {
	loc := localeFor(md.Merchant.Country)
	st := md.customers
	st.country = md.Merchant.Country // seeding runs alone, before any request

	groupIDs := make([]string, len(loc.groups))
	for i, name := range loc.groups {
		at := timestamp(seedEpoch.Add(-seedSpanBefore).Add(time.Duration(i) * 24 * time.Hour))
		g := &CustomerGroup{ID: s.ids.customer(), Name: name, CreatedAt: at, UpdatedAt: at}
		md.groups = append(md.groups, g)
		groupIDs[i] = g.ID
	}

	customers := make([]*Customer, 0, n)
	var cards []*Card
	for i := range n {
		c := s.seedCustomer(md, loc, rng, i)
		c.GroupIDs = seedMemberships(rng, c, groupIDs)
		customers = append(customers, c)
		if c.Visible() && rng.IntN(100) < 15 {
			cards = append(cards, s.seedCard(md, loc, rng, c))
			if rng.IntN(10) < 3 {
				cards = append(cards, s.seedCard(md, loc, rng, c))
			}
		}
	}
	st.load(customers)

	// md.cards is in creation order, which the Cards API lists by.
	slices.SortStableFunc(cards, func(a, b *Card) int { return cmp.Compare(a.CreatedAt, b.CreatedAt) })
	for _, c := range cards {
		md.addCard(c)
	}
}

// seedCustomer makes the i-th demo customer.
func (s *Server) seedCustomer(md *merchantData, loc *seedLocale, rng *mrand.Rand, i int) *Customer {
	created := seedTime(rng, seedEpoch.Add(-seedSpanBefore))
	c := &Customer{
		ID:             s.ids.customer(),
		CreatedAt:      timestamp(created),
		CreationSource: pickSource(rng),
		Preferences:    &Preferences{},
	}
	given, family := pick(rng, loc.given), pick(rng, loc.family)
	switch kind := rng.IntN(1000); {
	case i == 7 || kind < 3:
		// Invisible: none of the five identifying fields.
		c.ReferenceID = fmt.Sprintf("IMP-%05d", rng.IntN(100000))
		c.Note = "Imported without contact details."
	case kind < 30:
		// A business with only its name.
		c.CompanyName = pick(rng, loc.companies)
	case kind < 45:
		c.EmailAddress = fmt.Sprintf("%s%d@%s", emailPart(given), rng.IntN(100), pick(rng, loc.domains))
	case kind < 55:
		c.PhoneNumber = loc.phone(rng)
	case kind < 60:
		c.GivenName = given // a walk-in who gave a first name only
	default:
		c.GivenName, c.FamilyName = given, family
		if rng.IntN(100) < 85 {
			c.EmailAddress = seedEmail(rng, loc, given, family)
		}
		if rng.IntN(100) < 70 {
			c.PhoneNumber = loc.phone(rng)
		}
		if rng.IntN(100) < 6 {
			c.CompanyName = pick(rng, loc.companies)
		}
		if rng.IntN(100) < 8 {
			c.Nickname = pick(rng, []string{"Jimmy", "Bea", "Sunny 🌻", "Doc", "Kiki", "Max", "Lu"})
		}
		if rng.IntN(100) < 60 {
			c.Address = seedAddress(rng, loc, md.Merchant.Country)
		}
		switch b := rng.IntN(100); {
		case b < 45:
			c.Birthday = time.Date(1940+rng.IntN(68), 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365)).Format("2006-01-02")
		case b < 60:
			c.Birthday = "0000-" + time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(366)).Format("01-02")
		}
	}
	if c.CompanyName != "" && loc.vat && rng.IntN(100) < 60 {
		c.TaxIDs = &TaxIDs{EuVat: fmt.Sprintf("DE%09d", rng.IntN(1000000000))}
	}
	if c.Visible() {
		if rng.IntN(100) < 30 {
			c.ReferenceID = fmt.Sprintf("LOY-%05d", rng.IntN(100000))
		}
		if rng.IntN(100) < 25 {
			c.Note = pick(rng, loc.notes)
		}
		if c.EmailAddress != "" && rng.IntN(100) < 4 {
			c.Preferences.EmailUnsubscribed = true
		}
	}
	switch i {
	case 3:
		c.Note = "<script>alert(1)</script>"
	case 5:
		c.CompanyName = `"><img src=x onerror=alert(1)>`
	case 11:
		c.GivenName, c.FamilyName = "Robert'); DROP TABLE customers;--", "{{.Secret}} ${7*7}"
	}
	switch v := rng.IntN(100); {
	case v < 55:
		c.Version = 0
	case v < 80:
		c.Version = 1
	case v < 92:
		c.Version = 2
	default:
		c.Version = 3
	}
	c.UpdatedAt = c.CreatedAt
	if c.Version > 0 {
		c.UpdatedAt = timestamp(seedTime(rng, created))
	}
	return c
}

func seedEmail(rng *mrand.Rand, loc *seedLocale, given, family string) string {
	g, f := emailPart(given), emailPart(family)
	domain := pick(rng, loc.domains)
	switch rng.IntN(6) {
	case 0:
		return g + "." + f + "@" + domain
	case 1:
		return g + f + "@" + domain
	case 2:
		return g[:1] + "." + f + "@" + domain
	case 3:
		return g + "_" + f + "@" + domain
	case 4:
		return f + "." + g + "@" + domain
	default:
		return fmt.Sprintf("%s%d@%s", g, 1960+rng.IntN(50), domain)
	}
}

func seedAddress(rng *mrand.Rand, loc *seedLocale, country string) *Address {
	place := pick(rng, loc.places)
	street, num := pick(rng, loc.streets), 1+rng.IntN(180)
	a := &Address{
		Locality:                     place.locality,
		AdministrativeDistrictLevel1: place.region,
		PostalCode:                   pick(rng, place.postal),
		Country:                      country,
	}
	if loc.streetFirst {
		a.AddressLine1 = fmt.Sprintf("%s %d", street, num)
	} else {
		a.AddressLine1 = fmt.Sprintf("%d %s", 100+num*37, street)
	}
	if rng.IntN(100) < 20 {
		a.AddressLine2 = pick(rng, loc.unit)
	}
	return a
}

// seedMemberships puts a customer into the merchant's groups. The group
// lists of both locales are ordered alike: a "best customers" group, a
// wholesale group, a newsletter, staff, then any others.
func seedMemberships(rng *mrand.Rand, c *Customer, groupIDs []string) []string {
	var ids []string
	join := func(g int, percent int) {
		if g < len(groupIDs) && rng.IntN(100) < percent {
			ids = append(ids, groupIDs[g])
		}
	}
	if !c.Visible() {
		return nil
	}
	join(0, 6)
	if c.CompanyName != "" {
		join(1, 70)
	} else {
		join(1, 1)
	}
	if c.EmailAddress != "" && !c.Preferences.EmailUnsubscribed {
		join(2, 30)
	}
	join(3, 1)
	join(4, 2)
	return ids
}

var seedBins = map[string][]string{
	"VISA":             {"411111", "424242", "453201", "476173"},
	"MASTERCARD":       {"510510", "555555", "522222"},
	"AMERICAN_EXPRESS": {"378282", "371449"},
	"DISCOVER":         {"601100", "601111"},
}

const fingerprintAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// seedCard makes a card on file for c, created after c.
func (s *Server) seedCard(md *merchantData, loc *seedLocale, rng *mrand.Rand, c *Customer) *Card {
	brand := pick(rng, loc.brands)
	created := seedTime(rng, time.Unix(0, parseStamp(c.CreatedAt)).UTC())
	fp := make([]byte, 43)
	for i := range fp {
		fp[i] = fingerprintAlphabet[rng.IntN(len(fingerprintAlphabet))]
	}
	name := strings.TrimSpace(c.GivenName + " " + c.FamilyName)
	if name == "" {
		name = c.CompanyName
	}
	postal := pick(rng, pick(rng, loc.places).postal)
	if c.Address != nil && c.Address.PostalCode != "" {
		postal = c.Address.PostalCode
	}
	card := &Card{
		ID:             s.ids.card(),
		CardBrand:      brand,
		Last4:          fmt.Sprintf("%04d", rng.IntN(10000)),
		ExpMonth:       int64(1 + rng.IntN(12)),
		ExpYear:        int64(2024 + rng.IntN(9)),
		CardholderName: name,
		BillingAddress: &Address{PostalCode: postal, Country: md.Merchant.Country},
		Fingerprint:    "sq-1-" + string(fp),
		CustomerID:     c.ID,
		MerchantID:     md.Merchant.ID,
		Enabled:        true,
		CardType:       pick(rng, []string{"CREDIT", "CREDIT", "DEBIT"}),
		PrepaidType:    "NOT_PREPAID",
		Bin:            pick(rng, seedBins[brand]),
		Version:        1,
		CreatedAt:      timestamp(created),
	}
	if rng.IntN(100) < 8 {
		card.ExpYear = int64(2020 + rng.IntN(4)) // expired
	}
	if rng.IntN(100) < 5 {
		card.Enabled = false
		card.Version = 2
		card.DisabledAt = timestamp(seedTime(rng, created))
	}
	return card
}
