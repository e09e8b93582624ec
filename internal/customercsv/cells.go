package customercsv

import "strings"

// plainCell undoes the export's protection against formula injection.
// Tessera's export (as OWASP advises) puts an apostrophe before a cell
// that starts with =, +, -, @, tab or carriage return, and one more before
// a cell that already starts with apostrophes before such a character, so
// that a spreadsheet shows it as text instead of running it. Reading drops
// one leading apostrophe only when what follows it, past any further
// apostrophes, starts with one of those characters: '+1 206 555 0100 reads
// +1 206 555 0100, two apostrophes before =x read as one, and O'Brien,
// 'tis and a lone apostrophe stay as they are.
//
// It is the same rule as the export's PlainCell (write.go, written at the
// same time on another branch); the two are meant to become one at merge.
// Parse applies it to every cell, so callers must not apply it again.
func plainCell(s string) string {
	if rest := strings.TrimLeft(s, "'"); len(rest) < len(s) && rest != "" && strings.IndexByte("=+-@\t\r", rest[0]) >= 0 {
		return s[1:]
	}
	return s
}
