// Package squarelocal is an in-memory emulator of the Square API endpoints
// Tessera uses: customers, customer groups, cards, OAuth, merchants and
// locations, plus a consent page and a stand-in for the Web Payments SDK.
//
// It follows docs/square.md; where Square's behaviour is not documented
// it does what docs/square.md#open-points settles. It never imports
// internal/square, so the contract tests between the two catch a mistake on
// either side.
package squarelocal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"regexp"
	"sync"
	"time"
)

// DefaultSquareVersion is the version assumed when a request sends no
// Square-Version header (Square uses the app's pinned version).
const DefaultSquareVersion = "2025-08-20"

// cardsRetiredVersion is the first Square-Version without Customer.cards.
const cardsRetiredVersion = "2024-12-18"

// cardTimesVersion is the first Square-Version whose Card has created_at
// and disabled_at (Square's Go SDK v3.1.0 has them at 2026-05-20; the
// 2025-08-20 release of Square's API document has neither).
const cardTimesVersion = "2026-05-20"

// maxBodyBytes bounds request bodies; Square rejects larger ones too.
const maxBodyBytes = 1 << 20

// Scopes the emulator enforces.
const (
	ScopeCustomersRead       = "CUSTOMERS_READ"
	ScopeCustomersWrite      = "CUSTOMERS_WRITE"
	ScopePaymentsRead        = "PAYMENTS_READ"
	ScopePaymentsWrite       = "PAYMENTS_WRITE"
	ScopeMerchantProfileRead = "MERCHANT_PROFILE_READ"
)

// AllScopes lists every scope the emulator knows, as a personal access token has.
var AllScopes = []string{ScopeCustomersRead, ScopeCustomersWrite, ScopePaymentsRead, ScopePaymentsWrite, ScopeMerchantProfileRead}

// App is an OAuth application registered with the emulator.
type App struct {
	ClientID     string
	ClientSecret string
	// RedirectURIs are the registered redirect URLs; the first is the
	// default when an authorize request names none.
	RedirectURIs []string
}

// Built-in credentials of the local app, used when Options.Apps is empty.
const (
	LocalClientID     = "sandbox-sq0idb-tessera-local"
	LocalClientSecret = "sandbox-sq0csb-tessera-local-secret"
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// CustomersPerMerchant is how many demo customers each merchant gets;
	// 0 means DefaultCustomers, a negative number means none.
	CustomersPerMerchant int
	// Seed makes the demo data deterministic; 0 means 1.
	Seed int64
	// Now is the wall clock; Advance moves the emulator's clock past it.
	Now func() time.Time
	// Apps are the registered OAuth apps; empty means the built-in local app
	// with any redirect URI allowed.
	Apps []App
	// PersonalAccessToken, when set, is a never-expiring token with every
	// scope for the first merchant, as Square's personal access tokens are.
	PersonalAccessToken string
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
	// ControlHosts are the Host header values (host:port) whose requests
	// the controls under /_squarelocal/ answer; empty means any loopback
	// name (localhost, 127.0.0.1, [::1]) on any port.
	ControlHosts []string
}

// DefaultCustomers is the number of demo customers per merchant.
const DefaultCustomers = 300

// Server is the emulator. It is an http.Handler serving Square's paths at
// its root; mount it under a prefix with http.StripPrefix.
type Server struct {
	opts   Options
	logger *slog.Logger
	mux    *http.ServeMux

	// mu guards all of Square's data below; API handlers run under it.
	mu        sync.RWMutex
	merchants []*merchantData // in seed order; the first is preselected
	byID      map[string]*merchantData
	apps      map[string]App
	tokens    map[string]*accessToken // by access token
	refresh   map[string]*refreshToken
	codes     map[string]*authCode
	idem      map[string]idemEntry // by merchant + endpoint + key
	nonces    map[string]*nonceUse // card tokens already used
	ids       *idSource

	clockMu sync.Mutex
	offset  time.Duration

	calls  callLog
	faults faultSet
	hooks  hookSet

	closing   chan struct{}
	closeOnce sync.Once
}

// merchantData is one seller's share of the emulator: nothing crosses
// between two merchants' values.
type merchantData struct {
	Merchant  Merchant
	Locations []Location
	customers *customerStore
	groups    []*CustomerGroup
	cards     []*Card // in creation order
	cardByID  map[string]*Card
}

// New builds an emulator with seeded demo data.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.CustomersPerMerchant == 0 {
		opts.CustomersPerMerchant = DefaultCustomers
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:    opts,
		logger:  logger,
		byID:    map[string]*merchantData{},
		apps:    map[string]App{},
		tokens:  map[string]*accessToken{},
		refresh: map[string]*refreshToken{},
		codes:   map[string]*authCode{},
		idem:    map[string]idemEntry{},
		nonces:  map[string]*nonceUse{},
		ids:     newIDSource(opts.Seed),
		closing: make(chan struct{}),
	}
	for _, a := range opts.Apps {
		s.apps[a.ClientID] = a
	}
	if len(s.apps) == 0 {
		s.apps[LocalClientID] = App{ClientID: LocalClientID, ClientSecret: LocalClientSecret}
	}
	s.seed()
	if opts.PersonalAccessToken != "" {
		s.tokens[opts.PersonalAccessToken] = &accessToken{
			Token:      opts.PersonalAccessToken,
			MerchantID: s.merchants[0].Merchant.ID,
			Scopes:     AllScopes,
			Personal:   true,
		}
	}
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// Close releases requests held by a "hang" fault and ends every webhook
// subscription, cancelling a delivery under way and waiting for the
// delivery goroutines to finish. The API stays usable.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.stopDeliveries()
}

// Now is the emulator's clock: the wall clock plus whatever Advance added.
func (s *Server) Now() time.Time {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	return s.opts.Now().Add(s.offset).UTC()
}

// Advance moves the emulator's clock forward, so tests can expire tokens
// and authorization codes without waiting.
func (s *Server) Advance(d time.Duration) {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	s.offset += d
}

// timestamp formats t as Square does: RFC 3339, UTC, milliseconds.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// Merchants returns the seeded merchants in order; the first is the one the
// consent page preselects.
func (s *Server) Merchants() []Merchant {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Merchant, len(s.merchants))
	for i, m := range s.merchants {
		out[i] = m.Merchant
	}
	return out
}

// apiError is an error answer in Square's shape.
type apiError struct {
	Status int
	Errors []ErrorDetail
	// RetryAfter, in seconds, is sent as a header when positive.
	RetryAfter int
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s", e.Status, e.Errors[0].Code)
}

// Error categories.
const (
	catInvalidRequest = "INVALID_REQUEST_ERROR"
	catAuthentication = "AUTHENTICATION_ERROR"
	catRateLimit      = "RATE_LIMIT_ERROR"
	catAPI            = "API_ERROR"
)

// newError builds a one-entry error answer.
func newError(status int, category, code, field, detail string) *apiError {
	return &apiError{Status: status, Errors: []ErrorDetail{{Category: category, Code: code, Field: field, Detail: detail}}}
}

// badRequest is the common 400 INVALID_REQUEST_ERROR.
func badRequest(code, field, detail string) *apiError {
	return newError(http.StatusBadRequest, catInvalidRequest, code, field, detail)
}

// notFound is Square's 404 for an unknown object.
func notFound(detail string) *apiError {
	return newError(http.StatusNotFound, catInvalidRequest, "NOT_FOUND", "", detail)
}

// writeJSON answers with v as JSON. HTML characters are not escaped, as
// Square does not escape them.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var body []byte
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"errors":[{"category":"API_ERROR","code":"INTERNAL_SERVER_ERROR"}]}`)
	} else {
		body = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Square-Version", DefaultSquareVersion)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(e.RetryAfter))
	}
	writeJSON(w, e.Status, map[string]any{"errors": e.Errors})
}

// request is what an API handler gets: the HTTP request with its body
// already read, the caller's merchant and token, and the time of the call.
type request struct {
	*http.Request
	Body     []byte
	Merchant *merchantData // nil on routes without bearer auth
	Token    *accessToken
	Version  string // Square-Version of the request
	Now      time.Time
}

// decode unmarshals the JSON body into v. An empty body decodes as {}.
func (r *request) decode(v any) *apiError {
	body := bytes.TrimSpace(r.Body)
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return wrongType(typeErr.Field, typeErr.Type)
		}
		// Square answers a body that is not JSON at all with BAD_REQUEST
		// and the parser's message.
		return badRequest("BAD_REQUEST", "", "The request body is not valid JSON.")
	}
	return nil
}

// wrongType is Square's answer to a value of the wrong JSON type: one of
// its generic EXPECTED_* codes, named after the type the field needs. A
// field whose Go type has no such code (none today) gets INVALID_VALUE.
func wrongType(field string, want reflect.Type) *apiError {
	code, noun := "INVALID_VALUE", "a different type"
	switch want.Kind() {
	case reflect.String:
		code, noun = "EXPECTED_STRING", "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		code, noun = "EXPECTED_INTEGER", "an integer"
	case reflect.Float32, reflect.Float64:
		code, noun = "EXPECTED_FLOAT", "a number"
	case reflect.Bool:
		code, noun = "EXPECTED_BOOLEAN", "a boolean"
	case reflect.Slice, reflect.Array:
		code, noun = "EXPECTED_ARRAY", "an array"
	case reflect.Map:
		code, noun = "EXPECTED_MAP", "a map"
	case reflect.Struct, reflect.Pointer:
		code, noun = "EXPECTED_OBJECT", "an object"
	}
	if field == "" {
		return badRequest("EXPECTED_JSON_BODY", "", "The request body must be a JSON object.")
	}
	return badRequest(code, field, fmt.Sprintf("Expected %s for `%s`.", noun, field))
}

// wantsCards reports whether the request's Square-Version still has
// Customer.cards (retired at 2024-12-18).
func (r *request) wantsCards() bool { return r.Version < cardsRetiredVersion }

// cardView is a card as the request's Square-Version shows it: without
// created_at and disabled_at before the version that added them.
func (r *request) cardView(c *Card) Card {
	out := *c
	if r.Version < cardTimesVersion {
		out.CreatedAt, out.DisabledAt = "", ""
	}
	return out
}

// readOnlyPOSTs are the POST endpoints that only read. They share the read
// lock with GETs, so a search does not queue behind, or block, other calls.
var readOnlyPOSTs = map[string]bool{
	"POST /v2/customers/search":        true,
	"POST /v2/customers/bulk-retrieve": true,
}

// apiHandler answers with a JSON body or an error.
type apiHandler func(r *request) (any, *apiError)

var versionPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// api registers a bearer-authenticated JSON endpoint. scope is the
// permission the token needs; write says whether the handler changes data
// and so must hold the write lock.
func (s *Server) api(pattern, scope string, handler apiHandler) {
	write := pattern[:4] != "GET " && !readOnlyPOSTs[pattern]
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, hr *http.Request) {
		out, apiErr := s.locked(hr, write, scope, handler)
		if apiErr != nil {
			writeError(w, apiErr)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// locked authenticates the request and runs the handler under the lock.
// The answer is encoded after the lock is released: handlers answer with
// copies, whose shared parts are never changed in place (a customer is
// replaced, never modified), so encoding needs no lock. Under load, a
// write holding the lock while its answer was encoded kept every other
// call waiting.
func (s *Server) locked(hr *http.Request, write bool, scope string, handler apiHandler) (any, *apiError) {
	r, apiErr := s.newRequest(hr)
	if apiErr != nil {
		return nil, apiErr
	}
	if write {
		s.mu.Lock()
		defer s.mu.Unlock()
	} else {
		s.mu.RLock()
		defer s.mu.RUnlock()
	}
	if apiErr := s.authenticate(r, scope); apiErr != nil {
		return nil, apiErr
	}
	return handler(r)
}

// public registers a JSON endpoint without bearer authentication (the
// OAuth token endpoints check their own credentials).
func (s *Server) public(pattern string, handler apiHandler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, hr *http.Request) {
		r, apiErr := s.newRequest(hr)
		if apiErr == nil {
			s.mu.Lock()
			defer s.mu.Unlock()
			var out any
			out, apiErr = handler(r)
			if apiErr == nil {
				writeJSON(w, http.StatusOK, out)
				return
			}
		}
		writeError(w, apiErr)
	})
}

// newRequest reads the body and the Square-Version header.
func (s *Server) newRequest(hr *http.Request) (*request, *apiError) {
	body, err := io.ReadAll(io.LimitReader(hr.Body, maxBodyBytes+1))
	if err != nil {
		return nil, badRequest("BAD_REQUEST", "", "The request body could not be read.")
	}
	if len(body) > maxBodyBytes {
		return nil, newError(http.StatusRequestEntityTooLarge, catInvalidRequest, "REQUEST_ENTITY_TOO_LARGE", "", "The request body is too large.")
	}
	version := hr.Header.Get("Square-Version")
	if version == "" {
		version = DefaultSquareVersion
	} else if !versionPattern.MatchString(version) {
		return nil, badRequest("INVALID_SQUARE_VERSION_FORMAT", "", "Square-Version must look like YYYY-MM-DD.")
	}
	return &request{Request: hr, Body: body, Version: version, Now: s.Now()}, nil
}

// ServeHTTP serves Square's paths, applying injected faults and recording
// each call in the call log.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	_, pattern := s.mux.Handler(r)
	rec := &statusRecorder{ResponseWriter: w}
	entry := newCall(r, pattern, start)

	defer func() {
		entry.Status = rec.status
		entry.Duration = time.Since(start)
		s.calls.add(entry)
		s.logger.Debug("squarelocal", "method", r.Method, "path", r.URL.Path, "status", rec.status, "fault", entry.Fault)
	}()

	if pattern == "" {
		// Square answers unknown paths with its own JSON 404.
		rec.status = http.StatusNotFound
		writeError(rec, notFound("The requested resource was not found."))
		return
	}
	if s.applyFaults(rec, r, pattern, &entry) {
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// statusRecorder remembers the status code for the call log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
