package customercsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tessera-dashboard/tessera/internal/customers"
)

// seedWithCorpus seeds a fuzz target with every file of testdata/.
func seedWithCorpus(f *testing.F, add func([]byte)) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
}

// FuzzParse: Parse never panics; a table it returns keeps its invariants;
// an error is an *Error with a message. The same bytes, taken as cells and
// written by encoding/csv, read back as those cells.
func FuzzParse(f *testing.F) {
	seedWithCorpus(f, func(b []byte) { f.Add(b, uint8(3), uint8(0)) })
	f.Add([]byte("a\x1fb\x1f'=c\x1f\r\n\x1f\"q\"\x1f \x1f"), uint8(2), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, cols, delim uint8) {
		checkParsedTable(t, data)
		writtenFileReadsBack(t, data, int(cols%8)+2, delimiters[int(delim)%len(delimiters)])
	})
}

func checkParsedTable(t *testing.T, data []byte) {
	tab, err := Parse(data)
	if err != nil {
		if e, ok := errors.AsType[*Error](err); !ok || e.Msg == "" || e.Line < 0 {
			t.Fatalf("Parse error %#v is no *Error with a message", err)
		}
		return
	}
	if len(tab.Header) == 0 || len(tab.Records) == 0 || len(tab.Records) > MaxRows {
		t.Fatalf("%d columns, %d records", len(tab.Header), len(tab.Records))
	}
	if len(tab.Problems) != len(tab.Records) || len(tab.Lines) != len(tab.Records) {
		t.Fatalf("%d records, %d problems, %d lines", len(tab.Records), len(tab.Problems), len(tab.Lines))
	}
	for i, rec := range tab.Records {
		if len(rec) != len(tab.Header) {
			t.Fatalf("record %d has %d cells, the header %d", i, len(rec), len(tab.Header))
		}
		if i > 0 && tab.Lines[i] <= tab.Lines[i-1] || tab.Lines[i] < 2 {
			t.Fatalf("lines %v do not increase from 2", tab.Lines)
		}
		for _, c := range rec {
			if !utf8.ValidString(c) || strings.ContainsRune(c, '\ufeff') || len(c) > MaxCellBytes {
				t.Fatalf("cell %q", c)
			}
		}
	}
}

// writtenFileReadsBack writes data, split into cells at 0x1F, as a file
// with encoding/csv and checks that Parse reads the same cells: as a
// person would have typed them (the export's apostrophe undone), rows
// that are all blank left out.
func writtenFileReadsBack(t *testing.T, data []byte, cols int, delim byte) {
	clean := strings.NewReplacer("\x00", "", "\ufeff", "").Replace(strings.ToValidUTF8(string(data), ""))
	cells := strings.Split(clean, "\x1f")
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = rune(delim)
	header := make([]string, cols)
	for i := range header {
		header[i] = fmt.Sprintf("h%d", i)
	}
	_ = w.Write(header)
	var want [][]string
	for len(cells) > 0 {
		rec := make([]string, cols)
		n := copy(rec, cells)
		cells = cells[n:]
		_ = w.Write(rec)
		if !allEmpty(rec) {
			for i := range rec {
				rec[i] = PlainCell(rec[i])
			}
			want = append(want, rec)
		}
	}
	w.Flush()
	tab, err := Parse(b.Bytes())
	if len(want) == 0 {
		if err == nil {
			t.Fatalf("Parse(%q) found customers in blank rows", b.Bytes())
		}
		return
	}
	if err != nil {
		if e, ok := errors.AsType[*Error](err); ok && strings.Contains(e.Msg, "larger than") {
			return
		}
		t.Fatalf("Parse(%q) = %v", b.Bytes(), err)
	}
	if !slices.Equal(tab.Header, header) || tab.Delimiter != rune(delim) ||
		!slices.EqualFunc(tab.Records, want, slices.Equal[[]string]) {
		t.Fatalf("Parse(%q) = %q %q %q, want %q", b.Bytes(), tab.Delimiter, tab.Header, tab.Records, want)
	}
}

// FuzzMapRow: AutoMap, Problems, Row and Check never panic on any header,
// mapping or record; AutoMap gives each target to one column at most; Row
// reads only the form's inputs, and a birthday it reads is a date's parts.
func FuzzMapRow(f *testing.F) {
	seedWithCorpus(f, func(b []byte) {
		if tab, err := Parse(b); err == nil {
			f.Add(strings.Join(tab.Header, "\x1f"), strings.Join(tab.Records[0], "\x1f"), []byte{})
		}
	})
	f.Add("Birthday\x1fFirst Name", "13/05/1985\x1fAda", []byte{15, 2})
	f.Add("a\x1fb\x1fc", "17.05.\x1f+1 206 555 0100\x1fGermany", []byte{15, 7, 13})
	targets := Targets()
	inputs := customers.InputNames(customers.Fields(true))
	f.Fuzz(func(t *testing.T, header, record string, choices []byte) {
		h := strings.Split(header, "\x1f")
		rec := strings.Split(record, "\x1f")
		m := AutoMap(h)
		if len(m) != len(h) {
			t.Fatalf("AutoMap has %d columns, the header %d", len(m), len(h))
		}
		seen := map[string]bool{}
		for _, key := range m {
			if key != TargetIgnore && seen[key] {
				t.Fatalf("AutoMap(%q) = %q maps %q twice", h, m, key)
			}
			seen[key] = true
		}
		_ = m.Problems(h)
		_ = ColumnLabels(h)
		for i, c := range choices {
			if i < len(m) {
				m[i] = targets[int(c)%len(targets)].Key
			}
		}
		_ = m.Problems(h)
		r := m.Row(rec)
		for k := range r.Values {
			if !slices.Contains(inputs, k) {
				t.Fatalf("Row read %q, no input of the form", k)
			}
		}
		form, _ := r.Check(customers.Fields(true), time.Now())
		if mo := form.Values[customers.BirthdayMonth]; mo != "" && (len(mo) != 2 || mo < "01" || mo > "12") {
			t.Fatalf("birthday month %q", mo)
		}
		for _, c := range rec {
			if y, mo, d, msg := readBirthday(c, 2026); msg == "" && (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 0 || y > 9999) {
				t.Fatalf("readBirthday(%q) = %d-%d-%d", c, y, mo, d)
			}
		}
	})
}

// BenchmarkParse100k reads a file of 100,000 customers (about 10 MB).
func BenchmarkParse100k(b *testing.B) {
	data := hundredThousandRows()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRowCheck100k maps and checks 100,000 rows, as an import does
// before it starts.
func BenchmarkRowCheck100k(b *testing.B) {
	tab, err := Parse(hundredThousandRows())
	if err != nil {
		b.Fatal(err)
	}
	m := AutoMap(tab.Header)
	fs := customers.Fields(false)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		for _, rec := range tab.Records {
			if _, errs := m.Row(rec).Check(fs, now); len(errs) != 0 {
				b.Fatal(errs)
			}
		}
	}
}
