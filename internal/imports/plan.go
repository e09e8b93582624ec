package imports

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-dashboard/tessera/internal/customercsv"
	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/jobs"
)

// What to do with a row that is likely a customer already there.
const (
	DupSkip   = "skip"
	DupUpdate = "update"
	DupCreate = "create"
)

// Row is a record of the file as the import will treat it.
type Row struct {
	// Index is the record's position in the table, Line its line.
	Index, Line int
	Name        string
	// Problem says why the row cannot be imported, "" when it can.
	Problem string
	Form    customers.Form
	// SquareID is the customer the row names by its Square customer ID.
	SquareID string
	// Matches are the ids of customers likely the same (same email or
	// phone digits); the person chooses what to do.
	Matches []string
	// Imported is the customer an earlier import of the same file created
	// from this line.
	Imported string
}

// Check reads every record through the mapping and checks it with the
// customer form's own rules.
func Check(t *customercsv.Table, m customercsv.Mapping, fs []customers.Field, now time.Time) []Row {
	rows := make([]Row, len(t.Records))
	for i, rec := range t.Records {
		r := m.Row(rec)
		form, msgs := r.Check(fs, now)
		row := Row{Index: i, Line: t.Lines[i], Name: form.Values.Name(), Form: form, SquareID: r.SquareID}
		switch {
		case i < len(t.Problems) && t.Problems[i] != "":
			row.Problem = t.Problems[i]
		case len(msgs) > 0:
			row.Problem = messages(msgs, fs)
		}
		rows[i] = row
	}
	return rows
}

// messages joins the form's messages in the order of its inputs.
func messages(msgs map[string]string, fs []customers.Field) string {
	inputs := customers.InputNames(fs)
	var out []string
	seen := map[string]bool{}
	for _, in := range inputs {
		if m, ok := msgs[in]; ok && !seen[m] {
			out, seen[m] = append(out, m), true
		}
	}
	var rest []string
	for in, m := range msgs {
		if !slices.Contains(inputs, in) && !seen[m] {
			rest, seen[m] = append(rest, m), true
		}
	}
	slices.Sort(rest)
	return strings.Join(append(out, rest...), " ")
}

// Decisions are the person's choices for the likely duplicates: All for
// every one ("" to choose row by row), else ByLine; a row without a choice
// is skipped.
type Decisions struct {
	All    string
	ByLine map[int]string
}

// For is the choice for the row on line.
func (d Decisions) For(line int) string {
	if d.All != "" {
		return d.All
	}
	if c := d.ByLine[line]; c == DupUpdate || c == DupCreate {
		return c
	}
	return DupSkip
}

// Key is the idempotency key of a file's row: the file's hash and the
// row's line, so that sending it again (a retry, a second start, the same
// file uploaded again) is answered with the customer made the first time.
// It stays within Square's 45 characters.
func Key(hash string, line int) string {
	return "imp-" + hash[:min(24, len(hash))] + "-" + strconv.Itoa(line)
}

// Items are the rows of the import job: the failed rows failed with their
// reason, the skipped ones skipped, the others to create or update.
// exists tells whether a Square customer ID is the merchant's.
func Items(rows []Row, hash string, d Decisions, exists map[string]bool) []jobs.Item {
	items := make([]jobs.Item, 0, len(rows))
	updating := map[string]int{}
	for _, r := range rows {
		it := jobs.Item{Line: r.Line, Name: r.Name}
		target := ""
		// A Square customer ID that is not this account's (a customer
		// deleted since the file was exported, or a file from another
		// account) does not stop the row: it is created, checked for
		// duplicates as a row without an ID is, so that exporting,
		// deleting and importing a file brings its customers back.
		known := r.SquareID != "" && exists[r.SquareID]
		switch {
		case r.Problem != "":
			it.State, it.Reason = jobs.Failed, r.Problem
		case known:
			target = r.SquareID
		case r.Imported != "":
			it.State, it.Reason, it.CustomerID = jobs.Skipped, "Imported from this file before.", r.Imported
		case len(r.Matches) > 0:
			switch d.For(r.Line) {
			case DupUpdate:
				target = r.Matches[0]
			case DupSkip:
				it.State, it.Reason, it.CustomerID = jobs.Skipped, "Likely already a customer; skipped as chosen.", r.Matches[0]
			}
		}
		if target != "" {
			if first, ok := updating[target]; ok {
				it.State, it.Reason = jobs.Failed, fmt.Sprintf("Line %d of this file already updates this customer.", first)
				target = ""
			} else {
				updating[target] = r.Line
			}
		}
		if it.State == jobs.Pending {
			if target != "" {
				up, _ := r.Form.UpdateRequest(0)
				// An import sets the values it has, whatever the customer
				// holds now: no version check.
				up.Version = nil
				it.Action, it.CustomerID = jobs.ActionUpdate, target
				it.Payload = jobs.ImportRequest{Update: up}.Payload()
			} else {
				create := r.Form.CreateRequest("")
				it.Action = jobs.ActionCreate
				it.Payload = jobs.ImportRequest{Key: Key(hash, r.Line), Create: create}.Payload()
			}
		}
		items = append(items, it)
	}
	return items
}
