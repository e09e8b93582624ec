// Command web is Tessera: the customer dashboard for a Square seller's
// staff. Configuration comes from environment variables (web -help lists
// them); with none set it runs in local mode against the built-in Square
// emulator, with demo data.
//
//	web               serve
//	web healthcheck   exit 0 when the server on TESSERA_ADDR answers /healthz
//	web backup -o FILE  a consistent copy of the database, while it serves
//	web migrate-to-postgres  copy sessions and history from SQLite to PostgreSQL
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tessera-dashboard/tessera/internal/app"
	"github.com/tessera-dashboard/tessera/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "tessera:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	os.Exit(1)
}

// exitError carries the exit code: 2 for a mistake in how Tessera was
// started (configuration, data directory, address), 1 otherwise.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// startupError marks a problem with how Tessera was started.
func startupError(err error) error { return &exitError{code: 2, err: err} }

// run is the whole program, with its surroundings passed in so tests can
// drive it: it serves until ctx ends, then lets requests in flight finish.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "healthcheck":
			return healthcheck(ctx, getenv)
		case "backup":
			return backup(ctx, args[1:], getenv, stdout, stderr)
		case "migrate-to-postgres":
			return migrateToPostgres(ctx, args[1:], getenv, stdout, stderr)
		case "-h", "-help", "--help", "help":
			usage(stdout)
			return nil
		default:
			usage(stderr)
			return startupError(fmt.Errorf("unknown argument %q", args[0]))
		}
	}

	cfg, err := config.Load(getenv)
	if err != nil {
		return startupError(err)
	}
	logger := newLogger(cfg, stderr)

	tessera, err := app.New(ctx, cfg, logger, app.Options{})
	if err != nil {
		return startupError(err)
	}
	defer tessera.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return startupError(fmt.Errorf("%s: cannot listen on %s: %w", config.EnvAddr, cfg.Addr, listenCause(err)))
	}
	srv := tessera.Server()

	sweepCtx, stopSweeper := context.WithCancel(context.Background())
	defer stopSweeper()
	go tessera.RunBackground(sweepCtx)

	logger.Info("tessera listening", "addr", ln.Addr().String(), "url", cfg.BaseURL.String(), "environment", string(cfg.Environment), "database", cfg.DatabaseWhere())
	if cfg.IsEmulator() {
		logger.Info("square is the standalone emulator", "emulator_url", cfg.EmulatorURL.String())
	}
	fmt.Fprintf(stdout, "Tessera is serving %s (%s mode) on %s\n", cfg.BaseURL, cfg.Environment, ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), app.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// listenCause strips net.Listen's "listen tcp <addr>:" and the syscall name
// from err, which the message already says, leaving e.g. "address already
// in use". Unwrapping exactly twice, as before, printed "%!w(<nil>)" when
// the cause was not a syscall error (a host name that does not resolve).
func listenCause(err error) error {
	if opErr, ok := errors.AsType[*net.OpError](err); ok && opErr.Err != nil {
		err = opErr.Err
	}
	if sysErr, ok := errors.AsType[*os.SyscallError](err); ok && sysErr.Err != nil {
		err = sysErr.Err
	}
	return err
}

// newLogger builds the slog logger the configuration asks for.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == config.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// usage prints how to run Tessera and every variable with its default.
func usage(w io.Writer) {
	fmt.Fprintln(w, `Usage: web [healthcheck | backup -o FILE [-force] | migrate-to-postgres]

Tessera serves the customer dashboard. With no configuration it runs in
local mode against a built-in Square emulator with demo data.

  healthcheck   exit 0 when the server on TESSERA_ADDR answers /healthz
  backup        write a consistent copy of the database in TESSERA_DATA_DIR
                to FILE while Tessera runs (web backup -help)
  migrate-to-postgres
                copy the sessions and the history from SQLite to the
                PostgreSQL database at TESSERA_DATABASE_URL

Configuration (environment variables):`)
	fmt.Fprintln(w)
	config.Usage(w)
}

// healthcheck asks the running server's /healthz, for container health
// checks (the image has no shell or curl).
func healthcheck(ctx context.Context, getenv func(string) string) error {
	addr := getenv(config.EnvAddr)
	if addr == "" {
		addr = config.DefaultAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		// Not a startupError: a container runtime reads the health check's
		// exit code, and Docker reserves 2; every failure here is exit 1.
		return fmt.Errorf("%s: %w", config.EnvAddr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %d", resp.StatusCode)
	}
	return nil
}
