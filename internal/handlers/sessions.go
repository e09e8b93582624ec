package handlers

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

const ctxSession = "session"

// refreshBefore is how long before expiry a token is refreshed (docs/square.md#decisions).
const refreshBefore = 7 * 24 * time.Hour

// loadSession gets the request's session through gorilla's registry, keeps
// it in the context, and saves it through the store just before the
// response is written.
func (a *app) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		gs, err := a.sessions.Get(c.Request(), a.sessions.CookieName())
		if err != nil {
			return err
		}
		c.Set(ctxSession, gs)
		c.Response().Before(func() {
			// Saved with the request as it is now, not as the registry
			// met it: the error handler gives the request a context that
			// outlives the handler's deadline, and the save needs one.
			if err := gs.Save(c.Request(), c.Response()); err != nil {
				a.logger.ErrorContext(c.Request().Context(), "saving the session failed", slog.Any("err", err))
			}
		})
		return next(c)
	}
}

// sessionOf returns the request's session, or nil outside loadSession.
func sessionOf(c echo.Context) *session.Session {
	gs, ok := c.Get(ctxSession).(*sessions.Session)
	if !ok {
		return nil
	}
	return session.From(gs)
}

// useSession makes s the request's session, the one saved before the
// response: after sign-in, or after loading the session again.
func useSession(c echo.Context, s *session.Session) {
	if gs, ok := c.Get(ctxSession).(*sessions.Session); ok {
		session.Use(gs, s)
	}
}

// requireAuth lets signed-in requests of an allowed merchant through,
// refreshing the token when it is due, and sends everyone else to sign in.
func (a *app) requireAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s := sessionOf(c)
		if s == nil || !s.SignedIn() {
			return a.toLogin(c)
		}
		if !a.cfg.MerchantAllowed(s.MerchantID()) {
			return a.refuseMerchant(c, s)
		}
		if err := a.refreshIfDue(c, s); err != nil {
			return err
		}
		if !sessionOf(c).SignedIn() {
			return a.toLogin(c)
		}
		return next(c)
	}
}

// toLogin sends a signed-out person to the sign-in page. htmx gets a 401
// with HX-Redirect, so a login page is never swapped into a table; a plain
// GET remembers where the person was going.
func (a *app) toLogin(c echo.Context) error {
	if isHTMX(c) {
		c.Response().Header().Set(hxRedirect, "/login")
		return c.NoContent(http.StatusUnauthorized)
	}
	target := "/login"
	// A very long address is not remembered: escaped into the redirect it
	// could pass the server's header limit, and it is kept in the session.
	if uri := c.Request().URL.RequestURI(); c.Request().Method == http.MethodGet && len(uri) <= session.MaxReturnTo {
		target += "?" + url.Values{"return_to": {uri}}.Encode()
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// endSession signs the request's session out, as when Square no longer
// accepts its token.
func (a *app) endSession(c echo.Context) {
	s := sessionOf(c)
	if s == nil || !s.SignedIn() {
		return
	}
	if err := a.sessions.Logout(c.Request().Context(), c.Response(), s); err != nil {
		a.logger.ErrorContext(c.Request().Context(), "ending the session failed", slog.Any("err", err))
		return
	}
	s.AddFlash(connectionEnded)
}

// connectionEnded tells the person that Square no longer accepts the
// session's token.
var connectionEnded = session.Flash{Kind: views.FlashInfo, Message: "Your Square connection ended. Please sign in again."}

// refreshIfDue refreshes the access token when less than refreshBefore
// remains. One refresh runs at a time per session; a request that waited
// for another's refresh reloads the session and finds it done.
func (a *app) refreshIfDue(c echo.Context, s *session.Session) error {
	if !a.due(s) {
		return nil
	}
	unlock := a.lockRefresh(s.ID())
	defer unlock()
	fresh, err := a.sessions.Load(c.Request())
	if err != nil {
		return err
	}
	useSession(c, fresh)
	if !fresh.SignedIn() || !a.due(fresh) {
		return nil
	}
	d := fresh.Data()
	ctx := c.Request().Context()
	tok, err := a.square.OAuth.RefreshToken(ctx, d.RefreshToken, a.cfg.OAuthPKCE)
	if err != nil {
		if square.IsAuth(err) || a.now().After(d.Expiry) {
			return err
		}
		// The token still works for a while: serve the page, try again
		// on a later request.
		a.logger.WarnContext(ctx, "token refresh failed", slog.Any("err", err))
		return nil
	}
	return fresh.UpdateTokens(ctx, session.Tokens{
		AccessToken:        tok.AccessToken,
		RefreshToken:       tok.RefreshToken,
		Expiry:             tok.Expiry,
		RefreshTokenExpiry: tok.RefreshTokenExpiresAt,
	})
}

// due reports whether the session's token should be refreshed.
func (a *app) due(s *session.Session) bool {
	exp := s.Data().Expiry
	return !exp.IsZero() && exp.Sub(a.now()) < refreshBefore
}

// client returns a Square client acting with the session's token.
func (a *app) client(c echo.Context) merchantAPI {
	token := sessionOf(c).Data().AccessToken
	if a.api != nil {
		return a.api(token)
	}
	return apiFor(a.square, token)
}

// layout builds the shared page frame, taking the session's flashes.
func (a *app) layout(c echo.Context, title, nav string) views.Layout {
	l := views.Layout{
		Title:       title,
		CSRFToken:   csrfToken(c),
		LocalMode:   a.cfg.IsLocal(),
		EmulatorURL: emulatorURL(a.cfg),
		RequestID:   requestIDOf(c),
		ActiveNav:   nav,
	}
	s := sessionOf(c)
	if s == nil {
		return l
	}
	if s.SignedIn() {
		d := s.Data()
		l.BusinessName = d.BusinessName
		if l.BusinessName == "" {
			l.BusinessName = d.MerchantID
		}
	}
	if isPrefetch(c) || isLiveRefresh(c) {
		// A page fetched ahead of a click the person may never make, or
		// fetched by live.js to see what changed, must not take the
		// messages meant for the page the person sees next.
		return l
	}
	for _, f := range s.TakeFlashes() {
		l.Flashes = append(l.Flashes, views.Flash{Kind: f.Kind, Message: f.Message})
	}
	return l
}

// isPrefetch reports whether the browser asked for the page ahead of
// time (speculation rules send Sec-Purpose: prefetch; older prefetches
// send Purpose: prefetch).
func isPrefetch(c echo.Context) bool {
	h := c.Request().Header
	purpose, _, _ := strings.Cut(h.Get("Sec-Purpose"), ";")
	return strings.TrimSpace(purpose) == "prefetch" || h.Get("Purpose") == "prefetch"
}

// liveRefreshHeader marks the fetches static/live.js makes in the
// background to take a changed customer from the ordinary pages.
const liveRefreshHeader = "Tessera-Live-Refresh"

// isLiveRefresh reports whether live.js, not the person, asked for the page.
func isLiveRefresh(c echo.Context) bool {
	return c.Request().Header.Get(liveRefreshHeader) != ""
}

// ipExtractor believes X-Forwarded-For only from the trusted proxies;
// from anyone else the client address is the connection's.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		_, ipNet, err := net.ParseCIDR(p.String())
		if err != nil {
			continue
		}
		opts = append(opts, echo.TrustIPRange(ipNet))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
