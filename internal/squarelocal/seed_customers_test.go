package squarelocal

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// firstPage lists the first page of a server's first merchant, without the
// cursor (cursors are sealed with a per-server key).
func firstPage(t *testing.T, s *Server, query string) string {
	t.Helper()
	e := &testEnv{s: s, a: s.Merchants()[0]}
	e.tokA = s.MintAccessToken(e.a.ID)
	_, body := e.do(t, "GET", "/v2/customers?"+query, e.tokA, nil)
	p := decodeAs[pageResp](t, body)
	return string(must(json.Marshal(p.Customers)))
}

func TestSeedIsDeterministic(t *testing.T) {
	for _, q := range []string{"limit=50", "limit=50&sort_field=CREATED_AT&sort_order=DESC"} {
		a := firstPage(t, New(Options{CustomersPerMerchant: 200, Seed: 7}), q)
		b := firstPage(t, New(Options{CustomersPerMerchant: 200, Seed: 7}), q)
		c := firstPage(t, New(Options{CustomersPerMerchant: 200, Seed: 8}), q)
		if a != b {
			t.Errorf("ListCustomers(%s) of two servers with seed 7 differ:\n%s\n%s", q, a, b)
		}
		if a == c {
			t.Errorf("ListCustomers(%s) of seeds 7 and 8 are equal, want different data", q)
		}
	}
}

func TestSeedMakesValidVariedCustomers(t *testing.T) {
	s := New(Options{CustomersPerMerchant: 2000})
	for _, md := range s.merchants {
		st := md.customers
		var (
			sources                                                                       = map[string]int{}
			companyOnly, onlyOne, invisible, withYear, withoutYear, unsubscribed, hostile int
			versions                                                                      = map[int64]int{}
			withCards                                                                     = map[string]bool{}
		)
		for _, rec := range st.byID {
			c := rec.c
			sources[c.CreationSource]++
			versions[c.Version]++
			if !c.Visible() {
				invisible++
				continue
			}
			if e := validateCustomer(c); e != nil {
				t.Errorf("seeded customer %+v fails validation: %v", *c, e.Errors)
			}
			n := 0
			for _, f := range []string{c.GivenName, c.FamilyName, c.CompanyName, c.EmailAddress, c.PhoneNumber} {
				if f != "" {
					n++
				}
			}
			if n == 1 {
				onlyOne++
				if c.CompanyName != "" {
					companyOnly++
				}
			}
			switch {
			case strings.HasPrefix(c.Birthday, "0000-"):
				withoutYear++
			case c.Birthday != "":
				withYear++
			}
			if c.Preferences.EmailUnsubscribed {
				unsubscribed++
			}
			if strings.Contains(c.Note+c.CompanyName, "<") {
				hostile++
			}
			if c.CreatedAt > c.UpdatedAt || (c.Version == 0 && c.CreatedAt != c.UpdatedAt) {
				t.Errorf("seeded customer %s has created_at %s updated_at %s version %d", c.ID, c.CreatedAt, c.UpdatedAt, c.Version)
			}
			if c.Address != nil && c.Address.Country != md.Merchant.Country {
				t.Errorf("seeded customer %s lives in %s, want the merchant's country %s", c.ID, c.Address.Country, md.Merchant.Country)
			}
			if c.TaxIDs != nil && !md.keepsTaxIDs() {
				t.Errorf("seeded customer %s of a %s seller has tax_ids", c.ID, md.Merchant.Country)
			}
		}
		for _, card := range md.cards {
			withCards[card.CustomerID] = true
			if st.get(card.CustomerID) == nil || card.MerchantID != md.Merchant.ID || card.Last4 == "" || card.Bin == "" || card.Version < 1 {
				t.Errorf("seeded card %+v is not a card of one of the merchant's customers", *card)
			}
			if card.Enabled == (card.DisabledAt != "") {
				t.Errorf("seeded card %s has enabled %v and disabled_at %q", card.ID, card.Enabled, card.DisabledAt)
			}
		}
		if !slices.IsSortedFunc(md.cards, func(a, b *Card) int { return strings.Compare(a.CreatedAt, b.CreatedAt) }) {
			t.Errorf("seeded cards of %s are not in creation order", md.Merchant.Country)
		}
		total := len(st.byID)
		checks := []struct {
			what     string
			got, min int
		}{
			{"creation sources", len(sources), 8},
			{"profiles with one identifying field", onlyOne, 5},
			{"company-only profiles", companyOnly, 2},
			{"invisible profiles", invisible, 1},
			{"birthdays with a year", withYear, total / 10},
			{"birthdays without a year", withoutYear, total / 40},
			{"unsubscribed customers", unsubscribed, 3},
			{"hostile-looking profiles", hostile, 2},
			{"versions", len(versions), 4},
			{"customers with cards", len(withCards), total / 10},
			{"groups", len(md.groups), 4},
		}
		for _, c := range checks {
			if c.got < c.min {
				t.Errorf("seed of %s (%d customers) has %d %s, want at least %d", md.Merchant.Country, total, c.got, c.what, c.min)
			}
		}
		if len(withCards) > total/4 || len(md.groups) > 6 {
			t.Errorf("seed of %s has %d customers with cards and %d groups, want about 15%% and at most 6", md.Merchant.Country, len(withCards), len(md.groups))
		}
	}
}
