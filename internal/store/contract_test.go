package store_test

import (
	"testing"

	"github.com/tessera-dashboard/tessera/internal/store"
	"github.com/tessera-dashboard/tessera/internal/store/storetest"
)

// The embedded store keeps the session contract that PostgreSQL keeps too.
func TestSQLiteKeepsTheSessionContract(t *testing.T) {
	storetest.Sessions(t, func(t *testing.T) storetest.SessionStore {
		db, err := store.Open(t.Context(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
