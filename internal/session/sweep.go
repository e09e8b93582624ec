package session

import (
	"context"
	"fmt"
	"time"

	"github.com/tessera-dashboard/tessera/internal/store"
)

// Sweep deletes the sessions that have expired, revokes the access tokens
// of the signed-in ones, and returns how many it deleted. Load refuses
// expired sessions anyway; sweeping keeps abandoned ones from piling up,
// and their tokens from staying valid at Square.
func (m *Manager) Sweep(ctx context.Context) (int64, error) {
	now := m.now()
	idleBefore, createdBefore := now.Add(-m.idle), now.Add(-m.absolute)
	ended, err := m.backend.ExpiredSignedInSessions(ctx, idleBefore, createdBefore)
	if err != nil {
		return 0, fmt.Errorf("session: sweep: %w", err)
	}
	n, err := m.backend.DeleteExpiredSessions(ctx, idleBefore, createdBefore)
	if err != nil {
		return 0, fmt.Errorf("session: sweep: %w", err)
	}
	// Revoked after the rows are gone, so that a slow Square delays
	// nothing but the revocations.
	for _, row := range ended {
		m.revokeRow(ctx, row)
	}
	return n, nil
}

// revokeTimeout bounds one revocation: Square answers in well under a
// second when it is well.
const revokeTimeout = 5 * time.Second

// CanRevoke reports whether tokens can be revoked at Square, that is
// whether Options.Revoke was set.
func (m *Manager) CanRevoke() bool {
	return m.revoke != nil
}

// revokeRow revokes the access token of an ended session's row, if it
// held one.
func (m *Manager) revokeRow(ctx context.Context, row store.SessionRow) {
	if row.MerchantID == "" || m.revoke == nil {
		return
	}
	rec, _, err := m.decode(row)
	if err != nil {
		m.log.Warn("session: the token of an ended session cannot be revoked: its record does not open", "merchant_id", row.MerchantID)
		return
	}
	m.revokeToken(ctx, rec.Data.AccessToken)
}

// revokeToken revokes an access token that no session will use again. A
// failure is logged and not retried: Square's tokens expire in any case.
// It waits at most revokeTimeout, because a request that found its session
// timed out waits for it before the person is sent to sign in.
func (m *Manager) revokeToken(ctx context.Context, accessToken string) {
	if accessToken == "" || m.revoke == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	if err := m.revoke(ctx, accessToken); err != nil {
		m.log.WarnContext(ctx, "session: revoking the token of an ended session failed", "err", err)
	}
}

// RunSweeper sweeps at once and then every interval (which must be
// positive) until ctx is done; run it in its own goroutine. Failures are logged and retried at the next tick: a missed sweep only
// delays the clean-up.
func (m *Manager) RunSweeper(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := m.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			m.log.Warn("session: sweep failed", "err", err)
		case n > 0:
			m.log.Debug("session: swept expired sessions", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
