// Package session keeps Tessera's sessions on the server.
//
// The browser's cookie carries only a random id signed with HMAC-SHA256;
// everything else lives in a row of the store: the merchant id in the clear,
// and the session's Data (tokens included) encrypted with AES-256-GCM. Keys
// come from the configured secrets through HKDF. Secrets are listed newest
// first: the newest signs and encrypts, every one verifies and decrypts, and
// a session met under an old key is rewritten under the newest, so that old
// secrets can be retired.
//
// Sessions end after 30 minutes without a request or 12 hours after sign-in,
// whichever comes first, judged from the stored times. A cookie that is
// tampered with, unknown, signed by a retired key, or for a session that has
// ended means "signed out", never an error: only a failing database is one.
//
// Manager is a gorilla/sessions Store: handlers get the request's session
// through gorilla's per-request registry (Manager.Get) and save it through
// the Store (the gorilla session's Save, or sessions.Save); From gives the typed Session behind a gorilla session, whose
// methods (MerchantID, Data, AddFlash, UpdateTokens, …) are the accessors.
//
// Two requests of one session can run at once. A write names the version of
// the record it read; if another request wrote in between, the record is
// read again and this request's changes are applied to it once more, so that
// neither request undoes the other's (a refreshed token above all).
//
// Anyone can make a signed-out session, so they are kept small and few: the
// return_to path and the queued messages are capped, and only the
// MaxSignedOut most recently seen signed-out sessions are kept.
//
// Every signed-in session that ends without the person signing out (timed
// out, or replaced by a new sign-in) has its access token revoked through
// Options.Revoke, and a deleted signed-in session is wiped from the database
// files (see store.DB.DeleteSession).
package session

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/tessera-dashboard/tessera/internal/store"
	"github.com/tessera-dashboard/tessera/internal/textutil"
)

// Cookie names. Browsers accept the __Host- prefix only on a Secure cookie,
// and then pin it to this host and path "/", so plain http uses the other.
const (
	CookieName       = "tessera"
	SecureCookieName = "__Host-tessera"
)

// Default timeouts.
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
	// DefaultTouchInterval is how stale the stored last-seen time may get
	// before a request updates it: writing on every request would make each
	// page view a database write.
	DefaultTouchInterval = time.Minute
	// DefaultMaxSignedOut bounds the signed-out sessions kept. At about 3 KB
	// each at most, they take 30 MB at worst, and a flood of new ones
	// displaces a sign-in in progress only after thousands of others.
	DefaultMaxSignedOut = 10_000
)

// Caps on what a signed-out visitor can make the server keep.
const (
	// MaxReturnTo is the longest path kept to return to after signing in;
	// a longer one is dropped, not cut, since a cut path is another page.
	MaxReturnTo = 2048
	// maxFlashes is how many messages wait for the next page; the oldest
	// give way.
	maxFlashes = 5
	// maxConflicts is how often a save reapplies its changes to a record
	// that other requests keep writing before it gives up.
	maxConflicts = 32
)

// minSecretLen matches config.MinSecretLen, without importing config.
const minSecretLen = 32

// ErrNotSignedIn is returned by operations that need a signed-in session.
var ErrNotSignedIn = errors.New("session: not signed in")

// Backend is the storage a Manager needs; *store.DB implements it.
type Backend interface {
	GetSession(ctx context.Context, id string) (store.SessionRow, error)
	PutSession(ctx context.Context, row store.SessionRow) error
	UpdateSession(ctx context.Context, row store.SessionRow) error
	TouchSession(ctx context.Context, id string, lastSeen time.Time) error
	DeleteSession(ctx context.Context, id string) error
	DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error)
	ExpiredSignedInSessions(ctx context.Context, idleBefore, createdBefore time.Time) ([]store.SessionRow, error)
	TrimSignedOutSessions(ctx context.Context, keep int) (int64, error)
	SignOutMerchantSessions(ctx context.Context, merchantID string, data func(id string) []byte) (int64, error)
	LiveMerchantSessions(ctx context.Context, merchantID string, seenAfter, createdAfter time.Time, limit int) ([]store.SessionRow, error)
}

// EndMerchant signs out every session of a merchant whose authorization
// Square reports revoked (the seller disconnected Tessera, or Square did):
// their tokens no longer work, so there is nothing to revoke. Each session
// keeps only note, a message for the person's next page, and its tokens
// are wiped. It returns how many sessions it signed out.
func (m *Manager) EndMerchant(ctx context.Context, merchantID string, note Flash) (int64, error) {
	plaintext, err := json.Marshal(record{Data: Data{Flashes: []Flash{note}}})
	if err != nil {
		return 0, fmt.Errorf("session: encode: %w", err)
	}
	return m.backend.SignOutMerchantSessions(ctx, merchantID, func(id string) []byte {
		return m.seal(id, plaintext)
	})
}

// LiveTokens returns, for every merchant with a live signed-in session (for
// merchantID alone when it is not empty), the access token of the session
// seen most recently, if that token has not expired. It lends the token for
// work done on the merchant's behalf while its staff are signed in (the
// customer index's sync): the borrower only reads with it and never
// refreshes it, so refreshing stays with the session that owns the token,
// and in PKCE mode no two holders can ever spend one single-use refresh
// token.
func (m *Manager) LiveTokens(ctx context.Context, merchantID string) (map[string]string, error) {
	now := m.now()
	rows, err := m.backend.LiveMerchantSessions(ctx, merchantID, now.Add(-m.idle), now.Add(-m.absolute), 3)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, row := range rows {
		if _, ok := out[row.MerchantID]; ok {
			continue
		}
		rec, _, err := m.decode(row)
		if err != nil || rec.Data.AccessToken == "" || (!rec.Data.Expiry.IsZero() && !now.Before(rec.Data.Expiry)) {
			continue
		}
		out[row.MerchantID] = rec.Data.AccessToken
	}
	return out, nil
}

// Revoker revokes an access token at Square, that token only. It is a
// function so that this package needs no Square client: internal/app passes
// one in.
type Revoker func(ctx context.Context, accessToken string) error

// Options configures a Manager. Only Secrets is required.
type Options struct {
	// Secrets are the key material, newest first, each at least 32 bytes.
	Secrets [][]byte
	// Secure is true when the public URL is https: the cookie is then
	// __Host-tessera with the Secure flag, else plain tessera.
	Secure bool
	// IdleTimeout, AbsoluteTimeout and TouchInterval default to
	// DefaultIdleTimeout, DefaultAbsoluteTimeout and DefaultTouchInterval.
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	TouchInterval   time.Duration
	// MaxSignedOut is how many signed-out sessions are kept at most,
	// DefaultMaxSignedOut by default.
	MaxSignedOut int
	// Revoke revokes the access token of a session that ends without a
	// sign-out. Nil means tokens cannot be revoked (Square's PKCE flow
	// without the application secret): they then stay valid until they
	// expire.
	Revoke Revoker
	// Now is the clock, time.Now by default; tests move it.
	Now func() time.Time
	// Logger receives Debug records about rejected cookies and Warn records
	// about failed sweeps. Nil discards them.
	Logger *slog.Logger
}

// Manager loads and saves sessions. It is safe for concurrent use.
type Manager struct {
	backend    Backend
	keys       []key
	cookieName string
	secure     bool
	idle       time.Duration
	absolute   time.Duration
	touch      time.Duration
	maxAnon    int
	revoke     Revoker
	now        func() time.Time
	log        *slog.Logger
}

// NewManager returns a Manager storing sessions in backend.
func NewManager(backend Backend, opts Options) (*Manager, error) {
	keys, err := deriveKeys(opts.Secrets)
	if err != nil {
		return nil, err
	}
	if opts.IdleTimeout < 0 || opts.AbsoluteTimeout < 0 || opts.TouchInterval < 0 || opts.MaxSignedOut < 0 {
		return nil, errors.New("session: negative timeout or MaxSignedOut")
	}
	m := &Manager{
		backend:    backend,
		keys:       keys,
		cookieName: CookieName,
		secure:     opts.Secure,
		idle:       cmp.Or(opts.IdleTimeout, DefaultIdleTimeout),
		absolute:   cmp.Or(opts.AbsoluteTimeout, DefaultAbsoluteTimeout),
		touch:      cmp.Or(opts.TouchInterval, DefaultTouchInterval),
		maxAnon:    cmp.Or(opts.MaxSignedOut, DefaultMaxSignedOut),
		revoke:     opts.Revoke,
		now:        opts.Now,
		log:        opts.Logger,
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.secure {
		m.cookieName = SecureCookieName
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	return m, nil
}

// CookieName is the name of the session cookie, which depends on Secure.
func (m *Manager) CookieName() string {
	return m.cookieName
}

// Session is one browser's session, loaded for one request. It is not safe
// for concurrent use; a request's goroutines must share it with care.
type Session struct {
	m *Manager
	// id is empty until the session has a row: an anonymous visitor costs
	// no write until there is something to keep.
	id        string
	data      Data
	values    []byte // gorilla Values, gob-encoded, carried untouched
	createdAt time.Time
	// version is the version of the row that data and values came from.
	version int64
	// edits are the changes made since the row was read, kept to be applied
	// again if another request writes the row first.
	edits []func(*record)
	// dirty means data or values changed since the row was written.
	dirty bool
	// resign means the cookie was signed with an older key and should be
	// sent again under the newest.
	resign bool
	// replaced is set by Login on the session it replaces, so that saving
	// it cannot bring the pre-login session back.
	replaced bool
}

// record is the plaintext of a row's data.
type record struct {
	Data   Data   `json:"data"`
	Values []byte `json:"values,omitempty"`
}

// Load returns the session of the request: the stored one if the request
// carries a valid cookie for a live session, else a new anonymous one. The
// error is non-nil only when the database fails.
func (m *Manager) Load(r *http.Request) (*Session, error) {
	// A second cookie of the same name can come from another application
	// on the same host (cookies ignore ports), so each is tried.
	for _, c := range r.CookiesNamed(m.cookieName) {
		id, keyIndex, ok := m.parseCookie(c.Value)
		if !ok {
			m.log.Debug("session: cookie rejected: bad signature or format")
			continue
		}
		s, err := m.load(r.Context(), id)
		if err != nil {
			return nil, err
		}
		if s.id != "" {
			s.resign = keyIndex > 0
			return s, nil
		}
	}
	return m.anonymous(), nil
}

func (m *Manager) anonymous() *Session {
	return &Session{m: m}
}

// load reads the session with the id, ending it if it has expired.
func (m *Manager) load(ctx context.Context, id string) (*Session, error) {
	row, err := m.backend.GetSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return m.anonymous(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("session: load: %w", err)
	}
	now := m.now()
	if m.expired(row, now) {
		if err := m.backend.DeleteSession(ctx, id); err != nil {
			return nil, fmt.Errorf("session: delete expired: %w", err)
		}
		m.revokeRow(ctx, row)
		return m.anonymous(), nil
	}
	rec, keyIndex, err := m.decode(row)
	if err != nil {
		// Kept, not deleted: a secret left out by mistake and put back
		// makes these sessions readable again.
		m.log.Debug("session: record rejected", "err", err)
		return m.anonymous(), nil
	}
	s := &Session{m: m, id: id, data: rec.Data, values: rec.Values, createdAt: row.CreatedAt, version: row.Version}

	switch {
	case keyIndex > 0:
		// Rewriting under the newest key now, rather than on the next
		// change, lets the old secret be retired once sessions are used.
		err = s.update(ctx)
	case now.Sub(row.LastSeen) >= m.touch:
		if err = m.backend.TouchSession(ctx, id, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			err = fmt.Errorf("session: load: %w", err)
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		// Signed out by another request meanwhile.
		return m.anonymous(), nil
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// decode opens a row's record, and returns the index of the key that
// opened it.
func (m *Manager) decode(row store.SessionRow) (record, int, error) {
	plaintext, keyIndex, err := m.open(row.ID, row.Data)
	if err != nil {
		return record{}, 0, err
	}
	var rec record
	if err := json.Unmarshal(plaintext, &rec); err != nil {
		m.log.Warn("session: record cannot be decoded", "err", err)
		return record{}, 0, err
	}
	return rec, keyIndex, nil
}

// ID is the session's id, or "" while it has nothing stored. Without the
// signature in the cookie the id grants nothing, but it is still better
// left out of logs.
func (s *Session) ID() string {
	return s.id
}

// SignedIn reports whether a merchant signed in to this session.
func (s *Session) SignedIn() bool {
	return s.data.MerchantID != ""
}

// MerchantID is the signed-in merchant, or "".
func (s *Session) MerchantID() string {
	return s.data.MerchantID
}

// Data returns a copy of the session's data. Change it through the
// Session's and Manager's methods.
func (s *Session) Data() Data {
	return s.data.clone()
}

// AddFlash queues a message for the next page. Save stores it. A message
// already queued is not queued twice, and only the newest few are kept, so
// that repeating a request cannot pile them up.
func (s *Session) AddFlash(f Flash) {
	s.change(func(r *record) {
		if slices.Contains(r.Data.Flashes, f) {
			return
		}
		r.Data.Flashes = append(r.Data.Flashes, f)
		if n := len(r.Data.Flashes); n > maxFlashes {
			r.Data.Flashes = slices.Clone(r.Data.Flashes[n-maxFlashes:])
		}
	})
}

// TakeFlashes returns the queued messages and forgets them. Save stores the
// change.
func (s *Session) TakeFlashes() []Flash {
	taken := s.data.Flashes
	if len(taken) > 0 {
		s.change(func(r *record) {
			// Messages queued by another request meanwhile stay queued.
			r.Data.Flashes = slices.DeleteFunc(slices.Clone(r.Data.Flashes), func(f Flash) bool {
				return slices.Contains(taken, f)
			})
			if len(r.Data.Flashes) == 0 {
				r.Data.Flashes = nil
			}
		})
	}
	return taken
}

// change applies an edit to the session and keeps it, so that a save that
// finds the row written by another request meanwhile can apply the edit
// again to what that request wrote.
func (s *Session) change(edit func(*record)) {
	r := record{Data: s.data, Values: s.values}
	edit(&r)
	s.data, s.values = r.Data, r.Values
	s.edits = append(s.edits, edit)
	s.dirty = true
}

// UpdateTokens stores refreshed tokens at once, and notes the time. An empty
// RefreshToken keeps the current one and its expiry: Square's code flow
// keeps the refresh token, while PKCE's single-use ones must be replaced.
//
// If the session was signed out meanwhile, the tokens are dropped and the
// session is signed out here too.
func (s *Session) UpdateTokens(ctx context.Context, t Tokens) error {
	if !s.SignedIn() {
		return ErrNotSignedIn
	}
	if t.AccessToken == "" {
		return errors.New("session: UpdateTokens without an access token")
	}
	now := s.m.now()
	s.change(func(r *record) {
		next := t
		if next.RefreshToken == "" {
			next.RefreshToken = r.Data.RefreshToken
			next.RefreshTokenExpiry = r.Data.RefreshTokenExpiry
		}
		r.Data.Tokens = next
		r.Data.LastRefresh = now
	})
	return s.updateOrReset(ctx)
}

// Save stores the session's changes and sends the cookie if it must, so it
// belongs before the response is written (in Echo, Response().Before). It
// writes nothing for an anonymous session with nothing to keep, and nothing
// after Login has replaced the session.
func (s *Session) Save(ctx context.Context, w http.ResponseWriter) error {
	if s.replaced {
		return nil
	}
	if s.id == "" {
		if s.data.isZero() && len(s.values) == 0 {
			return nil
		}
		return s.create(ctx, w)
	}
	if s.dirty {
		if err := s.updateOrReset(ctx); err != nil || s.id == "" {
			return err
		}
	}
	if s.resign {
		s.m.setCookie(w, s)
		s.resign = false
	}
	return nil
}

// create gives the session a new id and row, and sends its cookie.
func (s *Session) create(ctx context.Context, w http.ResponseWriter) error {
	now := s.m.now()
	id := textutil.Token(idBytes)
	row, err := s.row(id, now, now)
	if err != nil {
		return err
	}
	if err := s.m.backend.PutSession(ctx, row); err != nil {
		return fmt.Errorf("session: save: %w", err)
	}
	s.id, s.createdAt, s.version, s.edits, s.dirty = id, now, 0, nil, false
	s.m.setCookie(w, s)
	if s.data.MerchantID == "" {
		if _, err := s.m.backend.TrimSignedOutSessions(ctx, s.m.maxAnon); err != nil {
			return fmt.Errorf("session: save: %w", err)
		}
	}
	return nil
}

// update rewrites the session's row over the version it was read from. If
// another request wrote the row meanwhile, update reads it again, applies
// this session's edits to it and tries once more. It fails with
// store.ErrNotFound if the row is gone, rather than bringing back a session
// that was signed out.
func (s *Session) update(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		row, err := s.row(s.id, s.createdAt, s.m.now())
		if err != nil {
			return err
		}
		row.Version = s.version
		err = s.m.backend.UpdateSession(ctx, row)
		switch {
		case err == nil:
			s.version++
			s.edits, s.dirty = nil, false
			return nil
		case errors.Is(err, store.ErrNotFound):
			return err
		case errors.Is(err, store.ErrConflict) && attempt < maxConflicts:
			if err := s.reapply(ctx); err != nil {
				return err
			}
		default:
			return fmt.Errorf("session: save: %w", err)
		}
	}
}

// reapply reads the session's row again and applies this session's edits to
// it.
func (s *Session) reapply(ctx context.Context) error {
	row, err := s.m.backend.GetSession(ctx, s.id)
	if errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("session: save: %w", err)
	}
	rec, _, err := s.m.decode(row)
	if err != nil {
		return fmt.Errorf("session: save: %w", err)
	}
	for _, edit := range s.edits {
		edit(&rec)
	}
	s.data, s.values, s.version = rec.Data, rec.Values, row.Version
	return nil
}

// updateOrReset is update for callers that treat a vanished row as being
// signed out, which is what happened.
func (s *Session) updateOrReset(ctx context.Context) error {
	err := s.update(ctx)
	if errors.Is(err, store.ErrNotFound) {
		*s = Session{m: s.m}
		return nil
	}
	return err
}

// row seals the session into a store row.
func (s *Session) row(id string, created, lastSeen time.Time) (store.SessionRow, error) {
	plaintext, err := json.Marshal(record{Data: s.data, Values: s.values})
	if err != nil {
		return store.SessionRow{}, fmt.Errorf("session: encode: %w", err)
	}
	return store.SessionRow{
		ID:         id,
		MerchantID: s.data.MerchantID,
		Data:       s.m.seal(id, plaintext),
		CreatedAt:  created,
		LastSeen:   lastSeen,
	}, nil
}

// String describes the session without its id or secrets.
func (s *Session) String() string {
	return fmt.Sprintf("session{merchant:%q stored:%t}", s.data.MerchantID, s.id != "")
}

// GoString makes %#v hide the id and secrets too.
func (s *Session) GoString() string {
	return s.String()
}

// LogValue logs the session without its id or secrets.
func (s *Session) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("merchant_id", s.data.MerchantID),
		slog.Bool("stored", s.id != ""),
	)
}

// setCookie sends the session's cookie. Its Max-Age ends with the absolute
// timeout, so the browser drops it about when the server would refuse it.
func (m *Manager) setCookie(w http.ResponseWriter, s *Session) {
	remaining := s.createdAt.Add(m.absolute).Sub(m.now())
	http.SetCookie(w, m.cookie(m.cookieValue(s.id), max(1, int(remaining/time.Second))))
}

// expireCookie tells the browser to drop the cookie.
func (m *Manager) expireCookie(w http.ResponseWriter) {
	c := m.cookie("", -1)
	// Expires too, for browsers that ignore Max-Age.
	c.Expires = time.Unix(1, 0)
	http.SetCookie(w, c)
}

func (m *Manager) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     m.cookieName,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		Secure:   m.secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}
