package handlers

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/webhook"
	"github.com/tessera-dashboard/tessera/static"
)

// routes is Tessera's one route table. ours is the middleware of our own
// pages (headers, cross-site checks, CSRF, session); the emulator's pages
// in local mode and the probes do without it.
func (a *app) routes(e *echo.Echo, ours []echo.MiddlewareFunc) {
	get(e, "/healthz", a.healthz)
	get(e, "/readyz", a.readyz)
	get(e, static.Prefix+"*", staticHandler)
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

	// Square's webhook deliveries prove themselves by their signature; they
	// carry no session or CSRF token, and come from no browser.
	e.POST(webhook.Path, a.squareWebhook)

	// The stream of live updates reads the session itself, without the
	// session middleware: an open tab must not keep its session alive.
	// It changes nothing, so it needs no CSRF token.
	e.GET(eventsPath, a.events)

	g := e.Group("", ours...)
	get(g, "/", a.home)
	get(g, "/login", a.loginPage)
	g.POST("/login", a.login)
	get(g, "/auth/callback", a.callback)
	g.POST("/logout", a.logout)

	get(g, "/customers", a.customers, a.requireAuth)
	get(g, "/customers/new", a.newCustomer, a.requireAuth)
	get(g, "/customers/count", a.customerCount, a.requireAuth)
	get(g, selectPrefix, a.selectCustomers, a.requireAuth)
	get(g, exportPath, a.exportView, a.requireAuth)
	g.POST(exportPath, a.exportSelected, a.requireAuth)
	g.POST("/customers/bulk", a.bulkChoose, a.requireAuth)
	g.POST("/customers/bulk/run", a.bulkRun, a.requireAuth)
	get(g, "/jobs/:job", a.jobPage, a.requireAuth)
	get(g, "/jobs/:job/failed.csv", a.importFailedCSV, a.requireAuth)
	get(g, importPath, a.importUploadPage, a.requireAuth)
	g.POST(importPath, a.importUpload, a.requireAuth)
	get(g, importPath+"/:imp", a.importMapPage, a.requireAuth)
	g.POST(importPath+"/:imp", a.importMap, a.requireAuth)
	get(g, importPath+"/:imp/check", a.importCheckPage, a.requireAuth)
	g.POST(importPath+"/:imp/start", a.importStart, a.requireAuth)
	g.POST("/customers", a.createCustomer, a.requireAuth)
	get(g, "/customers/:id", a.customerProfile, a.requireAuth)
	get(g, "/customers/:id/edit", a.editCustomer, a.requireAuth)
	g.POST("/customers/:id", a.updateCustomer, a.requireAuth)
	get(g, "/customers/:id/delete", a.confirmDeleteCustomer, a.requireAuth)
	g.POST("/customers/:id/delete", a.deleteCustomer, a.requireAuth)
	get(g, "/customers/:id/cards/new", a.newCard, a.requireAuth, a.cardFormPolicy)
	g.POST("/customers/:id/cards", a.createCard, a.requireAuth, a.cardFormPolicy)
	get(g, "/customers/:id/cards/:card_id/remove", a.confirmRemoveCard, a.requireAuth)
	g.POST("/customers/:id/cards/:card_id/disable", a.removeCard, a.requireAuth)
	get(g, "/activity", a.activity, a.requireAuth)
	get(g, "/activity/export", a.activityExport, a.requireAuth)
	get(g, "/groups", a.groups, a.requireAuth)
	g.POST("/groups", a.createGroup, a.requireAuth)
	get(g, "/groups/:gid/rename", a.renameGroupPage, a.requireAuth)
	g.POST("/groups/:gid/rename", a.renameGroup, a.requireAuth)
	get(g, "/groups/:gid/delete", a.confirmDeleteGroup, a.requireAuth)
	g.POST("/groups/:gid/delete", a.deleteGroup, a.requireAuth)
	g.POST("/customers/:id/groups", a.addCustomerGroups, a.requireAuth)
	g.POST("/customers/:id/groups/:gid/remove", a.removeCustomerGroup, a.requireAuth)
	get(g, "/settings/connection", a.connection, a.requireAuth)
	g.POST("/settings/index/rebuild", a.rebuildIndex, a.requireAuth)
}

// getAndHead are the methods of a page: HTTP asks every server to answer
// HEAD wherever it answers GET (RFC 9110, section 9.3.2), and uptime
// checkers and link previewers rely on it; net/http sends the headers and
// drops the body.
var getAndHead = []string{http.MethodGet, http.MethodHead}

// get registers a page for GET and HEAD on the Echo instance or a group.
func get(r interface {
	Match([]string, string, echo.HandlerFunc, ...echo.MiddlewareFunc) []*echo.Route
}, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	r.Match(getAndHead, path, h, m...)
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
