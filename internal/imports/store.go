// Package imports keeps the customer files uploaded for an import and turns
// a file's rows, with the person's choices, into the rows of an import job.
// A file is personal data: it belongs to one merchant, is read only with
// that merchant's id, and is deleted a day after its upload if no import
// started from it, else with its job (jobs.Retention).
package imports

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tessera-dashboard/tessera/internal/textutil"
)

// Unstarted is how long a file no import started from is kept.
const Unstarted = 24 * time.Hour

// ErrNotFound is a file that is not there, or not the merchant's.
var ErrNotFound = errors.New("imports: no such file")

// Choices are what the person chose for a file.
type Choices struct {
	// Mapping is the target of each column (customercsv.Mapping).
	Mapping []string `json:"mapping,omitempty"`
	// Mapped is set once the person confirmed the mapping.
	Mapped bool `json:"mapped,omitempty"`
}

// File is an uploaded file.
type File struct {
	ID, MerchantID string
	Name           string
	// SHA256 is the hex hash of Bytes: the import's run key and the root
	// of its rows' idempotency keys.
	SHA256   string
	Bytes    []byte
	Uploaded time.Time
	Choices  Choices
	// JobID is the import's job once started.
	JobID string
}

// Hash is the hex SHA-256 of a file's bytes.
func Hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// DB is the database the files are kept in: SQLite (internal/store) or
// PostgreSQL (internal/store/postgres). The SQL is written once with ?
// placeholders, which Rebind renumbers for PostgreSQL.
type DB interface {
	Writer() *sql.DB
	Reader() *sql.DB
	Rebind(query string) string
}

// Store keeps files in the database.
type Store struct {
	db DB
}

// NewStore keeps files in db.
func NewStore(db DB) *Store { return &Store{db: db} }

func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.db.Writer().ExecContext(ctx, s.db.Rebind(query), args...)
}

func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.db.Reader().QueryRowContext(ctx, s.db.Rebind(query), args...)
}

// Save stores an upload and returns its id.
func (s *Store) Save(ctx context.Context, f File) (string, error) {
	f.ID = textutil.Token(16)
	choices, err := json.Marshal(f.Choices)
	if err != nil {
		return "", err
	}
	_, err = s.exec(ctx, `INSERT INTO imports (id, merchant_id, file_name, sha256, size, bytes, uploaded_at, choices)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, f.ID, f.MerchantID, f.Name, Hash(f.Bytes), len(f.Bytes), f.Bytes, f.Uploaded.UnixMilli(), string(choices))
	if err != nil {
		return "", fmt.Errorf("imports: save: %w", err)
	}
	return f.ID, nil
}

const fileCols = "id, merchant_id, file_name, sha256, bytes, uploaded_at, choices, job_id"

func (s *Store) one(ctx context.Context, where string, args ...any) (File, error) {
	var f File
	var at int64
	var choices string
	err := s.queryRow(ctx, "SELECT "+fileCols+" FROM imports WHERE "+where, args...).
		Scan(&f.ID, &f.MerchantID, &f.Name, &f.SHA256, &f.Bytes, &at, &choices, &f.JobID)
	if errors.Is(err, sql.ErrNoRows) {
		return File{}, ErrNotFound
	}
	if err != nil {
		return File{}, fmt.Errorf("imports: get: %w", err)
	}
	f.Uploaded = time.UnixMilli(at)
	if choices != "" {
		if err := json.Unmarshal([]byte(choices), &f.Choices); err != nil {
			return File{}, fmt.Errorf("imports: choices: %w", err)
		}
	}
	return f, nil
}

// Get returns the merchant's file; another merchant's is ErrNotFound.
func (s *Store) Get(ctx context.Context, merchantID, id string) (File, error) {
	return s.one(ctx, "merchant_id = ? AND id = ?", merchantID, id)
}

// ByJob returns the merchant's file an import job was started from.
func (s *Store) ByJob(ctx context.Context, merchantID, jobID string) (File, error) {
	return s.one(ctx, "merchant_id = ? AND job_id = ? ORDER BY uploaded_at DESC LIMIT 1", merchantID, jobID)
}

// SetChoices keeps the person's choices for the merchant's file.
func (s *Store) SetChoices(ctx context.Context, merchantID, id string, c Choices) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, "UPDATE imports SET choices = ? WHERE merchant_id = ? AND id = ?", string(b), merchantID, id)
	return err
}

// SetJob records the job started from the merchant's file.
func (s *Store) SetJob(ctx context.Context, merchantID, id, jobID string) error {
	_, err := s.exec(ctx, "UPDATE imports SET job_id = ? WHERE merchant_id = ? AND id = ?", jobID, merchantID, id)
	return err
}

// Sweep deletes the files no import started from within Unstarted of
// their upload, and those whose job is gone (jobs.Store.Sweep deletes jobs
// after jobs.Retention).
func (s *Store) Sweep(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM imports WHERE (job_id = '' AND uploaded_at < ?)
		OR (job_id != '' AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = imports.job_id))`, now.Add(-Unstarted).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("imports: sweep: %w", err)
	}
	return res.RowsAffected()
}

// DropMerchant deletes a merchant's files, as on disconnecting.
func (s *Store) DropMerchant(ctx context.Context, merchantID string) error {
	_, err := s.exec(ctx, "DELETE FROM imports WHERE merchant_id = ?", merchantID)
	return err
}

// FileName is the name of the merchant's file an import job was started
// from, without reading the file.
func (s *Store) FileName(ctx context.Context, merchantID, jobID string) (string, error) {
	var name string
	err := s.queryRow(ctx, "SELECT file_name FROM imports WHERE merchant_id = ? AND job_id = ? LIMIT 1", merchantID, jobID).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return name, err
}
