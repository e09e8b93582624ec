package customercsv

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Messages for files Tessera does not read at all.
const (
	msgEmpty  = "The file is empty."
	msgBinary = "This file is not a CSV file (it looks like a binary file, for example a spreadsheet saved as .xlsx). Save it as CSV and upload that."
	msgUTF16  = "This file is saved as UTF-16 (Excel calls it \"Unicode Text\"). Save it as \"CSV UTF-8\" and upload that."
)

var (
	readerBOM = []byte("\xef\xbb\xbf")
	// binaryMagic are the first bytes of files people upload by mistake:
	// .xlsx, .ods and .numbers (zip), .xls (OLE2) and PDF.
	binaryMagic = [][]byte{[]byte("PK\x03\x04"), []byte("\xd0\xcf\x11\xe0"), []byte("%PDF-")}
)

// decode turns a file's bytes into text: UTF-8 as it is, with or without
// a byte order mark, and any other file as Windows-1252, the encoding of
// Excel's "CSV" on Windows in western locales (every byte is a character
// in it, so it never fails), or as Mac Roman when its accented letters
// are where Excel for Mac puts them. A byte order mark anywhere else in the file,
// left by files joined together, is removed: U+FEFF is never meant as text
// in a cell. The error is an *Error for a file that is not text.
func decode(data []byte) (string, Encoding, error) {
	for _, magic := range binaryMagic {
		if bytes.HasPrefix(data, magic) {
			return "", "", &Error{Msg: msgBinary}
		}
	}
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		return "", "", &Error{Msg: msgUTF16}
	}
	// Text files never hold NUL; spreadsheets and UTF-16 without a byte
	// order mark are full of them.
	if bytes.IndexByte(data, 0) >= 0 {
		return "", "", &Error{Msg: msgBinary}
	}
	enc := UTF8
	if rest, ok := bytes.CutPrefix(data, readerBOM); ok {
		data, enc = rest, UTF8BOM
	}
	if !utf8.Valid(data) {
		if enc == UTF8BOM {
			// The mark says UTF-8: reading the file as anything else would
			// garble the names that are right, so the person is asked.
			return "", "", &Error{Line: lineOfInvalidUTF8(data), Msg: "This line is not valid UTF-8, though the file starts with UTF-8's byte order mark. Save the file as \"CSV UTF-8\" and upload it again."}
		}
		if line := mostlyUTF8(data); line > 0 {
			// Characters written in UTF-8 with a few bytes that are not:
			// reading it all as Windows-1252 would garble every name
			// that is right, so the person is asked to fix the line.
			return "", "", &Error{Line: line, Msg: "This line is not valid UTF-8, though the rest of the file is. Correct its special characters (or save the file again as \"CSV UTF-8\") and upload it again."}
		}
		if bytes.Contains(data, readerBOM) {
			data = bytes.ReplaceAll(data, readerBOM, nil)
		}
		cm, enc := charmap.Windows1252, Windows1252
		if looksMacRoman(data) {
			cm, enc = charmap.Macintosh, MacRoman
		}
		text, err := cm.NewDecoder().String(string(data))
		if err != nil {
			// Not reached: the decoder maps every byte.
			return "", "", &Error{Msg: "Tessera cannot read the characters of this file. Save it as \"CSV UTF-8\" and upload that."}
		}
		return text, enc, nil
	}
	text := string(data)
	if strings.Contains(text, "\ufeff") {
		text = strings.ReplaceAll(text, "\ufeff", "")
	}
	return text, enc, nil
}

// mostlyUTF8 returns, for a file that is not valid UTF-8 but holds more
// non-ASCII characters that are valid UTF-8 than bytes that are not, the
// line of the first invalid byte; 0 for a file to read as Windows-1252. In
// a Windows-1252 file, a letter followed by a symbol that happens to be
// UTF-8 (Ã© for é) is rare, whereas "Müller" is never valid UTF-8.
func mostlyUTF8(data []byte) int {
	valid, invalid := 0, 0
	for i := 0; i < len(data); {
		if data[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			invalid++
		} else {
			valid++
		}
		i += n
	}
	if valid <= invalid {
		return 0
	}
	return lineOfInvalidUTF8(data)
}

// looksMacRoman tells Excel for Mac's plain CSV from Windows-1252 by the
// bytes inside words (between two ASCII letters), where accented letters
// are: Mac Roman has its lower-case ones (ä é ö ü ñ ç …) at 0x80-0x9F,
// where Windows-1252 has punctuation and a few rare letters (Š œ ž), and
// Windows-1252 has them at 0xC0-0xFF, where Mac Roman has symbols and
// capitals. "Müller" is M 0x9F ller in one and M 0xFC ller in the other.
// 0x92 is left out: it is Windows-1252's apostrophe in "don’t".
func looksMacRoman(data []byte) bool {
	mac, win := 0, 0
	isLetter := func(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }
	for i := 1; i+1 < len(data); i++ {
		b := data[i]
		if b < 0x80 || b == 0x92 || !isLetter(data[i-1]) || !isLetter(data[i+1]) {
			continue
		}
		if b < 0xA0 {
			mac++
		} else if b >= 0xC0 {
			win++
		}
	}
	return mac > win
}

// lineOfInvalidUTF8 is the line, from 1, of the first byte that is not
// UTF-8.
func lineOfInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return countLines(data[:i]) + 1
		}
		i += n
	}
	return 0
}

// countLines counts line ends: CR LF, LF, or CR alone.
func countLines(b []byte) int {
	return bytes.Count(b, []byte("\n")) + bytes.Count(b, []byte("\r")) - bytes.Count(b, []byte("\r\n"))
}

// delimiters are the separators Tessera detects, most common first, which
// also settles ties.
var delimiters = []byte{',', ';', '\t'}

// sniffRecords is how many records delimiter detection reads.
const sniffRecords = 50

// detectDelimiter chooses the separator of text: for each candidate, the
// first records are read as CSV with it (so that separators inside quoted
// cells do not count), and the one that splits the header into the most
// columns wins among those that split most records into exactly as many.
// A file of one column reads as comma-separated.
func detectDelimiter(text string) byte {
	best, bestScore, bestCols := delimiters[0], -1, 1
	for _, d := range delimiters {
		r := scanner{s: text, delim: d, line: 1}
		var header []string
		agree := 0
		for n := 0; n < sniffRecords; {
			rec, _, err := r.next(nil)
			if err != nil || rec == nil {
				break
			}
			switch {
			case allEmpty(rec):
				continue
			case header == nil:
				header = rec
			case len(rec) == len(header) || len(rec) > len(header) && allEmpty(rec[len(header):]):
				agree++
			}
			n++
		}
		if len(header) < 2 {
			continue
		}
		if agree > bestScore || agree == bestScore && len(header) > bestCols {
			best, bestScore, bestCols = d, agree, len(header)
		}
	}
	return best
}

// excelSep reads Excel's "sep=;" first line, which names the delimiter
// of the rest of the file (Excel writes and honours it), and returns the
// delimiter and the text after that line.
func excelSep(text string) (byte, string, bool) {
	if len(text) < 5 || !strings.EqualFold(text[:4], "sep=") {
		return 0, "", false
	}
	d := text[4]
	if d != ',' && d != ';' && d != '\t' {
		return 0, "", false
	}
	rest := text[5:]
	switch {
	case strings.HasPrefix(rest, "\r\n"):
		rest = rest[2:]
	case rest == "" || rest[0] == '\n' || rest[0] == '\r':
		rest = rest[min(1, len(rest)):]
	default:
		return 0, "", false
	}
	return d, rest, true
}

// DelimiterName is a delimiter as the pages name it: "comma",
// "semicolon" or "tab".
func DelimiterName(d rune) string {
	switch d {
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	}
	return fmt.Sprintf("%q", d)
}
