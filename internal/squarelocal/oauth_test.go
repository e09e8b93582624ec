package squarelocal

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// PKCE values from RFC 7636, appendix B.
const (
	testVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	testChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

// oauthDo sends a JSON body to an OAuth endpoint; header holds name, value
// pairs (Content-Type is application/json unless given).
func oauthDo(t testing.TB, s *Server, path string, body any, header ...string) (int, []byte) {
	t.Helper()
	raw, ok := body.(string)
	if !ok {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		raw = string(b)
	}
	req := httptest.NewRequest("POST", path, strings.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// codeBody is an authorization_code ObtainToken body for the local app.
func codeBody(code string, kv ...any) map[string]any {
	b := map[string]any{"client_id": LocalClientID, "client_secret": LocalClientSecret, "grant_type": "authorization_code",
		"code": code, "redirect_uri": testRedirect}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(b, kv[i].(string))
		} else {
			b[kv[i].(string)] = kv[i+1]
		}
	}
	return b
}

// refreshBody is a refresh_token ObtainToken body for the local app.
func refreshBody(refresh string, kv ...any) map[string]any {
	b := codeBody("", kv...)
	delete(b, "code")
	delete(b, "redirect_uri")
	b["grant_type"], b["refresh_token"] = "refresh_token", refresh
	return b
}

// obtain calls ObtainToken and fails the test unless it answers 200.
func obtain(t testing.TB, s *Server, body map[string]any) tokenAnswer {
	t.Helper()
	status, out := oauthDo(t, s, "/oauth2/token", body)
	if status != 200 {
		t.Fatalf("ObtainToken(%v) = %d %s, want 200", body, status, out)
	}
	return decodeAs[tokenAnswer](t, out)
}

// exchangeCode exchanges a code in the code flow, or in PKCE when
// verifier is set.
func exchangeCode(t testing.TB, s *Server, code, verifier string) tokenAnswer {
	t.Helper()
	if verifier != "" {
		return obtain(t, s, codeBody(code, "client_secret", nil, "code_verifier", verifier))
	}
	return obtain(t, s, codeBody(code))
}

// apiStatus calls an API endpoint with a token and returns the status and
// the first error code, if any.
func apiStatus(t testing.TB, s *Server, token, method, path string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	er := decodeAs[errResp](t, rec.Body.Bytes())
	if len(er.Errors) > 0 {
		return rec.Code, er.Errors[0].Code
	}
	return rec.Code, ""
}

// wantTime checks that a timestamp is within a minute of want.
func wantTime(t testing.TB, name, got string, want time.Time) {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, got)
	if err != nil || at.Sub(want).Abs() > time.Minute {
		t.Errorf("%s = %q, want about %s", name, got, want.Format(time.RFC3339))
	}
}

func TestCodeFlowExchangesACodeOnce(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	m := s.Merchants()[0]
	code := authorizeCode(t, s, m.ID)
	tok := exchangeCode(t, s, code, "")
	if !strings.HasPrefix(tok.AccessToken, "EAAAl") || tok.TokenType != "bearer" || tok.MerchantID != m.ID ||
		!strings.HasPrefix(tok.RefreshToken, "EQAAl") || tok.ShortLived || tok.RefreshTokenExpiresAt != "" {
		t.Errorf("ObtainToken = %+v, want a bearer token and a non-expiring refresh token for %s", tok, m.ID)
	}
	wantTime(t, "expires_at", tok.ExpiresAt, s.Now().Add(30*24*time.Hour))
	if status, _ := apiStatus(t, s, tok.AccessToken, "GET", "/v2/cards"); status != 200 {
		t.Errorf("ListCards with the new token = %d, want 200", status)
	}

	status, out := oauthDo(t, s, "/oauth2/token", codeBody(code))
	wantError(t, "ObtainToken(used code)", status, out, 400, "INVALID_VALUE", "code")
	// A replayed code revokes what it led to (RFC 6749 §4.1.2).
	if status, code := apiStatus(t, s, tok.AccessToken, "GET", "/v2/cards"); status != 401 || code != "ACCESS_TOKEN_REVOKED" {
		t.Errorf("ListCards after the code was replayed = %d %s, want 401 ACCESS_TOKEN_REVOKED", status, code)
	}
	status, out = oauthDo(t, s, "/oauth2/token", refreshBody(tok.RefreshToken))
	wantError(t, "ObtainToken(refresh after the code was replayed)", status, out, 401, "UNAUTHORIZED", "")
}

func TestCodeExchangeRefusesWhatDoesNotMatch(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1, Apps: []App{
		{ClientID: LocalClientID, ClientSecret: LocalClientSecret},
		{ClientID: "sq0idp-other", ClientSecret: "other-secret"},
	}})
	m := s.Merchants()[0].ID
	tests := []struct {
		name        string
		body        func(code string) map[string]any
		status      int
		code, field string
	}{
		{"a wrong client secret", func(c string) map[string]any { return codeBody(c, "client_secret", "wrong") }, 401, "UNAUTHORIZED", ""},
		{"no client secret", func(c string) map[string]any { return codeBody(c, "client_secret", nil) }, 400, "MISSING_REQUIRED_PARAMETER", "client_secret"},
		{"an unknown client", func(c string) map[string]any { return codeBody(c, "client_id", "sq0idp-nobody") }, 401, "UNAUTHORIZED", ""},
		{"another app's credentials", func(c string) map[string]any {
			return codeBody(c, "client_id", "sq0idp-other", "client_secret", "other-secret")
		}, 400, "INVALID_VALUE", "code"},
		{"an unknown code", func(string) map[string]any { return codeBody("sq0cgb-nothing") }, 400, "INVALID_VALUE", "code"},
		{"no code", func(string) map[string]any { return codeBody("") }, 400, "MISSING_REQUIRED_PARAMETER", "code"},
		{"another redirect_uri", func(c string) map[string]any { return codeBody(c, "redirect_uri", testRedirect+"/x") }, 400, "INVALID_VALUE", "redirect_uri"},
		{"no redirect_uri although one was sent", func(c string) map[string]any { return codeBody(c, "redirect_uri", nil) }, 400, "INVALID_VALUE", "redirect_uri"},
		{"a code verifier for a code without a challenge", func(c string) map[string]any {
			return codeBody(c, "client_secret", nil, "code_verifier", testVerifier)
		}, 400, "MISSING_REQUIRED_PARAMETER", "client_secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := authorizeCode(t, s, m)
			status, out := oauthDo(t, s, "/oauth2/token", tt.body(code))
			wantError(t, "ObtainToken("+tt.name+")", status, out, tt.status, tt.code, tt.field)
			// The failed attempt did not use the code up.
			exchangeCode(t, s, code, "")
		})
	}
}

func TestAuthorizationCodesLastFiveMinutes(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	m := s.Merchants()[0].ID
	code := authorizeCode(t, s, m)
	s.Advance(5*time.Minute - time.Second)
	exchangeCode(t, s, code, "")

	code = authorizeCode(t, s, m)
	s.Advance(5 * time.Minute)
	status, out := oauthDo(t, s, "/oauth2/token", codeBody(code))
	wantError(t, "ObtainToken(code after 5 minutes)", status, out, 400, "INVALID_VALUE", "code")
}

func TestShortLivedTokensLastADay(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	tok := obtain(t, s, codeBody(authorizeCode(t, s, s.Merchants()[0].ID), "short_lived", true))
	if !tok.ShortLived {
		t.Errorf("ObtainToken(short_lived) short_lived = false, want true")
	}
	wantTime(t, "expires_at", tok.ExpiresAt, s.Now().Add(24*time.Hour))
	s.Advance(24 * time.Hour)
	if status, code := apiStatus(t, s, tok.AccessToken, "GET", "/v2/cards"); status != 401 || code != "ACCESS_TOKEN_EXPIRED" {
		t.Errorf("ListCards a day later = %d %s, want 401 ACCESS_TOKEN_EXPIRED", status, code)
	}
}

func TestPKCEExchangesWithTheVerifierAndRotatesRefreshTokens(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	m := s.Merchants()[0].ID
	pkceCode := func() string {
		return authorizeCode(t, s, m, "code_challenge", testChallenge, "code_challenge_method", "S256")
	}

	code := pkceCode()
	status, out := oauthDo(t, s, "/oauth2/token", codeBody(code, "client_secret", nil, "code_verifier", strings.Repeat("x", 43)))
	wantError(t, "ObtainToken(wrong verifier)", status, out, 400, "INVALID_VALUE", "code_verifier")
	status, out = oauthDo(t, s, "/oauth2/token", codeBody(code, "client_secret", nil))
	wantError(t, "ObtainToken(no verifier)", status, out, 400, "MISSING_REQUIRED_PARAMETER", "code_verifier")
	status, out = oauthDo(t, s, "/oauth2/token", codeBody(code, "client_secret", "wrong", "code_verifier", testVerifier))
	wantError(t, "ObtainToken(wrong secret with PKCE)", status, out, 401, "UNAUTHORIZED", "")

	tok := exchangeCode(t, s, code, testVerifier)
	wantTime(t, "refresh_token_expires_at", tok.RefreshTokenExpiresAt, s.Now().Add(90*24*time.Hour))

	next := obtain(t, s, refreshBody(tok.RefreshToken, "client_secret", nil))
	if next.RefreshToken == tok.RefreshToken || next.RefreshTokenExpiresAt == "" || next.AccessToken == tok.AccessToken {
		t.Errorf("PKCE refresh = %+v, want a new access token and a new expiring refresh token", next)
	}
	status, out = oauthDo(t, s, "/oauth2/token", refreshBody(tok.RefreshToken, "client_secret", nil))
	wantError(t, "ObtainToken(used PKCE refresh token)", status, out, 401, "UNAUTHORIZED", "")
	obtain(t, s, refreshBody(next.RefreshToken, "client_secret", nil))

	t.Run("PKCE refresh tokens expire after 90 days", func(t *testing.T) {
		tok := exchangeCode(t, s, pkceCode(), testVerifier)
		s.Advance(90 * 24 * time.Hour)
		status, out := oauthDo(t, s, "/oauth2/token", refreshBody(tok.RefreshToken, "client_secret", nil))
		wantError(t, "ObtainToken(refresh after 90 days)", status, out, 401, "UNAUTHORIZED", "")
	})
}

func TestCodeFlowRefreshTokensAreReusable(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	tok := exchangeCode(t, s, authorizeCode(t, s, s.Merchants()[0].ID), "")
	s.Advance(31 * 24 * time.Hour)
	var access []string
	for range 2 {
		next := obtain(t, s, refreshBody(tok.RefreshToken))
		if next.RefreshToken != tok.RefreshToken || next.RefreshTokenExpiresAt != "" {
			t.Errorf("code-flow refresh = %+v, want the same refresh token %s back", next, tok.RefreshToken)
		}
		wantTime(t, "expires_at", next.ExpiresAt, s.Now().Add(30*24*time.Hour))
		access = append(access, next.AccessToken)
	}
	for _, a := range access {
		if status, code := apiStatus(t, s, a, "GET", "/v2/cards"); status != 200 {
			t.Errorf("ListCards with a refreshed token = %d %s, want 200 (refreshed tokens are valid side by side)", status, code)
		}
	}
	if status, code := apiStatus(t, s, tok.AccessToken, "GET", "/v2/cards"); status != 401 || code != "ACCESS_TOKEN_EXPIRED" {
		t.Errorf("ListCards with the first token after 31 days = %d %s, want 401 ACCESS_TOKEN_EXPIRED", status, code)
	}
	status, out := oauthDo(t, s, "/oauth2/token", refreshBody(tok.RefreshToken, "client_secret", nil))
	wantError(t, "ObtainToken(code-flow refresh without secret)", status, out, 400, "MISSING_REQUIRED_PARAMETER", "client_secret")
	status, out = oauthDo(t, s, "/oauth2/token", refreshBody(tok.RefreshToken, "client_secret", "wrong"))
	wantError(t, "ObtainToken(code-flow refresh with a wrong secret)", status, out, 401, "UNAUTHORIZED", "")
}

func TestRefreshCanNarrowTheScopes(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	tok := exchangeCode(t, s, authorizeCode(t, s, s.Merchants()[0].ID), "")
	narrow := obtain(t, s, refreshBody(tok.RefreshToken, "scopes", []string{ScopePaymentsRead, "ORDERS_READ"}))
	status, out := oauthDo(t, s, "/oauth2/token/status", "", "Authorization", "Bearer "+narrow.AccessToken)
	if got := decodeAs[tokenStatusAnswer](t, out).Scopes; status != 200 || !slices.Equal(got, []string{ScopePaymentsRead}) {
		t.Errorf("token status of a narrowed token = %d %v, want [%s]", status, got, ScopePaymentsRead)
	}
	if status, code := apiStatus(t, s, narrow.AccessToken, "POST", "/v2/cards/ccof:x/disable"); status != 403 || code != "INSUFFICIENT_SCOPES" {
		t.Errorf("DisableCard with a PAYMENTS_READ token = %d %s, want 403 INSUFFICIENT_SCOPES", status, code)
	}
	status, out = oauthDo(t, s, "/oauth2/token", refreshBody(tok.RefreshToken, "scopes", []string{"ORDERS_READ"}))
	wantError(t, "ObtainToken(scopes never granted)", status, out, 400, "INVALID_VALUE", "scopes")
	// Narrowing one access token leaves the refresh token's scopes whole.
	if got := obtain(t, s, refreshBody(tok.RefreshToken)); got.AccessToken == "" {
		t.Errorf("refresh after narrowing = %+v", got)
	}
	status, out = oauthDo(t, s, "/oauth2/token/status", "", "Authorization", "Bearer "+obtain(t, s, refreshBody(tok.RefreshToken)).AccessToken)
	if got := decodeAs[tokenStatusAnswer](t, out).Scopes; status != 200 || !slices.Equal(got, AllScopes) {
		t.Errorf("token status after narrowing once = %d %v, want %v", status, got, AllScopes)
	}
}

func TestRevokeTokenRevokesOneTokenOrTheWholeAuthorization(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	m := s.Merchants()[0].ID
	first := exchangeCode(t, s, authorizeCode(t, s, m), "")
	second := exchangeCode(t, s, authorizeCode(t, s, m), "")
	other := exchangeCode(t, s, authorizeCode(t, s, s.Merchants()[1].ID), "")
	client := []string{"Authorization", "Client " + LocalClientSecret}
	revoke := func(body map[string]any) {
		t.Helper()
		status, out := oauthDo(t, s, "/oauth2/revoke", body, client...)
		if status != 200 || string(out) != `{"success":true}` {
			t.Fatalf("RevokeToken(%v) = %d %s, want 200 {\"success\":true}", body, status, out)
		}
	}
	works := func(name, token string, want int, wantCode string) {
		t.Helper()
		if status, code := apiStatus(t, s, token, "GET", "/v2/cards"); status != want || code != wantCode {
			t.Errorf("ListCards with %s = %d %s, want %d %s", name, status, code, want, wantCode)
		}
	}

	revoke(map[string]any{"client_id": LocalClientID, "access_token": first.AccessToken, "revoke_only_access_token": true})
	works("the revoked token", first.AccessToken, 401, "ACCESS_TOKEN_REVOKED")
	works("the other session's token", second.AccessToken, 200, "")
	refreshed := obtain(t, s, refreshBody(first.RefreshToken))
	works("a token refreshed after revoking one access token", refreshed.AccessToken, 200, "")

	revoke(map[string]any{"client_id": LocalClientID, "access_token": "EAAAl-unknown"})
	revoke(map[string]any{"client_id": LocalClientID, "merchant_id": m})
	works("a token after revoking the merchant's authorization", second.AccessToken, 401, "ACCESS_TOKEN_REVOKED")
	works("a refreshed token after revoking the authorization", refreshed.AccessToken, 401, "ACCESS_TOKEN_REVOKED")
	works("another merchant's token", other.AccessToken, 200, "")
	for _, rt := range []string{first.RefreshToken, second.RefreshToken} {
		status, out := oauthDo(t, s, "/oauth2/token", refreshBody(rt))
		wantError(t, "ObtainToken(revoked refresh token)", status, out, 401, "UNAUTHORIZED", "")
	}

	revoke(map[string]any{"client_id": LocalClientID, "access_token": other.AccessToken})
	works("a token revoked without revoke_only_access_token", other.AccessToken, 401, "ACCESS_TOKEN_REVOKED")
	status, out := oauthDo(t, s, "/oauth2/token", refreshBody(other.RefreshToken))
	wantError(t, "ObtainToken(refresh token of a fully revoked token)", status, out, 401, "UNAUTHORIZED", "")
}

func TestRevokeTokenRefusesBadRequests(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	m := s.Merchants()[0].ID
	tok := exchangeCode(t, s, authorizeCode(t, s, m), "")
	tests := []struct {
		name        string
		authz       string
		body        map[string]any
		status      int
		code, field string
	}{
		{"no Authorization header", "", map[string]any{"client_id": LocalClientID, "access_token": tok.AccessToken}, 401, "UNAUTHORIZED", ""},
		{"a Bearer header", "Bearer " + tok.AccessToken, map[string]any{"client_id": LocalClientID, "access_token": tok.AccessToken}, 401, "UNAUTHORIZED", ""},
		{"a wrong secret", "Client wrong", map[string]any{"client_id": LocalClientID, "access_token": tok.AccessToken}, 401, "UNAUTHORIZED", ""},
		{"an unknown client", "Client " + LocalClientSecret, map[string]any{"client_id": "nobody", "access_token": tok.AccessToken}, 401, "UNAUTHORIZED", ""},
		{"no client_id", "Client " + LocalClientSecret, map[string]any{"access_token": tok.AccessToken}, 400, "MISSING_REQUIRED_PARAMETER", "client_id"},
		{"both a token and a merchant", "Client " + LocalClientSecret, map[string]any{"client_id": LocalClientID, "access_token": tok.AccessToken, "merchant_id": m}, 400, "INVALID_VALUE", "merchant_id"},
		{"neither a token nor a merchant", "Client " + LocalClientSecret, map[string]any{"client_id": LocalClientID}, 400, "MISSING_REQUIRED_PARAMETER", "access_token"},
		{"revoke_only_access_token for a merchant", "Client " + LocalClientSecret, map[string]any{"client_id": LocalClientID, "merchant_id": m, "revoke_only_access_token": true}, 400, "INVALID_VALUE", "revoke_only_access_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			if tt.authz != "" {
				header = []string{"Authorization", tt.authz}
			}
			status, out := oauthDo(t, s, "/oauth2/revoke", tt.body, header...)
			wantError(t, "RevokeToken("+tt.name+")", status, out, tt.status, tt.code, tt.field)
		})
	}
	if status, code := apiStatus(t, s, tok.AccessToken, "GET", "/v2/cards"); status != 200 {
		t.Errorf("ListCards after refused revocations = %d %s, want 200", status, code)
	}
}

func TestTokenStatusDescribesTheToken(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1, PersonalAccessToken: "EAAAl-personal"})
	m := s.Merchants()[0].ID
	tok := exchangeCode(t, s, authorizeCode(t, s, m, "scope", "CUSTOMERS_READ ORDERS_READ"), "")
	status, out := oauthDo(t, s, "/oauth2/token/status", "", "Authorization", "Bearer "+tok.AccessToken)
	got := decodeAs[tokenStatusAnswer](t, out)
	if status != 200 || !slices.Equal(got.Scopes, []string{"CUSTOMERS_READ", "ORDERS_READ"}) || got.ExpiresAt != tok.ExpiresAt ||
		got.ClientID != LocalClientID || got.MerchantID != m {
		t.Errorf("token status = %d %+v, want the granted scopes, %s, %s and %s", status, got, tok.ExpiresAt, LocalClientID, m)
	}
	status, out = oauthDo(t, s, "/oauth2/token/status", "", "Authorization", "Bearer EAAAl-personal")
	got = decodeAs[tokenStatusAnswer](t, out)
	if status != 200 || got.ExpiresAt != "" || !slices.Equal(got.Scopes, AllScopes) || got.MerchantID != m || strings.Contains(string(out), "expires_at") {
		t.Errorf("token status of a personal token = %d %s, want every scope and no expires_at", status, out)
	}

	revoked := exchangeCode(t, s, authorizeCode(t, s, m), "")
	oauthDo(t, s, "/oauth2/revoke", map[string]any{"client_id": LocalClientID, "access_token": revoked.AccessToken, "revoke_only_access_token": true},
		"Authorization", "Client "+LocalClientSecret)
	tests := []struct {
		name, authz, code string
		advance           time.Duration
	}{
		{"no token", "", "UNAUTHORIZED", 0},
		{"an unknown token", "Bearer EAAAl-nothing", "UNAUTHORIZED", 0},
		{"a revoked token", "Bearer " + revoked.AccessToken, "ACCESS_TOKEN_REVOKED", 0},
		{"an expired token", "Bearer " + tok.AccessToken, "ACCESS_TOKEN_EXPIRED", 31 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.Advance(tt.advance)
			status, out := oauthDo(t, s, "/oauth2/token/status", "", "Authorization", tt.authz)
			wantError(t, "token status("+tt.name+")", status, out, 401, tt.code, "")
		})
	}
}

func TestObtainTokenRefusesBadRequests(t *testing.T) {
	s := New(Options{CustomersPerMerchant: -1})
	tests := []struct {
		name        string
		body        any
		contentType string
		status      int
		code, field string
	}{
		{"a form-encoded body", "client_id=" + LocalClientID + "&grant_type=authorization_code&code=x", "application/x-www-form-urlencoded", 400, "UNSUPPORTED_MEDIA_TYPE", ""},
		{"a text body", `{"client_id":"x"}`, "text/plain", 400, "UNSUPPORTED_MEDIA_TYPE", ""},
		{"a body that is not JSON", "{nope", "application/json", 400, "BAD_REQUEST", ""},
		{"no client_id", map[string]any{"grant_type": "authorization_code"}, "", 400, "MISSING_REQUIRED_PARAMETER", "client_id"},
		{"no grant_type", map[string]any{"client_id": LocalClientID}, "", 400, "MISSING_REQUIRED_PARAMETER", "grant_type"},
		{"an unknown grant_type", map[string]any{"client_id": LocalClientID, "client_secret": LocalClientSecret, "grant_type": "password"}, "", 400, "INVALID_VALUE", "grant_type"},
		{"the legacy migration_token grant", map[string]any{"client_id": LocalClientID, "grant_type": "migration_token", "migration_token": "x"}, "", 400, "INVALID_VALUE", "grant_type"},
		{"a number as client_id", map[string]any{"client_id": 7, "grant_type": "refresh_token"}, "", 400, "EXPECTED_STRING", "client_id"},
		{"a string as scopes", map[string]any{"client_id": LocalClientID, "grant_type": "refresh_token", "scopes": "CUSTOMERS_READ"}, "", 400, "EXPECTED_ARRAY", "scopes"},
		{"a client_id over 191 characters", map[string]any{"client_id": strings.Repeat("c", 192), "grant_type": "refresh_token"}, "", 400, "VALUE_TOO_LONG", "client_id"},
		{"a refresh grant without a refresh token", refreshBody(""), "", 400, "MISSING_REQUIRED_PARAMETER", "refresh_token"},
		{"an unknown refresh token", refreshBody("EQAAl-nothing"), "", 401, "UNAUTHORIZED", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			if tt.contentType != "" {
				header = []string{"Content-Type", tt.contentType}
			}
			status, out := oauthDo(t, s, "/oauth2/token", tt.body, header...)
			wantError(t, "ObtainToken("+tt.name+")", status, out, tt.status, tt.code, tt.field)
		})
	}
}

// FuzzObtainToken sends arbitrary bodies to the JSON endpoints of this
// part of the emulator: they must answer in Square's shape, never panic or
// fail with a 5xx.
func FuzzObtainToken(f *testing.F) {
	s := New(Options{CustomersPerMerchant: 1})
	m := s.Merchants()[0].ID
	token := s.MintAccessToken(m)
	for _, seed := range []string{
		`{"client_id":"` + LocalClientID + `","client_secret":"` + LocalClientSecret + `","grant_type":"authorization_code","code":"sq0cgb-x"}`,
		`{"client_id":"` + LocalClientID + `","grant_type":"refresh_token","refresh_token":"EQAAl-x","scopes":["CUSTOMERS_READ"]}`,
		`{"client_id":"` + LocalClientID + `","access_token":"EAAAl","merchant_id":"` + m + `"}`,
		`{"idempotency_key":"k","source_id":"cnon:card-nonce-ok","card":{"customer_id":"x","billing_address":{"country":"US"}}}`,
		`{"idempotency_key":"k2","source_id":"cnon:eyJ2IjoxfQ","card":{"customer_id":null}}`,
		`{"card_nonce":"cnon:card-nonce-ok"}`,
		`{"scopes":[1,2],"short_lived":"yes"}`,
		`[]`, `null`, `""`, `{`, `{"a":` + strings.Repeat("[", 1000),
	} {
		f.Add(seed)
	}
	paths := []string{"/oauth2/token", "/oauth2/revoke", "/oauth2/token/status", "/v2/cards", "/v2/customers/x/cards"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range paths {
			req := httptest.NewRequest("POST", path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if strings.HasPrefix(path, "/v2/") {
				req.Header.Set("Authorization", "Bearer "+token)
			} else {
				req.Header.Set("Authorization", "Client "+LocalClientSecret)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("POST %s %q = %d %s, want a JSON answer below 500", path, body, rec.Code, rec.Body)
			}
			if rec.Code != http.StatusOK && !strings.Contains(rec.Body.String(), `"errors"`) {
				t.Fatalf("POST %s %q = %d %s, want Square's errors array", path, body, rec.Code, rec.Body)
			}
		}
	})
}
