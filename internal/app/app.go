// Package app assembles Tessera from its parts: the data directory, the
// sessions, the Square client of the configured environment (with
// squarelocal in process in local mode), the handlers and the HTTP server
// settings. cmd/web serves it; cmd/loadtest measures the very same thing.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/handlers"
	"github.com/tessera-dashboard/tessera/internal/history"
	"github.com/tessera-dashboard/tessera/internal/imports"
	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/index/pgindex"
	"github.com/tessera-dashboard/tessera/internal/indexsync"
	"github.com/tessera-dashboard/tessera/internal/jobs"
	"github.com/tessera-dashboard/tessera/internal/live"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/store"
	"github.com/tessera-dashboard/tessera/internal/store/postgres"
	"github.com/tessera-dashboard/tessera/internal/textutil"
)

// Server timeouts: a slow client cannot hold a connection, and the write
// timeout leaves room for the handlers' own 25 s deadline.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	// ShutdownTimeout is how long requests in flight get to finish.
	ShutdownTimeout = 20 * time.Second
	sweepInterval   = 10 * time.Minute
)

// Options tune the local emulator and let tests stand in for the clock;
// the zero value is the demo, on the real clock.
type Options struct {
	// EmulatorCustomers and EmulatorSeed are passed to squarelocal in local
	// mode: customers per merchant (0 for the default) and the data seed.
	EmulatorCustomers int
	EmulatorSeed      int64
	// Emulator, when set, is the squarelocal that local mode uses instead
	// of starting its own (see NewEmulator).
	Emulator *squarelocal.Server
	// Now is the clock of the sessions and the handlers (and of the
	// emulator local mode starts); time.Now by default. Tests move it.
	Now func() time.Time
	// SessionIdle and SessionAbsolute override the session timeouts, and
	// MaxSignedOut how many signed-out sessions are kept.
	SessionIdle, SessionAbsolute time.Duration
	MaxSignedOut                 int
	// NoRevocation gives the sessions no revoker, as for Square's PKCE
	// flow without the application secret, where Square refuses to revoke.
	NoRevocation bool
	// RequestTimeout overrides the deadline of each request, so that a
	// test can make Square's hang end soon.
	RequestTimeout time.Duration
	// WrapSquareTransport, when set, wraps the transport the Square
	// client sends through, so that a test can record or time the calls.
	WrapSquareTransport func(http.RoundTripper) http.RoundTripper
	// LiveHeartbeat overrides how often an idle stream of live updates
	// sends a heartbeat and checks its session.
	LiveHeartbeat time.Duration
	// JobLease overrides how long a job stays a replica's without a
	// renewal, so that a test sees another replica take over soon.
	JobLease time.Duration
}

// Database is where Tessera keeps its state, on either engine: the SQLite
// file in TESSERA_DATA_DIR (internal/store) or PostgreSQL at
// TESSERA_DATABASE_URL (internal/store/postgres). The stores of sessions,
// history, jobs and uploads write their SQL once for both.
type Database interface {
	session.Backend
	Writer() *sql.DB
	Reader() *sql.DB
	Rebind(query string) string
	Ping(ctx context.Context) error
	Close() error
}

// CustomerIndex is the customer index on either engine, as every part of
// Tessera that uses it needs it.
type CustomerIndex interface {
	handlers.Index
	indexsync.Index
	jobs.Index
	Watch(w index.Watcher)
	Sweep(ctx context.Context, before time.Time) (int64, error)
}

// App is an assembled Tessera, ready to serve.
type App struct {
	Config   *config.Config
	DB       Database
	Sessions *session.Manager
	// Square is the client of the configured environment.
	Square *square.Client
	// Index is the local customer index and Syncer fills it; both are nil
	// when TESSERA_INDEX=off.
	Index  CustomerIndex
	Syncer *indexsync.Syncer
	// Runner keeps the indexes of signed-in merchants fresh; see
	// RunBackground.
	Runner *indexsync.Runner
	// Jobs runs the bulk changes on many customers; see RunBackground.
	Jobs *jobs.Runner
	// Imports keeps the files uploaded for a CSV import.
	Imports *imports.Store
	// Emulator is squarelocal in local mode, nil otherwise.
	Emulator *squarelocal.Server
	// WebhookSubscription is the id of this process's subscription to the
	// emulator's webhooks in local mode, "" otherwise.
	WebhookSubscription string
	// History is the record of changes to customers.
	History *history.Log
	// Live carries every change to the pages open on it.
	Live *live.Broker
	// Handler serves every route.
	Handler http.Handler
	// pg is the PostgreSQL database when there is one (DB is then it too).
	pg     *postgres.DB
	logger *slog.Logger
	now    func() time.Time
}

// openDatabase opens the configured engine and brings its schema up to
// date: PostgreSQL when TESSERA_DATABASE_URL is set, else the SQLite file
// in TESSERA_DATA_DIR. Exactly one of the two is returned.
func openDatabase(ctx context.Context, cfg *config.Config) (*store.DB, *postgres.DB, error) {
	if !cfg.UsesPostgres() {
		sqlite, err := store.Open(ctx, cfg.DataDir)
		if err != nil {
			return nil, nil, dataDirError(err)
		}
		return sqlite, nil, nil
	}
	pg, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		// postgres.Open's messages name the server without the password.
		return nil, nil, fmt.Errorf("%s: %w", config.EnvDatabaseURL, err)
	}
	return nil, pg, nil
}

// postgresDatabase is a postgres.DB as a Database, whose Close reports
// nothing.
type postgresDatabase struct{ *postgres.DB }

func (d postgresDatabase) Close() error {
	d.DB.Close()
	return nil
}

// New builds Tessera from cfg. Every error names the variable that would
// fix it, for a one-line start-up message.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger, opts Options) (*App, error) {
	secrets := cfg.SessionSecrets
	if len(secrets) == 0 && cfg.UsesEmulator() {
		secret, err := config.EnsureLocalSecret(cfg.DataDir)
		if err != nil {
			return nil, dataDirError(err)
		}
		secrets = [][]byte{secret}
	}
	sqlite, pg, err := openDatabase(ctx, cfg)
	if err != nil {
		return nil, err
	}
	var db Database = sqlite
	if pg != nil {
		db = postgresDatabase{pg}
	}
	a := &App{Config: cfg, DB: db, pg: pg, logger: logger}
	// The client comes first: the sessions revoke tokens through it.
	a.Square, err = a.squareClient(opts)
	if err != nil {
		a.Close()
		return nil, err
	}
	revoke := Revoker(cfg, a.Square)
	if opts.NoRevocation {
		revoke = nil
	}
	a.Sessions, err = session.NewManager(db, session.Options{
		Secrets: secrets, Secure: cfg.Secure(), Logger: logger, Now: opts.Now, Revoke: revoke,
		IdleTimeout: opts.SessionIdle, AbsoluteTimeout: opts.SessionAbsolute, MaxSignedOut: opts.MaxSignedOut,
	})
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("%s: %w", config.EnvSessionSecret, err)
	}
	a.History = history.New(db)
	a.now = opts.Now
	if a.now == nil {
		a.now = time.Now
	}
	deps := handlers.Deps{Config: cfg, Sessions: a.Sessions, Square: a.Square, DB: db, Logger: logger, Now: opts.Now,
		RequestTimeout: opts.RequestTimeout, History: a.History,
	}
	liveOpts := live.Options{Logger: logger}
	if pg != nil {
		// Every replica's streams hear every replica's changes.
		liveOpts.Bus = pg.LiveBus(postgres.LiveOptions{})
	}
	a.Live = live.New(liveOpts)
	deps.Live, deps.LiveHeartbeat = a.Live, opts.LiveHeartbeat
	if !cfg.IndexOff {
		if pg != nil {
			a.Index = pgindex.New(pg)
		} else {
			a.Index = index.New(sqlite)
		}
		// Changes made elsewhere reach Tessera through the index, which
		// tells the history of each once.
		a.Index.Watch(a.History.Watcher(logger, a.now))
		// Every change the index takes reaches the merchant's open pages.
		a.Index.Watch(a.Live.Watcher())
		a.Syncer = indexsync.New(a.Index, indexsync.Options{Now: opts.Now, Logger: logger})
		runOpts := indexsync.RunnerOptions{Now: opts.Now, Logger: logger}
		if pg != nil {
			runOpts.Exclusive = pg.Exclusive
		}
		a.Runner = indexsync.NewRunner(a.Syncer, a.Sessions, func(token string) indexsync.Customers {
			return a.Square.WithAccessToken(token).Customers
		}, runOpts)
		deps.Index, deps.IndexSync = a.Index, a.Runner
	}
	// The SQLite file is this process's alone, so its runner keeps one name
	// in the jobs' leases: started again after a crash, it takes its jobs
	// back at once. Replicas on PostgreSQL each mint their own (Replica
	// left empty): two with one name would both run a job.
	jobOpts := jobs.Options{Now: opts.Now, Logger: logger, Lease: opts.JobLease}
	if pg == nil {
		jobOpts.Replica = "local"
	}
	if a.Index != nil {
		jobOpts.Index = a.Index
	}
	a.Jobs = jobs.NewRunner(jobs.NewStore(db), a.Sessions, func(token string) jobs.API {
		return a.Square.WithAccessToken(token).Customers
	}, jobOpts)
	deps.Jobs = a.Jobs
	a.Imports = imports.NewStore(db)
	deps.Imports = a.Imports
	if a.Emulator != nil {
		deps.Emulator = a.Emulator
		if cfg.WebhookSignatureKey == "" {
			// Local mode's subscription gets a key of its own, as a
			// subscription made in Square's Developer Console does.
			cfg.WebhookSignatureKey = textutil.Token(32)
		}
	}
	a.Handler = handlers.New(deps)
	if a.Emulator != nil {
		// The emulator delivers its webhooks to Tessera in process, signed
		// for the notification URL Tessera checks them against.
		if a.WebhookSubscription, err = a.Emulator.Subscribe(squarelocal.Subscription{
			URL: cfg.WebhookURL(), SignatureKey: cfg.WebhookSignatureKey,
			Transport: squarelocal.HandlerTransport(a.Handler),
		}); err != nil {
			a.Close()
			return nil, fmt.Errorf("%s: the emulator's webhooks: %w", config.EnvEnvironment, err)
		}
	}
	return a, nil
}

// Revoker revokes a session's access token, and only that one (another
// staff member of the seller keeps theirs), for the sessions that end
// without a sign-out. It is nil when Square would refuse: its revoke
// endpoint needs the application secret, which the PKCE flow may run
// without.
func Revoker(cfg *config.Config, client *square.Client) session.Revoker {
	if _, secret := squareApp(cfg); secret == "" {
		return nil
	}
	return func(ctx context.Context, accessToken string) error {
		return client.OAuth.RevokeToken(ctx, accessToken, true)
	}
}

// Server is an http.Server for the app with explicit timeouts.
func (a *App) Server() *http.Server {
	return &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
}

// RunBackground does what Tessera does besides answering requests, until
// ctx ends: it deletes expired sessions now and then, and keeps the
// customer index of every merchant with staff signed in up to date.
func (a *App) RunBackground(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { a.Sessions.RunSweeper(ctx, sweepInterval) })
	if a.pg != nil {
		// The log shared with the other replicas: listened to, and
		// pruned, for as long as the process serves.
		wg.Go(func() { a.Live.Run(ctx) })
	}
	wg.Go(func() { a.sweepHistory(ctx) })
	// Jobs left unfinished by a restart resume, and old ones are deleted.
	wg.Go(func() { a.Jobs.Run(ctx) })
	wg.Go(func() { a.sweepImports(ctx) })
	if a.Runner != nil {
		wg.Go(func() { a.Runner.Run(ctx) })
		wg.Go(func() { a.sweepIndex(ctx) })
	}
	wg.Wait()
}

// sweepImports deletes uploaded files a day after their upload when no
// import started from them, and with their job otherwise, until ctx ends.
func (a *App) sweepImports(ctx context.Context) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		if _, err := a.Imports.Sweep(ctx, a.now()); err != nil && ctx.Err() == nil {
			a.logger.WarnContext(ctx, "sweeping uploaded files failed", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// indexRetention is how long the index remembers webhook event ids and
// deleted customers: Square retries a delivery for at most three days, so
// after a week no late or repeated delivery can need them.
const indexRetention = 7 * 24 * time.Hour

// sweepIndex forgets old event ids and tombstones now and then, until ctx
// ends.
func (a *App) sweepIndex(ctx context.Context) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		if _, err := a.Index.Sweep(ctx, time.Now().Add(-indexRetention)); err != nil && ctx.Err() == nil {
			a.logger.WarnContext(ctx, "sweeping the customer index failed", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweepHistory deletes the history's entries older than
// TESSERA_HISTORY_DAYS now and then, until ctx ends.
func (a *App) sweepHistory(ctx context.Context) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		if _, err := a.SweepHistory(ctx); err != nil && ctx.Err() == nil {
			a.logger.WarnContext(ctx, "sweeping the history failed", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SweepHistory deletes the history's entries older than
// TESSERA_HISTORY_DAYS once, and returns how many.
func (a *App) SweepHistory(ctx context.Context) (int64, error) {
	return a.History.Sweep(ctx, a.now().Add(-a.Config.HistoryRetention()))
}

// Close releases the emulator and the database.
func (a *App) Close() error {
	if a.Jobs != nil {
		a.Jobs.Stop()
		a.Jobs.Wait()
	}
	if a.Emulator != nil {
		a.Emulator.Close()
	}
	return a.DB.Close()
}

// squareClient builds the Square client of the configured environment. In
// local mode it also starts the emulator, which the client reaches in
// process and the browser under /squarelocal/.
func (a *App) squareClient(opts Options) (*square.Client, error) {
	cfg := a.Config
	o := square.Options{SquareVersion: cfg.SquareVersion, Logger: a.logger}
	o.ClientID, o.ClientSecret = squareApp(cfg)
	switch cfg.Environment {
	case config.Local:
		a.Emulator = opts.Emulator
		if a.Emulator == nil {
			a.Emulator = NewEmulator(cfg, a.logger, opts)
		}
		o.BaseURL = "http://squarelocal.invalid"
		o.Transport = a.Emulator.Transport()
		o.AuthorizeURL = cfg.BaseURL.JoinPath("/squarelocal/oauth2/authorize").String()
	case config.Emulator:
		// The API, the consent page and the card-form script are all the
		// standalone emulator's, at its root as on Square's hosts.
		o.BaseURL = cfg.EmulatorURL.String()
	case config.Sandbox:
		o.BaseURL = square.SandboxBaseURL
	default:
		o.BaseURL = square.ProductionBaseURL
	}
	if a.Emulator == nil {
		var transport http.RoundTripper = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 15 * time.Second,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}
		if opts.WrapSquareTransport != nil {
			transport = opts.WrapSquareTransport(transport)
		}
		o.HTTPClient = &http.Client{Timeout: 20 * time.Second, Transport: transport}
	} else if opts.WrapSquareTransport != nil {
		o.Transport = opts.WrapSquareTransport(o.Transport)
	}
	client, err := square.NewClient(o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.EnvEnvironment, err)
	}
	return client, nil
}

// squareApp is the application's id and secret: the configured ones, or
// squarelocal's built-in app in local mode and in emulator mode when none
// is configured (cmd/squarelocal's default -client-id and -client-secret).
func squareApp(cfg *config.Config) (id, secret string) {
	if cfg.IsLocal() || cfg.IsEmulator() && cfg.ApplicationID == "" {
		return squarelocal.LocalClientID, squarelocal.LocalClientSecret
	}
	return cfg.ApplicationID, cfg.ApplicationSecret
}

// NewEmulator starts squarelocal as local mode runs it for cfg. The
// built-in app sends the browser back to Tessera's own callback only, as
// Square does with a registered redirect URL: any other redirect_uri would
// make the consent page an open redirect. The controls answer requests to
// Tessera's own (loopback) address only. A test that needs the seeded
// merchants before it finishes its configuration starts the emulator with
// this and passes it in Options.Emulator.
func NewEmulator(cfg *config.Config, logger *slog.Logger, opts Options) *squarelocal.Server {
	return squarelocal.New(squarelocal.Options{
		Logger: logger, CustomersPerMerchant: opts.EmulatorCustomers, Seed: opts.EmulatorSeed, Now: opts.Now,
		Apps: []squarelocal.App{{
			ClientID: squarelocal.LocalClientID, ClientSecret: squarelocal.LocalClientSecret,
			RedirectURIs: []string{cfg.RedirectURL()},
		}},
		ControlHosts: []string{cfg.BaseURL.Host},
	})
}

// dataDirError names TESSERA_DATA_DIR in a data directory problem, unless
// the error already does: config.EnsureLocalSecret returns a *config.Error
// naming it, which would otherwise read "TESSERA_DATA_DIR: TESSERA_DATA_DIR: …".
func dataDirError(err error) error {
	if _, ok := errors.AsType[*config.Error](err); ok {
		return err
	}
	return fmt.Errorf("%s: %w", config.EnvDataDir, err)
}
