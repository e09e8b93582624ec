package squarelocal

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// OAuth token endpoints (docs/square.md#oauth): ObtainToken, RevokeToken
// and RetrieveTokenStatus. The consent page is in consent.go.
//
// Choices where Square is silent or varies:
//   - A wrong or missing client secret (ObtainToken, RevokeToken), an
//     unknown client_id, and a refresh token that is unknown, revoked,
//     used (PKCE) or expired answer 401 AUTHENTICATION_ERROR UNAUTHORIZED
//     with detail "Not Authorized". Real Square has been seen answering
//     these with the legacy {"message":"Not Authorized","type":
//     "service.not_authorized"} body; the emulator keeps to the documented
//     errors array, which the client must read anyway.
//   - An authorization code that is unknown, expired, already used or
//     issued to another app is 400 INVALID_VALUE on field "code"; so is a
//     redirect_uri that differs from the authorize one (field
//     "redirect_uri") and a PKCE code_verifier that does not match (field
//     "code_verifier").
//   - A code used a second time also revokes every token it led to, as
//     RFC 6749 §4.1.2 advises.
//   - Narrowing scopes on refresh to nothing Square granted is 400
//     INVALID_VALUE on "scopes".
//   - RevokeToken for a token or merchant the app holds nothing for
//     answers {"success": true} and changes nothing (RFC 7009 §2.2).
//   - revoke_only_access_token with merchant_id instead of access_token is
//     400 INVALID_VALUE: there is no single token to revoke.

// Lifetimes from docs/square.md#obtaining-tokens.
const (
	shortLivedTokenLifetime = 24 * time.Hour
	pkceRefreshLifetime     = 90 * 24 * time.Hour
	authCodeLifetime        = 5 * time.Minute
)

// Token prefixes, as Square's tokens look.
const (
	accessTokenPrefix  = "EAAAl"
	refreshTokenPrefix = "EQAAl"
	authCodePrefix     = "sq0cgb-"
)

// Field limits of ObtainToken (docs/square.md#obtaining-tokens).
var obtainTokenLimits = []struct {
	field string
	max   int
	get   func(*obtainTokenRequest) string
}{
	{"client_id", 191, func(in *obtainTokenRequest) string { return in.ClientID }},
	{"client_secret", 1024, func(in *obtainTokenRequest) string { return in.ClientSecret }},
	{"code", 191, func(in *obtainTokenRequest) string { return in.Code }},
	{"redirect_uri", 2048, func(in *obtainTokenRequest) string { return in.RedirectURI }},
	{"refresh_token", 1024, func(in *obtainTokenRequest) string { return in.RefreshToken }},
	{"code_verifier", 128, func(in *obtainTokenRequest) string { return in.CodeVerifier }},
	{"grant_type", 20, func(in *obtainTokenRequest) string { return in.GrantType }},
}

// obtainTokenRequest is the body of ObtainToken.
type obtainTokenRequest struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	Code         string   `json:"code"`
	RedirectURI  string   `json:"redirect_uri"`
	GrantType    string   `json:"grant_type"`
	RefreshToken string   `json:"refresh_token"`
	Scopes       []string `json:"scopes"`
	ShortLived   bool     `json:"short_lived"`
	CodeVerifier string   `json:"code_verifier"`
}

// tokenAnswer is the answer of ObtainToken.
type tokenAnswer struct {
	AccessToken           string `json:"access_token"`
	TokenType             string `json:"token_type"`
	ExpiresAt             string `json:"expires_at"`
	MerchantID            string `json:"merchant_id"`
	RefreshToken          string `json:"refresh_token"`
	ShortLived            bool   `json:"short_lived"`
	RefreshTokenExpiresAt string `json:"refresh_token_expires_at,omitempty"`
}

// notAuthorized is the answer to bad client or refresh credentials.
func notAuthorized() *apiError {
	return newError(http.StatusUnauthorized, catAuthentication, "UNAUTHORIZED", "", "Not Authorized")
}

func missingParam(field string) *apiError {
	return badRequest("MISSING_REQUIRED_PARAMETER", field, "Field `"+field+"` is required.")
}

// isJSONRequest reports whether the request's body is declared as JSON
// (or not declared at all).
func isJSONRequest(r *request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// secretMatches compares a client secret in constant time.
func secretMatches(app App, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(app.ClientSecret), []byte(secret)) == 1
}

// obtainToken exchanges an authorization code or a refresh token for an
// access token.
func (s *Server) obtainToken(r *request) (any, *apiError) {
	if !isJSONRequest(r) {
		return nil, badRequest("UNSUPPORTED_MEDIA_TYPE", "", "The request body must be JSON (Content-Type: application/json).")
	}
	var in obtainTokenRequest
	if e := r.decode(&in); e != nil {
		return nil, e
	}
	for _, l := range obtainTokenLimits {
		if len(l.get(&in)) > l.max {
			return nil, badRequest("VALUE_TOO_LONG", l.field, "Field `"+l.field+"` is too long.")
		}
	}
	switch {
	case in.ClientID == "":
		return nil, missingParam("client_id")
	case in.GrantType == "":
		return nil, missingParam("grant_type")
	}
	app, ok := s.apps[in.ClientID]
	if !ok {
		return nil, notAuthorized()
	}
	// A secret that is sent must be right, even where the flow needs none.
	if in.ClientSecret != "" && !secretMatches(app, in.ClientSecret) {
		return nil, notAuthorized()
	}
	switch in.GrantType {
	case "authorization_code":
		return s.exchangeCode(r, app, &in)
	case "refresh_token":
		return s.refreshAccess(r, app, &in)
	default:
		return nil, badRequest("INVALID_VALUE", "grant_type", "grant_type must be authorization_code or refresh_token.")
	}
}

// exchangeCode is ObtainToken's authorization_code grant.
func (s *Server) exchangeCode(r *request, app App, in *obtainTokenRequest) (any, *apiError) {
	if in.Code == "" {
		return nil, missingParam("code")
	}
	code, ok := s.codes[in.Code]
	if !ok || code.ClientID != app.ClientID {
		return nil, badRequest("INVALID_VALUE", "code", "The authorization code is not valid.")
	}
	if code.Used {
		s.revokeGrant(code.Code)
		return nil, badRequest("INVALID_VALUE", "code", "The authorization code was already used.")
	}
	if !r.Now.Before(code.ExpiresAt) {
		return nil, badRequest("INVALID_VALUE", "code", "The authorization code has expired.")
	}
	pkce := code.CodeChallenge != ""
	if pkce {
		if in.CodeVerifier == "" {
			return nil, missingParam("code_verifier")
		}
		sum := sha256.Sum256([]byte(in.CodeVerifier))
		challenge := base64.RawURLEncoding.EncodeToString(sum[:])
		if subtle.ConstantTimeCompare([]byte(challenge), []byte(code.CodeChallenge)) != 1 {
			return nil, badRequest("INVALID_VALUE", "code_verifier", "The code verifier does not match the code challenge.")
		}
	} else if in.ClientSecret == "" {
		return nil, missingParam("client_secret")
	}
	if code.RedirectURI != "" && in.RedirectURI != code.RedirectURI {
		return nil, badRequest("INVALID_VALUE", "redirect_uri", "redirect_uri must be the one sent to the authorize page.")
	}
	if _, ok := s.byID[code.MerchantID]; !ok {
		return nil, badRequest("INVALID_VALUE", "code", "The authorization code is not valid.")
	}
	code.Used = true
	rt := &refreshToken{
		Token: s.ids.token(refreshTokenPrefix), MerchantID: code.MerchantID, ClientID: app.ClientID,
		Scopes: slices.Clone(code.Scopes), PKCE: pkce, Grant: code.Code,
	}
	if pkce {
		rt.ExpiresAt = r.Now.Add(pkceRefreshLifetime)
	}
	s.refresh[rt.Token] = rt
	at := s.issueAccessToken(rt, rt.Scopes, in.ShortLived, r.Now)
	return newTokenAnswer(at, rt, in.ShortLived), nil
}

// refreshAccess is ObtainToken's refresh_token grant: the code flow keeps
// its refresh token, PKCE swaps it for a new single-use one.
func (s *Server) refreshAccess(r *request, app App, in *obtainTokenRequest) (any, *apiError) {
	if in.RefreshToken == "" {
		return nil, missingParam("refresh_token")
	}
	rt, ok := s.refresh[in.RefreshToken]
	if !ok || rt.ClientID != app.ClientID || rt.Revoked || rt.Used ||
		(!rt.ExpiresAt.IsZero() && !r.Now.Before(rt.ExpiresAt)) {
		return nil, notAuthorized()
	}
	if !rt.PKCE && in.ClientSecret == "" {
		return nil, missingParam("client_secret")
	}
	scopes := rt.Scopes
	if len(in.Scopes) > 0 {
		scopes = slices.DeleteFunc(slices.Clone(rt.Scopes), func(sc string) bool { return !slices.Contains(in.Scopes, sc) })
		if len(scopes) == 0 {
			return nil, badRequest("INVALID_VALUE", "scopes", "None of the requested scopes was granted.")
		}
	}
	if rt.PKCE {
		rt.Used = true
		rt = &refreshToken{
			Token: s.ids.token(refreshTokenPrefix), MerchantID: rt.MerchantID, ClientID: rt.ClientID,
			Scopes: rt.Scopes, PKCE: true, ExpiresAt: r.Now.Add(pkceRefreshLifetime), Grant: rt.Grant,
		}
		s.refresh[rt.Token] = rt
	}
	at := s.issueAccessToken(rt, slices.Clone(scopes), in.ShortLived, r.Now)
	return newTokenAnswer(at, rt, in.ShortLived), nil
}

// issueAccessToken mints an access token under a refresh token.
func (s *Server) issueAccessToken(rt *refreshToken, scopes []string, shortLived bool, now time.Time) *accessToken {
	life := accessTokenLifetime
	if shortLived {
		life = shortLivedTokenLifetime
	}
	at := &accessToken{
		Token: s.ids.token(accessTokenPrefix), MerchantID: rt.MerchantID, ClientID: rt.ClientID,
		Scopes: scopes, ExpiresAt: now.Add(life), Refresh: rt.Token, Grant: rt.Grant,
	}
	s.tokens[at.Token] = at
	return at
}

func newTokenAnswer(at *accessToken, rt *refreshToken, shortLived bool) tokenAnswer {
	out := tokenAnswer{
		AccessToken: at.Token, TokenType: "bearer", ExpiresAt: timestamp(at.ExpiresAt),
		MerchantID: at.MerchantID, RefreshToken: rt.Token, ShortLived: shortLived,
	}
	if !rt.ExpiresAt.IsZero() {
		out.RefreshTokenExpiresAt = timestamp(rt.ExpiresAt)
	}
	return out
}

// revokeGrant revokes every token that descends from an authorization code.
func (s *Server) revokeGrant(code string) {
	for _, at := range s.tokens {
		if at.Grant == code {
			at.Revoked = true
		}
	}
	for _, rt := range s.refresh {
		if rt.Grant == code {
			rt.Revoked = true
		}
	}
}

// revokeTokenRequest is the body of RevokeToken.
type revokeTokenRequest struct {
	ClientID              string `json:"client_id"`
	AccessToken           string `json:"access_token"`
	MerchantID            string `json:"merchant_id"`
	RevokeOnlyAccessToken bool   `json:"revoke_only_access_token"`
}

// revokeToken revokes one access token, or everything an app holds for a
// merchant. It authenticates with "Authorization: Client <secret>".
func (s *Server) revokeToken(r *request) (any, *apiError) {
	var in revokeTokenRequest
	if e := r.decode(&in); e != nil {
		return nil, e
	}
	if in.ClientID == "" {
		return nil, missingParam("client_id")
	}
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Client ")
	app, known := s.apps[in.ClientID]
	if !ok || !known || !secretMatches(app, secret) {
		return nil, notAuthorized()
	}
	switch {
	case in.AccessToken != "" && in.MerchantID != "":
		return nil, badRequest("INVALID_VALUE", "merchant_id", "Send either access_token or merchant_id, not both.")
	case in.AccessToken == "" && in.MerchantID == "":
		return nil, missingParam("access_token")
	case in.MerchantID != "" && in.RevokeOnlyAccessToken:
		return nil, badRequest("INVALID_VALUE", "revoke_only_access_token", "revoke_only_access_token needs an access_token.")
	}
	merchantID := in.MerchantID
	if in.AccessToken != "" {
		at, ok := s.tokens[in.AccessToken]
		if !ok || at.ClientID != app.ClientID || at.Personal {
			return map[string]any{"success": true}, nil
		}
		if in.RevokeOnlyAccessToken {
			at.Revoked = true
			return map[string]any{"success": true}, nil
		}
		merchantID = at.MerchantID
	}
	if s.endAuthorization(app.ClientID, merchantID) {
		s.emitRevoked(app.ClientID, merchantID, RevokerApplication, r.Now)
	}
	return map[string]any{"success": true}, nil
}

// endAuthorization revokes every token and unused code clientID holds for
// merchantID. It reports whether a token was still live, that is whether
// an authorization ended: revoking one already ended sends no second
// oauth.authorization.revoked. Callers hold s.mu for writing.
func (s *Server) endAuthorization(clientID, merchantID string) bool {
	ended := false
	for _, at := range s.tokens {
		if at.ClientID == clientID && at.MerchantID == merchantID && !at.Personal {
			ended = ended || !at.Revoked
			at.Revoked = true
		}
	}
	for _, rt := range s.refresh {
		if rt.ClientID == clientID && rt.MerchantID == merchantID {
			ended = ended || !rt.Revoked && !rt.Used
			rt.Revoked = true
		}
	}
	for _, c := range s.codes {
		if c.ClientID == clientID && c.MerchantID == merchantID {
			c.Used = true
		}
	}
	return ended
}

// tokenStatusAnswer is the answer of RetrieveTokenStatus.
type tokenStatusAnswer struct {
	Scopes     []string `json:"scopes"`
	ExpiresAt  string   `json:"expires_at,omitempty"`
	ClientID   string   `json:"client_id,omitempty"`
	MerchantID string   `json:"merchant_id"`
}

// tokenStatus describes the bearer token of the request.
func (s *Server) tokenStatus(r *request) (any, *apiError) {
	if e := s.authenticate(r, ""); e != nil {
		return nil, e
	}
	out := tokenStatusAnswer{Scopes: slices.Clone(r.Token.Scopes), ClientID: r.Token.ClientID, MerchantID: r.Token.MerchantID}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if !r.Token.ExpiresAt.IsZero() {
		out.ExpiresAt = timestamp(r.Token.ExpiresAt)
	}
	return out, nil
}
