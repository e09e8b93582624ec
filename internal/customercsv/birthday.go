package customercsv

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// readBirthday reads a birthday cell in the formats Square's importer
// takes and spreadsheets write, and returns its year (0 for none), month
// and day, or a message saying why it cannot. The day is not checked
// against the month: the form's own rules do that (Form.Validate).
//
// Read are, with - / or . between the numbers:
//   - year first: YYYY-MM-DD (Square's own, 0000 for no year), YYYY-M-D,
//     YYYY/M/D, YYYY.M.D, and YY-M-D or YY/M/D when YY cannot be a month
//     or a day (85-5-17);
//   - month first, as Square reads them: M/D/YYYY, M-D-YYYY, M/D/YY,
//     M-D-YY, and without a year MM-DD (Square's own), M/D and --MM-DD
//     (Google Contacts, vCard);
//   - day first with dots, as German, Polish or Russian Excel writes
//     them: D.M.YYYY, D.M.YY, D.M.;
//   - with an English month name: 17 May 1985, May 17, 1985, 17-May-85
//     (Excel's d-mmm-yy), 17 May;
//   - any of these followed by a time (1985-05-17 00:00:00), which is
//     dropped.
//
// A two-digit year is the latest year ending in it that is not after
// thisYear (85 is 1985, 10 is 2010). 05/06/07 is read month first, as
// Square reads it. A month-first date whose month is over 12 gets a message
// that says dates with / are read month first: a file that writes the day
// first has others read the wrong way round, so the person should know.
func readBirthday(s string, thisYear int) (year, month, day int, msg string) {
	orig := s
	s = dropTime(strings.TrimSpace(s))
	unreadable := func() (int, int, int, string) {
		return 0, 0, 0, fmt.Sprintf("Tessera cannot read the birthday %q. Write it as YYYY-MM-DD, like 1985-05-17, or as MM-DD without the year, like 05-17.", orig)
	}
	if strings.IndexFunc(s, unicode.IsLetter) >= 0 {
		y, m, d, ok := readNamedMonth(s, thisYear)
		if !ok {
			return unreadable()
		}
		return y, m, d, ""
	}
	s = strings.TrimPrefix(s, "--")
	sep := rune(0)
	for _, r := range s {
		if r < '0' || r > '9' {
			sep = r
			break
		}
	}
	if sep != '-' && sep != '/' && sep != '.' {
		return unreadable()
	}
	parts := strings.Split(s, string(sep))
	if sep == '.' && len(parts) == 3 && parts[2] == "" {
		parts = parts[:2] // 17.05. is the 17th of May
	}
	n := make([]int, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || len(p) == 0 || len(p) > 4 || p[0] == '+' || p[0] == '-' {
			return unreadable()
		}
		n[i] = v
	}
	short := func(idx ...int) bool { // the parts are 1 or 2 digits long
		for _, i := range idx {
			if len(parts[i]) > 2 {
				return false
			}
		}
		return true
	}
	monthFirst := false
	switch {
	case len(parts) == 2 && short(0, 1) && sep == '.':
		day, month = n[0], n[1]
	case len(parts) == 2 && short(0, 1):
		month, day, monthFirst = n[0], n[1], true
	case len(parts) == 3 && len(parts[0]) == 4 && short(1, 2):
		year, month, day = n[0], n[1], n[2]
	case len(parts) == 3 && len(parts[2]) == 4 && short(0, 1) && sep == '.':
		day, month, year = n[0], n[1], n[2]
	case len(parts) == 3 && len(parts[2]) == 4 && short(0, 1):
		month, day, year, monthFirst = n[0], n[1], n[2], true
	case len(parts) == 3 && short(0, 1, 2) && len(parts[2]) == 2 && sep == '.':
		day, month, year = n[0], n[1], fullYear(n[2], thisYear)
	case len(parts) == 3 && short(0, 1, 2) && len(parts[0]) == 2 && n[0] > 31:
		year, month, day = fullYear(n[0], thisYear), n[1], n[2]
	case len(parts) == 3 && short(0, 1, 2) && len(parts[2]) == 2:
		month, day, year, monthFirst = n[0], n[1], fullYear(n[2], thisYear), true
	default:
		return unreadable()
	}
	if monthFirst && month > 12 && day >= 1 && day <= 12 {
		iso := fmt.Sprintf("%02d-%02d", day, month)
		if year != 0 {
			iso = fmt.Sprintf("%04d-%s", year, iso)
		}
		return 0, 0, 0, fmt.Sprintf("The birthday %q has no month %d: dates written with %q are read month first, as Square reads them. If this file writes the day first, write its birthdays as YYYY-MM-DD (this one as %s), since others in it may have been read the wrong way round.", orig, month, string(sep), iso)
	}
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return unreadable()
	}
	return year, month, day, ""
}

// dropTime removes a time after a date: "1985-05-17 00:00:00",
// "1985-05-17T00:00:00Z".
func dropTime(s string) string {
	i := strings.IndexAny(s, " T")
	if i < 0 {
		return s
	}
	rest := strings.TrimSpace(s[i+1:])
	colon := strings.IndexByte(rest, ':')
	if colon < 1 || colon > 2 || strings.IndexFunc(rest[:colon], func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return s
	}
	return strings.TrimSpace(s[:i])
}

// readNamedMonth reads a date with an English month name: the day before
// the year (17 May 1985, May 17, 1985, 17-May-85), or the year first
// (1985 May 17). Ordinals (17th) are read as their number.
func readNamedMonth(s string, thisYear int) (year, month, day int, ok bool) {
	tokens := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var nums []string
	for _, tok := range tokens {
		if m := monthNumber(tok); m != 0 {
			if month != 0 {
				return 0, 0, 0, false
			}
			month = m
			continue
		}
		for _, suffix := range []string{"st", "nd", "rd", "th"} {
			if len(tok) > 2 {
				tok = strings.TrimSuffix(strings.ToLower(tok), suffix)
			}
		}
		if _, err := strconv.Atoi(tok); err != nil || tok[0] == '+' || tok[0] == '-' {
			return 0, 0, 0, false
		}
		nums = append(nums, tok)
	}
	if month == 0 || len(nums) == 0 || len(nums) > 2 {
		return 0, 0, 0, false
	}
	dayText := nums[0]
	if len(nums) == 2 {
		yearText := nums[1]
		if len(nums[0]) == 4 {
			yearText, dayText = nums[0], nums[1]
		}
		y, _ := strconv.Atoi(yearText)
		switch len(yearText) {
		case 4:
			year = y
		case 2:
			year = fullYear(y, thisYear)
		default:
			return 0, 0, 0, false
		}
	}
	if len(dayText) > 2 {
		return 0, 0, 0, false
	}
	day, _ = strconv.Atoi(dayText)
	if day < 1 || day > 31 {
		return 0, 0, 0, false
	}
	return year, month, day, true
}

// monthNumber is the number of an English month name or its abbreviation
// of three letters or more ("Sep", "Sept", "September"), 0 for other words.
func monthNumber(word string) int {
	w := strings.ToLower(word)
	if len(w) < 3 {
		return 0
	}
	for i, name := range []string{"january", "february", "march", "april", "may", "june", "july",
		"august", "september", "october", "november", "december"} {
		if strings.HasPrefix(name, w) {
			return i + 1
		}
	}
	return 0
}

// fullYear is the latest year ending in the two digits yy that is not
// after thisYear: a birthday is never in the future.
func fullYear(yy, thisYear int) int {
	y := thisYear - thisYear%100 + yy
	if y > thisYear {
		y -= 100
	}
	return y
}
