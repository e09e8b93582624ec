package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/customercsv"
	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/jobs"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// The customer export (docs/csv.md): GET /customers/export with the
// directory's own query string downloads the view — its search, filters
// and sort, every page of it — and POST /customers/export, the selection
// form's "Export selected", downloads the customers ticked. ?bom=1 (a
// "For Excel" link or box) starts the file with a byte order mark.
//
// The file is written as it is read, a batch at a time, so its size costs
// no memory. The index gives the view's customers in its order; their
// fields come from Square, 100 a call (BulkRetrieveCustomers, a few calls
// in flight while the index reads on), because the
// index keeps only what the directory shows and searches, not the address,
// birthday or tax id. Without a ready index the view is read from Square
// page by page, as the directory is. A failure before the first byte gets
// the error page; after it, the file ends short and the log says why.

const (
	exportPath          = "/customers/export"
	paramBOM            = "bom"
	customerExportBatch = square.MaxBulk
	// indexExportBatch is how many ids the export reads from the index a
	// query: a few ids more held, a fifth of the queries.
	indexExportBatch = 5 * customerExportBatch
	// exportTimeout bounds a whole export, in place of the request
	// deadline, which would cut a large file short: 100,000 customers
	// take 1,000 calls to Square.
	exportTimeout = 15 * time.Minute
)

// indexExporter is the index's walk over the ids of every match of a
// view.
type indexExporter interface {
	EachID(ctx context.Context, merchantID string, q index.Query, batch int, fn func([]string) error) error
}

// bulkGetter is Square's BulkRetrieveCustomers.
type bulkGetter interface {
	BulkGet(ctx context.Context, ids []string) (map[string]square.BulkResult, error)
}

// emitFunc takes the next customers of an export, in order.
type emitFunc func([]*square.Customer) error

// exportLink offers the view's export on a directory page with rows.
func exportLink(q directoryQuery, v *views.CustomersView) {
	if v.Problem != nil || len(v.Rows) == 0 {
		return
	}
	q.Size, q.Cursor, q.Offset = "", "", ""
	vals := q.values()
	v.ExportURL = exportPath
	if len(vals) > 0 {
		v.ExportURL += "?" + vals.Encode()
	}
	vals.Set(paramBOM, "1")
	v.ExportExcelURL = exportPath + "?" + vals.Encode()
}

// exportView downloads the directory's view as CSV.
func (a *app) exportView(c echo.Context) error {
	return a.exportQuery(c, c.Request().URL.RawQuery, c.QueryParam(paramBOM) == "1")
}

// exportQuery downloads the view of a directory query string.
func (a *app) exportQuery(c echo.Context, raw string, bom bool) error {
	ex, ok := a.index.(indexExporter)
	indexed := ok && a.indexState(c).ready
	q, problems := parseDirectoryQuery(raw, indexed)
	if len(problems) > 0 {
		return &pageError{Status: http.StatusBadRequest, Title: "This view cannot be exported",
			Message: problems[0].Message + " Correct the search in the directory, then export again.",
			BackURL: "/customers", BackLabel: "Back to customers"}
	}
	api := a.client(c)
	if indexed {
		merchant := sessionOf(c).MerchantID()
		iq := q.indexQuery()
		return a.streamCSV(c, bom, func(ctx context.Context, emit emitFunc) error {
			return emitByID(ctx, api.Groups, func(yield func([]string) error) error {
				// The index reads several of Square's batches a query.
				return ex.EachID(ctx, merchant, iq, indexExportBatch, func(ids []string) error {
					for chunk := range slices.Chunk(ids, customerExportBatch) {
						// The chunk is handed to a call in flight: a copy.
						if err := yield(slices.Clone(chunk)); err != nil {
							return err
						}
					}
					return nil
				})
			}, emit)
		})
	}
	return a.streamCSV(c, bom, func(ctx context.Context, emit emitFunc) error {
		return squareView(ctx, api.Customers, q, emit)
	})
}

// squareView reads a view from Square, page by page as the directory
// does, 100 a page. A search of all fields at once (see searchField) runs
// one search per field, each customer given once.
func squareView(ctx context.Context, sq customerService, q directoryQuery, emit emitFunc) error {
	q.Cursor, q.size = "", customerExportBatch
	pages := func(first func(cursor string) (*square.CustomerPage, error), seen map[string]bool) error {
		cursor := ""
		for {
			page, err := first(cursor)
			if err != nil {
				return err
			}
			out := make([]*square.Customer, 0, len(page.Customers))
			for i := range page.Customers {
				cu := &page.Customers[i]
				if seen != nil {
					if seen[cu.ID] {
						continue
					}
					seen[cu.ID] = true
				}
				out = append(out, cu)
			}
			if err := emit(out); err != nil {
				return err
			}
			if page.Cursor == "" || page.Cursor == cursor {
				return nil
			}
			cursor = page.Cursor
		}
	}
	switch {
	case q.field == searchInAll:
		// The ids of the matches are kept to give each customer once:
		// a search matches few of a directory.
		seen := map[string]bool{}
		for _, field := range []string{searchInEmail, searchInPhone, searchInReference} {
			err := pages(func(cursor string) (*square.CustomerPage, error) {
				body := q.searchRequestIn(field)
				body.Cursor = cursor
				return sq.Search(ctx, body)
			}, seen)
			if err != nil {
				return err
			}
		}
		return nil
	case q.searched() || q.filtered():
		return pages(func(cursor string) (*square.CustomerPage, error) {
			body := q.searchRequest()
			body.Cursor = cursor
			return sq.Search(ctx, body)
		}, nil)
	}
	return pages(func(cursor string) (*square.CustomerPage, error) {
		params := q.listParams()
		params.Cursor = cursor
		return sq.List(ctx, params)
	}, nil)
}

// exportInFlight is how many BulkRetrieveCustomers calls an export has
// in flight, as many as a bulk job's.
const exportInFlight = jobs.DefaultWorkers

// emitByID reads from Square the customers of the id batches walk gives
// (each at most square.MaxBulk), exportInFlight calls at once, and emits
// them in walk's order; one Square no longer has (deleted since) is left
// out. At most exportInFlight+1 batches are held at any time.
func emitByID(ctx context.Context, api bulkGetter, walk func(yield func(ids []string) error) error, emit emitFunc) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		cs  []*square.Customer
		err error
	}
	queue := make(chan chan result, exportInFlight)
	walked := make(chan error, 1)
	go func() {
		defer close(queue)
		walked <- walk(func(ids []string) error {
			ch := make(chan result, 1)
			select {
			case queue <- ch:
			case <-ctx.Done():
				return ctx.Err()
			}
			go func() {
				res, err := api.BulkGet(ctx, ids)
				out := make([]*square.Customer, 0, len(ids))
				for _, id := range ids {
					if r, ok := res[id]; ok && r.Customer != nil {
						out = append(out, r.Customer)
					}
				}
				ch <- result{out, err}
			}()
			return nil
		})
	}()
	for ch := range queue {
		r := <-ch
		err := r.err
		if err == nil {
			err = emit(r.cs)
		}
		if err != nil {
			cancel()
			for range queue {
			}
			return err
		}
	}
	return <-walked
}

// chunksOf walks ids in batches of square.MaxBulk.
func chunksOf(ids []string) func(yield func([]string) error) error {
	return func(yield func([]string) error) error {
		for chunk := range slices.Chunk(ids, square.MaxBulk) {
			if err := yield(chunk); err != nil {
				return err
			}
		}
		return nil
	}
}

// exportSelected downloads the customers of the selection form: those
// ticked, the page's, or with "Select all N matching" the whole view.
func (a *app) exportSelected(c echo.Context) error {
	form := postedForm(c)
	back := backTo(form.Get("q"))
	bom := form.Get(paramBOM) == "1"
	if slices.Contains(form["a"], allMatch) {
		_, raw, _ := strings.Cut(back, "?")
		return a.exportQuery(c, raw, bom)
	}
	ids, err := a.selectedIDs(c, form, back)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashError, Message: "Tick at least one customer first."})
		return redirect(c, inSelectMode(back))
	}
	api := a.client(c)
	return a.streamCSV(c, bom, func(ctx context.Context, emit emitFunc) error {
		return emitByID(ctx, api.Groups, chunksOf(ids), emit)
	})
}

// streamCSV answers with the CSV file produce gives. The response starts
// with produce's first customers, so that an error before them (Square
// unreachable, the session's authorization ended) gets the error page;
// after them the file ends short and the log says why.
func (a *app) streamCSV(c echo.Context, bom bool, produce func(context.Context, emitFunc) error) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), exportTimeout)
	defer cancel()
	// Each batch is written under a deadline of its own (as the live
	// stream's events are), so the server's write timeout does not cut
	// the file, and a client that stops reading is given up.
	rc := http.NewResponseController(c.Response())
	var w *customercsv.Writer
	start := func() error {
		h := c.Response().Header()
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="tessera-customers-%s.csv"`, a.now().UTC().Format(dayLayout)))
		h.Set("X-Content-Type-Options", "nosniff")
		// Customers' personal data: no cache keeps a copy.
		h.Set("Cache-Control", "no-store")
		c.Response().WriteHeader(http.StatusOK)
		w = customercsv.NewWriter(c.Response(), customercsv.Options{BOM: bom})
		return w.WriteHeader()
	}
	if c.Request().Method == http.MethodHead {
		// The headers alone: an uptime checker or a link preview must not
		// cost 1,000 calls to Square.
		return start()
	}
	err := produce(ctx, func(cs []*square.Customer) error {
		if err := rc.SetWriteDeadline(time.Now().Add(streamWriteWindow)); err != nil {
			return err
		}
		if w == nil {
			if err := start(); err != nil {
				return err
			}
		}
		for _, cu := range cs {
			if err := w.Write(cu); err != nil {
				return err
			}
		}
		// Each batch goes out as it is written: the download shows
		// progress, and nothing piles up in memory.
		if err := w.Flush(); err != nil {
			return err
		}
		return rc.Flush()
	})
	if w == nil {
		if err != nil {
			return err
		}
		// A view of no customers: the header alone.
		if err := start(); err != nil {
			return nil
		}
		_ = w.Flush()
		return nil
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		// The status is sent: the file ends short, and the log says why.
		a.logger.WarnContext(ctx, "the customer export failed part way", slog.Any("err", err))
	}
	_ = w.Flush()
	return nil
}
