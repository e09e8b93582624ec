package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// htmx request and response headers, in one place.
const (
	hxRequest        = "HX-Request"
	hxHistoryRestore = "HX-History-Restore-Request"
	hxRedirect       = "HX-Redirect"
	hxPushURL        = "HX-Push-Url"
	// hxTarget is the id of the element an htmx request will swap: the
	// directory answers its search form, its results and its pager apart.
	hxTarget = "HX-Target"
)

// isHTMX reports whether htmx sent the request and wants a fragment. A
// history-restore request wants the whole page, as a plain one does.
func isHTMX(c echo.Context) bool {
	h := c.Request().Header
	return h.Get(hxRequest) == "true" && h.Get(hxHistoryRestore) != "true"
}

// redirect sends the browser to path: a 303 for plain requests, and for
// htmx an HX-Redirect, so a full page is loaded rather than swapped into a
// fragment's target.
func redirect(c echo.Context, path string) error {
	if isHTMX(c) {
		c.Response().Header().Set(hxRedirect, path)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, path)
}
