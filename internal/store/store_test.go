package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// appliedVersions reads schema_migrations.
func appliedVersions(t *testing.T, db *DB) []int {
	t.Helper()
	rows, err := db.reader.QueryContext(t.Context(), "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestOpenCreatesTheDirectoryAndAppliesMigrationsOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "data")
	db, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open(%q) error = %v", dir, err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("data dir mode = %v, want 0700", perm)
	}
	if got, want := db.Path(), filepath.Join(dir, FileName); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
	want := ownVersions(t)
	if got := appliedVersions(t, db); !reflect.DeepEqual(got, want) {
		t.Errorf("applied versions = %v, want %v", got, want)
	}
	var indexes int
	if err := db.reader.QueryRowContext(t.Context(), "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sessions' AND name LIKE 'sessions_%'").Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	if indexes != 3 {
		t.Errorf("indexes on sessions = %d, want 3 (every statement of the migrations ran)", indexes)
	}
	var mode string
	if err := db.writer.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	if err := db.PutSession(t.Context(), SessionRow{ID: "kept", Data: []byte("x"), CreatedAt: time.Now(), LastSeen: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}

	db, err = Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open(%q) again error = %v", dir, err)
	}
	defer db.Close()
	if got := appliedVersions(t, db); !reflect.DeepEqual(got, want) {
		t.Errorf("applied versions after reopening = %v, want %v", got, want)
	}
	if _, err := db.GetSession(t.Context(), "kept"); err != nil {
		t.Errorf("GetSession(kept) after reopening error = %v, want the row", err)
	}
}

func TestAFailedMigrationLeavesNoTraceAndNamesTheFile(t *testing.T) {
	db := openTest(t)
	fsys := fstest.MapFS{
		"migrations/0001_sessions.sql": &fstest.MapFile{Data: []byte("SELECT 1")},
		"migrations/0099_broken.sql":   &fstest.MapFile{Data: []byte("CREATE TABLE half (x INTEGER); THIS IS NOT SQL;")},
	}
	err := db.migrate(t.Context(), fsys)
	if err == nil || !strings.Contains(err.Error(), "0099_broken.sql") {
		t.Fatalf("migrate(broken) error = %v, want one naming 0099_broken.sql", err)
	}
	// The store's own migrations stay applied; the broken one left nothing.
	if got, want := appliedVersions(t, db), ownVersions(t); !reflect.DeepEqual(got, want) {
		t.Errorf("applied versions = %v, want %v", got, want)
	}
	var n int
	if err := db.reader.QueryRowContext(t.Context(), "SELECT count(*) FROM sqlite_master WHERE name = 'half'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("table of the failed migration exists, want it rolled back")
	}
}

func TestMigrateRefusesASchemaNewerThanTheProgram(t *testing.T) {
	db := openTest(t)
	if _, err := db.writer.ExecContext(t.Context(), "INSERT INTO schema_migrations VALUES (99, 0)"); err != nil {
		t.Fatal(err)
	}
	err := db.migrate(t.Context(), migrationFiles)
	if err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Errorf("migrate() error = %v, want one about schema version 99", err)
	}
}

func TestReadMigrationsRejectsBadNames(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"a file without a number", fstest.MapFS{"migrations/sessions.sql": {}}, "want a name like"},
		{"a file numbered zero", fstest.MapFS{"migrations/0000_x.sql": {}}, "want a name like"},
		{"two files with one number", fstest.MapFS{"migrations/0001_a.sql": {}, "migrations/1_b.sql": {}}, "same number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadMigrations(tt.fsys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadMigrations() error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestOpenFailsClearlyWhenTheDataDirCannotBeUsed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := t.TempDir()
	if err := os.Chmod(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		dir      string
		want     string
		skipRoot bool
	}{
		{"a data dir below a file", filepath.Join(file, "data"), "create data directory", false},
		{"a data dir that is a file", file, "create data directory", false},
		{"a read-only data dir", readOnly, "not writable", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skipRoot && os.Geteuid() == 0 {
				t.Skip("root ignores permission bits")
			}
			db, err := Open(t.Context(), tt.dir)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) error = nil, want one", tt.dir)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.dir) {
				t.Errorf("Open(%q) error = %q, want %q and the path", tt.dir, err, tt.want)
			}
		})
	}
}

func TestPing(t *testing.T) {
	db := openTest(t)
	if err := db.Ping(t.Context()); err != nil {
		t.Errorf("Ping() = %v, want nil", err)
	}
	db.Close()
	if err := db.Ping(t.Context()); err == nil {
		t.Errorf("Ping() after Close = nil, want an error")
	}
}

// ms is a time on a millisecond, which the store keeps exactly.
func ms(n int64) time.Time {
	return time.UnixMilli(1_760_000_000_000 + n)
}

func TestSessionCRUD(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)

	if _, err := db.GetSession(ctx, "s1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetSession(missing) error = %v, want ErrNotFound", err)
	}

	row := SessionRow{ID: "s1", Data: []byte{0, 1, 2}, CreatedAt: ms(0), LastSeen: ms(0)}
	if err := db.PutSession(ctx, row); err != nil {
		t.Fatalf("PutSession(%v) error = %v", row, err)
	}
	got, err := db.GetSession(ctx, "s1")
	if err != nil {
		t.Fatalf("GetSession(s1) error = %v", err)
	}
	assertRow(t, got, row)

	// An upsert replaces data and last seen but keeps the creation time.
	put := SessionRow{ID: "s1", MerchantID: "M1", Data: []byte("new"), CreatedAt: ms(5000), LastSeen: ms(2000)}
	if err := db.PutSession(ctx, put); err != nil {
		t.Fatalf("PutSession(%v) error = %v", put, err)
	}
	got, _ = db.GetSession(ctx, "s1")
	assertRow(t, got, SessionRow{ID: "s1", MerchantID: "M1", Data: []byte("new"), CreatedAt: ms(0), LastSeen: ms(2000)})

	upd := SessionRow{ID: "s1", MerchantID: "M2", Data: []byte("upd"), CreatedAt: ms(9999), LastSeen: ms(3000)}
	if err := db.UpdateSession(ctx, upd); err != nil {
		t.Fatalf("UpdateSession(%v) error = %v", upd, err)
	}
	got, _ = db.GetSession(ctx, "s1")
	assertRow(t, got, SessionRow{ID: "s1", MerchantID: "M2", Data: []byte("upd"), CreatedAt: ms(0), LastSeen: ms(3000)})

	if err := db.TouchSession(ctx, "s1", ms(4000)); err != nil {
		t.Fatalf("TouchSession(s1) error = %v", err)
	}
	if err := db.TouchSession(ctx, "s1", ms(1000)); err != nil {
		t.Fatalf("TouchSession(s1, earlier) error = %v", err)
	}
	got, _ = db.GetSession(ctx, "s1")
	if !got.LastSeen.Equal(ms(4000)) {
		t.Errorf("LastSeen after touching forward then back = %v, want %v", got.LastSeen, ms(4000))
	}

	if err := db.DeleteSession(ctx, "s1"); err != nil {
		t.Fatalf("DeleteSession(s1) error = %v", err)
	}
	if _, err := db.GetSession(ctx, "s1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetSession(deleted) error = %v, want ErrNotFound", err)
	}
	if err := db.DeleteSession(ctx, "s1"); err != nil {
		t.Errorf("DeleteSession(deleted) error = %v, want nil", err)
	}
	if err := db.UpdateSession(ctx, upd); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateSession(deleted) error = %v, want ErrNotFound", err)
	}
	if err := db.TouchSession(ctx, "s1", ms(5000)); !errors.Is(err, ErrNotFound) {
		t.Errorf("TouchSession(deleted) error = %v, want ErrNotFound", err)
	}
	if _, err := db.GetSession(ctx, "s1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetSession(s1) after updating a deleted row error = %v, want ErrNotFound", err)
	}
}

func TestPutSessionStoresAnEmptyBlob(t *testing.T) {
	db := openTest(t)
	row := SessionRow{ID: "empty", CreatedAt: ms(0), LastSeen: ms(0)}
	if err := db.PutSession(t.Context(), row); err != nil {
		t.Fatalf("PutSession(%v) error = %v", row, err)
	}
	got, err := db.GetSession(t.Context(), "empty")
	if err != nil || len(got.Data) != 0 {
		t.Errorf("GetSession(empty) = %v, %v, want no data and no error", got, err)
	}
}

func assertRow(t *testing.T, got, want SessionRow) {
	t.Helper()
	if got.ID != want.ID || got.MerchantID != want.MerchantID || string(got.Data) != string(want.Data) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.LastSeen.Equal(want.LastSeen) {
		t.Errorf("GetSession(%s) = %+v, want %+v", want.ID, got, want)
	}
}

func TestDeleteExpiredSessionsDeletesByEitherTimeout(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	rows := []SessionRow{
		{ID: "fresh", CreatedAt: ms(500), LastSeen: ms(900)},
		{ID: "idle", CreatedAt: ms(500), LastSeen: ms(599)},
		{ID: "old", CreatedAt: ms(99), LastSeen: ms(900)},
		{ID: "at-the-limits", CreatedAt: ms(100), LastSeen: ms(600)},
	}
	for _, r := range rows {
		if err := db.PutSession(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.DeleteExpiredSessions(ctx, ms(600), ms(100))
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpiredSessions() = %d, %v, want 2, nil", n, err)
	}
	for _, id := range []string{"fresh", "at-the-limits"} {
		if _, err := db.GetSession(ctx, id); err != nil {
			t.Errorf("GetSession(%s) error = %v, want the row kept", id, err)
		}
	}
	for _, id := range []string{"idle", "old"} {
		if _, err := db.GetSession(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetSession(%s) error = %v, want ErrNotFound", id, err)
		}
	}
}

func TestConcurrentWritersDoNotFail(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	const writers, writes = 50, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*writes)
	for w := range writers {
		wg.Go(func() {
			for i := range writes {
				id := fmt.Sprintf("w%d-%d", w, i)
				row := SessionRow{ID: id, Data: []byte(id), CreatedAt: ms(int64(i)), LastSeen: ms(int64(i))}
				if err := db.PutSession(ctx, row); err != nil {
					errs <- err
					continue
				}
				if err := db.TouchSession(ctx, id, ms(int64(i+1))); err != nil {
					errs <- err
				}
				if _, err := db.GetSession(ctx, id); err != nil {
					errs <- err
				}
				if i%2 == 0 {
					if err := db.DeleteSession(ctx, id); err != nil {
						errs <- err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write error = %v", err)
	}
	var n int
	if err := db.reader.QueryRowContext(ctx, "SELECT count(*) FROM sessions").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := writers * writes / 2; n != want {
		t.Errorf("sessions after concurrent writes = %d, want %d", n, want)
	}
}

func TestCancelledContextStopsAWaitingWrite(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := db.PutSession(ctx, SessionRow{ID: "x", CreatedAt: ms(0), LastSeen: ms(0)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("PutSession(cancelled ctx) error = %v, want context.Canceled", err)
	}
}

func TestSignOutMerchantSessionsSignsOutThatMerchantsSessionsOnly(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	now := time.Now()
	for _, row := range []SessionRow{
		{ID: "a1", MerchantID: "MA", Data: []byte("tokens"), CreatedAt: now, LastSeen: now},
		{ID: "a2", MerchantID: "MA", Data: []byte("tokens"), CreatedAt: now, LastSeen: now},
		{ID: "b1", MerchantID: "MB", Data: []byte("tokens"), CreatedAt: now, LastSeen: now},
	} {
		if err := db.PutSession(ctx, row); err != nil {
			t.Fatalf("PutSession(%s) = %v", row.ID, err)
		}
	}
	n, err := db.SignOutMerchantSessions(ctx, "MA", func(id string) []byte { return []byte("note for " + id) })
	if err != nil || n != 2 {
		t.Fatalf("SignOutMerchantSessions(MA) = %d, %v; want 2", n, err)
	}
	for id, want := range map[string]SessionRow{
		"a1": {MerchantID: "", Data: []byte("note for a1")},
		"a2": {MerchantID: "", Data: []byte("note for a2")},
		"b1": {MerchantID: "MB", Data: []byte("tokens")},
	} {
		got, err := db.GetSession(ctx, id)
		if err != nil || got.MerchantID != want.MerchantID || string(got.Data) != string(want.Data) {
			t.Errorf("GetSession(%s) = %q %q, %v; want %q %q", id, got.MerchantID, got.Data, err, want.MerchantID, want.Data)
		}
	}
	if _, err := db.SignOutMerchantSessions(ctx, "", func(string) []byte { return nil }); err == nil {
		t.Error("SignOutMerchantSessions(\"\") = nil error, want a refusal: it would sign out every signed-out session")
	}
}

// ownVersions are the numbers of the store's migrations, in order.
func ownVersions(t *testing.T) []int {
	t.Helper()
	ms, err := ReadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, m := range ms {
		out = append(out, m.Version)
	}
	return out
}
