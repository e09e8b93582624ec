package index

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// special folds letters that carry no combining mark to strip but that people
// type as plain Latin letters all the same.
var special = map[rune]string{
	'ø': "o", 'Ø': "o", 'đ': "d", 'Đ': "d", 'ł': "l", 'Ł': "l", 'ħ': "h",
	'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ı': "i", 'þ': "th", 'Þ': "th",
}

// foldRune appends the folded form of r to b: decomposed, combining marks
// dropped, case folded. A mark on its own folds to nothing.
func foldRune(b []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(b, byte(r))
	}
	if s, ok := special[r]; ok {
		return append(b, s...)
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	decomposed := norm.NFD.Bytes(buf[:n])
	var kept []byte
	for i := 0; i < len(decomposed); {
		c, size := utf8.DecodeRune(decomposed[i:])
		if !unicode.Is(unicode.Mn, c) {
			kept = utf8.AppendRune(kept, c)
		}
		i += size
	}
	if len(kept) == 0 {
		return b
	}
	// Full case folding turns ß into ss and final ς into σ, so that a query
	// typed either way finds the other. A Caser keeps state, so each call
	// makes its own rather than share one between goroutines.
	return append(b, cases.Fold().Bytes(kept)...)
}

// fold is s lower-cased with accents removed, the form both the stored keys
// and the query terms take, so that "fernandez" matches "Fernández".
func fold(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = foldRune(b, r)
	}
	return string(b)
}

// foldMap folds s and reports, for each byte of the result, the offset in s
// of the rune it came from, plus a final entry len(s), so that a match found
// in the folded text maps back to a range of the original.
func foldMap(s string) (string, []int) {
	b := make([]byte, 0, len(s))
	offsets := make([]int, 0, len(s)+1)
	for i, r := range s {
		before := len(b)
		b = foldRune(b, r)
		for range len(b) - before {
			offsets = append(offsets, i)
		}
	}
	offsets = append(offsets, len(s))
	return string(b), offsets
}

// digits keeps only the ASCII digits of s: a phone number's formatting is
// ignored, so 5550155 finds +1 (360) 555-0155.
func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// digitsMap is digits with the offset in s of each digit kept, plus len(s).
func digitsMap(s string) (string, []int) {
	var b []byte
	var offsets []int
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			b = append(b, s[i])
			offsets = append(offsets, i)
		}
	}
	return string(b), append(offsets, len(s))
}

// phoneLike reports whether a query word could be (part of) a phone number as
// typed: digits with the usual punctuation. Its digits then also search the
// phone numbers.
func phoneLike(w string) bool {
	hasDigit := false
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case '0' <= c && c <= '9':
			hasDigit = true
		case strings.IndexByte("+-().", c) >= 0:
		default:
			return false
		}
	}
	return hasDigit
}

// nameWords splits a folded name into the words that whole-word and prefix
// matches rank first: split at spaces, and again at punctuation, so that
// "mary-jane" gives "mary-jane", "mary" and "jane".
func nameWords(folded string) []string {
	var words []string
	seen := map[string]bool{}
	add := func(w string) {
		if w != "" && !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	for _, w := range strings.Fields(folded) {
		add(w)
		for _, part := range strings.FieldsFunc(w, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
		}) {
			add(part)
		}
	}
	return words
}
