package handlers

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tessera-dashboard/tessera/internal/requestid"
	"github.com/tessera-dashboard/tessera/internal/textutil"
)

// ctxCSRF is the Echo context key of the CSRF token.
const ctxCSRF = "csrf"

// requestID gives every request a fresh id, returned in X-Request-Id and
// shown on error pages. An id sent by the client is ignored: it would let
// anyone write what they like into our logs.
func requestID() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id := textutil.Token(12)
			req := c.Request()
			c.SetRequest(req.WithContext(requestid.NewContext(req.Context(), id)))
			c.Response().Header().Set(echo.HeaderXRequestID, id)
			return next(c)
		}
	}
}

// requestIDOf returns the id requestID gave the request.
func requestIDOf(c echo.Context) string {
	return requestid.FromContext(c.Request().Context())
}

// requestLogger logs one line per request. It logs the path without the
// query, because a search query can hold a customer's email or phone.
func requestLogger(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				// Let the error handler write the response now, so the
				// logged status is the one the client gets.
				c.Error(err)
			}
			req := c.Request()
			level := slog.LevelInfo
			if c.Response().Status >= 500 {
				level = slog.LevelError
			}
			logger.LogAttrs(req.Context(), level, "request",
				slog.String("method", req.Method),
				slog.String("path", req.URL.Path),
				slog.Int("status", c.Response().Status),
				slog.Int64("bytes", c.Response().Size),
				slog.Duration("duration", time.Since(start)),
				slog.String("ip", c.RealIP()),
				slog.Bool("htmx", isHTMX(c)),
			)
			return nil
		}
	}
}

// securityHeaders sets the headers every response of ours carries, with a
// fresh CSP nonce that templ puts on our script tags.
func securityHeaders(secure bool, formActions []string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			nonce := textutil.Token(16)
			req := c.Request()
			c.SetRequest(req.WithContext(templ.WithNonce(req.Context(), nonce)))
			h := c.Response().Header()
			h.Set("Content-Security-Policy", contentSecurityPolicy(nonce, formActions, nil))
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("X-Frame-Options", "DENY")
			// A page opened by another site's window.open is cut off from
			// its opener (no navigating it to a look-alike, no counting its
			// frames), and Chrome on Android, which isolates only some
			// sites, gives a page with this header a process of its own.
			// Its price is a renderer started for the first navigation
			// into Tessera from a page without it (docs/performance.md).
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
			if secure {
				h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			return next(c)
		}
	}
}

// contentSecurityPolicy builds the CSP: our own files and nonce'd scripts
// only, no inline code, nothing framed. extra, when not nil, names the
// origins that one page (the card form) adds for Square's card form.
func contentSecurityPolicy(nonce string, formActions []string, extra *cspSources) string {
	if extra == nil {
		extra = &cspSources{}
	}
	sources := func(own []string, more []string) string {
		return strings.Join(append(own, more...), " ")
	}
	directives := []string{
		"default-src 'none'",
		"script-src " + sources([]string{"'self'", "'nonce-" + nonce + "'"}, extra.Script),
		"style-src " + sources([]string{"'self'"}, extra.Style),
		"img-src 'self' data:",
		"font-src " + sources([]string{"'self'"}, extra.Font),
		"connect-src " + sources([]string{"'self'"}, extra.Connect),
	}
	if len(extra.Frame) > 0 {
		// Without it, frames fall back to default-src 'none'.
		directives = append(directives, "frame-src "+strings.Join(extra.Frame, " "))
	}
	directives = append(directives,
		"form-action "+sources([]string{"'self'"}, formActions),
		"frame-ancestors 'none'",
		"base-uri 'none'",
		"object-src 'none'",
	)
	return strings.Join(directives, "; ")
}

// cspSources are origins a page adds to the CSP's directives, beyond our
// own.
type cspSources struct {
	Script, Style, Font, Connect, Frame []string
}

// cardFormPolicy gives the card page, and no other, the CSP that Square's
// card form of the configured environment needs (see cardSDKFor). It runs
// after securityHeaders and keeps its nonce. In local mode the stand-in
// script is our own origin, so the policy stays as it is; in emulator mode
// it comes from the emulator's.
func (a *app) cardFormPolicy(next echo.HandlerFunc) echo.HandlerFunc {
	extra := cardSDKFor(a.cfg).sources
	formActions := a.authorizeOrigins()
	return func(c echo.Context) error {
		if extra != nil {
			nonce := templ.GetNonce(c.Request().Context())
			c.Response().Header().Set("Content-Security-Policy", contentSecurityPolicy(nonce, formActions, extra))
		}
		return next(c)
	}
}

// crossSiteGuard refuses state-changing requests that a browser marks as
// coming from another site, or whose Origin is not ours. It runs before
// Echo's CSRF middleware and then removes Sec-Fetch-Site, because Echo lets
// a same-origin request through without its token; we want the token
// checked on every POST as well.
//
// The header goes from safe requests too: when Echo sees it on a GET it
// neither sets the CSRF cookie nor gives the page a real token (it hands
// out a placeholder), so every form a browser loaded was refused on POST.
//
// Go's http.CrossOriginProtection makes the same Sec-Fetch-Site check, but
// where a browser sends no Sec-Fetch-Site it accepts an Origin whose host
// equals the request's Host header. Tessera never trusts Host (a
// rebinding domain sends a matching Origin and Host); it compares Origin
// with the configured base URL, so it keeps this guard.
func crossSiteGuard(origin string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			switch req.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				req.Header.Del("Sec-Fetch-Site")
				return next(c)
			}
			if site := req.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
				return errForbiddenCrossSite
			}
			if o := req.Header.Get(echo.HeaderOrigin); o != "" && !strings.EqualFold(o, origin) {
				return errForbiddenCrossSite
			}
			req.Header.Del("Sec-Fetch-Site")
			return next(c)
		}
	}
}

// csrf is Echo's token check: the token lives in a cookie named like the
// session cookie and must come back in the form or the X-CSRF-Token header.
func csrf(secure bool) echo.MiddlewareFunc {
	name := "csrf"
	if secure {
		name = "__Host-csrf"
	}
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		ContextKey:     ctxCSRF,
		CookieName:     name,
		CookiePath:     "/",
		CookieSecure:   secure,
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   12 * 60 * 60,
		ErrorHandler: func(error, echo.Context) error {
			return errForbiddenCSRF
		},
	})
}

// csrfToken returns the token to put in forms and hx-headers.
func csrfToken(c echo.Context) string {
	t, _ := c.Get(ctxCSRF).(string)
	return t
}
