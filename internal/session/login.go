package session

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"github.com/tessera-dashboard/tessera/internal/textutil"
	"net/http"
	"strings"
)

// StartLogin begins a sign-in: it stores a fresh OAuth state, a PKCE
// verifier and the path to return to in the session, saves it (sending the
// cookie if the visitor had none) and returns them for the authorize URL.
//
// A returnTo that is not a local path ("/…", but not "//…" or "/\…") is
// dropped, so that the sign-in cannot be used to redirect elsewhere, and so
// is one longer than MaxReturnTo, so that a visitor who has not signed in
// cannot make the server keep much.
func (m *Manager) StartLogin(ctx context.Context, w http.ResponseWriter, s *Session, returnTo string) (LoginAttempt, error) {
	return m.StartLoginAs(ctx, w, s, returnTo, "")
}

// StartLoginAs is StartLogin that also keeps the name the staff member
// gave (checked by the caller), for the session the sign-in makes.
func (m *Manager) StartLoginAs(ctx context.Context, w http.ResponseWriter, s *Session, returnTo, staffName string) (LoginAttempt, error) {
	if s.replaced {
		// Saving it would do nothing, so the callback could never succeed.
		return LoginAttempt{}, errors.New("session: StartLogin on a session replaced by Login")
	}
	// 32 random bytes each: a verifier of 43 characters, as RFC 7636 wants.
	a := LoginAttempt{
		State:     textutil.Token(32),
		Verifier:  textutil.Token(32),
		StaffName: staffName,
	}
	if IsLocalPath(returnTo) && len(returnTo) <= MaxReturnTo {
		a.ReturnTo = returnTo
	}
	s.change(func(r *record) {
		r.Data.OAuthState, r.Data.PKCEVerifier, r.Data.ReturnTo = a.State, a.Verifier, a.ReturnTo
		r.Data.LoginStaffName = a.StaffName
	})
	if err := s.Save(ctx, w); err != nil {
		return LoginAttempt{}, err
	}
	return a, nil
}

// ConsumeOAuthState checks the state that came back to the callback against
// the one StartLogin stored, in constant time. The stored attempt is cleared
// whatever the outcome, and at once, so that it serves at most once.
//
// ok is false when the session holds no attempt or the state differs; the
// error is for database failures only. Of two callbacks racing with one
// state, one at most is ok: the other finds the attempt cleared when it
// writes.
func (m *Manager) ConsumeOAuthState(ctx context.Context, s *Session, state string) (attempt LoginAttempt, ok bool, err error) {
	stored := LoginAttempt{State: s.data.OAuthState, Verifier: s.data.PKCEVerifier, ReturnTo: s.data.ReturnTo,
		StaffName: s.data.LoginStaffName}
	if stored.State == "" || s.id == "" {
		return LoginAttempt{}, false, nil
	}
	var present bool
	s.change(func(r *record) {
		// Applied again after a conflict, this sees what the other request
		// wrote: an attempt it consumed, or replaced, is not this one.
		present = r.Data.OAuthState == stored.State
		if present {
			r.Data.OAuthState, r.Data.PKCEVerifier, r.Data.ReturnTo = "", "", ""
			r.Data.LoginStaffName = ""
		}
	})
	if err := s.updateOrReset(ctx); err != nil {
		return LoginAttempt{}, false, err
	}
	// A session signed out meanwhile has lost its attempt with its row.
	if s.id == "" || !present || subtle.ConstantTimeCompare([]byte(stored.State), []byte(state)) != 1 {
		return LoginAttempt{}, false, nil
	}
	return stored, true, nil
}

// Login signs the merchant in. It deletes the pre-login session old (which
// may be nil) so that its cookie stops working, and starts a session with a
// new id holding data, sending its cookie. old must not be used afterwards;
// saving it does nothing. The OAuth fields of data are ignored.
//
// If old was itself signed in, with another token, that token is revoked:
// nothing can use it once its session is gone.
func (m *Manager) Login(ctx context.Context, w http.ResponseWriter, old *Session, data Data) (*Session, error) {
	if data.MerchantID == "" || data.AccessToken == "" {
		return nil, errors.New("session: Login needs a merchant id and an access token")
	}
	if old != nil {
		if old.id != "" {
			if err := m.backend.DeleteSession(ctx, old.id); err != nil {
				return nil, fmt.Errorf("session: login: %w", err)
			}
			if t := old.data.AccessToken; t != data.AccessToken {
				m.revokeToken(ctx, t)
			}
		}
		*old = Session{m: m, replaced: true}
	}
	data = data.clone()
	data.OAuthState, data.PKCEVerifier, data.ReturnTo, data.LoginStaffName = "", "", "", ""
	s := &Session{m: m, data: data}
	if err := s.create(ctx, w); err != nil {
		return nil, err
	}
	return s, nil
}

// Logout deletes the session's row, so that its cookie stops working even
// if the browser keeps it, and tells the browser to drop the cookie. The
// session is anonymous afterwards: a flash added to it and saved starts a
// new one.
func (m *Manager) Logout(ctx context.Context, w http.ResponseWriter, s *Session) error {
	if s.id != "" {
		if err := m.backend.DeleteSession(ctx, s.id); err != nil {
			return fmt.Errorf("session: logout: %w", err)
		}
	}
	*s = Session{m: m}
	m.expireCookie(w)
	return nil
}

// IsLocalPath reports whether p is a path on this site. Browsers read "//x"
// and "/\x" as another host, and drop tabs and newlines before reading, so
// backslashes and control characters are refused anywhere.
func IsLocalPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return false
	}
	return !strings.ContainsFunc(p, func(r rune) bool {
		return r == '\\' || r < 0x20 || r == 0x7f
	})
}
