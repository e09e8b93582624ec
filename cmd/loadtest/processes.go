package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
)

// With -processes the emulator and Tessera each run as a process of their
// own, as in emulator mode (docs/operations.md): cmd/squarelocal seeded
// with the customers, and cmd/web with SQUARE_ENVIRONMENT=emulator
// pointed at it, on loopback ports. Tessera's process then holds Tessera
// alone, so its resident memory (VmRSS and VmHWM of /proc/<pid>/status)
// is Tessera's, without the emulator's customers or the load's clients.
// The sessions sign in on the emulator's consent page, on its own origin.

// Bounds of the children's lives.
const (
	// childStartTimeout bounds a child's start, the emulator's seeding of
	// 100,000 customers included.
	childStartTimeout = 2 * time.Minute
	// childStopTimeout is how long a child may take to stop after an
	// interrupt (Tessera lets requests in flight finish) before it is
	// killed.
	childStopTimeout = 15 * time.Second
	// stderrTail is how much of a child's stderr is kept for the report
	// of its failure.
	stderrTail = 8 << 10
)

// The emulator's registered application and webhook key in this mode;
// they only have to agree between the two children.
const (
	childClientID      = "loadtest-app"
	childClientSecret  = "loadtest-secret"
	childWebhookSecret = "loadtest-webhook-key"
)

// processes are the children and what they share.
type processes struct {
	dir      string // the binaries and Tessera's data directory
	web, emu *child
	// With -replicas: every replica (web is the first), the PostgreSQL
	// cluster they share and the balancer in front of them (replicas.go).
	replicas []*child
	pg       *pgtest.Cluster
	balancer *balancer
	front    *http.Server
	// emuBase is the emulator's root URL; control is the client of its
	// controls.
	emuBase string
	control *http.Client
}

// startProcesses builds cmd/web and cmd/squarelocal, starts the emulator
// seeded with customers and then Tessera against it, and returns once
// both listen. Tessera's stderr (its log) goes to logs as well.
func startProcesses(ctx context.Context, customers int, seed int64, replicas int, logs *logSink, progress io.Writer) (_ *tessera, err error) {
	p := &processes{}
	t := &tessera{logs: logs, procs: p, consentPath: "/oauth2/authorize"}
	defer func() {
		if err != nil {
			_ = t.close()
		}
	}()
	if p.dir, err = os.MkdirTemp("", "tessera-loadtest-"); err != nil {
		return nil, err
	}
	fmt.Fprintln(progress, "loadtest: building cmd/web and cmd/squarelocal")
	if err := buildChildren(ctx, p.dir); err != nil {
		return nil, err
	}
	if t.addr, err = freeLoopbackAddr(); err != nil {
		return nil, err
	}
	if t.emuAddr, err = freeLoopbackAddr(); err != nil {
		return nil, err
	}
	t.base = &url.URL{Scheme: "http", Host: t.addr, Path: "/"}
	p.emuBase = "http://" + t.emuAddr
	p.control = &http.Client{Transport: loopbackTransport(t.emuAddr), Timeout: 30 * time.Second}

	tesseraOrigin := "http://" + t.addr
	p.emu, err = startChild(ctx, "squarelocal", filepath.Join(p.dir, "squarelocal"), []string{
		"-addr", t.emuAddr,
		"-customers", strconv.Itoa(customers), "-seed", strconv.FormatInt(seed, 10),
		"-client-id", childClientID, "-client-secret", childClientSecret,
		"-redirect-uri", tesseraOrigin + "/auth/callback",
		"-webhook-url", tesseraOrigin + "/webhooks/square", "-webhook-signature-key", childWebhookSecret,
	}, childEnv(nil), "squarelocal listening on ", nil)
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(p.dir, "data")
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		return nil, err
	}
	env := map[string]string{
		config.EnvAddr:                t.addr,
		config.EnvDataDir:             dataDir,
		config.EnvEnvironment:         string(config.Emulator),
		config.EnvEmulatorURL:         p.emuBase,
		config.EnvApplicationID:       childClientID,
		config.EnvApplicationSecret:   childClientSecret,
		config.EnvWebhookSignatureKey: childWebhookSecret,
		config.EnvLogFormat:           string(config.LogText),
	}
	if replicas > 1 {
		if err := p.startReplicas(ctx, t, replicas, env, logs, progress); err != nil {
			return nil, err
		}
		return t, nil
	}
	p.web, err = startChild(ctx, "Tessera", filepath.Join(p.dir, "web"), nil, childEnv(env), "Tessera is serving ", logs)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// buildChildren builds cmd/web and cmd/squarelocal of this module into
// dir, with the go command of $GO (as scripts/load.sh) or of the PATH.
func buildChildren(ctx context.Context, dir string) error {
	goCmd := cmp.Or(os.Getenv("GO"), "go")
	out, err := exec.CommandContext(ctx, goCmd, "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return fmt.Errorf("-processes builds cmd/web and cmd/squarelocal, so it runs inside Tessera's module: go env GOMOD = %q (%v)", gomod, err)
	}
	build := exec.CommandContext(ctx, goCmd, "build", "-o", dir+string(filepath.Separator), "./cmd/web", "./cmd/squarelocal")
	build.Dir = filepath.Dir(gomod)
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/web ./cmd/squarelocal: %w\n%s", err, out)
	}
	return nil
}

// freeLoopbackAddr is a port on 127.0.0.1 free a moment ago. Both
// children's addresses must be known before either starts: each names the
// other on its command line.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// childEnv is a child's environment: set, and of this process's only what
// a program needs to run (PATH, HOME, TMPDIR) and the Go runtime's knobs,
// so that no TESSERA_ or SQUARE_ variable of the shell changes what is
// measured.
func childEnv(set map[string]string) []string {
	var env []string
	for _, name := range []string{"PATH", "HOME", "TMPDIR", "GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// child is one process loadtest started.
type child struct {
	name   string
	cmd    *exec.Cmd
	stderr *tailBuffer
	// done is closed when the process has exited; err is then its exit.
	done     chan struct{}
	err      error
	stopping atomic.Bool
}

// startChild starts bin and waits until a line of its stdout begins with
// ready. Its stderr is kept (the end of it) and copied to log, if any.
func startChild(ctx context.Context, name, bin string, args, env []string, ready string, log io.Writer) (*child, error) {
	c := &child{name: name, stderr: &tailBuffer{max: stderrTail}, done: make(chan struct{})}
	c.cmd = exec.Command(bin, args...)
	c.cmd.Env = env
	c.cmd.SysProcAttr = childAttrs()
	w := &lineWatcher{prefix: ready, seen: make(chan struct{})}
	c.cmd.Stdout = w
	c.cmd.Stderr = c.stderr
	if log != nil {
		c.cmd.Stderr = io.MultiWriter(c.stderr, log)
	}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	timer := time.NewTimer(childStartTimeout)
	defer timer.Stop()
	select {
	case <-w.seen:
		return c, nil
	case <-c.done:
		return nil, c.failure("exited before it listened")
	case <-timer.C:
		_ = c.stop()
		return nil, c.failure(fmt.Sprintf("did not listen within %s", childStartTimeout))
	case <-ctx.Done():
		_ = c.stop()
		return nil, ctx.Err()
	}
}

// pid is the child's process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// exited reports a child that ended without being asked to.
func (c *child) exited() error {
	select {
	case <-c.done:
		if !c.stopping.Load() {
			return c.failure("exited during the run")
		}
	default:
	}
	return nil
}

// stop interrupts the child, as Ctrl-C does, and kills it if it has not
// stopped within childStopTimeout. An exit other than a clean one is an
// error with the end of its stderr.
func (c *child) stop() error {
	if err := c.exited(); err != nil {
		return err
	}
	if !c.stopping.CompareAndSwap(false, true) {
		<-c.done
		return nil
	}
	_ = c.cmd.Process.Signal(os.Interrupt)
	timer := time.NewTimer(childStopTimeout)
	defer timer.Stop()
	select {
	case <-c.done:
	case <-timer.C:
		_ = c.cmd.Process.Kill()
		<-c.done
		return c.failure(fmt.Sprintf("did not stop within %s of an interrupt and was killed", childStopTimeout))
	}
	if c.err != nil {
		return c.failure("stopped badly")
	}
	return nil
}

// failure is an error naming the child, how it failed, its exit and the
// end of its stderr.
func (c *child) failure(how string) error {
	exit := "still running"
	select {
	case <-c.done:
		exit = "exit 0"
		if c.err != nil {
			exit = c.err.Error()
		}
	default:
	}
	return fmt.Errorf("%s (pid %d) %s (%s); the end of its stderr:\n%s", c.name, c.pid(), how, exit, c.stderr.String())
}

// lineWatcher is a child's stdout: it closes seen at the first line that
// begins with prefix and discards everything.
type lineWatcher struct {
	prefix string
	seen   chan struct{}
	line   []byte
	found  bool
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	for _, b := range p {
		if w.found {
			break
		}
		if b != '\n' {
			if len(w.line) < 512 {
				w.line = append(w.line, b)
			}
			continue
		}
		if bytes.HasPrefix(w.line, []byte(w.prefix)) {
			w.found = true
			close(w.seen)
		}
		w.line = w.line[:0]
	}
	return len(p), nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// close stops Tessera first, then the emulator (which would otherwise
// retry its webhooks at a Tessera gone), and removes the directory.
func (p *processes) close() error {
	var errs []error
	if p.front != nil {
		errs = append(errs, p.front.Close())
	}
	webs := p.replicas
	if len(webs) == 0 {
		webs = []*child{p.web}
	}
	for _, c := range append(webs, p.emu) {
		if c != nil {
			errs = append(errs, c.stop())
		}
	}
	if p.pg != nil {
		p.pg.Stop()
	}
	if p.dir != "" {
		errs = append(errs, os.RemoveAll(p.dir))
	}
	return errors.Join(errs...)
}

// controlDo sends one request to the emulator's controls and decodes the
// JSON answer into out, if not nil.
func (p *processes) controlDo(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.emuBase+"/_squarelocal/"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.control.Do(req)
	if err != nil {
		return fmt.Errorf("the emulator's controls: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the emulator's controls: %s %s answered %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// injectFault adds a fault through the emulator's controls, which take
// the latency as a duration string.
func (p *processes) injectFault(ctx context.Context, f squarelocal.Fault) error {
	in := struct {
		squarelocal.Fault
		Latency string `json:"latency,omitempty"`
	}{Fault: f}
	if f.Latency > 0 {
		in.Latency = f.Latency.String()
	}
	in.Fault.Latency = 0
	return p.controlDo(ctx, http.MethodPost, "faults", in, nil)
}

// countCalls counts the calls the emulator logged to pattern.
func (p *processes) countCalls(ctx context.Context, pattern string) (int, error) {
	var log struct {
		Calls []squarelocal.Call `json:"calls"`
	}
	if err := p.controlDo(ctx, http.MethodGet, "calls", nil, &log); err != nil {
		return 0, err
	}
	n := 0
	for _, c := range log.Calls {
		if c.Pattern == pattern {
			n++
		}
	}
	return n, nil
}

// waitIndexedPages waits until the index of every browser's merchant has
// finished its first full sync, as the connection page says: its "Last
// full sync" is a time, not "Not yet". (The directory's "Indexing
// customers" line is no sign: it shows only once the sync has stored a
// first range.) With the index off the page has no index panel, and there
// is nothing to wait for. The pages are not part of the load's figures.
func waitIndexedPages(ctx context.Context, browsers []*browser) error {
	for _, b := range browsers {
		for {
			panel, err := connectionIndex(ctx, b)
			if err != nil {
				return fmt.Errorf("waiting for the index: %w", err)
			}
			if panel.Length() == 0 {
				break
			}
			if done := strings.TrimSpace(panel.Find(`[data-testid="index-full-sync"]`).Text()); done != "" && done != "Not yet" {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("the index was not ready after %s: %w", indexReadyTimeout, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// connectionIndex is the customer index's panel of the browser's
// connection page (empty with the index off).
func connectionIndex(ctx context.Context, b *browser) (*goquery.Selection, error) {
	status, body, err := b.peek(ctx, "/settings/connection")
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET /settings/connection answered %d", status)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return doc.Find(`[data-testid="connection-index"]`), nil
}

// indexedCustomers is how many customers the browser's merchant's index
// holds, as the connection page says.
func indexedCustomers(ctx context.Context, b *browser) (int, error) {
	panel, err := connectionIndex(ctx, b)
	if err != nil {
		return 0, err
	}
	text := strings.TrimSpace(panel.Find(`[data-testid="index-customers"]`).Text())
	n, err := strconv.Atoi(strings.ReplaceAll(text, ",", ""))
	if err != nil {
		return 0, fmt.Errorf("the connection page says %q customers are indexed", text)
	}
	return n, nil
}
