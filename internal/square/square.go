// Package square is a typed client for the parts of Square's API that Tessera
// uses: customers, cards on file, OAuth tokens, merchants and locations.
//
// It is shaped like go-github: a Client holds one service per resource, every
// method takes a context first, every request goes through one path
// (newRequest, do, checkResponse), failures are *Error values that the Is*
// predicates understand, and cursor paging is exposed as iter.Seq2.
//
// The client talks to real Square unchanged; local mode only swaps the base
// URL and plugs an in-process http.RoundTripper into Options.Transport.
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
	"net/url"
	"time"

	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/tessera-dashboard/tessera/internal/pause"
)

// ErrMalformedAnswer is wrapped in the error of a call whose successful
// answer could not be decoded; it is not retried.
var ErrMalformedAnswer = errors.New("malformed JSON")

// Base URLs of Square's two hosted environments.
const (
	ProductionBaseURL = "https://connect.squareup.com"
	SandboxBaseURL    = "https://connect.squareupsandbox.com"
)

// DefaultSquareVersion is the API version sent when Options.SquareVersion is
// empty. Pinning it keeps responses stable when the application's default
// version changes in Square's Developer Console.
const DefaultSquareVersion = "2025-08-20"

const (
	userAgent      = "tessera"
	defaultTimeout = 30 * time.Second
	// maxResponseBytes bounds what one response may make us buffer; Square's
	// largest pages are far smaller, so more than this is a broken server.
	maxResponseBytes = 8 << 20
)

// Options configures a Client. Only BaseURL is required.
type Options struct {
	// BaseURL is the API root, usually ProductionBaseURL or SandboxBaseURL.
	// Any absolute URL is accepted so that local mode and tests can point the
	// client elsewhere; a path prefix is kept.
	BaseURL string
	// AuthorizeURL is where browsers are sent to grant access. It defaults to
	// BaseURL + "/oauth2/authorize"; local mode sets a browser-reachable URL
	// because its BaseURL exists only inside the process.
	AuthorizeURL string
	// HTTPClient sends the requests. When nil, a client with a 30 s timeout
	// and Transport is built.
	HTTPClient *http.Client
	// Transport is used for the default HTTP client when HTTPClient is nil;
	// local mode plugs an in-process handler in here.
	Transport http.RoundTripper
	// SquareVersion is sent as the Square-Version header on every request.
	SquareVersion string
	// AccessToken is sent as a bearer token. It may be empty for a client
	// that only does OAuth; use WithAccessToken for per-merchant clients.
	AccessToken string
	// ClientID and ClientSecret are the application's credentials, used by
	// the OAuth service only.
	ClientID     string
	ClientSecret string
	// Logger receives one Debug record per attempt. Nil discards them.
	Logger *slog.Logger
	// Retry tunes retries of safe requests; zero fields take defaults.
	Retry RetryPolicy
}

// Client talks to Square's API. A Client is safe for concurrent use. It holds
// at most one access token: make one per signed-in merchant with
// WithAccessToken rather than changing a shared one.
type Client struct {
	httpClient    *http.Client
	baseURL       *url.URL
	authorizeURL  string
	squareVersion string
	accessToken   string
	clientID      string
	clientSecret  string
	logger        *slog.Logger
	retry         RetryPolicy
	// sleep waits between attempts; tests replace it so they need not wait.
	sleep func(ctx context.Context, d time.Duration) error

	common service

	// Customers is the Customers API (and customer groups).
	Customers *CustomersService
	// Cards is the Cards API for cards on file.
	Cards *CardsService
	// OAuth obtains, refreshes, inspects and revokes access tokens.
	OAuth *OAuthService
	// Merchants reads the merchant behind the access token.
	Merchants *MerchantsService
}

// service is the shared state of every service; the typed services are
// conversions of it so they all reach the same Client.
type service struct {
	client *Client
}

// NewClient validates opts, fills in defaults and returns a Client.
func NewClient(opts Options) (*Client, error) {
	base, err := parseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	if opts.HTTPClient != nil && opts.Transport != nil {
		return nil, errors.New("square: set Options.HTTPClient or Options.Transport, not both")
	}
	retry, err := opts.Retry.withDefaults()
	if err != nil {
		return nil, err
	}
	authorizeURL := opts.AuthorizeURL
	if authorizeURL == "" {
		authorizeURL = base.String() + "oauth2/authorize"
	}
	if _, err := parseAbsoluteURL(authorizeURL); err != nil {
		return nil, fmt.Errorf("square: Options.AuthorizeURL: %w", err)
	}
	httpClient := opts.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: defaultTimeout, Transport: opts.Transport}
	}
	version := opts.SquareVersion
	if version == "" {
		version = DefaultSquareVersion
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		httpClient:    httpClient,
		baseURL:       base,
		authorizeURL:  authorizeURL,
		squareVersion: version,
		accessToken:   opts.AccessToken,
		clientID:      opts.ClientID,
		clientSecret:  opts.ClientSecret,
		logger:        logger,
		retry:         retry,
		sleep:         pause.For,
	}
	c.initServices()
	return c, nil
}

// WithAccessToken returns a copy of c that sends token as its bearer token.
// The copy shares the HTTP client (and so its connection pool) but nothing
// that could leak one merchant's token into another's requests.
func (c *Client) WithAccessToken(token string) *Client {
	clone := *c
	clone.accessToken = token
	clone.initServices()
	return &clone
}

// initServices points every service at c; it must run again after a copy,
// or the copy's services would still use the original's token.
func (c *Client) initServices() {
	c.common.client = c
	c.Customers = (*CustomersService)(&c.common)
	c.Cards = (*CardsService)(&c.common)
	c.OAuth = (*OAuthService)(&c.common)
	c.Merchants = (*MerchantsService)(&c.common)
}

// parseBaseURL checks that raw is absolute and gives it a trailing slash, so
// that relative API paths resolve below any path prefix it has.
func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("square: Options.BaseURL is required")
	}
	u, err := parseAbsoluteURL(raw)
	if err != nil {
		return nil, fmt.Errorf("square: Options.BaseURL: %w", err)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("square: Options.BaseURL %q must not have a query or fragment", raw)
	}
	if len(u.Path) == 0 || u.Path[len(u.Path)-1] != '/' {
		u.Path += "/"
		u.RawPath = ""
	}
	return u, nil
}

// parseAbsoluteURL parses raw and insists on a scheme and a host.
func parseAbsoluteURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("%q needs a scheme and a host", raw)
	}
	return u, nil
}

// request is an outgoing call plus what do needs to know beyond HTTP.
type request struct {
	*http.Request
	// retrySafe marks a POST that Square treats as idempotent (it carries an
	// idempotency key, or only reads), so do may send it more than once.
	retrySafe bool
	// secrets are values (tokens, client secret, codes) that must never
	// appear in an error string, even if a server echoes them back.
	secrets []string
}

// retryable reports whether sending r twice cannot do harm.
func (r *request) retryable() bool {
	return r.Method == http.MethodGet || r.retrySafe
}

// newRequest builds a request for path, which is relative to the base URL
// and may carry a query string. A non-nil body is sent as JSON; if it holds
// a JSON null the X-Clear-Null header tells Square the nulls mean "clear".
func (c *Client) newRequest(ctx context.Context, method, path string, body any) (*request, error) {
	u, err := c.baseURL.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("square: bad path %q: %w", path, err)
	}
	var payload []byte
	if body != nil {
		payload, err = encodeJSON(body)
		if err != nil {
			return nil, fmt.Errorf("square: encoding %s %s body: %w", method, u.Path, err)
		}
	}
	var reader io.Reader
	if payload != nil {
		reader = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reader)
	if err != nil {
		return nil, fmt.Errorf("square: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Square-Version", c.squareVersion)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
		if containsNull(payload) {
			req.Header.Set("X-Clear-Null", "true")
		}
	}
	r := &request{Request: req}
	if c.accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.accessToken)
		r.secrets = append(r.secrets, c.accessToken)
	}
	return r, nil
}

// encodeJSON marshals v without HTML escaping, so that what Square stores is
// byte for byte what the user typed.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// containsNull reports whether the JSON document b has a null anywhere.
func containsNull(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if tok == nil {
			return true
		}
	}
}

// response is a fully read HTTP response; reading it whole lets the
// connection be reused and keeps decoding apart from the network.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends r, retrying when that is safe and useful, and decodes a successful
// JSON body into v (which may be nil). It is the only place that retries:
// GETs and retry-safe POSTs are retried on network errors, 429 and 5xx with
// jittered exponential backoff (or Retry-After), never past ctx's deadline.
func (c *Client) do(r *request, v any) error {
	ctx := r.Context()
	attempts := 1
	if r.retryable() {
		attempts = c.retry.MaxAttempts
	}
	for attempt := 1; ; attempt++ {
		retryable, err := c.attempt(r, attempt, v)
		if err == nil {
			return nil
		}
		if !retryable || attempt >= attempts {
			return err
		}
		delay := c.retry.delay(attempt, err)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
			return err
		}
		if serr := c.sleep(ctx, delay); serr != nil {
			return fmt.Errorf("square: %s %s: gave up waiting to retry: %w (last attempt: %w)", r.Method, r.URL.Path, serr, err)
		}
	}
}

// attempt sends r once. It reports whether a failure is worth retrying, which
// does not yet consider whether r itself may be retried.
func (c *Client) attempt(r *request, n int, v any) (bool, error) {
	ctx := r.Context()
	start := time.Now()
	resp, err := c.send(r)
	if err != nil {
		c.logger.DebugContext(ctx, "square request failed",
			"method", r.Method, "path", r.URL.Path, "attempt", n,
			"duration", time.Since(start), "error", err)
		// A cancelled or expired context is the caller's decision, not a
		// transient fault.
		return ctx.Err() == nil, fmt.Errorf("square: %s %s: %w", r.Method, r.URL.Path, err)
	}
	c.logger.DebugContext(ctx, "square request",
		"method", r.Method, "path", r.URL.Path, "status", resp.status,
		"attempt", n, "duration", time.Since(start))
	if err := checkResponse(r, resp); err != nil {
		return retryableStatus(resp.status), err
	}
	if v == nil || len(bytes.TrimSpace(resp.body)) == 0 {
		return false, nil
	}
	// Answers are decoded by the implementation of encoding/json that Go
	// 1.27 makes standard (json/v2 under the v1 API, from its mirror
	// module): the same semantics as encoding/json, in about 60 % of the
	// time. Decoding a page of customers was the largest single cost of a
	// directory page.
	if err := jsonv1.Unmarshal(resp.body, v); err != nil {
		return false, fmt.Errorf("square: %s %s: %w of a %d answer: %w", r.Method, r.URL.Path, ErrMalformedAnswer, resp.status, err)
	}
	return false, nil
}

// send performs one round trip with a fresh copy of the body, reads the
// whole response and closes it.
func (c *Client) send(r *request) (*response, error) {
	req := r.Request
	if r.GetBody != nil {
		body, err := r.GetBody()
		if err != nil {
			return nil, err
		}
		req = r.Clone(r.Context())
		req.Body = body
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("response larger than %d bytes", maxResponseBytes)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// checkResponse turns a non-2xx response into an *Error that carries the
// request's method and path and none of its secrets.
func checkResponse(r *request, resp *response) error {
	if resp.status >= 200 && resp.status <= 299 {
		return nil
	}
	e := decodeError(resp.status, resp.header, resp.body, time.Now())
	e.Method = r.Method
	e.Path = r.URL.Path
	e.redact(r.secrets)
	return e
}

// retryableStatus reports whether a response with this status may succeed
// if sent again.
func retryableStatus(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}
