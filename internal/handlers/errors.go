package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// pageError is a failure with the words a person should read. The cause,
// if any, goes to the log only.
type pageError struct {
	Status  int
	Title   string
	Message string
	// Back and Retry are optional links on the error page.
	BackURL, BackLabel   string
	RetryURL, RetryLabel string
	Cause                error
}

func (e *pageError) Error() string {
	if e.Cause != nil {
		return e.Title + ": " + e.Cause.Error()
	}
	return e.Title
}

func (e *pageError) Unwrap() error { return e.Cause }

// The failures that are the same wherever they happen.
var (
	errNotFound = &pageError{
		Status: http.StatusNotFound, Title: "Page not found",
		Message: "There is nothing at this address. It may have been moved or deleted.",
		BackURL: "/customers", BackLabel: "Go to customers",
	}
	errForbiddenCSRF = &pageError{
		Status: http.StatusForbidden, Title: "This form has expired",
		Message: "For your security the request was not carried out. Reload the page and try again.",
		BackURL: "/customers", BackLabel: "Go to customers",
	}
	errForbiddenCrossSite = &pageError{
		Status: http.StatusForbidden, Title: "Request refused",
		Message: "The request came from another site, so it was not carried out.",
		BackURL: "/customers", BackLabel: "Go to customers",
	}
)

// squareFailure turns an error from Square into what the person sees. The
// reason stays in the log; the page says what happened in plain words.
func squareFailure(err error) *pageError {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &pageError{Status: http.StatusGatewayTimeout, Title: "Square is taking too long",
			Message: "Square did not answer in time. Nothing was changed by this page; please try again.", Cause: err}
	case square.IsRateLimited(err):
		return &pageError{Status: http.StatusServiceUnavailable, Title: "Square is busy",
			Message: "Square asked us to slow down. Please wait a moment and try again.", Cause: err}
	case square.IsUnavailable(err):
		return &pageError{Status: http.StatusServiceUnavailable, Title: "Square is unavailable",
			Message: "Square cannot take requests right now. Please try again in a moment.", Cause: err}
	case square.IsNotFound(err):
		return &pageError{Status: http.StatusNotFound, Title: "Not found",
			Message: "Square has no such record. It may have been deleted.",
			BackURL: "/customers", BackLabel: "Go to customers", Cause: err}
	default:
		return &pageError{Status: http.StatusBadGateway, Title: "Square is not answering",
			Message: "We could not reach Square just now. Please try again in a moment.", Cause: err}
	}
}

// errorHandlingTimeout bounds what the error handler does after the
// request's own deadline: ending a session and rendering the page.
const errorHandlingTimeout = 5 * time.Second

// errorHandler is Echo's one error handler: it renders an error page, or
// for htmx an alert fragment for the page's alert region, with the request
// id. Error texts never reach the page.
func (a *app) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	// By now the request's context has ended: the deadline middleware
	// cancels it as the handler returns (Echo calls us afterwards), and a
	// timeout has expired it anyway. templ refuses to render on an ended
	// context and the database refuses to write, so without this every
	// error page came out as an empty 200 and a session Square had ended
	// could not be deleted. The detached context keeps the request's values
	// (the CSP nonce) and gets a bound of its own.
	defer detachContext(c)()
	pe := a.classify(err, c)
	if pe == nil {
		return
	}
	if pe.Status >= 500 {
		a.logger.ErrorContext(c.Request().Context(), "request failed",
			slog.String("path", c.Request().URL.Path), slog.Any("err", err))
	} else if pe.Cause != nil {
		a.logger.InfoContext(c.Request().Context(), "request refused",
			slog.String("path", c.Request().URL.Path), slog.Any("err", err))
	}
	v := views.ErrorView{
		Status: pe.Status, Title: pe.Title, Message: pe.Message, RequestID: requestIDOf(c),
		BackURL: pe.BackURL, BackLabel: pe.BackLabel, RetryURL: pe.RetryURL, RetryLabel: pe.RetryLabel,
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(pe.Status)
		return
	}
	if isHTMX(c) {
		// A failed request must not change the address bar.
		c.Response().Header().Set(hxPushURL, "false")
		_ = render(c, pe.Status, views.Alert(v))
		return
	}
	_ = render(c, pe.Status, views.ErrorPage(a.layout(c, pe.Title, ""), v))
}

// classify maps any error to a page error. It returns nil when it has
// answered itself (an expired session on an htmx request).
func (a *app) classify(err error, c echo.Context) *pageError {
	var pe *pageError
	if errors.As(err, &pe) {
		return pe
	}
	if square.IsAuth(err) {
		// Square no longer accepts the token (revoked in the Square
		// dashboard, or expired): the session is over.
		a.endSession(c)
		_ = a.toLogin(c)
		return nil
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return errNotFound
		case http.StatusMethodNotAllowed:
			return &pageError{Status: he.Code, Title: "Not allowed", Message: "This address does not take that kind of request.",
				BackURL: "/customers", BackLabel: "Go to customers"}
		case http.StatusRequestEntityTooLarge:
			return &pageError{Status: he.Code, Title: "Too much data", Message: "The form sent more data than we accept. Please shorten it and try again."}
		case http.StatusForbidden:
			return errForbiddenCSRF
		}
		if he.Code < 500 {
			return &pageError{Status: he.Code, Title: "The request could not be understood",
				Message: "Please go back and try again.", BackURL: "/customers", BackLabel: "Go to customers", Cause: err}
		}
	}
	if square.IsError(err) || errors.Is(err, context.DeadlineExceeded) || isNetworkError(err) {
		return squareFailure(err)
	}
	return &pageError{Status: http.StatusInternalServerError, Title: "Something went wrong",
		Message: "An unexpected error stopped this page. It has been logged; please try again.", Cause: err}
}

// isNetworkError reports an error from reaching Square rather than from us.
func isNetworkError(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne)
}

// detachContext lets the request's context outlive its deadline for a
// while: after a timeout, the error page or the typed form must still be
// rendered, and templ refuses an ended context. The detached context keeps
// the request's values (the CSP nonce). It returns the function that
// releases the new context.
func detachContext(c echo.Context) context.CancelFunc {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), errorHandlingTimeout)
	c.SetRequest(c.Request().WithContext(ctx))
	return cancel
}
