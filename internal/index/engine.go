package index

// What another engine's index (internal/index/pgindex, on PostgreSQL)
// shares with this one, so that both fold, parse, rank and highlight a
// search alike: the folding is done here, in Go, and each engine stores
// and matches the folded text.

import "slices"

// MaxTextBytes and MaxWords bound a Query's Text (see Query).
const (
	MaxTextBytes = maxTextBytes
	MaxWords     = maxWords
)

// Keys are the folded texts a customer is searched and sorted by.
type Keys struct {
	// Names holds the given name, family name and nickname; Other the
	// company, email, phone as typed and as digits, and reference id; Note
	// the note. Fields are separated by a newline, which no search word
	// holds.
	Names, Other, Note string
	// The sort keys of the directory's columns; an empty value sorts last.
	SortName, SortCompany, SortEmail, SortPhone string
	// NameWords are the words of the names that whole-word and prefix
	// matches rank first.
	NameWords []string
	// Fragments are the pieces of one or two characters of the keys that
	// hold a character outside ASCII: a search word of one or two
	// characters with one outside ASCII (Word.Frag) is in the keys exactly
	// when it is among them.
	Fragments []string
}

// KeysOf returns the folded keys of c.
func KeysOf(c Customer) Keys {
	k := keysOf(c)
	return Keys{
		Names: k.names, Other: k.other, Note: k.note,
		SortName: k.sortName, SortCompany: k.sortCompany, SortEmail: k.sortEmail, SortPhone: k.sortPhone,
		NameWords: k.nameWords, Fragments: fragments(k.names, k.other, k.note),
	}
}

// Word is one word of a search, folded, with the forms it is searched as
// (itself and, for something typed like a phone number, its digits).
type Word struct {
	Folded string
	Alts   []string
	// Long reports that every form is at least three characters, which a
	// trigram index can find.
	Long bool
	// Frag reports a word of one or two characters with one outside ASCII,
	// whose matches the SQLite index counts exactly however many (see
	// Result.Capped).
	Frag bool
}

// Prepare checks q as Search does (ErrInvalid when out of bounds), fills in
// its default page size, and returns its search words.
func Prepare(q *Query) ([]Word, error) {
	if err := validate(q); err != nil {
		return nil, err
	}
	ws := parseWords(q.Text)
	out := make([]Word, len(ws))
	for i, w := range ws {
		out[i] = Word{Folded: w.folded, Alts: w.alts, Long: w.long, Frag: fragWord(w)}
	}
	return out, nil
}

func wordsOf(ws []Word) []word {
	out := make([]word, len(ws))
	for i, w := range ws {
		out[i] = word{folded: w.Folded, alts: w.Alts, long: w.Long}
	}
	return out
}

// Pivot is the search word that ranks matches in names: the longest, the
// first of equals.
func Pivot(ws []Word) Word {
	p := (&plan{words: wordsOf(ws)}).pivot()
	for _, w := range ws {
		if w.Folded == p.folded {
			return w
		}
	}
	return Word{}
}

// Highlight finds where each search word occurs in each field of c, as
// Search reports it in Hit.Highlights.
func Highlight(c Customer, ws []Word) map[Field][]Span {
	return highlight(c, wordsOf(ws))
}

// Fold returns s lower-cased with accents removed, as the index folds every
// key and search word.
func Fold(s string) string { return fold(s) }

// Digits returns the ASCII digits of s, as a phone number is matched.
func Digits(s string) string { return digits(s) }

// ReadDistinct reads the first need rows of a tier whose query may return
// one row more than once (a customer with two name words that match),
// after the rows of out: read(lim) returns the tier's first lim rows in
// order, and the limit doubles until need distinct rows (by key, and not
// in seen) are kept or the tier runs out. It returns out with the rows it
// kept, which may be more than need (the caller keeps the first need), and
// records their keys in seen.
func ReadDistinct[R any, K comparable](out []R, seen map[K]bool, need int, key func(R) K, read func(lim int) ([]R, error)) ([]R, error) {
	for lim := need - len(out) + 1; ; lim *= 2 {
		rows, err := read(lim)
		if err != nil {
			return out, err
		}
		kept := out
		for _, r := range rows {
			if k := key(r); !seen[k] {
				seen[k] = true
				kept = append(kept, r)
			}
		}
		if len(kept) >= need || len(rows) < lim {
			return kept, nil
		}
		for _, r := range kept[len(out):] {
			delete(seen, key(r))
		}
	}
}

// DistinctGroups returns the groups a customer counts in: each non-empty
// id of ids once, in order, however often ids names it. Both engines keep
// their counts per group by it.
func DistinctGroups(ids []string) []string {
	var out []string
	for _, g := range ids {
		if g != "" && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}
