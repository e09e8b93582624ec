package requestid

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestEveryLineLoggedWithTheRequestsContextCarriesItsID(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(NewHandler(slog.NewTextHandler(&buf, nil))).With("app", "tessera").WithGroup("g")
	ctx := NewContext(t.Context(), "req-123")
	logger.InfoContext(ctx, "with id", "k", "v")
	logger.InfoContext(context.Background(), "without id")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want 2: %q", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], `msg="with id" app=tessera g.id=req-123 g.k=v`) {
		t.Errorf("line with the request's context = %q, want the id first among the record's own attributes", lines[0])
	}
	if strings.Contains(lines[1], "req-123") {
		t.Errorf("line without the request's context = %q, want no id", lines[1])
	}
	if got := FromContext(ctx); got != "req-123" {
		t.Errorf("FromContext(ctx) = %q, want req-123", got)
	}
}
