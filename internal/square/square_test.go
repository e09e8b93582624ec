package square

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testToken        = "EAAAtest-access-token-0123456789"
	testClientID     = "sq0idp-test-application"
	testClientSecret = "sq0csp-test-secret-0123456789"
)

// testEnv is a client wired to an httptest server whose mux each test fills
// with literal JSON answers, go-github style.
type testEnv struct {
	client *Client
	mux    *http.ServeMux
	server *httptest.Server

	mu     sync.Mutex
	sleeps []time.Duration
}

// setup starts a server and a client for it whose waits between retries are
// recorded instead of slept.
func setup(t *testing.T) *testEnv {
	t.Helper()
	env := &testEnv{mux: http.NewServeMux()}
	env.server = httptest.NewServer(env.mux)
	t.Cleanup(env.server.Close)
	c, err := NewClient(Options{
		BaseURL: env.server.URL,
		// The server's own transport: httptest's Close closes the idle
		// connections of http.DefaultTransport, which would break the
		// requests of tests running beside this one.
		Transport:    env.server.Client().Transport,
		AccessToken:  testToken,
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
	})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	c.sleep = env.recordSleep
	env.client = c
	return env
}

func (e *testEnv) recordSleep(ctx context.Context, d time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sleeps = append(e.sleeps, d)
	return ctx.Err()
}

func (e *testEnv) recordedSleeps() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Duration(nil), e.sleeps...)
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.Method != want {
		t.Errorf("request method = %s, want %s", r.Method, want)
	}
}

func testHeader(t *testing.T, r *http.Request, name, want string) {
	t.Helper()
	if got := r.Header.Get(name); got != want {
		t.Errorf("request header %s = %q, want %q", name, got, want)
	}
}

func testNoHeader(t *testing.T, r *http.Request, name string) {
	t.Helper()
	if got, ok := r.Header[http.CanonicalHeaderKey(name)]; ok {
		t.Errorf("request header %s = %q, want it absent", name, got)
	}
}

func testQuery(t *testing.T, r *http.Request, want url.Values) {
	t.Helper()
	got := r.URL.Query()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("request query = %v, want %v", got, want)
	}
}

// testJSONBody compares the request body with want as decoded JSON, so that
// key order does not matter but absent keys and nulls do.
func testJSONBody(t *testing.T, r *http.Request, want string) {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("reading request body: %v", err)
	}
	testJSONEqual(t, "request body", b, want)
}

func testJSONEqual(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s = %s, not JSON: %v", what, got, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func testNoBody(t *testing.T, r *http.Request) {
	t.Helper()
	b, _ := io.ReadAll(r.Body)
	if len(b) != 0 {
		t.Errorf("request body = %q, want none", b)
	}
}

// roundTripFunc lets a test stand in for the network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNewClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{name: "a missing base URL is refused", opts: Options{}, wantErr: "BaseURL is required"},
		{name: "a relative base URL is refused", opts: Options{BaseURL: "/v2"}, wantErr: "scheme and a host"},
		{name: "a base URL without a host is refused", opts: Options{BaseURL: "https://"}, wantErr: "scheme and a host"},
		{name: "a base URL with a query is refused", opts: Options{BaseURL: "https://example.com/?a=b"}, wantErr: "query"},
		{name: "an unparseable base URL is refused", opts: Options{BaseURL: "http://[::1"}, wantErr: "BaseURL"},
		{name: "an HTTP client and a transport together are refused", opts: Options{BaseURL: SandboxBaseURL, HTTPClient: http.DefaultClient, Transport: http.DefaultTransport}, wantErr: "not both"},
		{name: "a negative retry setting is refused", opts: Options{BaseURL: SandboxBaseURL, Retry: RetryPolicy{MaxAttempts: -1}}, wantErr: "negative"},
		{name: "a relative authorize URL is refused", opts: Options{BaseURL: SandboxBaseURL, AuthorizeURL: "/authorize"}, wantErr: "AuthorizeURL"},
		{name: "the production URL is accepted", opts: Options{BaseURL: ProductionBaseURL}},
		{name: "any absolute URL with a path prefix is accepted", opts: Options{BaseURL: "http://localhost:8080/squarelocal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClient(tt.opts)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("NewClient(%+v) error = %v, want nil", tt.opts, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewClient(%+v) error = %v, want one containing %q", tt.opts, err, tt.wantErr)
			}
		})
	}
}

func TestNewClientDefaults(t *testing.T) {
	t.Parallel()
	c, err := NewClient(Options{BaseURL: SandboxBaseURL})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	if c.squareVersion != DefaultSquareVersion {
		t.Errorf("Square-Version = %q, want %q", c.squareVersion, DefaultSquareVersion)
	}
	if c.httpClient.Timeout != 30*time.Second {
		t.Errorf("HTTP client timeout = %v, want 30s", c.httpClient.Timeout)
	}
	wantRetry := RetryPolicy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second, MaxRetryAfter: 10 * time.Second}
	if c.retry != wantRetry {
		t.Errorf("retry policy = %+v, want %+v", c.retry, wantRetry)
	}
	if want := SandboxBaseURL + "/oauth2/authorize"; c.authorizeURL != want {
		t.Errorf("authorize URL = %q, want %q", c.authorizeURL, want)
	}
	if c.Customers == nil || c.Cards == nil || c.OAuth == nil || c.Merchants == nil {
		t.Errorf("NewClient() left a service nil: %+v", c)
	}
}

func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/customers", func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, "Square-Version", DefaultSquareVersion)
		testHeader(t, r, "Authorization", "Bearer "+testToken)
		testHeader(t, r, "User-Agent", "tessera")
		testHeader(t, r, "Accept", "application/json")
		testNoHeader(t, r, "Content-Type")
		testNoHeader(t, r, "X-Clear-Null")
		fmt.Fprint(w, `{}`)
	})
	env.mux.HandleFunc("/v2/customers/search", func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, "Content-Type", "application/json")
		testHeader(t, r, "Square-Version", DefaultSquareVersion)
		testNoHeader(t, r, "X-Clear-Null")
		fmt.Fprint(w, `{}`)
	})
	if _, err := env.client.Customers.List(t.Context(), nil); err != nil {
		t.Errorf("Customers.List(ctx, nil) error = %v", err)
	}
	if _, err := env.client.Customers.Search(t.Context(), nil); err != nil {
		t.Errorf("Customers.Search(ctx, nil) error = %v", err)
	}
}

func TestSquareVersionIsConfigurable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, "Square-Version", "2024-12-18")
		testNoHeader(t, r, "Authorization")
		fmt.Fprint(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(Options{BaseURL: srv.URL, SquareVersion: "2024-12-18"})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	if _, err := c.Customers.List(t.Context(), nil); err != nil {
		t.Errorf("Customers.List(ctx, nil) error = %v", err)
	}
}

func TestBaseURLPathPrefixIsKept(t *testing.T) {
	t.Parallel()
	var gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		fmt.Fprint(w, `{"merchant":{"id":"L1"}}`)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(Options{BaseURL: srv.URL + "/prefix"})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	if _, err := c.Merchants.Get(t.Context(), "L1"); err != nil {
		t.Fatalf("Merchants.Get(ctx, L1) error = %v", err)
	}
	if want := "/prefix/v2/merchants/L1"; gotPath != want {
		t.Errorf("Merchants.Get(ctx, L1) requested %q, want %q", gotPath, want)
	}
}

func TestTransportOptionCarriesRequests(t *testing.T) {
	t.Parallel()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, "Authorization", "Bearer "+testToken)
		fmt.Fprint(w, `{"merchant":{"id":"M1","country":"US"}}`)
	})
	// This is how local mode reaches squarelocal: no socket at all.
	transport := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		return rec.Result(), nil
	})
	c, err := NewClient(Options{BaseURL: "http://squarelocal.invalid", Transport: transport, AccessToken: testToken})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	m, err := c.Merchants.Get(t.Context(), "me")
	if err != nil {
		t.Fatalf("Merchants.Get(ctx, me) error = %v", err)
	}
	if m.ID != "M1" {
		t.Errorf("Merchants.Get(ctx, me) = %+v, want id M1", m)
	}
}

func TestWithAccessToken(t *testing.T) {
	t.Parallel()
	env := setup(t)
	var got []string
	var mu sync.Mutex
	env.mux.HandleFunc("/v2/customers", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		fmt.Fprint(w, `{}`)
	})
	other := env.client.WithAccessToken("other-merchant-token")
	ctx := t.Context()
	if _, err := other.Customers.List(ctx, nil); err != nil {
		t.Fatalf("Customers.List(ctx, nil) error = %v", err)
	}
	if _, err := env.client.Customers.List(ctx, nil); err != nil {
		t.Fatalf("Customers.List(ctx, nil) error = %v", err)
	}
	want := []string{"Bearer other-merchant-token", "Bearer " + testToken}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Authorization headers = %q, want %q", got, want)
	}
	if other.httpClient != env.client.httpClient {
		t.Errorf("WithAccessToken() made a new HTTP client, want the shared one")
	}
	if other.Customers.client != other || env.client.Customers.client != env.client {
		t.Errorf("WithAccessToken() services point at the wrong client")
	}
}

func TestIDsAreEscapedAndChecked(t *testing.T) {
	t.Parallel()
	env := setup(t)
	var gotURI string
	env.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		gotURI = r.RequestURI
		fmt.Fprint(w, `{"customer":{"id":"x"}}`)
	})
	ctx := t.Context()
	if _, err := env.client.Customers.Get(ctx, "a/b?c"); err != nil {
		t.Fatalf("Customers.Get(ctx, %q) error = %v", "a/b?c", err)
	}
	if want := "/v2/customers/a%2Fb%3Fc"; gotURI != want {
		t.Errorf("Customers.Get(ctx, %q) requested %q, want %q", "a/b?c", gotURI, want)
	}
	for _, id := range []string{"", ".", ".."} {
		gotURI = ""
		if _, err := env.client.Customers.Get(ctx, id); err == nil {
			t.Errorf("Customers.Get(ctx, %q) error = nil, want an invalid id error", id)
		}
		if gotURI != "" {
			t.Errorf("Customers.Get(ctx, %q) sent a request to %q, want none", id, gotURI)
		}
	}
}

func TestLoggerRecordsAttemptsWithoutSecrets(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(Options{BaseURL: srv.URL, AccessToken: testToken, Logger: logger})
	if err != nil {
		t.Fatalf("NewClient() error = %v", err)
	}
	if _, err := c.Customers.List(t.Context(), &ListCustomersParams{Cursor: "secret-cursor"}); err != nil {
		t.Fatalf("Customers.List() error = %v", err)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	for _, want := range []string{`"level":"DEBUG"`, `"method":"GET"`, `"path":"/v2/customers"`, `"status":200`, `"attempt":1`, `"duration"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log = %s, want it to contain %s", out, want)
		}
	}
	for _, banned := range []string{testToken, "secret-cursor"} {
		if strings.Contains(out, banned) {
			t.Errorf("log = %s, want no %q in it", out, banned)
		}
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestMalformedSuccessBodyIsAnError(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/customers/C1", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"customer": {"id": "C1", `)
	})
	got, err := env.client.Customers.Get(t.Context(), "C1")
	if err == nil {
		t.Fatalf("Customers.Get(ctx, C1) = %+v, want a decoding error", got)
	}
	if _, isSquare := asError(err); isSquare || !errors.Is(err, ErrMalformedAnswer) {
		t.Errorf("Customers.Get(ctx, C1) error = %#v, want ErrMalformedAnswer", err)
	}
	if got := env.recordedSleeps(); len(got) != 0 {
		t.Errorf("Customers.Get(ctx, C1) slept %v, want no retry of a malformed success", got)
	}
}

func TestSuccessWithoutTheObjectIsAnError(t *testing.T) {
	t.Parallel()
	env := setup(t)
	env.mux.HandleFunc("/v2/customers/C1", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{}`)
	})
	if got, err := env.client.Customers.Get(t.Context(), "C1"); err == nil {
		t.Errorf("Customers.Get(ctx, C1) = %+v, want an error for a missing customer", got)
	}
}
