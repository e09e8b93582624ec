// Package jobs runs bulk changes on many customers (adding them to a group,
// taking them out of one, deleting them, importing a CSV file) in the
// background, with their progress kept in the store: a job survives a
// restart and resumes with the customers it had not done, never repeating
// one it had. Several replicas may share the store (PostgreSQL): each job
// is run by the one that holds its lease, and taken over by another when
// that one stops renewing it.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

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

// ErrLeaseLost is a write refused because another replica holds the job
// now (this one stopped renewing its lease), or a renewal of a job that
// finished.
var ErrLeaseLost = errors.New("jobs: another replica holds the job")

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
	// Owner is the replica that holds the job's lease ("" when none does),
	// until LeaseUntil: then another replica may take the job over.
	Owner      string
	LeaseUntil time.Time
}

// Lease names a job and the replica that runs it. A run's writes name it,
// and are refused with ErrLeaseLost once another replica has taken the job
// over; "" is the owner of a job nobody has claimed.
type Lease struct{ Job, Owner string }

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

// DB is the database jobs are kept in: the embedded SQLite store
// (internal/store) or PostgreSQL (internal/store/postgres). The SQL here is
// written once, with ? placeholders, for both (as internal/history's).
type DB interface {
	Writer() *sql.DB
	Reader() *sql.DB
	Rebind(query string) string
}

// Store keeps jobs in the database.
type Store struct {
	db DB
}

// NewStore keeps jobs in db.
func NewStore(db DB) *Store { return &Store{db: db} }

func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.db.Writer().ExecContext(ctx, s.db.Rebind(query), args...)
}

// itemsPerInsert is how many items one INSERT stores: 100 rows of 9
// values stay far below either engine's limit on parameters, and spare
// PostgreSQL a round trip per row.
const itemsPerInsert = 100

// Create stores a new job with its items, all pending, and returns its id.
func (s *Store) Create(ctx context.Context, j Job, items []Item) (string, error) {
	if len(items) == 0 {
		return "", errors.New("jobs: a job needs customers")
	}
	j.ID = textutil.Token(16)
	tx, err := s.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	// DO NOTHING rather than an error: on PostgreSQL a failed statement
	// spoils the transaction, and the running job is looked up in it.
	res, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO jobs (id, merchant_id, kind, group_id, group_name, total, created_at, run_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
		j.ID, j.MerchantID, string(j.Kind), j.GroupID, j.GroupName, len(items), j.Created.UnixMilli(), j.RunKey)
	if err != nil {
		return "", fmt.Errorf("jobs: create: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		var running string
		if j.RunKey != "" && tx.QueryRowContext(ctx, s.db.Rebind("SELECT id FROM jobs WHERE merchant_id = ? AND run_key = ? AND finished_at = 0"),
			j.MerchantID, j.RunKey).Scan(&running) == nil {
			return "", &RunningError{ID: running}
		}
		return "", fmt.Errorf("jobs: create: the job was not stored (%v)", err)
	}
	for start := 0; start < len(items); start += itemsPerInsert {
		chunk := items[start:min(start+itemsPerInsert, len(items))]
		var q strings.Builder
		q.WriteString("INSERT INTO job_items (job_id, seq, customer_id, name, state, reason, line, action, payload) VALUES ")
		args := make([]any, 0, 9*len(chunk))
		for i, it := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, j.ID, start+i, it.CustomerID, it.Name, int(it.State), it.Reason, it.Line, it.Action, it.Payload)
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind(q.String()), args...); err != nil {
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
	var created, finished, leaseUntil int64
	err := s.db.Reader().QueryRowContext(ctx, s.db.Rebind(`SELECT id, merchant_id, kind, group_id, group_name, run_key, total, created_at, finished_at,
		owner, lease_until,
		(SELECT count(*) FROM job_items WHERE job_id = jobs.id AND state = 1),
		(SELECT count(*) FROM job_items WHERE job_id = jobs.id AND state = 2),
		(SELECT count(*) FROM job_items WHERE job_id = jobs.id AND state = 3),
		(SELECT count(*) FROM job_items WHERE job_id = jobs.id AND state = 1 AND action = 'create')
		FROM jobs WHERE id = ?`), id).Scan(&j.ID, &j.MerchantID, &kind, &j.GroupID, &j.GroupName, &j.RunKey, &j.Total, &created, &finished,
		&j.Owner, &leaseUntil, &j.Done, &j.Failed, &j.Skipped, &j.Made)
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
	if leaseUntil != 0 {
		j.LeaseUntil = time.UnixMilli(leaseUntil)
	}
	return j, nil
}

// Items returns up to limit items of a job in the state, in order.
func (s *Store) Items(ctx context.Context, id string, state State, limit int) ([]Item, error) {
	return s.items(ctx, `SELECT seq, customer_id, name, state, reason, line, action, payload, grouped FROM job_items
		WHERE job_id = ? AND state = ? ORDER BY seq LIMIT ?`, id, int(state), limit)
}

func (s *Store) items(ctx context.Context, query string, args ...any) ([]Item, error) {
	rows, err := s.db.Reader().QueryContext(ctx, s.db.Rebind(query), args...)
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

// held is the condition, with the lease's job and owner as its arguments,
// that fences a run's writes: they land only while the replica holds the
// job. A replica that lost it (it stopped renewing, and another took the
// job over) finds its writes refused and stops, and never overwrites what
// the other recorded.
const held = "EXISTS (SELECT 1 FROM jobs WHERE id = ? AND owner = ?)"

// mark runs a fenced update of one item and tells a lost lease from an
// item that was already recorded.
func (s *Store) mark(ctx context.Context, l Lease, query string, args ...any) error {
	res, err := s.exec(ctx, query, append(args, l.Job, l.Owner)...)
	if err != nil {
		return fmt.Errorf("jobs: mark: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return s.holds(ctx, l)
}

// holds is nil while the replica holds the job's lease, ErrLeaseLost once
// it does not.
func (s *Store) holds(ctx context.Context, l Lease) error {
	var owner string
	err := s.db.Writer().QueryRowContext(ctx, s.db.Rebind("SELECT owner FROM jobs WHERE id = ?"), l.Job).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case err != nil:
		return fmt.Errorf("jobs: lease: %w", err)
	case owner != l.Owner:
		return ErrLeaseLost
	}
	return nil
}

// Mark records a pending item's outcome, for the replica that holds the
// job (an item already recorded is left as it is).
func (s *Store) Mark(ctx context.Context, l Lease, seq int, state State, reason string) error {
	return s.mark(ctx, l, "UPDATE job_items SET state = ?, reason = ? WHERE job_id = ? AND seq = ? AND state = 0 AND "+held,
		int(state), reason, l.Job, seq)
}

// MarkImported records a pending import row's outcome with the customer
// Square created or updated, for the replica that holds the job.
func (s *Store) MarkImported(ctx context.Context, l Lease, seq int, state State, reason, customerID string) error {
	return s.mark(ctx, l, "UPDATE job_items SET state = ?, reason = ?, customer_id = ? WHERE job_id = ? AND seq = ? AND state = 0 AND "+held,
		int(state), reason, customerID, l.Job, seq)
}

// MarkGrouped records whether a done item's customer went into the job's
// group (1) or not (2, with the reason), for the replica that holds the
// job.
func (s *Store) MarkGrouped(ctx context.Context, l Lease, seq, grouped int, reason string) error {
	return s.mark(ctx, l, "UPDATE job_items SET grouped = ?, reason = ? WHERE job_id = ? AND seq = ? AND grouped = 0 AND "+held,
		grouped, reason, l.Job, seq)
}

// Ungrouped returns up to limit done items not yet added to the group.
func (s *Store) Ungrouped(ctx context.Context, id string, limit int) ([]Item, error) {
	return s.items(ctx, `SELECT seq, customer_id, name, state, reason, line, action, payload, grouped FROM job_items
		WHERE job_id = ? AND state = 1 AND grouped = 0 ORDER BY seq LIMIT ?`, id, limit)
}

// NotGrouped counts the done items Square refused to add to the group.
func (s *Store) NotGrouped(ctx context.Context, id string) (int, error) {
	var n int
	err := s.db.Reader().QueryRowContext(ctx, s.db.Rebind("SELECT count(*) FROM job_items WHERE job_id = ? AND state = 1 AND grouped = 2"), id).Scan(&n)
	return n, err
}

// Imported maps the lines of the merchant's earlier imports with the run
// key (the same file) to the customers they created, so that importing
// the file again creates none of them a second time, even after Square
// has forgotten the idempotency keys (24 hours).
func (s *Store) Imported(ctx context.Context, merchantID, runKey string) (map[int]string, error) {
	rows, err := s.db.Reader().QueryContext(ctx, s.db.Rebind(`SELECT i.line, i.customer_id FROM jobs j JOIN job_items i ON i.job_id = j.id
		WHERE j.merchant_id = ? AND j.run_key = ? AND i.state = 1 AND i.action = 'create'`), merchantID, runKey)
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

// Finish marks the job done, for the replica that holds it.
func (s *Store) Finish(ctx context.Context, l Lease, at time.Time) error {
	res, err := s.exec(ctx, "UPDATE jobs SET finished_at = ? WHERE id = ? AND owner = ? AND finished_at = 0", max(at.UnixMilli(), 1), l.Job, l.Owner)
	if err != nil {
		return fmt.Errorf("jobs: finish: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return s.holds(ctx, l)
}

// Claim makes the job the owner's until the time, unless another replica
// holds it: it succeeds on an unfinished job that nobody holds, whose
// lease ran out before now, or that the owner holds already. It reports
// whether it did. The claim is one conditional UPDATE: on PostgreSQL a
// replica claiming at the same moment waits for the row, finds the lease
// taken when its condition is evaluated again, and changes nothing; on
// SQLite the single writer takes claims one at a time. So of any number
// of replicas claiming one job, exactly one wins.
func (s *Store) Claim(ctx context.Context, l Lease, now, until time.Time) (bool, error) {
	res, err := s.exec(ctx, `UPDATE jobs SET owner = ?, lease_until = ?
		WHERE id = ? AND finished_at = 0 AND (owner = ? OR owner = '' OR lease_until < ?)`,
		l.Owner, until.UnixMilli(), l.Job, l.Owner, now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("jobs: claim: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Renew moves the lease the owner holds on to the time; ErrLeaseLost if
// another replica took the job over, or it finished.
func (s *Store) Renew(ctx context.Context, l Lease, until time.Time) error {
	res, err := s.exec(ctx, "UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ? AND finished_at = 0", until.UnixMilli(), l.Job, l.Owner)
	if err != nil {
		return fmt.Errorf("jobs: renew: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return ErrLeaseLost
}

// Release gives the job up, if the owner holds it, for any replica to
// claim at once (a replica shutting down leaves its jobs to the others).
func (s *Store) Release(ctx context.Context, l Lease) error {
	if _, err := s.exec(ctx, "UPDATE jobs SET owner = '', lease_until = 0 WHERE id = ? AND owner = ?", l.Job, l.Owner); err != nil {
		return fmt.Errorf("jobs: release: %w", err)
	}
	return nil
}

// Unfinished lists the jobs still running, oldest first.
func (s *Store) Unfinished(ctx context.Context) ([]Job, error) {
	rows, err := s.db.Reader().QueryContext(ctx, s.db.Rebind("SELECT id FROM jobs WHERE finished_at = 0 ORDER BY created_at"))
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
		if errors.Is(err, ErrNotFound) {
			continue // swept or dropped meanwhile
		}
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
	res, err := s.exec(ctx, "DELETE FROM jobs WHERE created_at < ?", before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("jobs: sweep: %w", err)
	}
	return res.RowsAffected()
}

// DropMerchant deletes a merchant's jobs, as on disconnecting.
func (s *Store) DropMerchant(ctx context.Context, merchantID string) error {
	_, err := s.exec(ctx, "DELETE FROM jobs WHERE merchant_id = ?", merchantID)
	return err
}
