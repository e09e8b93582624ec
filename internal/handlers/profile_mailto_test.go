package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/square"
)

func TestTheProfilesEmailLinkWritesToTheAddressAndAddsNoHeaders(t *testing.T) {
	e := newCustEnv(t, 0)
	// Square takes this as an email address: one @ after a local part,
	// a dot in what follows.
	const address = "ops?cc=spy@evil.example&body=Wire%20the%20money"
	cu := e.create(square.CreateCustomerRequest{GivenName: "Hostile", EmailAddress: address})
	p := e.b.get("/customers/" + cu.ID)
	expect(t, p, http.StatusOK)
	href, _ := p.testID("detail-email_address").Find("a").Attr("href")
	u, err := url.Parse(href)
	if err != nil || u.Scheme != "mailto" || u.RawQuery != "" || u.Fragment != "" {
		t.Fatalf("GET /customers/%s: email link = %q, want a mailto: URL with no headers (no query)", cu.ID, href)
	}
	if to, err := url.PathUnescape(u.Opaque); err != nil || to != address {
		t.Errorf("GET /customers/%s: email link %q writes to %q, want %q", cu.ID, href, to, address)
	}
}
