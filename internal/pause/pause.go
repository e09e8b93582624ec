// Package pause waits for a while unless the work is cancelled first: the
// back-offs of the Square client, the index's sync and the bulk jobs.
package pause

import (
	"context"
	"time"
)

// For waits d, or until ctx is done, whichever comes first; it returns
// ctx's error when the wait was cut short.
func For(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
