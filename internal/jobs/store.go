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
	"strings"
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
	// Import creates or updates the customers of a CSV file (imports.go).
	Import Kind = "import"
)

// State is where one customer of a job stands.
type State int

// The states of an item.
const (
	Pending State = iota
	Done
	Failed
	// Skipped is a row of an import left out by the person's choice.
	Skipped
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
	// RunKey, when set, allows one unfinished job per key and merchant:
	// an import's is its file's hash, so two starts find one job.
	RunKey string
	Total  int
	// Done and Failed count the items so far, Skipped those left out, and
	// Made the done ones that created a customer (Get fills them in).
	Done, Failed, Skipped, Made int
	Created                     time.Time
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
	// Line, Action and Payload are an import's: the row's line in the
	// file, ActionCreate or ActionUpdate, and the request to send (JSON).
	Line    int
	Action  string
	Payload string
	// Grouped is 1 once the customer is in the job's group, 2 if Square
	// refused to add it.
	Grouped int
}

// The actions of an import's items.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
)

// RunningError is Create refused: a job with the same run key is still
// running, and ID is that job's.
type RunningError struct{ ID string }

func (e *RunningError) Error() string { return "jobs: a job with this run key is running: " + e.ID }

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
	if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (id, merchant_id, kind, group_id, group_name, total, created_at, run_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, j.ID, j.MerchantID, string(j.Kind), j.GroupID, j.GroupName, len(items), j.Created.UnixMilli(), j.RunKey); err != nil {
		if j.RunKey != "" && strings.Contains(err.Error(), "UNIQUE") {
			var running string
			if tx.QueryRowContext(ctx, "SELECT id FROM jobs WHERE merchant_id = ? AND run_key = ? AND finished_at = 0",
				j.MerchantID, j.RunKey).Scan(&running) == nil {
				return "", &RunningError{ID: running}
			}
		}
		return "", fmt.Errorf("jobs: create: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO job_items (job_id, seq, customer_id, name, state, reason, line, action, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return "", err
	}
	defer stmt.Close()
	for i, it := range items {
		if _, err := stmt.ExecContext(ctx, j.ID, i, it.CustomerID, it.Name, int(it.State), it.Reason, it.Line, it.Action, it.Payload); err != nil {
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
	err := s.r.QueryRowContext(ctx, `SELECT id, merchant_id, kind, group_id, group_name, run_key, total, created_at, finished_at,
		(SELECT count(*) FROM job_items WHERE job_id = jobs.id AND state = 1),
		(SELECT count(*) FROM job_items WHERE job_id = jobs.id AND state = 2),
		(SELECT count(*) FROM job_items WHERE job_id = jobs.id AND state = 3),
		(SELECT count(*) FROM job_items WHERE job_id = jobs.id AND state = 1 AND action = 'create')
		FROM jobs WHERE id = ?`, id).Scan(&j.ID, &j.MerchantID, &kind, &j.GroupID, &j.GroupName, &j.RunKey, &j.Total, &created, &finished,
		&j.Done, &j.Failed, &j.Skipped, &j.Made)
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
	return s.items(ctx, `SELECT seq, customer_id, name, state, reason, line, action, payload, grouped FROM job_items
		WHERE job_id = ? AND state = ? ORDER BY seq LIMIT ?`, id, int(state), limit)
}

func (s *Store) items(ctx context.Context, query string, args ...any) ([]Item, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("jobs: items: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		var st int
		if err := rows.Scan(&it.Seq, &it.CustomerID, &it.Name, &st, &it.Reason, &it.Line, &it.Action, &it.Payload, &it.Grouped); err != nil {
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

// MarkImported records an import row's outcome with the customer Square
// created or updated.
func (s *Store) MarkImported(ctx context.Context, id string, seq int, state State, reason, customerID string) error {
	_, err := s.w.ExecContext(ctx, "UPDATE job_items SET state = ?, reason = ?, customer_id = ? WHERE job_id = ? AND seq = ?",
		int(state), reason, customerID, id, seq)
	if err != nil {
		return fmt.Errorf("jobs: mark: %w", err)
	}
	return nil
}

// MarkGrouped records whether a done item's customer went into the job's
// group (1) or not (2, with the reason).
func (s *Store) MarkGrouped(ctx context.Context, id string, seq, grouped int, reason string) error {
	_, err := s.w.ExecContext(ctx, "UPDATE job_items SET grouped = ?, reason = ? WHERE job_id = ? AND seq = ?", grouped, reason, id, seq)
	if err != nil {
		return fmt.Errorf("jobs: mark: %w", err)
	}
	return nil
}

// Ungrouped returns up to limit done items not yet added to the group.
func (s *Store) Ungrouped(ctx context.Context, id string, limit int) ([]Item, error) {
	return s.items(ctx, `SELECT seq, customer_id, name, state, reason, line, action, payload, grouped FROM job_items
		WHERE job_id = ? AND state = 1 AND grouped = 0 ORDER BY seq LIMIT ?`, id, limit)
}

// NotGrouped counts the done items Square refused to add to the group.
func (s *Store) NotGrouped(ctx context.Context, id string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM job_items WHERE job_id = ? AND state = 1 AND grouped = 2", id).Scan(&n)
	return n, err
}

// Imported maps the lines of the merchant's earlier imports with the run
// key (the same file) to the customers they created, so that importing
// the file again creates none of them a second time, even after Square
// has forgotten the idempotency keys (24 hours).
func (s *Store) Imported(ctx context.Context, merchantID, runKey string) (map[int]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT i.line, i.customer_id FROM jobs j JOIN job_items i ON i.job_id = j.id
		WHERE j.merchant_id = ? AND j.run_key = ? AND i.state = 1 AND i.action = 'create'`, merchantID, runKey)
	if err != nil {
		return nil, fmt.Errorf("jobs: imported: %w", err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var line int
		var id string
		if err := rows.Scan(&line, &id); err != nil {
			return nil, err
		}
		out[line] = id
	}
	return out, rows.Err()
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
