package pgindex

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-dashboard/tessera/internal/index"
)

// sortColumns maps each index.Sort to the column it orders by.
var sortColumns = map[index.Sort]string{
	index.SortName:    "sort_name",
	index.SortCompany: "sort_company",
	index.SortEmail:   "sort_email",
	index.SortPhone:   "sort_phone",
	index.SortCreated: "created_at",
	index.SortUpdated: "updated_at",
}

// plan is a checked Query and its search words.
type plan struct {
	merchantID string
	q          index.Query
	words      []index.Word
}

// args collects a statement's arguments and names each one's placeholder.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// likePattern matches s anywhere in a text, every character of s taken
// literally (LIKE's wildcards and its escape character escaped).
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// where is the condition on index_customers c that every match satisfies:
// the merchant, the filters, and every word in some field (any of its
// forms). LIKE on search_key is what pg_trgm's index serves.
func (p *plan) where(a *args) string {
	conds := []string{"c.merchant_id = " + a.add(p.merchantID)}
	if !p.q.CreatedFrom.IsZero() {
		conds = append(conds, "c.created_at >= "+a.add(p.q.CreatedFrom.UnixMilli()))
	}
	if !p.q.CreatedTo.IsZero() {
		conds = append(conds, "c.created_at < "+a.add(p.q.CreatedTo.UnixMilli()))
	}
	if p.q.Source != "" {
		conds = append(conds, "c.creation_source = "+a.add(p.q.Source))
	}
	if p.q.GroupID != "" {
		conds = append(conds, "c.group_ids @> ARRAY["+a.add(p.q.GroupID)+"::text]")
	}
	for _, w := range p.words {
		var alts []string
		for _, alt := range w.Alts {
			alts = append(alts, "c.search_key LIKE "+a.add(likePattern(alt)))
		}
		conds = append(conds, "("+strings.Join(alts, " OR ")+")")
	}
	return strings.Join(conds, " AND ")
}

// fragsOnly reports a search that the SQLite index counts exactly however
// many match (every word a fragment, no filter; see index.Word.Frag): its
// total is exact here too.
func (p *plan) fragsOnly() bool {
	if len(p.words) == 0 || !p.q.CreatedFrom.IsZero() || !p.q.CreatedTo.IsZero() || p.q.Source != "" || p.q.GroupID != "" {
		return false
	}
	for _, w := range p.words {
		if !w.Frag {
			return false
		}
	}
	return true
}

// Search returns one page of the merchant's customers that match q's text
// and filters, in q's order, as index.Index.Search does: with text and
// index.SortRelevance, customers with a name word equal to the longest
// search word first, then with a name word starting with it (in the
// order of that word), then those with a search word in any field but the
// note, then those matched only in their note, each tier in the order the
// customers were first stored. A Query out of bounds is index.ErrInvalid.
func (x *Index) Search(ctx context.Context, merchantID string, q index.Query) (index.Result, error) {
	p, err := newPlan(merchantID, &q)
	if err != nil {
		return index.Result{}, err
	}
	total, err := x.total(ctx, p, index.MaxCounted)
	if err != nil {
		return index.Result{}, err
	}
	var rows []index.Hit
	if len(p.words) == 0 || q.Sort != index.SortRelevance {
		rows, err = x.sorted(ctx, p)
	} else {
		rows, err = x.ranked(ctx, p)
	}
	if err != nil {
		return index.Result{}, err
	}
	capped := len(p.words) > 0 && !p.fragsOnly() && total > index.MaxCounted
	if capped {
		total = index.MaxCounted
	}
	for i := range rows {
		rows[i].Highlights = index.Highlight(rows[i].Customer, p.words)
	}
	if rows == nil {
		rows = []index.Hit{}
	}
	return index.Result{Rows: rows, Total: total, Capped: capped}, nil
}

func newPlan(merchantID string, q *index.Query) (*plan, error) {
	words, err := index.Prepare(q)
	if err != nil {
		return nil, err
	}
	return &plan{merchantID: merchantID, q: *q, words: words}, nil
}

// Total counts exactly the merchant's customers that match q, however
// many; q's sort and page are ignored. See index.Result.Capped.
func (x *Index) Total(ctx context.Context, merchantID string, q index.Query) (int, error) {
	p, err := newPlan(merchantID, &q)
	if err != nil {
		return 0, err
	}
	return x.total(ctx, p, 0)
}

// total counts the matches: with text, up to upTo+1 if upTo > 0 (as the
// SQLite index does, so that Capped means the same), else all of them.
func (x *Index) total(ctx context.Context, p *plan, upTo int) (int, error) {
	var a args
	sql := "SELECT 1 FROM index_customers c WHERE " + p.where(&a)
	if upTo > 0 && len(p.words) > 0 && !p.fragsOnly() {
		sql += " LIMIT " + a.add(upTo+1)
	}
	var n int
	if err := x.pool.QueryRow(ctx, "SELECT count(*) FROM ("+sql+") m", a...).Scan(&n); err != nil {
		return 0, fmt.Errorf("index: search: count: %w", err)
	}
	return n, nil
}

// sorted serves a page in a column's order, ties in the order the
// customers were first stored (as SQLite's rowid orders them).
func (x *Index) sorted(ctx context.Context, p *plan) ([]index.Hit, error) {
	sort := p.q.Sort
	if sort == index.SortRelevance {
		sort = index.SortName
	}
	dir := " ASC"
	if p.q.Desc {
		dir = " DESC"
	}
	var a args
	sql := "SELECT " + customerCols + " FROM index_customers c WHERE " + p.where(&a) +
		" ORDER BY c." + sortColumns[sort] + dir + ", c.seq" + dir +
		" LIMIT " + a.add(p.q.Limit) + " OFFSET " + a.add(p.q.Offset)
	return x.hits(ctx, sql, a)
}

// ranked serves a page in order of relevance. Each match's tier and, in
// the prefix tier, the first name word that starts with the pivot are
// computed on its row, the same tests index.Index ranks by on its own.
func (x *Index) ranked(ctx context.Context, p *plan) ([]index.Hit, error) {
	var a args
	where := p.where(&a)
	pivot := a.add(index.Pivot(p.words).Folded)
	// The tier above the note's: a search word outside the note. When
	// some words are long, only they are tested, as index.Index does.
	long := false
	for _, w := range p.words {
		long = long || w.Long
	}
	var top []string
	for _, w := range p.words {
		if long && !w.Long {
			continue
		}
		for _, alt := range w.Alts {
			v := a.add(alt)
			top = append(top, "strpos(c.names_key, "+v+") > 0 OR strpos(c.other_key, "+v+") > 0")
		}
	}
	prefixed := "(SELECT min(w COLLATE \"C\") FROM unnest(c.name_words) AS w WHERE starts_with(w, " + pivot + ") AND w <> " + pivot + ")"
	sql := "SELECT " + customerCols + " FROM (SELECT c.*, " + prefixed + " AS prefixed FROM index_customers c WHERE " + where + ") c" +
		" ORDER BY CASE WHEN c.name_words @> ARRAY[" + pivot + "::text] THEN 0 WHEN c.prefixed IS NOT NULL THEN 1" +
		" WHEN " + strings.Join(top, " OR ") + " THEN 2 ELSE 3 END," +
		" CASE WHEN c.name_words @> ARRAY[" + pivot + "::text] THEN '' ELSE coalesce(c.prefixed, '') END COLLATE \"C\", c.seq" +
		" LIMIT " + a.add(p.q.Limit) + " OFFSET " + a.add(p.q.Offset)
	return x.hits(ctx, sql, a)
}

func (x *Index) hits(ctx context.Context, sql string, a args) ([]index.Hit, error) {
	rows, err := x.pool.Query(ctx, sql, a...)
	if err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index.Hit, error) {
		c, _, err := scanCustomer(r)
		return index.Hit{Customer: c}, err
	})
	if err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	return hits, nil
}
