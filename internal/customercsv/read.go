package customercsv

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Limits of a file to import; the upload page states them.
const (
	// MaxFileBytes is the largest file Tessera reads.
	MaxFileBytes = 16 << 20
	// MaxRows is the most customers one file may hold.
	MaxRows = 100_000
)

// Encoding is the character encoding a file was read in.
type Encoding string

// The encodings Tessera reads.
const (
	UTF8        Encoding = "UTF-8"
	UTF8BOM     Encoding = "UTF-8 with BOM"
	Windows1252 Encoding = "Windows-1252"
	// MacRoman is what Excel for Mac writes for plain "CSV", not "CSV
	// UTF-8"; Tessera tells it from Windows-1252 by where the accented
	// letters fall (see looksMacRoman).
	MacRoman Encoding = "Mac Roman"
)

// Table is a file read: its header and its records, as text.
type Table struct {
	// Header are the names in the file's first row that is not blank.
	Header []string
	// Records are the rows after the header that are not blank, each as
	// long as Header, their cells as the person wrote them: the apostrophe
	// of Tessera's export undone (see PlainCell), nothing trimmed.
	Records [][]string
	// Problems say, for each record, why it cannot be imported as read
	// ("" when it can): more cells than the header names, for instance.
	Problems []string
	// Lines are the line numbers in the file (the first line is 1) where
	// each record starts, counting the lines inside quoted cells, for
	// messages and the report.
	Lines []int
	// Encoding and Delimiter are what the file was found to use.
	Encoding  Encoding
	Delimiter rune
}

// Error is a file Tessera cannot read, with a message for the person who
// uploaded it.
type Error struct {
	// Line is where the problem is, 0 for the file as a whole.
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// MaxColumns is the most columns a file may have: more than any contact
// export (Outlook's has about 90), few enough for the mapping form.
const MaxColumns = 500

// Parse reads a whole file: its encoding and delimiter detected (see
// decode and detectDelimiter), then RFC 4180 records, line endings CR LF,
// LF or CR. Rows whose cells are all blank are skipped (spreadsheets write
// them for formatted but empty rows); the header is the first other row.
// A record with fewer cells than the header is padded with empty ones; one
// with more non-blank cells gets a Problems entry, so one bad row does not
// refuse the file. A cell that Tessera's export neutralised against formula
// injection ('=x) is read as it was before (=x): see PlainCell.
//
// The text of the cells shares one copy of the file. The error, when there
// is one, is an *Error whose message is for the person who uploaded it.
func Parse(data []byte) (*Table, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Msg: msgEmpty}
	}
	if len(data) > MaxFileBytes {
		return nil, &Error{Msg: fmt.Sprintf("The file is larger than %d MB. Split it into smaller files.", MaxFileBytes>>20)}
	}
	text, enc, err := decode(data)
	if err != nil {
		return nil, err
	}
	t := &Table{Encoding: enc}
	r := scanner{s: text, line: 1}
	if d, rest, ok := excelSep(text); ok {
		r.delim, r.s, r.line = d, rest, 2
	} else {
		r.delim = detectDelimiter(text)
	}
	t.Delimiter = rune(r.delim)
	// Records are cut from slabs of cells, and the lists sized by the
	// lines, so that a large file costs a few allocations, not several a
	// row.
	lines := min(countLinesString(text)+1, MaxRows+1)
	var scratch, slab []string
	for {
		cells, line, err := r.next(scratch)
		if err != nil {
			return nil, err
		}
		if cells == nil {
			break
		}
		scratch = cells
		if allEmpty(cells) {
			continue
		}
		for i, c := range cells {
			cells[i] = PlainCell(c)
		}
		if t.Header == nil {
			if len(cells) > MaxColumns {
				return nil, &Error{Line: line, Msg: fmt.Sprintf("The header row has %d columns; Tessera reads at most %d. Is the right delimiter used? This file reads as %s-separated.", len(cells), MaxColumns, DelimiterName(t.Delimiter))}
			}
			t.Header = slices.Clone(cells)
			t.Records = make([][]string, 0, lines)
			t.Problems = make([]string, 0, lines)
			t.Lines = make([]int, 0, lines)
			continue
		}
		if len(t.Records) == MaxRows {
			return nil, &Error{Msg: fmt.Sprintf("The file has more than %s customers; Tessera imports at most %s at a time. Split it into smaller files.", thousands(MaxRows), thousands(MaxRows))}
		}
		n := len(t.Header)
		if len(slab) < n {
			slab = make([]string, n*min(lines, 4096))
		}
		rec := slab[:n:n]
		slab = slab[n:]
		copy(rec, cells) // Shorter records keep empty cells at the end.
		t.Records = append(t.Records, rec)
		t.Problems = append(t.Problems, t.problem(cells))
		t.Lines = append(t.Lines, line)
	}
	if t.Header == nil {
		return nil, &Error{Msg: msgEmpty}
	}
	if len(t.Records) == 0 {
		return nil, &Error{Msg: "The file has a header row but no customers."}
	}
	return t, nil
}

// problem is why a record, as read, cannot be imported; "" when it can.
func (t *Table) problem(cells []string) string {
	if n := len(t.Header); len(cells) > n && !allEmpty(cells[n:]) {
		return fmt.Sprintf("This row has %d cells, but the header row names %d columns: a cell may hold a %s without quote marks around it.", len(cells), n, DelimiterName(t.Delimiter))
	}
	if len(cells) >= len(t.Header) && slices.EqualFunc(cells[:len(t.Header)], t.Header, func(a, b string) bool {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}) {
		return "This row repeats the header row (were two files joined into one?), so it holds no customer."
	}
	return ""
}

// thousands writes n with commas between thousands: 100,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
