package index

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sort names the order of a directory page.
type Sort string

// The orders a Query can ask for. SortRelevance, the zero value, puts the
// best matches of the search text first; without text it is SortName.
const (
	SortRelevance Sort = ""
	SortName      Sort = "name"
	SortCompany   Sort = "company"
	SortEmail     Sort = "email"
	SortPhone     Sort = "phone"
	SortCreated   Sort = "created"
	SortUpdated   Sort = "updated"
)

// sortColumns maps each Sort to the column and index it reads in order.
var sortColumns = map[Sort]string{
	SortName:    "sort_name",
	SortCompany: "sort_company",
	SortEmail:   "sort_email",
	SortPhone:   "sort_phone",
	SortCreated: "created_at",
	SortUpdated: "updated_at",
}

// MaxLimit is the largest page a Query may ask for.
const MaxLimit = 100

// DefaultLimit is the page size when a Query names none.
const DefaultLimit = 50

// maxTextBytes and maxWords bound the work one search can ask for.
const (
	maxTextBytes = 200
	maxWords     = 8
)

// Query asks for one page of a merchant's customers.
type Query struct {
	// Text is what was typed in the search box. Every whitespace-separated
	// word must match a fragment of some field; each word is matched as
	// literal text, whatever characters it holds.
	Text string
	Sort Sort
	// Desc reverses the order; it is ignored for SortRelevance.
	Desc bool
	// CreatedFrom and CreatedTo keep customers created in [From, To); a zero
	// time leaves that end open.
	CreatedFrom time.Time
	CreatedTo   time.Time
	// Source keeps customers with this creation source, e.g. THIRD_PARTY.
	Source string
	// GroupID keeps members of this customer group.
	GroupID string
	// Limit is the page size, at most MaxLimit; 0 means DefaultLimit.
	Limit  int
	Offset int
}

// Field names a Customer field that a search can highlight.
type Field string

// The fields a search matches.
const (
	FieldGivenName   Field = "given_name"
	FieldFamilyName  Field = "family_name"
	FieldNickname    Field = "nickname"
	FieldCompanyName Field = "company_name"
	FieldEmail       Field = "email_address"
	FieldPhone       Field = "phone_number"
	FieldReferenceID Field = "reference_id"
	FieldNote        Field = "note"
)

// Span is a matched range of a field's original text, as byte offsets
// [Start, End) that always fall on UTF-8 boundaries, so that the view can
// escape the text around and inside it and wrap the inside in <mark>.
type Span struct {
	Start, End int
}

// Hit is one customer in a page, with what the search text matched.
type Hit struct {
	Customer
	// Highlights holds, per field, the matched spans in order and without
	// overlap; fields without a match are absent.
	Highlights map[Field][]Span
}

// Result is one page.
type Result struct {
	Rows []Hit
	// Total is the number of the merchant's customers that match the query:
	// exact, unless Capped.
	Total int
	// Capped reports that more than MaxCounted customers match the search
	// text, and Total is MaxCounted. Counting every match of a word that
	// most customers have costs many times the page (a 10-character term
	// in every one of 100,000 notes takes over 100 ms to count), so a
	// search as you type stops counting there; Index.Total counts exactly,
	// for a view that fills the figure in afterwards. Without text the
	// total is always exact.
	Capped bool
}

// MaxCounted is where Search stops counting the matches of a search text.
const MaxCounted = 1000

// word is one word of the search text, folded, with the forms it is
// searched as: itself and, for something typed like a phone number, its
// digits.
type word struct {
	folded string
	alts   []string
	// long words (every form at least 3 characters) are found through the
	// trigram index; shorter ones by scanning the merchant's folded keys.
	long bool
}

// splitWords splits the search text at spaces and at control characters,
// which no field is searched for and which FTS5 cannot take in a string (a
// NUL ends it).
func splitWords(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}

func parseWords(text string) []word {
	var ws []word
	seen := map[string]bool{}
	for _, raw := range splitWords(text) {
		f := fold(raw)
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		w := word{folded: f, alts: []string{f}}
		if d := digits(f); phoneLike(f) && d != f {
			w.alts = append(w.alts, d)
		}
		w.long = true
		for _, a := range w.alts {
			if utf8.RuneCountInString(a) < 3 {
				w.long = false
			}
		}
		ws = append(ws, w)
	}
	return ws
}

// ftsString quotes s as an FTS5 string: inside double quotes every
// character is literal, so typed syntax (NEAR, OR, *, ^, :) is searched as
// text, and the trigram tokenizer matches it as a substring.
func ftsString(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoted is the FTS5 expression that matches any form of the word exactly.
func (w word) quoted() string {
	parts := make([]string, len(w.alts))
	for i, a := range w.alts {
		parts[i] = ftsString(a)
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// plan is a search turned into SQL fragments over index_customers c.
type plan struct {
	merchantID string
	slot       int64
	lo, hi     int64
	words      []word
	// full is the FTS5 expression for index_fts that every match satisfies
	// (all the long words); top is the one for index_fts_top that a match
	// of some long word outside the note satisfies. Both are empty when no
	// word is long.
	full, top string
	// longs is how many words are long.
	longs int
	// inexact reports that some long word is matched by its rarest
	// trigrams (see wordExpr): full and top then find a superset of the
	// matches, which the word's condition among where confirms.
	inexact bool
	// where and args are the conditions on c: the merchant, the filters and
	// the short words.
	where []string
	args  []any
	// group is the group filter, also among where, which counts read from
	// the membership table; onlyGroup reports that it is the only filter.
	group     string
	onlyGroup bool
	// source and the created range are the other filters, which exact
	// totals without text read from index_counts (see filterTotal).
	source         string
	hasFrom, hasTo bool
	fromMS, toMS   int64
	// matches is the count of matches, up to MaxCounted+1.
	matches int
	// frag is a short word found through index_frags (see fragWord), which
	// drives the query when no word is long; "" when there is none.
	frag string
	// few holds every match's rowid, in order, when countText found them
	// all; from then reads those rows instead of matching full again.
	few []int64
}

// fragsOnly reports that every word is found through index_frags (see
// fragWord) and no filter applies, so that counting needs no other table.
func (p *plan) fragsOnly() bool {
	if len(p.words) == 0 || p.hasFrom || p.hasTo || p.source != "" || p.group != "" {
		return false
	}
	for _, w := range p.words {
		if !fragWord(w) {
			return false
		}
	}
	return true
}

// bare reports that the only condition is the merchant: no filter and no
// short word.
func (p *plan) bare() bool {
	return len(p.where) == 1
}

func (p *plan) cond(sql string, args ...any) {
	p.where = append(p.where, sql)
	p.args = append(p.args, args...)
}

// instrAny is the condition that one of the alternatives occurs in one of
// the key columns.
func instrAny(alts []string, cols ...string) (string, []any) {
	var parts []string
	var args []any
	for _, a := range alts {
		for _, c := range cols {
			parts = append(parts, "instr(c."+c+", ?) > 0")
			args = append(args, a)
		}
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// Search returns one page of the merchant's customers that match q's text
// and filters, in q's order. With text and SortRelevance, the best matches
// come first: customers with a name word equal to the search word, then
// with a name word starting with it, then with a fragment in any field but
// the note, then those matched only in their note (see ranked). A Query out
// of bounds is ErrInvalid; a merchant with nothing indexed has no rows.
func (x *Index) Search(ctx context.Context, merchantID string, q Query) (Result, error) {
	p, ok, err := x.plan(ctx, merchantID, &q)
	if err != nil {
		return Result{}, err
	}
	if !ok {
		return Result{Rows: []Hit{}}, nil
	}

	total, err := x.total(ctx, p, MaxCounted)
	if err != nil {
		return Result{}, err
	}
	p.matches = total
	var rows []Hit
	switch {
	case len(p.words) == 0 || q.Sort != SortRelevance:
		rows, err = x.sorted(ctx, p, q, len(p.words) > 0 && total > MaxCounted)
	case total <= x.rankAllUpTo:
		rows, err = x.rankedAll(ctx, p, q.Offset, q.Limit)
	default:
		rows, err = x.ranked(ctx, p, q.Offset, q.Limit)
	}
	if err != nil {
		return Result{}, err
	}
	// Without text, or with only words of index_frags, the total is exact
	// at any size (see total).
	capped := len(p.words) > 0 && !p.fragsOnly() && total > MaxCounted
	if capped {
		total = MaxCounted
	}
	for i := range rows {
		rows[i].Highlights = highlight(rows[i].Customer, p.words)
	}
	if rows == nil {
		rows = []Hit{}
	}
	return Result{Rows: rows, Total: total, Capped: capped}, nil
}

// plan validates q and turns it into SQL fragments; ok is false when the
// merchant has nothing indexed.
func (x *Index) plan(ctx context.Context, merchantID string, q *Query) (p *plan, ok bool, err error) {
	if err := validate(q); err != nil {
		return nil, false, err
	}
	slot, ok, err := slotOf(ctx, x.reader, merchantID)
	if err != nil {
		return nil, false, err
	}
	if !ok || merchantID == "" {
		return nil, false, nil
	}
	p = &plan{merchantID: merchantID, slot: slot, words: parseWords(q.Text)}
	p.lo, p.hi = slotRange(slot)
	// The merchant's id lets SQLite walk the sort indexes, which all lead
	// with it; full-text queries are bounded by the rowid range instead.
	p.cond("c.merchant_id = ?", merchantID)
	if !q.CreatedFrom.IsZero() {
		p.hasFrom, p.fromMS = true, q.CreatedFrom.UnixMilli()
		p.cond("c.created_at >= ?", p.fromMS)
	}
	if !q.CreatedTo.IsZero() {
		p.hasTo, p.toMS = true, q.CreatedTo.UnixMilli()
		p.cond("c.created_at < ?", p.toMS)
	}
	if q.Source != "" {
		p.source = q.Source
		p.cond("c.creation_source = ?", q.Source)
	}
	if q.GroupID != "" {
		// EXISTS probes the membership of each row a sort index yields; an
		// IN list would read every member and sort them.
		p.group = q.GroupID
		p.onlyGroup = q.CreatedFrom.IsZero() && q.CreatedTo.IsZero() && q.Source == ""
		p.cond("EXISTS (SELECT 1 FROM index_groups g WHERE g.slot = ? AND g.group_id = ? AND g.row = c.rowid)", slot, q.GroupID)
	}
	short := false
	var full, tops []string
	for _, w := range p.words {
		if w.long {
			expr, exact, err := x.wordExpr(ctx, p, w)
			if err != nil {
				return nil, false, err
			}
			full = append(full, expr)
			tops = append(tops, expr)
			if !exact {
				// The rare trigrams found rows that may not hold the
				// word: every query confirms it on the row's keys.
				p.inexact = true
				sql, args := instrAny(w.alts, "names_key", "other_key", "note_key")
				p.cond(sql, args...)
			}
			continue
		}
		if fragWord(w) {
			// Its fragment's rows are read; the test below stays, for
			// the rows another word drives the query to.
			if p.frag == "" {
				p.frag = w.folded
			}
		} else if !short {
			// A short word is found by reading the merchant's rows, in
			// rowid order, the cheapest way through them.
			short = true
			p.cond("c.rowid BETWEEN ? AND ?", p.lo, p.hi)
		}
		sql, args := instrAny(w.alts, "names_key", "other_key", "note_key")
		p.cond(sql, args...)
	}
	p.longs = len(full)
	if len(full) > 0 {
		p.full = strings.Join(full, " AND ")
		p.top = strings.Join(tops, " OR ")
	}
	return p, true, nil
}

func validate(q *Query) error {
	switch {
	case q.Limit < 0 || q.Limit > MaxLimit:
		return fmt.Errorf("%w: page size %d is not between 1 and %d", ErrInvalid, q.Limit, MaxLimit)
	case q.Offset < 0:
		return fmt.Errorf("%w: offset %d is negative", ErrInvalid, q.Offset)
	case len(q.Text) > maxTextBytes:
		return fmt.Errorf("%w: search text longer than %d bytes", ErrInvalid, maxTextBytes)
	case len(splitWords(q.Text)) > maxWords:
		return fmt.Errorf("%w: search text of more than %d words", ErrInvalid, maxWords)
	case !utf8.ValidString(q.Text):
		return fmt.Errorf("%w: search text is not UTF-8", ErrInvalid)
	}
	if _, ok := sortColumns[q.Sort]; !ok && q.Sort != SortRelevance {
		return fmt.Errorf("%w: unknown sort %q", ErrInvalid, q.Sort)
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	return nil
}

// customerCols are the columns scanCustomer reads, from index_customers c.
const customerCols = `c.rowid, c.merchant_id, c.id, c.version, c.created_at, c.updated_at,
	c.given_name, c.family_name, c.nickname, c.company, c.email, c.phone, c.reference_id, c.note,
	c.creation_source, c.group_ids`

type scanner interface {
	Scan(dest ...any) error
}

func scanCustomer(s scanner) (Customer, int64, error) {
	var c Customer
	var row, created, updated int64
	var groups string
	err := s.Scan(&row, &c.MerchantID, &c.ID, &c.Version, &created, &updated,
		&c.GivenName, &c.FamilyName, &c.Nickname, &c.CompanyName, &c.EmailAddress, &c.PhoneNumber, &c.ReferenceID, &c.Note,
		&c.CreationSource, &groups)
	if err != nil {
		return Customer{}, 0, err
	}
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	if groups != "" {
		c.GroupIDs = strings.Split(groups, groupSep)
	}
	return c, row, nil
}

// hitRow is a hit with its rowid, which the ranked search de-duplicates by.
type hitRow struct {
	hit Hit
	row int64
}

func (x *Index) query(ctx context.Context, sql string, args []any) ([]hitRow, error) {
	rs, err := x.reader.QueryContext(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	defer rs.Close()
	var out []hitRow
	for rs.Next() {
		c, row, err := scanCustomer(rs)
		if err != nil {
			return nil, fmt.Errorf("index: search: %w", err)
		}
		out = append(out, hitRow{hit: Hit{Customer: c}, row: row})
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	return out, nil
}

// from is the FROM clause and its leading arguments: the trigram index
// drives the query when an FTS5 expression is given, bounded to the
// merchant's rowids.
func (p *plan) from(expr string) (string, []any) {
	if expr == "" {
		return p.base()
	}
	if p.few != nil && expr == p.full {
		// CROSS JOIN keeps SQLite from walking an index of the merchant's
		// rows instead, which its merchant_id condition would offer.
		return " FROM json_each(?) k CROSS JOIN index_customers c ON c.rowid = k.value WHERE ", []any{rowList(p.few)}
	}
	return " FROM index_fts f CROSS JOIN index_customers c ON c.rowid = f.rowid WHERE index_fts MATCH ? AND f.rowid BETWEEN ? AND ? AND ",
		[]any{expr, p.lo, p.hi}
}

// base is the FROM clause, and its leading arguments, of a query no
// trigram drives: the rows of a short word's fragment (see fragWord) if
// there is one, else the merchant's rows.
func (p *plan) base() (string, []any) {
	if p.frag == "" {
		return " FROM index_customers c WHERE ", nil
	}
	return " FROM index_frags s CROSS JOIN index_customers c ON c.rowid = s.row WHERE s.slot = ? AND s.frag = ? AND ",
		[]any{p.slot, p.frag}
}

// sorted serves a page in a column's order: one query that walks the sort
// index, or, with text that few customers match (not broad), sorts the
// matches.
func (x *Index) sorted(ctx context.Context, p *plan, q Query, broad bool) ([]Hit, error) {
	sort := q.Sort
	if sort == SortRelevance {
		sort = SortName
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	from, args := p.from(p.full)
	where, whereArgs := p.where, p.args
	if broad && (p.full != "" || p.frag != "") {
		// Matches are dense: walking the sort index and testing each row's
		// keys finds a page sooner than sorting every match.
		from, args = " FROM index_customers c WHERE ", nil
		if p.full != "" {
			sql, a := p.allLongWordsIn("names_key", "other_key", "note_key")
			where = append(slices.Clone(where), sql)
			whereArgs = append(slices.Clone(whereArgs), a...)
		}
	}
	sql := "SELECT " + customerCols + from + strings.Join(where, " AND ") +
		" ORDER BY c." + sortColumns[sort] + dir + ", c.rowid" + dir + " LIMIT ? OFFSET ?"
	rows, err := x.query(ctx, sql, append(append(args, whereArgs...), q.Limit, q.Offset))
	if err != nil {
		return nil, err
	}
	hits := make([]Hit, len(rows))
	for i, r := range rows {
		hits[i] = r.hit
	}
	return hits, nil
}

// Total counts exactly the merchant's customers that match q, however
// many; q's sort and page are ignored. See Result.Capped.
func (x *Index) Total(ctx context.Context, merchantID string, q Query) (int, error) {
	p, ok, err := x.plan(ctx, merchantID, &q)
	if err != nil || !ok {
		return 0, err
	}
	return x.total(ctx, p, 0)
}

// total counts the matches, up to upTo+1 if upTo > 0 and there is text.
// Without text the kept counts are summed (the merchant's count, or
// index_counts under filters); without filters or short words the trigram
// index counts alone, bounded to the merchant's rowids, and with upTo > 0
// also keeps a few matches' rowids in p.few for the page's query (see
// countText); otherwise the rows are counted.
func (x *Index) total(ctx context.Context, p *plan, upTo int) (int, error) {
	var sql string
	var args []any
	switch {
	case p.full != "" && p.bare() && upTo > 0:
		return x.countText(ctx, p, upTo)
	case len(p.words) == 0 && p.bare():
		return x.Count(ctx, p.merchantID)
	case len(p.words) == 0:
		return x.filterTotal(ctx, p)
	case p.fragsOnly():
		// A fragment's rows are exactly the rows whose keys hold that word,
		// so the fragment index counts alone, however many match.
		sql = "SELECT 1 FROM index_frags s WHERE s.slot = ? AND s.frag = ?"
		args = []any{p.slot, p.words[0].folded}
		for _, w := range p.words[1:] {
			sql += " AND EXISTS (SELECT 1 FROM index_frags o WHERE o.slot = ? AND o.frag = ? AND o.row = s.row)"
			args = append(args, p.slot, w.folded)
		}
		upTo = 0
	case p.full != "" && p.bare():
		sql = "SELECT 1 FROM index_fts WHERE index_fts MATCH ? AND rowid BETWEEN ? AND ?"
		args = []any{p.full, p.lo, p.hi}
	case p.full == "" && p.frag == "" && p.group != "":
		// Read from the group's members, so that only they are looked up.
		sql = "SELECT 1 FROM index_groups g0 CROSS JOIN index_customers c ON c.rowid = g0.row WHERE g0.slot = ? AND g0.group_id = ? AND " + strings.Join(p.where, " AND ")
		args = append([]any{p.slot, p.group}, p.args...)
	default:
		from, fromArgs := p.from(p.full)
		sql = "SELECT 1" + from + strings.Join(p.where, " AND ")
		args = append(fromArgs, p.args...)
	}
	if upTo > 0 && len(p.words) > 0 {
		sql += " LIMIT ?"
		args = append(args, upTo+1)
	}
	var n int
	if err := x.reader.QueryRowContext(ctx, "SELECT count(*) FROM ("+sql+")", args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("index: search: count: %w", err)
	}
	return n, nil
}

// countText counts the matches of a text search with no filter or short
// word, up to upTo+1, and keeps their rowids in p.few when they are no more
// than rankAllUpTo. A word whose every trigram is common (555-0155, when
// every phone number holds 555-01) is matched as a phrase, which reads
// whole doclists however few rows hold it: counting, then ranking, would
// read them twice (2.6 ms each for 555-0155 at 100,000 customers). The
// first rankAllUpTo+1 rowids are therefore read, and only when there are
// more is the rest counted, in SQLite: a word in many rows reaches them
// early, so that read costs little beside the count.
func (x *Index) countText(ctx context.Context, p *plan, upTo int) (int, error) {
	const match = "FROM index_fts WHERE index_fts MATCH ? AND rowid BETWEEN ? AND ? LIMIT ?"
	keep := min(upTo, x.rankAllUpTo)
	rs, err := x.reader.QueryContext(ctx, "SELECT rowid "+match, p.full, p.lo, p.hi, keep+1)
	if err != nil {
		return 0, fmt.Errorf("index: search: count: %w", err)
	}
	defer rs.Close()
	few := []int64{}
	for rs.Next() {
		var row int64
		if err := rs.Scan(&row); err != nil {
			return 0, fmt.Errorf("index: search: count: %w", err)
		}
		few = append(few, row)
	}
	if err := rs.Err(); err != nil {
		return 0, fmt.Errorf("index: search: count: %w", err)
	}
	if len(few) <= keep {
		p.few = few
		return len(few), nil
	}
	var n int
	if err := x.reader.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 "+match+")", p.full, p.lo, p.hi, upTo+1).Scan(&n); err != nil {
		return 0, fmt.Errorf("index: search: count: %w", err)
	}
	return n, nil
}

// rowList is rowids as a JSON array, for json_each: one statement text
// whatever their number, so that it is prepared once.
func rowList(rows []int64) string {
	b := make([]byte, 0, 8*len(rows)+2)
	b = append(b, '[')
	for i, r := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, r, 10)
	}
	return string(append(b, ']'))
}

// rankedAll serves a page in order of relevance by ranking every match,
// which is cheaper than the tiers when the matches are few (a search of
// several words usually): it reads each match's folded names and other
// fields, and then only the page's rows. The order is exactly ranked's.
func (x *Index) rankedAll(ctx context.Context, p *plan, offset, limit int) ([]Hit, error) {
	from, args := p.from(p.full)
	rs, err := x.reader.QueryContext(ctx, "SELECT c.rowid, c.names_key, c.other_key"+from+strings.Join(p.where, " AND "), append(args, p.args...)...)
	if err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	defer rs.Close()
	type ranked struct {
		row  int64
		tier int
		key  string
	}
	pivot := p.pivot()
	var all []ranked
	for rs.Next() {
		var r ranked
		var names, other string
		if err := rs.Scan(&r.row, &names, &other); err != nil {
			return nil, fmt.Errorf("index: search: %w", err)
		}
		r.tier = 3
		for _, w := range nameWords(names) {
			switch {
			case w == pivot.folded:
				r.tier, r.key = 0, w
			case r.tier > 0 && strings.HasPrefix(w, pivot.folded) && (r.tier > 1 || w < r.key):
				r.tier, r.key = 1, w
			}
		}
		if r.tier == 3 && p.inTop(names, other) {
			r.tier = 2
		}
		all = append(all, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	slices.SortFunc(all, func(a, b ranked) int {
		if a.tier != b.tier {
			return a.tier - b.tier
		}
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.row, b.row)
	})
	if offset >= len(all) {
		return nil, nil
	}
	all = all[offset:min(len(all), offset+limit)]
	marks := make([]string, len(all))
	rowArgs := []any{p.merchantID}
	for i, r := range all {
		marks[i] = "?"
		rowArgs = append(rowArgs, r.row)
	}
	got, err := x.query(ctx, "SELECT "+customerCols+" FROM index_customers c WHERE c.merchant_id = ? AND c.rowid IN ("+strings.Join(marks, ",")+")", rowArgs)
	if err != nil {
		return nil, err
	}
	byRow := make(map[int64]Hit, len(got))
	for _, r := range got {
		byRow[r.row] = r.hit
	}
	hits := make([]Hit, 0, len(all))
	for _, r := range all {
		if h, ok := byRow[r.row]; ok {
			hits = append(hits, h)
		}
	}
	return hits, nil
}

// inTop reports whether a match belongs above the note-only tier: the same
// test as topTier's, on the row's folded keys.
func (p *plan) inTop(names, other string) bool {
	for _, w := range p.words {
		if p.full != "" && !w.long {
			continue
		}
		for _, a := range w.alts {
			if strings.Contains(names, a) || strings.Contains(other, a) {
				return true
			}
		}
	}
	return false
}

// pivot is the search word that ranks matches in names: the longest, which
// is also the most selective.
func (p *plan) pivot() word {
	pivot := p.words[0]
	for _, w := range p.words[1:] {
		if utf8.RuneCountInString(w.folded) > utf8.RuneCountInString(pivot.folded) {
			pivot = w
		}
	}
	return pivot
}

// ranked serves a page in order of relevance without ranking every match.
// The matches fall in three tiers, each read in an order an index already
// has, and a page is filled from the first tier on, stopping when full:
//
//  1. a word of the customer's names is the longest search word (whole-word
//     matches), then starts with it (prefix matches), in the names' order;
//  2. any other match with a search word in the names, company, email,
//     phone or reference id, in index order;
//  3. matches with the search words only in the note, in index order.
//
// Tiers 1 and 2 overlap (a prefix of a name is also a fragment of it), so
// tier 2 skips the rows tier 1 returned; tier 1 is read only as far as the
// page needs, so the rows skipped are never more than offset+limit. Tier 2
// reads index_fts_top, which has no notes, so a word in every note costs it
// nothing; tier 3 reads index_fts and skips the rows tier 2 has, row by row.
func (x *Index) ranked(ctx context.Context, p *plan, offset, limit int) ([]Hit, error) {
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
	from, where, args := p.topTier()
	if len(first) > 0 {
		marks := make([]string, len(first))
		for i, r := range first {
			marks[i] = "?"
			args = append(args, r.row)
		}
		where += " AND c.rowid NOT IN (" + strings.Join(marks, ",") + ")"
	}
	second, err := x.query(ctx, "SELECT "+customerCols+from+where+p.order()+" LIMIT ? OFFSET ?", append(slices.Clone(args), count, start))
	if err != nil {
		return nil, err
	}
	page = append(page, hitsOf(second)...)
	if len(second) == count {
		return page, nil
	}

	// Tier 2 is exhausted: its size is known if this page read any of it,
	// and must be counted otherwise.
	size := start + len(second)
	if len(second) == 0 && start > 0 {
		var n int
		if err := x.reader.QueryRowContext(ctx, "SELECT count(*)"+from+where, args...).Scan(&n); err != nil {
			return nil, fmt.Errorf("index: search: %w", err)
		}
		size = n
	}
	before := len(first) + size
	start = max(0, offset-before)
	count = need - max(offset, before)

	from, where, args = p.noteTier()
	third, err := x.query(ctx, "SELECT "+customerCols+from+where+p.order()+" LIMIT ? OFFSET ?", append(args, count, start))
	if err != nil {
		return nil, err
	}
	return append(page, hitsOf(third)...), nil
}

// topTier is the FROM and WHERE (with arguments) of the matches with some
// search word outside the note.
func (p *plan) topTier() (from, where string, args []any) {
	conds, args := slices.Clone(p.where), slices.Clone(p.args)
	if p.full == "" {
		sql, a := p.anyWordIn("names_key", "other_key")
		from, lead := p.base()
		return from, strings.Join(append(conds, sql), " AND "), append(append(lead, args...), a...)
	}
	// With several long words and few matches, their intersection in
	// index_fts is the fewest rows to read, each tested for a word outside
	// the note. Otherwise index_fts_top has the rows with a long word
	// outside the note, each tested for the other words.
	if p.longs > 1 && p.matches <= MaxCounted {
		sql, a := p.longWordIn("names_key", "other_key")
		return " FROM index_fts f CROSS JOIN index_customers c ON c.rowid = f.rowid WHERE index_fts MATCH ? AND f.rowid BETWEEN ? AND ? AND ",
			strings.Join(append(conds, sql), " AND "), append(append([]any{p.full, p.lo, p.hi}, args...), a...)
	}
	if p.longs > 1 {
		sql, a := p.allLongWordsIn("names_key", "other_key", "note_key")
		conds = append(conds, sql)
		args = append(args, a...)
	}
	if p.inexact {
		// top's trigrams outside the note do not prove a word is there.
		sql, a := p.longWordIn("names_key", "other_key")
		conds = append(conds, sql)
		args = append(args, a...)
	}
	return " FROM index_fts_top f CROSS JOIN index_customers c ON c.rowid = f.rowid WHERE index_fts_top MATCH ? AND f.rowid BETWEEN ? AND ? AND ",
		strings.Join(conds, " AND "), append([]any{p.top, p.lo, p.hi}, args...)
}

// noteTier is the FROM and WHERE (with arguments) of the matches with no
// search word outside the note.
func (p *plan) noteTier() (from, where string, args []any) {
	conds, args := slices.Clone(p.where), slices.Clone(p.args)
	if p.full == "" {
		sql, a := p.anyWordIn("names_key", "other_key")
		from, lead := p.base()
		return from, strings.Join(append(conds, "NOT "+sql), " AND "), append(append(lead, args...), a...)
	}
	// Each row read is checked on its own keys, which costs a string search
	// per row, where a NOT in the match expression would read every match
	// of the top tier and a lookup in index_fts_top costs a seek per token.
	sql, a := p.longWordIn("names_key", "other_key")
	conds = append(conds, "NOT "+sql)
	args = append(args, a...)
	return " FROM index_fts f CROSS JOIN index_customers c ON c.rowid = f.rowid WHERE index_fts MATCH ? AND f.rowid BETWEEN ? AND ? AND ",
		strings.Join(conds, " AND "), append([]any{p.full, p.lo, p.hi}, args...)
}

// order orders a tier by the driving table's rowid, which it already
// returns in order: ordering by c.rowid would make SQLite sort every match.
func (p *plan) order() string {
	if p.full == "" && p.frag != "" {
		return " ORDER BY s.row"
	}
	if p.full == "" {
		return " ORDER BY c.rowid"
	}
	return " ORDER BY f.rowid"
}

// longWordIn is the condition that some long search word occurs in the
// columns.
func (p *plan) longWordIn(cols ...string) (string, []any) {
	return p.wordsIn(true, " OR ", cols)
}

// allLongWordsIn is the condition that every long search word occurs in one
// of the columns.
func (p *plan) allLongWordsIn(cols ...string) (string, []any) {
	return p.wordsIn(true, " AND ", cols)
}

// anyWordIn is the condition that some search word occurs in the columns.
func (p *plan) anyWordIn(cols ...string) (string, []any) {
	return p.wordsIn(false, " OR ", cols)
}

// wordsIn joins with op the conditions that each search word (each long
// one, with longOnly) occurs in one of the columns.
func (p *plan) wordsIn(longOnly bool, op string, cols []string) (string, []any) {
	var parts []string
	var args []any
	for _, w := range p.words {
		if longOnly && !w.long {
			continue
		}
		sql, a := instrAny(w.alts, cols...)
		parts = append(parts, sql)
		args = append(args, a...)
	}
	return "(" + strings.Join(parts, op) + ")", args
}

func hitsOf(rs []hitRow) []Hit {
	hits := make([]Hit, len(rs))
	for i, r := range rs {
		hits[i] = r.hit
	}
	return hits
}

// nameMatches reads tier 1 up to need rows: customers with a name word equal
// to the pivot (the longest search word), then with one starting with it,
// that match every other word and the filters. It reads the name-word index
// in order, so it stops as soon as it has enough.
func (x *Index) nameMatches(ctx context.Context, p *plan, need int) ([]hitRow, error) {
	pivot := p.pivot()
	// Most words begin no name (a phone number, an email): one look at the
	// name-word index spares the queries below, whose rowid list costs a
	// read of every match even when no name word is there.
	var named bool
	if err := x.reader.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM index_name_words WHERE slot = ? AND word >= ? AND word < ?)",
		p.slot, pivot.folded, pivot.folded+emptyLast).Scan(&named); err != nil {
		return nil, fmt.Errorf("index: search: %w", err)
	}
	if !named {
		return nil, nil
	}
	where, args := slices.Clone(p.where), slices.Clone(p.args)
	if p.longs > 1 && p.matches <= MaxCounted {
		// Few customers match every word: the name-word index is walked
		// against their rowids, read once from the trigram index, so that
		// only the rows kept are read (a prefix like mar has thousands of
		// name words, of which a second word keeps a few).
		where = append([]string{"w.row IN (SELECT rowid FROM index_fts WHERE index_fts MATCH ? AND rowid BETWEEN ? AND ?)"}, where...)
		args = append([]any{p.full, p.lo, p.hi}, args...)
	}
	// Otherwise the long words other than the pivot are checked on the
	// row's keys: the trigram index would read every match.
	for _, w := range p.words {
		if w.long && w.folded != pivot.folded && (p.longs == 1 || p.matches > MaxCounted) {
			sql, a := instrAny(w.alts, "names_key", "other_key", "note_key")
			where = append(where, sql)
			args = append(args, a...)
		}
	}
	cond := strings.Join(where, " AND ")
	exact := "SELECT " + customerCols + " FROM index_name_words w CROSS JOIN index_customers c ON c.rowid = w.row WHERE w.slot = ? AND w.word = ? AND " +
		cond + " ORDER BY w.word, w.row LIMIT ?"
	prefix := "SELECT " + customerCols + " FROM index_name_words w CROSS JOIN index_customers c ON c.rowid = w.row WHERE w.slot = ? AND w.word > ? AND w.word < ? AND " +
		cond + " ORDER BY w.word, w.row LIMIT ?"

	var out []hitRow
	seen := map[int64]bool{}
	// A customer can have two name words that match (ReadDistinct).
	for _, step := range []struct {
		sql  string
		lead []any
	}{
		{exact, []any{p.slot, pivot.folded}},
		{prefix, []any{p.slot, pivot.folded, pivot.folded + emptyLast}},
	} {
		var err error
		out, err = ReadDistinct(out, seen, need, func(r hitRow) int64 { return r.row }, func(lim int) ([]hitRow, error) {
			return x.query(ctx, step.sql, append(append(slices.Clone(step.lead), args...), lim))
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

// highlight finds where each search word occurs in each field of c.
func highlight(c Customer, words []word) map[Field][]Span {
	if len(words) == 0 {
		return nil
	}
	fields := []struct {
		name  Field
		value string
	}{
		{FieldGivenName, c.GivenName}, {FieldFamilyName, c.FamilyName}, {FieldNickname, c.Nickname},
		{FieldCompanyName, c.CompanyName}, {FieldEmail, c.EmailAddress}, {FieldPhone, c.PhoneNumber},
		{FieldReferenceID, c.ReferenceID}, {FieldNote, c.Note},
	}
	out := map[Field][]Span{}
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		folded, offsets := foldMap(f.value)
		var spans []Span
		for _, w := range words {
			for _, a := range w.alts {
				spans = appendMatches(spans, f.value, folded, offsets, a)
			}
		}
		if f.name == FieldPhone {
			d, offsets := digitsMap(f.value)
			for _, w := range words {
				for _, a := range w.alts {
					if digits(a) == a {
						spans = appendMatches(spans, f.value, d, offsets, a)
					}
				}
			}
		}
		if len(spans) > 0 {
			out[f.name] = mergeSpans(spans)
		}
	}
	return out
}

// appendMatches appends every occurrence of needle in folded, the folded
// form of orig, as a span of orig, through offsets (see foldMap). A span
// ends after the last rune that matched and any combining marks after it,
// which folded away.
func appendMatches(spans []Span, orig, folded string, offsets []int, needle string) []Span {
	if needle == "" {
		return spans
	}
	for i := 0; ; {
		j := strings.Index(folded[i:], needle)
		if j < 0 {
			return spans
		}
		s, e := i+j, i+j+len(needle)
		last := offsets[e-1]
		_, size := utf8.DecodeRuneInString(orig[last:])
		end := last + size
		for end < len(orig) {
			r, size := utf8.DecodeRuneInString(orig[end:])
			if !unicode.Is(unicode.Mn, r) {
				break
			}
			end += size
		}
		spans = append(spans, Span{Start: offsets[s], End: end})
		i = s + 1
	}
}

func mergeSpans(spans []Span) []Span {
	slices.SortFunc(spans, func(a, b Span) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return a.End - b.End
	})
	out := spans[:1]
	for _, s := range spans[1:] {
		if last := &out[len(out)-1]; s.Start <= last.End {
			last.End = max(last.End, s.End)
			continue
		}
		out = append(out, s)
	}
	return out
}
