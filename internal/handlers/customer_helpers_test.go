package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// Helpers of the customer page tests. They build on the harness of
// harness_test.go (newHarness, browser, signIn) and add what the customer
// pages need: a Square client of the signed-in merchant, and forms filled
// in as a browser would.

// custEnv is a harness with a browser signed in as one merchant.
type custEnv struct {
	t testing.TB
	h *harness
	b *browser
	// sq acts as the same merchant, straight at squarelocal: the "someone
	// else" of conflict tests, and the source of truth for assertions.
	sq *square.Client
}

// newCustEnv starts a harness and signs in as the merchant at index.
func newCustEnv(t testing.TB, merchant int, opts ...harnessOption) *custEnv {
	t.Helper()
	h := newHarness(t, opts...)
	b := h.newBrowser()
	b.signIn(merchant)
	d, ok := h.sessionData(b.sessionCookie())
	if !ok {
		t.Fatal("after signIn the session is signed out, want signed in")
	}
	return &custEnv{t: t, h: h, b: b, sq: h.square.WithAccessToken(d.AccessToken)}
}

// create makes a customer at Square directly.
func (e *custEnv) create(req square.CreateCustomerRequest) *square.Customer {
	e.t.Helper()
	cu, err := e.sq.Customers.Create(e.t.Context(), &req)
	if err != nil {
		e.t.Fatalf("Customers.Create(%+v) = %v, want a customer", req, err)
	}
	return cu
}

// get reads a customer at Square directly.
func (e *custEnv) get(id string) *square.Customer {
	e.t.Helper()
	cu, err := e.sq.Customers.Get(e.t.Context(), id)
	if err != nil {
		e.t.Fatalf("Customers.Get(%s) = %v, want the customer", id, err)
	}
	return cu
}

// update changes a customer at Square directly, as another person would.
func (e *custEnv) update(id string, req square.UpdateCustomerRequest) *square.Customer {
	e.t.Helper()
	cu, err := e.sq.Customers.Update(e.t.Context(), id, &req)
	if err != nil {
		e.t.Fatalf("Customers.Update(%s) = %v, want the customer", id, err)
	}
	return cu
}

// count is the number of customers Square lists for the merchant.
func (e *custEnv) count() int64 {
	e.t.Helper()
	page, err := e.sq.Customers.List(e.t.Context(), &square.ListCustomersParams{Limit: 1, Count: true})
	if err != nil {
		e.t.Fatalf("Customers.List(count) = %v", err)
	}
	if page.Count == nil {
		return 0
	}
	return *page.Count
}

// calls counts squarelocal's calls of a route pattern.
func (e *custEnv) calls(pattern string) int { return e.h.emu.CountCalls(pattern, 0) }

// Route patterns of squarelocal's call log.
const (
	callCreate = "POST /v2/customers"
	callGet    = "GET /v2/customers/{customer_id}"
	callUpdate = "PUT /v2/customers/{customer_id}"
	callDelete = "DELETE /v2/customers/{customer_id}"
	callCards  = "GET /v2/cards"
)

// custFormValues collects what a browser submits for the form matched by
// selector: named inputs (checked ones only for radios and checkboxes),
// selects and textareas. Buttons are left out: ours carry no value.
func custFormValues(t testing.TB, p *page, selector string) (action string, values url.Values) {
	t.Helper()
	form := p.Doc.Find(selector)
	if form.Length() != 1 {
		t.Fatalf("%s %s: %d elements match %q, want 1\n%s", p.Request.Method, p.Request.URL.RequestURI(), form.Length(), selector, truncate(p.Body))
	}
	action, _ = form.Attr("action")
	values = url.Values{}
	form.Find("input[name], select[name], textarea[name]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		switch goquery.NodeName(s) {
		case "input":
			typ, _ := s.Attr("type")
			if typ == "radio" || typ == "checkbox" {
				if _, checked := s.Attr("checked"); !checked {
					return
				}
			}
			v, _ := s.Attr("value")
			values.Add(name, v)
		case "select":
			opt := s.Find("option[selected]")
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			v, _ := opt.Attr("value")
			values.Add(name, v)
		case "textarea":
			values.Add(name, s.Text())
		}
	})
	return action, values
}

// submit fills in the form matched by selector on p, as a browser would,
// changes the fields in set, and posts it. extra are header pairs.
func (e *custEnv) submit(p *page, selector string, set map[string]string, extra ...string) *page {
	e.t.Helper()
	action, values := custFormValues(e.t, p, selector)
	for k, v := range set {
		values.Set(k, v)
	}
	return e.b.post(action, values, extra...)
}

// custHX are the headers of an htmx request.
var custHX = []string{"HX-Request", "true"}

// custInput is the value an input, select or textarea of p shows.
func custInput(t *testing.T, p *page, name string) string {
	t.Helper()
	s := p.Doc.Find(`[name="` + name + `"]`).Not(`[type="hidden"]`)
	if s.Length() == 0 {
		t.Fatalf("%s %s has no input named %q", p.Request.Method, p.Request.URL.RequestURI(), name)
	}
	switch goquery.NodeName(s) {
	case "select":
		v, _ := s.Find("option[selected]").Attr("value")
		return v
	case "textarea":
		return s.Text()
	}
	v, _ := s.Attr("value")
	return v
}

// custHidden is the value of a hidden input of p, and whether it exists.
func custHidden(p *page, name string) (string, bool) {
	return p.Doc.Find(`input[type="hidden"][name="` + name + `"]`).Attr("value")
}

// custFieldError is the message beside an input: the element with the id
// its aria-describedby points at, "field-<name>-error".
func custFieldError(p *page, name string) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.Join(strings.Fields(
		p.Doc.Find("#field-"+name+"-error").Text()), " "), "Error:"))
}

// custText is the trimmed text of the elements with a data-testid.
func custText(p *page, testID string) string {
	return strings.Join(strings.Fields(p.testID(testID).Text()), " ")
}

// expectFlash follows a redirect and checks the page shows the flash.
func (e *custEnv) expectFlash(p *page, wantLocation, wantFlash string) *page {
	e.t.Helper()
	expectRedirect(e.t, p, wantLocation)
	next := e.b.get(wantLocation)
	expect(e.t, next, http.StatusOK)
	if got := custText(next, "flash"); !strings.Contains(got, wantFlash) {
		e.t.Fatalf("GET %s flash = %q, want %q", wantLocation, got, wantFlash)
	}
	return next
}

// listCustomers follows Customers.List's cursors: every customer of the
// merchant sq signs in as.
func listCustomers(t testing.TB, sq *square.Client) []square.Customer {
	t.Helper()
	var out []square.Customer
	params := &square.ListCustomersParams{Limit: 100}
	for {
		page, err := sq.Customers.List(t.Context(), params)
		if err != nil {
			t.Fatalf("Customers.List(cursor %q) = %v", params.Cursor, err)
		}
		out = append(out, page.Customers...)
		if page.Cursor == "" {
			return out
		}
		params.Cursor = page.Cursor
	}
}

// listCards follows Cards.List's cursors: every card params selects.
func listCards(t testing.TB, sq *square.Client, params square.ListCardsParams) []square.Card {
	t.Helper()
	var out []square.Card
	for {
		page, err := sq.Cards.List(t.Context(), &params)
		if err != nil {
			t.Fatalf("Cards.List(cursor %q) = %v", params.Cursor, err)
		}
		out = append(out, page.Cards...)
		if page.Cursor == "" {
			return out
		}
		params.Cursor = page.Cursor
	}
}
