// Package handlers is Tessera's web layer: the Echo instance, its
// middleware, one error handler, and the route table in routes.go. Each
// handler parses the request, calls Square through internal/square, maps
// the answer to a view model and renders a templ component.
package handlers

import (
	"cmp"
	"context"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/history"
	"github.com/tessera-dashboard/tessera/internal/imports"
	"github.com/tessera-dashboard/tessera/internal/jobs"
	"github.com/tessera-dashboard/tessera/internal/live"
	"github.com/tessera-dashboard/tessera/internal/requestid"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/static"
)

// Pinger is the database as readiness needs it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are what the handlers are built from. cmd/web wires them.
type Deps struct {
	Config   *config.Config
	Sessions *session.Manager
	// Square is the client without an access token: it does OAuth, and
	// WithAccessToken gives each request a client of its own merchant.
	Square *square.Client
	DB     Pinger
	Logger *slog.Logger
	// Emulator is squarelocal in local mode, nil otherwise. Its consent
	// page, card-form script and controls are mounted under /squarelocal/.
	Emulator http.Handler
	// Now is the clock; tests move it.
	Now func() time.Time
	// RequestTimeout bounds each request; zero means DefaultRequestTimeout. Only
	// tests set it, so that a hung Square call ends in well under a second.
	RequestTimeout time.Duration
	// Index is the local customer index; nil when TESSERA_INDEX=off.
	Index Index
	// IndexSync runs the index's syncs; nil when TESSERA_INDEX=off.
	IndexSync IndexSync
	// History is the record of changes to customers; nil keeps none.
	History *history.Log
	// Live carries changes to the pages open on them (GET /events); nil
	// answers every stream with 204.
	Live *live.Broker
	// LiveHeartbeat is how often an idle stream sends a heartbeat and
	// checks its session; zero means DefaultHeartbeat. Tests shorten it.
	LiveHeartbeat time.Duration
	// Jobs runs bulk changes (bulk.go); nil leaves the bulk actions out.
	Jobs *jobs.Runner
	// Imports keeps the files uploaded to import (imports.go); with Jobs
	// it turns the CSV import on.
	Imports *imports.Store
}

// Index is the customer index as the handlers need it, on either engine
// (internal/index, internal/index/pgindex). Some pages use more of it when
// it offers more (the export's EachID, the import's Likely): see the
// interfaces they ask for.
type Index interface {
	customerIndex
	indexWrites
}

// IndexSync is what the handlers need of the index's background sync.
type IndexSync interface {
	// Kick asks for the merchant's sync now: after a sign-in.
	Kick(merchantID string)
	// Rebuild starts the merchant's index afresh.
	Rebuild(ctx context.Context, merchantID string) error
}

// Scopes are the permissions Tessera asks Square for.
var Scopes = []string{"CUSTOMERS_READ", "CUSTOMERS_WRITE", "PAYMENTS_READ", "PAYMENTS_WRITE", "MERCHANT_PROFILE_READ"}

// DefaultRequestTimeout bounds the work of one request, Square calls
// included; it is below the server's write timeout so the person gets our
// error page.
const DefaultRequestTimeout = 25 * time.Second

// maxBody bounds request bodies: our forms are small.
const maxBody = "256K"

// emulatorPrefix is where local mode mounts squarelocal's browser pages.
const emulatorPrefix = "/squarelocal"

// emulatorURL is the standalone emulator's URL for the banner in emulator
// mode, and empty otherwise.
func emulatorURL(cfg *config.Config) string {
	if !cfg.IsEmulator() {
		return ""
	}
	return cfg.EmulatorURL.String()
}

// app holds the dependencies the handlers share.
type app struct {
	cfg      *config.Config
	sessions *session.Manager
	square   *square.Client
	// indexed takes writes into the customer index, and indexSync runs its
	// syncs; both are nil when TESSERA_INDEX=off.
	indexed   indexWrites
	indexSync IndexSync
	// api, when set, stands in for Square in tests (see merchantAPI).
	api      func(accessToken string) merchantAPI
	db       Pinger
	logger   *slog.Logger
	emulator http.Handler
	now      func() time.Time
	// refreshLocks make token refreshes of one session happen one at a
	// time; striping bounds the memory whatever the number of sessions.
	refreshLocks [64]sync.Mutex
	// merchants caches each merchant's country and customer groups.
	merchants merchantCache
	// index serves the directory once a merchant's first sync is done;
	// nil when the index is off.
	index customerIndex
	// history records Tessera's writes and shows the record; nil when
	// there is none.
	history historyLog
	// live carries changes to the open pages, every heartbeat.
	live      *live.Broker
	heartbeat time.Duration
	// jobs runs bulk changes.
	jobs *jobs.Runner
	// imports keeps uploaded files; nil leaves the CSV import out.
	imports *imports.Store
}

// New builds the Echo instance with every middleware and route.
func New(d Deps) *echo.Echo {
	return newApp(d).handler(d)
}

// newApp holds the dependencies; handler builds the Echo instance around it.
// They are apart so that a test can replace Square (app.api) in between.
func newApp(d Deps) *app {
	a := &app{
		cfg: d.Config, sessions: d.Sessions, square: d.Square, db: d.DB,
		logger: d.Logger, emulator: d.Emulator, now: d.Now,
		live: d.Live, heartbeat: cmp.Or(d.LiveHeartbeat, DefaultHeartbeat),
	}
	if d.Index != nil {
		// Left nil otherwise: the pages then work from Square.
		a.index, a.indexed = d.Index, d.Index
	}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	} else {
		// Every line logged with a request's context carries its id.
		a.logger = slog.New(requestid.NewHandler(a.logger.Handler()))
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.indexSync = d.IndexSync
	if d.History != nil {
		a.history = d.History
	}
	a.jobs = d.Jobs
	a.imports = d.Imports
	return a
}

// handler builds the Echo instance: middleware, the error handler and routes.
func (a *app) handler(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.errorHandler
	e.IPExtractor = ipExtractor(d.Config.TrustedProxies)

	secure := d.Config.Secure()
	origin := strings.TrimSuffix(d.Config.BaseURL.String(), "/")
	e.Use(
		requestID(),
		requestLogger(a.logger),
		middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: a.logPanic}),
		// A file to import is the one body larger than a form (imports.go).
		uploadTooLarge,
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: maxBody, Skipper: isImportUpload}),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: uploadBody, Skipper: func(c echo.Context) bool { return !isImportUpload(c) }}),
		// Level 1: our pages compress almost as well as at level 5 (a
		// directory page: 6.9 KB against 6.3 KB) for a fraction of the CPU.
		compress(),
		deadline(cmp.Or(d.RequestTimeout, DefaultRequestTimeout)),
	)
	// The emulator's pages bring their own policy and forms; everything
	// else is ours and gets our headers, cross-site checks and sessions.
	ours := []echo.MiddlewareFunc{
		securityHeaders(secure, a.authorizeOrigins()),
		crossSiteGuard(origin),
		readForm,
		csrf(secure),
		a.loadSession,
	}
	a.routes(e, ours)
	return e
}

// authorizeOrigins are the origins the sign-in form redirects to, for the
// CSP's form-action: Square's, or none extra in local mode.
func (a *app) authorizeOrigins() []string {
	u, err := url.Parse(a.square.OAuth.Config("", nil).Endpoint.AuthURL)
	if err != nil || u.Host == "" || u.Host == a.cfg.BaseURL.Host {
		return nil
	}
	return []string{u.Scheme + "://" + u.Host}
}

// deadline gives every request a context deadline, which the Square client
// honours in its calls and retries.
func deadline(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Path() == eventsPath || c.Path() == exportPath {
				// A stream lasts as long as its page, an export as long
				// as its file; their writes have deadlines of their own.
				return next(c)
			}
			ctx, cancel := context.WithTimeout(c.Request().Context(), d)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

// logPanic logs a recovered panic; the error handler shows the page.
func (a *app) logPanic(c echo.Context, err error, stack []byte) error {
	a.logger.ErrorContext(c.Request().Context(), "panic", slog.Any("err", err), slog.String("stack", string(stack)))
	return err
}

// lockRefresh takes the refresh lock of a session id.
func (a *app) lockRefresh(id string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	mu := &a.refreshLocks[h.Sum32()%uint32(len(a.refreshLocks))]
	mu.Lock()
	return mu.Unlock
}

// staticHandler serves the embedded assets under their hashed names.
var staticHandler = echo.WrapHandler(static.Handler())
