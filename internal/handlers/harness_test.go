package handlers_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/app"
	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/indexsync"
	"github.com/tessera-dashboard/tessera/internal/live"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/squarelocal/consentform"
	"github.com/tessera-dashboard/tessera/internal/testutil"
)

// The harness runs the real Echo from handlers.New on a real listener, with
// a real SQLite store and session manager, and squarelocal in process
// behind the real Square client, as cmd/web wires local mode. One fake
// clock drives the handlers, the sessions and the emulator, so moving it
// expires sessions and tokens everywhere at once.

// customersPerMerchant is how many customers the first seeded merchant
// gets (the second gets a third): more than one page of 50, so paging
// shows, and few enough to seed fast.
const customersPerMerchant = 75

// testSecret is the session secret of every harness.
var testSecret = []byte("handlers-test-secret-0123456789abcdef")

// fakeClock is a clock tests move by hand; it is safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// wireCall is one request the Square client sent, with both JSON bodies,
// so tests can see what the call log does not: grant types, the tokens
// Square handed out, the revoke flags.
type wireCall struct {
	Method, Path string
	Request      map[string]any
	Status       int
	Response     map[string]any
}

// wireRecorder is a RoundTripper between the Square client and squarelocal
// that records every exchange.
type wireRecorder struct {
	next  http.RoundTripper
	mu    sync.Mutex
	calls []wireCall
}

func (w *wireRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	call := wireCall{Method: req.Method, Path: req.URL.Path}
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		_ = json.Unmarshal(body, &call.Request)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := w.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	call.Status = resp.StatusCode
	_ = json.Unmarshal(body, &call.Response)
	w.mu.Lock()
	w.calls = append(w.calls, call)
	w.mu.Unlock()
	return resp, nil
}

// find returns the recorded calls of method and path, oldest first.
func (w *wireRecorder) find(method, path string) []wireCall {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []wireCall
	for _, c := range w.calls {
		if c.Method == method && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// issuedTokens returns every access and refresh token Square handed out.
func (w *wireRecorder) issuedTokens() []string {
	var out []string
	for _, c := range w.find(http.MethodPost, "/oauth2/token") {
		for _, k := range []string{"access_token", "refresh_token"} {
			if s, _ := c.Response[k].(string); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// harness is one Tessera under test.
type harness struct {
	t        testing.TB
	srv      *httptest.Server
	base     *url.URL
	cfg      *config.Config
	emu      *squarelocal.Server
	square   *square.Client
	sessions *session.Manager
	db       app.Database
	// index and syncer are Tessera's customer index and what fills it.
	index  app.CustomerIndex
	syncer *indexsync.Syncer
	clock  *fakeClock
	logs   *testutil.SyncBuffer
	wire   *wireRecorder
	// live is the broker of the live updates.
	live *live.Broker
	// replicas are the Tesseras behind srv when there are several
	// (withPostgres and addReplica); front sends each request to one.
	replicas []*app.App
	front    atomic.Int32
	appOpts  app.Options
	logger   *slog.Logger
}

// harnessOptions change the harness's configuration.
type harnessOptions struct {
	tls            bool
	pkce           bool
	trustedProxies []netip.Prefix
	// allowed picks the allowed merchants from the seeded ones; nil allows any.
	allowed func([]squarelocal.Merchant) []string
	// idle and absolute override the session timeouts when not zero.
	idle, absolute time.Duration
	// maxSignedOut overrides how many signed-out sessions are kept.
	maxSignedOut int
	// noRevocation runs as Square's PKCE flow without the application
	// secret does, where Tessera cannot revoke tokens.
	noRevocation bool
	// squareTransport, when not nil, puts its wrapper of the emulator's
	// transport between the Square client and squarelocal in place of the
	// wire recorder, which then records nothing.
	squareTransport func(http.RoundTripper) http.RoundTripper
	// requestTimeout shortens each request's deadline when not zero.
	requestTimeout time.Duration
	// indexOff runs as TESSERA_INDEX=off: no customer index at all.
	indexOff bool
	// webhookKey is the webhook subscription's signature key.
	webhookKey string
	// liveHeartbeat shortens the live streams' heartbeat when not zero.
	liveHeartbeat time.Duration
	// customers seeds the first merchant with that many customers in
	// place of customersPerMerchant when not zero.
	customers int
	// postgres is the database's URL when Tessera keeps its state in
	// PostgreSQL; "" for SQLite.
	postgres string
	// jobLease shortens the jobs' leases when not zero.
	jobLease time.Duration
}

type harnessOption func(*harnessOptions)

// withIndexOff runs Tessera as TESSERA_INDEX=off sets it.
func withIndexOff() harnessOption { return func(o *harnessOptions) { o.indexOff = true } }

// withTLS serves https, with the base URL https.
func withTLS() harnessOption { return func(o *harnessOptions) { o.tls = true } }

// withPKCE selects Square's PKCE flow.
func withPKCE() harnessOption { return func(o *harnessOptions) { o.pkce = true } }

// withTrustedProxies believes X-Forwarded-* from these networks.
func withTrustedProxies(p ...netip.Prefix) harnessOption {
	return func(o *harnessOptions) { o.trustedProxies = p }
}

// withAllowedMerchants turns the allowlist on.
func withAllowedMerchants(pick func([]squarelocal.Merchant) []string) harnessOption {
	return func(o *harnessOptions) { o.allowed = pick }
}

// withSessionTimeouts lets a session live long enough for a token to come
// due, which takes weeks; the session's own timeouts are tested elsewhere.
func withSessionTimeouts(idle, absolute time.Duration) harnessOption {
	return func(o *harnessOptions) { o.idle, o.absolute = idle, absolute }
}

// withMaxSignedOut keeps at most n signed-out sessions.
func withMaxSignedOut(n int) harnessOption {
	return func(o *harnessOptions) { o.maxSignedOut = n }
}

// withoutRevocation gives the sessions no revoker, as internal/app does for
// Square's PKCE flow without the application secret.
func withoutRevocation() harnessOption {
	return func(o *harnessOptions) { o.noRevocation = true }
}

// withSquareTransport wraps the transport the Square client reaches
// squarelocal through, so that benchmarks can time the calls without the
// wire recorder's decoding of every body in the way.
func withSquareTransport(wrap func(http.RoundTripper) http.RoundTripper) harnessOption {
	return func(o *harnessOptions) { o.squareTransport = wrap }
}

// withRequestTimeout shortens each request's deadline, so that a Square
// that never answers is given up on soon.
func withRequestTimeout(d time.Duration) harnessOption {
	return func(o *harnessOptions) { o.requestTimeout = d }
}

// withPostgres keeps Tessera's state in the PostgreSQL database at url, as
// TESSERA_DATABASE_URL does, so that more replicas can join (addReplica).
// Each replica runs what needs running for others to see its changes
// (the live updates' log) and to take its jobs over.
func withPostgres(url string) harnessOption { return func(o *harnessOptions) { o.postgres = url } }

// withJobLease shortens the jobs' leases, so that a replica takes over a
// stopped one's job in a second or two.
func withJobLease(d time.Duration) harnessOption { return func(o *harnessOptions) { o.jobLease = d } }

// withWebhookKey configures the webhook subscription's signature key.
func withWebhookKey(key string) harnessOption {
	return func(o *harnessOptions) { o.webhookKey = key }
}

// newHarness starts a Tessera in local mode and stops it when the test (or
// benchmark) ends.
func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	var o harnessOptions
	for _, opt := range opts {
		opt(&o)
	}
	h := &harness{
		t:     t,
		clock: &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)},
		logs:  &testutil.SyncBuffer{},
	}
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	// The listener comes first: the base URL, the only source of absolute
	// URLs, must be the address the test client really reaches.
	h.srv = httptest.NewUnstartedServer(nil)
	scheme := "http"
	if o.tls {
		scheme = "https"
	}
	h.base = &url.URL{Scheme: scheme, Host: h.srv.Listener.Addr().String()}

	h.cfg = &config.Config{
		Addr:                h.base.Host,
		BaseURL:             h.base,
		DataDir:             t.TempDir(),
		SessionSecrets:      [][]byte{testSecret},
		AllowAnyMerchant:    o.allowed == nil,
		TrustedProxies:      o.trustedProxies,
		LogLevel:            slog.LevelDebug,
		LogFormat:           config.LogText,
		Environment:         config.Local,
		SquareVersion:       config.DefaultSquareVersion,
		OAuthPKCE:           o.pkce,
		WebhookSignatureKey: o.webhookKey,
		IndexOff:            o.indexOff,
		DatabaseURL:         o.postgres,
	}
	// The emulator comes before the allowlist, which picks from the
	// merchants it seeded.
	appOpts := app.Options{EmulatorCustomers: cmp.Or(o.customers, customersPerMerchant), Now: h.clock.Now}
	h.emu = app.NewEmulator(h.cfg, logger, appOpts)
	t.Cleanup(h.emu.Close)
	if o.allowed != nil {
		h.cfg.AllowedMerchants = o.allowed(h.emu.Merchants())
	}

	// Tessera is assembled exactly as cmd/web assembles it; the harness
	// only brings the clock, the emulator it seeded, and the wire recorder.
	h.wire = &wireRecorder{}
	wrap := func(next http.RoundTripper) http.RoundTripper {
		h.wire.next = next
		return h.wire
	}
	if o.squareTransport != nil {
		wrap = o.squareTransport
	}
	appOpts.Emulator = h.emu
	appOpts.SessionIdle, appOpts.SessionAbsolute = o.idle, o.absolute
	appOpts.RequestTimeout, appOpts.WrapSquareTransport = o.requestTimeout, wrap
	appOpts.MaxSignedOut, appOpts.NoRevocation = o.maxSignedOut, o.noRevocation
	appOpts.LiveHeartbeat, appOpts.JobLease = o.liveHeartbeat, o.jobLease
	h.appOpts, h.logger = appOpts, logger
	tessera := h.addReplica()
	h.db, h.sessions, h.square = tessera.DB, tessera.Sessions, tessera.Square
	h.index, h.syncer = tessera.Index, tessera.Syncer
	h.live = tessera.Live
	h.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.replicas[h.front.Load()].Handler.ServeHTTP(w, r)
	})
	if o.tls {
		h.srv.StartTLS()
	} else {
		h.srv.Start()
	}
	t.Cleanup(h.srv.Close)
	return h
}

// addReplica starts one more Tessera on the harness's configuration and
// emulator, as cmd/web does: with PostgreSQL (withPostgres) it shares the
// first one's state, and runs its live updates' log and its jobs' claims
// until the test ends or stopReplica. It does not take requests until
// serveFrom says so.
func (h *harness) addReplica() *app.App {
	h.t.Helper()
	tessera, err := app.New(h.t.Context(), h.cfg, h.logger, h.appOpts)
	if err != nil {
		h.t.Fatalf("app.New: %v", err)
	}
	h.t.Cleanup(func() { _ = tessera.DB.Close() })
	// Bulk jobs stop before the store closes under them.
	h.t.Cleanup(func() { tessera.Jobs.Stop(); tessera.Jobs.Wait() })
	if h.cfg.UsesPostgres() {
		ctx, cancel := context.WithCancel(context.WithoutCancel(h.t.Context()))
		var wg sync.WaitGroup
		wg.Go(func() { tessera.Live.Run(ctx) })
		wg.Go(func() { tessera.Jobs.Run(ctx) })
		h.t.Cleanup(func() { cancel(); wg.Wait() })
	}
	h.replicas = append(h.replicas, tessera)
	return tessera
}

// serveFrom sends every request from now on to replica i, as a load
// balancer that found the others gone would.
func (h *harness) serveFrom(i int) { h.front.Store(int32(i)) }

// merchant returns the i-th seeded merchant.
func (h *harness) merchant(i int) squarelocal.Merchant {
	h.t.Helper()
	ms := h.emu.Merchants()
	if i >= len(ms) {
		h.t.Fatalf("squarelocal has %d merchants, want at least %d", len(ms), i+1)
	}
	return ms[i]
}

// tokenCalls counts the token exchanges and refreshes squarelocal received.
func (h *harness) tokenCalls() int { return h.emu.CountCalls("POST /oauth2/token", 0) }

// revokeCalls counts the revocations squarelocal received.
func (h *harness) revokeCalls() int { return h.emu.CountCalls("POST /oauth2/revoke", 0) }

// revokeMerchant revokes every token the app holds for a merchant, as a
// seller disconnecting the app in Square's dashboard does. It talks to the
// emulator directly, so Tessera learns of it only from Square's answers.
func (h *harness) revokeMerchant(merchantID string) {
	h.t.Helper()
	body := `{"client_id":"` + squarelocal.LocalClientID + `","merchant_id":"` + merchantID + `"}`
	req := httptest.NewRequest(http.MethodPost, "/oauth2/revoke", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Client "+squarelocal.LocalClientSecret)
	rec := httptest.NewRecorder()
	h.emu.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		h.t.Fatalf("revoking merchant %s at squarelocal = %d %s, want 200", merchantID, rec.Code, rec.Body)
	}
}

// tokenWorks reports whether Square still accepts an access token.
func (h *harness) tokenWorks(token string) bool {
	h.t.Helper()
	_, err := h.square.WithAccessToken(token).Merchants.Get(h.t.Context(), "me")
	if err != nil && !square.IsAuth(err) {
		h.t.Fatalf("Merchants.Get(me) = %v, want success or an auth error", err)
	}
	return err == nil
}

// sessionData reads the session a cookie value names, straight from the
// manager, or reports it signed out.
func (h *harness) sessionData(cookieValue string) (session.Data, bool) {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: h.sessions.CookieName(), Value: cookieValue})
	s, err := h.sessions.Load(req)
	if err != nil {
		h.t.Fatalf("sessions.Load: %v", err)
	}
	return s.Data(), s.SignedIn()
}

// browser is one cookie jar talking to the harness. It never follows
// redirects, so that every hop is asserted.
type browser struct {
	h      *harness
	client *http.Client
	jar    http.CookieJar
	// header is sent with every request, as a browser's own headers are.
	header http.Header
}

func (h *harness) newBrowser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatalf("cookiejar.New: %v", err)
	}
	return &browser{
		h:   h,
		jar: jar,
		client: &http.Client{
			Jar:       jar,
			Transport: h.srv.Client().Transport,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
			Timeout: 30 * time.Second,
		},
		header: http.Header{},
	}
}

// page is a response with its body read and parsed.
type page struct {
	*http.Response
	Body string
	Doc  *goquery.Document
}

// testID finds the elements with a data-testid.
func (p *page) testID(id string) *goquery.Selection {
	return p.Doc.Find(`[data-testid="` + id + `"]`)
}

// location is the Location header, or "".
func (p *page) location() string { return p.Header.Get("Location") }

// url resolves a path or URL against the harness's base URL.
func (h *harness) url(target string) string {
	u, err := h.base.Parse(target)
	if err != nil {
		h.t.Fatalf("url %q: %v", target, err)
	}
	return u.String()
}

// do sends a request and reads and parses the answer; form, when not nil,
// is the urlencoded body. extra headers come after the browser's own.
func (b *browser) do(method, target string, form url.Values, extra http.Header) *page {
	b.h.t.Helper()
	resp := b.send(method, target, form, extra)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.h.t.Fatalf("%s %s: reading the body: %v", method, target, err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(raw))
	if err != nil {
		b.h.t.Fatalf("%s %s: parsing the body: %v", method, target, err)
	}
	return &page{Response: resp, Body: string(raw), Doc: doc}
}

// send sends a request as do does and returns the answer unread, for the
// benchmarks, which must not time parsing the page.
func (b *browser) send(method, target string, form url.Values, extra http.Header) *http.Response {
	b.h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.h.url(target), body)
	if err != nil {
		b.h.t.Fatalf("NewRequest(%s %s): %v", method, target, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range b.header {
		req.Header[k] = vs
	}
	for k, vs := range extra {
		req.Header[k] = vs
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.h.t.Fatalf("%s %s: %v", method, target, err)
	}
	return resp
}

func (b *browser) get(target string, extra ...string) *page {
	b.h.t.Helper()
	return b.do(http.MethodGet, target, nil, headers(extra...))
}

func (b *browser) post(target string, form url.Values, extra ...string) *page {
	b.h.t.Helper()
	return b.do(http.MethodPost, target, form, headers(extra...))
}

// headers turns "Name", "value" pairs into a header.
func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// expect fails the test unless the response has the status.
func expect(t testing.TB, p *page, status int) {
	t.Helper()
	if p.StatusCode != status {
		t.Fatalf("%s %s = %d, want %d\n%s", p.Request.Method, p.Request.URL.RequestURI(), p.StatusCode, status, truncate(p.Body))
	}
}

// expectRedirect fails the test unless the response is a 303 to target.
func expectRedirect(t testing.TB, p *page, target string) {
	t.Helper()
	expect(t, p, http.StatusSeeOther)
	if got := p.location(); got != target {
		t.Fatalf("%s %s: Location = %q, want %q", p.Request.Method, p.Request.URL.RequestURI(), got, target)
	}
}

func truncate(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// csrfToken scrapes the CSRF token from a page's form.
func csrfToken(t testing.TB, p *page) string {
	t.Helper()
	token, ok := p.Doc.Find(`input[name="_csrf"]`).First().Attr("value")
	if !ok || token == "" {
		t.Fatalf("%s %s has no CSRF token in input[name=_csrf]", p.Request.Method, p.Request.URL.RequestURI())
	}
	return token
}

// cookie returns the value of the browser's cookie, or "".
func (b *browser) cookie(name string) string {
	for _, c := range b.jar.Cookies(b.h.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// sessionCookie is the value of the browser's session cookie.
func (b *browser) sessionCookie() string { return b.cookie(b.h.sessions.CookieName()) }

// setCookie puts a cookie in the browser's jar, as if the server had set it.
func (b *browser) setCookie(name, value string) {
	b.jar.SetCookies(b.h.base, []*http.Cookie{{Name: name, Value: value, Path: "/", Secure: b.h.cfg.Secure()}})
}

// signedIn asks the home page, which sends signed-in people to the
// directory and everyone else to sign in. It counts as activity.
func (b *browser) signedIn() bool {
	b.h.t.Helper()
	p := b.get("/")
	expect(b.h.t, p, http.StatusSeeOther)
	switch p.location() {
	case "/customers":
		return true
	case "/login":
		return false
	}
	b.h.t.Fatalf("GET / redirects to %q, want /customers or /login", p.location())
	return false
}

// startLogin loads the sign-in page, presses the button and returns the
// authorize URL Tessera redirects to.
func (b *browser) startLogin(returnTo string) *url.URL {
	b.h.t.Helper()
	t := b.h.t
	p := b.get("/login")
	expect(t, p, http.StatusOK)
	p = b.post("/login", url.Values{"_csrf": {csrfToken(t, p)}, "return_to": {returnTo}})
	expect(t, p, http.StatusSeeOther)
	u, err := url.Parse(p.location())
	if err != nil || u.Path != "/squarelocal/oauth2/authorize" {
		t.Fatalf("POST /login: Location = %q, want the authorize URL under /squarelocal/oauth2/authorize", p.location())
	}
	return u
}

// consent loads squarelocal's consent page, picks the merchant and presses
// the button of the decision ("allow" or "deny"). It returns the callback
// URL squarelocal redirects to.
func (b *browser) consent(authorize *url.URL, merchantIndex int, decision string) *url.URL {
	b.h.t.Helper()
	t := b.h.t
	p := b.get(authorize.String())
	expect(t, p, http.StatusOK)
	if n := p.Doc.Find(`[data-testid="consent"] input[name="merchant_id"]`).Length(); merchantIndex >= n {
		t.Fatalf("consent page offers %d merchants, want at least %d", n, merchantIndex+1)
	}
	target, values, err := consentform.Answer(p.Doc, p.Request.URL, merchantIndex, decision)
	if err != nil {
		t.Fatalf("consent page: %v\n%s", err, truncate(p.Body))
	}
	p = b.post(target.String(), values)
	expect(t, p, http.StatusFound)
	cb, err := url.Parse(p.location())
	if err != nil || cb.Path != "/auth/callback" {
		t.Fatalf("consent: Location = %q, want the callback", p.location())
	}
	return cb
}

// signIn walks the whole sign-in as merchantIndex and returns the
// directory it lands on.
func (b *browser) signIn(merchantIndex int) *page {
	b.h.t.Helper()
	t := b.h.t
	cb := b.consent(b.startLogin(""), merchantIndex, "allow")
	p := b.get(cb.String())
	expectRedirect(t, p, "/customers")
	p = b.get("/customers")
	expect(t, p, http.StatusOK)
	return p
}

// signOut presses the sign-out button of a signed-in page.
func (b *browser) signOut() *page {
	b.h.t.Helper()
	t := b.h.t
	p := b.get("/settings/connection")
	expect(t, p, http.StatusOK)
	p = b.post("/logout", url.Values{"_csrf": {csrfToken(t, p)}})
	expectRedirect(t, p, "/login")
	return p
}

// s256 is the PKCE S256 challenge of a verifier.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
