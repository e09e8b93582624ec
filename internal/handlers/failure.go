package handlers

import (
	"log/slog"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/views"
)

// writeFailure is how one kind of write answers when Square did not
// complete it: the words for each outcome, and the page that comes back.
type writeFailure struct {
	// action names the write in the log: "saving a customer".
	action string
	// notDone and maybeDone are the title and message when Square said it
	// did nothing, and when it may have done it after all.
	notDone, maybeDone views.Failure
	// alertForHTMX sends htmx only the message, into the page's alert
	// region: the form on the page still holds everything typed.
	alertForHTMX bool
	// page renders the page again with the failure above it.
	page func(status int, f *views.Failure) error
}

// writeFailed answers a write that Square did not complete: one log line
// (Square's code and field, never its detail, which can repeat what was
// typed), the status of the failure, and the page again, saying whether
// the change was not made or may have been and what to do.
func (a *app) writeFailed(c echo.Context, err error, w writeFailure, attrs ...slog.Attr) error {
	// After a timeout the request's context has ended; the page with what
	// was typed must still be rendered.
	defer detachContext(c)()
	ctx := c.Request().Context()
	a.logger.LogAttrs(ctx, slog.LevelError, w.action+" failed", append(attrs, slog.Any("err", err))...)
	status := squareFailure(err).Status
	f := w.notDone
	if customers.OutcomeOf(err) == customers.MaybeDone {
		f = w.maybeDone
	}
	f.RequestID = requestIDOf(c)
	if w.alertForHTMX && isHTMX(c) {
		return render(c, status, views.Alert(views.ErrorView{Status: status, Title: f.Title, Message: f.Message, RequestID: f.RequestID}))
	}
	return w.page(status, &f)
}
