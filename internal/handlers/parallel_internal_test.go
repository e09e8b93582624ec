package handlers

import (
	"context"
	"testing"
	"time"
)

func TestRunParallelRunsEveryFunctionAtOnce(t *testing.T) {
	// Each function waits until all have started. Run one after another,
	// the first would wait for the others forever; the deadline only turns
	// that hang into a failure.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	const n = 3
	started := make(chan struct{}, n)
	all := make(chan struct{})
	met := make([]bool, n)
	fns := make([]func(), n)
	for i := range fns {
		fns[i] = func() {
			started <- struct{}{}
			select {
			case <-all:
				met[i] = true
			case <-ctx.Done():
			}
		}
	}
	go func() {
		for range n {
			select {
			case <-started:
			case <-ctx.Done():
				return
			}
		}
		close(all)
	}()
	runParallel(fns...)
	for i, ok := range met {
		if !ok {
			t.Errorf("runParallel: function %d never ran alongside the others", i)
		}
	}
}
