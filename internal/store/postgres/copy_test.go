package postgres

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/history"
	"github.com/tessera-dashboard/tessera/internal/store"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
)

// Moving from SQLite: the sessions and the history arrive whole, with their
// ids; running the move again adds nothing; a move while jobs run is
// refused and changes nothing.
func TestCopyFromSQLiteMovesSessionsAndHistoryOnce(t *testing.T) {
	sqlite, err := store.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlite.Close() })
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := []store.SessionRow{
		{ID: "session-a", MerchantID: "M1", Data: []byte{1, 2, 3}, CreatedAt: at, LastSeen: at.Add(time.Minute)},
		{ID: "session-b", Data: []byte("signed out"), CreatedAt: at, LastSeen: at},
	}
	for _, r := range rows {
		if err := sqlite.PutSession(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	src := history.New(sqlite)
	for i := range 3 {
		e := history.Entry{MerchantID: "M1", CustomerID: fmt.Sprintf("C%d", i), CustomerName: "Jane Fernández", Kind: history.Edited,
			Changes: []history.FieldChange{{Label: "Note", From: "a", To: "b"}}, Actor: "Ana", At: at.Add(time.Duration(i) * time.Hour), Dedupe: history.StateKey(int64(i+1), false)}
		if err := src.Record(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	want, err := src.List(t.Context(), "M1", history.Filter{}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Writer().ExecContext(t.Context(),
		"INSERT INTO jobs (id, merchant_id, kind, group_id, group_name, total, created_at) VALUES ('J1', 'M1', 'delete', '', '', 1, 1)"); err != nil {
		t.Fatal(err)
	}

	pg := openTest(t, pgtest.Database(t))
	if _, err := pg.CopyFromSQLite(t.Context(), sqlite.Reader()); !errors.Is(err, ErrUnfinishedJobs) {
		t.Fatalf("CopyFromSQLite with a job running = %v, want ErrUnfinishedJobs", err)
	}
	if _, err := pg.GetSession(t.Context(), "session-a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after the refused move GetSession = %v, want ErrNotFound: nothing copied", err)
	}
	if _, err := sqlite.Writer().ExecContext(t.Context(), "UPDATE jobs SET finished_at = 2"); err != nil {
		t.Fatal(err)
	}

	report, err := pg.CopyFromSQLite(t.Context(), sqlite.Reader())
	if err != nil || report != (CopyReport{Sessions: 2, History: 3}) {
		t.Fatalf("CopyFromSQLite = %+v, %v; want 2 sessions and 3 entries", report, err)
	}
	for _, r := range rows {
		got, err := pg.GetSession(t.Context(), r.ID)
		if err != nil || got.MerchantID != r.MerchantID || !slices.Equal(got.Data, r.Data) || !got.CreatedAt.Equal(r.CreatedAt) || !got.LastSeen.Equal(r.LastSeen) {
			t.Errorf("GetSession(%s) on PostgreSQL = %+v, %v; want %+v", r.ID, got, err, r)
		}
	}
	dst := history.New(pg)
	got, err := dst.List(t.Context(), "M1", history.Filter{}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Entries) != len(want.Entries) {
		t.Fatalf("history on PostgreSQL has %d entries, want %d", len(got.Entries), len(want.Entries))
	}
	for i := range want.Entries {
		g, w := got.Entries[i], want.Entries[i]
		if g.ID != w.ID || g.CustomerID != w.CustomerID || g.CustomerName != w.CustomerName || !g.At.Equal(w.At) || g.Actor != w.Actor || len(g.Changes) != 1 || g.Changes[0] != w.Changes[0] {
			t.Errorf("entry %d on PostgreSQL = %+v, want %+v", i, g, w)
		}
	}

	again, err := pg.CopyFromSQLite(t.Context(), sqlite.Reader())
	if err != nil || again != (CopyReport{}) {
		t.Fatalf("second CopyFromSQLite = %+v, %v; want nothing copied", again, err)
	}
	// PostgreSQL numbers the next entry after the copied ones.
	if err := dst.Record(t.Context(), history.Entry{MerchantID: "M1", CustomerID: "C9", CustomerName: "New", Kind: history.Created, At: at.Add(24 * time.Hour), Dedupe: history.StateKey(1, false)}); err != nil {
		t.Fatalf("Record after the move = %v", err)
	}
	latest, err := dst.List(t.Context(), "M1", history.Filter{}, 0, 1)
	if err != nil || len(latest.Entries) != 1 || latest.Entries[0].ID <= want.Entries[0].ID {
		t.Fatalf("newest entry after the move = %+v, %v; want an id above %d", latest.Entries, err, want.Entries[0].ID)
	}
}
