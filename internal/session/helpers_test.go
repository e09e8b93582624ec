package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/store"
)

var (
	secretOld = []byte("old-secret-0123456789abcdef0123456789")
	secretNew = []byte("new-secret-0123456789abcdef0123456789")
)

const (
	accessToken  = "EAAAl-access-token-must-never-leak"
	refreshToken = "EQAAl-refresh-token-must-never-leak"
)

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// countingBackend counts the writes that reach the store.
type countingBackend struct {
	*store.DB
	writes atomic.Int64
}

func (b *countingBackend) PutSession(ctx context.Context, row store.SessionRow) error {
	b.writes.Add(1)
	return b.DB.PutSession(ctx, row)
}

func (b *countingBackend) UpdateSession(ctx context.Context, row store.SessionRow) error {
	b.writes.Add(1)
	return b.DB.UpdateSession(ctx, row)
}

func (b *countingBackend) TouchSession(ctx context.Context, id string, lastSeen time.Time) error {
	b.writes.Add(1)
	return b.DB.TouchSession(ctx, id, lastSeen)
}

// fixture is a Manager over a fresh database with a fake clock.
type fixture struct {
	t       testing.TB
	dir     string
	db      *store.DB
	backend *countingBackend
	clock   *clock
	m       *Manager
}

func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("store.Open() error = %v", err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, dir: dir, db: db, backend: &countingBackend{DB: db}, clock: newClock()}
	if opts.Secrets == nil {
		opts.Secrets = [][]byte{secretNew}
	}
	f.m = f.manager(opts)
	return f
}

// manager returns another Manager over the same database and clock, as a
// restarted server with other options would be.
func (f *fixture) manager(opts Options) *Manager {
	f.t.Helper()
	opts.Now = f.clock.Now
	m, err := NewManager(f.backend, opts)
	if err != nil {
		f.t.Fatalf("NewManager() error = %v", err)
	}
	return m
}

// request is a GET carrying the cookies.
func request(cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range cookies {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return r
}

// load loads the session for a request with the cookies, failing on error.
func (f *fixture) load(m *Manager, cookies ...*http.Cookie) *Session {
	f.t.Helper()
	s, err := m.Load(request(cookies...))
	if err != nil {
		f.t.Fatalf("Load() error = %v", err)
	}
	return s
}

// login signs a merchant in from an anonymous session and returns the
// session and its cookie.
func (f *fixture) login(m *Manager) (*Session, *http.Cookie) {
	f.t.Helper()
	rec := httptest.NewRecorder()
	s, err := m.Login(f.t.Context(), rec, m.anonymous(), testData())
	if err != nil {
		f.t.Fatalf("Login() error = %v", err)
	}
	return s, sessionCookie(f.t, rec, m.CookieName())
}

func testData() Data {
	return Data{
		MerchantID:   "MLX4Q5K3ZRV1",
		BusinessName: "Corner Café",
		Tokens: Tokens{
			AccessToken:        accessToken,
			RefreshToken:       refreshToken,
			Expiry:             time.Date(2026, 3, 31, 9, 0, 0, 0, time.UTC),
			RefreshTokenExpiry: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC),
		},
		Scopes: []string{"CUSTOMERS_READ", "CUSTOMERS_WRITE"},
	}
}

// sessionCookie is the last Set-Cookie of the name in the response.
func sessionCookie(t testing.TB, rec *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	var found *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			found = c
		}
	}
	if found == nil {
		t.Fatalf("response sets no %s cookie; Set-Cookie = %q", name, rec.Header().Values("Set-Cookie"))
	}
	return found
}

// rowExists reports whether the store holds a session with the id.
func (f *fixture) rowExists(id string) bool {
	f.t.Helper()
	_, err := f.db.GetSession(f.t.Context(), id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		f.t.Fatal(err)
	}
	return err == nil
}

// cookieID is the id part of a cookie value.
func cookieID(c *http.Cookie) string {
	id, _, _ := strings.Cut(c.Value, ".")
	return id
}
