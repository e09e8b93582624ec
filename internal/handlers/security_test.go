package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// setCookie finds the cookie a response sets.
func setCookie(p *page, name string) *http.Cookie {
	for _, c := range p.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// rawSetCookie is the Set-Cookie header line of a cookie.
func rawSetCookie(p *page, name string) string {
	for _, line := range p.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, name+"=") {
			return line
		}
	}
	return ""
}

func TestCookiesAreNamedAndFlaggedForTheScheme(t *testing.T) {
	tests := []struct {
		name                      string
		opts                      []harnessOption
		sessionCookie, csrfCookie string
		secure                    bool
	}{
		{"plain http", nil, "tessera", "csrf", false},
		{"https", []harnessOption{withTLS()}, "__Host-tessera", "__Host-csrf", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.opts...)
			b := h.newBrowser()

			login := b.get("/login")
			expect(t, login, http.StatusOK)
			p := b.post("/login", url.Values{"_csrf": {csrfToken(t, login)}})
			expect(t, p, http.StatusSeeOther)

			for _, c := range []struct {
				name string
				page *page
			}{{tt.csrfCookie, login}, {tt.sessionCookie, p}} {
				got := setCookie(c.page, c.name)
				if got == nil {
					t.Errorf("%s %s sets no cookie %s; Set-Cookie: %q", c.page.Request.Method, c.page.Request.URL.Path, c.name, c.page.Header.Values("Set-Cookie"))
					continue
				}
				if !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Path != "/" || got.Domain != "" || got.Secure != tt.secure {
					t.Errorf("cookie %s = %q, want HttpOnly, SameSite=Lax, Path=/, no Domain, Secure %t", c.name, rawSetCookie(c.page, c.name), tt.secure)
				}
				if strings.Contains(strings.ToLower(rawSetCookie(c.page, c.name)), "domain=") {
					t.Errorf("cookie %s = %q, want no Domain", c.name, rawSetCookie(c.page, c.name))
				}
			}
			for _, wrong := range []string{"tessera", "__Host-tessera", "csrf", "__Host-csrf", "_csrf"} {
				if wrong == tt.sessionCookie || wrong == tt.csrfCookie {
					continue
				}
				if setCookie(login, wrong) != nil || setCookie(p, wrong) != nil {
					t.Errorf("%s: a cookie named %s is set", tt.name, wrong)
				}
			}

			// The whole sign-in works with these cookies, and the session
			// cookie holds a signed id, not a token.
			cb := b.consent(mustParse(t, p.location()), 0, "allow")
			expectRedirect(t, b.get(cb.String()), "/customers")
			value := b.cookie(tt.sessionCookie)
			if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$`).MatchString(value) {
				t.Errorf("session cookie = %q, want a signed random id", value)
			}
			for _, token := range h.wire.issuedTokens() {
				if strings.Contains(value, token) {
					t.Errorf("the session cookie holds a token Square issued")
				}
			}
			expect(t, b.get("/customers"), http.StatusOK)

			hsts := login.Header.Get("Strict-Transport-Security")
			if tt.secure && !strings.HasPrefix(hsts, "max-age=") {
				t.Errorf("GET /login over https: Strict-Transport-Security = %q, want max-age=…", hsts)
			}
			if !tt.secure && hsts != "" {
				t.Errorf("GET /login over http: Strict-Transport-Security = %q, want none", hsts)
			}
		})
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", s, err)
	}
	return u
}

var nonceInCSP = regexp.MustCompile(`script-src [^;]*'nonce-([^']+)'`)

// checkHeaders asserts the headers every page of ours carries and returns
// the CSP nonce.
func checkHeaders(t *testing.T, p *page) string {
	t.Helper()
	where := p.Request.Method + " " + p.Request.URL.RequestURI()
	csp := p.Header.Get("Content-Security-Policy")
	m := nonceInCSP.FindStringSubmatch(csp)
	if m == nil {
		t.Fatalf("%s: Content-Security-Policy = %q, want a script nonce", where, csp)
	}
	for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("%s: Content-Security-Policy has %s: %q", where, bad, csp)
		}
	}
	for _, want := range []string{"object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy = %q, want %s", where, csp, want)
		}
	}
	scripts := p.Doc.Find("script")
	if scripts.Length() == 0 {
		t.Errorf("%s: no script tags", where)
	}
	scripts.Each(func(_ int, s *goquery.Selection) {
		if nonce, _ := s.Attr("nonce"); nonce != m[1] {
			src, _ := s.Attr("src")
			t.Errorf("%s: script %s has nonce %q, want the CSP's %q", where, src, nonce, m[1])
		}
	})
	checks := []struct{ header, want string }{
		{"X-Content-Type-Options", "nosniff"},
		{"Referrer-Policy", "same-origin"},
		{"Cache-Control", "no-store"},
		{"Strict-Transport-Security", ""},
		{"X-Frame-Options", "DENY"},
		// Kept although it costs the Lighthouse score a process start
		// (docs/performance.md, "Lighthouse"): it severs cross-origin
		// openers, and Chrome on Android gives a page that sends it a
		// process of its own.
		{"Cross-Origin-Opener-Policy", "same-origin"},
	}
	for _, c := range checks {
		if got := p.Header.Get(c.header); got != c.want {
			t.Errorf("%s: %s = %q, want %q", where, c.header, got, c.want)
		}
	}
	return m[1]
}

func TestPagesCarryACSPWithAFreshNonceAndTheSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	first := checkHeaders(t, b.get("/login"))
	second := checkHeaders(t, b.get("/login"))
	if first == second {
		t.Errorf("two responses share the CSP nonce %q", first)
	}
	checkHeaders(t, b.get("/no/such/page"))

	b.signIn(0)
	p := b.get("/customers")
	expect(t, p, http.StatusOK)
	checkHeaders(t, p)
	if got, _ := p.Doc.Find("body").Attr("hx-history"); got != "false" {
		t.Errorf(`GET /customers: <body hx-history=%q>, want "false"`, got)
	}
	checkHeaders(t, b.get("/settings/connection"))
}

func TestABadSessionCookieMeansSignedOut(t *testing.T) {
	h := newHarness(t)
	good := h.newBrowser()
	good.signIn(0)
	valid := good.sessionCookie()
	id, sig, _ := strings.Cut(valid, ".")

	// A cookie signed with another key, for a record in the same database.
	foreign, err := session.NewManager(h.db, session.Options{
		Secrets: [][]byte{[]byte("another-secret-entirely-0123456789abcdef")}, Now: h.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	data, _ := h.sessionData(valid)
	if _, err := foreign.Login(t.Context(), rec, nil, data); err != nil {
		t.Fatal(err)
	}
	var foreignValue string
	for _, c := range rec.Result().Cookies() {
		foreignValue = c.Value
	}

	tests := []struct{ name, value string }{
		{"garbage", "garbage"},
		{"empty", ""},
		{"a tampered signature", id + "." + flip(sig)},
		{"a tampered id", flip(id) + "." + sig},
		{"an id without signature", id},
		{"another key's signature", foreignValue},
		{"a very long value", strings.Repeat("A", 3000)},
		{"odd characters", `"%00<script>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := h.newBrowser()
			p := b.get("/customers", "Cookie", h.sessions.CookieName()+"="+tt.value)
			expectRedirect(t, p, "/login?return_to=%2Fcustomers")
			p = b.get("/customers", "Cookie", h.sessions.CookieName()+"="+tt.value, "HX-Request", "true")
			expect(t, p, http.StatusUnauthorized)
		})
	}
	// The genuine session was not harmed.
	expect(t, good.get("/customers"), http.StatusOK)
}

// flip changes the last character of s.
func flip(s string) string {
	if s == "" {
		return "A"
	}
	last := s[len(s)-1]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	return s[:len(s)-1] + string(repl)
}

func TestPostsWithoutAValidCSRFTokenOrFromAnotherSiteAreRefused(t *testing.T) {
	h := newHarness(t)
	origin := h.base.Scheme + "://" + h.base.Host
	tests := []struct {
		name string
		// token says what the form carries: the real token, a wrong one,
		// or none; header carries it in X-CSRF-Token instead.
		token  string
		header []string
		status int
	}{
		{"no token", "", nil, http.StatusForbidden},
		{"a wrong token", "wrong", nil, http.StatusForbidden},
		{"a valid token sent cross-site", "valid", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"a valid token sent from a sibling site", "valid", []string{"Sec-Fetch-Site", "same-site"}, http.StatusForbidden},
		{"a valid token with Origin null", "valid", []string{"Origin", "null"}, http.StatusForbidden},
		{"a valid token with a foreign Origin", "valid", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"a valid token from a same-origin fetch", "valid", []string{"Sec-Fetch-Site", "same-origin", "Origin", origin}, http.StatusSeeOther},
		{"the token in the X-CSRF-Token header", "", []string{"X-CSRF-Token", "valid"}, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run("login with "+tt.name, func(t *testing.T) {
			b := h.newBrowser()
			token := csrfToken(t, b.get("/login"))
			p := b.post("/login", csrfForm(tt.token, token), csrfHeader(tt.header, token)...)

			expect(t, p, tt.status)
			if tt.status == http.StatusForbidden {
				expectErrorPage(t, p, http.StatusForbidden)
				if b.sessionCookie() != "" {
					t.Errorf("refused POST /login: a sign-in was started (session cookie set)")
				}
			}
		})
		t.Run("logout with "+tt.name, func(t *testing.T) {
			b := h.newBrowser()
			token := csrfToken(t, b.signIn(0))
			revokes := h.revokeCalls()
			p := b.post("/logout", csrfForm(tt.token, token), csrfHeader(tt.header, token)...)

			expect(t, p, tt.status)
			signedIn := b.signedIn()
			if tt.status == http.StatusForbidden {
				expectErrorPage(t, p, http.StatusForbidden)
				if got := h.revokeCalls() - revokes; got != 0 || !signedIn {
					t.Errorf("refused POST /logout: %d revoke calls, signed in %t; want none and still signed in", got, signedIn)
				}
			} else if got := h.revokeCalls() - revokes; got != 1 || signedIn {
				t.Errorf("accepted POST /logout: %d revoke calls, signed in %t; want 1 and signed out", got, signedIn)
			}
		})
	}
}

// csrfForm is the form a test case posts: "valid" stands for the real token.
func csrfForm(which, token string) url.Values {
	switch which {
	case "":
		return url.Values{}
	case "valid":
		return url.Values{"_csrf": {token}}
	}
	return url.Values{"_csrf": {which}}
}

// csrfHeader fills the real token into a case's headers.
func csrfHeader(kv []string, token string) []string {
	out := make([]string, len(kv))
	for i, v := range kv {
		if v == "valid" {
			v = token
		}
		out[i] = v
	}
	return out
}

func TestGETNeverSignsOut(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)

	p := b.get("/logout")

	// Echo's catch-all for the group middleware answers 404 where a bare
	// router would say 405; either way nothing happened.
	if p.StatusCode != http.StatusMethodNotAllowed && p.StatusCode != http.StatusNotFound {
		t.Errorf("GET /logout = %d, want 405 or 404", p.StatusCode)
	}
	if got := h.revokeCalls(); got != 0 {
		t.Errorf("GET /logout: %d revoke calls, want 0", got)
	}
	if !b.signedIn() {
		t.Errorf("GET /logout: signed out, want still signed in")
	}
}

// requestLog returns the request log line of the response.
func requestLog(t *testing.T, h *harness, p *page) string {
	t.Helper()
	id := p.Header.Get("X-Request-Id")
	for _, line := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(line, "msg=request ") && strings.Contains(line, "id="+id+" ") {
			return line
		}
	}
	t.Fatalf("no request log line with id=%s", id)
	return ""
}

var spoofed = []string{
	"X-Forwarded-For", "1.2.3.4",
	"X-Forwarded-Host", "evil.example",
	"X-Forwarded-Proto", "https",
	"X-Real-Ip", "5.6.7.8",
	"Forwarded", "for=1.2.3.4;host=evil.example;proto=https",
}

func TestForwardedHeadersFromAnUntrustedPeerChangeNothing(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.header = headers(spoofed...)

	p := b.get("/login")
	expect(t, p, http.StatusOK)
	if line := requestLog(t, h, p); !strings.Contains(line, "ip=127.0.0.1 ") {
		t.Errorf("GET /login with X-Forwarded-For from an untrusted peer: log %q, want ip=127.0.0.1", line)
	}
	if got := p.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("GET /login with X-Forwarded-Proto: https: Strict-Transport-Security = %q, want none", got)
	}
	if setCookie(p, "__Host-csrf") != nil {
		t.Errorf("GET /login with X-Forwarded-Proto: https: a __Host- cookie on plain http")
	}

	authorize := b.startLogin("")
	if authorize.Host != h.base.Host {
		t.Errorf("POST /login with X-Forwarded-Host: authorize URL host = %q, want %q", authorize.Host, h.base.Host)
	}
	if got, want := authorize.Query().Get("redirect_uri"), h.url("/auth/callback"); got != want {
		t.Errorf("POST /login with X-Forwarded-Host: redirect_uri = %q, want %q", got, want)
	}
	expectRedirect(t, b.get(b.consent(authorize, 0, "allow").String()), "/customers")
	expectRedirect(t, b.get("/"), "/customers")
	b.signOut()
	expectRedirect(t, b.get("/customers"), "/login?return_to=%2Fcustomers")
}

func TestForwardedForFromATrustedProxyIsLogged(t *testing.T) {
	h := newHarness(t, withTrustedProxies(netip.MustParsePrefix("127.0.0.0/8")))
	b := h.newBrowser()
	b.header = headers(spoofed...)

	p := b.get("/login")
	expect(t, p, http.StatusOK)
	if line := requestLog(t, h, p); !strings.Contains(line, "ip=1.2.3.4 ") {
		t.Errorf("GET /login with X-Forwarded-For from a trusted proxy: log %q, want ip=1.2.3.4", line)
	}
	// Even a trusted proxy does not choose the redirect URI.
	if got, want := b.startLogin("").Query().Get("redirect_uri"), h.url("/auth/callback"); got != want {
		t.Errorf("POST /login behind a trusted proxy with X-Forwarded-Host: redirect_uri = %q, want %q", got, want)
	}
}

func TestLogsHoldNoTokensCookiesOrCustomerContacts(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	authorize := b.startLogin("")
	secrets := map[string]string{
		"the OAuth state":      authorize.Query().Get("state"),
		"the pre-login cookie": b.sessionCookie(),
		"the CSRF cookie":      b.cookie("csrf"),
		"the client secret":    squarelocal.LocalClientSecret,
	}
	cb := b.consent(authorize, 0, "allow")
	secrets["the authorization code"] = cb.Query().Get("code")
	expectRedirect(t, b.get(cb.String()), "/customers")
	secrets["the session cookie"] = b.sessionCookie()
	id, _, _ := strings.Cut(b.sessionCookie(), ".")
	secrets["the session id"] = id
	for i, tok := range h.wire.issuedTokens() {
		secrets[fmt.Sprintf("issued token %d", i)] = tok
	}

	p := b.get("/customers")
	expect(t, p, http.StatusOK)
	contacts := 0
	p.testID("customer-row").Each(func(i int, s *goquery.Selection) {
		for _, td := range []int{0, 1} {
			if v := strings.TrimSpace(s.Find("td").Eq(td).Text()); v != "" {
				secrets[fmt.Sprintf("the contact in row %d, column %d", i, td)] = v
				contacts++
			}
		}
	})
	if contacts == 0 {
		t.Fatal("GET /customers shows no email or phone to look for")
	}
	expect(t, b.get("/settings/connection"), http.StatusOK)
	b.signOut()

	logs := h.logs.String()
	if !strings.Contains(logs, "msg=request") {
		t.Fatal("nothing was logged")
	}
	for what, secret := range secrets {
		if secret != "" && strings.Contains(logs, secret) {
			t.Errorf("the log holds %s", what)
		}
	}
}

// echoingSquare answers every CreateCustomer with the given status and an
// error whose detail repeats what was typed, as real Square's details may.
func echoingSquare(status int, code, field, detail string) func(http.RoundTripper) http.RoundTripper {
	return func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method != http.MethodPost || r.URL.Path != "/v2/customers" {
				return next.RoundTrip(r)
			}
			body := `{"errors":[{"category":"INVALID_REQUEST_ERROR","code":"` + code + `","field":"` + field + `","detail":"` + detail + `"}]}`
			if status >= 500 {
				body = `{"errors":[{"category":"API_ERROR","code":"INTERNAL_SERVER_ERROR","detail":"` + detail + `"}]}`
			}
			return &http.Response{
				StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(body)), Request: r,
			}, nil
		})
	}
}

func TestLogsHoldNoContactDetailsSquareRepeatsInItsErrors(t *testing.T) {
	const email, phone = "ada.private@example.com", "+44 20 7946 0123"
	cases := []struct {
		name   string
		status int
		wrap   func(http.RoundTripper) http.RoundTripper
	}{
		{"a refusal that names the email", http.StatusBadRequest,
			echoingSquare(http.StatusBadRequest, "INVALID_EMAIL_ADDRESS", "email_address", "Email "+email+" is not valid.")},
		{"a failure that repeats the phone", http.StatusInternalServerError,
			echoingSquare(http.StatusInternalServerError, "", "", "Could not save phone "+phone+".")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newCustEnv(t, 0, withSquareTransport(tc.wrap))
			form := e.b.get("/customers/new")
			expect(t, form, http.StatusOK)
			p := e.submit(form, `[data-testid="customer-form"]`, map[string]string{"given_name": "Ada", "email_address": email, "phone_number": phone})
			if p.StatusCode == http.StatusSeeOther || p.StatusCode < 400 {
				t.Fatalf("POST /customers with Square refusing = %d, want the form again", p.StatusCode)
			}
			logs := e.h.logs.String()
			if !strings.Contains(logs, "/v2/customers") {
				t.Fatalf("the log has no line about Square's answer, want one to check:\n%s", logs)
			}
			for _, secret := range []string{email, phone, "ada.private"} {
				if strings.Contains(logs, secret) {
					t.Errorf("the log holds %q from Square's detail:\n%s", secret, logs)
				}
			}
		})
	}
}

// roundTripFunc is a function as an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
