package index

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// dayMS is one day in milliseconds: index_counts counts customers per UTC
// day of creation.
const dayMS = 24 * 60 * 60 * 1000

// dayOf is the UTC day of a time in Unix milliseconds, floored, as the
// migration that filled index_counts computes it.
func dayOf(msec int64) int64 {
	if msec < 0 {
		return (msec - (dayMS - 1)) / dayMS
	}
	return msec / dayMS
}

// countKey is one row of index_counts: group "" counts every customer.
type countKey struct {
	group, source string
	day           int64
}

// tally gathers a transaction's changes to index_counts, so that a page of
// customers created on a few days costs a few statements, not one per
// customer.
type tally map[countKey]int64

// add counts a customer in (delta 1) or out (delta -1).
func (t tally) add(source string, createdMS int64, groups []string, delta int64) {
	day := dayOf(createdMS)
	t[countKey{"", source, day}] += delta
	// index_groups keeps a membership once; "" is every customer.
	for _, g := range DistinctGroups(groups) {
		t[countKey{g, source, day}] += delta
	}
}

// apply writes the tally to the merchant's counts and forgets rows that
// fell to zero.
func (t tally) apply(ctx context.Context, tx *sql.Tx, slot int64) error {
	for k, n := range t {
		if n == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO index_counts (slot, grp, source, day, n) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (slot, grp, source, day) DO UPDATE SET n = n + excluded.n`, slot, k.group, k.source, k.day, n); err != nil {
			return fmt.Errorf("index: counts: %w", err)
		}
		if n < 0 {
			if _, err := tx.ExecContext(ctx, "DELETE FROM index_counts WHERE slot = ? AND grp = ? AND source = ? AND day = ? AND n <= 0",
				slot, k.group, k.source, k.day); err != nil {
				return fmt.Errorf("index: counts: %w", err)
			}
		}
	}
	return nil
}

// splitGroups reads the group_ids column.
func splitGroups(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, groupSep)
}

// filterTotal counts exactly the customers that pass the filters of a
// query without text: a sum over index_counts for the whole days of the
// created range, and a count of the customers themselves on the partial
// days at its ends.
func (x *Index) filterTotal(ctx context.Context, p *plan) (int, error) {
	sum := "SELECT coalesce(sum(n), 0) FROM index_counts WHERE slot = ? AND grp = ?"
	args := []any{p.slot, p.group}
	if p.source != "" {
		sum += " AND source = ?"
		args = append(args, p.source)
	}
	// Whole days: [first, last) of them lie inside [from, to).
	first, last := int64(minDay), int64(maxDay)
	if p.hasFrom {
		first = dayOf(p.fromMS + dayMS - 1)
	}
	if p.hasTo {
		last = dayOf(p.toMS)
	}
	var total int
	var edges [][2]int64
	if first >= last {
		// No whole day: the range is under two days, counted row by row.
		edges = append(edges, [2]int64{p.fromMS, p.toMS})
	} else {
		if first > minDay || last < maxDay {
			sum += " AND day >= ? AND day < ?"
			args = append(args, first, last)
		}
		if err := x.reader.QueryRowContext(ctx, sum, args...).Scan(&total); err != nil {
			return 0, fmt.Errorf("index: search: count: %w", err)
		}
		if p.hasFrom && p.fromMS < first*dayMS {
			edges = append(edges, [2]int64{p.fromMS, first * dayMS})
		}
		if p.hasTo && last*dayMS < p.toMS {
			edges = append(edges, [2]int64{last * dayMS, p.toMS})
		}
	}
	for _, e := range edges {
		sql := "SELECT count(*) FROM index_customers c WHERE c.merchant_id = ? AND c.created_at >= ? AND c.created_at < ?"
		eargs := []any{p.merchantID, e[0], e[1]}
		if p.source != "" {
			sql += " AND c.creation_source = ?"
			eargs = append(eargs, p.source)
		}
		if p.group != "" {
			sql += " AND EXISTS (SELECT 1 FROM index_groups g WHERE g.slot = ? AND g.group_id = ? AND g.row = c.rowid)"
			eargs = append(eargs, p.slot, p.group)
		}
		var n int
		if err := x.reader.QueryRowContext(ctx, sql, eargs...).Scan(&n); err != nil {
			return 0, fmt.Errorf("index: search: count: %w", err)
		}
		total += n
	}
	return total, nil
}

// minDay and maxDay stand for an open end of a created range.
const (
	minDay = -1 << 40
	maxDay = 1 << 40
)
