package index

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// Each calls fn with every customer of the merchant that q matches, in q's
// order, batch customers at a time (the last batch may be shorter), for an
// export: q's Limit and Offset are ignored. It holds one batch at a time,
// whatever the number of matches, and reads each batch with a seek past
// the last row of the one before (on the sort column and the rowid), so
// that the thousandth batch costs what the first does. fn's error stops
// the walk and is returned.
//
// A search in order of relevance is ranked page by page as Search ranks it
// when it matches at most MaxCounted customers; a broader one is given in
// name order, since ranking 100,000 matches would mean holding them all.
func (x *Index) Each(ctx context.Context, merchantID string, q Query, batch int, fn func([]Customer) error) error {
	q.Limit, q.Offset = 0, 0
	batch = min(max(batch, 1), 1000)
	p, ok, err := x.plan(ctx, merchantID, &q)
	if err != nil || !ok {
		return err
	}
	broad := false
	if len(p.words) > 0 {
		n, err := x.total(ctx, p, MaxCounted)
		if err != nil {
			return err
		}
		broad = n > MaxCounted
		if q.Sort == SortRelevance && !broad {
			return x.eachRanked(ctx, merchantID, q, min(batch, MaxLimit), fn)
		}
	}
	sort := q.Sort
	if sort == SortRelevance {
		sort = SortName
	}
	col, cmp, dir := "c."+sortColumns[sort], " > ", " ASC"
	if q.Desc && q.Sort != SortRelevance {
		cmp, dir = " < ", " DESC"
	}
	from, args := p.from(p.full)
	where, whereArgs := slices.Clone(p.where), slices.Clone(p.args)
	if broad && (p.full != "" || p.frag != "") {
		// As in sorted: with dense matches, walking the sort index and
		// testing each row finds a batch sooner than sorting them all.
		from, args = " FROM index_customers c WHERE ", nil
		if p.full != "" {
			sql, a := p.allLongWordsIn("names_key", "other_key", "note_key")
			where = append(where, sql)
			whereArgs = append(whereArgs, a...)
		}
	}
	head := "SELECT " + customerCols + ", " + col + from + strings.Join(where, " AND ")
	tail := " ORDER BY " + col + dir + ", c.rowid" + dir + " LIMIT ?"
	var last struct {
		key any
		row int64
	}
	first := true
	out := make([]Customer, 0, batch)
	for {
		query, qargs := head+tail, append(slices.Clone(args), whereArgs...)
		if !first {
			query = head + " AND (" + col + ", c.rowid)" + cmp + "(?, ?)" + tail
			qargs = append(qargs, last.key, last.row)
		}
		qargs = append(qargs, batch)
		out = out[:0]
		if err := x.eachRows(ctx, query, qargs, func(c Customer, row int64, key any) {
			out = append(out, c)
			last.key, last.row = key, row
		}); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		if err := fn(out); err != nil {
			return err
		}
		if len(out) < batch {
			return nil
		}
		first = false
	}
}

// eachRows runs a query of customerCols and one sort key.
func (x *Index) eachRows(ctx context.Context, query string, args []any, fn func(Customer, int64, any)) error {
	rs, err := x.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("index: export: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var key any
		c, row, err := scanCustomer(keyScanner{rs, &key})
		if err != nil {
			return fmt.Errorf("index: export: %w", err)
		}
		fn(c, row, key)
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("index: export: %w", err)
	}
	return nil
}

// keyScanner scans a row of customerCols followed by one more column.
type keyScanner struct {
	rs  *sql.Rows
	key *any
}

func (k keyScanner) Scan(dest ...any) error { return k.rs.Scan(append(dest, k.key)...) }

// eachRanked gives a search of at most MaxCounted matches in order of
// relevance, a page of Search (of page customers) at a time.
func (x *Index) eachRanked(ctx context.Context, merchantID string, q Query, page int, fn func([]Customer) error) error {
	q.Limit = page
	for q.Offset = 0; ; q.Offset += page {
		res, err := x.Search(ctx, merchantID, q)
		if err != nil {
			return err
		}
		if len(res.Rows) == 0 {
			return nil
		}
		out := make([]Customer, len(res.Rows))
		for i, h := range res.Rows {
			out[i] = h.Customer
		}
		if err := fn(out); err != nil {
			return err
		}
		if len(res.Rows) < page {
			return nil
		}
	}
}
