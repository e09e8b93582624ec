package squarelocal

import (
	mrand "math/rand/v2"
	"time"
)

// seedMerchant describes one demo seller.
type seedMerchant struct {
	BusinessName, Country, Language, Currency string
	LocationName, Locality, Region, Postal    string
	Street, Timezone                          string
}

// seedMerchants are the demo sellers: one in the US and one in the EU, so
// the EU-only VAT id field has a merchant to show on.
var seedMerchants = []seedMerchant{
	{
		BusinessName: "Harbor & Pine Coffee", Country: "US", Language: "en-US", Currency: "USD",
		LocationName: "Harbor & Pine — Pike Street", Street: "1912 Pike Pl", Locality: "Seattle",
		Region: "WA", Postal: "98101", Timezone: "America/Los_Angeles",
	},
	{
		BusinessName: "Lindenhof Bäckerei", Country: "DE", Language: "de-DE", Currency: "EUR",
		LocationName: "Lindenhof — Prenzlauer Berg", Street: "Kastanienallee 12", Locality: "Berlin",
		Region: "Berlin", Postal: "10435", Timezone: "Europe/Berlin",
	},
}

// seedEpoch anchors the demo data's dates so they do not depend on the day
// the emulator starts.
var seedEpoch = time.Date(2023, time.March, 1, 9, 0, 0, 0, time.UTC)

// seed creates the demo merchants, their locations and customers.
func (s *Server) seed() {
	rng := mrand.New(mrand.NewPCG(uint64(s.opts.Seed), 0x5eed))
	for i, def := range seedMerchants {
		created := seedEpoch.AddDate(0, 0, -400*(i+1))
		mID, lID := s.ids.merchant(), s.ids.merchant()
		md := &merchantData{
			Merchant: Merchant{
				ID: mID, BusinessName: def.BusinessName, Country: def.Country, LanguageCode: def.Language,
				Currency: def.Currency, Status: "ACTIVE", MainLocationID: lID, CreatedAt: timestamp(created),
			},
			Locations: []Location{{
				ID: lID, Name: def.LocationName, BusinessName: def.BusinessName, Status: "ACTIVE",
				Country: def.Country, Currency: def.Currency, MerchantID: mID, Timezone: def.Timezone,
				LanguageCode: def.Language, Type: "PHYSICAL", CreatedAt: timestamp(created),
				Capabilities: []string{"CREDIT_CARD_PROCESSING", "AUTOMATIC_TRANSFERS"},
				Address: &Address{
					AddressLine1: def.Street, Locality: def.Locality, AdministrativeDistrictLevel1: def.Region,
					PostalCode: def.Postal, Country: def.Country,
				},
			}},
			customers: newCustomerStore(),
			cardByID:  map[string]*Card{},
		}
		s.merchants = append(s.merchants, md)
		s.byID[mID] = md
		n := s.opts.CustomersPerMerchant
		if i > 0 {
			// The second merchant is smaller, so the two directories are
			// easy to tell apart.
			n /= 3
		}
		if n > 0 {
			s.seedCustomers(md, n, rng)
		}
	}
}
