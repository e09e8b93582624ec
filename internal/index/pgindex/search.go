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

// planned is the arguments of a search statement, which is planned for
// its own values every time: pgx would otherwise keep it prepared, and
// PostgreSQL plans a statement run often once for any values, where a LIKE
// pattern's selectivity (one customer or all of them) decides the plan.
func (a args) planned() []any {
	return append([]any{pgx.QueryExecModeExec}, a...)
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
		if w.Frag {
			// A fragment is in the keys exactly when it is among their
			// fragments, which a GIN index finds where pg_trgm cannot
			// (a word of one or two characters has no trigram).
			conds = append(conds, "c.frags @> ARRAY["+a.add(w.Folded)+"::text]")
			continue
		}
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
	switch {
	case len(p.words) == 0 || q.Sort != index.SortRelevance:
		rows, err = x.sorted(ctx, p)
	case total <= x.rankAllUpTo:
		rows, err = x.rankedAll(ctx, p)
	default:
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
// SQLite index does, so that Capped means the same), else all of them;
// without text or a created range, from the merchant's kept counts.
func (x *Index) total(ctx context.Context, p *plan, upTo int) (int, error) {
	if len(p.words) == 0 && p.q.CreatedFrom.IsZero() && p.q.CreatedTo.IsZero() {
		if p.q.Source == "" && p.q.GroupID == "" {
			return x.Count(ctx, p.merchantID)
		}
		return x.keptCount(ctx, p.merchantID, p.q.GroupID, p.q.Source)
	}
	var a args
	sql := "SELECT 1 FROM index_customers c WHERE " + p.where(&a)
	if upTo > 0 && len(p.words) > 0 && !p.fragsOnly() {
		sql += " LIMIT " + a.add(upTo+1)
	}
	var n int
	if err := x.pool.QueryRow(ctx, "SELECT count(*) FROM ("+sql+") m", a.planned()...).Scan(&n); err != nil {
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

// topCond is the condition of the tier above the note's: a search word
// outside the note. When some words are long, only they are tested, as
// index.Index does. LIKE on top_key is what its trigram index serves.
func (p *plan) topCond(a *args) string {
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
			top = append(top, "c.top_key LIKE "+a.add(likePattern(alt)))
		}
	}
	return "(" + strings.Join(top, " OR ") + ")"
}

// rankedAll serves a page in order of relevance by ranking every match,
// which is cheapest when the matches are few: each match's tier and, in
// the prefix tier, the first name word that starts with the pivot are
// computed on its row. The order is exactly ranked's.
func (x *Index) rankedAll(ctx context.Context, p *plan) ([]index.Hit, error) {
	var a args
	where := p.where(&a)
	pivot := a.add(index.Pivot(p.words).Folded)
	top := p.topCond(&a)
	prefixed := "(SELECT min(w COLLATE \"C\") FROM unnest(c.name_words) AS w WHERE starts_with(w, " + pivot + ") AND w <> " + pivot + ")"
	sql := "SELECT " + customerCols + " FROM (SELECT c.*, " + prefixed + " AS prefixed FROM index_customers c WHERE " + where + ") c" +
		" ORDER BY CASE WHEN c.name_words @> ARRAY[" + pivot + "::text] THEN 0 WHEN c.prefixed IS NOT NULL THEN 1" +
		" WHEN " + top + " THEN 2 ELSE 3 END," +
		" CASE WHEN c.name_words @> ARRAY[" + pivot + "::text] THEN '' ELSE coalesce(c.prefixed, '') END COLLATE \"C\", c.seq" +
		" LIMIT " + a.add(p.q.Limit) + " OFFSET " + a.add(p.q.Offset)
	return x.hits(ctx, sql, a)
}

// ranked serves a page in order of relevance without ranking every match,
// tier by tier as index.Index does, each tier read in an order an index
// has and only as far as the page needs:
//
//  1. a name word equal to the longest search word, then starting with it,
//     in the order of that word (index_name_words);
//  2. any other match with a search word outside the note (top_key's
//     trigram index), in seq order;
//  3. the matches with the search words only in the note, in seq order.
func (x *Index) ranked(ctx context.Context, p *plan) ([]index.Hit, error) {
	offset, limit := p.q.Offset, p.q.Limit
	need := offset + limit
	first, err := x.nameMatches(ctx, p, need)
	if err != nil {
		return nil, err
	}
	if len(first) >= need {
		return hitsOf(first[offset:need]), nil
	}
	page := hitsOf(first[min(offset, len(first)):])

	// Tier 2, after the len(first) rows of tier 1.
	start := max(0, offset-len(first))
	count := need - max(offset, len(first))
	var a args
	where := p.where(&a) + " AND " + p.topCond(&a)
	if len(first) > 0 {
		seqs := make([]int64, len(first))
		for i, r := range first {
			seqs[i] = r.seq
		}
		where += " AND c.seq <> ALL(" + a.add(seqs) + "::bigint[])"
	}
	second, err := x.hits(ctx, "SELECT "+customerCols+" FROM index_customers c WHERE "+where+
		" ORDER BY c.seq LIMIT "+a.add(count)+" OFFSET "+a.add(start), a)
	if err != nil {
		return nil, err
	}
	page = append(page, second...)
	if len(second) == count {
		return page, nil
	}

	// Tier 2 is exhausted: its size is known if this page read any of it,
	// and must be counted otherwise.
	size := start + len(second)
	if len(second) == 0 && start > 0 {
		a = a[:len(a)-2]
		if err := x.pool.QueryRow(ctx, "SELECT count(*) FROM index_customers c WHERE "+where, a.planned()...).Scan(&size); err != nil {
			return nil, fmt.Errorf("index: search: %w", err)
		}
	}
	before := len(first) + size
	start = max(0, offset-before)
	count = need - max(offset, before)

	var b args
	where = p.where(&b) + " AND NOT " + p.topCond(&b)
	third, err := x.hits(ctx, "SELECT "+customerCols+" FROM index_customers c WHERE "+where+
		" ORDER BY c.seq LIMIT "+b.add(count)+" OFFSET "+b.add(start), b)
	if err != nil {
		return nil, err
	}
	return append(page, third...), nil
}

// hitRow is a hit with its seq, which tier 1 de-duplicates by.
type hitRow struct {
	hit index.Hit
	seq int64
}

func hitsOf(rs []hitRow) []index.Hit {
	hits := make([]index.Hit, len(rs))
	for i, r := range rs {
		hits[i] = r.hit
	}
	return hits
}

// nameMatches reads tier 1 up to need rows: customers with a name word
// equal to the pivot (the longest search word), then with one starting
// with it, that match every word and the filters, in the order of that
// word and then seq, as index.Index reads them.
func (x *Index) nameMatches(ctx context.Context, p *plan, need int) ([]hitRow, error) {
	pivot := index.Pivot(p.words).Folded
	// Most words begin no name (a phone number, an email): one look at
	// the name words spares the queries below.
	var named bool
	if err := x.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM index_name_words WHERE merchant_id = $1 AND word >= $2 AND word < $3)",
		p.merchantID, pivot, pivot+emptyLast).Scan(&named); err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	if !named {
		return nil, nil
	}
	var out []hitRow
	seen := map[int64]bool{}
	for _, exact := range []bool{true, false} {
		// A customer can have two name words that match.
		var err error
		out, err = index.ReadDistinct(out, seen, need, func(r hitRow) int64 { return r.seq }, func(lim int) ([]hitRow, error) {
			var a args
			var words string
			if exact {
				words = "w.word = " + a.add(pivot)
			} else {
				words = "w.word > " + a.add(pivot) + " AND w.word < " + a.add(pivot+emptyLast)
			}
			sql := "SELECT " + customerCols + " FROM index_name_words w JOIN index_customers c ON c.merchant_id = w.merchant_id AND c.seq = w.seq" +
				" WHERE w.merchant_id = " + a.add(p.merchantID) + " AND " + words + " AND " + p.where(&a) +
				" ORDER BY w.word, w.seq LIMIT " + a.add(lim)
			return x.rows(ctx, sql, a)
		})
		if err != nil {
			return nil, err
		}
		if len(out) >= need {
			return out[:need], nil
		}
	}
	return out, nil
}

// emptyLast is above every character: word < pivot+emptyLast keeps the
// words that start with pivot.
const emptyLast = "\U0010FFFF"

func (x *Index) rows(ctx context.Context, sql string, a args) ([]hitRow, error) {
	rows, err := x.pool.Query(ctx, sql, a.planned()...)
	if err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (hitRow, error) {
		c, seq, err := scanCustomer(r)
		return hitRow{hit: index.Hit{Customer: c}, seq: seq}, err
	})
	if err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	return out, nil
}

func (x *Index) hits(ctx context.Context, sql string, a args) ([]index.Hit, error) {
	rows, err := x.rows(ctx, sql, a)
	if err != nil {
		return nil, err
	}
	return hitsOf(rows), nil
}
