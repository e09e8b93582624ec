package views

import (
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func TestCardPagesShowHostileValuesAsText(t *testing.T) {
	t.Parallel()
	removeForm := CardRemoveForm{Action: "/customers/X/cards/ccof:1/disable", CancelURL: "/customers/X", Label: hostileImg}
	pages := map[string]templ.Component{
		"the card form": CardFormPage(signedInLayout(), CardFormView{
			CustomerName: hostileScript, Action: "/customers/X/cards", CancelURL: "/customers/X",
			ScriptURL: "/squarelocal/v1/square.js", ApplicationID: hostileImg, LocationID: hostileScript,
			Cardholder: hostileImg, PostalCode: hostileScript, IdempotencyKey: hostileImg,
			Problem: &Failure{Title: hostileScript, Message: hostileImg, RequestID: hostileImg},
		}),
		"the profile's cards": CustomerProfilePage(signedInLayout(), CustomerProfileView{
			ID: "X", Name: hostileScript, AddCardURL: hostileURL, RemovedToggleURL: hostileURL, ShowRemoved: true,
			Cards: []ProfileCard{
				{ID: hostileImg, Brand: hostileScript, Last4: hostileImg, Expiry: "01/2030", Cardholder: hostileScript,
					PostalCode: hostileImg, Added: hostileScript, RemoveURL: hostileURL, Remove: removeForm},
				{ID: "ccof:2", Brand: "Visa", Last4: "1111", Expiry: "01/2030", Removed: true},
			},
		}),
		"the removal confirmation": CardRemovePage(signedInLayout(), CardRemoveView{
			Form: removeForm, Failure: &Failure{Title: hostileScript, Message: hostileImg},
		}),
	}
	for name, page := range pages {
		t.Run(name, func(t *testing.T) {
			doc, html := render(t, page)
			// The card form's two scripts are the page's own; nothing else
			// may become a script or an image.
			doc.Find(`body script[src="/squarelocal/v1/square.js"], body script[src^="/static/cards."]`).Remove()
			assertNoInjectedElements(t, doc)
			if strings.Contains(html, "javascript:") {
				t.Error("the page holds a javascript: URL, want it sanitized")
			}
		})
	}
}

func TestTheCardFormNeedsJavaScriptAndShowsNoFormWithout(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, CardFormPage(signedInLayout(), CardFormView{
		CustomerName: "Ada", Action: "/customers/X/cards", CancelURL: "/customers/X", ScriptURL: "/squarelocal/v1/square.js",
	}))
	if got := doc.Find("noscript").Text(); !strings.Contains(got, "Adding a card needs JavaScript") {
		t.Errorf("noscript = %q, want it to say adding a card needs JavaScript", got)
	}
	for _, sel := range []string{"form[data-card-form]", "[data-card-loading]", "[data-card-load-error]"} {
		if _, hidden := doc.Find(sel).Attr("hidden"); !hidden {
			t.Errorf("%s is shown without JavaScript, want it hidden until cards.js runs", sel)
		}
	}
	doc.Find("body script").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("nonce", "") != nonce || s.AttrOr("defer", "x") != "" {
			t.Errorf("script %s: nonce %q, defer %q; want the response's nonce and defer", s.AttrOr("src", ""), s.AttrOr("nonce", ""), s.AttrOr("defer", "x"))
		}
	})
}

func TestTheProfileShowsWhenACardWasAddedOnlyWhenSquareSaidSo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, added string
		wantTerm    bool
	}{
		{"a card with created_at", "2 Mar 2026", true},
		{"a card without it, as Square sends at 2025-08-20", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, _ := render(t, CustomerProfilePage(signedInLayout(), CustomerProfileView{
				ID: "X", Name: "Ada",
				Cards: []ProfileCard{{ID: "ccof:1", Brand: "Visa", Last4: "1111", Expiry: "01/2030", Cardholder: "Ada", Added: tc.added}},
			}))
			terms := doc.Find(`[data-card-id="ccof:1"] dt`).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
			hasTerm := slices.Contains(terms, "Added")
			got := strings.TrimSpace(doc.Find(`[data-testid="card-added"]`).Text())
			if hasTerm != tc.wantTerm || got != tc.added {
				t.Errorf("profile card terms = %v, card-added = %q; want Added shown %t with %q", terms, got, tc.wantTerm, tc.added)
			}
		})
	}
}
