package customercsv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func corpusFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseOrFail(t testing.TB, data []byte) *Table {
	t.Helper()
	tab, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	return tab
}

// Each file of the corpus reads with its encoding and delimiter detected,
// every cell as the person wrote it, and each record's first line.
func TestTheCorpusReadsAsWritten(t *testing.T) {
	tests := []struct {
		file      string
		enc       Encoding
		delim     rune
		header    int
		records   [][]string // the first cells of each record
		lines     []int
		problemAt int // index of the one record with a problem, -1 for none
	}{
		{"excel-semicolon-1252.csv", Windows1252, ';', 11,
			[][]string{{"Jürgen", "Müller", "juergen.mueller@example.de"}, {"Zoë", "Ångström", "zoe@example.com"}}, []int{2, 3}, -1},
		{"excel-mac-roman.csv", MacRoman, ',', 5,
			[][]string{{"Françoise", "Müller", "francoise@example.fr", "Zürich", "“Café” crème"}, {"José", "Núñez"}}, []int{2, 3}, -1},
		{"google-sheets.csv", UTF8, ',', 7,
			[][]string{{"Ada", "Lovelace", "ada@example.com", "+44 20 7946 0000", "Engines, Ltd", "12/10/1985", `Prefers "Countess"`}, {"Grace"}, {"李", "小龙"}}, []int{2, 3, 4}, -1},
		{"google-contacts.csv", UTF8, ',', 32, [][]string{{"Ada", "", "Lovelace"}}, []int{2}, -1},
		{"outlook.csv", UTF8, ',', 25, [][]string{{"Grace", "", "Hopper"}}, []int{2}, -1},
		{"mailchimp.tsv", UTF8, '\t', 8, [][]string{{"ada@example.com", "Ada", "Lovelace", "1 Analytical Way"}}, []int{2}, -1},
		{"quoted-newlines.csv", UTF8, ',', 2,
			[][]string{{"Ada", "line one\nline two\n\nline four"}, {"Grace", `a "quoted" word`}}, []int{2, 7}, -1},
		{"mac-cr.csv", UTF8, ',', 2, [][]string{{"Ada", "Lovelace"}, {"Grace", "Hop\rper"}, {"Alan", "Turing"}}, []int{2, 3, 5}, -1},
		{"bom-middle.csv", UTF8BOM, ',', 3,
			[][]string{{"Ada", "Lovelace"}, {"First Name", "Last Name", "Email Address"}, {"Alan", "Turing"}}, []int{2, 3, 4}, 1},
		{"ragged.csv", UTF8, ',', 3,
			[][]string{{"Ada", "", ""}, {"Grace", "Hopper", "grace@example.com"}, {"Alan", "Turing", "alan@example.com"}}, []int{2, 3, 4}, 1},
		{"duplicate-headers.csv", UTF8, ',', 4, [][]string{{"ada@example.com", "Ada", "ada@work.example", "Augusta"}}, []int{2}, -1},
		{"formula-header.csv", UTF8, ',', 5, [][]string{{"Ada", "Lovelace"}}, []int{2}, -1},
		{"tessera-export.csv", UTF8BOM, ',', len(Columns),
			[][]string{{"R-1", "Ada", "O'Lovelace", "ada@example.com", "+1 206 555 0100", "", "", "", "", "", "", "", "0000-12-10", "=1+1 is two", "CUST1", "GB", ""}}, []int{2}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tab := parseOrFail(t, corpusFile(t, tt.file))
			if tab.Encoding != tt.enc || tab.Delimiter != tt.delim || len(tab.Header) != tt.header {
				t.Fatalf("encoding %q, delimiter %q, %d columns; want %q, %q, %d", tab.Encoding, tab.Delimiter, len(tab.Header), tt.enc, tt.delim, tt.header)
			}
			if len(tab.Records) != len(tt.records) || !slices.Equal(tab.Lines, tt.lines) {
				t.Fatalf("%d records at lines %v; want %d at %v: %q", len(tab.Records), tab.Lines, len(tt.records), tt.lines, tab.Records)
			}
			for i, want := range tt.records {
				if got := tab.Records[i][:len(want)]; !slices.Equal(got, want) {
					t.Errorf("record %d = %q, want %q…", i, got, want)
				}
				if len(tab.Records[i]) != len(tab.Header) {
					t.Errorf("record %d has %d cells, header %d", i, len(tab.Records[i]), len(tab.Header))
				}
				if (tab.Problems[i] != "") != (i == tt.problemAt) {
					t.Errorf("record %d problem = %q", i, tab.Problems[i])
				}
			}
		})
	}
}

// A file that is not UTF-8 is Windows-1252, even when a pair of its
// characters happens to be valid UTF-8.
func TestInvalidUTF8IsWindows1252(t *testing.T) {
	tab := parseOrFail(t, []byte("First Name,Last Name\nJ\xfcrgen,M\xfcller\n\xc3\xa9mile,\x80\n"))
	if tab.Encoding != Windows1252 || !slices.Equal(tab.Records[0], []string{"Jürgen", "Müller"}) || !slices.Equal(tab.Records[1], []string{"Ã©mile", "€"}) {
		t.Errorf("Parse = %q %q", tab.Encoding, tab.Records)
	}
}

// Excel's Windows-1252 file keeps its special characters, a semicolon
// inside a quoted cell, and drops its trailing row of empty cells.
func TestExcelsSemicolonFileInWindows1252(t *testing.T) {
	tab := parseOrFail(t, corpusFile(t, "excel-semicolon-1252.csv"))
	if tab.Header[5] != "Straße" || tab.Records[0][10] != "Kunde seit 2010; mag Brötchen" || tab.Records[1][10] != "Preis 5 €" {
		t.Errorf("header %q, records %q", tab.Header, tab.Records)
	}
}

func TestTheMessages(t *testing.T) {
	cell := func(n int) string { return strings.Repeat("x", n) }
	var many bytes.Buffer
	many.WriteString("First Name,Email Address\n")
	for i := range MaxRows + 1 {
		fmt.Fprintf(&many, "Ada %d,ada%d@example.com\n", i, i)
	}
	tests := []struct {
		name string
		data []byte
		line int
		msg  string
	}{
		{"empty", corpusFile(t, "empty.csv"), 0, "The file is empty."},
		{"whitespace only", corpusFile(t, "whitespace.csv"), 0, "The file is empty."},
		{"separators only", []byte(",,,\r\n , ,\r\n"), 0, "The file is empty."},
		{"header only", corpusFile(t, "header-only.csv"), 0, "The file has a header row but no customers."},
		{"header and empty rows", []byte("First Name,Last Name\n,\n , \n"), 0, "The file has a header row but no customers."},
		{"xlsx", corpusFile(t, "not-csv.xlsx"), 0, msgBinary},
		{"old xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"), 0, msgBinary},
		{"NUL bytes", []byte("First Name\nAda\x00\x00\n"), 0, msgBinary},
		{"UTF-16", corpusFile(t, "utf16.csv"), 0, msgUTF16},
		{"invalid UTF-8 after a BOM", corpusFile(t, "bom-invalid-utf8.csv"), 3,
			"This line is not valid UTF-8, though the file starts with UTF-8's byte order mark. Save the file as \"CSV UTF-8\" and upload it again."},
		{"UTF-8 with a stray Windows-1252 byte", []byte("First Name\nMüller\nJürgen\nZoë\nM\xfcller\n"), 5,
			"This line is not valid UTF-8, though the rest of the file is. Correct its special characters (or save the file again as \"CSV UTF-8\") and upload it again."},
		{"too large", make([]byte, MaxFileBytes+1), 0, "The file is larger than 16 MB. Split it into smaller files."},
		{"10 MB single cell", []byte("First Name,Note\nAda," + cell(10<<20) + "\n"), 2,
			"A cell is larger than 64 KB. No customer field holds that much: check that this is the right file, and that every quote mark that opens a cell also closes it."},
		{"10 MB quoted cell", []byte("First Name,Note\nAda,\"" + cell(10<<20) + "\"\n"), 2,
			"A cell is larger than 64 KB. No customer field holds that much: check that this is the right file, and that every quote mark that opens a cell also closes it."},
		{"unclosed quote", []byte("First Name,Note\nAda,ok\nGrace,\"never closed\nAlan,x\n"), 3,
			"A quote mark (\") opens a cell on this line and nothing closes it. Close the cell with a quote mark, and double any quote mark inside it (\"\")."},
		{"text after a closing quote", []byte("First Name,Note\n\"Ada\"x,ok\n"), 2,
			"A cell in quote marks has more text after its closing quote mark. Put the whole cell in quote marks, and double any quote mark inside it (\"\")."},
		{"100,001 rows", many.Bytes(), 0, "The file has more than 100,000 customers; Tessera imports at most 100,000 at a time. Split it into smaller files."},
		{"too many columns", []byte(strings.Repeat("a,", MaxColumns) + "a\n1\n"), 1,
			"The header row has 501 columns; Tessera reads at most 500. Is the right delimiter used? This file reads as comma-separated."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.data)
			e, ok := errors.AsType[*Error](err)
			if !ok || e.Msg != tt.msg || e.Line != tt.line {
				t.Errorf("Parse = %#v, want line %d %q", err, tt.line, tt.msg)
			}
		})
	}
}

// 100,000 customers is within the limit.
func TestAHundredThousandRowsRead(t *testing.T) {
	tab := parseOrFail(t, hundredThousandRows())
	if len(tab.Records) != MaxRows || tab.Lines[MaxRows-1] != MaxRows+1 {
		t.Errorf("%d records, last at line %d", len(tab.Records), tab.Lines[len(tab.Lines)-1])
	}
}

func hundredThousandRows() []byte {
	var b bytes.Buffer
	b.WriteString("First Name,Last Name,Email Address,Phone Number,Birthday,Memo\r\n")
	for i := range MaxRows {
		fmt.Fprintf(&b, "Ada %d,Lovelace,ada%d@example.com,+44 20 7946 %04d,1985-12-10,\"Likes, \"\"engines\"\"\"\r\n", i, i, i%10000)
	}
	return b.Bytes()
}

func TestRowProblemsSayWhy(t *testing.T) {
	tab := parseOrFail(t, corpusFile(t, "ragged.csv"))
	if want := "This row has 5 cells, but the header row names 3 columns: a cell may hold a comma without quote marks around it."; tab.Problems[1] != want {
		t.Errorf("problem = %q, want %q", tab.Problems[1], want)
	}
	tab = parseOrFail(t, corpusFile(t, "bom-middle.csv"))
	if want := "This row repeats the header row (were two files joined into one?), so it holds no customer."; tab.Problems[1] != want {
		t.Errorf("problem = %q, want %q", tab.Problems[1], want)
	}
	for _, rec := range tab.Records {
		for _, c := range rec {
			if strings.ContainsRune(c, '\ufeff') {
				t.Errorf("cell %q keeps a byte order mark", c)
			}
		}
	}
}

// A header of formulas is text: nothing is evaluated or refused, and a
// neutralised one reads as it was.
func TestAHeaderOfFormulasIsText(t *testing.T) {
	tab := parseOrFail(t, corpusFile(t, "formula-header.csv"))
	want := []string{"=SUM(A1:A2)", "+cmd", "@x", "-1", `=HYPERLINK("x")`}
	if !slices.Equal(tab.Header, want) {
		t.Errorf("header = %q, want %q", tab.Header, want)
	}
}

func TestPlainCellUndoesOnlyTheExportsApostrophe(t *testing.T) {
	for in, want := range map[string]string{
		"'+1 206 555 0100": "+1 206 555 0100", "'=x": "=x", "'-5": "-5", "'@home": "@home",
		"'\tx": "\tx", "'\rx": "\rx", "O'Brien": "O'Brien", "'tis": "'tis", "'": "'", "''=x": "'=x", "'''+1": "''+1", "''": "''", "": "",
	} {
		if got := PlainCell(in); got != want {
			t.Errorf("PlainCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// A quote mark inside a cell that does not start with one is text, and
// spaces after a closing quote mark are not.
func TestLenientWhereTheMeaningIsClear(t *testing.T) {
	tab := parseOrFail(t, []byte("First Name,Nickname\nBob \"The Builder\" Smith,\"Bob\"  \n"))
	if got := tab.Records[0]; !slices.Equal(got, []string{`Bob "The Builder" Smith`, "Bob"}) {
		t.Errorf("record = %q", got)
	}
}

// The delimiter is the one consistent across lines: commas inside the
// cells of a semicolon file do not fool it, nor semicolons in quoted cells
// of a comma file.
func TestTheDelimiterIsTheConsistentOne(t *testing.T) {
	tests := []struct {
		data string
		want rune
	}{
		{"Name;Note\nAda;Hello, world\nGrace;a, b, c\n", ';'},
		{"Name,Note\nAda,\"a;b;c;d\"\nGrace,\"x;y\"\n", ','},
		{"Name\tNote\nAda\tx, y; z\n", '\t'},
		{"Email\nada@example.com\n", ','},
		{"\"First; Name\",Last\nAda,Lovelace\n", ','},
	}
	for _, tt := range tests {
		if tab := parseOrFail(t, []byte(tt.data)); tab.Delimiter != tt.want {
			t.Errorf("Parse(%q).Delimiter = %q, want %q", tt.data, tab.Delimiter, tt.want)
		}
	}
}

// Excel's "sep=;" first line names the delimiter and is no header.
func TestExcelsSepLine(t *testing.T) {
	tab := parseOrFail(t, []byte("sep=;\r\nFirst Name;Note\r\nAda;a, b, c\r\n"))
	if tab.Delimiter != ';' || tab.Header[0] != "First Name" || tab.Lines[0] != 3 || tab.Records[0][1] != "a, b, c" {
		t.Errorf("Parse = %q %q %v %q", tab.Delimiter, tab.Header, tab.Lines, tab.Records)
	}
}

// Excel for Mac's plain CSV is Mac Roman; Windows-1252 with its
// apostrophes and quotes stays Windows-1252.
func TestMacRomanIsToldFromWindows1252(t *testing.T) {
	tab := parseOrFail(t, []byte("First Name;Last Name;Note\rFran\x8Doise;M\x9Fller;Caf\x8E cr\x8Fme\rZo\x91;Ols\x8En;\xd2yes\xd3\r"))
	if tab.Encoding != MacRoman || !slices.Equal(tab.Records[0], []string{"Françoise", "Müller", "Café crème"}) || !slices.Equal(tab.Records[1], []string{"Zoë", "Olsén", "“yes”"}) {
		t.Errorf("Parse = %q %q", tab.Encoding, tab.Records)
	}
	tab = parseOrFail(t, []byte("First Name,Note\nFran\xe7oise,don\x92t \x93panic\x94\nM\xfcller,s\x9cur\n"))
	if tab.Encoding != Windows1252 || !slices.Equal(tab.Records[0], []string{"Françoise", "don’t “panic”"}) || tab.Records[1][1] != "sœur" {
		t.Errorf("Parse = %q %q", tab.Encoding, tab.Records)
	}
}
