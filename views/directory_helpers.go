package views

import "strconv"

import "strings"

// formAction is where the directory form goes, the directory itself.
func formAction(f DirectoryForm) string {
	return orDefault(f.Action, "/customers")
}

// sortArrow shows the sort direction to sighted people; aria-sort tells
// everyone else.
func sortArrow(ariaSort string) string {
	switch ariaSort {
	case "ascending":
		return "▲"
	case "descending":
		return "▼"
	}
	return ""
}

// problemTestID is the data-testid of a directory problem.
func problemTestID(kind string) string {
	if kind == ProblemUnavailable {
		return "square-unavailable"
	}
	return "query-error"
}

// tableCaption names the table for screen readers and the region around it.
func tableCaption(v CustomersView) string {
	if v.Filtered {
		return "Customers matching the search and filters"
	}
	return "Customer directory"
}

// directoryStatus is what the status region announces after an htmx
// search: the number of matches, or that there are none.
func directoryStatus(v CustomersView) string {
	switch {
	case v.Problem != nil:
		return v.Problem.Title
	case v.NoResults:
		return "No customers match."
	case v.Empty:
		return "No customers yet."
	}
	return v.Total
}

func joinGroups(names []string) string {
	return strings.Join(names, ", ")
}

// searchHint says what the search box looks at: the index looks
// everywhere, Square only at three fields.
func searchHint(f DirectoryForm) string {
	if f.Indexed {
		return "Finds customers by any part of a name, company, email address, phone number, reference id or note."
	}
	return "Finds customers by email address, phone number or reference id. Square cannot search names: sort the table by name instead."
}

// searchTrigger is when htmx searches as the person types: the index
// answers in milliseconds, so a short pause is enough; Square needs a
// round trip per search, so it waits for a longer one.
func searchTrigger(f DirectoryForm) string {
	if f.Indexed {
		return "input changed delay:200ms, search"
	}
	return "input changed delay:300ms, search"
}

// columnHeaders are the view's sort headers, or plain headers when it
// names none.
func columnHeaders(v CustomersView) []SortHeader {
	if len(v.Sorts) > 0 {
		return v.Sorts
	}
	return []SortHeader{{Key: "name", Label: "Name"}, {Key: "company", Label: "Company"}, {Key: "email", Label: "Email"},
		{Key: "phone", Label: "Phone"}, {Key: "created", Label: "Created"}}
}

// activeFilters counts the filters the directory form has set.
func activeFilters(f DirectoryForm) int {
	n := 0
	for _, v := range []string{f.From, f.To} {
		if v != "" {
			n++
		}
	}
	for _, opts := range [][]Option{f.Sources, f.Groups} {
		for _, o := range opts {
			if o.Selected && o.Value != "" {
				n++
			}
		}
	}
	return n
}

// filtersOpen says whether a phone-sized screen opens the form with its
// filters shown: when one of them has a problem to read.
func filtersOpen(f DirectoryForm) bool {
	for _, id := range []string{DirectoryFromID, DirectoryToID, DirectorySourceID, DirectoryGroupID, DirectorySizeID} {
		if f.Invalid[id] {
			return true
		}
	}
	return false
}

// filtersLabel names the button that shows the filters on a phone-sized
// screen, with how many are set.
func filtersLabel(f DirectoryForm) string {
	if n := activeFilters(f); n > 0 {
		return "Filters (" + strconv.Itoa(n) + ")"
	}
	return "Filters"
}

// ariaBool is an ARIA true or false.
func ariaBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// directoryLayout is the page frame of the directory. The plain directory
// loads htmx on demand (Layout.HTMXOnDemand): until the person acts it is
// plain links and a GET form, and app.js replays what they typed or chose
// before htmx arrived. The exact count (TotalURL, fetched by htmx on load)
// and the selection mode need htmx at once, so they load it with the page.
func directoryLayout(l Layout, v CustomersView) Layout {
	l.HTMXOnDemand = v.TotalURL == "" && v.Bulk == nil
	return l
}
