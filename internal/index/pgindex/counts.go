package pgindex

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-dashboard/tessera/internal/index"
)

// countKey is one row of index_counts: group "" counts every customer of
// the source.
type countKey struct{ group, source string }

// counts gathers a transaction's changes to index_counts, so that a page
// of customers costs a statement per group and source it touches, not one
// per customer.
type counts map[countKey]int64

// add counts a customer in (delta 1) or out (delta -1).
func (t counts) add(c index.Customer, delta int64) {
	t[countKey{"", c.CreationSource}] += delta
	for _, g := range index.DistinctGroups(c.GroupIDs) {
		t[countKey{g, c.CreationSource}] += delta
	}
}

// queue adds the statements that apply the changes. They go in the keys'
// order: two transactions that change the same rows then lock them in the
// same order, and neither waits for the other while holding a row it
// wants.
func (t counts) queue(b *pgx.Batch, merchantID string) {
	keys := slices.SortedFunc(maps.Keys(t), func(a, b countKey) int {
		return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.source, b.source))
	})
	for _, k := range keys {
		if t[k] == 0 {
			continue
		}
		b.Queue(`INSERT INTO index_counts AS n (merchant_id, group_id, source, n) VALUES ($1, $2, $3, $4)
			ON CONFLICT (merchant_id, group_id, source) DO UPDATE SET n = n.n + excluded.n`, merchantID, k.group, k.source, t[k])
	}
}

// keptCount is the number of the merchant's customers in the group (every
// customer if "") with the source (any if ""), from index_counts.
func (x *Index) keptCount(ctx context.Context, merchantID, group, source string) (int, error) {
	sql := "SELECT coalesce(sum(n), 0) FROM index_counts WHERE merchant_id = $1 AND group_id = $2"
	args := []any{merchantID, group}
	if source != "" {
		sql += " AND source = $3"
		args = append(args, source)
	}
	var n int
	if err := x.pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("index: count: %w", err)
	}
	return n, nil
}
