package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SessionRow is one stored session. Data is opaque here: internal/session
// encrypts it before it arrives. Times are kept to the millisecond.
type SessionRow struct {
	ID         string
	MerchantID string
	Data       []byte
	CreatedAt  time.Time
	LastSeen   time.Time
	// Version counts the writes of Data: UpdateSession writes only over the
	// version it names, and GetSession reports the current one.
	Version int64
}

// ErrConflict is returned by UpdateSession when the session was written
// since it was read: the caller reads it again and reapplies its change.
var ErrConflict = errors.New("store: session changed since it was read")

const getSessionSQL = "SELECT merchant_id, data, created_at, last_seen, version FROM sessions WHERE id = ?"

// GetSession returns the session with the id, or ErrNotFound.
func (d *DB) GetSession(ctx context.Context, id string) (SessionRow, error) {
	row := SessionRow{ID: id}
	var created, lastSeen int64
	err := d.getSession.QueryRowContext(ctx, id).Scan(&row.MerchantID, &row.Data, &created, &lastSeen, &row.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return SessionRow{}, ErrNotFound
	}
	if err != nil {
		// The id is left out of errors: with a signature it is a credential.
		return SessionRow{}, fmt.Errorf("store: get session: %w", err)
	}
	row.CreatedAt = time.UnixMilli(created)
	row.LastSeen = time.UnixMilli(lastSeen)
	return row, nil
}

// PutSession inserts the session, or replaces the merchant, data and last
// seen time of an existing one. CreatedAt of an existing row is kept, so that
// writing a session never extends its absolute lifetime. It is meant for a
// new session: its Version is not checked, so changes to a session that
// others may be writing go through UpdateSession.
func (d *DB) PutSession(ctx context.Context, row SessionRow) error {
	_, err := d.writer.ExecContext(ctx, `
		INSERT INTO sessions (id, merchant_id, data, created_at, last_seen) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			merchant_id = excluded.merchant_id, data = excluded.data, last_seen = excluded.last_seen`,
		row.ID, row.MerchantID, nonNil(row.Data), row.CreatedAt.UnixMilli(), row.LastSeen.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: put session: %w", err)
	}
	return nil
}

// UpdateSession replaces the merchant, data and last seen time of an
// existing session whose version is still row.Version, and moves the version
// on by one. It returns ErrNotFound if there is no such session, which keeps
// it from bringing back a session deleted meanwhile (by a sign-out in
// another tab), and ErrConflict if the session was written since row.Version
// was read.
func (d *DB) UpdateSession(ctx context.Context, row SessionRow) error {
	res, err := d.writer.ExecContext(ctx,
		"UPDATE sessions SET merchant_id = ?, data = ?, last_seen = ?, version = version + 1 WHERE id = ? AND version = ?",
		row.MerchantID, nonNil(row.Data), row.LastSeen.UnixMilli(), row.ID, row.Version)
	err = changedOne(res, err, "update session")
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	var exists bool
	if err := d.writer.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM sessions WHERE id = ?)", row.ID).Scan(&exists); err != nil {
		return fmt.Errorf("store: update session: %w", err)
	}
	if exists {
		return ErrConflict
	}
	return ErrNotFound
}

// TouchSession moves the session's last seen time forward to lastSeen (never
// back), and returns ErrNotFound if there is no such session.
func (d *DB) TouchSession(ctx context.Context, id string, lastSeen time.Time) error {
	res, err := d.writer.ExecContext(ctx,
		"UPDATE sessions SET last_seen = max(last_seen, ?) WHERE id = ?", lastSeen.UnixMilli(), id)
	return changedOne(res, err, "touch session")
}

// DeleteSession deletes the session. Deleting a missing one is not an error:
// either way it is gone. A session that held a merchant's tokens is wiped
// from the files too (see forget).
func (d *DB) DeleteSession(ctx context.Context, id string) error {
	var merchantID string
	err := d.writer.QueryRowContext(ctx, "DELETE FROM sessions WHERE id = ? RETURNING merchant_id", id).Scan(&merchantID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	if merchantID != "" {
		return d.forget(ctx)
	}
	return nil
}

// SignOutMerchantSessions turns every session signed in as the merchant
// into a signed-out one whose data is what data returns for its id (the
// caller seals a record there), in one transaction, then wipes the old
// tokens from the files. It returns how many sessions it signed out: the
// merchant ended Tessera's authorization, so none of its tokens works any
// more, and each person learns so at their next request.
func (d *DB) SignOutMerchantSessions(ctx context.Context, merchantID string, data func(id string) []byte) (int64, error) {
	if merchantID == "" {
		return 0, errors.New("store: sign out merchant sessions: no merchant")
	}
	tx, err := d.writer.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: sign out merchant sessions: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, "SELECT id FROM sessions WHERE merchant_id = ?", merchantID)
	if err != nil {
		return 0, fmt.Errorf("store: sign out merchant sessions: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: sign out merchant sessions: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: sign out merchant sessions: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, "UPDATE sessions SET merchant_id = '', data = ?, version = version + 1 WHERE id = ?", nonNil(data(id)), id); err != nil {
			return 0, fmt.Errorf("store: sign out merchant sessions: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: sign out merchant sessions: %w", err)
	}
	if len(ids) > 0 {
		return int64(len(ids)), d.forget(ctx)
	}
	return 0, nil
}

// DeleteExpiredSessions deletes the sessions last seen before idleBefore or
// created before createdBefore, and returns how many it deleted.
func (d *DB) DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error) {
	res, err := d.writer.ExecContext(ctx,
		"DELETE FROM sessions WHERE last_seen < ? OR created_at < ?", idleBefore.UnixMilli(), createdBefore.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	if n > 0 {
		return n, d.forget(ctx)
	}
	return n, nil
}

// ExpiredSignedInSessions returns the signed-in sessions that
// DeleteExpiredSessions would delete, so that their tokens can be revoked
// before the rows go.
func (d *DB) ExpiredSignedInSessions(ctx context.Context, idleBefore, createdBefore time.Time) ([]SessionRow, error) {
	rows, err := d.reader.QueryContext(ctx,
		"SELECT id, merchant_id, data, created_at, last_seen, version FROM sessions WHERE merchant_id != '' AND (last_seen < ? OR created_at < ?)",
		idleBefore.UnixMilli(), createdBefore.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: expired sessions: %w", err)
	}
	defer rows.Close()
	var out []SessionRow
	for rows.Next() {
		var r SessionRow
		var created, lastSeen int64
		if err := rows.Scan(&r.ID, &r.MerchantID, &r.Data, &created, &lastSeen, &r.Version); err != nil {
			return nil, fmt.Errorf("store: expired sessions: %w", err)
		}
		r.CreatedAt, r.LastSeen = time.UnixMilli(created), time.UnixMilli(lastSeen)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: expired sessions: %w", err)
	}
	return out, nil
}

// TrimSignedOutSessions deletes the signed-out sessions (those without a
// merchant) beyond the keep most recently seen, and returns how many it
// deleted. Anyone can make a signed-out session without signing in, so
// their number must have a ceiling for the database to have one.
func (d *DB) TrimSignedOutSessions(ctx context.Context, keep int) (int64, error) {
	res, err := d.writer.ExecContext(ctx, `
		DELETE FROM sessions WHERE merchant_id = '' AND id IN (
			SELECT id FROM sessions WHERE merchant_id = '' ORDER BY last_seen DESC LIMIT -1 OFFSET ?)`, keep)
	if err != nil {
		return 0, fmt.Errorf("store: trim signed-out sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: trim signed-out sessions: %w", err)
	}
	return n, nil
}

// forget moves the write-ahead log into the database file and empties it.
// With secure_delete on, a deleted row's bytes are overwritten in the
// database pages, but the log still holds the frames that wrote the row
// until a checkpoint: after one, neither file holds a deleted session's
// encrypted tokens, which a copy of the files and a leaked secret could
// otherwise open.
func (d *DB) forget(ctx context.Context) error {
	// The checkpoint's busy result is ignored: a reader in the middle of a
	// query can keep part of the log alive, and the next checkpoint (SQLite
	// makes one every 1,000 pages, and every deletion asks for one) will
	// take it.
	if _, err := d.writer.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	return nil
}

// changedOne turns the result of an UPDATE by primary key into ErrNotFound
// when no row matched.
func changedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// nonNil keeps an empty blob from being stored as NULL, which the NOT NULL
// column would refuse.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// LiveMerchantSessions returns the signed-in sessions last seen at or after
// seenAfter and created at or after createdAfter (not ended by a timeout),
// the most recently seen first, at most limit of them per merchant; with
// merchantID set, only that merchant's.
func (d *DB) LiveMerchantSessions(ctx context.Context, merchantID string, seenAfter, createdAfter time.Time, limit int) ([]SessionRow, error) {
	q := `SELECT id, merchant_id, data, created_at, last_seen, version FROM (
		SELECT *, row_number() OVER (PARTITION BY merchant_id ORDER BY last_seen DESC) AS n
		FROM sessions WHERE merchant_id != '' AND last_seen >= ? AND created_at >= ?`
	args := []any{seenAfter.UnixMilli(), createdAfter.UnixMilli()}
	if merchantID != "" {
		q += " AND merchant_id = ?"
		args = append(args, merchantID)
	}
	q += ") WHERE n <= ? ORDER BY merchant_id, last_seen DESC"
	args = append(args, limit)
	rows, err := d.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: live sessions: %w", err)
	}
	defer rows.Close()
	var out []SessionRow
	for rows.Next() {
		var r SessionRow
		var created, seen int64
		if err := rows.Scan(&r.ID, &r.MerchantID, &r.Data, &created, &seen, &r.Version); err != nil {
			return nil, fmt.Errorf("store: live sessions: %w", err)
		}
		r.CreatedAt, r.LastSeen = time.UnixMilli(created), time.UnixMilli(seen)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: live sessions: %w", err)
	}
	return out, nil
}
