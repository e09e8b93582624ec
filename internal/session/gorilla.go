package session

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"net/http"

	"github.com/gorilla/sessions"
)

// Manager is a gorilla/sessions Store.
var _ sessions.Store = (*Manager)(nil)

// Get returns the session named name for the request, cached in gorilla's
// per-request registry. name must be CookieName(). See New.
func (m *Manager) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(m, name)
}

// New loads the session as Load does and presents it as a gorilla session:
// ID is the session id and Values are the values saved through this
// interface (which must be gob-encodable, with their types registered). The
// typed Data is not among the Values and is kept as it is by Save.
//
// As Load, New never fails over a bad cookie: it returns a new session.
func (m *Manager) New(r *http.Request, name string) (*sessions.Session, error) {
	gs := sessions.NewSession(m, name)
	opts := m.gorillaOptions()
	gs.Options = &opts
	gs.IsNew = true
	if name != m.cookieName {
		return gs, fmt.Errorf("session: this store serves the cookie %q, not %q", m.cookieName, name)
	}
	s, err := m.Load(r)
	if err != nil || s.id == "" {
		return gs, err
	}
	if len(s.values) > 0 {
		if err := gob.NewDecoder(bytes.NewReader(s.values)).Decode(&gs.Values); err != nil {
			return gs, fmt.Errorf("session: decode values: %w", err)
		}
	}
	gs.ID, gs.IsNew = s.id, false
	return gs, nil
}

// Save stores the gorilla session's Values and sends the cookie, starting a
// session if there is none yet (and there is something to keep). Options.MaxAge < 0 ends the session as
// Logout does. Options are otherwise ignored: the cookie's attributes are
// the Manager's to decide.
func (m *Manager) Save(r *http.Request, w http.ResponseWriter, gs *sessions.Session) error {
	ctx := r.Context()
	if gs.Options != nil && gs.Options.MaxAge < 0 {
		s := &Session{m: m, id: gs.ID}
		gs.ID = ""
		return m.Logout(ctx, w, s)
	}
	var values []byte
	if len(gs.Values) > 0 {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(gs.Values); err != nil {
			return fmt.Errorf("session: encode values: %w", err)
		}
		values = buf.Bytes()
	}
	// The row is read again, rather than kept from New, so that typed
	// changes made meanwhile (a token refresh) are not overwritten.
	s := m.anonymous()
	if gs.ID != "" {
		var err error
		if s, err = m.load(ctx, gs.ID); err != nil {
			return err
		}
	}
	s.values = values
	s.dirty = true
	// Gorilla's stores send the cookie on every Save; doing the same here
	// also re-signs a cookie signed with an old key.
	s.resign = s.id != ""
	if err := s.Save(ctx, w); err != nil {
		return err
	}
	gs.ID = s.id
	gs.IsNew = false
	return nil
}

// gorillaOptions are the cookie attributes, for code that reads them.
func (m *Manager) gorillaOptions() sessions.Options {
	return sessions.Options{
		Path:     "/",
		MaxAge:   int(m.absolute.Seconds()),
		Secure:   m.secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}
