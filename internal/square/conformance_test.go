package square

// The client's side of the conformance test: every request the client
// builds, and the emulator's answer to it, is checked against Square's own
// OpenAPI document on its way through the in-process transport.

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/squarelocal/squarespec"
)

// specChecker is a RoundTripper that checks each request against Square's
// document before passing it on, and each answer after.
type specChecker struct {
	t    *testing.T
	spec *squarespec.Spec
	next http.RoundTripper

	mu  sync.Mutex
	ops map[string]int // calls per operation id
}

func (c *specChecker) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	op, err := c.spec.Route(req)
	if err != nil {
		c.t.Errorf("the client sent %s %s: %v", req.Method, req.URL.Path, err)
		return c.next.RoundTrip(req)
	}
	c.mu.Lock()
	c.ops[op.ID]++
	c.mu.Unlock()
	if err := c.spec.CheckRequest(req, body); err != nil {
		c.t.Errorf("%s request %s = %s, want nil", op.ID, body, squarespec.Short(err))
	}
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	if err := c.spec.CheckResponse(req, resp.StatusCode, resp.Header, answer); err != nil {
		c.t.Errorf("%s answer %d %s: %s", op.ID, resp.StatusCode, answer, squarespec.Short(err))
	}
	return resp, nil
}

// must fails the test when a call that should succeed did not.
func must[T any](t *testing.T, call string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s = %v, want success", call, err)
		}
		return v
	}
}

func TestEveryRequestTheClientBuildsIsOneSquaresOpenAPIDocumentAccepts(t *testing.T) {
	t.Parallel()
	spec := squarespec.Load(t)
	ctx := t.Context()
	emu := squarelocal.New(squarelocal.Options{CustomersPerMerchant: 3})
	t.Cleanup(emu.Close)
	checker := &specChecker{t: t, spec: spec, next: emu.Transport(), ops: map[string]int{}}
	base, err := NewClient(Options{
		BaseURL:      "http://squarelocal.invalid",
		Transport:    checker,
		ClientID:     squarelocal.LocalClientID,
		ClientSecret: squarelocal.LocalClientSecret,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := emu.Merchants()[0]
	c := base.WithAccessToken(emu.MintAccessToken(m.ID))

	// Customers.
	must[*CustomerPage](t, "Customers.List")(c.Customers.List(ctx, &ListCustomersParams{Limit: 2, SortField: "CREATED_AT", SortOrder: "DESC", Count: true}))
	first := must[*CustomerPage](t, "Customers.List")(c.Customers.List(ctx, &ListCustomersParams{Limit: 1}))
	must[*CustomerPage](t, "Customers.List(cursor)")(c.Customers.List(ctx, &ListCustomersParams{Limit: 1, Cursor: first.Cursor}))
	must[*CustomerPage](t, "Customers.Search")(c.Customers.Search(ctx, &SearchCustomersRequest{
		Limit: 5, Count: true,
		Query: &CustomerQuery{
			Filter: &CustomerFilter{EmailAddress: &TextFilter{Fuzzy: "example"}, PhoneNumber: &TextFilter{Fuzzy: "555"}},
			Sort:   &CustomerSort{Field: "CREATED_AT", Order: "ASC"},
		},
	}))
	must[*CustomerPage](t, "Customers.Search(nil)")(c.Customers.Search(ctx, nil))
	cust := must[*Customer](t, "Customers.Create")(c.Customers.Create(ctx, &CreateCustomerRequest{
		IdempotencyKey: "conf-create", GivenName: "Ada", FamilyName: "Lovelace", Nickname: "Countess",
		EmailAddress: "ada@example.com", PhoneNumber: "+44 20 7946 0000", ReferenceID: "ref-1", Note: "first",
		Birthday: "12-10", Address: &Address{AddressLine1: "1 Analytical Way", Locality: "London", PostalCode: "N1", Country: "GB"},
	}))
	must[*Customer](t, "Customers.Get")(c.Customers.Get(ctx, cust.ID))
	if _, err := c.Customers.Get(ctx, "NOPE0000000000000000000000"); err == nil {
		t.Error("Customers.Get(unknown) = nil error, want NOT_FOUND")
	}
	v := cust.Version
	updated := must[*Customer](t, "Customers.Update")(c.Customers.Update(ctx, cust.ID, &UpdateCustomerRequest{
		GivenName: Set("Augusta"), Note: Clear[string](), Nickname: SetOrClear(""),
		Address: Set(AddressUpdate{Locality: Set("Marylebone"), AddressLine2: Clear[string]()}),
		Version: &v,
	}))
	if _, err := c.Customers.Update(ctx, cust.ID, &UpdateCustomerRequest{GivenName: Set("Stale"), Version: &v}); !IsVersionMismatch(err) {
		t.Errorf("Customers.Update at a stale version = %v, want a version mismatch", err)
	}
	must[*CustomerGroupPage](t, "Customers.ListGroups")(c.Customers.ListGroups(ctx, "", 10))
	for _, err := range c.Customers.AllGroups(ctx) {
		if err != nil {
			t.Fatalf("Customers.AllGroups = %v", err)
		}
	}

	// Cards.
	exp := fmt.Sprintf("12/%02d", (emu.Now().Year()+3)%100)
	token, err := emu.TestCardToken("4111 1111 1111 1111", exp, "111", "98101")
	if err != nil {
		t.Fatal(err)
	}
	card := must[*Card](t, "Cards.Create")(c.Cards.Create(ctx, &CreateCardRequest{
		IdempotencyKey: "conf-card", SourceID: token,
		Card: NewCard{CustomerID: cust.ID, CardholderName: "Ada Lovelace", ReferenceID: "card-ref",
			BillingAddress: &Address{PostalCode: "98101", Country: "US"}},
	}))
	must[*CardPage](t, "Cards.List")(c.Cards.List(ctx, &ListCardsParams{CustomerID: cust.ID, IncludeDisabled: true, SortOrder: "DESC"}))
	must[*Card](t, "Cards.Get")(c.Cards.Get(ctx, card.ID))
	must[*Card](t, "Cards.Disable")(c.Cards.Disable(ctx, card.ID))

	// Merchants.
	must[*Merchant](t, "Merchants.Get")(c.Merchants.Get(ctx, "me"))

	// Deletions.
	uv := updated.Version
	if err := c.Customers.Delete(ctx, cust.ID, &uv); err != nil {
		t.Fatalf("Customers.Delete = %v", err)
	}

	// OAuth: code flow, refresh, status, revoke.
	const redirect = "http://localhost:8080/auth/callback"
	cfg := base.OAuth.Config(redirect, []string{"CUSTOMERS_READ", "MERCHANT_PROFILE_READ"})
	loc := consent(t, emu, cfg.AuthCodeURL("s", oauth2.AccessTypeOffline), "Allow")
	tok := must[*Token](t, "OAuth.ExchangeCode")(base.OAuth.ExchangeCode(ctx, loc.Query().Get("code"), redirect, ""))
	next := must[*Token](t, "OAuth.RefreshToken")(base.OAuth.RefreshToken(ctx, tok.RefreshToken, false))
	must[*TokenStatus](t, "OAuth.TokenStatus")(base.OAuth.TokenStatus(ctx, next.AccessToken))
	if err := base.OAuth.RevokeToken(ctx, next.AccessToken, true); err != nil {
		t.Fatalf("OAuth.RevokeToken = %v", err)
	}

	got := slices.Sorted(maps.Keys(checker.ops))
	calls := 0
	for _, n := range checker.ops {
		calls += n
	}
	t.Logf("%d operations, %d requests checked: %v", len(got), calls, got)
	if len(got) < 15 {
		t.Errorf("the client called %d operations, want every one it has a method for (15)", len(got))
	}
}
