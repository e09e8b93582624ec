package square

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// OAuthService obtains, refreshes, inspects and revokes access tokens. It
// speaks Square's JSON token API itself: Square refuses the form-encoded
// bodies that oauth2.Config.Exchange sends, and returns expires_at where
// x/oauth2 reads expires_in.
type OAuthService service

// Token is an access token from Square.
type Token struct {
	// Token holds the access token, refresh token and Expiry, which is set
	// from Square's expires_at so that x/oauth2 knows when it runs out.
	*oauth2.Token
	// MerchantID is the seller who granted the token.
	MerchantID string
	// ShortLived is true for 24-hour tokens.
	ShortLived bool
	// RefreshTokenExpiresAt is when a PKCE refresh token stops working; it
	// is zero for code-flow refresh tokens, which do not expire.
	RefreshTokenExpiresAt time.Time
}

// Config returns an x/oauth2 configuration for building the authorize URL:
// cfg.AuthCodeURL(state), with oauth2.S256ChallengeOption(verifier) for
// PKCE. Scopes are joined with spaces, as Square expects. Exchange the code
// with ExchangeCode, not cfg.Exchange, which is why the configuration holds
// no client secret.
func (s *OAuthService) Config(redirectURL string, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: s.client.clientID,
		Endpoint: oauth2.Endpoint{
			AuthURL:   s.client.authorizeURL,
			TokenURL:  s.client.baseURL.String() + "oauth2/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirectURL,
		Scopes:      scopes,
	}
}

// obtainTokenRequest is the body of ObtainToken.
type obtainTokenRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"`
	GrantType    string `json:"grant_type"`
	Code         string `json:"code,omitempty"`
	RedirectURI  string `json:"redirect_uri,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	CodeVerifier string `json:"code_verifier,omitempty"`
}

// ExchangeCode trades an authorization code for a token. With an empty
// codeVerifier it is the code flow and sends the client secret; otherwise it
// is the PKCE flow and sends the verifier instead. redirectURI must equal
// the one in the authorize URL, or be empty if that had none.
func (s *OAuthService) ExchangeCode(ctx context.Context, code, redirectURI, codeVerifier string) (*Token, error) {
	if code == "" {
		return nil, errors.New("square: OAuth.ExchangeCode needs a code")
	}
	body := obtainTokenRequest{
		ClientID:     s.client.clientID,
		GrantType:    "authorization_code",
		Code:         code,
		RedirectURI:  redirectURI,
		CodeVerifier: codeVerifier,
	}
	if codeVerifier == "" {
		secret, err := s.secret()
		if err != nil {
			return nil, err
		}
		body.ClientSecret = secret
	}
	return s.obtainToken(ctx, body)
}

// RefreshToken trades a refresh token for a new access token. In the code
// flow (pkce false) the client secret is sent and the same refresh token
// comes back; in the PKCE flow the refresh token is single-use and the
// result carries its successor.
func (s *OAuthService) RefreshToken(ctx context.Context, refreshToken string, pkce bool) (*Token, error) {
	if refreshToken == "" {
		return nil, errors.New("square: OAuth.RefreshToken needs a refresh token")
	}
	body := obtainTokenRequest{
		ClientID:     s.client.clientID,
		GrantType:    "refresh_token",
		RefreshToken: refreshToken,
	}
	if !pkce {
		secret, err := s.secret()
		if err != nil {
			return nil, err
		}
		body.ClientSecret = secret
	}
	return s.obtainToken(ctx, body)
}

// secret returns the client secret, which the code flow cannot do without.
func (s *OAuthService) secret() (string, error) {
	if s.client.clientSecret == "" {
		return "", errors.New("square: Options.ClientSecret is required for the OAuth code flow")
	}
	return s.client.clientSecret, nil
}

// obtainToken posts body to /oauth2/token. The call is never retried: codes
// and PKCE refresh tokens are single-use, so a second try after a lost
// response would fail and hide the first result.
func (s *OAuthService) obtainToken(ctx context.Context, body obtainTokenRequest) (*Token, error) {
	if body.ClientID == "" {
		return nil, errors.New("square: Options.ClientID is required for OAuth")
	}
	req, err := s.client.newRequest(ctx, http.MethodPost, "oauth2/token", body)
	if err != nil {
		return nil, err
	}
	// The token endpoint authenticates by the body; a bearer token here
	// would only expose a merchant's token to the wrong call.
	req.Header.Del("Authorization")
	req.secrets = append(req.secrets, body.ClientSecret, body.Code, body.RefreshToken, body.CodeVerifier)
	var out struct {
		AccessToken           string    `json:"access_token"`
		TokenType             string    `json:"token_type"`
		ExpiresAt             Timestamp `json:"expires_at"`
		MerchantID            string    `json:"merchant_id"`
		RefreshToken          string    `json:"refresh_token"`
		ShortLived            bool      `json:"short_lived"`
		RefreshTokenExpiresAt Timestamp `json:"refresh_token_expires_at"`
	}
	if err := s.client.do(req, &out); err != nil {
		return nil, err
	}
	if out.AccessToken == "" {
		return nil, fmt.Errorf("square: %s %s: response has no access token", req.Method, req.URL.Path)
	}
	// Square's OAuth tokens always expire. A token without expires_at would
	// look to oauth2 as one that never does, and would never be refreshed.
	if out.ExpiresAt.IsZero() {
		return nil, fmt.Errorf("square: %s %s: response has no expires_at", req.Method, req.URL.Path)
	}
	return &Token{
		Token: &oauth2.Token{
			AccessToken:  out.AccessToken,
			TokenType:    out.TokenType,
			RefreshToken: out.RefreshToken,
			Expiry:       out.ExpiresAt.Time,
		},
		MerchantID:            out.MerchantID,
		ShortLived:            out.ShortLived,
		RefreshTokenExpiresAt: out.RefreshTokenExpiresAt.Time,
	}, nil
}

// RevokeToken revokes accessToken. With onlyAccessToken false Square revokes
// every token of this application for the seller, signing out every other
// user too; sign-out should pass true.
func (s *OAuthService) RevokeToken(ctx context.Context, accessToken string, onlyAccessToken bool) error {
	if accessToken == "" {
		return errors.New("square: OAuth.RevokeToken needs an access token")
	}
	if s.client.clientID == "" || s.client.clientSecret == "" {
		return errors.New("square: Options.ClientID and Options.ClientSecret are required to revoke a token")
	}
	body := struct {
		ClientID              string `json:"client_id"`
		AccessToken           string `json:"access_token"`
		RevokeOnlyAccessToken bool   `json:"revoke_only_access_token"`
	}{s.client.clientID, accessToken, onlyAccessToken}
	req, err := s.client.newRequest(ctx, http.MethodPost, "oauth2/revoke", body)
	if err != nil {
		return err
	}
	// Revocation authenticates the application, not a merchant.
	req.Header.Set("Authorization", "Client "+s.client.clientSecret)
	req.secrets = append(req.secrets, s.client.clientSecret, accessToken)
	var out struct {
		Success bool `json:"success"`
	}
	if err := s.client.do(req, &out); err != nil {
		return err
	}
	if !out.Success {
		return fmt.Errorf("square: %s %s: Square did not confirm the revocation", req.Method, req.URL.Path)
	}
	return nil
}

// TokenStatus describes an access token.
type TokenStatus struct {
	Scopes []string `json:"scopes"`
	// ExpiresAt is zero for tokens that never expire, such as personal
	// access tokens.
	ExpiresAt  Timestamp `json:"expires_at"`
	ClientID   string    `json:"client_id"`
	MerchantID string    `json:"merchant_id"`
}

// TokenStatus asks Square about accessToken: its scopes, expiry and owner.
// An invalid or expired token gives an error for which IsAuth is true.
func (s *OAuthService) TokenStatus(ctx context.Context, accessToken string) (*TokenStatus, error) {
	if accessToken == "" {
		return nil, errors.New("square: OAuth.TokenStatus needs an access token")
	}
	req, err := s.client.newRequest(ctx, http.MethodPost, "oauth2/token/status", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.secrets = append(req.secrets, accessToken)
	// Asking about a token only reads.
	req.retrySafe = true
	status := new(TokenStatus)
	if err := s.client.do(req, status); err != nil {
		return nil, err
	}
	return status, nil
}
