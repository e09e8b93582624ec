package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// resultsTarget is the results region that the search form swaps.
const resultsTarget = "customer-results"

// customers is the directory: search, filters, sort and paging over the
// seller's customers, with the total. Its whole state is in the URL.
//
// Once the merchant's customer index is ready it serves the directory (see
// indexDirectory) and Square is not asked. Until then, with the index off,
// or when the index fails, Square serves it as below, and while the first
// sync runs the page shows its progress.
//
// From Square: without a search or filter it lists (ListCustomers); with
// any it searches (SearchCustomers). The merchant's groups come from the
// merchant cache, so a page costs one call to Square once the cache is warm.
//
// A bad parameter never reaches Square, whether or not the merchant's
// groups are cached: the page comes back with status 400, the form as typed
// and a message. Square failing gives the page with
// the form and a message in place of the results, status 502, 503 or 504.
//
// Paging follows Square's cursors. "Next page" is a plain link to the view
// with the next cursor. "Load more" (htmx) appends the same page to the
// table and pushes that same URL, so a reload, the back button or a shared
// link shows that page on its own, with a link to the first page: a URL
// names one page, never a pile of them.
func (a *app) customers(c echo.Context) error {
	st := a.indexState(c)
	if st.ready {
		if served, err := a.indexDirectory(c); served {
			return err
		}
	}
	return a.squareDirectory(c, st.progress)
}

// squareDirectory is the directory served from Square; indexing is the
// progress of the index's first sync, "" when none runs.
func (a *app) squareDirectory(c echo.Context, indexing string) error {
	q, problems := parseDirectoryQuery(c.Request().URL.RawQuery, false)
	q.indexing = indexing
	if len(problems) > 0 {
		// A query that cannot be run costs Square nothing, not even the
		// merchant's groups on a cold cache: without them the form keeps
		// the chosen group as a choice of its own.
		return a.renderDirectory(c, http.StatusBadRequest, q, nil, nil, queryProblem(q, problems))
	}
	info, err := a.merchantInfo(c)
	if err != nil {
		return a.directoryFailure(c, q, nil, err)
	}
	// Whether a group exists is the one check that needs Square's data.
	if problems := q.checkGroup(info); len(problems) > 0 {
		return a.renderDirectory(c, http.StatusBadRequest, q, info, nil, queryProblem(q, problems))
	}

	if q.field == searchInAll {
		return a.squareSearchAll(c, q, info)
	}

	ctx := c.Request().Context()
	var page *square.CustomerPage
	if q.searched() || q.filtered() {
		page, err = a.client(c).Customers.Search(ctx, q.searchRequest())
	} else {
		page, err = a.client(c).Customers.List(ctx, q.listParams())
	}
	if err != nil {
		return a.directoryFailure(c, q, info, err)
	}
	return a.renderDirectory(c, http.StatusOK, q, info, squarePage(q, info, page), nil)
}

// directoryFailure answers a failed call to Square. An ended authorization
// goes to the one error handler, which signs the person out; a request
// Square refused is the person's to correct (400); anything else means
// Square is unreachable for now, and the page says so while keeping the
// search and filters.
func (a *app) directoryFailure(c echo.Context, q directoryQuery, info *merchantInfo, err error) error {
	ctx := c.Request().Context()
	if square.IsAuth(err) || errors.Is(err, context.Canceled) {
		return err
	}
	// After a timeout the request's context has ended; the directory, with
	// the search as typed, must still be rendered.
	defer detachContext(c)()
	if square.IsInvalidRequest(err) {
		// Only the code and field: Square's detail may repeat the search,
		// an email or phone number, which logs must not hold.
		a.logger.InfoContext(ctx, "directory query refused by Square",
			slog.String("code", square.ErrorCode(err)), slog.String("field", square.ErrorField(err)))
		return a.renderDirectory(c, http.StatusBadRequest, q, info, nil, queryProblem(q, squareQueryProblems(err)))
	}
	// The same words as the error handler's, so one search of the logs
	// finds every failure.
	a.logger.ErrorContext(ctx, "request failed",
		slog.String("path", c.Request().URL.Path), slog.Any("err", err))
	status, p := unavailableProblem(q, err)
	return a.renderDirectory(c, status, q, info, nil, p)
}

// squareQueryProblems turns Square's 400 into messages. The codes that a
// directory query can cause get their own words; Square's detail stays in
// the log.
func squareQueryProblems(err error) []views.FieldError {
	if len(square.ErrorDetails(err)) == 0 {
		return nil
	}
	switch code := square.ErrorCode(err); {
	case code == "INVALID_CURSOR":
		return []views.FieldError{cursorProblem()}
	case code == "INVALID_PHONE_NUMBER":
		return []views.FieldError{{FieldID: views.DirectoryQueryID,
			Message: "Square did not accept this phone number. For an exact search, enter it with its country code, such as +1 206 555 0100."}}
	case code == "INVALID_TIME":
		return []views.FieldError{{FieldID: views.DirectoryFromID, Message: "Square did not accept these dates. Choose other dates."}}
	}
	return []views.FieldError{{Message: "Square could not run this search. Check the search text and the filters, or start again."}}
}

// queryProblem is the message about a query the directory cannot run. When
// the cursor is at fault the way out is the first page of the same view;
// otherwise it is the plain directory.
func queryProblem(q directoryQuery, problems []views.FieldError) *views.DirectoryProblem {
	p := &views.DirectoryProblem{
		Kind:     views.ProblemQuery,
		Title:    "This search could not be run",
		Messages: problems,
		LinkURL:  "/customers", LinkLabel: "Start again",
	}
	if len(problems) == 1 && problems[0] == cursorProblem() {
		p.Title = "This page of customers is no longer available"
		p.LinkURL, p.LinkLabel = q.url(""), "Go to the first page"
	}
	return p
}

// unavailableProblem says that Square failed, in the words and with the
// status squareFailure gives every page, but inside the directory so the
// search and filters stay in the form.
func unavailableProblem(q directoryQuery, err error) (int, *views.DirectoryProblem) {
	pe := squareFailure(err)
	return pe.Status, &views.DirectoryProblem{
		Kind:      views.ProblemUnavailable,
		Title:     pe.Title,
		LinkURL:   q.here(),
		LinkLabel: "Try again",
		Messages:  []views.FieldError{{Message: pe.Message + " Your search and filters are kept."}},
	}
}

// renderDirectory writes the directory: the whole page, or for htmx the
// part it asked for. A problem replaces the results; info may be nil when
// Square could not be reached for the merchant's groups.
func (a *app) renderDirectory(c echo.Context, status int, q directoryQuery, info *merchantInfo, pg *directoryPage, problem *views.DirectoryProblem) error {
	v := directoryView(q, info, pg, problem)
	a.bulkView(c, q, pg, &v)
	exportLink(q, &v)
	if v.Problem != nil {
		v.Problem.RequestID = requestIDOf(c)
	}
	if !isHTMX(c) {
		if v.Problem != nil {
			// A page that opens on a problem takes the person to it.
			v.Problem.Focus = true
		}
		return render(c, status, views.CustomersPage(a.layout(c, "Customers", views.NavCustomers), v))
	}

	h := c.Response().Header()
	h.Add("Vary", hxTarget)
	var body templ.Component
	switch {
	case problem != nil:
		// htmx takes the .alert of an error answer into the alert region
		// and leaves the results and the form as they were. A failed
		// request must not change the address bar.
		h.Set(hxPushURL, "false")
		body = views.CustomersResults(v)
	case c.Request().Header.Get(hxTarget) == resultsTarget:
		h.Set(hxPushURL, q.here())
		body = views.CustomersResultsFragment(v)
	default:
		// The appended rows follow the earlier pages on screen, so the
		// pager offers no "First page" or "Previous page" there.
		h.Set(hxPushURL, q.here())
		v.FirstURL, v.PrevURL = "", ""
		body = views.CustomerRowsAppend(v)
	}
	return render(c, status, body)
}
