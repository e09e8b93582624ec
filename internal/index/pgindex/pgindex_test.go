package pgindex_test

import (
	"os"
	"sync"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/index/indextest"
	"github.com/tessera-dashboard/tessera/internal/index/pgindex"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
	"github.com/tessera-dashboard/tessera/internal/store/postgres"
)

// dbs holds each index's database, for the contract's look at its rows.
var dbs sync.Map

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func open(t *testing.T) *postgres.DB {
	t.Helper()
	return openURL(t, pgtest.Database(t))
}

// openURLB opens a database of the benchmark's own.
func openURLB(b *testing.B) *postgres.DB {
	b.Helper()
	db, err := postgres.Open(b.Context(), pgtest.Database(b))
	if err != nil {
		b.Fatalf("postgres.Open: %v", err)
	}
	b.Cleanup(db.Close)
	return db
}

// openURL opens the database at url, as one replica does.
func openURL(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

// TestTheIndexContractOnPostgreSQL runs the contract that the SQLite index
// keeps (TestTheIndexContractOnSQLite in internal/index).
func TestTheIndexContractOnPostgreSQL(t *testing.T) {
	indextest.Run(t, indextest.Engine{
		New: func(t *testing.T) indextest.Indexer {
			db := open(t)
			x := pgindex.New(db)
			dbs.Store(x, db)
			return x
		},
		Modes: func(x indextest.Indexer) []indextest.Mode {
			return []indextest.Mode{{Name: "all at once", X: x}, {Name: "by tiers", X: pgindex.RankedByTiers(x.(*pgindex.Index))}}
		},
		Leftovers: func(t *testing.T, x indextest.Indexer, merchantID string) int {
			db, _ := dbs.Load(x)
			var n int
			err := db.(*postgres.DB).Pool().QueryRow(t.Context(), `SELECT
				(SELECT count(*) FROM index_customers WHERE merchant_id = $1) +
				(SELECT count(*) FROM index_name_words WHERE merchant_id = $1) +
				(SELECT count(*) FROM index_counts WHERE merchant_id = $1) +
				(SELECT count(*) FROM index_tombstones WHERE merchant_id = $1) +
				(SELECT count(*) FROM index_seen_events WHERE merchant_id = $1) +
				(SELECT count(*) FROM index_sync WHERE merchant_id = $1)`, merchantID).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			return n
		},
	})
}
