package index

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

// TestMigrationFillsWhatWritesKeep runs the migration that added the
// derived tables over an index filled before it, and checks that it fills
// them exactly as the writes keep them.
func TestMigrationFillsWhatWritesKeep(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	mustPut(t, x, "M1",
		Customer{ID: "a", GivenName: "王", FamilyName: "小明", Note: "常客\u3000好\u00a0客 membership\tá王", CreationSource: "DIRECTORY", GroupIDs: []string{"vip"}},
		Customer{ID: "b", GivenName: "Иван", CompanyName: "株式会社山田", CreatedAt: t0.AddDate(0, 0, 3), CreationSource: "MERGE", GroupIDs: []string{"vip", "staff"}},
		Customer{ID: "c", GivenName: "Jane", FamilyName: "Fernández", CreatedAt: t0.Add(-time.Hour)},
	)
	mustPut(t, x, "M2", Customer{ID: "a", GivenName: "김", CreationSource: "DIRECTORY", GroupIDs: []string{"vip"}})
	mustPut(t, x, "M1", Customer{ID: "c", Version: 2, GivenName: "Jane", FamilyName: "李", CreatedAt: t0.AddDate(0, 0, 1)})
	if _, err := x.Delete(t.Context(), "M1", "b", 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	migration, err := os.ReadFile("../store/migrations/0006_index_speed.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range derivedTables {
		kept := dump(t, x, table)
		if len(kept) == 0 {
			t.Fatalf("%s is empty after writes", table)
		}
		if _, err := x.writer.ExecContext(t.Context(), "DROP TABLE "+table); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if got := dump(t, x, table); !slices.Equal(got, kept) {
				t.Errorf("%s filled by the migration = %v, want what the writes kept, %v", table, got, kept)
			}
		}()
	}
	if _, err := x.writer.ExecContext(t.Context(), string(migration)); err != nil {
		t.Fatalf("running the migration again: %v", err)
	}
}

// derivedTables are the tables the migration 0006 added and filled.
var derivedTables = []string{"index_counts", "index_frags"}

// dump lists a table's rows as text, in order.
func dump(t *testing.T, x *Index, table string) []string {
	t.Helper()
	rs, err := x.reader.QueryContext(t.Context(), "SELECT * FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out []string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	slices.Sort(out)
	return out
}
