package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/config"
)

func TestRunServesAndStopsWhenItsContextEnds(t *testing.T) {
	s := startServer(t, nil)

	resp, body := get(t, http.DefaultClient, s.base+"/healthz")
	if resp.StatusCode != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\\n\"", resp.StatusCode, body)
	}
	want := "Tessera is serving " + s.base + " (local mode) on " + s.addr + "\n"
	if got := s.stdout.String(); got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}

	if err := s.stop(); err != nil {
		t.Fatalf("run() after its context ended = %v, want nil; stderr:\n%s", err, s.stderr)
	}
	if conn, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after run() returned", s.addr)
	}
}

func TestHealthcheck(t *testing.T) {
	s := startServer(t, nil)
	_, port, err := net.SplitHostPort(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		addr string
		want int // exit code
	}{
		{name: "the server's own address answers", addr: s.addr, want: 0},
		// The image sets TESSERA_ADDR=:8080; the check must then ask the
		// loopback address.
		{name: "an address without a host asks the loopback", addr: ":" + port, want: 0},
		{name: "the unspecified address asks the loopback", addr: "0.0.0.0:" + port, want: 0},
		{name: "an address where nothing listens fails", addr: freeAddr(t), want: 1},
		// Docker reserves exit code 2 of health checks.
		{name: "a malformed address fails with 1, not 2", addr: "8080", want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), []string{"healthcheck"}, env{config.EnvAddr: tt.addr}.get, &stdout, &stderr)
			if got := exitCode(err); got != tt.want {
				t.Errorf("run(healthcheck) with %s=%s = %v (exit %d), want exit %d", config.EnvAddr, tt.addr, err, got, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("run(healthcheck) = %q, want one line", err)
			}
		})
	}
}

// TestRunFinishesRequestsInFlightOnShutdown checks that ending run's context
// (SIGTERM in main) lets a request that is being served finish.
//
// The slow request is a real one: the OAuth callback, whose token exchange
// with the emulator is delayed by the emulator's own latency fault. The
// test ends the context 300 ms after the request is written, time for the
// server to have read it (a request the server has not read yet is lost
// with the listener or the idle connection, as on any server), which
// leaves the handler about 1.2 s of injected latency to go. The client
// must get the complete answer, the redirect to /customers, and run must
// not return before the latency has passed: the emulator starts its timer
// only once it has the request, so the handler cannot finish sooner.
func TestRunFinishesRequestsInFlightOnShutdown(t *testing.T) {
	const latency = 1500 * time.Millisecond
	s := startServer(t, nil)
	b := newBrowser(t, s.base)
	callback := b.consent()

	fault := `{"kind":"latency","endpoint":"POST /oauth2/token","latency":"` + latency.String() + `","count":1}`
	resp, err := b.noFollow.Post(s.base+"/squarelocal/_squarelocal/faults", "application/json", strings.NewReader(fault))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("injecting the latency fault = %d, want 200", resp.StatusCode)
	}

	type result struct {
		resp *http.Response
		err  error
		at   time.Time
	}
	var writtenAt time.Time
	written := make(chan struct{})
	answered := make(chan result, 1)
	go func() {
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
			writtenAt = time.Now()
			close(written)
		}}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), http.MethodGet, callback, nil)
		resp, err := b.noFollow.Do(req)
		if err == nil {
			_, err = b.readAll(resp)
		}
		answered <- result{resp, err, time.Now()}
	}()
	select {
	case <-written:
	case <-time.After(10 * time.Second):
		t.Fatal("the callback request was not written within 10 s")
	}
	time.Sleep(300 * time.Millisecond)
	if err := s.stop(); err != nil {
		t.Fatalf("run() = %v, want nil after a graceful shutdown; stderr:\n%s", err, s.stderr)
	}
	returned := time.Now()

	r := <-answered
	if r.err != nil {
		t.Fatalf("GET /auth/callback during shutdown: %v, want the complete answer", r.err)
	}
	if r.resp.StatusCode != http.StatusSeeOther || r.resp.Header.Get("Location") != "/customers" {
		t.Errorf("GET /auth/callback during shutdown = %d to %q, want 303 to /customers", r.resp.StatusCode, r.resp.Header.Get("Location"))
	}
	if took := returned.Sub(writtenAt); took < latency {
		t.Errorf("run() returned %s after the request was written, before the injected latency of %s had passed: it did not wait for the request", took, latency)
	}
	if !strings.Contains(s.stderr.String(), "shutting down") {
		t.Errorf("stderr = %q, want the shutdown logged", s.stderr)
	}
}

// TestLocalModeKeepsItsSessionKeyAcrossRestarts checks that local mode
// creates <data dir>/session.key once and uses it again, so that a restart
// does not sign everyone out.
func TestLocalModeKeepsItsSessionKeyAcrossRestarts(t *testing.T) {
	dataDir := t.TempDir()
	addr := freeAddr(t)
	keyPath := filepath.Join(dataDir, config.LocalSecretFile)

	first := startServer(t, env{config.EnvAddr: addr, config.EnvDataDir: dataDir})
	b := newBrowser(t, first.base)
	b.signIn()
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatalf("after the first start: %v", err)
	}
	if info, err := os.Stat(keyPath); err != nil {
		t.Error(err)
	} else if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", keyPath, info.Mode().Perm())
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	second := startServer(t, env{config.EnvAddr: addr, config.EnvDataDir: dataDir})
	again, err := os.ReadFile(keyPath)
	if err != nil || !bytes.Equal(again, key) {
		t.Errorf("session.key after a restart = %q (%v), want it unchanged", again, err)
	}
	if got := b.location(second.base + "/"); got != "/customers" {
		t.Errorf("after a restart, GET / redirects to %q, want /customers: the session should have survived", got)
	}
	// The same request without the cookie, so that the check above is known
	// to tell a session from none.
	if got := newBrowser(t, second.base).location(second.base + "/"); got != "/login" {
		t.Errorf("GET / without a session redirects to %q, want /login", got)
	}
}

// browser is an HTTP client with a cookie jar that signs in through the
// emulator's consent page as a person would.
type browser struct {
	t    *testing.T
	base string
	// follow follows redirects; noFollow returns them.
	follow, noFollow *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{
		t: t, base: base,
		follow: &http.Client{Jar: jar, Timeout: 20 * time.Second},
		noFollow: &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
}

func (b *browser) readAll(resp *http.Response) (string, error) {
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err := buf.ReadFrom(resp.Body)
	return buf.String(), err
}

// page parses a response that must be 200 HTML.
func (b *browser) page(resp *http.Response, err error) *goquery.Document {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
	body, err := b.readAll(resp)
	if err != nil {
		b.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("%s %s = %d, want 200:\n%s", resp.Request.Method, resp.Request.URL, resp.StatusCode, body)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	doc.Url = resp.Request.URL
	return doc
}

// consent goes from the sign-in page to Square's (the emulator's) consent
// page, allows access for the first demo merchant, and returns the callback
// URL that Square redirects to, without following it.
func (b *browser) consent() string {
	b.t.Helper()
	login := b.page(b.follow.Get(b.base + "/login"))
	token, ok := login.Find(`form[action="/login"] input[name="_csrf"]`).Attr("value")
	if !ok {
		b.t.Fatal("the sign-in form has no _csrf field")
	}
	consent := b.page(b.follow.PostForm(b.base+"/login", url.Values{"_csrf": {token}}))
	form := consent.Find(`form[method="post"]`).First()
	action, err := consent.Url.Parse(form.AttrOr("action", ""))
	if err != nil {
		b.t.Fatal(err)
	}
	fields := url.Values{"decision": {"allow"}}
	form.Find(`input[type="hidden"], input[type="radio"][checked]`).Each(func(_ int, in *goquery.Selection) {
		fields.Add(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	resp, err := b.noFollow.PostForm(action.String(), fields)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	callback := resp.Header.Get("Location")
	if resp.StatusCode/100 != 3 || !strings.HasPrefix(callback, b.base+"/auth/callback?") {
		b.t.Fatalf("allowing access = %d to %q, want a redirect to %s/auth/callback", resp.StatusCode, callback, b.base)
	}
	return callback
}

// signIn signs in and checks that it worked.
func (b *browser) signIn() {
	b.t.Helper()
	callback := b.consent()
	if got := b.location(callback); got != "/customers" {
		b.t.Fatalf("GET /auth/callback redirects to %q, want /customers", got)
	}
}

// location GETs url without following a redirect and returns where it
// points, or fails the test if it is not a redirect.
func (b *browser) location(url string) string {
	b.t.Helper()
	resp, err := b.noFollow.Get(url)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := b.readAll(resp)
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("GET %s = %d, want 303:\n%s", url, resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}
