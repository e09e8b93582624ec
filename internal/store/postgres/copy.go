package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ErrUnfinishedJobs is returned by CopyFromSQLite when the SQLite database
// still has bulk changes or imports under way: they would stop half done,
// so the move waits until they finish.
var ErrUnfinishedJobs = errors.New("store: jobs are still running in the SQLite database")

// CopyReport counts what CopyFromSQLite copied; rows the PostgreSQL
// database already had are not counted.
type CopyReport struct {
	Sessions int64
	History  int64
}

// copied names each table CopyFromSQLite moves, with its columns, in the
// same order and of the same meaning on both engines (see both engines'
// migrations). The customer index is not among them: the first sign-in on
// PostgreSQL fills it from Square, as on a new install. Jobs are not
// either: CopyFromSQLite refuses while any runs, and the summaries of
// finished ones are a few days' notes, not records.
var copied = []struct {
	table, columns string
	// identity is the column PostgreSQL numbers itself, "" if none.
	identity string
}{
	{"sessions", "id, merchant_id, data, created_at, last_seen, version", ""},
	{"history", "id, merchant_id, customer_id, customer_name, kind, detail, changes, card_brand, card_last4, actor, user_agent, remote_addr, at, dedupe", "id"},
}

// CopyFromSQLite copies the sessions and the history from src, Tessera's
// SQLite database, in one transaction: all of it or, on an error, none.
// Rows already present (by id) are left as they are, so that running it
// again after a failure or a partial move copies what is missing and
// nothing twice. The sessions stay valid only if the replicas use the
// same TESSERA_SESSION_SECRET as the SQLite deployment did.
func (d *DB) CopyFromSQLite(ctx context.Context, src *sql.DB) (CopyReport, error) {
	var running int
	if err := src.QueryRowContext(ctx, "SELECT count(*) FROM jobs WHERE finished_at = 0").Scan(&running); err != nil {
		return CopyReport{}, fmt.Errorf("store: read the SQLite jobs: %w", err)
	}
	if running > 0 {
		return CopyReport{}, fmt.Errorf("%w (%d): let them finish, or cancel them, and try again", ErrUnfinishedJobs, running)
	}
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return CopyReport{}, fmt.Errorf("store: copy to %s: %w", d.where, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var counts [2]int64
	for i, t := range copied {
		if counts[i], err = copyTable(ctx, src, tx, t.table, t.columns, t.identity); err != nil {
			return CopyReport{}, fmt.Errorf("store: copy %s to %s: %w", t.table, d.where, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return CopyReport{}, fmt.Errorf("store: copy to %s: %w", d.where, err)
	}
	return CopyReport{Sessions: counts[0], History: counts[1]}, nil
}

// copyTable streams table's rows from src into a temporary table with
// COPY, then inserts those PostgreSQL does not have yet, keeping their ids.
// It returns how many it inserted.
func copyTable(ctx context.Context, src *sql.DB, tx pgx.Tx, table, columns, identity string) (int64, error) {
	// table and columns come from copied, never from input.
	stage := "copy_" + table
	if _, err := tx.Exec(ctx, "CREATE TEMPORARY TABLE "+stage+" (LIKE "+table+") ON COMMIT DROP"); err != nil {
		return 0, err
	}
	rows, err := src.QueryContext(ctx, "SELECT "+columns+" FROM "+table)
	if err != nil {
		return 0, fmt.Errorf("read SQLite: %w", err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	values := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range values {
		ptrs[i] = &values[i]
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{stage}, names, pgx.CopyFromFunc(func() ([]any, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		return values, nil
	}))
	if err != nil {
		return 0, err
	}
	overriding := ""
	if identity != "" {
		overriding = " OVERRIDING SYSTEM VALUE"
	}
	tag, err := tx.Exec(ctx, "INSERT INTO "+table+" ("+columns+")"+overriding+
		" SELECT "+columns+" FROM "+stage+" ON CONFLICT DO NOTHING")
	if err != nil {
		return 0, err
	}
	if identity != "" {
		// The next row PostgreSQL numbers comes after the copied ones.
		if _, err := tx.Exec(ctx, "SELECT setval(pg_get_serial_sequence('"+table+"', '"+identity+"'), GREATEST((SELECT max("+identity+") FROM "+table+"), 1))"); err != nil {
			return 0, err
		}
	}
	return tag.RowsAffected(), nil
}
