package index

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Words of one or two characters cannot go through the trigram index, and
// reading every row of a merchant to find them takes tens of milliseconds at
// 100,000 customers. In Latin scripts such a word is a first letter or two,
// which most customers match, so the read stops early (the count stops at
// MaxCounted); in Chinese, Japanese and Korean it is a whole name, which few
// match, so the read went through every row. index_frags therefore keeps,
// for every customer, each fragment of one or two characters of its folded
// fields that holds a character outside ASCII, and a short word with such a
// character is looked up there instead. Fragments of plain ASCII are not
// kept: they are many per customer and each matches many customers.

// fragBreak reports a character that no search word holds (see splitWords):
// no fragment spans one. The migration 0006 tests the same characters.
func fragBreak(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r)
}

// fragments lists, once each, the fragments of one or two characters of
// the folded keys that hold a character outside ASCII.
func fragments(keys ...string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, k := range keys {
		for _, tok := range strings.FieldsFunc(k, fragBreak) {
			rs := []rune(tok)
			for i, r := range rs {
				if r >= utf8.RuneSelf {
					add(string(r))
				}
				if i+1 < len(rs) && (r >= utf8.RuneSelf || rs[i+1] >= utf8.RuneSelf) {
					add(string(rs[i : i+2]))
				}
			}
		}
	}
	return out
}

// fragWord reports whether a search word is looked up in index_frags: it is
// one or two characters, with one outside ASCII. Such a word is never typed
// like a phone number, so it has no other form to search.
func fragWord(w word) bool {
	if len(w.alts) != 1 || utf8.RuneCountInString(w.folded) > 2 {
		return false
	}
	for _, r := range w.folded {
		if r >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// addFragments stores a customer's fragments, in one statement.
func addFragments(ctx context.Context, tx *sql.Tx, slot, row int64, k keys) error {
	fs := fragments(k.names, k.other, k.note)
	for len(fs) > 0 {
		n := min(len(fs), 300)
		args := make([]any, 0, 3*n)
		for _, f := range fs[:n] {
			args = append(args, slot, f, row)
		}
		fs = fs[n:]
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO index_frags (slot, frag, row) VALUES "+
			strings.Repeat(",(?, ?, ?)", n)[1:], args...); err != nil {
			return fmt.Errorf("index: put: fragments: %w", err)
		}
	}
	return nil
}
