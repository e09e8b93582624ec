package session

import (
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"time"
)

// redacted stands in for a secret in logs and formatted values.
const redacted = "[redacted]"

// Data is what a session holds. It is stored encrypted; the merchant id is
// also stored in the clear beside it.
//
// Its String, GoString and LogValue methods hide the tokens and the OAuth
// secrets, so that a Data, or a Session holding one, can be logged or
// formatted without leaking them.
type Data struct {
	// MerchantID is the signed-in Square seller; empty while signed out.
	MerchantID   string `json:"merchant_id,omitempty"`
	BusinessName string `json:"business_name,omitempty"`
	Tokens
	// LastRefresh is when UpdateTokens last stored refreshed tokens.
	LastRefresh time.Time `json:"last_refresh,omitzero"`
	Scopes      []string  `json:"scopes,omitempty"`
	// StaffName is the name the staff member gave at sign-in, for the
	// history of changes; as given, not verified, and "" when none.
	StaffName string `json:"staff_name,omitempty"`

	// OAuthState, PKCEVerifier and ReturnTo belong to a sign-in in progress;
	// see Manager.StartLogin.
	OAuthState   string `json:"oauth_state,omitempty"`
	PKCEVerifier string `json:"pkce_verifier,omitempty"`
	ReturnTo     string `json:"return_to,omitempty"`
	// LoginStaffName is the name given with a sign-in in progress, which
	// becomes StaffName when it completes.
	LoginStaffName string `json:"login_staff_name,omitempty"`

	// Flashes are one-time messages shown on the next page.
	Flashes []Flash `json:"flashes,omitempty"`
}

// Tokens are a merchant's OAuth tokens, as Square issued them.
type Tokens struct {
	AccessToken string `json:"access_token,omitempty"`
	// RefreshToken may be empty on refresh, when Square keeps the old one.
	RefreshToken string `json:"refresh_token,omitempty"`
	// Expiry is when the access token expires, from Square's expires_at.
	Expiry time.Time `json:"expiry,omitzero"`
	// RefreshTokenExpiry is when the refresh token expires, if Square says.
	RefreshTokenExpiry time.Time `json:"refresh_token_expiry,omitzero"`
}

// Flash is a one-time message for the next page.
type Flash struct {
	// Kind is the message's tone, such as "success" or "error", for the view.
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// clone copies d so that the copy shares no slice with it.
func (d Data) clone() Data {
	d.Scopes = slices.Clone(d.Scopes)
	d.Flashes = slices.Clone(d.Flashes)
	return d
}

// isZero reports whether d holds nothing worth storing.
func (d Data) isZero() bool {
	return reflect.ValueOf(d).IsZero()
}

// String formats d with its secrets hidden.
func (d Data) String() string {
	return fmt.Sprintf("session.Data{MerchantID:%q BusinessName:%q Tokens:%v LastRefresh:%v Scopes:%q OAuthState:%s PKCEVerifier:%s ReturnTo:%q Flashes:%d}",
		d.MerchantID, d.BusinessName, d.Tokens, d.LastRefresh, d.Scopes,
		hide(d.OAuthState), hide(d.PKCEVerifier), d.ReturnTo, len(d.Flashes))
}

// GoString makes %#v hide the secrets too.
func (d Data) GoString() string {
	return d.String()
}

// LogValue logs d with its secrets hidden.
func (d Data) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("merchant_id", d.MerchantID),
		slog.String("business_name", d.BusinessName),
		slog.Any("tokens", d.Tokens),
		slog.Time("last_refresh", d.LastRefresh),
		slog.Any("scopes", d.Scopes),
		slog.String("oauth_state", hide(d.OAuthState)),
		slog.String("pkce_verifier", hide(d.PKCEVerifier)),
		slog.String("return_to", d.ReturnTo),
		slog.Int("flashes", len(d.Flashes)),
	)
}

// String formats t with the tokens hidden.
func (t Tokens) String() string {
	return fmt.Sprintf("session.Tokens{AccessToken:%s RefreshToken:%s Expiry:%v RefreshTokenExpiry:%v}",
		hide(t.AccessToken), hide(t.RefreshToken), t.Expiry, t.RefreshTokenExpiry)
}

// GoString makes %#v hide the tokens too.
func (t Tokens) GoString() string {
	return t.String()
}

// LogValue logs t with the tokens hidden.
func (t Tokens) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_token", hide(t.AccessToken)),
		slog.String("refresh_token", hide(t.RefreshToken)),
		slog.Time("expiry", t.Expiry),
		slog.Time("refresh_token_expiry", t.RefreshTokenExpiry),
	)
}

// hide shows whether a secret is set, but not what it is.
func hide(secret string) string {
	if secret == "" {
		return `""`
	}
	return redacted
}

// LoginAttempt is a sign-in in progress: what StartLogin kept in the
// session and ConsumeOAuthState gives back once.
type LoginAttempt struct {
	// State is the OAuth state parameter, 256 random bits.
	State string
	// Verifier is a PKCE code verifier (RFC 7636), for the PKCE flow; the
	// code flow with the client secret ignores it.
	Verifier string
	// ReturnTo is the local path to go to after signing in, or "".
	ReturnTo string
	// StaffName is the name the person gave, or "".
	StaffName string
}

// String formats a with its secrets hidden.
func (a LoginAttempt) String() string {
	return fmt.Sprintf("session.LoginAttempt{State:%s Verifier:%s ReturnTo:%q}", hide(a.State), hide(a.Verifier), a.ReturnTo)
}

// GoString makes %#v hide the secrets too.
func (a LoginAttempt) GoString() string {
	return a.String()
}

// LogValue logs a with its secrets hidden.
func (a LoginAttempt) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("state", hide(a.State)),
		slog.String("verifier", hide(a.Verifier)),
		slog.String("return_to", a.ReturnTo),
	)
}
