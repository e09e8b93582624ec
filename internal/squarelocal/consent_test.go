package squarelocal

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// testRedirect is the redirect URL Tessera registers in local mode.
const testRedirect = "http://localhost:8080/auth/callback"

// allScopes is the scope parameter asking for every enforced permission.
var allScopes = strings.Join(AllScopes, " ")

// consentForm is the consent page as a browser sees it.
type consentForm struct {
	status int
	header http.Header
	body   string
	// action is the form's action resolved against the page URL.
	action string
	fields url.Values
}

var (
	hiddenFieldPattern = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	formActionPattern  = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
)

// mounted is the emulator as Tessera mounts it, under /squarelocal/.
func mounted(s *Server) http.Handler { return http.StripPrefix("/squarelocal", s) }

// consentURL is the authorize URL under the /squarelocal/ prefix.
func consentURL(params url.Values) string {
	return "/squarelocal/oauth2/authorize?" + params.Encode()
}

// openConsent loads a consent page.
func openConsent(t testing.TB, h http.Handler, pageURL string) consentForm {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", pageURL, nil))
	f := consentForm{status: rec.Code, header: rec.Header(), body: rec.Body.String(), fields: url.Values{}}
	if m := formActionPattern.FindStringSubmatch(f.body); m != nil {
		base, _ := url.Parse(pageURL)
		ref, _ := url.Parse(html.UnescapeString(m[1]))
		f.action = base.ResolveReference(ref).String()
	}
	for _, m := range hiddenFieldPattern.FindAllStringSubmatch(f.body, -1) {
		f.fields.Add(m[1], html.UnescapeString(m[2]))
	}
	return f
}

// submit posts the consent form with a decision and a merchant; header
// holds name, value pairs.
func (f consentForm) submit(t testing.TB, h http.Handler, decision, merchantID string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	if f.action == "" {
		t.Fatalf("the consent page (%d) has no form: %s", f.status, f.body)
	}
	form := url.Values{}
	for k, v := range f.fields {
		form[k] = append([]string(nil), v...)
	}
	if decision != "" {
		form.Set("decision", decision)
	}
	if merchantID != "" {
		form.Set("merchant_id", merchantID)
	}
	return postForm(t, h, f.action, form, header...)
}

func postForm(t testing.TB, h http.Handler, target string, form url.Values, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("POST", target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// authorizeQuery is the query of a consent page for the local app; kv
// pairs change it (an empty value removes the parameter).
func authorizeQuery(kv ...string) url.Values {
	v := url.Values{"client_id": {LocalClientID}, "scope": {allScopes}, "state": {"st-123"}, "redirect_uri": {testRedirect}, "response_type": {"code"}}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v
}

// authorizeCode runs the consent page for a merchant and returns the code.
func authorizeCode(t testing.TB, s *Server, merchantID string, kv ...string) string {
	t.Helper()
	h := mounted(s)
	rec := openConsent(t, h, consentURL(authorizeQuery(kv...))).submit(t, h, "allow", merchantID)
	if rec.Code != http.StatusFound {
		t.Fatalf("Allow = %d %s, want 302", rec.Code, rec.Body)
	}
	loc, _ := url.Parse(rec.Header().Get("Location"))
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("Allow redirected to %s, want a code", loc)
	}
	return code
}

func TestConsentPageShowsTheRequest(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	ms := s.Merchants()
	state := `"><script>alert(1)</script>`
	f := openConsent(t, mounted(s), consentURL(authorizeQuery("state", state)))
	if f.status != 200 || !strings.HasPrefix(f.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /oauth2/authorize = %d %s, want 200 HTML", f.status, f.header.Get("Content-Type"))
	}
	csp := f.header.Get("Content-Security-Policy")
	nonce := regexp.MustCompile(`<style nonce="([^"]+)">`).FindStringSubmatch(f.body)
	for _, want := range []string{"default-src 'none'", "form-action 'self' http://localhost:8080;", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy = %q, want it to contain %q", csp, want)
		}
	}
	if nonce == nil || !strings.Contains(csp, "style-src 'nonce-"+nonce[1]+"'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy = %q with style nonce %v, want styles allowed by that nonce only", csp, nonce)
	}
	if got := f.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if f.action != "/squarelocal/oauth2/authorize" {
		t.Errorf("form action resolves to %q, want /squarelocal/oauth2/authorize (relative to the mount)", f.action)
	}
	if f.fields.Get("state") != state || f.fields.Get("client_id") != LocalClientID || f.fields.Get("redirect_uri") != testRedirect {
		t.Errorf("hidden fields = %v, want the request's state, client_id and redirect_uri", f.fields)
	}
	if strings.Contains(f.body, "<script>") || strings.Contains(f.body, " style=") {
		t.Errorf("the page has a script or a style attribute:\n%s", f.body)
	}
	wants := []string{
		`<button type="submit" name="decision" value="allow" class="primary">Allow</button>`,
		`<button type="submit" name="decision" value="deny">Deny</button>`,
		`value="` + ms[0].ID + `" data-testid="consent-merchant" checked>`,
		`value="` + ms[1].ID + `" data-testid="consent-merchant">`,
		html.EscapeString(ms[0].BusinessName) + ` <span class="muted">(United States)</span>`,
		html.EscapeString(ms[1].BusinessName) + ` <span class="muted">(Germany)</span>`,
		"<li>See your customer directory</li>",
		"<li>Save cards on file and take payments</li>",
		`<legend>Business to connect</legend>`,
		`<label for="merchant-0">`,
		"Square <span class=\"muted\">(local emulator)</span>",
	}
	for _, want := range wants {
		if !strings.Contains(f.body, want) {
			t.Errorf("the consent page lacks %s", want)
		}
	}
}

func TestConsentPageRefusesBadRequests(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1, Apps: []App{
		{ClientID: "sq0idp-registered", ClientSecret: "secret", RedirectURIs: []string{"https://app.example/cb", "https://app.example/other"}},
		{ClientID: LocalClientID, ClientSecret: LocalClientSecret},
	}})
	tests := []struct {
		name   string
		params url.Values
	}{
		{"no client_id", authorizeQuery("client_id", "")},
		{"an unknown client_id", authorizeQuery("client_id", "sq0idp-unknown")},
		{"a redirect_uri the app did not register", authorizeQuery("client_id", "sq0idp-registered", "redirect_uri", "https://evil.example/cb")},
		{"a relative redirect_uri", authorizeQuery("redirect_uri", "/auth/callback")},
		{"a javascript: redirect_uri", authorizeQuery("redirect_uri", "javascript:alert(1)")},
		{"a redirect_uri with a fragment", authorizeQuery("redirect_uri", testRedirect+"#x")},
		{"a redirect_uri with user information", authorizeQuery("redirect_uri", "http://user@localhost:8080/cb")},
		{"no redirect_uri for an app without registered ones", authorizeQuery("redirect_uri", "")},
		{"an unknown scope", authorizeQuery("scope", "CUSTOMERS_READ EVERYTHING")},
		{"a response_type other than code", authorizeQuery("response_type", "token")},
		{"the plain PKCE method", authorizeQuery("code_challenge", strings.Repeat("a", 43), "code_challenge_method", "plain")},
		{"a code challenge that is not a SHA-256", authorizeQuery("code_challenge", "short")},
		{"a challenge method without a challenge", authorizeQuery("code_challenge_method", "S256")},
		{"a state over 2048 characters", authorizeQuery("state", strings.Repeat("s", 2049))},
		{"client_id twice", func() url.Values { v := authorizeQuery(); v.Add("client_id", LocalClientID); return v }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := openConsent(t, mounted(s), consentURL(tt.params))
			if f.status != 400 || !strings.Contains(f.body, `data-testid="consent-error-message"`) || f.header.Get("Location") != "" || f.action != "" {
				t.Errorf("GET /oauth2/authorize?%s = %d (Location %q), want 400 with the error page", tt.params.Encode(), f.status, f.header.Get("Location"))
			}
			if !strings.Contains(f.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Errorf("error page CSP = %q, want frame-ancestors 'none'", f.header.Get("Content-Security-Policy"))
			}
		})
	}
	t.Run("a registered app's first URL is the default", func(t *testing.T) {
		h := mounted(s)
		f := openConsent(t, h, consentURL(authorizeQuery("client_id", "sq0idp-registered", "redirect_uri", "")))
		rec := f.submit(t, h, "deny", "")
		if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, "https://app.example/cb?") {
			t.Errorf("Deny redirected to %q, want https://app.example/cb", loc)
		}
	})
	t.Run("a registered app's other URL is accepted", func(t *testing.T) {
		f := openConsent(t, mounted(s), consentURL(authorizeQuery("client_id", "sq0idp-registered", "redirect_uri", "https://app.example/other")))
		if f.status != 200 || !strings.Contains(f.header.Get("Content-Security-Policy"), "form-action 'self' https://app.example;") {
			t.Errorf("consent page = %d, CSP %q, want 200 allowing the form to reach https://app.example", f.status, f.header.Get("Content-Security-Policy"))
		}
	})
	t.Run("the default scopes are Square's", func(t *testing.T) {
		f := openConsent(t, mounted(s), consentURL(authorizeQuery("scope", "")))
		if got := f.fields.Get("scope"); got != "MERCHANT_PROFILE_READ PAYMENTS_READ SETTLEMENTS_READ BANK_ACCOUNTS_READ" {
			t.Errorf("scope without a scope parameter = %q, want Square's default", got)
		}
	})
}

func TestAllowRedirectsBackWithACode(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	h := mounted(s)
	second := s.Merchants()[1]
	f := openConsent(t, h, consentURL(authorizeQuery("redirect_uri", testRedirect+"?from=login", "state", "a b&c")))
	rec := f.submit(t, h, "allow", second.ID)
	loc, err := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || err != nil {
		t.Fatalf("Allow = %d %q, want 302", rec.Code, rec.Header().Get("Location"))
	}
	q := loc.Query()
	if loc.Host != "localhost:8080" || loc.Path != "/auth/callback" || q.Get("from") != "login" ||
		!strings.HasPrefix(q.Get("code"), "sq0cgb-") || q.Get("response_type") != "code" || q.Get("state") != "a b&c" {
		t.Errorf("Allow redirected to %s, want the callback with its query, a code, response_type=code and the state", loc)
	}
	tok := obtain(t, s, codeBody(q.Get("code"), "redirect_uri", testRedirect+"?from=login"))
	if tok.MerchantID != second.ID {
		t.Errorf("ObtainToken merchant_id = %s, want the chosen merchant %s", tok.MerchantID, second.ID)
	}
}

func TestDenyRedirectsBackWithAccessDenied(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	h := mounted(s)
	rec := openConsent(t, h, consentURL(authorizeQuery())).submit(t, h, "deny", s.Merchants()[0].ID)
	loc, _ := url.Parse(rec.Header().Get("Location"))
	q := loc.Query()
	if rec.Code != http.StatusFound || q.Get("error") != "access_denied" || q.Get("error_description") != "user_denied" ||
		q.Get("state") != "st-123" || q.Has("code") {
		t.Errorf("Deny = %d to %s, want 302 with error=access_denied, error_description=user_denied and the state", rec.Code, loc)
	}
	if n := len(s.codes); n != 0 {
		t.Errorf("Deny made %d codes, want none", n)
	}
}

func TestConsentFormsCannotBeForged(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	h := mounted(s)
	m := s.Merchants()[0].ID
	tests := []struct {
		name       string
		change     func(f *consentForm)
		decision   string
		header     []string
		advance    time.Duration
		wantStatus int
	}{
		{"a scope added to the form", func(f *consentForm) { f.fields.Set("scope", allScopes+" ORDERS_WRITE") }, "allow", nil, 0, 403},
		{"another redirect_uri", func(f *consentForm) { f.fields.Set("redirect_uri", "http://evil.example/cb") }, "allow", nil, 0, 403},
		{"a form without its token", func(f *consentForm) { f.fields.Del("consent_token") }, "allow", nil, 0, 403},
		{"a token from another page", func(f *consentForm) { f.fields.Set("consent_token", "1.AAAA") }, "allow", nil, 0, 403},
		{"a post from another site", func(*consentForm) {}, "allow", []string{"Sec-Fetch-Site", "cross-site"}, 0, 403},
		{"a form shown two hours ago", func(*consentForm) {}, "allow", nil, 2 * time.Hour, 403},
		{"no decision", func(*consentForm) {}, "", nil, 0, 400},
		{"an unknown client", func(f *consentForm) { f.fields.Set("client_id", "nobody") }, "allow", nil, 0, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := openConsent(t, h, consentURL(authorizeQuery()))
			tt.change(&f)
			s.Advance(tt.advance)
			rec := f.submit(t, h, tt.decision, m, tt.header...)
			if rec.Code != tt.wantStatus || rec.Header().Get("Location") != "" {
				t.Errorf("POST /oauth2/authorize = %d (Location %q), want %d and no redirect", rec.Code, rec.Header().Get("Location"), tt.wantStatus)
			}
		})
	}
	t.Run("an unknown merchant", func(t *testing.T) {
		f := openConsent(t, h, consentURL(authorizeQuery()))
		if rec := f.submit(t, h, "allow", "NOBODY"); rec.Code != 400 {
			t.Errorf("Allow for an unknown merchant = %d, want 400", rec.Code)
		}
	})
	t.Run("a body that is not a form", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/oauth2/authorize", strings.NewReader("%zz"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 400 {
			t.Errorf("POST /oauth2/authorize with a broken body = %d, want 400", rec.Code)
		}
	})
	if n := len(s.codes); n != 0 {
		t.Errorf("forged forms made %d codes, want none", n)
	}
}
