package index

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"
)

// TestTotalsWithoutTextAreExactUnderEveryFilter checks the totals that
// index_counts serves against a count of the customers themselves, after
// inserts, updates that move a customer between days, sources and groups,
// and deletes, for created ranges that start and end inside days and on
// their edges.
func TestTotalsWithoutTextAreExactUnderEveryFilter(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	r := rand.New(rand.NewPCG(7, 8))
	sources := []string{"DIRECTORY", "THIRD_PARTY", "MERGE"}
	groups := []string{"vip", "staff"}
	at := func() time.Time { return t0.Add(time.Duration(r.IntN(10*24*60)) * time.Minute) }
	random := func(id string, version int64) Customer {
		var gs []string
		for _, g := range groups {
			if r.IntN(3) == 0 {
				gs = append(gs, g)
			}
		}
		if len(gs) > 0 && r.IntN(4) == 0 {
			gs = append(gs, gs[0]) // a repeated group counts once
		}
		created := at()
		return Customer{ID: id, Version: version, CreatedAt: created, UpdatedAt: created, GivenName: "N" + id,
			CreationSource: sources[r.IntN(len(sources))], GroupIDs: gs}
	}
	live := map[string]Customer{}
	var page []Customer
	for i := range 300 {
		c := random(fmt.Sprintf("c%03d", i), 1)
		page = append(page, c)
		live[c.ID] = c
	}
	if _, err := x.PutAll(t.Context(), "M1", page, nil); err != nil {
		t.Fatal(err)
	}
	// Another merchant's customers never count.
	if _, err := x.PutAll(t.Context(), "M2", page[:50], nil); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		id := fmt.Sprintf("c%03d", i)
		switch i % 5 {
		case 0:
			if _, err := x.Delete(t.Context(), "M1", id, 0, time.Time{}); err != nil {
				t.Fatal(err)
			}
			delete(live, id)
		case 1, 2:
			c := random(id, 2)
			mustPut(t, x, "M1", c)
			live[id] = c
		}
	}

	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	queries := []Query{{}, {Source: "MERGE"}, {GroupID: "vip"}, {GroupID: "staff", Source: "DIRECTORY"}, {GroupID: "none"},
		{CreatedFrom: day(2), CreatedTo: day(5)}, {CreatedFrom: day(2)}, {CreatedTo: day(5)}, {CreatedFrom: day(3), CreatedTo: day(3)},
		{CreatedFrom: day(5), CreatedTo: day(2)}, {CreatedFrom: day(-5), CreatedTo: day(50)}}
	for range 60 {
		a, b := at(), at()
		if b.Before(a) {
			a, b = b, a
		}
		q := Query{CreatedFrom: a, CreatedTo: b}
		switch r.IntN(4) {
		case 0:
			q.Source = sources[r.IntN(len(sources))]
		case 1:
			q.GroupID = groups[r.IntN(len(groups))]
		case 2:
			q.CreatedTo = time.Time{}
		case 3:
			q.CreatedFrom, q.Source = time.Time{}, "MERGE"
		}
		queries = append(queries, q)
	}
	for _, q := range queries {
		want := 0
		for _, c := range live {
			if (q.CreatedFrom.IsZero() || !c.CreatedAt.Before(q.CreatedFrom)) && (q.CreatedTo.IsZero() || c.CreatedAt.Before(q.CreatedTo)) &&
				(q.Source == "" || c.CreationSource == q.Source) && (q.GroupID == "" || slices.Contains(c.GroupIDs, q.GroupID)) {
				want++
			}
		}
		if got := search(t, x, "M1", q); got.Total != want || got.Capped {
			t.Errorf("Search(%+v).Total = %d (capped %v), want %d", q, got.Total, got.Capped, want)
		}
	}
}

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
