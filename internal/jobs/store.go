// Package jobs runs bulk changes on many customers (adding them to a group,
// taking them out of one, deleting them) in the background, with their
// progress kept in the store: a job survives a restart and resumes with the
// customers it had not done, never repeating one it had.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tessera-dashboard/tessera/internal/store"
	"github.com/tessera-dashboard/tessera/internal/textutil"
)

// Kind is what a job does to each customer.
type Kind string

// The kinds of job.
const (
	AddToGroup      Kind = "add"
	RemoveFromGroup Kind = "remove"
	Delete          Kind = "delete"
)

// State is where one customer of a job stands.
type State int

// The states of an item.
const (
	Pending State = iota
	Done
	Failed
)

// Retention is how long a finished job is kept for its summary.
const Retention = 7 * 24 * time.Hour

// ErrNotFound is a job that is not there, or not the merchant's.
var ErrNotFound = errors.New("jobs: no such job")

// Job is one bulk change.
type Job struct {
	ID, MerchantID     string
	Kind               Kind
	GroupID, GroupName string
	Total              int
	// Done and Failed count the items so far (Get fills them in).
	Done, Failed int
	Created      time.Time
	// Finished is zero while the job runs.
	Finished time.Time
}

// Running reports whether items are left.
func (j Job) Running() bool { return j.Finished.IsZero() }

// Item is one customer of a job.
type Item struct {
	Seq        int
	CustomerID string
	// Name is the customer's display name, for the summary.
	Name   string
	State  State
	Reason string
}

// Store keeps jobs in the database.
type Store struct {
	w, r *sql.DB
}

// NewStore keeps jobs in db.
func NewStore(db *store.DB) *Store { return &Store{w: db.Writer(), r: db.Reader()} }

// Create stores a new job with its items, all pending, and returns its id.
func (s *Store) Create(ctx context.Context, j Job, items []Item) (string, error) {
	if len(items) == 0 {
		return "", errors.New("jobs: a job needs customers")
	}
	j.ID = textutil.Token(16)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (id, merchant_id, kind, group_id, group_name, total, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, j.ID, j.MerchantID, string(j.Kind), j.GroupID, j.GroupName, len(items), j.Created.UnixMilli()); err != nil {
		return "", fmt.Errorf("jobs: create: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO job_items (job_id, seq, customer_id, name) VALUES (?, ?, ?, ?)")
	if err != nil {
		return "", err
	}
	defer stmt.Close()
	for i, it := range items {
		if _, err := stmt.ExecContext(ctx, j.ID, i, it.CustomerID, it.Name); err != nil {
			return "", fmt.Errorf("jobs: create: %w", err)
		}
	}
	return j.ID, tx.Commit()
}

// Get returns the merchant's job with its counts; another merchant's job
// is ErrNotFound.
func (s *Store) Get(ctx context.Context, merchantID, id string) (Job, error) {
	j, err := s.get(ctx, id)
	if err == nil && j.MerchantID != merchantID {
		return Job{}, ErrNotFound
	}
	return j, err
}

func (s *Store) get(ctx context.Context, id string) (Job, error) {
	var j Job
	var kind string
	var created, finished int64
	err := s.r.QueryRowContext(ctx, `SELECT id, merchant_id, kind, group_id, group_name, total, created_at, finished_at,
		(SELECT count(*) FROM job_items WHERE job_id = jobs.id AND state = 1),
		(SELECT count(*) FROM job_items WHERE job_id = jobs.id AND state = 2)
		FROM jobs WHERE id = ?`, id).Scan(&j.ID, &j.MerchantID, &kind, &j.GroupID, &j.GroupName, &j.Total, &created, &finished, &j.Done, &j.Failed)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, ErrNotFound
	}
	if err != nil {
		return Job{}, fmt.Errorf("jobs: get: %w", err)
	}
	j.Kind, j.Created = Kind(kind), time.UnixMilli(created)
	if finished != 0 {
		j.Finished = time.UnixMilli(finished)
	}
	return j, nil
}

// Items returns up to limit items of a job in the state, in order.
func (s *Store) Items(ctx context.Context, id string, state State, limit int) ([]Item, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, customer_id, name, state, reason FROM job_items
		WHERE job_id = ? AND state = ? ORDER BY seq LIMIT ?`, id, int(state), limit)
	if err != nil {
		return nil, fmt.Errorf("jobs: items: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		var st int
		if err := rows.Scan(&it.Seq, &it.CustomerID, &it.Name, &st, &it.Reason); err != nil {
			return nil, err
		}
		it.State = State(st)
		out = append(out, it)
	}
	return out, rows.Err()
}

// Mark records an item's outcome.
func (s *Store) Mark(ctx context.Context, id string, seq int, state State, reason string) error {
	_, err := s.w.ExecContext(ctx, "UPDATE job_items SET state = ?, reason = ? WHERE job_id = ? AND seq = ?", int(state), reason, id, seq)
	if err != nil {
		return fmt.Errorf("jobs: mark: %w", err)
	}
	return nil
}

// Finish marks the job done.
func (s *Store) Finish(ctx context.Context, id string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, "UPDATE jobs SET finished_at = ? WHERE id = ? AND finished_at = 0", max(at.UnixMilli(), 1), id)
	return err
}

// Unfinished lists the jobs still running, oldest first.
func (s *Store) Unfinished(ctx context.Context) ([]Job, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id FROM jobs WHERE finished_at = 0 ORDER BY created_at")
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []Job
	for _, id := range ids {
		j, err := s.get(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// Sweep deletes the jobs created before the time, with their items:
// finished ones, and any left unfinished that long.
func (s *Store) Sweep(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, "DELETE FROM jobs WHERE created_at < ?", before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("jobs: sweep: %w", err)
	}
	return res.RowsAffected()
}

// DropMerchant deletes a merchant's jobs, as on disconnecting.
func (s *Store) DropMerchant(ctx context.Context, merchantID string) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM jobs WHERE merchant_id = ?", merchantID)
	return err
}
