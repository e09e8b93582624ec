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
}

const getSessionSQL = "SELECT merchant_id, data, created_at, last_seen FROM sessions WHERE id = ?"

// GetSession returns the session with the id, or ErrNotFound.
func (d *DB) GetSession(ctx context.Context, id string) (SessionRow, error) {
	row := SessionRow{ID: id}
	var created, lastSeen int64
	err := d.getSession.QueryRowContext(ctx, id).Scan(&row.MerchantID, &row.Data, &created, &lastSeen)
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
// writing a session never extends its absolute lifetime.
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
// existing session, and returns ErrNotFound if there is none. Unlike
// PutSession it cannot bring back a session deleted meanwhile, by a sign-out
// in another tab for instance.
func (d *DB) UpdateSession(ctx context.Context, row SessionRow) error {
	res, err := d.writer.ExecContext(ctx,
		"UPDATE sessions SET merchant_id = ?, data = ?, last_seen = ? WHERE id = ?",
		row.MerchantID, nonNil(row.Data), row.LastSeen.UnixMilli(), row.ID)
	return changedOne(res, err, "update session")
}

// TouchSession moves the session's last seen time forward to lastSeen (never
// back), and returns ErrNotFound if there is no such session.
func (d *DB) TouchSession(ctx context.Context, id string, lastSeen time.Time) error {
	res, err := d.writer.ExecContext(ctx,
		"UPDATE sessions SET last_seen = max(last_seen, ?) WHERE id = ?", lastSeen.UnixMilli(), id)
	return changedOne(res, err, "touch session")
}

// DeleteSession deletes the session. Deleting a missing one is not an error:
// either way it is gone.
func (d *DB) DeleteSession(ctx context.Context, id string) error {
	if _, err := d.writer.ExecContext(ctx, "DELETE FROM sessions WHERE id = ?", id); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
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
	return n, nil
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
