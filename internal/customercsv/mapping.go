package customercsv

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/tessera-dashboard/tessera/internal/customers"
)

// Target is a choice in the mapping form: what a column holds.
type Target struct {
	Key   string
	Label string
}

// Targets are the choices of the mapping form, TargetIgnore first, then
// Square's customer id, then the customer form's fields in form order with
// their labels (the birthday is one choice, read from one cell).
func Targets() []Target {
	ts := []Target{{TargetIgnore, "Do not import"}, {TargetSquareID, "Square customer ID"}}
	for _, f := range customers.Fields(true) {
		ts = append(ts, Target{f.Key, f.Label})
	}
	return ts
}

// targetLabels are the labels of the target keys, worked out once: Row
// looks every cell's target up.
var targetLabels = func() map[string]string {
	m := map[string]string{}
	for _, t := range Targets() {
		m[t.Key] = t.Label
	}
	return m
}()

// targetLabel is the label of a target key, "" for an unknown one.
func targetLabel(key string) string {
	return targetLabels[key]
}

// Mapping is what each column of a file holds: a target key per column of
// the header, TargetIgnore for a column left out.
type Mapping []string

// AutoMap maps the columns whose names it knows: Square's own (Columns),
// and the names of other exports and spreadsheets (see aliases), compared
// without case, spaces or punctuation ("E-mail", "email_address",
// "Email Address" are one name). When several columns name one target,
// the better name wins (Outlook's "Mobile Phone" over its "Home Phone"),
// and between equals the first column. Names that could mean two things
// ("Name", "ID", "County") are left for the person to choose.
func AutoMap(header []string) Mapping {
	m := make(Mapping, len(header))
	best := map[string]int{} // target → rank of the column holding it
	holder := map[string]int{}
	for i, h := range header {
		a, ok := aliasFor(h)
		if !ok {
			continue
		}
		if r, taken := best[a.target]; taken && r <= a.rank {
			continue
		}
		if j, taken := holder[a.target]; taken {
			m[j] = TargetIgnore
		}
		m[i], best[a.target], holder[a.target] = a.target, a.rank, i
	}
	return m
}

// normalHeader is a column name reduced to its letters and digits, lower
// case: "E-mail Address" and "email_address" are both "emailaddress".
func normalHeader(h string) string {
	var b strings.Builder
	for _, r := range h {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// ColumnLabels are the names of the columns for the mapping form and its
// messages: a column's name as the file has it, with its number added
// where the name is empty ("Column 4") or repeated ("Email (column 5)"),
// so that each label says which column it is.
func ColumnLabels(header []string) []string {
	count := map[string]int{}
	for _, h := range header {
		count[strings.ToLower(strings.TrimSpace(h))]++
	}
	labels := make([]string, len(header))
	for i, h := range header {
		name := strings.TrimSpace(h)
		switch {
		case name == "":
			labels[i] = fmt.Sprintf("Column %d", i+1)
		case count[strings.ToLower(name)] > 1:
			labels[i] = fmt.Sprintf("%s (column %d)", name, i+1)
		default:
			labels[i] = name
		}
	}
	return labels
}

// Problems are the mapping form's messages, each a reason the mapping
// cannot be used as it is (none means it can): a first row that is a
// customer rather than column names, a choice that is not in the list,
// two columns set to one target, and nothing chosen that identifies a
// customer (Square needs a first name, last name, company,
// email address or phone number). A repeated column name is not a
// problem: AutoMap maps the first, and ColumnLabels tells them apart.
func (m Mapping) Problems(header []string) []string {
	if len(m) != len(header) {
		return []string{"The choices do not match the file's columns. Choose again what each column holds."}
	}
	labels := ColumnLabels(header)
	var out []string
	if cell := dataInHeader(header); cell != "" {
		out = append(out, fmt.Sprintf("The first row looks like a customer (it holds %q), not the names of the columns. Add a row of column names, like First Name and Email Address, at the top of the file and upload it again.", cell))
	}
	columns := map[string][]string{} // target → labels of its columns
	var order []string
	for i, key := range m {
		if key == TargetIgnore {
			continue
		}
		if targetLabel(key) == "" {
			out = append(out, fmt.Sprintf("Choose what the column %q holds from the list.", labels[i]))
			continue
		}
		if columns[key] == nil {
			order = append(order, key)
		}
		columns[key] = append(columns[key], labels[i])
	}
	for _, key := range order {
		if cs := columns[key]; len(cs) > 1 {
			all, rest := "all", "all but one of them"
			if len(cs) == 2 {
				all, rest = "both", "one of them"
			}
			out = append(out, fmt.Sprintf("The columns %s are %s set to %q. Set %s to \"Do not import\".", quoteList(cs), all, targetLabel(key), rest))
		}
	}
	identifies := slices.ContainsFunc(customers.Fields(true), func(f customers.Field) bool {
		return f.Identifying && columns[f.Key] != nil
	})
	if !identifies {
		out = append(out, "Choose a column for the first name, last name, company, email address or phone number: Square needs at least one of them for each customer.")
	}
	return out
}

// dataInHeader returns a header cell that is a customer's data rather
// than a column's name (an email address, or a number of 7 digits or
// more, like a phone number), or "": a file without a header row would
// otherwise lose its first customer.
func dataInHeader(header []string) string {
	for _, h := range header {
		h = strings.TrimSpace(h)
		local, domain, ok := strings.Cut(h, "@")
		if ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(h, " \t") {
			return h
		}
		digits := 0
		for _, r := range h {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits >= 7 {
			return h
		}
	}
	return ""
}

// quoteList writes names as "a", "b" and "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 2 {
		return q[0] + " and " + q[1]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}
