package customercsv

import (
	"encoding/csv"
	"io"
	"strings"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/square"
)

// BOM is the UTF-8 byte order mark. Excel on Windows reads a CSV file
// without it in the computer's legacy code page (Müller becomes MÃ¼ller);
// with it, as UTF-8. Other tools read either.
const BOM = "\xef\xbb\xbf"

// formulaStarts are the first characters that make a spreadsheet read a
// cell as a formula, or that some spreadsheets strip before doing so
// (OWASP, "CSV Injection").
const formulaStarts = "=+-@\t\r"

// SafeCell makes a cell that a spreadsheet would read as a formula plain
// text, by putting an apostrophe before it, as OWASP advises against CSV
// injection: "=HYPERLINK(…)" is written "'=HYPERLINK(…)". A value that
// already starts with apostrophes before such a character gets one more,
// so that PlainCell can tell it from an escaped one. Every cell of every
// file Tessera writes goes through it.
func SafeCell(s string) string {
	if formulaLike(strings.TrimLeft(s, "'")) {
		return "'" + s
	}
	return s
}

// PlainCell is the inverse of SafeCell, for reading Tessera's own files
// back: it drops one leading apostrophe only when what follows it (past
// any further apostrophes) starts with a character SafeCell guards
// against, so "'=1+1" reads "=1+1" and "'+44 20 7946 0958" reads
// "+44 20 7946 0958", while "'tis" and "'" stay as they are.
// PlainCell(SafeCell(s)) == s for every s.
func PlainCell(s string) string {
	if strings.HasPrefix(s, "'") && formulaLike(strings.TrimLeft(s, "'")) {
		return s[1:]
	}
	return s
}

// formulaLike reports a cell that starts with one of formulaStarts.
func formulaLike(s string) bool {
	return s != "" && strings.IndexByte(formulaStarts, s[0]) >= 0
}

// Options are the choices of an export.
type Options struct {
	// BOM starts the file with the UTF-8 byte order mark, for Excel.
	BOM bool
}

// Writer writes customers as CSV in the shape of Columns: RFC 4180 (CRLF
// line ends, also for a line break inside a quoted cell; a cell holding a
// comma, a quote or a line break quoted, its quotes doubled), UTF-8, every
// cell through SafeCell. It writes as it is
// given rows, keeping none, so a file of any size costs the same memory.
type Writer struct {
	csv    *csv.Writer
	out    io.Writer
	bom    bool
	begun  bool
	fields []*customers.Field // per column; nil for TargetSquareID
	row    []string
}

// NewWriter returns a Writer to w. Nothing is written until the first
// WriteHeader or Write.
func NewWriter(w io.Writer, opts Options) *Writer {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	x := &Writer{csv: cw, out: w, bom: opts.BOM, fields: make([]*customers.Field, len(Columns)), row: make([]string, len(Columns))}
	for i, c := range Columns {
		if f, ok := customers.FieldByKey(c.Target); ok {
			x.fields[i] = &f
		}
	}
	return x
}

// WriteHeader writes the BOM, if asked for, and the header row. Write
// calls it first if it has not been called.
func (w *Writer) WriteHeader() error {
	if w.begun {
		return nil
	}
	w.begun = true
	if w.bom {
		if _, err := io.WriteString(w.out, BOM); err != nil {
			return err
		}
	}
	for i, c := range Columns {
		w.row[i] = SafeCell(c.Header)
	}
	return w.csv.Write(w.row)
}

// Write writes one customer. The values are read through the customer
// form's field table (internal/customers), so a cell holds what Square
// holds as the form would save it: the birthday as YYYY-MM-DD, or MM-DD
// when Square has no year; the country as its ISO code.
func (w *Writer) Write(cu *square.Customer) error {
	if err := w.WriteHeader(); err != nil {
		return err
	}
	for i, f := range w.fields {
		s := cu.ID
		if f != nil {
			s = value(f, cu)
		}
		w.row[i] = SafeCell(s)
	}
	return w.csv.Write(w.row)
}

// value is a field's value as the customer form would save it: what
// customers.FromSquare and Field.SquareValue give, without a map of every
// field for each of 100,000 rows. Only a birthday needs the form's round
// trip (Square's 0000-05-17 becomes 05-17).
func value(f *customers.Field, cu *square.Customer) string {
	v := f.Of(cu)
	if f.Kind == customers.Date {
		if v == "" {
			return ""
		}
		return f.SquareValue(customers.FromSquare(cu, []customers.Field{*f}))
	}
	return customers.Normalize(f.Key, v)
}

// Flush writes what is buffered to the underlying writer and reports any
// error of this or an earlier write.
func (w *Writer) Flush() error {
	w.csv.Flush()
	return w.csv.Error()
}
