package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// expectRequestID fails the test unless the page shows the response's
// X-Request-Id.
func expectRequestID(t *testing.T, p *page) {
	t.Helper()
	id := p.Header.Get("X-Request-Id")
	if id == "" {
		t.Fatalf("%s %s: no X-Request-Id", p.Request.Method, p.Request.URL.RequestURI())
	}
	if got := p.testID("request-id").Find("code").Text(); got != id {
		t.Errorf("%s %s: request id on the page = %q, want the X-Request-Id %q", p.Request.Method, p.Request.URL.RequestURI(), got, id)
	}
}

func TestAnUnknownPathShowsANotFoundPageWithTheRequestID(t *testing.T) {
	h := newHarness(t)
	signedOut := h.newBrowser()
	signedIn := h.newBrowser()
	signedIn.signIn(0)

	for _, b := range []*browser{signedOut, signedIn} {
		p := b.get("/no/such/page")
		expectErrorPage(t, p, http.StatusNotFound)
		expectRequestID(t, p)

		p = b.get("/no/such/page", "HX-Request", "true")
		expect(t, p, http.StatusNotFound)
		if p.testID("alert").Length() != 1 || p.Doc.Find("html body header").Length() != 0 {
			t.Errorf("htmx GET /no/such/page: want an alert fragment, got\n%s", truncate(p.Body))
		}
		expectRequestID(t, p)
	}
	if got := strings.TrimSpace(signedIn.get("/no/such/page").testID("business-name").Text()); got != h.merchant(0).BusinessName {
		t.Errorf("GET /no/such/page signed in: business name = %q, want %q", got, h.merchant(0).BusinessName)
	}
}

// squareWords are texts of Square's errors and of Go's that must never
// reach a page.
var squareWords = []string{"SERVICE_UNAVAILABLE", "INTERNAL_SERVER_ERROR", "temporarily unavailable", "square:", "/v2/customers", "context deadline", "INVALID_CURSOR", "cursor is not valid"}

func expectNoErrorText(t *testing.T, p *page) {
	t.Helper()
	for _, w := range squareWords {
		if strings.Contains(p.Body, w) {
			t.Errorf("%s %s: the page shows %q", p.Request.Method, p.Request.URL.RequestURI(), w)
		}
	}
}

func TestASquareOutageShowsAClearPageWithTheRequestID(t *testing.T) {
	for _, kind := range []squarelocal.FaultKind{squarelocal.FaultUnavailable, squarelocal.FaultInternal} {
		h := newHarness(t)
		b := h.newBrowser()
		b.signIn(0)
		if err := h.emu.InjectFault(squarelocal.Fault{Kind: kind, Endpoint: "GET /v2/customers"}); err != nil {
			t.Fatal(err)
		}

		p := b.get("/customers")

		if p.StatusCode != http.StatusBadGateway && p.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET /customers with Square %s = %d, want 502 or 503", kind, p.StatusCode)
		}
		// The directory keeps its search form and says Square is away in
		// place, rather than replacing the page with a generic error.
		if p.testID("square-unavailable").Length() != 1 {
			t.Errorf("GET /customers with Square %s: no square-unavailable state in\n%s", kind, truncate(p.Body))
		}
		expectRequestID(t, p)
		expectNoErrorText(t, p)
		if got := p.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET /customers with Square %s: Cache-Control = %q, want no-store", kind, got)
		}

		p = b.get("/customers", "HX-Request", "true")

		if p.StatusCode < 500 {
			t.Errorf("htmx GET /customers with Square %s = %d, want 5xx", kind, p.StatusCode)
		}
		if p.testID("alert").Length() != 1 || p.testID("error-page").Length() != 0 {
			t.Errorf("htmx GET /customers with Square %s: want an alert fragment, got\n%s", kind, truncate(p.Body))
		}
		if p.testID("alert").Text() == "" {
			t.Errorf("htmx GET /customers with Square %s: the alert says nothing", kind)
		}
		expectRequestID(t, p)
		expectNoErrorText(t, p)
		if got := p.Header.Get("HX-Push-Url"); got != "false" {
			t.Errorf("htmx GET /customers with Square %s: HX-Push-Url = %q, want false", kind, got)
		}

		// An outage is not a reason to sign anyone out.
		h.emu.ClearFaults()
		expect(t, b.get("/customers"), http.StatusOK)
		if !strings.Contains(h.logs.String(), "request failed") {
			t.Errorf("GET /customers with Square %s: the failure was not logged", kind)
		}
	}
}

func TestAGarbageCursorShowsABadRequestPage(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)

	p := b.get("/customers?cursor=garbage")

	expect(t, p, http.StatusBadRequest)
	if p.testID("query-error").Length() != 1 {
		t.Errorf("GET /customers?cursor=garbage: no query-error message in\n%s", truncate(p.Body))
	}
	expectNoErrorText(t, p)
	if href, _ := p.testID("problem-link").Attr("href"); href != "/customers" {
		t.Errorf("GET /customers?cursor=garbage: first-page link = %q, want /customers", href)
	}
}

func TestTheNextPageLinkWorks(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	first := b.signIn(0)
	next, ok := first.testID("next-page").Attr("href")
	if !ok {
		t.Fatalf("GET /customers: no next-page link with %d customers", customersPerMerchant)
	}

	p := b.get(next)

	expect(t, p, http.StatusOK)
	second := rowIDs(p)
	if len(second) == 0 {
		t.Errorf("GET %s: no rows", next)
	}
	for _, id := range second {
		if slices.Contains(rowIDs(first), id) {
			t.Errorf("GET %s: customer %s was on the first page too", next, id)
		}
	}
	// htmx gets the same rows alone, to append; HTML parsers drop <tr>
	// outside a table, so they are read inside one.
	p = b.get(next, "HX-Request", "true")
	expect(t, p, http.StatusOK)
	if strings.Contains(p.Body, "<html") || strings.Contains(p.Body, "<table") {
		t.Errorf("htmx GET %s: want bare rows, got\n%s", next, truncate(p.Body))
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + p.Body + "</tbody></table>"))
	if err != nil {
		t.Fatal(err)
	}
	if got := rowIDs(&page{Doc: doc}); !slices.Equal(got, second) {
		t.Errorf("htmx GET %s: rows = %v, want %v", next, got, second)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()

	expect(t, b.get("/healthz"), http.StatusOK)
	expect(t, b.get("/readyz"), http.StatusOK)

	if err := h.db.Close(); err != nil {
		t.Fatal(err)
	}

	expect(t, b.get("/readyz"), http.StatusServiceUnavailable)
	expect(t, b.get("/healthz"), http.StatusOK)
}

func TestLocalModeMountsOnlyTheEmulatorsBrowserPages(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	token := h.emu.MintAccessToken(h.merchant(0).ID)

	reachable := []struct {
		path, testID, contentType string
		status                    int
	}{
		// Without parameters the consent page explains what is wrong.
		{"/squarelocal/oauth2/authorize", "consent-error", "text/html", http.StatusBadRequest},
		{"/squarelocal/v1/square.js", "", "javascript", http.StatusOK},
		// The controls answer a browser's plain GET with squarelocal's
		// refusal: only a program's request (with a header) is served.
		{"/squarelocal/_squarelocal/calls", "", "application/json", http.StatusForbidden},
	}
	for _, r := range reachable {
		p := b.get(r.path)
		expect(t, p, r.status)
		if r.testID != "" && p.testID(r.testID).Length() != 1 {
			t.Errorf("GET %s: no %s", r.path, r.testID)
		}
		if got := p.Header.Get("Content-Type"); !strings.Contains(got, r.contentType) {
			t.Errorf("GET %s: Content-Type = %q, want %s", r.path, got, r.contentType)
		}
	}

	before := len(h.emu.Calls())
	for _, path := range []string{"/squarelocal/v2/customers", "/squarelocal/v2/merchants/me", "/squarelocal/v2/locations"} {
		p := b.get(path, "Authorization", "Bearer "+token)
		expectErrorPage(t, p, http.StatusNotFound)
	}
	p := b.post("/squarelocal/oauth2/token", nil, "Content-Type", "application/json")
	if p.StatusCode < 400 {
		t.Errorf("POST /squarelocal/oauth2/token = %d, want a refusal", p.StatusCode)
	}
	for _, c := range h.emu.Calls()[before:] {
		if !strings.HasPrefix(c.Path, "/_squarelocal/") {
			t.Errorf("squarelocal received %s %s through Tessera's listener", c.Method, c.Path)
		}
	}
}
