package index

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// EachID calls fn with the id of every customer of the merchant that q
// matches, in q's order, batch ids at a time (the last batch may be
// shorter), for an export, which reads the customers themselves from
// Square: q's Limit and Offset are ignored. It holds one batch at a time,
// whatever the number of matches, and reads each batch with a seek past
// the last row of the one before (on the sort column and the rowid), so
// that the thousandth batch costs what the first does. fn's error stops
// the walk and is returned; fn must not keep the slice.
//
// A search in order of relevance is ranked page by page as Search ranks it
// when it matches at most MaxCounted customers; a broader one is given in
// name order, since ranking 100,000 matches would mean holding them all.
func (x *Index) EachID(ctx context.Context, merchantID string, q Query, batch int, fn func([]string) error) error {
	q.Limit, q.Offset = 0, 0
	batch = min(max(batch, 1), 1000)
	out := make([]string, 0, batch)
	flush := func() (int, error) {
		n := len(out)
		if n == 0 {
			return 0, nil
		}
		err := fn(out)
		out = out[:0]
		return n, err
	}
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
			return x.walkRanked(ctx, merchantID, q, min(batch, MaxLimit), fn)
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
	head := "SELECT c.rowid, c.id, " + col + from + strings.Join(where, " AND ")
	tail := " ORDER BY " + col + dir + ", c.rowid" + dir + " LIMIT ?"
	var lastKey any
	var lastRow int64
	for first := true; ; first = false {
		query, qargs := head+tail, append(slices.Clone(args), whereArgs...)
		if !first {
			query = head + " AND (" + col + ", c.rowid)" + cmp + "(?, ?)" + tail
			qargs = append(qargs, lastKey, lastRow)
		}
		qargs = append(qargs, batch)
		if err := x.eachRow(ctx, query, qargs, func(rs *sql.Rows) error {
			var id string
			err := rs.Scan(&lastRow, &id, &lastKey)
			out = append(out, id)
			return err
		}); err != nil {
			return err
		}
		n, err := flush()
		if err != nil {
			return err
		}
		if n < batch {
			return nil
		}
	}
}

// eachRow runs a query and calls scan on each row.
func (x *Index) eachRow(ctx context.Context, query string, args []any, scan func(*sql.Rows) error) error {
	rs, err := x.reader.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("index: export: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		if err := scan(rs); err != nil {
			return fmt.Errorf("index: export: %w", err)
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("index: export: %w", err)
	}
	return nil
}

// walkRanked gives a search of at most MaxCounted matches in order of
// relevance, a page of Search (of page customers) at a time.
func (x *Index) walkRanked(ctx context.Context, merchantID string, q Query, page int, fn func([]string) error) error {
	q.Limit = page
	ids := make([]string, 0, page)
	for q.Offset = 0; ; q.Offset += page {
		res, err := x.Search(ctx, merchantID, q)
		if err != nil {
			return err
		}
		ids = ids[:0]
		for _, h := range res.Rows {
			ids = append(ids, h.ID)
		}
		if len(ids) > 0 {
			if err := fn(ids); err != nil {
				return err
			}
		}
		if len(ids) < page {
			return nil
		}
	}
}
