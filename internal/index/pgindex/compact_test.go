package pgindex_test

import (
	"fmt"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/index/pgindex"
)

// After a full sync the index's tables are analyzed, so the first searches
// are planned with statistics, and the index still answers.
func TestCompactAnalyzesTheTablesAndKeepsTheRows(t *testing.T) {
	db := open(t)
	x := pgindex.New(db)
	var page []index.Customer
	for i := range 300 {
		page = append(page, index.Customer{ID: fmt.Sprintf("c%d", i), Version: 1, GivenName: fmt.Sprintf("Ada%d", i), PhoneNumber: "+1 (360) 555-0155"})
	}
	if _, err := x.PutAll(t.Context(), "M1", page, nil); err != nil {
		t.Fatal(err)
	}
	if err := x.Compact(t.Context()); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	var analyzed int
	err := db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_user_tables
		WHERE relname IN ('index_customers', 'index_name_words', 'index_counts') AND last_analyze IS NOT NULL`).Scan(&analyzed)
	if err != nil {
		t.Fatal(err)
	}
	if analyzed != 3 {
		t.Errorf("%d of the 3 tables analyzed, want 3", analyzed)
	}
	r, err := x.Search(t.Context(), "M1", index.Query{Text: "5550155"})
	if err != nil || r.Total != 300 {
		t.Errorf("a search after Compact: total %d, error %v; want 300", r.Total, err)
	}
}
