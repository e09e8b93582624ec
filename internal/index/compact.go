package index

import (
	"context"
	"database/sql"
	"fmt"
)

// FTS5 keeps each table as segments: every write transaction adds one, and
// automerge folds a few of a level into one of the next. A full sync writes
// in some hundred transactions and leaves a dozen segments or so, and a
// query reads every segment's doclist of each of its trigrams. Merged into
// one, the same searches take a third to a half less time (a 10-character
// word in every row: 2.9 to 1.7 ms; a phone number: 11 to 7.5 ms, at
// 100,000 customers; docs/index.md). FTS5's 'optimize' does it in one
// transaction, which would hold the only writer, and so every webhook, for
// seconds; Compact does the same work as 'merge' steps of mergePages pages,
// each a transaction of its own.

// mergePages is the work of one merge step, in pages of the FTS5 tables.
// At 100,000 customers (load 4) a step takes 4 ms at the median and 20 ms
// at the 90th percentile, short enough that a webhook waiting for the
// writer is still applied within its 50 ms; one or two steps that write a
// trigram found in every row take up to 0.2 s whatever the page count.
// The whole takes about 5 s there.
const mergePages = 32

// ftsTables are the full-text tables Compact merges.
var ftsTables = []string{"index_fts", "index_fts_top"}

// Compact merges each full-text table's segments into one, in short steps.
// The syncs call it after a full sync; the results of searches are the same
// before and after, only faster. It stops early, with ctx's error, when ctx
// ends; what it merged stays merged.
func (x *Index) Compact(ctx context.Context) error {
	for _, table := range ftsTables {
		for {
			merged, err := x.mergeStep(ctx, table)
			if err != nil {
				return err
			}
			if !merged {
				break
			}
		}
	}
	return nil
}

// mergeStep does one step of merging table's segments; merged is false when
// there was nothing left to merge. A negative page count merges segments of
// any level, however few, which is what ends with one segment ('merge' in
// FTS5's documentation); FTS5 tells that a step did nothing by changing
// fewer than two rows.
func (x *Index) mergeStep(ctx context.Context, table string) (merged bool, err error) {
	err = x.tx(ctx, func(tx *sql.Tx) error {
		var before, after int64
		if err := tx.QueryRowContext(ctx, "SELECT total_changes()").Scan(&before); err != nil {
			return err
		}
		// table is one of ftsTables, never input.
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+table+"("+table+", rank) VALUES ('merge', ?)", -mergePages); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, "SELECT total_changes()").Scan(&after); err != nil {
			return err
		}
		merged = after-before >= 2
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("index: compact %s: %w", table, err)
	}
	return merged, nil
}
