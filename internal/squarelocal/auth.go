package squarelocal

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// accessToken is an OAuth access token (or a personal access token).
type accessToken struct {
	Token      string
	MerchantID string
	ClientID   string
	Scopes     []string
	ExpiresAt  time.Time // zero: never expires (personal tokens)
	Revoked    bool
	Personal   bool
	// Refresh is the refresh token this access token was minted with.
	Refresh string
	// Grant is the authorization code the token descends from ("" for
	// tokens not made by the OAuth flow), so that a replayed code can
	// revoke every token it led to.
	Grant string
}

// refreshToken is a refresh token; PKCE ones are single-use and expire.
type refreshToken struct {
	Token      string
	MerchantID string
	ClientID   string
	Scopes     []string
	PKCE       bool
	ExpiresAt  time.Time // zero: never (code flow)
	Used       bool
	Revoked    bool
	// Grant is the authorization code the token descends from.
	Grant string
}

// authCode is an authorization code handed out by the consent page.
type authCode struct {
	Code          string
	ClientID      string
	MerchantID    string
	Scopes        []string
	RedirectURI   string // as sent to /oauth2/authorize, "" if none
	CodeChallenge string // PKCE S256 challenge, "" in the code flow
	ExpiresAt     time.Time
	Used          bool
}

// nonceUse remembers a card token already turned into a card, so a second
// CreateCard with it fails and a second deprecated CreateCustomerCard
// returns the same card.
type nonceUse struct {
	CardID string
}

// idemEntry is a remembered answer to an idempotency-keyed request.
type idemEntry struct {
	Request  []byte // canonical JSON of the first request
	Response []byte // JSON of the first successful answer
	At       time.Time
}

// idempotencyWindow is how long keys are remembered (docs/square.md#idempotency).
const idempotencyWindow = 24 * time.Hour

// authenticate resolves the bearer token of r to its merchant and checks
// the scope, answering as Square does for unknown, expired, revoked and
// under-scoped tokens. Callers hold s.mu.
func (s *Server) authenticate(r *request, scope string) *apiError {
	header := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || raw == "" {
		return newError(http.StatusUnauthorized, catAuthentication, "UNAUTHORIZED", "", "This request could not be authorized.")
	}
	tok, ok := s.tokens[raw]
	if !ok {
		return newError(http.StatusUnauthorized, catAuthentication, "UNAUTHORIZED", "", "This request could not be authorized.")
	}
	if tok.Revoked {
		return newError(http.StatusUnauthorized, catAuthentication, "ACCESS_TOKEN_REVOKED", "", "The access token has been revoked.")
	}
	if !tok.ExpiresAt.IsZero() && !r.Now.Before(tok.ExpiresAt) {
		return newError(http.StatusUnauthorized, catAuthentication, "ACCESS_TOKEN_EXPIRED", "", "The access token has expired.")
	}
	if scope != "" && !slices.Contains(tok.Scopes, scope) {
		return newError(http.StatusForbidden, catAuthentication, "INSUFFICIENT_SCOPES", "", "The access token does not have the "+scope+" permission.")
	}
	m, ok := s.byID[tok.MerchantID]
	if !ok {
		return newError(http.StatusUnauthorized, catAuthentication, "UNAUTHORIZED", "", "This request could not be authorized.")
	}
	r.Merchant, r.Token = m, tok
	return nil
}

// MintAccessToken issues an access token for a merchant with the given
// scopes (every scope when none is given) that expires after 30 days, as
// an OAuth grant would. Tests use it to skip the consent page.
func (s *Server) MintAccessToken(merchantID string, scopes ...string) string {
	if len(scopes) == 0 {
		scopes = AllScopes
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := &accessToken{
		Token:      s.ids.token("EAAAl"),
		MerchantID: merchantID,
		ClientID:   LocalClientID,
		Scopes:     slices.Clone(scopes),
		ExpiresAt:  s.Now().Add(accessTokenLifetime),
	}
	s.tokens[tok.Token] = tok
	return tok.Token
}

// accessTokenLifetime is Square's 30-day access token life (docs/square.md#obtaining-tokens).
const accessTokenLifetime = 30 * 24 * time.Hour

// idempotent runs create once per idempotency key: the same key with the
// same request replays the first answer; the same key with another request
// is IDEMPOTENCY_KEY_REUSED. Only successful answers are remembered, so a
// request that failed validation can be corrected and sent again.
// endpoint names the operation; callers hold s.mu for writing.
func (s *Server) idempotent(r *request, endpoint, key string, body any, create func() (any, *apiError)) (any, *apiError) {
	canon, err := json.Marshal(body)
	if err != nil {
		return nil, badRequest("BAD_REQUEST", "", "The request body is not valid.")
	}
	id := r.Merchant.Merchant.ID + "\x00" + endpoint + "\x00" + key
	if prev, ok := s.idem[id]; ok && r.Now.Sub(prev.At) < idempotencyWindow {
		if !bytes.Equal(prev.Request, canon) {
			return nil, badRequest("IDEMPOTENCY_KEY_REUSED", "idempotency_key", "The idempotency key was already used for a different request.")
		}
		return json.RawMessage(prev.Response), nil
	}
	out, apiErr := create()
	if apiErr != nil {
		return nil, apiErr
	}
	resp, err := json.Marshal(out)
	if err != nil {
		return nil, newError(http.StatusInternalServerError, catAPI, "INTERNAL_SERVER_ERROR", "", "")
	}
	s.idem[id] = idemEntry{Request: canon, Response: resp, At: r.Now}
	return json.RawMessage(resp), nil
}
