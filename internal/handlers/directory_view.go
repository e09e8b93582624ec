package handlers

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// The kinds of chips, naming what a chip's link removes.
const (
	chipSearch = "search"
	chipFrom   = "from"
	chipTo     = "to"
	chipSource = "source"
	chipGroup  = "group"
	// chipAll is every search and filter at once: "Clear all".
	chipAll = "all"
)

// directoryPage is one page of results, from Square or from the index,
// already mapped to rows.
type directoryPage struct {
	rows []views.CustomerRow
	// total is the number of matches, nil when unknown.
	total *int64
	// next and prev are the addresses of the next and the previous page,
	// empty when there is none (Square's cursors only go forward).
	next, prev string
	// atLeast says total is a floor: the index stopped counting there.
	// countURL, when set, fetches the exact figure.
	atLeast  bool
	countURL string
	// note explains a search of several fields at once.
	note *views.SearchNote
}

// squarePage maps Square's page of customers. info may be nil when Square
// could not be reached for the merchant's groups.
func squarePage(q directoryQuery, info *merchantInfo, page *square.CustomerPage) *directoryPage {
	pg := &directoryPage{total: page.Count}
	if n := len(page.Customers); n > 0 {
		pg.rows = make([]views.CustomerRow, 0, n)
	}
	for _, cu := range page.Customers {
		r := customerRow(cu)
		if info != nil {
			r.Groups = groupNames(cu.GroupIDs, info)
		}
		pg.rows = append(pg.rows, r)
	}
	if page.Cursor != "" {
		pg.next = q.url(page.Cursor)
	}
	return pg
}

// directoryView maps the query, the merchant's groups and a page of results
// to the directory's view model. info may be nil when Square could not be
// reached; pg is nil when a problem stands in for the results.
func directoryView(q directoryQuery, info *merchantInfo, pg *directoryPage, problem *views.DirectoryProblem) views.CustomersView {
	v := views.CustomersView{
		Form:           directoryForm(q, info, problem),
		Problem:        problem,
		Filtered:       q.searched() || q.filtered(),
		Indexed:        q.indexed,
		Indexing:       q.indexing,
		NewCustomerURL: "/customers/new",
	}
	v.Sorts = sortHeaders(q)
	if problem != nil || pg == nil {
		return v
	}

	v.Chips = directoryChips(q, info)
	if q.searched() {
		v.ClearSearchURL = q.without(chipSearch).url("")
	}
	if q.filtered() {
		v.ClearAllURL = q.without(chipAll).url("")
	}
	if pg.total != nil || len(pg.rows) == 0 {
		v.Total = customerTotal(pg.total)
	}
	if pg.atLeast {
		v.Total, v.TotalURL = "More than "+v.Total, pg.countURL
	}
	if q.indexed && q.searched() && q.Sort != "" {
		v.BestMatchURL = q.sortedBy("", "").url("")
	}
	v.Rows, v.NextURL, v.PrevURL = pg.rows, pg.next, pg.prev
	v.SearchNote = pg.note
	if !q.firstPage() {
		v.FirstURL = q.url("")
	}
	if len(v.Rows) == 0 {
		// An empty page after the first, without a search, is the end of
		// the list (customers deleted meanwhile), not an empty directory.
		v.Empty = !v.Filtered && q.firstPage()
		v.NoResults = !v.Empty
	}
	return v
}

// directoryForm fills the form with what the person typed, and marks the
// controls that have a problem.
func directoryForm(q directoryQuery, info *merchantInfo, problem *views.DirectoryProblem) views.DirectoryForm {
	f := views.DirectoryForm{
		Action:  "/customers",
		Indexed: q.indexed,
		Query:   q.Query,
		From:    q.From, To: q.To,
		Fields: markSelected(q.Field, searchInAuto,
			views.Option{Value: searchInAuto, Label: "Auto"},
			views.Option{Value: searchInEmail, Label: "Email"},
			views.Option{Value: searchInPhone, Label: "Phone"},
			views.Option{Value: searchInReference, Label: "Reference id"}),
		Matches: markSelected(q.Match, matchFuzzy,
			views.Option{Value: matchFuzzy, Label: "Fuzzy"},
			views.Option{Value: matchExact, Label: "Exact"}),
		Sources: markSelected(q.Source, "", sourceChoices()...),
		Groups:  markSelected(q.Group, "", groupChoices(q, info)...),
	}
	sizes := make([]views.Option, 0, len(pageSizes))
	for _, n := range pageSizes {
		sizes = append(sizes, views.Option{Value: strconv.Itoa(n), Label: strconv.Itoa(n) + " per page"})
	}
	f.Sizes = markSelected(q.Size, strconv.Itoa(defaultPageSize), sizes...)
	// The order travels with a new search in hidden fields; only valid,
	// non-default values, since no control would let the person fix others.
	if q.Sort != q.defaultSort() && q.sortable() {
		f.Sort = q.Sort
	}
	if q.Order == orderDesc {
		f.Order = q.Order
	}
	if problem != nil {
		for _, m := range problem.Messages {
			if m.FieldID != "" {
				if f.Invalid == nil {
					f.Invalid = map[string]bool{}
				}
				f.Invalid[m.FieldID] = true
			}
		}
	}
	return f
}

// markSelected marks the option whose value is current (def when current is
// empty); with none matching, the first stays the browser's choice.
func markSelected(current, def string, opts ...views.Option) []views.Option {
	if current == "" {
		current = def
	}
	for i := range opts {
		opts[i].Selected = opts[i].Value == current
	}
	return opts
}

// sourceOptions are "Any source" and Square's creation sources, by name,
// sorted once; sourceChoices hands out copies, which markSelected marks.
var sourceOptions = func() []views.Option {
	opts := make([]views.Option, 0, len(directorySources))
	for value, label := range directorySources {
		opts = append(opts, views.Option{Value: value, Label: label})
	}
	slices.SortFunc(opts, func(a, b views.Option) int { return cmp.Compare(a.Label, b.Label) })
	return append([]views.Option{{Value: "", Label: "Any source"}}, opts...)
}()

// sourceChoices are "Any source" and Square's creation sources, by name.
func sourceChoices() []views.Option {
	return slices.Clone(sourceOptions)
}

// groupChoices are "Any group" and the merchant's groups, by name. When the
// groups are unknown (Square unreachable), the group in the URL is kept as
// a choice of its own so that the form still carries it.
func groupChoices(q directoryQuery, info *merchantInfo) []views.Option {
	opts := []views.Option{{Value: "", Label: "Any group"}}
	if info == nil {
		if q.Group != "" {
			opts = append(opts, views.Option{Value: q.Group, Label: "The chosen group"})
		}
		return opts
	}
	groups := slices.Clone(info.Groups)
	slices.SortFunc(groups, func(a, b square.CustomerGroup) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	for _, g := range groups {
		opts = append(opts, views.Option{Value: g.ID, Label: g.Name})
	}
	return opts
}

// sortHeaders are the table's column headers, each sortable by the index
// and Name and Created by Square too; a header Square cannot sort by has
// no link. The current sort column flips its order; another starts in its
// natural order, text A to Z and dates newest first.
func sortHeaders(q directoryQuery) []views.SortHeader {
	cols := []struct {
		sort, label string
		newestFirst bool
	}{
		{sortByName, "Name", false}, {sortByCompany, "Company", false}, {sortByEmail, "Email", false},
		{sortByPhone, "Phone", false}, {sortByCreated, "Created", true}, {sortByUpdated, "Updated", true},
	}
	current := q.Sort
	if current == "" {
		current = q.defaultSort()
	}
	var hs []views.SortHeader
	for _, col := range cols {
		h := views.SortHeader{Key: col.sort, Label: col.label}
		if !q.indexed && col.sort != sortByName && col.sort != sortByCreated {
			if col.sort != sortByUpdated {
				hs = append(hs, h)
			}
			continue
		}
		order := orderAsc
		if col.newestFirst {
			order = orderDesc
		}
		if col.sort == current {
			h.AriaSort, order = "ascending", orderDesc
			if q.Order == orderDesc {
				h.AriaSort, order = "descending", orderAsc
			}
		}
		h.URL = q.sortedBy(col.sort, order).url("")
		hs = append(hs, h)
	}
	return hs
}

// directoryChips are the active search and filters, each with the link
// that removes it.
func directoryChips(q directoryQuery, info *merchantInfo) []views.Chip {
	var chips []views.Chip
	add := func(kind, label string) {
		chips = append(chips, views.Chip{Kind: kind, Label: label, RemoveURL: q.without(kind).url("")})
	}
	if q.searched() {
		add(chipSearch, searchLabel(q))
	}
	if !q.from.IsZero() {
		add(chipFrom, "Created on or after "+formatDay(q.from))
	}
	if !q.to.IsZero() {
		add(chipTo, "Created on or before "+formatDay(q.to))
	}
	if q.Source != "" {
		add(chipSource, "Source: "+creationSourceLabel(q.Source))
	}
	if q.Group != "" && info != nil {
		add(chipGroup, "Group: "+info.GroupName(q.Group))
	}
	return chips
}

// searchLabel says in words what the search looks for, so that the field
// Auto picked is plain to see: `Email contains “ada gmail”`.
func searchLabel(q directoryQuery) string {
	if q.indexed {
		// The index looks everywhere at once.
		return "Search: “" + q.Query + "”"
	}
	field := map[string]string{searchInEmail: "Email", searchInPhone: "Phone", searchInReference: "Reference id",
		searchInAll: "Email, phone or reference id"}[q.field]
	how := " contains "
	if q.Match == matchExact {
		how = " is exactly "
	}
	return field + how + "“" + q.Query + "”"
}
