package square

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// reply is one canned response of a scripted endpoint.
type reply struct {
	status int
	header map[string]string
	body   string
}

// script answers successive requests with replies in order, repeating the
// last one, and records each request body.
type script struct {
	replies []reply
	mu      sync.Mutex
	calls   int
	bodies  []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := min(s.calls, len(s.replies)-1)
	s.calls++
	s.bodies = append(s.bodies, string(b))
	s.mu.Unlock()
	rep := s.replies[i]
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	fmt.Fprint(w, rep.body)
}

func (s *script) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

const (
	unavailable = `{"errors":[{"category":"API_ERROR","code":"SERVICE_UNAVAILABLE"}]}`
	rateLimited = `{"errors":[{"category":"RATE_LIMIT_ERROR","code":"RATE_LIMITED"}]}`
	badRequest  = `{"errors":[{"category":"INVALID_REQUEST_ERROR","code":"INVALID_VALUE","field":"limit"}]}`
	oneCustomer = `{"customer":{"id":"C1","given_name":"Ada","version":0}}`
	oneCard     = `{"card":{"id":"ccof:1","enabled":false}}`
)

func TestRetries(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	get := func(c *Client) error { _, err := c.Customers.Get(ctx, "C1"); return err }
	tests := []struct {
		name       string
		path       string
		replies    []reply
		call       func(c *Client) error
		wantCalls  int
		wantErr    func(error) bool
		wantSleeps func(t *testing.T, sleeps []time.Duration)
	}{
		{
			name:      "a GET is retried after a 503 and then succeeds",
			path:      "/v2/customers/C1",
			replies:   []reply{{status: 503, body: unavailable}, {status: 200, body: oneCustomer}},
			call:      get,
			wantCalls: 2,
			wantSleeps: func(t *testing.T, s []time.Duration) {
				if len(s) != 1 || s[0] < 50*time.Millisecond || s[0] > 100*time.Millisecond {
					t.Errorf("sleeps = %v, want one backoff between 50ms and 100ms", s)
				}
			},
		},
		{
			name:      "a GET that keeps failing with 5xx gives up after three attempts",
			path:      "/v2/customers/C1",
			replies:   []reply{{status: 500, body: `{"errors":[{"category":"API_ERROR","code":"INTERNAL_SERVER_ERROR"}]}`}},
			call:      get,
			wantCalls: 3,
			wantErr:   IsServerError,
			wantSleeps: func(t *testing.T, s []time.Duration) {
				if len(s) != 2 || s[1] < 100*time.Millisecond || s[1] > 200*time.Millisecond {
					t.Errorf("sleeps = %v, want two, the second between 100ms and 200ms", s)
				}
			},
		},
		{
			name:      "a 429 is retried after the Retry-After seconds",
			path:      "/v2/customers/C1",
			replies:   []reply{{status: 429, header: map[string]string{"Retry-After": "3"}, body: rateLimited}, {status: 200, body: oneCustomer}},
			call:      get,
			wantCalls: 2,
			wantSleeps: func(t *testing.T, s []time.Duration) {
				if len(s) != 1 || s[0] != 3*time.Second {
					t.Errorf("sleeps = %v, want [3s]", s)
				}
			},
		},
		{
			name:      "a long Retry-After is capped",
			path:      "/v2/customers/C1",
			replies:   []reply{{status: 429, header: map[string]string{"Retry-After": "3600"}, body: rateLimited}, {status: 200, body: oneCustomer}},
			call:      get,
			wantCalls: 2,
			wantSleeps: func(t *testing.T, s []time.Duration) {
				if len(s) != 1 || s[0] != 10*time.Second {
					t.Errorf("sleeps = %v, want [10s]", s)
				}
			},
		},
		{
			name: "a Retry-After date is honoured",
			path: "/v2/customers/C1",
			replies: []reply{
				{status: 429, header: map[string]string{"Retry-After": time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat)}, body: rateLimited},
				{status: 200, body: oneCustomer},
			},
			call:      get,
			wantCalls: 2,
			wantSleeps: func(t *testing.T, s []time.Duration) {
				if len(s) != 1 || s[0] < 3*time.Second || s[0] > 5*time.Second {
					t.Errorf("sleeps = %v, want one of about 5s", s)
				}
			},
		},
		{
			name:      "a 429 without Retry-After backs off and finally reports the rate limit",
			path:      "/v2/customers/C1",
			replies:   []reply{{status: 429, body: rateLimited}},
			call:      get,
			wantCalls: 3,
			wantErr:   IsRateLimited,
			wantSleeps: func(t *testing.T, s []time.Duration) {
				if len(s) != 2 || s[0] < 50*time.Millisecond || s[0] > 100*time.Millisecond {
					t.Errorf("sleeps = %v, want two backoffs, the first between 50ms and 100ms", s)
				}
			},
		},
		{
			name:      "a 400 is not retried",
			path:      "/v2/customers/C1",
			replies:   []reply{{status: 400, body: badRequest}},
			call:      get,
			wantCalls: 1,
			wantErr:   IsInvalidRequest,
		},
		{
			name:    "a PUT is not retried",
			path:    "/v2/customers/C1",
			replies: []reply{{status: 503, body: unavailable}},
			call: func(c *Client) error {
				_, err := c.Customers.Update(ctx, "C1", &UpdateCustomerRequest{Note: Set("x")})
				return err
			},
			wantCalls: 1,
			wantErr:   IsServerError,
		},
		{
			name:      "a DELETE is not retried",
			path:      "/v2/customers/C1",
			replies:   []reply{{status: 503, body: unavailable}},
			call:      func(c *Client) error { return c.Customers.Delete(ctx, "C1", nil) },
			wantCalls: 1,
			wantErr:   IsServerError,
		},
		{
			name:    "a create without an idempotency key is not retried",
			path:    "/v2/customers",
			replies: []reply{{status: 503, body: unavailable}},
			call: func(c *Client) error {
				_, err := c.Customers.Create(ctx, &CreateCustomerRequest{GivenName: "Ada"})
				return err
			},
			wantCalls: 1,
			wantErr:   IsServerError,
		},
		{
			name:      "a token exchange is not retried",
			path:      "/oauth2/token",
			replies:   []reply{{status: 503, body: unavailable}},
			call:      func(c *Client) error { _, err := c.OAuth.ExchangeCode(ctx, "code", "", ""); return err },
			wantCalls: 1,
			wantErr:   IsServerError,
		},
		{
			name:    "a create with an idempotency key is retried",
			path:    "/v2/customers",
			replies: []reply{{status: 503, body: unavailable}, {status: 200, body: oneCustomer}},
			call: func(c *Client) error {
				_, err := c.Customers.Create(ctx, &CreateCustomerRequest{IdempotencyKey: "k1", GivenName: "Ada"})
				return err
			},
			wantCalls: 2,
		},
		{
			name:    "a card create is retried",
			path:    "/v2/cards",
			replies: []reply{{status: 500, body: ""}, {status: 200, body: oneCard}},
			call: func(c *Client) error {
				_, err := c.Cards.Create(ctx, &CreateCardRequest{IdempotencyKey: "k1", SourceID: "cnon:x"})
				return err
			},
			wantCalls: 2,
		},
		{
			name:    "a search is retried",
			path:    "/v2/customers/search",
			replies: []reply{{status: 503, body: unavailable}, {status: 200, body: `{}`}},
			call: func(c *Client) error {
				_, err := c.Customers.Search(ctx, &SearchCustomersRequest{Limit: 5})
				return err
			},
			wantCalls: 2,
		},
		{
			name:      "disabling a card is retried",
			path:      "/v2/cards/ccof:1/disable",
			replies:   []reply{{status: 504, body: ""}, {status: 200, body: oneCard}},
			call:      func(c *Client) error { _, err := c.Cards.Disable(ctx, "ccof:1"); return err },
			wantCalls: 2,
		},
		{
			name:      "a token status request is retried",
			path:      "/oauth2/token/status",
			replies:   []reply{{status: 503, body: unavailable}, {status: 200, body: `{"scopes":[]}`}},
			call:      func(c *Client) error { _, err := c.OAuth.TokenStatus(ctx, testToken); return err },
			wantCalls: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := setup(t)
			s := &script{replies: tt.replies}
			env.mux.Handle(tt.path, s)
			err := tt.call(env.client)
			if tt.wantErr == nil && err != nil {
				t.Errorf("call error = %v, want nil", err)
			}
			if tt.wantErr != nil && !tt.wantErr(err) {
				t.Errorf("call error = %v, want one the predicate accepts", err)
			}
			if got := s.count(); got != tt.wantCalls {
				t.Errorf("requests = %d, want %d", got, tt.wantCalls)
			}
			if tt.wantSleeps != nil {
				tt.wantSleeps(t, env.recordedSleeps())
			}
			// Every attempt must carry the same body.
			for i, b := range s.bodies {
				if b != s.bodies[0] {
					t.Errorf("body of attempt %d = %q, want %q as in the first", i+1, b, s.bodies[0])
				}
			}
		})
	}
}

func TestRetryNeverSleepsPastTheDeadline(t *testing.T) {
	t.Parallel()
	env := setup(t)
	s := &script{replies: []reply{{status: 429, header: map[string]string{"Retry-After": "5"}, body: rateLimited}, {status: 200, body: oneCustomer}}}
	env.mux.Handle("/v2/customers/C1", s)
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err := env.client.Customers.Get(ctx, "C1")
	if !IsRateLimited(err) {
		t.Errorf("Customers.Get(ctx, C1) error = %v, want the 429", err)
	}
	var e *Error
	if errors.As(err, &e) && e.RetryAfter != 5*time.Second {
		t.Errorf("Error.RetryAfter = %v, want 5s", e.RetryAfter)
	}
	if got := s.count(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
	if got := env.recordedSleeps(); len(got) != 0 {
		t.Errorf("sleeps = %v, want none", got)
	}
}

func TestCancellationWhileWaitingEndsTheRetries(t *testing.T) {
	t.Parallel()
	env := setup(t)
	s := &script{replies: []reply{{status: 503, body: unavailable}}}
	env.mux.Handle("/v2/customers/C1", s)
	ctx, cancel := context.WithCancel(t.Context())
	env.client.sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}
	_, err := env.client.Customers.Get(ctx, "C1")
	if !errors.Is(err, context.Canceled) || !IsServerError(err) {
		t.Errorf("Customers.Get(ctx, C1) error = %v, want context.Canceled wrapping the 503", err)
	}
	if got := s.count(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
}

func TestNetworkErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		call      func(c *Client) error
		wantCalls int32
		wantErr   bool
	}{
		{
			name:      "a GET is retried after a network error",
			call:      func(c *Client) error { _, err := c.Customers.Get(t.Context(), "C1"); return err },
			wantCalls: 2,
		},
		{
			name: "an update is not retried after a network error",
			call: func(c *Client) error {
				_, err := c.Customers.Update(t.Context(), "C1", &UpdateCustomerRequest{})
				return err
			},
			wantCalls: 1,
			wantErr:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			transport := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if calls.Add(1) == 1 {
					return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
				}
				rec := httptest.NewRecorder()
				fmt.Fprint(rec, oneCustomer)
				return rec.Result(), nil
			})
			c, err := NewClient(Options{BaseURL: "https://square.invalid", Transport: transport, AccessToken: testToken})
			if err != nil {
				t.Fatalf("NewClient() error = %v", err)
			}
			c.sleep = func(ctx context.Context, d time.Duration) error { return nil }
			err = tt.call(c)
			if (err != nil) != tt.wantErr {
				t.Errorf("call error = %v, want error %v", err, tt.wantErr)
			}
			var opErr *net.OpError
			if err != nil && !errors.As(err, &opErr) {
				t.Errorf("call error = %#v, want a wrapped *net.OpError", err)
			}
			if err != nil && strings.Contains(err.Error(), testToken) {
				t.Errorf("call error = %q, want no token in it", err)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("requests = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

// hangingServer never answers until the client gives up or the test ends.
func hangingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	release := make(chan struct{})
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	// Cleanups run last-in first-out: unblock handlers, then close.
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv, &calls
}

func TestHangingServerAndContextDeadline(t *testing.T) {
	t.Parallel()
	srv, calls := hangingServer(t)
	c, err := NewClient(Options{BaseURL: srv.URL, AccessToken: testToken})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	c.sleep = func(ctx context.Context, d time.Duration) error { return nil }
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Customers.Get(ctx, "C1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Customers.Get(ctx, C1) error = %v, want context.DeadlineExceeded", err)
	}
	if strings.Contains(fmt.Sprint(err), testToken) {
		t.Errorf("Customers.Get(ctx, C1) error = %q, want no token in it", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("requests = %d, want 1: an expired context is not retried", got)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Customers.Get(ctx, C1) took %v, want it to stop at the deadline", elapsed)
	}
}

func TestHangingServerAndClientTimeout(t *testing.T) {
	t.Parallel()
	srv, calls := hangingServer(t)
	c, err := NewClient(Options{BaseURL: srv.URL, HTTPClient: &http.Client{Timeout: 30 * time.Millisecond}})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	c.sleep = func(ctx context.Context, d time.Duration) error { return nil }
	_, err = c.Customers.Get(t.Context(), "C1")
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Errorf("Customers.Get(ctx, C1) error = %v, want a timeout", err)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("requests = %d, want 3: a timed-out GET is retried", got)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	p, err := RetryPolicy{}.withDefaults()
	if err != nil {
		t.Fatalf("withDefaults() error = %v", err)
	}
	tests := []struct {
		attempt int
		lo, hi  time.Duration
	}{
		{1, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 100 * time.Millisecond, 200 * time.Millisecond},
		{3, 200 * time.Millisecond, 400 * time.Millisecond},
		{6, time.Second, 2 * time.Second},
		{100, time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := p.backoff(tt.attempt)
			if d < tt.lo || d > tt.hi {
				t.Fatalf("backoff(%d) = %v, want between %v and %v", tt.attempt, d, tt.lo, tt.hi)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("backoff(%d) always = %v, want jitter", tt.attempt, seen)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 8, 20, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"delay seconds are read", "3", 3 * time.Second, true},
		{"surrounding spaces are ignored", " 7 ", 7 * time.Second, true},
		{"zero means now", "0", 0, true},
		{"an HTTP-date in the future is a wait", "Wed, 20 Aug 2025 12:00:30 GMT", 30 * time.Second, true},
		{"an HTTP-date in the past means now", "Wed, 20 Aug 2025 11:00:00 GMT", 0, true},
		{"an RFC 850 date is accepted", "Wednesday, 20-Aug-25 12:01:00 GMT", time.Minute, true},
		{"an enormous number saturates", "99999999999999999999999", time.Duration(math.MaxInt64), true},
		{"a negative number is refused", "-1", 0, false},
		{"a fraction is refused", "1.5", 0, false},
		{"an empty value is refused", "", 0, false},
		{"garbage is refused", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.value, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseRetryAfter(%q) = %v, %v, want %v, %v", tt.value, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, seed := range []string{"", "0", "3", " 120 ", "-1", "1.5", "99999999999999999999", "9223372036",
		"Wed, 21 Oct 2015 07:28:00 GMT", "Wednesday, 21-Oct-15 07:28:00 GMT", "Wed Oct 21 07:28:00 2015", "soon"} {
		f.Add(seed)
	}
	now := time.Date(2025, 8, 20, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, value string) {
		d, ok := parseRetryAfter(value, now)
		if d < 0 {
			t.Errorf("parseRetryAfter(%q) = %v, want no negative wait", value, d)
		}
		if !ok && d != 0 {
			t.Errorf("parseRetryAfter(%q) = %v, false, want 0 when refused", value, d)
		}
	})
}
