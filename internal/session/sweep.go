package session

import (
	"context"
	"fmt"
	"time"
)

// Sweep deletes the sessions that have expired and returns how many. Load
// refuses expired sessions anyway; sweeping keeps abandoned ones from
// piling up, tokens and all.
func (m *Manager) Sweep(ctx context.Context) (int64, error) {
	now := m.now()
	n, err := m.backend.DeleteExpiredSessions(ctx, now.Add(-m.idle), now.Add(-m.absolute))
	if err != nil {
		return 0, fmt.Errorf("session: sweep: %w", err)
	}
	return n, nil
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
