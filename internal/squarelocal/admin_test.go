package squarelocal

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// controlHost is a Host the controls answer when Options.ControlHosts is
// empty.
const controlHost = "127.0.0.1:8081"

// control sends a request to one of the emulator's controls as a test
// program does: to a loopback host, with the control header.
func control(t *testing.T, h http.Handler, method, path, body string) (int, map[string]any, http.Header) {
	t.Helper()
	return controlWith(t, h, method, path, body, map[string]string{"Host": controlHost, ControlHeader: "1"})
}

// controlWith sends a request to a control with exactly the given headers
// ("Host" sets the request's Host).
func controlWith(t *testing.T, h http.Handler, method, path, body string, headers map[string]string) (int, map[string]any, http.Header) {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, path, strings.NewReader(body))
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s answered %d with a body that is not JSON: %q", method, path, rec.Code, rec.Body.String())
		}
	}
	return rec.Code, out, rec.Header()
}

func TestAdminEndpointsControlFaultsCallsAndClock(t *testing.T) {
	s, token := newTestServer(t)
	status, out, _ := control(t, s, "POST", adminPrefix+"faults", `{"kind":"unavailable","endpoint":"GET /v2/merchants/{merchant_id}","count":1}`)
	if status != 200 {
		t.Fatalf("POST faults = %d %v, want 200", status, out)
	}
	if status, _, _ := call(t, s, "GET", "/v2/merchants/me", token, ""); status != 503 {
		t.Errorf("a call after injecting unavailability = %d, want 503", status)
	}
	if status, _, _ := control(t, s, "POST", adminPrefix+"faults", `{"kind":"latency","latency":"soon"}`); status != 400 {
		t.Errorf("POST faults with a bad latency = %d, want 400", status)
	}
	if status, _, _ := control(t, s, "POST", adminPrefix+"faults", `{"kind":"internal_error"}`); status != 200 {
		t.Errorf("POST faults = %d, want 200", status)
	}
	// Admin endpoints are never faulted, so the fault can be switched off.
	if status, _, _ := control(t, s, "DELETE", adminPrefix+"faults", ""); status != 200 {
		t.Errorf("DELETE faults = %d, want 200", status)
	}
	if status, _, _ := call(t, s, "GET", "/v2/merchants/me", token, ""); status != 200 {
		t.Errorf("a call after clearing faults = %d, want 200", status)
	}

	_, out, _ = control(t, s, "GET", adminPrefix+"calls", "")
	if calls, _ := out["calls"].([]any); len(calls) == 0 {
		t.Errorf("GET calls = %v, want the logged calls", out)
	}
	control(t, s, "DELETE", adminPrefix+"calls", "")
	if len(s.Calls()) != 1 { // the DELETE itself is logged
		t.Errorf("Calls() after DELETE calls = %d, want 1", len(s.Calls()))
	}

	before := s.Now()
	if status, out, _ := control(t, s, "POST", adminPrefix+"clock", `{"advance":"2h"}`); status != 200 {
		t.Fatalf("POST clock = %d %v, want 200", status, out)
	}
	if d := s.Now().Sub(before); d < 2*time.Hour {
		t.Errorf("clock moved %s, want at least 2h", d)
	}
	if status, _, _ := control(t, s, "POST", adminPrefix+"clock", `{"advance":"-2h"}`); status != 400 {
		t.Errorf("POST clock backwards = %d, want 400", status)
	}
}

func TestControlsRefuseWhatAWebPageCanSend(t *testing.T) {
	t.Parallel()
	s := New(Options{CustomersPerMerchant: -1, ControlHosts: []string{"localhost:8080"}})
	t.Cleanup(s.Close)
	fault := `{"kind":"internal_error"}`
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		headers map[string]string
	}{
		{"a cross-site text/plain POST", "POST", adminPrefix + "faults", fault,
			map[string]string{"Host": "localhost:8080", "Content-Type": "text/plain;charset=UTF-8", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}},
		{"a form POST", "POST", adminPrefix + "clock", "advance=1h",
			map[string]string{"Host": "localhost:8080", "Content-Type": "application/x-www-form-urlencoded"}},
		{"a multipart POST", "POST", adminPrefix + "faults", fault,
			map[string]string{"Host": "localhost:8080", "Content-Type": "multipart/form-data; boundary=x"}},
		{"a POST with neither a content type nor the header", "POST", adminPrefix + "faults", fault,
			map[string]string{"Host": "localhost:8080"}},
		{"a DELETE without the header", "DELETE", adminPrefix + "calls", "",
			map[string]string{"Host": "localhost:8080"}},
		{"a GET without the header", "GET", adminPrefix + "calls", "",
			map[string]string{"Host": "localhost:8080"}},
		{"a JSON POST to a rebound name (DNS rebinding)", "POST", adminPrefix + "faults", fault,
			map[string]string{"Host": "evil.example:8080", "Content-Type": "application/json"}},
		{"a request with the header to another loopback name than the configured one", "DELETE", adminPrefix + "faults", "",
			map[string]string{"Host": "127.0.0.1:8080", ControlHeader: "1"}},
		{"a request with the header to another port", "GET", adminPrefix + "faults", "",
			map[string]string{"Host": "localhost:9999", ControlHeader: "1"}},
	}
	for _, tt := range tests {
		status, out, hdr := controlWith(t, s, tt.method, tt.path, tt.body, tt.headers)
		if status != http.StatusForbidden {
			t.Errorf("%s: %s %s = %d %v, want 403", tt.name, tt.method, tt.path, status, out)
			continue
		}
		if code, _ := firstError(t, out); code != "FORBIDDEN" {
			t.Errorf("%s: error code = %q, want FORBIDDEN", tt.name, code)
		}
		if got := hdr.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("%s: Access-Control-Allow-Origin = %q, want none", tt.name, got)
		}
	}
	if faults := s.Faults(); len(faults) != 0 {
		t.Errorf("Faults() after refused requests = %v, want none", faults)
	}
	if now := s.Now(); time.Until(now) > time.Minute {
		t.Errorf("Now() after a refused clock request = %s, want the wall clock", now)
	}

	// The same requests from a program are answered.
	if status, out, _ := controlWith(t, s, "POST", adminPrefix+"faults", fault,
		map[string]string{"Host": "localhost:8080", "Content-Type": "application/json"}); status != http.StatusOK {
		t.Errorf("a JSON POST to the configured host = %d %v, want 200", status, out)
	}
	if status, out, _ := controlWith(t, s, "DELETE", adminPrefix+"faults", "",
		map[string]string{"Host": "LOCALHOST:8080", ControlHeader: "1"}); status != http.StatusOK {
		t.Errorf("a DELETE with the header = %d %v, want 200", status, out)
	}
}

func TestControlsRefuseTheBrowsersPreflight(t *testing.T) {
	t.Parallel()
	s := New(Options{CustomersPerMerchant: -1})
	t.Cleanup(s.Close)
	status, _, hdr := controlWith(t, s, "OPTIONS", adminPrefix+"faults", "", map[string]string{
		"Host": controlHost, "Origin": "https://evil.example",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
	})
	if status < 400 {
		t.Errorf("OPTIONS %sfaults = %d, want a refusal", adminPrefix, status)
	}
	for _, name := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"} {
		if got := hdr.Get(name); got != "" {
			t.Errorf("OPTIONS %sfaults: %s = %q, want none", adminPrefix, name, got)
		}
	}
}

func TestControlsWithoutConfiguredHostsAnswerOnlyLoopbackNames(t *testing.T) {
	t.Parallel()
	s := New(Options{CustomersPerMerchant: -1})
	t.Cleanup(s.Close)
	for host, want := range map[string]int{
		"localhost:8081": 200, "127.0.0.1:8081": 200, "127.0.0.2": 200, "[::1]:8081": 200,
		"example.com:8081": 403, "192.168.1.5:8081": 403, "localhost.evil.example": 403, "": 403,
	} {
		status, out, _ := controlWith(t, s, "GET", adminPrefix+"calls", "", map[string]string{"Host": host, ControlHeader: "1"})
		if status != want {
			t.Errorf("GET %scalls with Host %q = %d %v, want %d", adminPrefix, host, status, out, want)
		}
	}
}
