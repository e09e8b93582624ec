package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// send makes one request to the running server and returns its status and
// body. host, when not empty, replaces the Host header, as a name that a
// DNS-rebinding page re-pointed at 127.0.0.1 sends.
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
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestLocalModeEmulatorControlsAnswerOnlyAProgramOnLoopback(t *testing.T) {
	s := startServer(t, nil)
	faults := s.base + "/squarelocal/_squarelocal/faults"
	fault := `{"kind":"unavailable"}`
	refused := []struct {
		name, method, host, body string
		header                   map[string]string
	}{
		{"a cross-site text/plain POST, as any web page can send", "POST", "", fault,
			map[string]string{"Content-Type": "text/plain", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}},
		{"a JSON POST to a rebound name (DNS rebinding)", "POST", "rebound.evil.example:" + strings.Split(s.addr, ":")[1], fault,
			map[string]string{"Content-Type": "application/json"}},
		{"a DELETE without the control header", "DELETE", "", "", nil},
		{"a GET of the call log without the control header", "GET", "", "", nil},
	}
	for _, r := range refused {
		status, body := send(t, r.method, faults, r.host, r.body, r.header)
		if status != http.StatusForbidden || !strings.Contains(body, squarelocal.ControlHeader) {
			t.Errorf("%s: %s %s = %d %q, want 403 naming %s", r.name, r.method, faults, status, body, squarelocal.ControlHeader)
		}
	}
	program := map[string]string{squarelocal.ControlHeader: "1"}
	if status, body := send(t, "GET", faults, "", "", program); status != http.StatusOK || strings.Contains(body, "unavailable") {
		t.Errorf("GET %s with the control header = %d %q, want 200 without a fault: a refused request injected one", faults, status, body)
	}
	if status, body := send(t, "POST", faults, "", fault, map[string]string{"Content-Type": "application/json"}); status != http.StatusOK {
		t.Errorf("POST %s as JSON = %d %q, want 200", faults, status, body)
	}
	if status, body := send(t, "DELETE", faults, "", "", program); status != http.StatusOK {
		t.Errorf("DELETE %s with the control header = %d %q, want 200", faults, status, body)
	}
}

func TestLocalModeConsentSendsTheBrowserOnlyToTesserasCallback(t *testing.T) {
	s := startServer(t, nil)
	authorize := func(redirect string) string {
		q := url.Values{
			"client_id": {squarelocal.LocalClientID}, "response_type": {"code"},
			"scope": {"CUSTOMERS_READ"}, "state": {"s"}, "redirect_uri": {redirect},
		}
		return s.base + "/squarelocal/oauth2/authorize?" + q.Encode()
	}
	for _, redirect := range []string{"https://evil.example/auth/callback", s.base + "/elsewhere", "http://localhost:1/auth/callback"} {
		status, body := send(t, "GET", authorize(redirect), "", "", nil)
		if status != http.StatusBadRequest || !strings.Contains(body, "redirect_uri is not one the application registered") {
			t.Errorf("GET the consent page with redirect_uri %s = %d, want 400 saying the redirect_uri is not registered; body:\n%s", redirect, status, body)
		}
	}
	if status, body := send(t, "GET", authorize(s.base+"/auth/callback"), "", "", nil); status != http.StatusOK {
		t.Errorf("GET the consent page with Tessera's callback = %d, want 200; body:\n%s", status, body)
	}
}
