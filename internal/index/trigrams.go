package index

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// FTS5 matches a quoted word as a phrase of all its trigrams: it reads every
// trigram's doclist, positions included. When the word's first trigrams are
// in every customer (ref- of a reference id, 555 of a phone number) that
// reads the whole merchant, 5 to 30 ms at 100,000 customers, however few
// customers hold the word. A word whose rarest trigrams few rows hold
// together is therefore matched by those alone, without positions, and the
// rows found are confirmed to hold the whole word on their folded keys
// (instr). How many rows hold a trigram, and the chosen few together, is
// counted in the merchant's rows up to countCap and remembered for a while;
// the counts only choose how a word is matched, so a stale one costs time,
// never a wrong answer.

const (
	// rareRows is the most rows a word's rarest trigrams may find together
	// and still drive its search: each row found is read and confirmed, a
	// few microseconds each, where the phrase would cost more.
	rareRows = 256
	// countCap bounds each count: a trigram in more rows than that is
	// common, and counting further would cost its whole doclist.
	countCap = 1024
	// pickedTrigrams is how many of the rarest trigrams a word is matched
	// by: a second and a third narrow the rows to confirm to a handful, and
	// more would cost their doclists for little.
	pickedTrigrams = 3
	// countedTrigrams bounds the trigrams counted for one form of a word
	// (a long word's are sampled along it), so that a first search of a
	// long text costs a bounded number of counts.
	countedTrigrams = 12
	// trigramCountTTL is how long a count is trusted; maxTrigramCounts
	// bounds the memory the counts take (about 100 bytes each).
	trigramCountTTL  = 10 * time.Minute
	maxTrigramCounts = 50_000
)

// trigramCounts remembers, per merchant slot and FTS5 expression (a quoted
// trigram, or a few joined by AND), how many of the merchant's rows match
// it, up to countCap+1. It is shared by copies of the Index.
type trigramCounts struct {
	mu sync.Mutex
	m  map[trigramKey]trigramCount
}

type trigramKey struct {
	slot int64
	expr string
}

type trigramCount struct {
	n  int
	at time.Time
}

// trigramsOf lists the distinct trigrams of s, in order, sampled evenly
// along s when there are more than countedTrigrams.
func trigramsOf(s string) []string {
	rs := []rune(s)
	var all []string
	for i := 0; i+3 <= len(rs); i++ {
		if t := string(rs[i : i+3]); !slices.Contains(all, t) {
			all = append(all, t)
		}
	}
	if len(all) <= countedTrigrams {
		return all
	}
	out := make([]string, countedTrigrams)
	for i := range out {
		out[i] = all[i*(len(all)-1)/(countedTrigrams-1)]
	}
	return out
}

// ftsCounts returns how many of the slot's rows match each FTS5 expression,
// up to countCap+1, counting those it does not remember in one statement.
func (x *Index) ftsCounts(ctx context.Context, p *plan, exprs []string) (map[string]int, error) {
	now := time.Now()
	out := make(map[string]int, len(exprs))
	var missing []string
	c := x.trigrams
	c.mu.Lock()
	for _, t := range exprs {
		if got, ok := c.m[trigramKey{p.slot, t}]; ok && now.Sub(got.at) < trigramCountTTL {
			out[t] = got.n
		} else {
			missing = append(missing, t)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	parts := make([]string, len(missing))
	args := make([]any, 0, 4*len(missing))
	ns := make([]any, len(missing))
	for i, t := range missing {
		parts[i] = "(SELECT count(*) FROM (SELECT 1 FROM index_fts WHERE index_fts MATCH ? AND rowid BETWEEN ? AND ? LIMIT ?))"
		args = append(args, t, p.lo, p.hi, countCap+1)
		ns[i] = new(int)
	}
	if err := x.reader.QueryRowContext(ctx, "SELECT "+strings.Join(parts, ", "), args...).Scan(ns...); err != nil {
		return nil, fmt.Errorf("index: search: trigram counts: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m)+len(missing) > maxTrigramCounts {
		c.m = make(map[trigramKey]trigramCount)
	}
	for i, t := range missing {
		n := *ns[i].(*int)
		out[t] = n
		c.m[trigramKey{p.slot, t}] = trigramCount{n: n, at: now}
	}
	return out, nil
}

// wordExpr is the FTS5 expression a long word is found by: each form quoted
// whole (exact), or, when every form's rarest trigrams find few rows
// together, those trigrams, in which case exact is false and the rows found
// must be confirmed. One quoted form would bring its rows to confirm
// anyway (360 of (360)), so a word is matched one way or the other.
func (x *Index) wordExpr(ctx context.Context, p *plan, w word) (expr string, exact bool, err error) {
	rare := make([]string, len(w.alts))
	for i, a := range w.alts {
		if utf8.RuneCountInString(a) < 4 {
			// One or two trigrams: the phrase costs no more.
			return w.quoted(), true, nil
		}
		if rare[i], err = x.rareTrigrams(ctx, p, a); err != nil {
			return "", false, err
		}
		if rare[i] == "" {
			return w.quoted(), true, nil
		}
	}
	return "(" + strings.Join(rare, " OR ") + ")", false, nil
}

// rareTrigrams is the expression of s's rarest trigrams, joined by AND, when
// they match at most rareRows rows together; "" when they match more.
func (x *Index) rareTrigrams(ctx context.Context, p *plan, s string) (string, error) {
	tris := trigramsOf(s)
	for i, t := range tris {
		tris[i] = ftsString(t)
	}
	counts, err := x.ftsCounts(ctx, p, tris)
	if err != nil {
		return "", err
	}
	slices.SortStableFunc(tris, func(a, b string) int { return counts[a] - counts[b] })
	// A common trigram would only cost its doclist.
	n := 0
	for n < min(len(tris), pickedTrigrams) && counts[tris[n]] <= countCap {
		n++
	}
	if n == 0 {
		return "", nil
	}
	tris = tris[:n]
	expr := "(" + strings.Join(tris, " AND ") + ")"
	if counts[tris[0]] > rareRows {
		// Each is in more rows than rareRows: count what they find
		// together.
		together, err := x.ftsCounts(ctx, p, []string{expr})
		if err != nil {
			return "", err
		}
		if together[expr] > rareRows {
			return "", nil
		}
	}
	return expr, nil
}
