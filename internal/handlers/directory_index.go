package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// customerIndex is what the directory needs of the customer index.
type customerIndex interface {
	Search(ctx context.Context, merchantID string, q index.Query) (index.Result, error)
	Total(ctx context.Context, merchantID string, q index.Query) (int, error)
	SyncState(ctx context.Context, merchantID string) (index.SyncState, error)
}

// indexStatus is whether the merchant's index can serve the directory, and
// if not, how far its first sync has come.
type indexStatus struct {
	ready bool
	// progress is "Indexing customers: …" while the first sync runs.
	progress string
}

// indexState reads the signed-in merchant's index status. An index that
// cannot even say how it is counts as not ready: Square serves instead.
func (a *app) indexState(c echo.Context) indexStatus {
	if a.index == nil {
		return indexStatus{}
	}
	ctx := c.Request().Context()
	st, err := a.index.SyncState(ctx, sessionOf(c).MerchantID())
	if err != nil {
		a.logger.WarnContext(ctx, "customer index state unreadable; Square serves the directory", slog.Any("err", err))
		return indexStatus{}
	}
	return indexStatus{ready: st.Ready(), progress: syncProgress(st)}
}

// syncProgress says how far the first full sync has come, while it runs:
// "Indexing customers: 41,200 of 100,000"; "" otherwise.
func syncProgress(st index.SyncState) string {
	if st.Ready() || len(st.Ranges) == 0 {
		return ""
	}
	p := "Indexing customers: " + thousands(int64(st.Indexed()))
	if st.Expected > 0 {
		return p + " of " + thousands(int64(max(st.Expected, st.Indexed())))
	}
	return p + " so far"
}

// indexDirectory serves the directory from the customer index, with no
// call to Square for the customers. The merchant's groups (their names and
// the filter's choices) still come from the merchant cache; when Square
// cannot give them, the page is served without group names rather than
// not at all.
//
// served is false when the index failed: the caller then asks Square, as
// it would with no index.
func (a *app) indexDirectory(c echo.Context) (served bool, err error) {
	q, problems := parseDirectoryQuery(c.Request().URL.RawQuery, true)
	if len(problems) > 0 {
		return true, a.renderDirectory(c, http.StatusBadRequest, q, nil, nil, queryProblem(q, problems))
	}
	ctx := c.Request().Context()
	info, err := a.merchantInfo(c)
	switch {
	case square.IsAuth(err) || errors.Is(err, context.Canceled):
		return true, err
	case err != nil:
		a.logger.WarnContext(ctx, "merchant groups unavailable; the directory is shown without them", slog.Any("err", err))
		info = nil
	}
	if info != nil {
		if problems := q.checkGroup(info); len(problems) > 0 {
			return true, a.renderDirectory(c, http.StatusBadRequest, q, info, nil, queryProblem(q, problems))
		}
	}
	res, err := a.index.Search(ctx, sessionOf(c).MerchantID(), q.indexQuery())
	if errors.Is(err, context.Canceled) {
		return true, err
	}
	if err != nil {
		a.logger.ErrorContext(ctx, "customer index search failed; Square serves the directory", slog.Any("err", err))
		return false, nil
	}
	pg := indexPage(q, info, res)
	if res.Capped {
		// The index stops counting a broad search early, so that typing
		// stays fast. The search as you type shows "More than 1,000" and
		// fetches the exact figure after; a page loaded whole, or a further
		// page, counts at once.
		if isHTMX(c) && c.Request().Header.Get(hxTarget) == resultsTarget {
			pg.countURL = "/customers/count?" + q.values().Encode()
		} else if n, err := a.index.Total(ctx, sessionOf(c).MerchantID(), q.indexQuery()); err == nil {
			exact := int64(n)
			pg.total, pg.atLeast = &exact, false
		} else if errors.Is(err, context.Canceled) {
			return true, err
		}
	}
	return true, a.renderDirectory(c, http.StatusOK, q, info, pg, nil)
}

// customerCount answers the exact number of customers of a view whose
// search the index stopped counting early (see indexDirectory): the total
// line that replaces "More than 1,000 customers". Without a ready index,
// or for a view that cannot run, it answers an error and htmx leaves the
// line as it was.
func (a *app) customerCount(c echo.Context) error {
	if !a.indexState(c).ready {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "The customer index is not ready.")
	}
	q, problems := parseDirectoryQuery(c.Request().URL.RawQuery, true)
	if len(problems) > 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "This search could not be run.")
	}
	n, err := a.index.Total(c.Request().Context(), sessionOf(c).MerchantID(), q.indexQuery())
	if err != nil {
		return err
	}
	count := int64(n)
	return render(c, http.StatusOK, views.CustomerTotal(customerTotal(&count), ""))
}

// indexQuery is the index's question for the view.
func (q *directoryQuery) indexQuery() index.Query {
	iq := index.Query{
		Text:        q.Query,
		Sort:        index.Sort(q.Sort),
		Desc:        q.Order == orderDesc,
		CreatedFrom: q.from,
		Source:      q.Source,
		GroupID:     q.Group,
		Limit:       q.size,
		Offset:      q.offset,
	}
	if iq.Sort == index.SortRelevance && q.Query == "" {
		iq.Sort = index.SortName
	}
	if !q.to.IsZero() {
		// The whole of the last day counts; the index's end is exclusive.
		iq.CreatedTo = q.to.AddDate(0, 0, 1)
	}
	return iq
}
