package handlers

import (
	"context"
	"sync"
	"time"
)

// partOfDeadline returns a context whose deadline comes after num/den of
// the time ctx has left; without a deadline it is ctx itself.
func partOfDeadline(ctx context.Context, num, den int64) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	left := time.Until(deadline)
	return context.WithTimeout(ctx, left*time.Duration(num)/time.Duration(den))
}

// runParallel runs the functions at once and returns when all have.
func runParallel(fns ...func()) {
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(fn)
	}
	wg.Wait()
}
