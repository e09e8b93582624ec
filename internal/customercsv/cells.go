package customercsv

// plainCell undoes the export's protection against formula injection:
// Tessera's export (like OWASP's advice) puts an apostrophe before a cell
// that starts with =, +, -, @, tab or carriage return, so that a
// spreadsheet shows it as text instead of running it. Reading such a cell
// back gives the value as it was ('+1 206 555 0100 is +1 206 555 0100). An
// apostrophe before anything else is the cell's own text (O'Brien, 'tis).
//
// The export has a function for the other direction in write.go; the two
// may become one file when both are merged.
func plainCell(s string) string {
	if len(s) >= 2 && s[0] == '\'' {
		switch s[1] {
		case '=', '+', '-', '@', '\t', '\r':
			return s[1:]
		}
	}
	return s
}
