package views

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
