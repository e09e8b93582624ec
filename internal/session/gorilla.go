package session

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"maps"
	"net/http"
	"reflect"

	"github.com/gorilla/sessions"
)

// Manager is a gorilla/sessions Store.
var _ sessions.Store = (*Manager)(nil)

// typedKey keys the typed Session among a gorilla session's Values. No other
// package can name the type, so no other code can set or read it, and Save
// leaves it out of the values it stores.
type typedKey struct{}

// From returns the typed Session behind a gorilla session of this store, or
// nil for a gorilla session that came from elsewhere.
func From(gs *sessions.Session) *Session {
	s, _ := gs.Values[typedKey{}].(*Session)
	return s
}

// Use makes s the typed Session behind gs: after Login, or after loading
// the session again, gorilla's registry then saves s and not the session it
// replaced.
func Use(gs *sessions.Session, s *Session) {
	gs.Values[typedKey{}] = s
	gs.ID, gs.IsNew = s.id, s.id == ""
}

// Get returns the session named name for the request, cached in gorilla's
// per-request registry, so that every part of a request shares one. name
// must be CookieName(). See New.
func (m *Manager) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(m, name)
}

// New loads the session as Load does and presents it as a gorilla session:
// ID is the session id, From gives the typed Session, and the other Values
// are those saved through this interface (which must be gob-encodable, with
// their types registered).
//
// As Load, New never fails over a bad cookie: it returns a new session. The
// error is for a failing database.
func (m *Manager) New(r *http.Request, name string) (*sessions.Session, error) {
	gs := sessions.NewSession(m, name)
	opts := m.gorillaOptions()
	gs.Options = &opts
	gs.IsNew = true
	if name != m.cookieName {
		return gs, fmt.Errorf("session: this store serves the cookie %q, not %q", m.cookieName, name)
	}
	s, err := m.Load(r)
	if err != nil {
		return gs, err
	}
	if len(s.values) > 0 {
		if err := gob.NewDecoder(bytes.NewReader(s.values)).Decode(&gs.Values); err != nil {
			return gs, fmt.Errorf("session: decode values: %w", err)
		}
	}
	Use(gs, s)
	return gs, nil
}

// Save stores the session: the typed Session's changes and the gorilla
// Values, starting a session if there is none yet and there is something to
// keep, and sends the cookie when it is new or must be signed again with the
// newest key. Options.MaxAge < 0 ends the session as Logout does. Options
// are otherwise ignored: the cookie's attributes are the Manager's to
// decide.
func (m *Manager) Save(r *http.Request, w http.ResponseWriter, gs *sessions.Session) error {
	ctx := r.Context()
	s := From(gs)
	if s == nil {
		return fmt.Errorf("session: Save of a session %q that this store's New did not make", gs.Name())
	}
	if gs.Options != nil && gs.Options.MaxAge < 0 {
		err := m.Logout(ctx, w, s)
		Use(gs, s)
		return err
	}
	if err := s.setValues(gs.Values); err != nil {
		return err
	}
	if err := s.Save(ctx, w); err != nil {
		return err
	}
	Use(gs, s)
	return nil
}

// setValues makes the gorilla Values, the typed Session left out, the ones
// to store, if they changed. They are compared decoded: gob writes a map in
// Go's random iteration order, so equal maps need not encode alike, and
// comparing the bytes would write the session on every request.
func (s *Session) setValues(values map[any]any) error {
	current := maps.Clone(values)
	delete(current, typedKey{})
	stored := map[any]any{}
	if len(s.values) > 0 {
		if err := gob.NewDecoder(bytes.NewReader(s.values)).Decode(&stored); err != nil {
			return fmt.Errorf("session: decode values: %w", err)
		}
	}
	if len(current) == 0 && len(stored) == 0 || reflect.DeepEqual(current, stored) {
		return nil
	}
	var encoded []byte
	if len(current) > 0 {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(current); err != nil {
			return fmt.Errorf("session: encode values: %w", err)
		}
		encoded = buf.Bytes()
	}
	s.change(func(r *record) { r.Values = encoded })
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
