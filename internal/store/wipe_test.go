package store

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// filesHold reports which of the database's files (the write-ahead log
// included) hold b.
func filesHold(t *testing.T, db *DB, b []byte) []string {
	t.Helper()
	names, err := filepath.Glob(db.Path() + "*")
	if err != nil {
		t.Fatal(err)
	}
	var holding []string
	for _, name := range names {
		content, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(content, b) {
			holding = append(holding, filepath.Base(name))
		}
	}
	return holding
}

func TestADeletedSignedInSessionLeavesNoTraceInTheFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		delete func(t *testing.T, db *DB, id string)
	}{
		{"deleted at sign-out", func(t *testing.T, db *DB, id string) {
			if err := db.DeleteSession(t.Context(), id); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted by the sweeper", func(t *testing.T, db *DB, _ string) {
			if n, err := db.DeleteExpiredSessions(t.Context(), ms(1), ms(1)); err != nil || n != 1 {
				t.Fatalf("DeleteExpiredSessions() = %d, %v; want 1, nil", n, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := openTest(t)
			// Stands in for the encrypted tokens: what a copy of the files
			// and a leaked secret would open.
			sealed := bytes.Repeat([]byte("sealed-tokens-of-a-session "), 8)
			row := SessionRow{ID: "s1", MerchantID: "M1", Data: sealed, CreatedAt: ms(0), LastSeen: ms(0)}
			if err := db.PutSession(t.Context(), row); err != nil {
				t.Fatal(err)
			}
			if got := filesHold(t, db, sealed); len(got) == 0 {
				t.Fatalf("no database file holds the row after PutSession, so the test cannot see it go")
			}
			tt.delete(t, db, row.ID)
			if got := filesHold(t, db, sealed); len(got) != 0 {
				t.Errorf("after the delete, %v still hold the session's data, want none", got)
			}
		})
	}
}

func TestUpdateSessionWritesOnlyOverTheVersionItRead(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	if err := db.PutSession(ctx, SessionRow{ID: "s1", Data: []byte("v0"), CreatedAt: ms(0), LastSeen: ms(0)}); err != nil {
		t.Fatal(err)
	}
	read, err := db.GetSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	first, second := read, read
	first.Data, second.Data = []byte("first"), []byte("second")
	if err := db.UpdateSession(ctx, first); err != nil {
		t.Fatalf("UpdateSession(first) error = %v", err)
	}
	if err := db.UpdateSession(ctx, second); err != ErrConflict {
		t.Errorf("UpdateSession(second, read before first) error = %v, want ErrConflict", err)
	}
	got, err := db.GetSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Data) != "first" || got.Version != read.Version+1 {
		t.Errorf("GetSession(s1) = data %q version %d, want %q version %d", got.Data, got.Version, "first", read.Version+1)
	}
}

func TestTrimSignedOutSessionsKeepsTheNewestAndEverySignedInOne(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	rows := []SessionRow{
		{ID: "in-old", MerchantID: "M1", CreatedAt: ms(0), LastSeen: ms(0)},
		{ID: "out-1", CreatedAt: ms(1), LastSeen: ms(1)},
		{ID: "out-2", CreatedAt: ms(2), LastSeen: ms(2)},
		{ID: "out-3", CreatedAt: ms(3), LastSeen: ms(3)},
	}
	for _, r := range rows {
		if err := db.PutSession(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.TrimSignedOutSessions(ctx, 2); err != nil || n != 1 {
		t.Fatalf("TrimSignedOutSessions(2) = %d, %v; want 1, nil", n, err)
	}
	for _, r := range rows {
		_, err := db.GetSession(ctx, r.ID)
		if kept := err == nil; kept != (r.ID != "out-1") {
			t.Errorf("session %s kept = %t, want %t", r.ID, kept, !kept)
		}
	}
}
