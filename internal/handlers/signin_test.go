package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

func TestHomeRedirectsToLoginWhenSignedOutAndToCustomersWhenSignedIn(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()

	expectRedirect(t, b.get("/"), "/login")
	b.signIn(0)
	expectRedirect(t, b.get("/"), "/customers")
	// The sign-in page has nothing to offer a signed-in person either.
	expectRedirect(t, b.get("/login"), "/customers")
}

func TestLoginPageHasASignInWithSquareButton(t *testing.T) {
	h := newHarness(t)
	p := h.newBrowser().get("/login")
	expect(t, p, http.StatusOK)

	button := p.Doc.Find(`form[method="post"][action="/login"] button[type="submit"]`)
	if got := strings.TrimSpace(button.Text()); got != "Sign in with Square" {
		t.Errorf("GET /login: sign-in button = %q, want %q", got, "Sign in with Square")
	}
	if p.testID("sign-in").Length() != 1 {
		t.Errorf(`GET /login: %d [data-testid="sign-in"], want 1`, p.testID("sign-in").Length())
	}
	if p.testID("local-banner").Length() != 1 {
		t.Errorf("GET /login in local mode: no local-mode banner")
	}
	if p.testID("sign-out").Length() != 0 || p.testID("business-name").Length() != 0 {
		t.Errorf("GET /login signed out shows a sign-out button or a business name")
	}
}

// directory reads a merchant's first page of customers from Square itself,
// to compare with what Tessera shows.
func directory(t *testing.T, h *harness, merchantID string) (ids []string, count int64) {
	t.Helper()
	token := h.emu.MintAccessToken(merchantID)
	page, err := h.square.WithAccessToken(token).Customers.List(t.Context(),
		&square.ListCustomersParams{Limit: 50, Count: true})
	if err != nil {
		t.Fatalf("Customers.List for %s: %v", merchantID, err)
	}
	for _, c := range page.Customers {
		ids = append(ids, c.ID)
	}
	if page.Count == nil {
		t.Fatalf("Customers.List for %s: no count", merchantID)
	}
	return ids, *page.Count
}

func rowIDs(p *page) []string {
	var ids []string
	p.testID("customer-row").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-customer-id")
		ids = append(ids, id)
	})
	return ids
}

func TestSignInLandsOnTheDirectoryOfTheChosenMerchant(t *testing.T) {
	for _, i := range []int{0, 1} {
		h := newHarness(t)
		m := h.merchant(i)
		wantIDs, wantCount := directory(t, h, m.ID)
		if len(wantIDs) == 0 {
			t.Fatalf("merchant %d has no customers to show", i)
		}

		p := h.newBrowser().signIn(i)

		if got := rowIDs(p); !slices.Equal(got, wantIDs) {
			t.Errorf("merchant %d: GET /customers rows = %v, want %v", i, got, wantIDs)
		}
		if got, want := strings.TrimSpace(p.testID("customer-total").Text()), formatCount(wantCount); got != want {
			t.Errorf("merchant %d: GET /customers total = %q, want %q", i, got, want)
		}
		if got := strings.TrimSpace(p.testID("business-name").Text()); got != m.BusinessName {
			t.Errorf("merchant %d: GET /customers business name = %q, want %q", i, got, m.BusinessName)
		}
		if p.testID("sign-out").Length() != 1 {
			t.Errorf("merchant %d: GET /customers has no sign-out button", i)
		}
	}
}

// formatCount is how the directory states a total: "1,234 customers".
func formatCount(n int64) string {
	if n == 1 {
		return "1 customer"
	}
	digits := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String() + " customers"
}

// expectErrorPage fails the test unless p is the error page with status.
func expectErrorPage(t *testing.T, p *page, status int) {
	t.Helper()
	expect(t, p, status)
	if p.testID("error-page").Length() != 1 {
		t.Fatalf("%s %s: no error page\n%s", p.Request.Method, p.Request.URL.RequestURI(), truncate(p.Body))
	}
	if p.testID("error-message").Text() == "" {
		t.Errorf("%s %s: the error page says nothing", p.Request.Method, p.Request.URL.RequestURI())
	}
}

// expectRetryLogin fails the test unless the page offers to sign in again.
func expectRetryLogin(t *testing.T, p *page) {
	t.Helper()
	if href, _ := p.testID("error-retry").Attr("href"); href != "/login" {
		t.Errorf("%s %s: retry link = %q, want /login", p.Request.Method, p.Request.URL.RequestURI(), href)
	}
}

// withQuery returns u with the query parameters changed; an empty value
// removes the parameter.
func withQuery(u *url.URL, kv ...string) string {
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	c := *u
	c.RawQuery = q.Encode()
	return c.String()
}

func TestSignInReturnsOnlyToLocalPaths(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name, returnTo, want string
	}{
		{"a local path is kept", "/settings/connection", "/settings/connection"},
		{"a local path with a query is kept", "/customers?cursor=abc", "/customers?cursor=abc"},
		{"a protocol-relative URL is dropped", "//evil.com", "/customers"},
		{"a backslash URL is dropped", `/\evil.com`, "/customers"},
		{"an absolute URL is dropped", "https://evil.com", "/customers"},
		{"a javascript URL is dropped", "javascript:alert(1)", "/customers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := h.newBrowser()
			// The page keeps only a local path in its form...
			p := b.get("/login?" + url.Values{"return_to": {tt.returnTo}}.Encode())
			expect(t, p, http.StatusOK)
			wantField := tt.want
			if wantField == "/customers" {
				wantField = ""
			}
			if got, _ := p.Doc.Find(`input[name="return_to"]`).Attr("value"); got != wantField {
				t.Errorf("GET /login?return_to=%s: form return_to = %q, want %q", tt.returnTo, got, wantField)
			}
			// ...and the sign-in drops a bad one even when posted directly.
			cb := b.consent(b.startLogin(tt.returnTo), 0, "allow")
			expectRedirect(t, b.get(cb.String()), tt.want)
		})
	}
}

func TestSignInReturnsToThePageThatAskedForIt(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()

	p := b.get("/settings/connection")
	expectRedirect(t, p, "/login?return_to=%2Fsettings%2Fconnection")
	p = b.get(p.location())
	expect(t, p, http.StatusOK)
	p = b.post("/login", url.Values{"_csrf": {csrfToken(t, p)}, "return_to": {p.Doc.Find(`input[name="return_to"]`).AttrOr("value", "")}})
	expect(t, p, http.StatusSeeOther)
	authorize, err := url.Parse(p.location())
	if err != nil {
		t.Fatal(err)
	}
	expectRedirect(t, b.get(b.consent(authorize, 0, "allow").String()), "/settings/connection")
	expect(t, b.get("/settings/connection"), http.StatusOK)
}

func TestAuthorizeURLAsksForTheCodeFlowWithARandomState(t *testing.T) {
	for _, pkce := range []bool{false, true} {
		var opts []harnessOption
		if pkce {
			opts = append(opts, withPKCE())
		}
		h := newHarness(t, opts...)
		b := h.newBrowser()
		u := b.startLogin("")
		q := u.Query()

		if got, want := q.Get("redirect_uri"), h.url("/auth/callback"); got != want {
			t.Errorf("pkce=%t: authorize redirect_uri = %q, want %q", pkce, got, want)
		}
		if got := q.Get("client_id"); got != squarelocal.LocalClientID {
			t.Errorf("pkce=%t: authorize client_id = %q, want %q", pkce, got, squarelocal.LocalClientID)
		}
		if got := q.Get("response_type"); got != "code" {
			t.Errorf("pkce=%t: authorize response_type = %q, want code", pkce, got)
		}
		if got, want := strings.Fields(q.Get("scope")), []string{"CUSTOMERS_READ", "CUSTOMERS_WRITE", "PAYMENTS_READ", "PAYMENTS_WRITE", "MERCHANT_PROFILE_READ"}; !slices.Equal(got, want) {
			t.Errorf("pkce=%t: authorize scope = %q, want %q", pkce, got, want)
		}
		// 128 bits are 22 base64url characters.
		if state := q.Get("state"); len(state) < 22 {
			t.Errorf("pkce=%t: authorize state = %q, want at least 128 random bits", pkce, state)
		}
		if again := h.newBrowser().startLogin("").Query().Get("state"); again == q.Get("state") {
			t.Errorf("pkce=%t: two sign-ins got the same state %q", pkce, again)
		}
		challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
		if pkce && (len(challenge) != 43 || method != "S256") {
			t.Errorf("pkce=true: authorize code_challenge = %q, method %q, want 43 characters and S256", challenge, method)
		}
		if !pkce && (challenge != "" || method != "") {
			t.Errorf("pkce=false: authorize code_challenge = %q, method %q, want none", challenge, method)
		}

		cb := b.consent(u, 0, "allow")
		expectRedirect(t, b.get(cb.String()), "/customers")
		expect(t, b.get("/customers"), http.StatusOK)

		exchanges := h.wire.find(http.MethodPost, "/oauth2/token")
		if len(exchanges) != 1 {
			t.Fatalf("pkce=%t: %d token calls, want 1", pkce, len(exchanges))
		}
		req := exchanges[0].Request
		_, hasSecret := req["client_secret"]
		verifier, _ := req["code_verifier"].(string)
		if got := req["grant_type"]; got != "authorization_code" {
			t.Errorf("pkce=%t: exchange grant_type = %v, want authorization_code", pkce, got)
		}
		if got := req["redirect_uri"]; got != h.url("/auth/callback") {
			t.Errorf("pkce=%t: exchange redirect_uri = %v, want %s", pkce, got, h.url("/auth/callback"))
		}
		if pkce && (hasSecret || s256(verifier) != challenge) {
			t.Errorf("pkce=true: exchange sent client secret %t and a verifier whose S256 is %q, want no secret and %q", hasSecret, s256(verifier), challenge)
		}
		if !pkce && (!hasSecret || verifier != "") {
			t.Errorf("pkce=false: exchange sent client secret %t and verifier %q, want the secret and no verifier", hasSecret, verifier)
		}
	}
}

func TestCallbackRefusesABadStateWithoutExchangingTheCode(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name string
		// callback turns a genuine callback URL into the one to send.
		callback func(b *browser, cb *url.URL) string
	}{
		{"state missing", func(_ *browser, cb *url.URL) string { return withQuery(cb, "state", "") }},
		{"state wrong", func(_ *browser, cb *url.URL) string {
			return withQuery(cb, "state", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
		}},
		{"state replayed", func(b *browser, cb *url.URL) string {
			expectRedirect(t, b.get(cb.String()), "/customers")
			return cb.String()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := h.newBrowser()
			cb := b.consent(b.startLogin(""), 0, "allow")
			target := tt.callback(b, cb)
			before := h.tokenCalls()

			p := b.get(target)

			expectErrorPage(t, p, http.StatusBadRequest)
			expectRetryLogin(t, p)
			if got := h.tokenCalls(); got != before {
				t.Errorf("GET %s: %d token calls, want none", target, got-before)
			}
		})
	}
}

func TestCallbackInAnotherBrowserIsRefused(t *testing.T) {
	h := newHarness(t)
	victim := h.newBrowser()
	cb := victim.consent(victim.startLogin(""), 0, "allow")

	p := h.newBrowser().get(cb.String())

	expectErrorPage(t, p, http.StatusBadRequest)
	if got := h.tokenCalls(); got != 0 {
		t.Errorf("callback in another browser: %d token calls, want 0", got)
	}
	// The attempt in the other browser does not spoil the real one.
	expectRedirect(t, victim.get(cb.String()), "/customers")
}

func TestCallbackWithAnErrorFromSquareShowsAPageAndExchangesNothing(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name   string
		error  string
		status int
		retry  string
	}{
		{"the seller denied access", "access_denied", http.StatusForbidden, "Back to sign in"},
		{"Square failed", "server_error", http.StatusBadGateway, "Sign in again"},
		{"the request was bad", "invalid_scope", http.StatusBadGateway, "Sign in again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := h.newBrowser()
			// Deny on the consent page: Square sends the state back with
			// error=access_denied; other errors take its place.
			cb := b.consent(b.startLogin(""), 0, "deny")
			if cb.Query().Get("error") != "access_denied" || cb.Query().Get("state") == "" {
				t.Fatalf("deny: callback %s, want error=access_denied and the state", cb)
			}
			before := h.tokenCalls()

			p := b.get(withQuery(cb, "error", tt.error))

			expectErrorPage(t, p, tt.status)
			expectRetryLogin(t, p)
			if got := strings.TrimSpace(p.testID("error-retry").Text()); got != tt.retry {
				t.Errorf("callback error=%s: retry label = %q, want %q", tt.error, got, tt.retry)
			}
			if strings.Contains(p.Body, tt.error) {
				t.Errorf("callback error=%s: the page repeats Square's error code", tt.error)
			}
			if got := h.tokenCalls(); got != before {
				t.Errorf("callback error=%s: %d token calls, want none", tt.error, got-before)
			}
			if b.signedIn() {
				t.Errorf("callback error=%s: signed in, want signed out", tt.error)
			}
		})
	}
}

func TestCallbackWithACodeSquareRefusesShowsAClearPage(t *testing.T) {
	h := newHarness(t)
	// A code that was already used: the first browser signs in with it.
	first := h.newBrowser()
	used := first.consent(first.startLogin(""), 0, "allow")
	expectRedirect(t, first.get(used.String()), "/customers")

	tests := []struct {
		name, code, detail string
	}{
		{"a garbage code", "garbage", "not valid"},
		{"a code used already", used.Query().Get("code"), "already used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := h.newBrowser()
			cb := b.consent(b.startLogin(""), 0, "allow")
			refused := h.emu.CountCalls("POST /oauth2/token", http.StatusBadRequest)

			p := b.get(withQuery(cb, "code", tt.code))

			expectErrorPage(t, p, http.StatusBadGateway)
			expectRetryLogin(t, p)
			if got := h.emu.CountCalls("POST /oauth2/token", http.StatusBadRequest) - refused; got != 1 {
				t.Errorf("callback with %s: %d refused token calls, want 1", tt.name, got)
			}
			for _, leak := range []string{tt.detail, "INVALID_VALUE", "square:"} {
				if strings.Contains(p.Body, leak) {
					t.Errorf("callback with %s: the page shows %q from the error", tt.name, leak)
				}
			}
			if b.signedIn() {
				t.Errorf("callback with %s: signed in, want signed out", tt.name)
			}
		})
	}
}

func TestABrowserSendingFetchMetadataCanSignInAndOut(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	// Every browser since 2023 sends Sec-Fetch-Site; for our own pages
	// and forms it says same-origin.
	b.header.Set("Sec-Fetch-Site", "same-origin")

	b.signIn(0)
	b.signOut()

	if b.signedIn() {
		t.Errorf("after sign-out with Sec-Fetch-Site: signed in, want signed out")
	}
}
