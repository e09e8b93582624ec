package squarelocal

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// newTestServer returns an emulator without demo customers and a token of
// its first merchant.
func newTestServer(t *testing.T) (*Server, string) {
	t.Helper()
	s := New(Options{CustomersPerMerchant: -1})
	t.Cleanup(s.Close)
	return s, s.MintAccessToken(s.Merchants()[0].ID)
}

// call sends one request through the emulator and decodes the JSON answer.
func call(t *testing.T, h http.Handler, method, path, token, body string) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
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

// firstError returns the code and field of the first error of an answer.
func firstError(t *testing.T, out map[string]any) (code, field string) {
	t.Helper()
	errs, _ := out["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("answer %v has no errors", out)
	}
	e := errs[0].(map[string]any)
	code, _ = e["code"].(string)
	field, _ = e["field"].(string)
	if e["category"] == nil {
		t.Errorf("error %v has no category", e)
	}
	return code, field
}

func TestAuthenticationFailuresAnswerAsSquareDoes(t *testing.T) {
	s, token := newTestServer(t)
	revoked := s.MintAccessToken(s.Merchants()[0].ID)
	s.mu.Lock()
	s.tokens[revoked].Revoked = true
	s.mu.Unlock()
	narrow := s.MintAccessToken(s.Merchants()[0].ID, ScopeCustomersRead)

	cases := []struct {
		name       string
		token      string
		wantStatus int
		wantCode   string
	}{
		{"no token is unauthorized", "", 401, "UNAUTHORIZED"},
		{"an unknown token is unauthorized", "EAAAlnope", 401, "UNAUTHORIZED"},
		{"a revoked token says so", revoked, 401, "ACCESS_TOKEN_REVOKED"},
		{"a token without the scope is forbidden", narrow, 403, "INSUFFICIENT_SCOPES"},
		{"a good token passes", token, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, out, _ := call(t, s, "GET", "/v2/merchants/me", tc.token, "")
			if status != tc.wantStatus {
				t.Fatalf("GET /v2/merchants/me = %d %v, want %d", status, out, tc.wantStatus)
			}
			if tc.wantCode == "" {
				return
			}
			if code, _ := firstError(t, out); code != tc.wantCode {
				t.Errorf("GET /v2/merchants/me code = %s, want %s", code, tc.wantCode)
			}
		})
	}
}

func TestAccessTokensExpireAfterThirtyDays(t *testing.T) {
	s, token := newTestServer(t)
	s.Advance(30*24*time.Hour - time.Minute)
	if status, out, _ := call(t, s, "GET", "/v2/merchants/me", token, ""); status != 200 {
		t.Fatalf("a token a minute before expiry = %d %v, want 200", status, out)
	}
	s.Advance(2 * time.Minute)
	status, out, _ := call(t, s, "GET", "/v2/merchants/me", token, "")
	if code, _ := firstError(t, out); status != 401 || code != "ACCESS_TOKEN_EXPIRED" {
		t.Errorf("an expired token = %d %s, want 401 ACCESS_TOKEN_EXPIRED", status, code)
	}
}

func TestMerchantsAndLocationsBelongToTheToken(t *testing.T) {
	s, tokenA := newTestServer(t)
	ms := s.Merchants()
	if len(ms) < 2 {
		t.Fatalf("Merchants() = %d merchants, want at least 2", len(ms))
	}
	tokenB := s.MintAccessToken(ms[1].ID)

	_, out, _ := call(t, s, "GET", "/v2/merchants", tokenB, "")
	list, _ := out["merchant"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != ms[1].ID {
		t.Errorf("ListMerchants for B = %v, want only B under the key merchant", out)
	}
	if status, _, _ := call(t, s, "GET", "/v2/merchants/"+ms[0].ID, tokenB, ""); status != 404 {
		t.Errorf("RetrieveMerchant(A) with B's token = %d, want 404", status)
	}
	_, out, _ = call(t, s, "GET", "/v2/merchants/me", tokenA, "")
	main := out["merchant"].(map[string]any)["main_location_id"].(string)
	if status, _, _ := call(t, s, "GET", "/v2/locations/"+main, tokenA, ""); status != 200 {
		t.Errorf("RetrieveLocation(main of A) with A's token = %d, want 200", status)
	}
	if status, _, _ := call(t, s, "GET", "/v2/locations/"+main, tokenB, ""); status != 404 {
		t.Errorf("RetrieveLocation(main of A) with B's token = %d, want 404", status)
	}
	_, out, _ = call(t, s, "GET", "/v2/locations", tokenA, "")
	if locs, _ := out["locations"].([]any); len(locs) != 1 {
		t.Errorf("ListLocations = %v, want one location", out)
	}
}

func TestUnknownPathsAndBadVersionsAnswerInSquaresShape(t *testing.T) {
	s, token := newTestServer(t)
	status, out, _ := call(t, s, "GET", "/v2/nothing-here", token, "")
	if code, _ := firstError(t, out); status != 404 || code != "NOT_FOUND" {
		t.Errorf("GET /v2/nothing-here = %d %s, want 404 NOT_FOUND", status, code)
	}

	req := httptest.NewRequest("GET", "/v2/merchants/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Square-Version", "yesterday")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "INVALID_SQUARE_VERSION_FORMAT") {
		t.Errorf("a malformed Square-Version = %d %s, want 400 INVALID_SQUARE_VERSION_FORMAT", rec.Code, rec.Body)
	}
}

func TestFaultsShapeTheAnswers(t *testing.T) {
	cases := []struct {
		name           string
		fault          Fault
		wantStatus     int
		wantCode       string
		wantRetryAfter string
	}{
		{"rate limiting answers 429 with Retry-After", Fault{Kind: FaultRateLimit, RetryAfter: 3}, 429, "RATE_LIMITED", "3"},
		{"rate limiting may omit Retry-After", Fault{Kind: FaultRateLimit}, 429, "RATE_LIMITED", ""},
		{"an internal error answers 500", Fault{Kind: FaultInternal}, 500, "INTERNAL_SERVER_ERROR", ""},
		{"unavailability answers 503", Fault{Kind: FaultUnavailable}, 503, "SERVICE_UNAVAILABLE", ""},
		{"a fault on another endpoint changes nothing", Fault{Kind: FaultInternal, Endpoint: "GET /v2/locations"}, 200, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, token := newTestServer(t)
			if err := s.InjectFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			status, out, header := call(t, s, "GET", "/v2/merchants/me", token, "")
			if status != tc.wantStatus {
				t.Fatalf("GET /v2/merchants/me = %d, want %d", status, tc.wantStatus)
			}
			if tc.wantCode != "" {
				if code, _ := firstError(t, out); code != tc.wantCode {
					t.Errorf("code = %s, want %s", code, tc.wantCode)
				}
			}
			if got := header.Get("Retry-After"); got != tc.wantRetryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.wantRetryAfter)
			}
		})
	}
}

func TestCountedFaultsAffectOnlyTheNextCalls(t *testing.T) {
	s, token := newTestServer(t)
	if err := s.InjectFault(Fault{Kind: FaultUnavailable, Count: 2}); err != nil {
		t.Fatal(err)
	}
	var got []int
	for range 4 {
		status, _, _ := call(t, s, "GET", "/v2/merchants/me", token, "")
		got = append(got, status)
	}
	want := []int{503, 503, 200, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses of four calls = %v, want %v", got, want)
		}
	}
	if n := len(s.Faults()); n != 0 {
		t.Errorf("Faults() after the count ran out = %d faults, want 0", n)
	}
}

func TestFaultRatesAffectAShareOfCalls(t *testing.T) {
	s, token := newTestServer(t)
	if err := s.InjectFault(Fault{Kind: FaultInternal, Rate: 0.5}); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for range 200 {
		if status, _, _ := call(t, s, "GET", "/v2/merchants/me", token, ""); status == 500 {
			failed++
		}
	}
	if failed < 60 || failed > 140 {
		t.Errorf("failed calls at rate 0.5 = %d of 200, want about half", failed)
	}
}

func TestInvalidFaultsAreRefused(t *testing.T) {
	s, _ := newTestServer(t)
	for _, f := range []Fault{{Kind: "explode"}, {Kind: FaultLatency}, {Kind: FaultInternal, Rate: 1.5}, {Kind: FaultInternal, Count: -1}} {
		if err := s.InjectFault(f); err == nil {
			t.Errorf("InjectFault(%+v) = nil, want an error", f)
		}
	}
}

func TestTransportServesInProcess(t *testing.T) {
	s, token := newTestServer(t)
	client := &http.Client{Transport: s.Transport()}
	req, _ := http.NewRequest("GET", "http://squarelocal.invalid/v2/merchants/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET through Transport() = %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"business_name":"Harbor & Pine Coffee"`) {
		t.Errorf("GET through Transport() = %d %s, want 200 with the merchant", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
}

func TestTransportHangsUntilTheCallerGivesUp(t *testing.T) {
	s, token := newTestServer(t)
	if err := s.InjectFault(Fault{Kind: FaultHang}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://squarelocal.invalid/v2/merchants/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	_, err := (&http.Client{Transport: s.Transport()}).Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a hanging call = %v, want the context's deadline error", err)
	}
}

func TestDropAfterWriteAppliesTheRequestButAnswersNothing(t *testing.T) {
	s, token := newTestServer(t)
	if err := s.InjectFault(Fault{Kind: FaultDropAfterWrite, Count: 1}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://squarelocal.invalid/v2/merchants/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	_, err := (&http.Client{Transport: s.Transport()}).Do(req)
	if err == nil || !strings.Contains(err.Error(), "connection dropped") {
		t.Errorf("a dropped call = %v, want a connection error", err)
	}

	// Over a real socket the connection is closed without an answer.
	srv := httptest.NewServer(s)
	defer srv.Close()
	if err := s.InjectFault(Fault{Kind: FaultDropAfterWrite, Count: 1}); err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest("GET", srv.URL+"/v2/merchants/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("a dropped call over TCP = %d, want an error", resp.StatusCode)
	}
}

func TestLatencyDelaysTheAnswer(t *testing.T) {
	s, token := newTestServer(t)
	if err := s.InjectFault(Fault{Kind: FaultLatency, Latency: 30 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	status, _, _ := call(t, s, "GET", "/v2/merchants/me", token, "")
	if status != 200 {
		t.Fatalf("a delayed call = %d, want 200", status)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("a call with 30ms latency took %s, want at least 30ms", d)
	}
}

func TestCallLogRecordsEachCall(t *testing.T) {
	s, token := newTestServer(t)
	call(t, s, "GET", "/v2/merchants/me", token, "")
	call(t, s, "DELETE", "/v2/customers/ABC?version=4", token, "")
	call(t, s, "POST", "/v2/cards", token, `{"idempotency_key":"k-1","source_id":"cnon:card-nonce-ok"}`)

	calls := s.Calls()
	if len(calls) != 3 {
		t.Fatalf("Calls() = %d calls, want 3", len(calls))
	}
	if c := calls[0]; c.Pattern != "GET /v2/merchants/{merchant_id}" || c.Status != 200 {
		t.Errorf("first call = %+v, want the merchant route with 200", c)
	}
	if c := calls[1]; c.Version == nil || *c.Version != 4 {
		t.Errorf("second call version = %v, want 4 from the query", c.Version)
	}
	if c := calls[2]; c.IdempotencyKey != "k-1" {
		t.Errorf("third call idempotency key = %q, want k-1", c.IdempotencyKey)
	}
	if n := s.CountCalls("GET /v2/merchants/{merchant_id}", 200); n != 1 {
		t.Errorf("CountCalls(merchant, 200) = %d, want 1", n)
	}
	s.ResetCalls()
	if n := len(s.Calls()); n != 0 {
		t.Errorf("Calls() after ResetCalls = %d, want 0", n)
	}
}
