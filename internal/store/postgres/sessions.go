package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-dashboard/tessera/internal/store"
)

// The session store: the methods internal/session's Backend names, with
// the contract of internal/store's SQLite ones (see there for each). One
// difference: SQLite overwrites a deleted session's bytes in its files at
// once; PostgreSQL leaves them in the table's pages until VACUUM reuses
// them. The data is sealed either way; docs/security.md says what that
// means for a copy of the database.

const sessionColumns = "id, merchant_id, data, created_at, last_seen, version"

func scanSession(row pgx.Row) (store.SessionRow, error) {
	var r store.SessionRow
	var created, seen int64
	if err := row.Scan(&r.ID, &r.MerchantID, &r.Data, &created, &seen, &r.Version); err != nil {
		return store.SessionRow{}, err
	}
	r.CreatedAt, r.LastSeen = time.UnixMilli(created), time.UnixMilli(seen)
	return r, nil
}

func (d *DB) querySessions(ctx context.Context, what, sql string, args ...any) ([]store.SessionRow, error) {
	rows, err := d.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SessionRow, error) { return scanSession(r) })
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

// GetSession returns the session with the id, or store.ErrNotFound.
func (d *DB) GetSession(ctx context.Context, id string) (store.SessionRow, error) {
	r, err := scanSession(d.pool.QueryRow(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.SessionRow{}, store.ErrNotFound
	}
	if err != nil {
		// The id is left out of errors: with a signature it is a credential.
		return store.SessionRow{}, fmt.Errorf("store: get session: %w", err)
	}
	return r, nil
}

// PutSession inserts the session, or replaces the merchant, data and last
// seen time of an existing one, keeping its creation time.
func (d *DB) PutSession(ctx context.Context, row store.SessionRow) error {
	_, err := d.pool.Exec(ctx, `
		INSERT INTO sessions (id, merchant_id, data, created_at, last_seen) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET
			merchant_id = excluded.merchant_id, data = excluded.data, last_seen = excluded.last_seen`,
		row.ID, row.MerchantID, nonNil(row.Data), row.CreatedAt.UnixMilli(), row.LastSeen.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: put session: %w", err)
	}
	return nil
}

// UpdateSession writes over the version row.Version names only:
// store.ErrConflict when another write came first, store.ErrNotFound when
// the session is gone.
func (d *DB) UpdateSession(ctx context.Context, row store.SessionRow) error {
	var exists, updated bool
	// One statement decides both, so that no write slips in between the
	// update and the check of why it changed nothing.
	err := d.pool.QueryRow(ctx, `
		WITH u AS (
			UPDATE sessions SET merchant_id = $1, data = $2, last_seen = $3, version = version + 1
			WHERE id = $4 AND version = $5 RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM sessions WHERE id = $4)`,
		row.MerchantID, nonNil(row.Data), row.LastSeen.UnixMilli(), row.ID, row.Version).Scan(&updated, &exists)
	switch {
	case err != nil:
		return fmt.Errorf("store: update session: %w", err)
	case updated:
		return nil
	case exists:
		return store.ErrConflict
	}
	return store.ErrNotFound
}

// TouchSession moves the last seen time forward (never back);
// store.ErrNotFound when there is no such session.
func (d *DB) TouchSession(ctx context.Context, id string, lastSeen time.Time) error {
	tag, err := d.pool.Exec(ctx, "UPDATE sessions SET last_seen = greatest(last_seen, $1) WHERE id = $2", lastSeen.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteSession deletes the session; a missing one is not an error.
func (d *DB) DeleteSession(ctx context.Context, id string) error {
	if _, err := d.pool.Exec(ctx, "DELETE FROM sessions WHERE id = $1", id); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// SignOutMerchantSessions turns every session signed in as the merchant
// into a signed-out one holding data(id), in one transaction, and returns
// how many.
func (d *DB) SignOutMerchantSessions(ctx context.Context, merchantID string, data func(id string) []byte) (int64, error) {
	if merchantID == "" {
		return 0, errors.New("store: sign out merchant sessions: no merchant")
	}
	var n int64
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		// FOR UPDATE holds the rows, so that a session signing in again on
		// another replica meanwhile is either before or after, never lost.
		rows, err := tx.Query(ctx, "SELECT id FROM sessions WHERE merchant_id = $1 FOR UPDATE", merchantID)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.Exec(ctx, "UPDATE sessions SET merchant_id = '', data = $1, version = version + 1 WHERE id = $2", nonNil(data(id)), id); err != nil {
				return err
			}
		}
		n = int64(len(ids))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: sign out merchant sessions: %w", err)
	}
	return n, nil
}

// DeleteExpiredSessions deletes the sessions last seen before idleBefore or
// created before createdBefore, and returns how many.
func (d *DB) DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error) {
	tag, err := d.pool.Exec(ctx, "DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2", idleBefore.UnixMilli(), createdBefore.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// ExpiredSignedInSessions returns the signed-in sessions that
// DeleteExpiredSessions would delete.
func (d *DB) ExpiredSignedInSessions(ctx context.Context, idleBefore, createdBefore time.Time) ([]store.SessionRow, error) {
	return d.querySessions(ctx, "expired sessions",
		"SELECT "+sessionColumns+" FROM sessions WHERE merchant_id <> '' AND (last_seen < $1 OR created_at < $2)",
		idleBefore.UnixMilli(), createdBefore.UnixMilli())
}

// TrimSignedOutSessions deletes the signed-out sessions beyond the keep
// most recently seen, and returns how many.
func (d *DB) TrimSignedOutSessions(ctx context.Context, keep int) (int64, error) {
	tag, err := d.pool.Exec(ctx, `
		DELETE FROM sessions WHERE merchant_id = '' AND id IN (
			SELECT id FROM sessions WHERE merchant_id = '' ORDER BY last_seen DESC OFFSET $1)`, keep)
	if err != nil {
		return 0, fmt.Errorf("store: trim signed-out sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// LiveMerchantSessions returns the signed-in sessions seen at or after
// seenAfter and created at or after createdAfter, the most recently seen
// first, at most limit per merchant; with merchantID set, only its.
func (d *DB) LiveMerchantSessions(ctx context.Context, merchantID string, seenAfter, createdAfter time.Time, limit int) ([]store.SessionRow, error) {
	return d.querySessions(ctx, "live sessions", `
		SELECT `+sessionColumns+` FROM (
			SELECT *, row_number() OVER (PARTITION BY merchant_id ORDER BY last_seen DESC) AS n
			FROM sessions WHERE merchant_id <> '' AND last_seen >= $1 AND created_at >= $2
				AND ($3 = '' OR merchant_id = $3)) s
		WHERE n <= $4 ORDER BY merchant_id, last_seen DESC`,
		seenAfter.UnixMilli(), createdAfter.UnixMilli(), merchantID, limit)
}

// nonNil keeps an empty blob from being sent as NULL, which the NOT NULL
// column would refuse.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
