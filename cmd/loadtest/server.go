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

// tessera is one Tessera under load: in local mode, served in this
// process on a loopback listener of its own, wired from the same packages
// and in the same way as cmd/web, through internal/app; or, with
// -processes, cmd/web in emulator mode in a process of its own against
// cmd/squarelocal in another (processes.go).
type tessera struct {
	// addr is the listener's host:port on 127.0.0.1, the only address the
	// load's clients may dial besides emuAddr; base is http://addr.
	addr string
	base *url.URL
	// emuAddr is the emulator's listener when it is a process of its own,
	// where the consent page is; "" in process. consentPath is the consent
	// page's path.
	emuAddr     string
	consentPath string
	logs        *logSink

	// procs are the children with -processes, nil in process.
	procs *processes

	app      *app.App
	emu      *squarelocal.Server
	srv      *http.Server
	dataDir  string
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
	t := &tessera{addr: ln.Addr().String(), consentPath: "/squarelocal/oauth2/authorize", logs: &logSink{}, served: make(chan error, 1)}
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
func (t *tessera) injectFaults(ctx context.Context, latency time.Duration, rate float64) error {
	var faults []squarelocal.Fault
	if latency > 0 {
		faults = append(faults, squarelocal.Fault{Kind: squarelocal.FaultLatency, Latency: latency})
	}
	if rate > 0 {
		// The emulator tries its faults in order and applies the first that
		// draws; the second's rate is raised so that each is half of rate.
		half := rate / 2
		faults = append(faults,
			squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Rate: half},
			squarelocal.Fault{Kind: squarelocal.FaultRateLimit, RetryAfter: 1, Rate: half / (1 - half)})
	}
	for _, f := range faults {
		var err error
		if t.procs != nil {
			err = t.procs.injectFault(ctx, f)
		} else {
			err = t.emu.InjectFault(f)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// clearFaults takes the injected faults away.
func (t *tessera) clearFaults(ctx context.Context) error {
	if t.procs != nil {
		return t.procs.controlDo(ctx, http.MethodDelete, "faults", nil, nil)
	}
	t.emu.ClearFaults()
	return nil
}

// resetCalls empties the emulator's call log, which keeps the last 10,000
// calls, so that countCalls counts what comes after.
func (t *tessera) resetCalls(ctx context.Context) error {
	if t.procs != nil {
		return t.procs.controlDo(ctx, http.MethodDelete, "calls", nil, nil)
	}
	t.emu.ResetCalls()
	return nil
}

// countCalls counts the calls to pattern in the emulator's call log.
func (t *tessera) countCalls(ctx context.Context, pattern string) (int, error) {
	if t.procs != nil {
		return t.procs.countCalls(ctx, pattern)
	}
	return t.emu.CountCalls(pattern, 0), nil
}

// mode says where Tessera runs, for the progress lines.
func (t *tessera) mode() string {
	if t.procs != nil && len(t.procs.replicas) > 1 {
		return fmt.Sprintf("emulator mode, %d replicas on PostgreSQL behind a balancer (the first's process %d), against squarelocal's process %d at http://%s",
			len(t.procs.replicas), t.webPID(), t.procs.emu.pid(), t.emuAddr)
	}
	if t.procs != nil {
		return fmt.Sprintf("emulator mode, its own process %d, against squarelocal's process %d at http://%s", t.webPID(), t.procs.emu.pid(), t.emuAddr)
	}
	return "local mode, in process"
}

// webPID is the process id of Tessera's own process, 0 in process.
func (t *tessera) webPID() int {
	if t.procs == nil || t.procs.web == nil {
		return 0
	}
	return t.procs.web.pid()
}

// emuPID is the process id of the emulator's own process, 0 in process.
func (t *tessera) emuPID() int {
	if t.procs == nil || t.procs.emu == nil {
		return 0
	}
	return t.procs.emu.pid()
}

// exited reports a child that ended during the run.
func (t *tessera) exited() error {
	if t.procs == nil {
		return nil
	}
	errs := []error{t.procs.web.exited(), t.procs.emu.exited()}
	for _, c := range t.procs.replicas {
		errs = append(errs, c.exited())
	}
	return errors.Join(errs...)
}

// close shuts the server down, letting requests in flight finish, and
// removes the data directory.
func (t *tessera) close() error {
	if t.procs != nil {
		return t.procs.close()
	}
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
// the index off there is nothing to wait for. In process it asks the
// index; with -processes, each browser's directory, as a person sees it
// (see waitIndexedPages).
func (t *tessera) waitIndexed(ctx context.Context, browsers []*browser) error {
	ctx, cancel := context.WithTimeout(ctx, indexReadyTimeout)
	defer cancel()
	if t.procs != nil {
		return waitIndexedPages(ctx, browsers)
	}
	if t.app.Index == nil {
		return nil
	}
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
