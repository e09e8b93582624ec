package pgindex

import (
	"context"
	"fmt"
)

// Compact readies the index for searching after a full sync
// (indexsync calls it, as it does the SQLite index's): the GIN indexes'
// pending lists, which every search reads whole, are merged into the
// indexes, and the tables are analyzed, so that the planner knows how
// common a word is from the first search on. Autovacuum would do both,
// but only after its next round, and a first sync of 100,000 customers
// is searched at once.
func (x *Index) Compact(ctx context.Context) error {
	for _, gin := range []string{"index_customers_search", "index_customers_top", "index_customers_frags", "index_customers_groups"} {
		if _, err := x.pool.Exec(ctx, "SELECT gin_clean_pending_list($1::regclass)", gin); err != nil {
			return fmt.Errorf("index: compact: %w", err)
		}
	}
	if _, err := x.pool.Exec(ctx, "ANALYZE index_customers, index_name_words, index_counts"); err != nil {
		return fmt.Errorf("index: compact: %w", err)
	}
	return nil
}
