package handlers

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/static"
)

// routes is Tessera's one route table. ours is the middleware of our own
// pages (headers, cross-site checks, CSRF, session); the emulator's pages
// in local mode and the probes do without it.
func (a *app) routes(e *echo.Echo, ours []echo.MiddlewareFunc) {
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)
	e.GET(static.Prefix+"*", staticHandler)
	if a.emulator != nil {
		// Only what a browser needs of squarelocal is reachable here: the
		// consent page, the card-form script, and its test controls. The
		// API itself is reached in process by the Square client.
		emu := echo.WrapHandler(http.StripPrefix(emulatorPrefix, a.emulator))
		e.GET(emulatorPrefix+"/oauth2/authorize", emu)
		e.POST(emulatorPrefix+"/oauth2/authorize", emu)
		e.GET(emulatorPrefix+"/v1/square.js", emu)
		// The emulator's controls (faults, call log, clock) need no sign-in:
		// they are for tests on this machine, so only a server listening on
		// loopback offers them.
		if listensOnLoopback(a.cfg.Addr) {
			e.Any(emulatorPrefix+"/_squarelocal/*", emu)
		}
	}

	g := e.Group("", ours...)
	g.GET("/", a.home)
	g.GET("/login", a.loginPage)
	g.POST("/login", a.login)
	g.GET("/auth/callback", a.callback)
	g.POST("/logout", a.logout)

	g.GET("/customers", a.customers, a.requireAuth)
	g.GET("/customers/new", a.newCustomer, a.requireAuth)
	g.POST("/customers", a.createCustomer, a.requireAuth)
	g.GET("/customers/:id", a.customerProfile, a.requireAuth)
	g.GET("/customers/:id/edit", a.editCustomer, a.requireAuth)
	g.POST("/customers/:id", a.updateCustomer, a.requireAuth)
	g.GET("/customers/:id/delete", a.confirmDeleteCustomer, a.requireAuth)
	g.POST("/customers/:id/delete", a.deleteCustomer, a.requireAuth)
	g.GET("/customers/:id/cards/new", a.newCard, a.requireAuth, a.cardFormPolicy)
	g.POST("/customers/:id/cards", a.createCard, a.requireAuth, a.cardFormPolicy)
	g.GET("/customers/:id/cards/:card_id/remove", a.confirmRemoveCard, a.requireAuth)
	g.POST("/customers/:id/cards/:card_id/disable", a.removeCard, a.requireAuth)
	g.GET("/settings/connection", a.connection, a.requireAuth)
}

// listensOnLoopback reports whether addr (host:port) is reachable only from
// this machine: "localhost" or a loopback address, not ":8080".
func listensOnLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
