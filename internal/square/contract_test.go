package square

// Contract tests: the client against squarelocal, through the same
// in-process transport local mode uses. Both sides were written separately
// from docs/square.md, so a disagreement here is a bug on one of them.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// contract is one emulator with a client per merchant.
type contract struct {
	emu      *squarelocal.Server
	a, b     *Client // merchants A and B
	anon     *Client // no token, for OAuth
	merchant []squarelocal.Merchant
}

func newContract(t *testing.T, customers int) *contract {
	t.Helper()
	emu := squarelocal.New(squarelocal.Options{CustomersPerMerchant: customers})
	t.Cleanup(emu.Close)
	base, err := NewClient(Options{
		BaseURL:      "http://squarelocal.invalid",
		Transport:    emu.Transport(),
		ClientID:     squarelocal.LocalClientID,
		ClientSecret: squarelocal.LocalClientSecret,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Retries wait for nothing, so fault tests stay fast.
	base.sleep = func(context.Context, time.Duration) error { return nil }
	ms := emu.Merchants()
	return &contract{
		emu:      emu,
		a:        base.WithAccessToken(emu.MintAccessToken(ms[0].ID)),
		b:        base.WithAccessToken(emu.MintAccessToken(ms[1].ID)),
		anon:     base,
		merchant: ms,
	}
}

func squareErr(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want a *square.Error", err, err)
	}
	return e
}

func TestContractCustomerLifecycle(t *testing.T) {
	t.Parallel()
	c := newContract(t, -1)
	ctx := t.Context()

	created, err := c.a.Customers.Create(ctx, &CreateCustomerRequest{
		IdempotencyKey: "create-1", GivenName: "Ada", FamilyName: "Lovelace",
		EmailAddress: "ada@example.com", PhoneNumber: "+1 206-555-0100", Note: "first",
		Birthday: "12-10", Address: &Address{AddressLine1: "1 Analytical Way", Locality: "London", Country: "GB"},
	})
	if err != nil {
		t.Fatalf("Create = %v", err)
	}
	if created.Version != 0 || created.CreationSource != "THIRD_PARTY" || created.Birthday != "0000-12-10" {
		t.Errorf("Create = version %d, source %q, birthday %q; want 0, THIRD_PARTY, 0000-12-10", created.Version, created.CreationSource, created.Birthday)
	}
	if created.CreatedAt.IsZero() {
		t.Errorf("Create created_at = zero, want a time")
	}

	again, err := c.a.Customers.Create(ctx, &CreateCustomerRequest{
		IdempotencyKey: "create-1", GivenName: "Ada", FamilyName: "Lovelace",
		EmailAddress: "ada@example.com", PhoneNumber: "+1 206-555-0100", Note: "first",
		Birthday: "12-10", Address: &Address{AddressLine1: "1 Analytical Way", Locality: "London", Country: "GB"},
	})
	if err != nil || again.ID != created.ID {
		t.Errorf("Create replayed = %v, %v; want the same customer %s", again, err, created.ID)
	}
	_, err = c.a.Customers.Create(ctx, &CreateCustomerRequest{IdempotencyKey: "create-1", GivenName: "Someone else"})
	if !IsIdempotencyKeyReused(err) {
		t.Errorf("Create with a reused key = %v, want IDEMPOTENCY_KEY_REUSED", err)
	}

	v0 := int64(0)
	updated, err := c.a.Customers.Update(ctx, created.ID, &UpdateCustomerRequest{
		Nickname: Set("Countess"), Note: Clear[string](), Version: &v0,
		Address: Set(AddressUpdate{AddressLine1: Set("2 Engine Street"), Country: Set("GB"), Locality: Clear[string]()}),
	})
	if err != nil {
		t.Fatalf("Update = %v", err)
	}
	if updated.Version != 1 || updated.Nickname != "Countess" || updated.Note != "" || updated.GivenName != "Ada" {
		t.Errorf("Update = %+v, want version 1, nickname set, note cleared, given name kept", updated)
	}
	if updated.Address == nil || updated.Address.AddressLine1 != "2 Engine Street" || updated.Address.Locality != "" {
		t.Errorf("Update address = %+v, want the replaced address without a locality", updated.Address)
	}

	_, err = c.a.Customers.Update(ctx, created.ID, &UpdateCustomerRequest{Nickname: Set("Stale"), Version: &v0})
	if !IsVersionMismatch(err) {
		t.Errorf("Update with a stale version = %v, want a version mismatch", err)
	}
	if err := c.a.Customers.Delete(ctx, created.ID, &v0); !IsVersionMismatch(err) {
		t.Errorf("Delete with a stale version = %v, want a version mismatch", err)
	}

	got, err := c.a.Customers.Get(ctx, created.ID)
	if err != nil || got.Version != 1 {
		t.Fatalf("Get = %+v, %v; want version 1", got, err)
	}
	v1 := int64(1)
	if err := c.a.Customers.Delete(ctx, created.ID, &v1); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	if _, err := c.a.Customers.Get(ctx, created.ID); !IsNotFound(err) {
		t.Errorf("Get after Delete = %v, want not found", err)
	}
	if err := c.a.Customers.Delete(ctx, created.ID, nil); !IsNotFound(err) {
		t.Errorf("Delete twice = %v, want not found", err)
	}
}

func TestContractValidationErrorsNameTheField(t *testing.T) {
	t.Parallel()
	c := newContract(t, -1)
	cases := []struct {
		name      string
		req       CreateCustomerRequest
		wantCode  string
		wantField string
	}{
		{"a bad email", CreateCustomerRequest{EmailAddress: "not-an-email"}, "INVALID_EMAIL_ADDRESS", "email_address"},
		{"a bad phone", CreateCustomerRequest{GivenName: "A", PhoneNumber: "12"}, "INVALID_PHONE_NUMBER", "phone_number"},
		{"a bad birthday", CreateCustomerRequest{GivenName: "A", Birthday: "1990-02-30"}, "INVALID_TIME", "birthday"},
		{"an over-long nickname", CreateCustomerRequest{GivenName: "A", Nickname: strings.Repeat("n", 101)}, "VALUE_TOO_LONG", "nickname"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.a.Customers.Create(t.Context(), &tc.req)
			e := squareErr(t, err)
			if e.StatusCode != 400 || e.Code != tc.wantCode || e.Field != tc.wantField {
				t.Errorf("Create = %d %s %s, want 400 %s %s", e.StatusCode, e.Code, e.Field, tc.wantCode, tc.wantField)
			}
			if got := ErrorField(err); got != tc.wantField {
				t.Errorf("ErrorField(Create) = %q, want %q", got, tc.wantField)
			}
		})
	}

	_, err := c.a.Customers.Create(t.Context(), &CreateCustomerRequest{Note: "nobody"})
	if e := squareErr(t, err); e.StatusCode != 400 || !IsInvalidRequest(err) {
		t.Errorf("Create with none of the five fields = %d %s, want a 400 invalid request", e.StatusCode, e.Code)
	}
}

func TestContractListingPagesThroughEveryCustomerOnce(t *testing.T) {
	t.Parallel()
	c := newContract(t, 120)
	ctx := t.Context()

	first, err := c.a.Customers.List(ctx, &ListCustomersParams{Limit: 100, Count: true})
	if err != nil {
		t.Fatal(err)
	}
	if first.Count == nil || *first.Count < 100 || first.Cursor == "" {
		t.Fatalf("List first page = count %v, cursor %q; want a count and a cursor", first.Count, first.Cursor)
	}
	seen := map[string]bool{}
	for _, cust := range listAll(t, c.a, 7) {
		if seen[cust.ID] {
			t.Fatalf("List's pages returned %s twice", cust.ID)
		}
		seen[cust.ID] = true
	}
	if int64(len(seen)) != *first.Count {
		t.Errorf("List's pages returned %d customers, want the count %d", len(seen), *first.Count)
	}

	byDate, err := c.a.Customers.List(ctx, &ListCustomersParams{SortField: CustomerSortCreatedAt, SortOrder: SortDescending, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(byDate.Customers); i++ {
		if byDate.Customers[i].CreatedAt.After(byDate.Customers[i-1].CreatedAt.Time) {
			t.Fatalf("List by CREATED_AT DESC: row %d is newer than row %d", i, i-1)
		}
	}

	_, err = c.a.Customers.List(ctx, &ListCustomersParams{Limit: 101})
	if e := squareErr(t, err); e.Code != "VALUE_TOO_HIGH" {
		t.Errorf("List(limit 101) = %s, want VALUE_TOO_HIGH", e.Code)
	}
	_, err = c.a.Customers.List(ctx, &ListCustomersParams{Cursor: "garbage!"})
	if e := squareErr(t, err); e.Code != "INVALID_CURSOR" {
		t.Errorf("List(garbage cursor) = %s, want INVALID_CURSOR", e.Code)
	}

	none := newContract(t, -1)
	empty, err := none.a.Customers.List(ctx, &ListCustomersParams{Count: true})
	if err != nil || len(empty.Customers) != 0 || empty.Cursor != "" {
		t.Errorf("List on an empty directory = %+v, %v; want no customers and no cursor", empty, err)
	}
}

func TestContractSearchFilters(t *testing.T) {
	t.Parallel()
	c := newContract(t, -1)
	ctx := t.Context()
	mk := func(req CreateCustomerRequest) *Customer {
		t.Helper()
		cust, err := c.a.Customers.Create(ctx, &req)
		if err != nil {
			t.Fatalf("Create(%+v) = %v", req, err)
		}
		return cust
	}
	steven := mk(CreateCustomerRequest{GivenName: "Steven", EmailAddress: "steven.johnson@gmail.com", PhoneNumber: "+1-415-212-1200", ReferenceID: "NYC_M_35_JOHNSON"})
	mk(CreateCustomerRequest{GivenName: "Maria", EmailAddress: "maria@example.org", PhoneNumber: "+1 (551) 234-1567", ReferenceID: "SF_F_22"})

	search := func(f CustomerFilter) []string {
		t.Helper()
		page, err := c.a.Customers.Search(ctx, &SearchCustomersRequest{Query: &CustomerQuery{Filter: &f}})
		if err != nil {
			t.Fatalf("Search(%+v) = %v", f, err)
		}
		var ids []string
		for _, cu := range page.Customers {
			ids = append(ids, cu.ID)
		}
		return ids
	}
	cases := []struct {
		name   string
		filter CustomerFilter
		want   int
	}{
		{"fuzzy email matches tokens in any order", CustomerFilter{EmailAddress: &TextFilter{Fuzzy: "gmail Steven"}}, 1},
		{"exact email is case-insensitive", CustomerFilter{EmailAddress: &TextFilter{Exact: "STEVEN.JOHNSON@gmail.com"}}, 1},
		// As in Square's own example, 415 also matches +1 (551) 234-1567.
		{"fuzzy phone matches digits anywhere", CustomerFilter{PhoneNumber: &TextFilter{Fuzzy: "415"}}, 2},
		{"fuzzy phone needs every token", CustomerFilter{PhoneNumber: &TextFilter{Fuzzy: "415 212"}}, 1},
		{"exact phone compares E.164", CustomerFilter{PhoneNumber: &TextFilter{Exact: "+1 (415) 212-1200"}}, 1},
		{"fuzzy reference id", CustomerFilter{ReferenceID: &TextFilter{Fuzzy: "NYC M"}}, 1},
		{"filters are ANDed", CustomerFilter{EmailAddress: &TextFilter{Fuzzy: "steven"}, ReferenceID: &TextFilter{Exact: "SF_F_22"}}, 0},
		{"creation source", CustomerFilter{CreationSource: &CreationSourceFilter{Values: []string{"THIRD_PARTY"}}}, 2},
		{"creation source excluded", CustomerFilter{CreationSource: &CreationSourceFilter{Values: []string{"THIRD_PARTY"}, Rule: CreationSourceExclude}}, 0},
		{"created in a range", CustomerFilter{CreatedAt: &TimeRange{StartAt: c.emu.Now().Add(-time.Hour), EndAt: c.emu.Now().Add(time.Hour)}}, 2},
		{"unknown group gives nothing", CustomerFilter{GroupIDs: &FilterValue{Any: []string{"NOSUCHGROUP"}}}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := search(tc.filter); len(got) != tc.want {
				t.Errorf("Search = %d customers, want %d", len(got), tc.want)
			}
		})
	}
	if got := search(CustomerFilter{EmailAddress: &TextFilter{Fuzzy: "steven"}}); len(got) != 1 || got[0] != steven.ID {
		t.Errorf("Search(fuzzy steven) = %v, want [%s]", got, steven.ID)
	}
}

func TestContractGroups(t *testing.T) {
	t.Parallel()
	c := newContract(t, 30)
	ctx := t.Context()
	var groups []CustomerGroup
	for g, err := range c.a.Customers.AllGroups(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, g)
	}
	if len(groups) == 0 {
		t.Fatal("AllGroups = none, want the seeded groups")
	}
	page, err := c.a.Customers.Search(ctx, &SearchCustomersRequest{Count: true, Query: &CustomerQuery{Filter: &CustomerFilter{GroupIDs: &FilterValue{Any: []string{groups[0].ID}}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, cu := range page.Customers {
		found := false
		for _, id := range cu.GroupIDs {
			found = found || id == groups[0].ID
		}
		if !found {
			t.Errorf("Search(group %s) returned %s, which is not in it", groups[0].ID, cu.ID)
		}
	}
	if _, err := c.a.Customers.ListGroups(ctx, "", 51); squareErr(t, err).Code != "VALUE_TOO_HIGH" {
		t.Errorf("ListGroups(limit 51) = %v, want VALUE_TOO_HIGH", err)
	}
}

// listAll follows List's cursors to the end, limit customers a page.
func listAll(t *testing.T, c *Client, limit int) []Customer {
	t.Helper()
	var out []Customer
	params := &ListCustomersParams{Limit: limit}
	for {
		page, err := c.Customers.List(t.Context(), params)
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

func TestContractMerchantsCannotSeeEachOther(t *testing.T) {
	t.Parallel()
	c := newContract(t, 10)
	ctx := t.Context()
	cust, err := c.a.Customers.Create(ctx, &CreateCustomerRequest{GivenName: "Private"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.b.Customers.Get(ctx, cust.ID); !IsNotFound(err) {
		t.Errorf("B Get(A's customer) = %v, want not found", err)
	}
	if _, err := c.b.Customers.Update(ctx, cust.ID, &UpdateCustomerRequest{Nickname: Set("x")}); !IsNotFound(err) {
		t.Errorf("B Update(A's customer) = %v, want not found", err)
	}
	if err := c.b.Customers.Delete(ctx, cust.ID, nil); !IsNotFound(err) {
		t.Errorf("B Delete(A's customer) = %v, want not found", err)
	}
	for _, cu := range listAll(t, c.b, 100) {
		if cu.ID == cust.ID {
			t.Fatalf("B's listing includes A's customer %s", cust.ID)
		}
	}
	me, err := c.b.Merchants.Get(ctx, "me")
	if err != nil || me.ID != c.merchant[1].ID {
		t.Errorf("B Merchants.Get(me) = %+v, %v; want merchant %s", me, err, c.merchant[1].ID)
	}
	if _, err := c.b.Merchants.Get(ctx, c.merchant[0].ID); !IsNotFound(err) && !IsAuth(err) {
		t.Errorf("B Merchants.Get(A) = %v, want not found or forbidden", err)
	}
}

func TestContractCardsOnFile(t *testing.T) {
	t.Parallel()
	c := newContract(t, -1)
	ctx := t.Context()
	cust, err := c.a.Customers.Create(ctx, &CreateCustomerRequest{GivenName: "Card", FamilyName: "Holder"})
	if err != nil {
		t.Fatal(err)
	}
	// A card that expires in three years, whatever year the test runs in.
	exp := fmt.Sprintf("12/%02d", (c.emu.Now().Year()+3)%100)
	token, err := c.emu.TestCardToken("4111 1111 1111 1111", exp, "111", "98101")
	if err != nil {
		t.Fatal(err)
	}
	req := &CreateCardRequest{IdempotencyKey: "card-1", SourceID: token, Card: NewCard{CustomerID: cust.ID, CardholderName: "Card Holder"}}
	card, err := c.a.Cards.Create(ctx, req)
	if err != nil {
		t.Fatalf("Cards.Create = %v", err)
	}
	if card.CardBrand != "VISA" || card.Last4 != "1111" || !card.Enabled || card.CustomerID != cust.ID {
		t.Errorf("Cards.Create = %+v, want an enabled Visa 1111 of the customer", card)
	}
	replay, err := c.a.Cards.Create(ctx, req)
	if err != nil || replay.ID != card.ID {
		t.Errorf("Cards.Create replayed = %v, %v; want the same card", replay, err)
	}
	_, err = c.a.Cards.Create(ctx, &CreateCardRequest{IdempotencyKey: "card-2", SourceID: token, Card: NewCard{CustomerID: cust.ID}})
	if e := squareErr(t, err); e.Code != "SOURCE_USED" && e.Code != "CARD_TOKEN_USED" {
		t.Errorf("Cards.Create with a used token = %s, want SOURCE_USED", e.Code)
	}
	declined, err := c.emu.TestCardToken("4000 0000 0000 0002", exp, "111", "98101")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.a.Cards.Create(ctx, &CreateCardRequest{IdempotencyKey: "card-3", SourceID: declined, Card: NewCard{CustomerID: cust.ID}})
	if e := squareErr(t, err); e.Code != "INVALID_CARD_DATA" || e.Field != "source_id" {
		t.Errorf("Cards.Create with a declined card = %s %s, want INVALID_CARD_DATA on source_id", e.Code, e.Field)
	}

	page, err := c.a.Cards.List(ctx, &ListCardsParams{CustomerID: cust.ID})
	if err != nil || len(page.Cards) != 1 {
		t.Fatalf("Cards.List = %+v, %v; want one card", page, err)
	}
	if _, err := c.b.Cards.Get(ctx, card.ID); !IsNotFound(err) {
		t.Errorf("B Cards.Get(A's card) = %v, want not found", err)
	}
	for range 2 {
		disabled, err := c.a.Cards.Disable(ctx, card.ID)
		if err != nil || disabled.Enabled {
			t.Errorf("Cards.Disable = %+v, %v; want a disabled card", disabled, err)
		}
	}
	page, err = c.a.Cards.List(ctx, &ListCardsParams{CustomerID: cust.ID})
	if err != nil || len(page.Cards) != 0 {
		t.Errorf("Cards.List after Disable = %+v, %v; want none", page, err)
	}
	page, err = c.a.Cards.List(ctx, &ListCardsParams{CustomerID: cust.ID, IncludeDisabled: true})
	if err != nil || len(page.Cards) != 1 {
		t.Errorf("Cards.List with disabled = %+v, %v; want the disabled card", page, err)
	}
}

func TestContractOldVersionsSeeTheCustomersCards(t *testing.T) {
	t.Parallel()
	c := newContract(t, -1)
	ctx := t.Context()
	cust, err := c.a.Customers.Create(ctx, &CreateCustomerRequest{GivenName: "Legacy"})
	if err != nil {
		t.Fatal(err)
	}
	exp := fmt.Sprintf("12/%02d", (c.emu.Now().Year()+3)%100)
	token, err := c.emu.TestCardToken("4111 1111 1111 1111", exp, "111", "98101")
	if err != nil {
		t.Fatal(err)
	}
	card, err := c.a.Cards.Create(ctx, &CreateCardRequest{IdempotencyKey: "legacy-card", SourceID: token, Card: NewCard{CustomerID: cust.ID}})
	if err != nil {
		t.Fatalf("Cards.Create = %v", err)
	}

	// Square retired the customer's cards field at version 2024-12-18:
	// Tessera, at 2025-08-20, reads them from the Cards API.
	oldClient, err := NewClient(Options{BaseURL: "http://squarelocal.invalid", Transport: c.emu.Transport(), SquareVersion: "2024-11-20", AccessToken: c.a.accessToken})
	if err != nil {
		t.Fatal(err)
	}
	got, err := oldClient.Customers.Get(ctx, cust.ID)
	if err != nil || len(got.Cards) != 1 || got.Cards[0].ID != card.ID {
		t.Errorf("Get at Square-Version 2024-11-20 = cards %+v, %v; want the card", got.Cards, err)
	}
	got, err = c.a.Customers.Get(ctx, cust.ID)
	if err != nil || len(got.Cards) != 0 {
		t.Errorf("Get at Square-Version 2025-08-20 = cards %+v, %v; want none", got.Cards, err)
	}
}

// consent walks the emulator's consent page as a browser would: it opens
// the authorize URL, and posts the form with the chosen button.
func consent(t *testing.T, emu *squarelocal.Server, authURL, button string) *url.URL {
	t.Helper()
	hc := &http.Client{Transport: emu.Transport(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET authorize = %d %s", resp.StatusCode, page)
	}
	form := url.Values{}
	for _, m := range regexp.MustCompile(`<input[^>]*type="hidden"[^>]*>`).FindAllString(string(page), -1) {
		name := regexp.MustCompile(`name="([^"]*)"`).FindStringSubmatch(m)
		value := regexp.MustCompile(`value="([^"]*)"`).FindStringSubmatch(m)
		if name != nil && value != nil {
			form.Set(name[1], htmlUnescape(value[1]))
		}
	}
	checked := regexp.MustCompile(`<input[^>]*type="radio"[^>]*checked[^>]*>`).FindString(string(page))
	if m := regexp.MustCompile(`name="([^"]*)"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="([^"]*)"`).FindStringSubmatch(checked); m != nil {
		if m[1] != "" {
			form.Set(m[1], m[2])
		} else {
			form.Set(m[4], m[3])
		}
	}
	btn := regexp.MustCompile(`<button[^>]*name="([^"]*)"[^>]*value="([^"]*)"[^>]*>\s*` + button).FindStringSubmatch(string(page))
	if btn != nil {
		form.Set(btn[1], btn[2])
	}
	u, _ := url.Parse(authURL)
	resp, err = hc.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("POST authorize (%s) = %d without a redirect", button, resp.StatusCode)
	}
	return loc
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}

func TestContractOAuthCodeFlow(t *testing.T) {
	t.Parallel()
	c := newContract(t, -1)
	ctx := t.Context()
	const redirect = "http://localhost:8080/auth/callback"
	cfg := c.anon.OAuth.Config(redirect, []string{"CUSTOMERS_READ", "MERCHANT_PROFILE_READ"})
	loc := consent(t, c.emu, cfg.AuthCodeURL("state-123"), "Allow")
	if loc.Query().Get("state") != "state-123" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect after Allow = %s, want a code and the state", loc)
	}
	tok, err := c.anon.OAuth.ExchangeCode(ctx, loc.Query().Get("code"), redirect, "")
	if err != nil {
		t.Fatalf("ExchangeCode = %v", err)
	}
	if tok.MerchantID != c.merchant[0].ID || tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Errorf("ExchangeCode = %+v, want tokens of the first merchant", tok)
	}
	if d := time.Until(tok.Expiry); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("token expiry in %s, want about 30 days", d)
	}

	status, err := c.anon.OAuth.TokenStatus(ctx, tok.AccessToken)
	if err != nil || status.MerchantID != c.merchant[0].ID || len(status.Scopes) != 2 {
		t.Errorf("TokenStatus = %+v, %v; want the merchant and two scopes", status, err)
	}
	user := c.anon.WithAccessToken(tok.AccessToken)
	if _, err := user.Customers.List(ctx, nil); err != nil {
		t.Errorf("List with the new token = %v", err)
	}
	if _, err := user.Cards.List(ctx, nil); !IsAuth(err) {
		t.Errorf("Cards.List without PAYMENTS_READ = %v, want an auth error", err)
	}

	refreshed, err := c.anon.OAuth.RefreshToken(ctx, tok.RefreshToken, false)
	if err != nil || refreshed.AccessToken == tok.AccessToken {
		t.Fatalf("RefreshToken = %+v, %v; want a new access token", refreshed, err)
	}
	if err := c.anon.OAuth.RevokeToken(ctx, refreshed.AccessToken, true); err != nil {
		t.Fatalf("RevokeToken(only access) = %v", err)
	}
	if _, err := c.anon.WithAccessToken(refreshed.AccessToken).Customers.List(ctx, nil); !IsAuth(err) {
		t.Errorf("List with a revoked token = %v, want an auth error", err)
	}
	if _, err := user.Customers.List(ctx, nil); err != nil {
		t.Errorf("List with the other, unrevoked token = %v, want it still to work", err)
	}
	if _, err := c.anon.OAuth.RefreshToken(ctx, tok.RefreshToken, false); err != nil {
		t.Errorf("RefreshToken again (code-flow refresh tokens are reusable) = %v", err)
	}

	// A code used twice fails, and (as RFC 6749 advises) the emulator
	// revokes what the first use minted.
	if _, err := c.anon.OAuth.ExchangeCode(ctx, loc.Query().Get("code"), redirect, ""); err == nil {
		t.Error("ExchangeCode with a used code = nil, want an error")
	}
	if _, err := user.Customers.List(ctx, nil); !IsAuth(err) {
		t.Errorf("List after the code was replayed = %v, want an auth error", err)
	}

	denied := consent(t, c.emu, cfg.AuthCodeURL("state-456"), "Deny")
	if denied.Query().Get("error") != "access_denied" || denied.Query().Get("state") != "state-456" {
		t.Errorf("redirect after Deny = %s, want error=access_denied and the state", denied)
	}
}

func TestContractOAuthPKCEFlow(t *testing.T) {
	t.Parallel()
	c := newContract(t, -1)
	ctx := t.Context()
	pkce, err := NewClient(Options{BaseURL: "http://squarelocal.invalid", Transport: c.emu.Transport(), ClientID: squarelocal.LocalClientID})
	if err != nil {
		t.Fatal(err)
	}
	verifier := "a-verifier-that-is-long-enough-to-be-valid-0123456789abcdef"
	const redirect = "http://localhost:8080/auth/callback"
	cfg := pkce.OAuth.Config(redirect, []string{"CUSTOMERS_READ"})
	loc := consent(t, c.emu, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "Allow")
	code := loc.Query().Get("code")
	if _, err := pkce.OAuth.ExchangeCode(ctx, code, redirect, "wrong-verifier-wrong-verifier-wrong-verifier-00"); err == nil {
		t.Error("ExchangeCode with a wrong verifier = nil, want an error")
	}
	loc = consent(t, c.emu, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "Allow")
	tok, err := pkce.OAuth.ExchangeCode(ctx, loc.Query().Get("code"), redirect, verifier)
	if err != nil {
		t.Fatalf("ExchangeCode with the verifier = %v", err)
	}
	if tok.RefreshTokenExpiresAt.IsZero() {
		t.Error("PKCE token has no refresh_token_expires_at")
	}
	next, err := pkce.OAuth.RefreshToken(ctx, tok.RefreshToken, true)
	if err != nil || next.RefreshToken == tok.RefreshToken {
		t.Fatalf("RefreshToken (PKCE) = %+v, %v; want a rotated refresh token", next, err)
	}
	if _, err := pkce.OAuth.RefreshToken(ctx, tok.RefreshToken, true); err == nil {
		t.Error("reusing a PKCE refresh token = nil, want an error")
	}
}

func TestContractExpiredTokensAreAuthErrors(t *testing.T) {
	t.Parallel()
	c := newContract(t, -1)
	c.emu.Advance(31 * 24 * time.Hour)
	_, err := c.a.Customers.List(t.Context(), nil)
	if !IsAuth(err) || squareErr(t, err).Code != "ACCESS_TOKEN_EXPIRED" {
		t.Errorf("List with an expired token = %v, want ACCESS_TOKEN_EXPIRED", err)
	}
}

func TestContractRetriesFollowTheEmulatorsFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		fault     squarelocal.Fault
		call      func(*Client) error
		wantErr   bool
		wantCalls int
	}{
		{
			"a GET is retried after a 429 with Retry-After",
			squarelocal.Fault{Kind: squarelocal.FaultRateLimit, RetryAfter: 1, Count: 1},
			func(cl *Client) error { _, err := cl.Customers.List(t.Context(), nil); return err },
			false, 2,
		},
		{
			"a GET is retried after 503s until the budget is spent",
			squarelocal.Fault{Kind: squarelocal.FaultUnavailable},
			func(cl *Client) error { _, err := cl.Customers.List(t.Context(), nil); return err },
			true, 3,
		},
		{
			"a keyed create is retried after a dropped connection and creates once",
			squarelocal.Fault{Kind: squarelocal.FaultDropAfterWrite, Count: 1, Endpoint: "POST /v2/customers"},
			func(cl *Client) error {
				_, err := cl.Customers.Create(t.Context(), &CreateCustomerRequest{IdempotencyKey: "drop-1", GivenName: "Once"})
				return err
			},
			false, 2,
		},
		{
			"an update is not retried after a 500",
			squarelocal.Fault{Kind: squarelocal.FaultInternal, Count: 1, Endpoint: "PUT /v2/customers/{customer_id}"},
			func(cl *Client) error {
				_, err := cl.Customers.Update(t.Context(), "ANY", &UpdateCustomerRequest{Nickname: Set("x")})
				return err
			},
			true, 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newContract(t, 5)
			if err := c.emu.InjectFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			c.emu.ResetCalls()
			err := tc.call(c.a)
			if (err != nil) != tc.wantErr {
				t.Errorf("call = %v, want error %v", err, tc.wantErr)
			}
			if got := len(c.emu.Calls()); got != tc.wantCalls {
				t.Errorf("emulator saw %d calls, want %d", got, tc.wantCalls)
			}
		})
	}

	c := newContract(t, -1)
	if err := c.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultDropAfterWrite, Count: 1, Endpoint: "POST /v2/customers"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.a.Customers.Create(t.Context(), &CreateCustomerRequest{IdempotencyKey: "drop-2", GivenName: "Only"}); err != nil {
		t.Fatal(err)
	}
	page, err := c.a.Customers.List(t.Context(), &ListCustomersParams{Count: true})
	if err != nil || page.Count == nil || *page.Count != 1 {
		t.Errorf("customers after a dropped, retried create = %v, %v; want exactly 1", fmt.Sprint(page.Count), err)
	}
}
