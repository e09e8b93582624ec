package customercsv

import (
	"fmt"
	"strings"
)

// MaxCellBytes is the largest cell Tessera reads. Square's longest
// customer field (the note) is far shorter; a larger cell is almost always
// a quote mark that opened a cell and never closed, which would swallow the
// rest of the file.
const MaxCellBytes = 64 << 10

// scanner reads RFC 4180 records from decoded text. It differs from
// encoding/csv where files people make differ from the RFC: a line may end
// in CR LF, LF or CR alone (old Macintosh files); a quote mark inside a
// cell that does not start with one is text (Bob "Bobby" Smith); spaces
// after a closing quote mark are ignored; and a cell's text is a substring
// of the file's wherever it can be, so the file is not copied cell by cell.
type scanner struct {
	s     string
	pos   int
	delim byte
	// line is the line the scanner is at, from 1.
	line int
	// stops end an unquoted cell: the delimiter and the line ends.
	stops string
}

// cellTooLarge is the error for a cell over MaxCellBytes in the record
// that starts on line.
func cellTooLarge(line int) error {
	return &Error{Line: line, Msg: fmt.Sprintf("A cell is larger than %d KB. No customer field holds that much: check that this is the right file, and that every quote mark that opens a cell also closes it.", MaxCellBytes>>10)}
}

// next reads the next record into dst[:0] and returns it with the line it
// starts on; a nil record at the end of the text. The error is an *Error.
func (r *scanner) next(dst []string) ([]string, int, error) {
	if r.pos >= len(r.s) {
		return nil, 0, nil
	}
	start := r.line
	rec := dst[:0]
	if r.stops == "" {
		r.stops = string([]byte{r.delim, '\r', '\n'})
	}
	for {
		var cell string
		if r.pos < len(r.s) && r.s[r.pos] == '"' {
			var err error
			if cell, err = r.quoted(start); err != nil {
				return nil, 0, err
			}
		} else {
			end := strings.IndexAny(r.s[r.pos:], r.stops)
			if end < 0 {
				end = len(r.s) - r.pos
			}
			cell = r.s[r.pos : r.pos+end]
			r.pos += end
		}
		if len(cell) > MaxCellBytes {
			return nil, 0, cellTooLarge(start)
		}
		rec = append(rec, cell)
		if r.pos >= len(r.s) {
			return rec, start, nil
		}
		switch r.s[r.pos] {
		case r.delim:
			r.pos++
		case '\r':
			r.pos++
			if r.pos < len(r.s) && r.s[r.pos] == '\n' {
				r.pos++
			}
			r.line++
			return rec, start, nil
		case '\n':
			r.pos++
			r.line++
			return rec, start, nil
		}
	}
}

// quoted reads a cell that starts with a quote mark, leaving the scanner
// after its closing quote mark and any spaces that follow.
func (r *scanner) quoted(start int) (string, error) {
	r.pos++ // the opening quote mark
	var b strings.Builder
	from := r.pos
	for {
		i := strings.IndexByte(r.s[r.pos:], '"')
		if i < 0 {
			return "", &Error{Line: start, Msg: "A quote mark (\") opens a cell on this line and nothing closes it. Close the cell with a quote mark, and double any quote mark inside it (\"\")."}
		}
		chunk := r.s[r.pos : r.pos+i]
		r.line += countLinesString(chunk)
		if r.pos+i-from+b.Len() > MaxCellBytes {
			return "", cellTooLarge(start)
		}
		r.pos += i + 1
		if r.pos < len(r.s) && r.s[r.pos] == '"' {
			// A doubled quote mark is one quote mark of the text.
			b.WriteString(r.s[from:r.pos])
			r.pos++
			from = r.pos
			continue
		}
		var cell string
		if b.Len() == 0 {
			cell = r.s[from : r.pos-1]
		} else {
			b.WriteString(r.s[from : r.pos-1])
			cell = b.String()
		}
		for r.pos < len(r.s) && (r.s[r.pos] == ' ' || r.s[r.pos] == '\t' && r.delim != '\t') {
			r.pos++
		}
		if r.pos < len(r.s) {
			if c := r.s[r.pos]; c != r.delim && c != '\r' && c != '\n' {
				return "", &Error{Line: r.line, Msg: "A cell in quote marks has more text after its closing quote mark. Put the whole cell in quote marks, and double any quote mark inside it (\"\")."}
			}
		}
		return cell, nil
	}
}

func countLinesString(s string) int {
	return strings.Count(s, "\n") + strings.Count(s, "\r") - strings.Count(s, "\r\n")
}

// allEmpty reports whether every cell is empty or blank.
func allEmpty(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
