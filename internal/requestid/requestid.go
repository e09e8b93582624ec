// Package requestid carries a request's id in its context and adds it to
// every log line written with that context, so that no caller has to
// remember to log it and one search of the logs finds a request whole.
package requestid

import (
	"context"
	"log/slog"
)

// Key is the attribute the id is logged under.
const Key = "id"

type ctxKey struct{}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the id ctx carries, or "".
func FromContext(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// NewHandler wraps h so that every record logged with a context that
// carries an id has it as the attribute Key. A handler that already adds
// the id is returned as it is, so wrapping twice logs the id once.
func NewHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(handler); ok {
		return h
	}
	return handler{h}
}

type handler struct{ slog.Handler }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	id := FromContext(ctx)
	if id == "" {
		return h.Handler.Handle(ctx, r)
	}
	// The id goes first, where a reader scanning the lines looks for it.
	withID := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	withID.AddAttrs(slog.String(Key, id))
	r.Attrs(func(a slog.Attr) bool {
		withID.AddAttrs(a)
		return true
	})
	return h.Handler.Handle(ctx, withID)
}

func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return handler{h.Handler.WithAttrs(attrs)}
}

func (h handler) WithGroup(name string) slog.Handler {
	return handler{h.Handler.WithGroup(name)}
}
