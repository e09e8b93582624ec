package handlers

import (
	"bytes"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// render writes a templ component with the given status. It renders into a
// buffer first, so a failing component becomes an error page rather than
// half a page after a 200.
func render(c echo.Context, status int, component templ.Component) error {
	var buf bytes.Buffer
	if err := component.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	// Pages carry customer data or session state: no cache may keep them,
	// so the back button after sign-out shows nothing.
	h.Set("Cache-Control", "no-store")
	if isHTMX(c) {
		h.Add("Vary", hxRequest)
	}
	return c.Blob(status, echo.MIMETextHTMLCharsetUTF8, buf.Bytes())
}
