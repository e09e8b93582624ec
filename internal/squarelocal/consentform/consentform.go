// Package consentform answers squarelocal's consent page the way a person
// does, for the programs and tests that sign in to Tessera without a
// browser: the load test, the Lighthouse runner and the handler tests.
// The page is the emulator's own (internal/squarelocal), so its shape is
// known; what is read here is what a person sees: the merchants offered,
// the hidden fields the form carries and the decision buttons.
package consentform

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/PuerkitoBio/goquery"
)

// The decisions the page offers.
const (
	Allow = "allow"
	Deny  = "deny"
)

// Answer returns where to post the consent form on page (the URL it was
// loaded from) and the values that give decision for the merchant at
// index merchant (taken modulo the number offered, so that callers can
// spread sessions over the merchants).
func Answer(doc *goquery.Document, page *url.URL, merchant int, decision string) (*url.URL, url.Values, error) {
	form := doc.Find(`[data-testid="consent"] form`)
	if form.Length() != 1 {
		return nil, nil, fmt.Errorf("the consent page has %d forms, want 1", form.Length())
	}
	values := url.Values{}
	form.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		values.Set(name, value)
	})
	radios := form.Find(`input[name="merchant_id"]`)
	if radios.Length() == 0 {
		return nil, nil, errors.New("the consent page offers no merchant")
	}
	if form.Find(`button[name="decision"][value="`+decision+`"]`).Length() != 1 {
		return nil, nil, fmt.Errorf("the consent page has no %q button", decision)
	}
	id, _ := radios.Eq(merchant % radios.Length()).Attr("value")
	values.Set("merchant_id", id)
	values.Set("decision", decision)
	action, _ := form.Attr("action")
	target, err := page.Parse(action)
	if err != nil {
		return nil, nil, fmt.Errorf("consent form action %q: %w", action, err)
	}
	return target, values, nil
}
