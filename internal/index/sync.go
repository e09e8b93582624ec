package index

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// SyncRange is one slice of a full sync: the customers created in
// [From, To), read page by page with Square's cursor.
type SyncRange struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Cursor is Square's cursor for the next page; empty before the first
	// page and after the last.
	Cursor string `json:"cursor,omitempty"`
	Done   bool   `json:"done,omitempty"`
	// Indexed counts the customers stored from this range, for progress.
	Indexed int `json:"indexed,omitempty"`
}

// SyncState is the sync's bookkeeping for one merchant. The index stores it
// and never interprets it; the sync engine owns its meaning. Times are zero
// when the event has not happened.
type SyncState struct {
	// Ranges is the full sync in progress (or the last one), split by
	// created_at so that several ranges can be paged at once and a restart
	// carries on from each range's cursor.
	Ranges []SyncRange `json:"ranges,omitempty"`
	// Expected is how many customers the full sync expects, for progress.
	Expected int `json:"expected,omitempty"`
	// FullSyncStarted and FullSyncDone bracket the last full sync; a full
	// sync is in progress while FullSyncDone is before FullSyncStarted.
	FullSyncStarted time.Time `json:"full_sync_started,omitzero"`
	FullSyncDone    time.Time `json:"full_sync_done,omitzero"`
	// Watermark is the updated_at up to which an incremental sync has read
	// every change; the next one reads from it, less an overlap.
	Watermark       time.Time `json:"watermark,omitzero"`
	LastIncremental time.Time `json:"last_incremental,omitzero"`
	LastReconcile   time.Time `json:"last_reconcile,omitzero"`
	LastWebhook     time.Time `json:"last_webhook,omitzero"`
}

// Ready reports whether a full sync has completed, so that the index can
// serve the directory.
func (s SyncState) Ready() bool {
	return !s.FullSyncDone.IsZero() && !s.FullSyncDone.Before(s.FullSyncStarted)
}

// Indexed sums the customers stored by the ranges of the full sync.
func (s SyncState) Indexed() int {
	n := 0
	for _, r := range s.Ranges {
		n += r.Indexed
	}
	return n
}

// SyncState returns the merchant's sync state, zero if it has none.
func (x *Index) SyncState(ctx context.Context, merchantID string) (SyncState, error) {
	return readSync(ctx, x.reader, merchantID)
}

// UpdateSyncState applies fn to the merchant's sync state and stores the
// result, in one write transaction: parallel workers each advancing their own
// range cannot lose each other's progress. If fn fails nothing is stored.
func (x *Index) UpdateSyncState(ctx context.Context, merchantID string, fn func(*SyncState) error) error {
	if merchantID == "" {
		return fmt.Errorf("%w: empty merchant id", ErrInvalid)
	}
	return x.tx(ctx, func(tx *sql.Tx) error { return updateSync(ctx, tx, merchantID, fn) })
}

type queryRower interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

func readSync(ctx context.Context, q queryRower, merchantID string) (SyncState, error) {
	var raw string
	err := q.QueryRowContext(ctx, "SELECT state FROM index_sync WHERE merchant_id = ?", merchantID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return SyncState{}, nil
	}
	if err != nil {
		return SyncState{}, fmt.Errorf("index: sync state: %w", err)
	}
	var s SyncState
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		// A state this program cannot read is as good as none: the sync
		// starts over rather than the index stopping for good.
		return SyncState{}, nil
	}
	return s, nil
}

func updateSync(ctx context.Context, tx *sql.Tx, merchantID string, fn func(*SyncState) error) error {
	s, err := readSync(ctx, tx, merchantID)
	if err != nil {
		return err
	}
	if err := fn(&s); err != nil {
		return err
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("index: sync state: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO index_sync (merchant_id, state) VALUES (?, ?)
		ON CONFLICT (merchant_id) DO UPDATE SET state = excluded.state`, merchantID, string(raw))
	if err != nil {
		return fmt.Errorf("index: sync state: %w", err)
	}
	return nil
}
