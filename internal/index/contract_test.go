package index_test

import (
	"testing"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/index/indextest"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// TestTheIndexContractOnSQLite runs the index's contract on SQLite, each
// ranked search both all at once and tier by tier. The same contract runs
// on PostgreSQL in internal/index/pgindex.
func TestTheIndexContractOnSQLite(t *testing.T) {
	indextest.Run(t, indextest.Engine{
		New: func(t *testing.T) indextest.Indexer {
			db, err := store.Open(t.Context(), t.TempDir())
			if err != nil {
				t.Fatalf("store.Open() error = %v", err)
			}
			t.Cleanup(func() { db.Close() })
			return index.New(db)
		},
		Modes: func(x indextest.Indexer) []indextest.Mode {
			return []indextest.Mode{{Name: "all at once", X: x}, {Name: "by tiers", X: index.RankedByTiers(x.(*index.Index))}}
		},
		Leftovers: func(t *testing.T, x indextest.Indexer, merchantID string) int {
			return index.RowsOf(t, x.(*index.Index), merchantID)
		},
	})
}
