package handlers

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/views"
)

// ctxSelecting marks a directory request of /customers/select.
const ctxSelecting = "tessera.selecting"

// selectPrefix is the address of the directory in selection mode.
const selectPrefix = "/customers/select"

// selectCustomers is the directory in selection mode: a checkbox per row
// and the bulk actions. It is a mode of its own, one link away, because
// 50 checkboxes with their names cost the directory's first load about
// 600 bytes of its 30 KB budget, which it does not have.
func (a *app) selectCustomers(c echo.Context) error {
	c.Set(ctxSelecting, true)
	return a.customers(c)
}

// inSelectMode turns a directory address into its selection-mode twin.
func inSelectMode(u string) string {
	if rest, ok := strings.CutPrefix(u, "/customers?"); ok {
		return selectPrefix + "?" + rest
	}
	if u == "/customers" {
		return selectPrefix
	}
	return u
}

// bulkView adds the bulk actions to a directory view with rows: in
// selection mode the form (with "Select all N matching" when the index
// serves a search or filter and has counted it), otherwise the link.
func (a *app) bulkView(c echo.Context, q directoryQuery, pg *directoryPage, v *views.CustomersView) {
	if a.jobs == nil || pg == nil || len(v.Rows) == 0 {
		return
	}
	if selecting, _ := c.Get(ctxSelecting).(bool); !selecting {
		v.SelectURL = inSelectMode(q.here())
		return
	}
	ids := make([]string, len(v.Rows))
	for i, r := range v.Rows {
		ids[i] = r.ID
	}
	b := &views.BulkBar{CSRFToken: csrfToken(c), Query: q.here(), PageIDs: strings.Join(ids, " ")}
	if q.indexed && v.Filtered && pg.total != nil && !pg.atLeast {
		b.Matching = thousands(*pg.total)
	}
	v.Bulk = b
	v.NextURL, v.PrevURL, v.FirstURL = inSelectMode(v.NextURL), inSelectMode(v.PrevURL), inSelectMode(v.FirstURL)
}
