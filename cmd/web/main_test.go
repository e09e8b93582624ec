package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
	"github.com/tessera-dashboard/tessera/internal/testutil"
)

func TestMain(m *testing.M) {
	// pgtest.Main stops the PostgreSQL cluster the tests of
	// migrate-to-postgres start.
	code := pgtest.Main(m)
	// The binary built for the tests that run it lives outside t.TempDir,
	// whose parent is private to root, so that an unprivileged user can
	// execute it; it is shared by those tests and removed here.
	if sharedBin.dir != "" {
		os.RemoveAll(sharedBin.dir)
	}
	os.Exit(code)
}

// env is a fake environment for run's getenv.
type env map[string]string

func (e env) get(name string) string { return e[name] }

// freeAddr returns a loopback address with a port that was free a moment
// ago. The server needs to know its port before it starts, because local
// mode derives the base URL (and so the OAuth redirect) from TESSERA_ADDR.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// server is run() serving in a goroutine of the test.
type server struct {
	t       *testing.T
	addr    string
	base    string
	dataDir string
	cancel  context.CancelFunc
	done    chan error
	stdout  *testutil.SyncBuffer
	stderr  *testutil.SyncBuffer
	// err is run's result once done has delivered it.
	err     error
	stopped bool
}

// startServer runs run() in local mode on a free loopback port with a fresh
// data directory, as overridden by e, and waits until /readyz answers 200.
func startServer(t *testing.T, e env) *server {
	t.Helper()
	full := env{config.EnvAddr: freeAddr(t), config.EnvDataDir: t.TempDir()}
	for k, v := range e {
		full[k] = v
	}
	ctx, cancel := context.WithCancel(t.Context())
	s := &server{
		t: t, addr: full[config.EnvAddr], base: "http://" + full[config.EnvAddr], dataDir: full[config.EnvDataDir],
		cancel: cancel, done: make(chan error, 1), stdout: &testutil.SyncBuffer{}, stderr: &testutil.SyncBuffer{},
	}
	go func() { s.done <- run(ctx, nil, full.get, s.stdout, s.stderr) }()
	t.Cleanup(func() { s.stop() })
	s.waitReady()
	return s
}

// waitReady polls /readyz until it answers 200, failing the test if run
// returns first or nothing answers within 15 s.
func (s *server) waitReady() {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.stopped, s.err = true, err
			s.t.Fatalf("run() = %v before it was ready; stderr:\n%s", err, s.stderr)
		default:
		}
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("GET /readyz did not answer 200 within 15 s; stderr:\n%s", s.stderr)
}

// stop cancels run's context, as SIGTERM does in main, and returns run's
// result. It fails the test if run does not return within 25 s (the
// shutdown timeout is 20 s).
func (s *server) stop() error {
	s.t.Helper()
	if s.stopped {
		return s.err
	}
	s.cancel()
	s.stopped = true
	select {
	case s.err = <-s.done:
	case <-time.After(25 * time.Second):
		s.t.Fatalf("run() did not return within 25 s of its context ending")
	}
	return s.err
}

// exitCode is the code main exits with for err.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := errors.AsType[*exitError](err); ok {
		return ee.code
	}
	return 1
}

// get fetches url with c and returns the response with its body read.
func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return resp, string(body)
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
