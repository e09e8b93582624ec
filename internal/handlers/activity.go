package handlers

import (
	"encoding/csv"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/customercsv"
	"github.com/tessera-dashboard/tessera/internal/history"
	"github.com/tessera-dashboard/tessera/views"
)

// The history as people see it: a History section on each profile
// (GET /customers/:id?history=N#history), the Activity page of the merchant
// (GET /activity), filtered by customer, kind of change and dates, and its
// CSV export (GET /activity/export). Every read is scoped to the signed-in
// merchant; links page with plain URLs, so all of it works without
// JavaScript.

const (
	// profileHistorySize and activityPageSize are the entries per page.
	profileHistorySize = 10
	activityPageSize   = 50
	// maxHistoryPage bounds the page number a link can ask for, so that no
	// address makes the database skip millions of rows.
	maxHistoryPage = 10000
	// maxCustomerFilter bounds the customer filter, in characters.
	maxCustomerFilter = 200
	// exportBatch is how many entries the export reads at a time.
	exportBatch = 1000
)

// historyPage reads a 1-based page number; "" is the first page.
func historyPage(s string) (int, bool) {
	if s == "" {
		return 1, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxHistoryPage {
		return 1, false
	}
	return n, true
}

// historyEntry maps an entry to the view.
func historyEntry(e history.Entry) views.HistoryEntry {
	v := views.HistoryEntry{
		Kind: e.Kind.Label(), KindKey: string(e.Kind), Detail: e.Detail,
		Customer: e.CustomerName, CustomerURL: customerPath(e.CustomerID),
		CustomerActivityURL: "/activity?customer=" + url.QueryEscape(e.CustomerID),
		At:                  formatTime(e.At), AtISO: e.At.UTC().Format(time.RFC3339),
	}
	if v.Customer == "" {
		v.Customer = "Customer " + e.CustomerID
	}
	for _, c := range e.Changes {
		v.Changes = append(v.Changes, views.CustomerChange{Label: c.Label, Before: c.From, After: c.To})
	}
	if e.Card != nil {
		v.Card = e.Card.Brand
		if e.Card.Last4 != "" {
			v.Card += " ending in " + e.Card.Last4
		}
	}
	v.Who, v.NameGiven = entryWho(e)
	v.Browser, v.Address = e.UserAgent, e.RemoteAddr
	return v
}

// entryWho says who made a change: the name as given, or why there is none.
func entryWho(e history.Entry) (string, bool) {
	switch {
	case e.Kind == history.ChangedInSquare:
		return "Made in Square or an app connected to it", false
	case e.Actor == "":
		return "Made through Tessera; no name was given at sign-in", false
	}
	return e.Actor, true
}

// historyList maps a page of entries, with links to the pages around it.
func historyList(p history.Page, page int, pageURL func(int) string, empty string) views.HistoryList {
	v := views.HistoryList{Empty: empty}
	for _, e := range p.Entries {
		v.Entries = append(v.Entries, historyEntry(e))
	}
	if page > 1 {
		v.NewerURL = pageURL(page - 1)
	}
	if p.More && page < maxHistoryPage {
		v.OlderURL = pageURL(page + 1)
	}
	return v
}

// profileHistory is a customer's History section. A failure to read it is
// said in the section: the profile is still worth showing.
func (a *app) profileHistory(c echo.Context, id string) *views.HistoryList {
	if a.history == nil {
		return nil
	}
	page, _ := historyPage(c.QueryParam("history"))
	pageURL := func(n int) string {
		q := url.Values{}
		if n > 1 {
			q.Set("history", strconv.Itoa(n))
		}
		if c.QueryParam("removed") == "1" {
			q.Set("removed", "1")
		}
		u := customerPath(id)
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		return u + "#history"
	}
	p, err := a.history.List(c.Request().Context(), sessionOf(c).MerchantID(), history.Filter{CustomerID: id},
		(page-1)*profileHistorySize, profileHistorySize)
	if err != nil {
		a.logger.WarnContext(c.Request().Context(), "reading a customer's history failed", slog.Any("err", err))
		return &views.HistoryList{Empty: "The history could not be read just now. Reload the page to try again."}
	}
	empty := "No changes are on record for this customer yet."
	if page > 1 {
		empty = "There are no older changes."
	}
	v := historyList(p, page, pageURL, empty)
	return &v
}

// activityQuery is the Activity page's filters as read from the URL.
type activityQuery struct {
	customer, kind, from, to string
	page                     int
	filter                   history.Filter
}

// values are the filters as a query string, without the page.
func (q activityQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"customer": q.customer, "kind": q.kind, "from": q.from, "to": q.to} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// parseActivityQuery reads and checks the filters; each problem is a
// message tied to its input.
func parseActivityQuery(c echo.Context) (activityQuery, []views.FieldError) {
	q := activityQuery{
		customer: strings.TrimSpace(c.QueryParam("customer")), kind: c.QueryParam("kind"),
		from: strings.TrimSpace(c.QueryParam("from")), to: strings.TrimSpace(c.QueryParam("to")),
	}
	var errs []views.FieldError
	bad := func(id, msg string) { errs = append(errs, views.FieldError{FieldID: id, Message: msg}) }
	if !utf8.ValidString(q.customer) || utf8.RuneCountInString(q.customer) > maxCustomerFilter {
		bad(views.ActivityCustomerID, fmt.Sprintf("The customer can be at most %d characters of a name or an ID. Shorten it.", maxCustomerFilter))
		q.customer = ""
	}
	q.filter.Customer = q.customer
	if q.kind != "" {
		k, ok := history.ParseKind(q.kind)
		if !ok {
			bad(views.ActivityKindID, "Choose a kind of change from the list.")
		}
		q.filter.Kind = k
	}
	from, okFrom := parseDay(q.from)
	if !okFrom {
		bad(views.ActivityFromID, "Enter “From” as a date, such as 2026-03-01.")
	}
	to, okTo := parseDay(q.to)
	if !okTo {
		bad(views.ActivityToID, "Enter “To” as a date, such as 2026-03-31.")
	}
	if okFrom && okTo && !from.IsZero() && !to.IsZero() && to.Before(from) {
		bad(views.ActivityToID, "“To” is before “From”. Swap the dates or change one of them.")
	}
	q.filter.From = from
	if !to.IsZero() {
		// The To day is included: entries before the next day's start.
		q.filter.To = to.AddDate(0, 0, 1)
	}
	page, ok := historyPage(c.QueryParam("page"))
	if !ok {
		errs = append(errs, views.FieldError{Message: "This link points to a page of changes that is not valid. Start again from the first page."})
	}
	q.page = page
	return q, errs
}

// activityView is the page's form as typed, with its problems.
func activityView(q activityQuery, errs []views.FieldError) views.ActivityView {
	v := views.ActivityView{Customer: q.customer, Kind: q.kind, From: q.from, To: q.to, Errors: errs, Invalid: map[string]bool{}}
	for _, e := range errs {
		if e.FieldID != "" {
			v.Invalid[e.FieldID] = true
		}
	}
	v.Kinds = []views.Option{{Value: "", Label: "Any change", Selected: q.kind == ""}}
	for _, k := range history.Kinds() {
		v.Kinds = append(v.Kinds, views.Option{Value: string(k), Label: k.Label(), Selected: q.kind == string(k)})
	}
	return v
}

// activity is the Activity page.
func (a *app) activity(c echo.Context) error {
	if a.history == nil {
		return errNotFound
	}
	q, errs := parseActivityQuery(c)
	v := activityView(q, errs)
	l := a.layout(c, "Activity", views.NavActivity)
	if len(errs) > 0 {
		v.List.Empty = "Correct the filters to see the changes."
		return render(c, http.StatusUnprocessableEntity, views.ActivityPage(l, v))
	}
	p, err := a.history.List(c.Request().Context(), sessionOf(c).MerchantID(), q.filter, (q.page-1)*activityPageSize, activityPageSize)
	if err != nil {
		return err
	}
	filters := q.values()
	pageURL := func(n int) string {
		vs := q.values()
		if n > 1 {
			vs.Set("page", strconv.Itoa(n))
		}
		if len(vs) == 0 {
			return "/activity"
		}
		return "/activity?" + vs.Encode()
	}
	empty := "No changes are on record yet."
	switch {
	case q.page > 1:
		empty = "There are no older changes."
	case len(filters) > 0:
		empty = "No changes match these filters."
	}
	v.List = historyList(p, q.page, pageURL, empty)
	v.ExportURL = "/activity/export"
	if len(filters) > 0 {
		v.ExportURL += "?" + filters.Encode()
	}
	return render(c, http.StatusOK, views.ActivityPage(l, v))
}

// csvHeader names the export's columns.
var csvHeader = []string{"Time (UTC)", "Customer", "Customer ID", "Change", "Detail", "Fields changed", "Card", "Made by (name as given)", "Browser", "Address"}

// activityExport downloads the filtered entries as CSV, newest first. A
// spreadsheet would run a cell that starts like a formula, so every such
// cell is made text (see customercsv.SafeCell).
func (a *app) activityExport(c echo.Context) error {
	if a.history == nil {
		return errNotFound
	}
	q, errs := parseActivityQuery(c)
	if len(errs) > 0 {
		v := activityView(q, errs)
		v.List.Empty = "Correct the filters to export the changes."
		return render(c, http.StatusUnprocessableEntity, views.ActivityPage(a.layout(c, "Activity", views.NavActivity), v))
	}
	ctx := c.Request().Context()
	merchantID := sessionOf(c).MerchantID()
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="tessera-activity-%s.csv"`, a.now().UTC().Format(dayLayout)))
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	if err := w.Write(csvHeader); err != nil {
		return nil
	}
	for offset := 0; ; offset += exportBatch {
		p, err := a.history.List(ctx, merchantID, q.filter, offset, exportBatch)
		if err != nil {
			// The status is sent: the file ends short, and the log says why.
			a.logger.WarnContext(ctx, "the activity export failed part way", slog.Any("err", err))
			break
		}
		for _, e := range p.Entries {
			if err := w.Write(csvRow(e)); err != nil {
				return nil
			}
		}
		if !p.More {
			break
		}
	}
	w.Flush()
	return nil
}

// csvRow is one entry as a row of the export.
func csvRow(e history.Entry) []string {
	var fields []string
	for _, ch := range e.Changes {
		fields = append(fields, fmt.Sprintf("%s: %s → %s", ch.Label, orNone(ch.From), orNone(ch.To)))
	}
	card := ""
	if e.Card != nil {
		card = strings.TrimSpace(e.Card.Brand + " " + e.Card.Last4)
	}
	who, _ := entryWho(e)
	row := []string{
		e.At.UTC().Format("2006-01-02 15:04:05"), e.CustomerName, e.CustomerID, e.Kind.Label(), e.Detail,
		strings.Join(fields, "; "), card, who, e.UserAgent, e.RemoteAddr,
	}
	for i, s := range row {
		row[i] = customercsv.SafeCell(s)
	}
	return row
}

// orNone shows an empty value in the export.
func orNone(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}
