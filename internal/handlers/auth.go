package handlers

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/views"
)

// home sends people to the directory, or to sign in.
func (a *app) home(c echo.Context) error {
	if s := sessionOf(c); s != nil && s.SignedIn() {
		return c.Redirect(http.StatusSeeOther, "/customers")
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

// loginPage shows the "Sign in with Square" button.
func (a *app) loginPage(c echo.Context) error {
	if s := sessionOf(c); s != nil && s.SignedIn() {
		return c.Redirect(http.StatusSeeOther, "/customers")
	}
	v := views.LoginView{ReturnTo: returnTo(c.QueryParam("return_to"))}
	return render(c, http.StatusOK, views.LoginPage(a.layout(c, "Sign in", ""), v))
}

// login starts the OAuth code flow: a fresh state (and PKCE verifier) in
// the pre-login session, then Square's authorize page.
func (a *app) login(c echo.Context) error {
	s := sessionOf(c)
	name, ok := staffName(c.FormValue(views.StaffNameInput))
	if !ok {
		v := views.LoginView{ReturnTo: returnTo(c.FormValue("return_to")), StaffName: name, StaffNameError: msgStaffName}
		return render(c, http.StatusUnprocessableEntity, views.LoginPage(a.layout(c, "Sign in", ""), v))
	}
	attempt, err := a.sessions.StartLoginAs(c.Request().Context(), c.Response(), s, c.FormValue("return_to"), name)
	if err != nil {
		return err
	}
	var opts []oauth2.AuthCodeOption
	if a.cfg.OAuthPKCE {
		opts = append(opts, oauth2.S256ChallengeOption(attempt.Verifier))
	}
	target := a.square.OAuth.Config(a.cfg.RedirectURL(), Scopes).AuthCodeURL(attempt.State, opts...)
	return c.Redirect(http.StatusSeeOther, target)
}

// Sign-in failures, each with a way to start again.
var (
	errLoginState = &pageError{
		Status: http.StatusBadRequest, Title: "Sign-in could not be completed",
		Message:  "This sign-in link was already used, has expired, or was started in another browser. Please start again.",
		RetryURL: "/login", RetryLabel: "Sign in again",
	}
	errLoginDenied = &pageError{
		Status: http.StatusForbidden, Title: "Access was not granted",
		Message:  "Tessera needs your permission in Square to manage your customers. You can sign in again whenever you are ready.",
		RetryURL: "/login", RetryLabel: "Back to sign in",
	}
	errLoginSquare = &pageError{
		Status: http.StatusBadGateway, Title: "Square did not complete the sign-in",
		Message:  "Square could not confirm the sign-in. Nothing was changed; please try again.",
		RetryURL: "/login", RetryLabel: "Sign in again",
	}
	errLoginMerchant = &pageError{
		Status: http.StatusForbidden, Title: "This Square account is not allowed",
		Message:  "This Tessera is set up for other Square accounts. Ask your administrator to add yours, or sign in with another account.",
		RetryURL: "/login", RetryLabel: "Sign in with another account",
	}
)

// callback finishes the sign-in: state checked once, code exchanged, the
// merchant checked against the allowlist, and a new session.
func (a *app) callback(c echo.Context) error {
	ctx := c.Request().Context()
	s := sessionOf(c)
	q := c.QueryParams()
	attempt, ok, err := a.sessions.ConsumeOAuthState(ctx, s, q.Get("state"))
	if err != nil {
		return err
	}
	if !ok {
		return errLoginState
	}
	if e := q.Get("error"); e != "" {
		a.logger.InfoContext(ctx, "sign-in refused at Square", slog.String("error", e))
		if e == "access_denied" {
			return errLoginDenied
		}
		return errLoginSquare
	}
	code := q.Get("code")
	if code == "" {
		return errLoginState
	}
	verifier := ""
	if a.cfg.OAuthPKCE {
		verifier = attempt.Verifier
	}
	tok, err := a.square.OAuth.ExchangeCode(ctx, code, a.cfg.RedirectURL(), verifier)
	if err != nil {
		e := *errLoginSquare
		e.Cause = err
		return &e
	}
	if !a.cfg.MerchantAllowed(tok.MerchantID) {
		a.revokeMerchant(c, tok.MerchantID, tok.AccessToken)
		return errLoginMerchant
	}
	name := tok.MerchantID
	if m, err := a.square.WithAccessToken(tok.AccessToken).Merchants.Get(ctx, "me"); err == nil && m.BusinessName != "" {
		name = m.BusinessName
	} else if err != nil {
		a.logger.WarnContext(ctx, "reading the merchant failed", slog.Any("err", err))
	}
	fresh, err := a.sessions.Login(ctx, c.Response(), s, session.Data{
		MerchantID:   tok.MerchantID,
		BusinessName: name,
		Scopes:       Scopes,
		StaffName:    attempt.StaffName,
		Tokens: session.Tokens{
			AccessToken:        tok.AccessToken,
			RefreshToken:       tok.RefreshToken,
			Expiry:             tok.Expiry,
			RefreshTokenExpiry: tok.RefreshTokenExpiresAt,
		},
	})
	if err != nil {
		return err
	}
	useSession(c, fresh)
	if a.indexSync != nil {
		// The merchant's index is filled (its first time) or brought up to
		// date in the background while the directory works from Square.
		a.indexSync.Kick(tok.MerchantID)
	}
	target := attempt.ReturnTo
	if target == "" {
		target = "/customers"
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// logout revokes this session's access token only (a full revoke would
// sign out every other staff member of the seller), deletes the session
// and says so on the sign-in page. Signed out already, there is nothing to
// say: a message would need a session kept for it, which anyone could make
// the server keep by posting here.
func (a *app) logout(c echo.Context) error {
	ctx := c.Request().Context()
	s := sessionOf(c)
	if !s.SignedIn() {
		return redirect(c, "/login")
	}
	if a.sessions.CanRevoke() {
		if err := a.square.OAuth.RevokeToken(ctx, s.Data().AccessToken, true); err != nil {
			a.logger.WarnContext(ctx, "revoking the token at sign-out failed", slog.Any("err", err))
		}
	}
	sessionID := s.ID()
	if err := a.sessions.Logout(ctx, c.Response(), s); err != nil {
		return err
	}
	a.endStreams(sessionID)
	s.AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "You have signed out."})
	return redirect(c, "/login")
}

// refuseMerchant ends the session of a merchant that is no longer allowed
// (taken off TESSERA_ALLOWED_MERCHANTS since signing in) and revokes its
// authorization, as at sign-in.
func (a *app) refuseMerchant(c echo.Context, s *session.Session) error {
	d := s.Data()
	if err := a.sessions.Logout(c.Request().Context(), c.Response(), s); err != nil {
		return err
	}
	a.revokeMerchant(c, d.MerchantID, d.AccessToken)
	return errLoginMerchant
}

// revokeMerchant revokes the whole authorization of a merchant Tessera
// refuses, not only the token at hand: a refused merchant should keep no
// token, refresh token or grant of ours that works.
func (a *app) revokeMerchant(c echo.Context, merchantID, accessToken string) {
	ctx := c.Request().Context()
	a.logger.InfoContext(ctx, "merchant not allowed", slog.String("merchant", merchantID))
	if !a.sessions.CanRevoke() {
		return
	}
	if err := a.square.OAuth.RevokeToken(ctx, accessToken, false); err != nil {
		a.logger.WarnContext(ctx, "revoking a refused merchant's authorization failed", slog.Any("err", err))
	}
}

// returnTo keeps a "return to" value only when it is a path on this site,
// and short enough for the sign-in to keep: the form would only carry a
// longer one to be dropped.
func returnTo(p string) string {
	if session.IsLocalPath(p) && len(p) <= session.MaxReturnTo {
		return p
	}
	return ""
}
