package index

import (
	"slices"
	"testing"
	"time"
)

func TestLikelyFindsTheSameEmailOrPhoneDigitsOfOneMerchantOnly(t *testing.T) {
	x := newIndex(t)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mustPut(t, x, "M1",
		Customer{ID: "ada", GivenName: "Ada", EmailAddress: "Ada.Lovelace@Example.com", CreatedAt: at, UpdatedAt: at},
		Customer{ID: "grace", GivenName: "Grace", PhoneNumber: "+1 (360) 555-0155", CreatedAt: at, UpdatedAt: at},
		Customer{ID: "none", GivenName: "No contact", CreatedAt: at, UpdatedAt: at},
	)
	mustPut(t, x, "M2", Customer{ID: "other", GivenName: "Ada", EmailAddress: "ada.lovelace@example.com", CreatedAt: at, UpdatedAt: at})
	cases := []struct {
		email, phone string
		want         []string
	}{
		{"ada.lovelace@example.com", "", []string{"ada"}},
		{"", "13605550155", []string{"grace"}},
		{"ADA.LOVELACE@EXAMPLE.COM", "1-360-555-0155", []string{"ada", "grace"}},
		{"", "", nil},
		{"", "155", nil},
		{"someone@example.com", "", nil},
	}
	var contacts []Contact
	for _, tc := range cases {
		contacts = append(contacts, Contact{tc.email, tc.phone})
	}
	found, err := x.Likely(t.Context(), "M1", contacts, 5)
	if err != nil || len(found) != len(cases) {
		t.Fatalf("Likely = %d answers, %v; want one per contact", len(found), err)
	}
	for i, tc := range cases {
		var ids []string
		for _, c := range found[i] {
			ids = append(ids, c.ID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("Likely(%q, %q) = %v, want %v", tc.email, tc.phone, ids, tc.want)
		}
	}
}
