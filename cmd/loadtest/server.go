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

	"github.com/tessera-dashboard/tessera/internal/app"
	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// tessera is one Tessera in local mode, served in this process on a
// loopback listener of its own, wired from the same packages and in the
// same way as cmd/web: through internal/app.
type tessera struct {
	// addr is the listener's host:port on 127.0.0.1, the only address the
	// load's clients may dial; base is http://addr.
	addr string
	base *url.URL

	app      *app.App
	emu      *squarelocal.Server
	srv      *http.Server
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

	t.app, err = app.New(ctx, cfg, logger, app.Options{EmulatorCustomers: customers, EmulatorSeed: seed})
	if err != nil {
		return nil, err
	}
	t.emu = t.app.Emulator
	t.srv = t.app.Server()
	sweepCtx, stop := context.WithCancel(context.Background())
	t.stopSwep = stop
	go t.app.RunBackground(sweepCtx)
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
		ctx, cancel := context.WithTimeout(context.Background(), app.ShutdownTimeout)
		errs = append(errs, t.srv.Shutdown(ctx))
		cancel()
		if err := <-t.served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if t.stopSwep != nil {
		t.stopSwep()
	}
	if t.app != nil {
		errs = append(errs, t.app.Close())
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

// indexReadyTimeout bounds the wait for the customer index's first full
// sync after the sign-ins.
const indexReadyTimeout = 3 * time.Minute

// waitIndexed waits until the index of every demo merchant has finished its
// first full sync, which the sign-ins started: the load measures Tessera
// serving staff, not the one-off sync of a merchant's first sign-in. With
// the index off there is nothing to wait for.
func (t *tessera) waitIndexed(ctx context.Context) error {
	if t.app.Index == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, indexReadyTimeout)
	defer cancel()
	signedIn, err := t.app.Sessions.LiveTokens(ctx, "")
	if err != nil {
		return err
	}
	for id := range signedIn {
		for {
			st, err := t.app.Index.SyncState(ctx, id)
			if err != nil {
				return fmt.Errorf("the index of %s: %w", id, err)
			}
			if st.Ready() {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("the index of %s was not ready after %s: %w", id, indexReadyTimeout, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}
