package index

import (
	"context"
	"testing"
)

// What the contract (contract_test.go, in package index_test) needs to see
// of the SQLite index from outside.

// RankedByTiers returns the index answering every ranked search tier by
// tier, as it does for many matches, so that the contract can hold both
// ways of ranking to the same answers on small data.
func RankedByTiers(x *Index) *Index {
	tiered := *x
	tiered.rankAllUpTo = 0
	return &tiered
}

// RowsOf counts the rows the index keeps of a merchant in the tables keyed
// by its id (its slot's tables are checked by
// TestDropMerchantLeavesNoDerivedRow).
func RowsOf(t *testing.T, x *Index, merchantID string) int {
	var n int
	err := x.reader.QueryRowContext(context.Background(), `SELECT
		(SELECT count(*) FROM index_customers WHERE merchant_id = ?1) +
		(SELECT count(*) FROM index_merchants WHERE merchant_id = ?1) +
		(SELECT count(*) FROM index_tombstones WHERE merchant_id = ?1) +
		(SELECT count(*) FROM index_seen_events WHERE merchant_id = ?1) +
		(SELECT count(*) FROM index_sync WHERE merchant_id = ?1)`, merchantID).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
