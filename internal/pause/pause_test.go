package pause

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestForEndsWhenTheTimeIsUp(t *testing.T) {
	if err := For(context.Background(), time.Millisecond); err != nil {
		t.Errorf("For(1ms) = %v, want nil", err)
	}
}

func TestForEndsWhenTheWorkIsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := For(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("For(an hour) after cancel = %v, want context.Canceled", err)
	}
}
