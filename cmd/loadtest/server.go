package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/handlers"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// The server's settings, as cmd/web sets them (its package main cannot be
// imported, so they are repeated here; keep them in step).
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 20 * time.Second
	sweepInterval     = 10 * time.Minute
	maxHeaderBytes    = 64 << 10
)

// tessera is one Tessera in local mode, served in this process on a
// loopback listener of its own, wired from the same packages and in the
// same way as cmd/web's run and squareClient.
type tessera struct {
	// addr is the listener's host:port on 127.0.0.1, the only address the
	// load's clients may dial; base is http://addr.
	addr string
	base *url.URL

	emu      *squarelocal.Server
	srv      *http.Server
	db       *store.DB
	dataDir  string
	logs     *logSink
	served   chan error
	stopSwep context.CancelFunc
}

// startTessera starts Tessera with a temporary data directory and an
// emulator seeded with customers per merchant.
func startTessera(ctx context.Context, customers int, seed int64) (_ *tessera, err error) {
	// The listener comes first: in local mode the base URL, and with it
	// the OAuth redirect URL, is derived from TESSERA_ADDR, which must be
	// the port the clients really reach.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	t := &tessera{addr: ln.Addr().String(), logs: &logSink{}, served: make(chan error, 1)}
	defer func() {
		if err != nil {
			_ = ln.Close()
			t.close()
		}
	}()
	if !isLoopback(t.addr) {
		return nil, fmt.Errorf("listener address %s is not loopback", t.addr)
	}
	t.dataDir, err = os.MkdirTemp("", "tessera-loadtest-")
	if err != nil {
		return nil, err
	}

	env := map[string]string{
		config.EnvEnvironment: string(config.Local),
		config.EnvAddr:        t.addr,
		config.EnvDataDir:     t.dataDir,
	}
	cfg, err := config.Load(func(name string) string { return env[name] })
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	if !cfg.IsLocal() || cfg.BaseURL.Host != t.addr || cfg.BaseURL.Scheme != "http" {
		return nil, fmt.Errorf("configuration: want local mode at http://%s, got %s at %s", t.addr, cfg.Environment, cfg.BaseURL)
	}
	t.base = cfg.BaseURL

	// Logged as cmd/web logs, at the configured level, so that formatting
	// the log costs what it costs in production; the lines are counted,
	// not printed.
	logger := slog.New(slog.NewTextHandler(t.logs, &slog.HandlerOptions{Level: cfg.LogLevel}))

	secret, err := config.EnsureLocalSecret(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	t.db, err = store.Open(ctx, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	sessions, err := session.NewManager(t.db, session.Options{Secrets: [][]byte{secret}, Secure: cfg.Secure(), Logger: logger})
	if err != nil {
		return nil, err
	}

	t.emu = squarelocal.New(squarelocal.Options{Logger: logger, CustomersPerMerchant: customers, Seed: seed})
	client, err := square.NewClient(square.Options{
		SquareVersion: cfg.SquareVersion,
		Logger:        logger,
		BaseURL:       "http://squarelocal.invalid",
		Transport:     t.emu.Transport(),
		AuthorizeURL:  cfg.BaseURL.JoinPath("/squarelocal/oauth2/authorize").String(),
		ClientID:      squarelocal.LocalClientID,
		ClientSecret:  squarelocal.LocalClientSecret,
	})
	if err != nil {
		return nil, err
	}

	e := handlers.New(handlers.Deps{
		Config: cfg, Sessions: sessions, Square: client, DB: t.db, Logger: logger, Emulator: t.emu,
	})
	t.srv = &http.Server{
		Handler:           e,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	sweepCtx, stop := context.WithCancel(context.Background())
	t.stopSwep = stop
	go sessions.RunSweeper(sweepCtx, sweepInterval)
	go func() { t.served <- t.srv.Serve(ln) }()
	return t, nil
}

// injectFaults makes squarelocal slow and unreliable as the flags ask:
// every call delayed by latency, and a share rate of calls answered 503
// or 429 with Retry-After: 1, half each.
func (t *tessera) injectFaults(latency time.Duration, rate float64) error {
	if latency > 0 {
		if err := t.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultLatency, Latency: latency}); err != nil {
			return err
		}
	}
	if rate > 0 {
		// The emulator tries its faults in order and applies the first that
		// draws; the second's rate is raised so that each is half of rate.
		half := rate / 2
		if err := t.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Rate: half}); err != nil {
			return err
		}
		if err := t.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultRateLimit, RetryAfter: 1, Rate: half / (1 - half)}); err != nil {
			return err
		}
	}
	return nil
}

// close shuts the server down, letting requests in flight finish, and
// removes the data directory.
func (t *tessera) close() error {
	var errs []error
	if t.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		errs = append(errs, t.srv.Shutdown(ctx))
		cancel()
		if err := <-t.served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if t.stopSwep != nil {
		t.stopSwep()
	}
	if t.emu != nil {
		t.emu.Close()
	}
	if t.db != nil {
		errs = append(errs, t.db.Close())
	}
	if t.dataDir != "" {
		errs = append(errs, os.RemoveAll(t.dataDir))
	}
	return errors.Join(errs...)
}

// isLoopback reports whether host:port names a loopback IP address.
func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// logSink takes Tessera's log: it counts the lines and keeps the first
// few at level ERROR, which the report shows. slog writes one record per
// Write.
type logSink struct {
	mu      sync.Mutex
	lines   int64
	warns   int64
	errors  int64
	samples []string
}

const maxLogSamples = 5

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines++
	switch {
	case bytes.Contains(p, []byte(" level=ERROR ")):
		s.errors++
		if len(s.samples) < maxLogSamples {
			line := string(bytes.TrimSpace(p))
			if len(line) > 400 {
				line = line[:400] + "…"
			}
			s.samples = append(s.samples, line)
		}
	case bytes.Contains(p, []byte(" level=WARN ")):
		s.warns++
	}
	return len(p), nil
}

func (s *logSink) counts() (lines, warns, errs int64, samples []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines, s.warns, s.errors, append([]string(nil), s.samples...)
}
