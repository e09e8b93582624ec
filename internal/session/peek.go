package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tessera-dashboard/tessera/internal/store"
)

// Watch is a signed-in session as seen by a request that must not keep it
// alive: a page's stream of live updates stays open unattended, and
// counting it as activity would let a session left open in a tab never
// time out.
type Watch struct {
	// ID is the session's id; MerchantID its signed-in merchant.
	ID, MerchantID string
}

// Peek returns the request's session if it is signed in, without touching
// its last-seen time or writing anything. ok is false for a request
// without a live signed-in session.
func (m *Manager) Peek(r *http.Request) (w Watch, ok bool, err error) {
	for _, c := range r.CookiesNamed(m.cookieName) {
		id, _, valid := m.parseCookie(c.Value)
		if !valid {
			continue
		}
		merchantID, live, err := m.liveMerchant(r.Context(), id)
		if err != nil {
			return Watch{}, false, err
		}
		if live && merchantID != "" {
			return Watch{ID: id, MerchantID: merchantID}, true, nil
		}
	}
	return Watch{}, false, nil
}

// StillSignedIn reports whether the session w is still signed in to its
// merchant: not signed out, not timed out, not signed in anew as another
// merchant. Like Peek, it writes nothing.
func (m *Manager) StillSignedIn(ctx context.Context, w Watch) (bool, error) {
	merchantID, live, err := m.liveMerchant(ctx, w.ID)
	return live && merchantID == w.MerchantID, err
}

// liveMerchant reads the merchant of a session from its row, reporting
// whether the session is live (it exists and has not timed out).
func (m *Manager) liveMerchant(ctx context.Context, id string) (string, bool, error) {
	row, err := m.backend.GetSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("session: peek: %w", err)
	}
	if m.expired(row, m.now()) {
		return "", false, nil
	}
	return row.MerchantID, true, nil
}

// expired reports whether a session's row has timed out at now.
func (m *Manager) expired(row store.SessionRow, now time.Time) bool {
	return now.Sub(row.LastSeen) >= m.idle || now.Sub(row.CreatedAt) >= m.absolute
}
