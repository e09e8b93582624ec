package handlers

import (
	"strings"
	"unicode/utf8"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/views"
)

// indexPage maps a page of the index's hits to the directory's rows, with
// what the search matched marked, and pages by offset. info may be nil
// when the merchant's groups are unknown.
func indexPage(q directoryQuery, info *merchantInfo, res index.Result) *directoryPage {
	total := int64(res.Total)
	pg := &directoryPage{total: &total, atLeast: res.Capped}
	if n := len(res.Rows); n > 0 {
		pg.rows = make([]views.CustomerRow, 0, n)
	}
	for _, h := range res.Rows {
		r := hitRow(h)
		if info != nil {
			r.Groups = groupNames(h.GroupIDs, info)
		}
		pg.rows = append(pg.rows, r)
	}
	// A capped total is a floor: a full page then says there is more.
	more := int64(q.offset+len(res.Rows)) < total || (res.Capped && len(res.Rows) == q.size)
	if more && len(res.Rows) > 0 {
		pg.next = q.urlAt(q.offset + q.size)
	}
	if q.offset > 0 {
		pg.prev = q.urlAt(max(0, q.offset-q.size))
	}
	return pg
}

// hitRow is one customer of the index as a directory row.
func hitRow(h index.Hit) views.CustomerRow {
	c := h.Customer
	r := directoryRow(c)
	if len(h.Highlights) == 0 {
		return r
	}
	hl := h.Highlights
	r.NameMarks = nameMarks(r.Name, c, hl)
	r.CompanyMarks = marks(c.CompanyName, hl[index.FieldCompanyName])
	r.EmailMarks = marks(c.EmailAddress, hl[index.FieldEmail])
	r.PhoneMarks = marks(c.PhoneNumber, hl[index.FieldPhone])
	// Fields without a column say where the match was, so that a row found
	// by its note is not a puzzle.
	for _, f := range []struct {
		field index.Field
		label string
		value string
	}{
		{index.FieldNickname, "Nickname", c.Nickname},
		{index.FieldReferenceID, "Reference id", c.ReferenceID},
		{index.FieldNote, "Note", c.Note},
	} {
		if parts := marks(snippet(f.value, hl[f.field])); parts != nil {
			r.Matches = append(r.Matches, views.FieldMatch{Label: f.label, Parts: parts})
		}
	}
	return r
}

// nameMarks marks the matches in the name shown: given and family name
// together, or the field the name falls back to.
func nameMarks(name string, c index.Customer, hl map[index.Field][]index.Span) []views.TextPart {
	given, family := hl[index.FieldGivenName], hl[index.FieldFamilyName]
	var parts []views.TextPart
	switch {
	case len(given) > 0 || len(family) > 0:
		parts = append(parts, splitMarks(c.GivenName, given)...)
		if c.GivenName != "" && c.FamilyName != "" {
			parts = append(parts, views.TextPart{Text: " "})
		}
		parts = append(parts, splitMarks(c.FamilyName, family)...)
	case name == c.CompanyName:
		parts = marks(name, hl[index.FieldCompanyName])
	case name == c.EmailAddress:
		parts = marks(name, hl[index.FieldEmail])
	case name == c.PhoneNumber:
		parts = marks(name, hl[index.FieldPhone])
	}
	// The parts must spell the name shown exactly (displayName trims
	// spaces); otherwise the name is shown without marks.
	var sb strings.Builder
	for _, p := range parts {
		sb.WriteString(p.Text)
	}
	if parts == nil || sb.String() != name {
		return nil
	}
	return parts
}

// marks splits text at the spans the search matched, or is nil when
// nothing matched there.
func marks(text string, spans []index.Span) []views.TextPart {
	if len(spans) == 0 {
		return nil
	}
	return splitMarks(text, spans)
}

// splitMarks splits text at the spans, which must be in order, without
// overlap and on UTF-8 boundaries, as the index gives them. Spans that are
// not are dropped rather than trusted: a cut in the middle of a character
// would garble the text.
func splitMarks(text string, spans []index.Span) []views.TextPart {
	var parts []views.TextPart
	at := 0
	for _, s := range spans {
		if s.Start < at || s.End <= s.Start || s.End > len(text) ||
			!boundary(text, s.Start) || !boundary(text, s.End) {
			continue
		}
		if s.Start > at {
			parts = append(parts, views.TextPart{Text: text[at:s.Start]})
		}
		parts = append(parts, views.TextPart{Text: text[s.Start:s.End], Mark: true})
		at = s.End
	}
	if at < len(text) {
		parts = append(parts, views.TextPart{Text: text[at:]})
	}
	return parts
}

func boundary(s string, i int) bool {
	return i == len(s) || utf8.RuneStart(s[i])
}

// The context kept around a match in a long field such as a note.
const (
	snippetBefore = 30
	snippetAfter  = 60
)

// snippet cuts a long value to its first match and some text around it,
// with an ellipsis where text was left out, and the spans moved to match.
// A row must stay small: a note may be thousands of characters.
func snippet(text string, spans []index.Span) (string, []index.Span) {
	if len(spans) == 0 {
		return text, nil
	}
	start, end := max(0, spans[0].Start-snippetBefore), min(len(text), spans[0].End+snippetAfter)
	for start > 0 && !utf8.RuneStart(text[start]) {
		start--
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	prefix, suffix := "", ""
	if start > 0 {
		prefix = "…"
	}
	if end < len(text) {
		suffix = "…"
	}
	var kept []index.Span
	for _, s := range spans {
		if s.Start >= start && s.End <= end {
			shift := len(prefix) - start
			kept = append(kept, index.Span{Start: s.Start + shift, End: s.End + shift})
		}
	}
	return prefix + text[start:end] + suffix, kept
}
