package index

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// segments counts the segments of an FTS5 table: each has its own id in
// the table's %_idx shadow table.
func segments(t *testing.T, x *Index, table string) int {
	t.Helper()
	var n int
	if err := x.reader.QueryRowContext(t.Context(), "SELECT count(DISTINCT segid) FROM "+table+"_idx").Scan(&n); err != nil {
		t.Fatalf("counting %s's segments: %v", table, err)
	}
	return n
}

func TestCompactMergesSegmentsAndKeepsEveryAnswer(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	// One transaction a customer: a segment each, merged by automerge
	// into a few.
	mustPut(t, x, "M1", people...)
	for i := range 60 {
		mustPut(t, x, "M2", Customer{ID: fmt.Sprintf("c%02d", i), GivenName: "Ada", FamilyName: fmt.Sprintf("Number%02d", i), Note: "membership"})
	}
	for _, table := range ftsTables {
		if n := segments(t, x, table); n < 2 {
			t.Fatalf("%s has %d segments before Compact; the test needs several", table, n)
		}
	}
	terms := []Query{{Text: "fernandez"}, {Text: "5550155"}, {Text: "иван"}, {Text: "王"}, {Text: "ref-4471"}, {Text: `"NEAR(x)`}, {Text: "jürgen müller"}}
	before := map[string][]string{}
	for _, q := range terms {
		before[q.Text] = ids(search(t, x, "M1", q))
	}
	member := search(t, x, "M2", Query{Text: "number", Sort: SortName, Limit: 100})

	if err := x.Compact(t.Context()); err != nil {
		t.Fatalf("Compact() error = %v", err)
	}
	for _, table := range ftsTables {
		if n := segments(t, x, table); n != 1 {
			t.Errorf("%s has %d segments after Compact, want 1", table, n)
		}
	}
	for _, q := range terms {
		if got := ids(search(t, x, "M1", q)); !slices.Equal(got, before[q.Text]) {
			t.Errorf("Search(%q) after Compact = %v, want %v as before", q.Text, got, before[q.Text])
		}
	}
	if got := search(t, x, "M2", Query{Text: "number", Sort: SortName, Limit: 100}); !slices.Equal(ids(got), ids(member)) || got.Total != 60 {
		t.Errorf("M2's search after Compact = %d rows (total %d), want the same 60 as before", len(got.Rows), got.Total)
	}
	// Nothing left to merge: a second Compact is a no-op.
	if err := x.Compact(t.Context()); err != nil {
		t.Fatalf("second Compact() error = %v", err)
	}
	// Writes after it still land and are found.
	mustPut(t, x, "M1", Customer{ID: "late", GivenName: "Zelda", FamilyName: "Quist"})
	if got := ids(search(t, x, "M1", Query{Text: "zeld"})); !slices.Equal(got, []string{"late"}) {
		t.Errorf("Search(zeld) after Compact and a write = %v, want [late]", got)
	}
}

func TestCompactStopsWithItsContext(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	mustPut(t, x, "M1", people...)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := x.Compact(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Compact(canceled) error = %v, want context.Canceled", err)
	}
	// The index still answers.
	if got := ids(search(t, x, "M1", Query{Text: "okafor"})); !slices.Equal(got, []string{"okafor"}) {
		t.Errorf("Search(okafor) = %v, want [okafor]", got)
	}
}
