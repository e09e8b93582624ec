package square

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const tokenResponse = `{
  "access_token": "EAAAnew-access-token",
  "token_type": "bearer",
  "expires_at": "2025-09-19T10:00:00Z",
  "merchant_id": "DM7VKY8Q63GNP",
  "refresh_token": "EQAAnew-refresh-token",
  "short_lived": false
}`

func TestOAuthExchangeCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		verifier string
		wantBody string
	}{
		{
			name:     "the code flow sends the client secret",
			verifier: "",
			wantBody: `{"client_id":"` + testClientID + `","client_secret":"` + testClientSecret + `","grant_type":"authorization_code","code":"sq0cgb-code","redirect_uri":"https://tessera.example/auth/callback"}`,
		},
		{
			name:     "the PKCE flow sends the verifier and no secret",
			verifier: "verifier-123",
			wantBody: `{"client_id":"` + testClientID + `","grant_type":"authorization_code","code":"sq0cgb-code","redirect_uri":"https://tessera.example/auth/callback","code_verifier":"verifier-123"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			env.mux.HandleFunc("/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "POST")
				// The client has a merchant token, but the token endpoint must not see it.
				testNoHeader(t, r, "Authorization")
				testHeader(t, r, "Content-Type", "application/json")
				testHeader(t, r, "Square-Version", DefaultSquareVersion)
				testJSONBody(t, r, tt.wantBody)
				fmt.Fprint(w, tokenResponse)
			})
			got, err := env.client.OAuth.ExchangeCode(t.Context(), "sq0cgb-code", "https://tessera.example/auth/callback", tt.verifier)
			if err != nil {
				t.Fatalf("OAuth.ExchangeCode(ctx, code, uri, %q) error = %v", tt.verifier, err)
			}
			want := &Token{
				Token: &oauth2.Token{
					AccessToken:  "EAAAnew-access-token",
					TokenType:    "bearer",
					RefreshToken: "EQAAnew-refresh-token",
					Expiry:       time.Date(2025, 9, 19, 10, 0, 0, 0, time.UTC),
				},
				MerchantID: "DM7VKY8Q63GNP",
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("OAuth.ExchangeCode(ctx, code, uri, %q) = %+v (%+v), want %+v (%+v)", tt.verifier, got, got.Token, want, want.Token)
			}
			if got.Type() != "Bearer" {
				t.Errorf("Token.Type() = %q, want Bearer", got.Type())
			}
		})
	}
}

func TestOAuthExpiresAtSetsExpiry(t *testing.T) {
	t.Parallel()
	env := setup(t)
	expiresAt := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Millisecond)
	env.mux.HandleFunc("/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"access_token":"EAAAx","token_type":"bearer","expires_at":%q,"merchant_id":"M","refresh_token":"EQAAx"}`, expiresAt.Format(time.RFC3339Nano))
	})
	got, err := env.client.OAuth.ExchangeCode(t.Context(), "code", "", "")
	if err != nil {
		t.Fatalf("OAuth.ExchangeCode() error = %v", err)
	}
	if !got.Expiry.Equal(expiresAt) {
		t.Errorf("Token.Expiry = %v, want %v from expires_at", got.Expiry, expiresAt)
	}
	if !got.Valid() {
		t.Errorf("Token.Valid() = false, want true for a token expiring in 30 days")
	}
}

func TestOAuthRefreshToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		pkce     bool
		wantBody string
		response string
		want     *Token
	}{
		{
			name:     "a code-flow refresh sends the client secret",
			pkce:     false,
			wantBody: `{"client_id":"` + testClientID + `","client_secret":"` + testClientSecret + `","grant_type":"refresh_token","refresh_token":"EQAAold"}`,
			response: `{"access_token":"EAAAnew","token_type":"bearer","expires_at":"2025-09-19T10:00:00.5Z","merchant_id":"M1","refresh_token":"EQAAold"}`,
			want: &Token{
				Token:      &oauth2.Token{AccessToken: "EAAAnew", TokenType: "bearer", RefreshToken: "EQAAold", Expiry: time.Date(2025, 9, 19, 10, 0, 0, 500000000, time.UTC)},
				MerchantID: "M1",
			},
		},
		{
			name:     "a PKCE refresh sends no secret and reads the new refresh token's expiry",
			pkce:     true,
			wantBody: `{"client_id":"` + testClientID + `","grant_type":"refresh_token","refresh_token":"EQAAold"}`,
			response: `{"access_token":"EAAAnew","token_type":"bearer","expires_at":"2025-09-19T10:00:00Z","merchant_id":"M1","refresh_token":"EQAAnext","short_lived":true,"refresh_token_expires_at":"2025-11-18T10:00:00Z"}`,
			want: &Token{
				Token:                 &oauth2.Token{AccessToken: "EAAAnew", TokenType: "bearer", RefreshToken: "EQAAnext", Expiry: time.Date(2025, 9, 19, 10, 0, 0, 0, time.UTC)},
				MerchantID:            "M1",
				ShortLived:            true,
				RefreshTokenExpiresAt: time.Date(2025, 11, 18, 10, 0, 0, 0, time.UTC),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			env.mux.HandleFunc("/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "POST")
				testNoHeader(t, r, "Authorization")
				testJSONBody(t, r, tt.wantBody)
				fmt.Fprint(w, tt.response)
			})
			got, err := env.client.OAuth.RefreshToken(t.Context(), "EQAAold", tt.pkce)
			if err != nil {
				t.Fatalf("OAuth.RefreshToken(ctx, EQAAold, %v) error = %v", tt.pkce, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("OAuth.RefreshToken(ctx, EQAAold, %v) = %+v (%+v), want %+v (%+v)", tt.pkce, got, got.Token, tt.want, tt.want.Token)
			}
		})
	}
}

func TestOAuthTokenResponsesThatCannotBeUsed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		response string
	}{
		{"a response without an access token is an error", `{"token_type":"bearer"}`},
		{"an unreadable expires_at is an error", `{"access_token":"EAAAx","expires_at":"next tuesday"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			env.mux.HandleFunc("/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, tt.response)
			})
			if got, err := env.client.OAuth.ExchangeCode(t.Context(), "code", "", ""); err == nil {
				t.Errorf("OAuth.ExchangeCode() = %+v, want an error", got)
			}
		})
	}
}

func TestOAuthNeedsCredentialsBeforeSending(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
	})
	noSecret, err := NewClient(Options{BaseURL: env.server.URL, ClientID: testClientID})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	noID, err := NewClient(Options{BaseURL: env.server.URL, ClientSecret: testClientSecret})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	ctx := t.Context()
	checks := map[string]error{
		"code flow without a secret":    func() error { _, err := noSecret.OAuth.ExchangeCode(ctx, "code", "", ""); return err }(),
		"code refresh without a secret": func() error { _, err := noSecret.OAuth.RefreshToken(ctx, "EQAA", false); return err }(),
		"exchange without a client id":  func() error { _, err := noID.OAuth.ExchangeCode(ctx, "code", "", ""); return err }(),
		"revoke without a secret":       noSecret.OAuth.RevokeToken(ctx, "EAAA", true),
		"exchange without a code":       func() error { _, err := env.client.OAuth.ExchangeCode(ctx, "", "", ""); return err }(),
		"refresh without a token":       func() error { _, err := env.client.OAuth.RefreshToken(ctx, "", true); return err }(),
		"status without a token":        func() error { _, err := env.client.OAuth.TokenStatus(ctx, ""); return err }(),
	}
	for name, err := range checks {
		if err == nil {
			t.Errorf("%s: error = nil, want one", name)
		}
	}
	// PKCE needs no secret at all.
	env.mux.HandleFunc("/oauth2/token", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tokenResponse) })
	if _, err := noSecret.OAuth.ExchangeCode(ctx, "code", "", "verifier"); err != nil {
		t.Errorf("OAuth.ExchangeCode(ctx, code, \"\", verifier) without a secret error = %v, want nil", err)
	}
}

func TestOAuthRevokeToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		only     bool
		response string
		wantErr  bool
	}{
		{"revoking only the access token says so", true, `{"success":true}`, false},
		{"a full revocation says so", false, `{"success":true}`, false},
		{"an unconfirmed revocation is an error", true, `{"success":false}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			env.mux.HandleFunc("/oauth2/revoke", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "POST")
				testHeader(t, r, "Authorization", "Client "+testClientSecret)
				testHeader(t, r, "Content-Type", "application/json")
				testJSONBody(t, r, fmt.Sprintf(`{"client_id":%q,"access_token":"EAAAsession","revoke_only_access_token":%v}`, testClientID, tt.only))
				fmt.Fprint(w, tt.response)
			})
			err := env.client.OAuth.RevokeToken(t.Context(), "EAAAsession", tt.only)
			if (err != nil) != tt.wantErr {
				t.Errorf("OAuth.RevokeToken(ctx, EAAAsession, %v) error = %v, want error %v", tt.only, err, tt.wantErr)
			}
		})
	}
}

func TestOAuthTokenStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		response string
		want     *TokenStatus
	}{
		{
			name:     "an expiring token's status is decoded",
			response: `{"scopes":["CUSTOMERS_READ","CUSTOMERS_WRITE"],"expires_at":"2025-09-19T10:00:00Z","client_id":"` + testClientID + `","merchant_id":"M1"}`,
			want: &TokenStatus{
				Scopes:    []string{"CUSTOMERS_READ", "CUSTOMERS_WRITE"},
				ExpiresAt: Timestamp{time.Date(2025, 9, 19, 10, 0, 0, 0, time.UTC)},
				ClientID:  testClientID, MerchantID: "M1",
			},
		},
		{
			name:     "an empty expires_at means the token never expires",
			response: `{"scopes":["MERCHANT_PROFILE_READ"],"expires_at":"","client_id":"` + testClientID + `","merchant_id":"M1"}`,
			want:     &TokenStatus{Scopes: []string{"MERCHANT_PROFILE_READ"}, ClientID: testClientID, MerchantID: "M1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			env.mux.HandleFunc("/oauth2/token/status", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "POST")
				// The token asked about, not the client's own.
				testHeader(t, r, "Authorization", "Bearer EAAAasked-about")
				testNoBody(t, r)
				fmt.Fprint(w, tt.response)
			})
			got, err := env.client.OAuth.TokenStatus(t.Context(), "EAAAasked-about")
			if err != nil {
				t.Fatalf("OAuth.TokenStatus(ctx, token) error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("OAuth.TokenStatus(ctx, token) = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestOAuthTokenStatusOfABadTokenIsAuth(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/oauth2/token/status", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"category":"AUTHENTICATION_ERROR","code":"UNAUTHORIZED"}]}`)
	})
	if _, err := env.client.OAuth.TokenStatus(t.Context(), "EAAAbad"); !IsAuth(err) {
		t.Errorf("OAuth.TokenStatus(ctx, bad) error = %v, want an auth error", err)
	}
}

func TestOAuthConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		authorizeURL  string
		wantAuthorize string
	}{
		{"the authorize URL defaults to the base URL", "", SandboxBaseURL + "/oauth2/authorize"},
		{"a browser-reachable authorize URL can be set", "http://localhost:8080/squarelocal/oauth2/authorize", "http://localhost:8080/squarelocal/oauth2/authorize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(Options{BaseURL: SandboxBaseURL, AuthorizeURL: tt.authorizeURL, ClientID: testClientID, ClientSecret: testClientSecret})
			if err != nil {
				t.Fatalf("NewClient() error = %v", err)
			}
			cfg := c.OAuth.Config("https://tessera.example/auth/callback", []string{"CUSTOMERS_READ", "CUSTOMERS_WRITE", "PAYMENTS_WRITE"})
			if cfg.Endpoint.TokenURL != SandboxBaseURL+"/oauth2/token" {
				t.Errorf("Config().Endpoint.TokenURL = %q, want %q", cfg.Endpoint.TokenURL, SandboxBaseURL+"/oauth2/token")
			}
			if cfg.ClientSecret != "" {
				t.Errorf("Config().ClientSecret is set, want it empty: the config only builds URLs")
			}
			verifier := oauth2.GenerateVerifier()
			raw := cfg.AuthCodeURL("state-123", oauth2.S256ChallengeOption(verifier))
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatalf("AuthCodeURL() = %q, not a URL: %v", raw, err)
			}
			if got := u.Scheme + "://" + u.Host + u.Path; got != tt.wantAuthorize {
				t.Errorf("AuthCodeURL() endpoint = %q, want %q", got, tt.wantAuthorize)
			}
			q := u.Query()
			wantParams := map[string]string{
				"client_id":             testClientID,
				"scope":                 "CUSTOMERS_READ CUSTOMERS_WRITE PAYMENTS_WRITE",
				"state":                 "state-123",
				"redirect_uri":          "https://tessera.example/auth/callback",
				"response_type":         "code",
				"code_challenge_method": "S256",
				"code_challenge":        oauth2.S256ChallengeFromVerifier(verifier),
			}
			for k, want := range wantParams {
				if got := q.Get(k); got != want {
					t.Errorf("AuthCodeURL() %s = %q, want %q", k, got, want)
				}
			}
			if !strings.Contains(raw, "scope=CUSTOMERS_READ+CUSTOMERS_WRITE+PAYMENTS_WRITE") {
				t.Errorf("AuthCodeURL() = %q, want space-separated scopes", raw)
			}
		})
	}
}
