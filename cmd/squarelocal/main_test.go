package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

func TestRunRejectsBadFlagsAsUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"an unknown flag", []string{"-nope"}, "flag provided but not defined"},
		{"an address without a port", []string{"-addr", "localhost"}, "-addr"},
		{"a negative customer count", []string{"-customers", "-3"}, "-customers must not be negative"},
		{"an unknown fault", []string{"-fault", "explode"}, "unknown fault kind"},
		{"a fault rate that is not a number", []string{"-fault", "internal_error@lots"}, "not a number"},
		{"a fault rate above one", []string{"-fault", "internal_error@2"}, "between 0 and 1"},
		{"a stray argument", []string{"serve"}, "unexpected argument"},
		{"a webhook URL without a key", []string{"-webhook-url", "http://localhost:8080/webhooks/square"}, "go together"},
		{"a webhook key without a URL", []string{"-webhook-signature-key", "k"}, "go together"},
		{"a relative webhook URL", []string{"-webhook-url", "/webhooks/square", "-webhook-signature-key", "k"}, "not an absolute http or https URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run(t.Context(), tc.args, io.Discard, io.Discard)
			var usage usageError
			if !errors.As(err, &usage) {
				t.Fatalf("run(%q) = %v, want a usage error", tc.args, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run(%q) = %q, want it to mention %q", tc.args, err, tc.want)
			}
		})
	}
}

func TestHelpListsTheFlags(t *testing.T) {
	var stderr bytes.Buffer
	err := run(t.Context(), []string{"-help"}, io.Discard, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run(-help) = %v, want flag.ErrHelp", err)
	}
	for _, f := range []string{"-addr", "-customers", "-access-token", "-client-id", "-client-secret", "-redirect-uri", "-latency", "-fault", "-webhook-url", "-webhook-signature-key"} {
		if !strings.Contains(stderr.String(), f) {
			t.Errorf("help output lacks %s:\n%s", f, stderr.String())
		}
	}
}

func TestRunServesTheAPIWithThePersonalAccessToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", addr, "-customers", "5", "-access-token", "pat-123"}, io.Discard, io.Discard)
	}()

	var resp *http.Response
	for range 100 {
		req, _ := http.NewRequest("GET", "http://"+addr+"/v2/merchants/me", nil)
		req.Header.Set("Authorization", "Bearer pat-123")
		resp, err = http.DefaultClient.Do(req)
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET /v2/merchants/me: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Harbor & Pine Coffee") {
		t.Errorf("GET /v2/merchants/me = %d %s, want 200 with the first merchant", resp.StatusCode, body)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after its context ended")
	}
}

func TestRunReportsAPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(t.Context(), []string{"-addr", ln.Addr().String(), "-customers", "0"}, io.Discard, io.Discard)
	var usage usageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "cannot listen") {
		t.Errorf("run on a busy port = %v, want a usage error saying it cannot listen", err)
	}
}

// startEmulator runs the command with args on a free loopback port until
// the test ends and returns its base URL.
func startEmulator(t *testing.T, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", addr, "-customers", "0"}, args...), io.Discard, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run(%q) = %v, want nil after its context ended", args, err)
		}
	})
	base := "http://" + addr
	for range 100 {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			return base
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("squarelocal %q did not listen on %s", args, addr)
	return ""
}

// send makes one request and returns its status and body; host, when not
// empty, replaces the Host header.
func send(t *testing.T, method, target, host, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestConsentSendsTheBrowserOnlyToTheRegisteredRedirectURIs(t *testing.T) {
	t.Parallel()
	authorize := func(base, redirect string) string {
		q := url.Values{"client_id": {squarelocal.LocalClientID}, "response_type": {"code"}, "redirect_uri": {redirect}}
		return base + "/oauth2/authorize?" + q.Encode()
	}
	tests := []struct {
		name       string
		args       []string
		registered []string
		refused    []string
	}{
		{
			name:       "without -redirect-uri, Tessera's local callback only",
			registered: []string{"http://localhost:8080/auth/callback"},
			refused:    []string{"https://evil.example/cb", "http://localhost:8080/other", "http://localhost:9090/auth/callback"},
		},
		{
			name:       "a repeated flag and a comma list",
			args:       []string{"-redirect-uri", "https://a.example/cb, https://b.example/cb", "-redirect-uri", "http://localhost:3000/oauth"},
			registered: []string{"https://a.example/cb", "https://b.example/cb", "http://localhost:3000/oauth"},
			refused:    []string{"https://evil.example/cb", "https://a.example/cb2", "http://localhost:8080/auth/callback"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := startEmulator(t, tt.args...)
			for _, u := range tt.registered {
				if status, body := send(t, "GET", authorize(base, u), "", "", nil); status != http.StatusOK {
					t.Errorf("GET the consent page for %s = %d, want 200; body:\n%s", u, status, body)
				}
			}
			for _, u := range tt.refused {
				status, body := send(t, "GET", authorize(base, u), "", "", nil)
				if status != http.StatusBadRequest || !strings.Contains(body, "redirect_uri is not one the application registered") {
					t.Errorf("GET the consent page for %s = %d, want 400 saying it is not registered; body:\n%s", u, status, body)
				}
			}
		})
	}
}

func TestRunRejectsARedirectURIThatIsNotAnAbsoluteURL(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"/auth/callback", "ftp://example.com/cb", "https://example.com/cb#x", "https://a.example/cb,"} {
		err := run(t.Context(), []string{"-redirect-uri", v}, io.Discard, io.Discard)
		if _, ok := errors.AsType[usageError](err); !ok || !strings.Contains(err.Error(), "-redirect-uri") {
			t.Errorf("run(-redirect-uri %q) = %v, want a usage error naming -redirect-uri", v, err)
		}
	}
}

func TestControlsAnswerOnlyAProgramOnLoopback(t *testing.T) {
	t.Parallel()
	base := startEmulator(t)
	faults := base + "/_squarelocal/faults"
	port := base[strings.LastIndex(base, ":")+1:]
	fault := `{"kind":"unavailable"}`
	refused := []struct {
		name, method, host string
		header             map[string]string
	}{
		{"a cross-site text/plain POST", "POST", "", map[string]string{"Content-Type": "text/plain", "Origin": "https://evil.example"}},
		{"a JSON POST to a rebound name (DNS rebinding)", "POST", "rebound.evil.example:" + port, map[string]string{"Content-Type": "application/json"}},
		{"a JSON POST to another port's name", "POST", "localhost:1", map[string]string{"Content-Type": "application/json"}},
		{"a GET without the control header", "GET", "", nil},
	}
	for _, r := range refused {
		if status, body := send(t, r.method, faults, r.host, fault, r.header); status != http.StatusForbidden {
			t.Errorf("%s: %s %s = %d %q, want 403", r.name, r.method, faults, status, body)
		}
	}
	if status, body := send(t, "POST", faults, "localhost:"+port, fault, map[string]string{"Content-Type": "application/json"}); status != http.StatusOK {
		t.Errorf("POST %s as JSON to localhost = %d %q, want 200", faults, status, body)
	}
	if status, body := send(t, "GET", faults, "", "", map[string]string{squarelocal.ControlHeader: "1"}); status != http.StatusOK || strings.Count(body, "unavailable") != 1 {
		t.Errorf("GET %s with the control header = %d %q, want 200 with the one fault injected as JSON", faults, status, body)
	}
}

func TestRunDeliversSignedWebhooksOverHTTP(t *testing.T) {
	t.Parallel()
	type delivery struct {
		signature string
		body      []byte
	}
	got := make(chan delivery, 10)
	var attempts atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Get("x-square-hmacsha256-signature"), body}
		// The first delivery fails, so the second is Square's retry.
		if attempts.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(receiver.Close)
	hookURL := receiver.URL + "/webhooks/square"
	base := startEmulator(t, "-access-token", "pat-hooks", "-webhook-url", hookURL, "-webhook-signature-key", "cmd-key")

	status, body := send(t, "POST", base+"/v2/customers", "", `{"given_name":"Over the wire"}`,
		map[string]string{"Authorization": "Bearer pat-hooks", "Content-Type": "application/json"})
	if status != http.StatusOK {
		t.Fatalf("CreateCustomer = %d %s, want 200", status, body)
	}
	select {
	case d := <-got:
		if want := squarelocal.Sign("cmd-key", hookURL, d.body); d.signature != want {
			t.Errorf("signature = %q, want %q", d.signature, want)
		}
		if !strings.Contains(string(d.body), `"type":"customer.created"`) || !strings.Contains(string(d.body), "Over the wire") {
			t.Errorf("delivery = %s, want customer.created of the new customer", d.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook delivery within 10s")
	}
	// Square's first retry comes a minute later: the delivery log shows
	// the failed attempt, and the retry is scheduled, not sent yet.
	var status2 int
	var log string
	for range 250 {
		status2, log = send(t, "GET", base+"/_squarelocal/deliveries", "", "", map[string]string{squarelocal.ControlHeader: "1"})
		if strings.Contains(log, `"status":500`) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if status2 != http.StatusOK || !strings.Contains(log, `"status":500`) || attempts.Load() != 1 {
		t.Errorf("GET /_squarelocal/deliveries = %d %s after %d attempts, want one failed attempt with status 500", status2, log, attempts.Load())
	}
}

// Several Tesseras sharing one emulator each get every event, signed for
// their own notification URL, as separate subscriptions on Square are.
func TestRunDeliversToEveryWebhookURL(t *testing.T) {
	t.Parallel()
	type delivery struct {
		url, signature string
		body           []byte
	}
	got := make(chan delivery, 10)
	receiver := func() string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			got <- delivery{"http://" + r.Host + r.URL.Path, r.Header.Get("x-square-hmacsha256-signature"), body}
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/webhooks/square"
	}
	a, b, c := receiver(), receiver(), receiver()
	base := startEmulator(t, "-access-token", "pat-many", "-webhook-url", a+","+b, "-webhook-url", c, "-webhook-signature-key", "shared-key")

	status, body := send(t, "POST", base+"/v2/customers", "", `{"given_name":"Everyone hears"}`,
		map[string]string{"Authorization": "Bearer pat-many", "Content-Type": "application/json"})
	if status != http.StatusOK {
		t.Fatalf("CreateCustomer = %d %s, want 200", status, body)
	}
	seen := map[string]bool{}
	for len(seen) < 3 {
		select {
		case d := <-got:
			if want := squarelocal.Sign("shared-key", d.url, d.body); d.signature != want {
				t.Errorf("delivery to %s signed %q, want %q (signed for its own URL)", d.url, d.signature, want)
			}
			if !strings.Contains(string(d.body), "Everyone hears") {
				t.Errorf("delivery to %s = %s, want the new customer", d.url, d.body)
			}
			seen[d.url] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("deliveries reached %v within 10s, want %s, %s and %s", seen, a, b, c)
		}
	}
}
