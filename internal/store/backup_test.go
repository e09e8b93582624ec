package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// openCopy opens a backup read-only, as a test of what it holds.
func openCopy(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, "mode=ro"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// A backup taken while a writer commits transactions holds each one whole
// or not at all: every transaction writes a pair of sessions, and the copy
// holds as many of the one kind as of the other.
func TestBackupWhileWritingIsConsistent(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var written int
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			tx, err := d.Writer().BeginTx(ctx, nil)
			if err != nil {
				return
			}
			now := time.Now().UnixMilli()
			for _, kind := range []string{"a", "b"} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, merchant_id, data, created_at, last_seen) VALUES (?, 'M', x'00', ?, ?)`,
					fmt.Sprintf("%s-%d", kind, i), now, now); err != nil {
					tx.Rollback()
					return
				}
			}
			if tx.Commit() != nil {
				return
			}
			written = i + 1
		}
	})
	// Let the writer get going, then back up three times as it writes.
	time.Sleep(50 * time.Millisecond)
	var copies []string
	for i := range 3 {
		dest := filepath.Join(t.TempDir(), fmt.Sprintf("backup-%d.db", i))
		info, err := Backup(t.Context(), dir, dest, false)
		if err != nil {
			t.Fatalf("Backup while writing = %v", err)
		}
		if info.Dest != dest || info.Size == 0 || info.SchemaVersion != len(migrationNames(t)) {
			t.Errorf("Backup = %+v, want %s, a size and schema version %d", info, dest, len(migrationNames(t)))
		}
		copies = append(copies, dest)
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	wg.Wait()

	last := 0
	for _, c := range copies {
		db := openCopy(t, c)
		a := count(t, db, `SELECT count(*) FROM sessions WHERE id LIKE 'a-%'`)
		b := count(t, db, `SELECT count(*) FROM sessions WHERE id LIKE 'b-%'`)
		if a != b {
			t.Errorf("%s holds %d a-sessions and %d b-sessions, want the same: a transaction was cut in two", c, a, b)
		}
		if a < last {
			t.Errorf("%s holds %d pairs, fewer than the backup before it (%d)", c, a, last)
		}
		last = a
		st, err := os.Stat(c)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("backup file mode = %v, %v; want 0600 (it holds customer data)", st.Mode().Perm(), err)
		}
	}
	if last == 0 || written == 0 {
		t.Errorf("the last copy holds %d pairs of the %d written, want some", last, written)
	}
	// Nothing is left beside the copies.
	for _, c := range copies {
		entries, _ := os.ReadDir(filepath.Dir(c))
		if len(entries) != 1 {
			t.Errorf("the backup's directory holds %d files, want the backup alone", len(entries))
		}
	}
}

// migrationNames lists the migrations this build applies.
func migrationNames(t *testing.T) []string {
	t.Helper()
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestBackupRefusals(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	existing := filepath.Join(t.TempDir(), "existing.db")
	if err := os.WriteFile(existing, []byte("an older backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		name    string
		dataDir string
		dest    string
		want    error
		wantMsg string
	}{
		{"no database in the data dir", empty, filepath.Join(t.TempDir(), "b.db"), ErrNoDatabase, empty},
		{"an existing file", dir, existing, ErrBackupExists, existing},
		{"the database itself", dir, filepath.Join(dir, FileName), ErrBadDestination, "the database itself"},
		{"a directory", dir, t.TempDir(), ErrBadDestination, "is a directory"},
		{"a directory that does not exist", dir, filepath.Join(t.TempDir(), "nope", "b.db"), ErrBadDestination, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Backup(t.Context(), tt.dataDir, tt.dest, false)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Backup(%s, %s) = %v, want %v mentioning %q", tt.dataDir, tt.dest, err, tt.want, tt.wantMsg)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(empty, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Backup of an empty data dir created a database (%v), want none", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "an older backup" {
		t.Error("a refused backup changed the existing file")
	}
	// -force replaces it with a real copy.
	info, err := Backup(t.Context(), dir, existing, true)
	if err != nil {
		t.Fatalf("Backup(overwrite) = %v", err)
	}
	if n := count(t, openCopy(t, existing), `SELECT count(*) FROM schema_migrations`); n != info.SchemaVersion || n == 0 {
		t.Errorf("the replaced backup holds %d migrations, want %d", n, info.SchemaVersion)
	}
}
