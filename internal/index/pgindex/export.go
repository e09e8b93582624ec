package pgindex

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-dashboard/tessera/internal/index"
)

// EachID calls fn with the id of every customer of the merchant that q
// matches, in q's order, batch ids at a time, for an export; q's Limit and
// Offset are ignored (see index.Index.EachID). Each batch is read with a
// seek past the last row of the one before, on the sort column and seq. A
// search in order of relevance is ranked page by page as Search ranks it
// when it matches at most index.MaxCounted customers; a broader one comes
// in name order.
func (x *Index) EachID(ctx context.Context, merchantID string, q index.Query, batch int, fn func([]string) error) error {
	q.Limit, q.Offset = 0, 0
	batch = min(max(batch, 1), 1000)
	p, err := newPlan(merchantID, &q)
	if err != nil {
		return err
	}
	if len(p.words) > 0 && q.Sort == index.SortRelevance {
		n, err := x.total(ctx, p, index.MaxCounted)
		if err != nil {
			return err
		}
		if n <= index.MaxCounted {
			return x.walkRanked(ctx, merchantID, q, min(batch, index.MaxLimit), fn)
		}
	}
	sort := q.Sort
	if sort == index.SortRelevance {
		sort = index.SortName
	}
	col, cmp, dir := "c."+sortColumns[sort], " > ", " ASC"
	if q.Desc && q.Sort != index.SortRelevance {
		cmp, dir = " < ", " DESC"
	}
	var lastKey any
	var lastSeq int64
	ids := make([]string, 0, batch)
	for first := true; ; first = false {
		var a args
		sql := "SELECT c.seq, c.id, " + col + " FROM index_customers c WHERE " + p.where(&a)
		if !first {
			sql += " AND (" + col + ", c.seq)" + cmp + "(" + a.add(lastKey) + ", " + a.add(lastSeq) + ")"
		}
		sql += " ORDER BY " + col + dir + ", c.seq" + dir + " LIMIT " + a.add(batch)
		rows, err := x.pool.Query(ctx, sql, a...)
		if err != nil {
			return fmt.Errorf("index: export: %w", err)
		}
		ids = ids[:0]
		var id string
		_, err = pgx.ForEachRow(rows, []any{&lastSeq, &id, &lastKey}, func() error {
			ids = append(ids, id)
			return nil
		})
		if err != nil {
			return fmt.Errorf("index: export: %w", err)
		}
		if len(ids) > 0 {
			if err := fn(ids); err != nil {
				return err
			}
		}
		if len(ids) < batch {
			return nil
		}
	}
}

// walkRanked gives a search of at most index.MaxCounted matches in order of
// relevance, a page of Search at a time.
func (x *Index) walkRanked(ctx context.Context, merchantID string, q index.Query, page int, fn func([]string) error) error {
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

// Likely returns, for each contact, up to limit of the merchant's
// customers that are likely the same person: the same email (case and
// accents aside) or the same digits of a phone number of at least
// index.MinPhoneDigits (see index.Index.Likely). The contacts are looked
// up in one batch of statements.
func (x *Index) Likely(ctx context.Context, merchantID string, contacts []index.Contact, limit int) ([][]index.Customer, error) {
	out := make([][]index.Customer, len(contacts))
	batch := &pgx.Batch{}
	var asked []int
	for i, c := range contacts {
		// "" stands for "no email" or "no phone": no stored sort key is
		// empty (an empty value sorts as index.KeysOf makes it).
		e, p := index.Fold(c.Email), index.Digits(c.Phone)
		if len(p) < index.MinPhoneDigits {
			p = ""
		}
		if e == "" && p == "" {
			continue
		}
		asked = append(asked, i)
		batch.Queue("SELECT "+customerCols+` FROM index_customers c
			WHERE c.merchant_id = $1 AND (c.sort_email = $2 OR c.sort_phone = $3) ORDER BY c.seq LIMIT $4`, merchantID, e, p, limit)
	}
	if len(asked) == 0 {
		return out, nil
	}
	res := x.pool.SendBatch(ctx, batch)
	defer res.Close()
	for _, i := range asked {
		rows, err := res.Query()
		if err != nil {
			return nil, fmt.Errorf("index: likely: %w", err)
		}
		found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index.Customer, error) {
			c, _, err := scanCustomer(r)
			return c, err
		})
		if err != nil {
			return nil, fmt.Errorf("index: likely: %w", err)
		}
		out[i] = found
	}
	if err := res.Close(); err != nil {
		return nil, fmt.Errorf("index: likely: %w", err)
	}
	return out, nil
}
