package index

import (
	"context"
	"database/sql"
	"sync"
)

// maxPrepared bounds the statements a reader keeps. The index's queries
// are built from a few fragments, so their texts are few (the words of a
// search are arguments, never text); the bound only keeps an unforeseen
// variety from growing without end. Past it, queries are prepared each
// time, as database/sql does by itself.
const maxPrepared = 256

// preparedReader runs the index's reads through statements prepared once
// per query text. Preparing, which database/sql otherwise does on every
// query, parses and plans the SQL: about a tenth of the CPU of a directory
// page served from the index (issue #13's load). database/sql prepares a
// Stmt again on each pooled connection it runs on, once.
type preparedReader struct {
	db *sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newPreparedReader(db *sql.DB) *preparedReader {
	return &preparedReader{db: db, stmts: map[string]*sql.Stmt{}}
}

// stmt returns the statement of query, prepared; nil when the reader keeps
// maxPrepared already or preparing failed (the caller then runs query
// unprepared, and meets the error, if any, there).
func (r *preparedReader) stmt(ctx context.Context, query string) *sql.Stmt {
	r.mu.Lock()
	s, ok := r.stmts[query]
	full := len(r.stmts) >= maxPrepared
	r.mu.Unlock()
	if ok || full {
		return s
	}
	// Prepared outside the lock: it runs SQL on a connection. Two callers
	// racing on a new text each prepare it; the first kept wins.
	s, err := r.db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if kept, ok := r.stmts[query]; ok {
		_ = s.Close()
		return kept
	}
	if len(r.stmts) >= maxPrepared {
		_ = s.Close()
		return nil
	}
	r.stmts[query] = s
	return s
}

// QueryContext is sql.DB's, through the statement of query.
func (r *preparedReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := r.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return r.db.QueryContext(ctx, query, args...)
}

// QueryRowContext is sql.DB's, through the statement of query.
func (r *preparedReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := r.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return r.db.QueryRowContext(ctx, query, args...)
}

// PrepareContext is sql.DB's: the caller keeps the statement.
func (r *preparedReader) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return r.db.PrepareContext(ctx, query)
}
