package customercsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/tessera-dashboard/tessera/internal/customers"
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
)

// Table is a file read: its header and its records, as text.
type Table struct {
	// Header are the names in the file's first row.
	Header []string
	// Records are the rows after the header, each as long as Header.
	Records [][]string
	// Problems say, for each record, why it cannot be imported as read
	// ("" when it can): more cells than the header names, for instance.
	Problems []string
	// Lines are the line numbers (from 1, the header's) where each record
	// starts, for messages and the report.
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

// Parse reads a whole file. The error, when there is one, is an *Error.
func Parse(data []byte) (*Table, error) {
	if len(data) == 0 {
		return nil, &Error{Msg: "The file is empty."}
	}
	if len(data) > MaxFileBytes {
		return nil, &Error{Msg: fmt.Sprintf("The file is larger than %d MB.", MaxFileBytes>>20)}
	}
	t := &Table{Encoding: UTF8, Delimiter: ','}
	if rest, ok := bytes.CutPrefix(data, []byte("\xef\xbb\xbf")); ok {
		data, t.Encoding = rest, UTF8BOM
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = t.Delimiter
	r.FieldsPerRecord = -1
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			if pe, ok := errors.AsType[*csv.ParseError](err); ok {
				line = pe.StartLine
			}
			return nil, &Error{Line: line, Msg: "This line is not valid CSV."}
		}
		line, _ := r.FieldPos(0)
		if t.Header == nil {
			t.Header = rec
			continue
		}
		if len(t.Records) == MaxRows {
			return nil, &Error{Msg: fmt.Sprintf("The file has more than %d customers; split it in parts.", MaxRows)}
		}
		problem := ""
		if len(rec) > len(t.Header) {
			problem = fmt.Sprintf("This row has %d cells; the header names %d.", len(rec), len(t.Header))
		}
		for len(rec) < len(t.Header) {
			rec = append(rec, "")
		}
		t.Records = append(t.Records, rec[:len(t.Header)])
		t.Problems = append(t.Problems, problem)
		t.Lines = append(t.Lines, line)
	}
	if t.Header == nil {
		return nil, &Error{Msg: "The file is empty."}
	}
	return t, nil
}

// Target is a choice in the mapping form: what a column holds.
type Target struct {
	Key   string
	Label string
}

// Targets are the choices of the mapping form, TargetIgnore first.
func Targets() []Target {
	ts := []Target{{TargetIgnore, "Do not import"}, {TargetSquareID, "Square customer ID"}}
	for _, f := range customers.Fields(true) {
		ts = append(ts, Target{f.Key, f.Label})
	}
	return ts
}

// Mapping is what each column of a file holds: a target key per column of
// the header, TargetIgnore for a column left out.
type Mapping []string

// AutoMap maps the columns whose names it knows: Square's own, and common
// variants ("first_name", "E-mail"). A target is taken by the first column
// that names it.
func AutoMap(header []string) Mapping {
	m := make(Mapping, len(header))
	taken := map[string]bool{}
	for i, h := range header {
		key := normalHeader(h)
		for _, c := range Columns {
			if normalHeader(c.Header) == key && !taken[c.Target] {
				m[i], taken[c.Target] = c.Target, true
				break
			}
		}
	}
	return m
}

func normalHeader(h string) string {
	return strings.ToLower(strings.TrimSpace(h))
}

// Row is one record as the mapping reads it.
type Row struct {
	// SquareID is the record's Square customer id, "" when it has none.
	SquareID string
	// Values are the record's values by input of the customer form; the
	// birthday is split into its three inputs as the form has them.
	Values customers.Values
}

// Row reads a record through the mapping.
func (m Mapping) Row(record []string) Row {
	r := Row{Values: customers.Values{}}
	for i, key := range m {
		if i >= len(record) || key == TargetIgnore {
			continue
		}
		v := strings.TrimSpace(record[i])
		switch key {
		case TargetSquareID:
			r.SquareID = v
		case customers.Birthday:
			r.Values[customers.BirthdayMonth], r.Values[customers.BirthdayDay], r.Values[customers.BirthdayYear] = customers.SplitBirthday(v)
		default:
			r.Values[key] = v
		}
	}
	return r
}

// Form is the row as the customer form would post it, to be checked with
// the form's own rules (Form.Validate) and sent with its requests.
func (r Row) Form(fs []customers.Field) customers.Form {
	posted := url.Values{}
	for k, v := range r.Values {
		posted.Set(k, v)
	}
	return customers.ReadForm(posted, fs, false)
}

// Check returns the row's form and the form's messages by input; no
// messages means Square would take it.
func (r Row) Check(fs []customers.Field, now time.Time) (customers.Form, map[string]string) {
	f := r.Form(fs)
	return f, f.Validate(now)
}
