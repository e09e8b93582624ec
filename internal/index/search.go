package index

import (
	"context"
	"fmt"
	"slices"
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
	// Total is the exact number of the merchant's customers that match the
	// query's text and filters.
	Total int
}

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

func parseWords(text string) []word {
	var ws []word
	seen := map[string]bool{}
	for _, raw := range strings.Fields(text) {
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

func (w word) fts() string {
	parts := make([]string, len(w.alts))
	for i, a := range w.alts {
		parts[i] = ftsString(a)
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// plan is a search turned into SQL fragments over index_customers c (and,
// when fts is set, index_fts f joined on rowid).
type plan struct {
	merchantID string
	slot       int64
	lo, hi     int64
	words      []word
	// full is the FTS5 expression every match satisfies (the long words);
	// top is full restricted to matches in names and other fields, and
	// noteOnly its complement within full. Empty when no word is long.
	full, top, noteOnly string
	// where and args are the conditions on c: the merchant, the filters and
	// the short words.
	where []string
	args  []any
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

// Search returns one page of the merchant's customers matching q.
func (x *Index) Search(ctx context.Context, merchantID string, q Query) (Result, error) {
	if err := validate(&q); err != nil {
		return Result{}, err
	}
	slot, ok, err := slotOf(ctx, x.reader, merchantID)
	if err != nil {
		return Result{}, err
	}
	if !ok || merchantID == "" {
		return Result{Rows: []Hit{}}, nil
	}
	p := &plan{merchantID: merchantID, slot: slot, words: parseWords(q.Text)}
	p.lo, p.hi = slotRange(slot)
	p.cond("c.rowid BETWEEN ? AND ?", p.lo, p.hi)
	p.cond("c.merchant_id = ?", merchantID)
	if !q.CreatedFrom.IsZero() {
		p.cond("c.created_at >= ?", q.CreatedFrom.UnixMilli())
	}
	if !q.CreatedTo.IsZero() {
		p.cond("c.created_at < ?", q.CreatedTo.UnixMilli())
	}
	if q.Source != "" {
		p.cond("c.creation_source = ?", q.Source)
	}
	if q.GroupID != "" {
		p.cond("c.rowid IN (SELECT row FROM index_groups WHERE slot = ? AND group_id = ?)", slot, q.GroupID)
	}
	var full, tops []string
	for _, w := range p.words {
		if w.long {
			full = append(full, w.fts())
			tops = append(tops, w.fts())
			continue
		}
		sql, args := instrAny(w.alts, "names_key", "other_key", "note_key")
		p.cond(sql, args...)
	}
	if len(full) > 0 {
		p.full = strings.Join(full, " AND ")
		top := "{names_key other_key} : (" + strings.Join(tops, " OR ") + ")"
		p.top = "(" + p.full + ") AND " + top
		p.noteOnly = "(" + p.full + ") NOT " + top
	}

	var rows []Hit
	if len(p.words) > 0 && q.Sort == SortRelevance {
		rows, err = x.ranked(ctx, p, q.Offset, q.Limit)
	} else {
		rows, err = x.sorted(ctx, p, q)
	}
	if err != nil {
		return Result{}, err
	}
	total, err := x.total(ctx, p, q)
	if err != nil {
		return Result{}, err
	}
	for i := range rows {
		rows[i].Highlights = highlight(rows[i].Customer, p.words)
	}
	if rows == nil {
		rows = []Hit{}
	}
	return Result{Rows: rows, Total: total}, nil
}

func validate(q *Query) error {
	switch {
	case q.Limit < 0 || q.Limit > MaxLimit:
		return fmt.Errorf("%w: page size %d is not between 1 and %d", ErrInvalid, q.Limit, MaxLimit)
	case q.Offset < 0:
		return fmt.Errorf("%w: offset %d is negative", ErrInvalid, q.Offset)
	case len(q.Text) > maxTextBytes:
		return fmt.Errorf("%w: search text longer than %d bytes", ErrInvalid, maxTextBytes)
	case len(strings.Fields(q.Text)) > maxWords:
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
		return " FROM index_customers c WHERE ", nil
	}
	return " FROM index_fts f CROSS JOIN index_customers c ON c.rowid = f.rowid WHERE index_fts MATCH ? AND f.rowid BETWEEN ? AND ? AND ",
		[]any{expr, p.lo, p.hi}
}

// sorted serves a page in a column's order: one query that walks the sort
// index (or, with text, sorts the matches).
func (x *Index) sorted(ctx context.Context, p *plan, q Query) ([]Hit, error) {
	sort := q.Sort
	if sort == SortRelevance {
		sort = SortName
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	from, args := p.from(p.full)
	sql := "SELECT " + customerCols + from + strings.Join(p.where, " AND ") +
		" ORDER BY c." + sortColumns[sort] + dir + ", c.rowid" + dir + " LIMIT ? OFFSET ?"
	rows, err := x.query(ctx, sql, append(append(args, p.args...), q.Limit, q.Offset))
	if err != nil {
		return nil, err
	}
	hits := make([]Hit, len(rows))
	for i, r := range rows {
		hits[i] = r.hit
	}
	return hits, nil
}

// total counts the matches exactly. Without filters or short words the
// trigram index counts alone, bounded to the merchant's rowids.
func (x *Index) total(ctx context.Context, p *plan, q Query) (int, error) {
	var sql string
	var args []any
	switch {
	case len(p.words) == 0 && len(p.where) == 2:
		return x.Count(ctx, p.merchantID)
	case p.full != "" && len(p.where) == 2:
		sql = "SELECT count(*) FROM index_fts WHERE index_fts MATCH ? AND rowid BETWEEN ? AND ?"
		args = []any{p.full, p.lo, p.hi}
	default:
		from, fromArgs := p.from(p.full)
		sql = "SELECT count(*)" + from + strings.Join(p.where, " AND ")
		args = append(fromArgs, p.args...)
	}
	var n int
	if err := x.reader.QueryRowContext(ctx, sql, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("index: search: count: %w", err)
	}
	return n, nil
}

// ranked serves a page in order of relevance without ranking every match.
// The matches fall in three tiers, each read in an order an index already
// has, and a page is filled from the first tier on, stopping when full:
//
//  1. a word of the customer's names is the longest search word (whole-word
//     matches), then starts with it (prefix matches), in the names' order;
//  2. any other match with a search word in the names, company, email,
//     phone or reference id, in index order;
//  3. matches only in the note, in index order.
//
// Tiers 1 and 2 overlap (a prefix of a name is also a fragment of it), so
// tier 2 skips the rows tier 1 returned; tier 1 is read only as far as the
// page needs, so the rows skipped are never more than offset+limit.
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
	skip := make([]any, len(first))
	marks := make([]string, len(first))
	for i, r := range first {
		skip[i], marks[i] = r.row, "?"
	}
	topWhere, topArgs := p.where, p.args
	var fromExpr string
	if p.full != "" {
		fromExpr = p.top
	} else {
		sql, args := p.anyWordIn("names_key", "other_key")
		topWhere = append(slices.Clone(topWhere), sql)
		topArgs = append(slices.Clone(topArgs), args...)
	}
	if len(first) > 0 {
		topWhere = append(slices.Clone(topWhere), "c.rowid NOT IN ("+strings.Join(marks, ",")+")")
		topArgs = append(slices.Clone(topArgs), skip...)
	}
	from, args := p.from(fromExpr)
	sql := "SELECT " + customerCols + from + strings.Join(topWhere, " AND ") + " ORDER BY c.rowid LIMIT ? OFFSET ?"
	second, err := x.query(ctx, sql, append(append(args, topArgs...), count, start))
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
		csql := "SELECT count(*)" + from + strings.Join(topWhere, " AND ")
		if err := x.reader.QueryRowContext(ctx, csql, append(args, topArgs...)...).Scan(&n); err != nil {
			return nil, fmt.Errorf("index: search: %w", err)
		}
		size = n
	}
	before := len(first) + size
	start = max(0, offset-before)
	count = need - max(offset, before)

	// Tier 3: matches with no search word outside the note.
	noteWhere, noteArgs := p.where, p.args
	fromExpr = p.noteOnly
	if p.full == "" {
		sql, args := p.anyWordIn("names_key", "other_key")
		noteWhere = append(slices.Clone(noteWhere), "NOT "+sql)
		noteArgs = append(slices.Clone(noteArgs), args...)
	}
	from, args = p.from(fromExpr)
	sql = "SELECT " + customerCols + from + strings.Join(noteWhere, " AND ") + " ORDER BY c.rowid LIMIT ? OFFSET ?"
	third, err := x.query(ctx, sql, append(append(args, noteArgs...), count, start))
	if err != nil {
		return nil, err
	}
	return append(page, hitsOf(third)...), nil
}

// anyWordIn is the condition that some search word occurs in the columns.
func (p *plan) anyWordIn(cols ...string) (string, []any) {
	var parts []string
	var args []any
	for _, w := range p.words {
		sql, a := instrAny(w.alts, cols...)
		parts = append(parts, sql)
		args = append(args, a...)
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
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
	pivot := p.words[0]
	for _, w := range p.words[1:] {
		if utf8.RuneCountInString(w.folded) > utf8.RuneCountInString(pivot.folded) {
			pivot = w
		}
	}
	where, args := slices.Clone(p.where), slices.Clone(p.args)
	// The long words other than the pivot are checked on the row's keys:
	// tier 1 rows are few, and the trigram index would read every match.
	for _, w := range p.words {
		if w.long && w.folded != pivot.folded {
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
	// A customer can have two name words that match; the limit grows until
	// enough distinct customers are read or the tier runs out.
	for _, step := range []struct {
		sql  string
		lead []any
	}{
		{exact, []any{p.slot, pivot.folded}},
		{prefix, []any{p.slot, pivot.folded, pivot.folded + emptyLast}},
	} {
		for lim := need - len(out) + 1; ; lim *= 2 {
			rows, err := x.query(ctx, step.sql, append(append(slices.Clone(step.lead), args...), lim))
			if err != nil {
				return nil, err
			}
			kept := out
			for _, r := range rows {
				if !seen[r.row] {
					seen[r.row] = true
					kept = append(kept, r)
				}
			}
			if len(kept) >= need || len(rows) < lim {
				out = kept
				break
			}
			for _, r := range kept[len(out):] {
				delete(seen, r.row)
			}
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
