package handlers

import (
	"bytes"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// renderBuffers are the buffers pages are rendered into, kept for reuse:
// grown afresh for every request, one for a directory page of tens of
// kilobytes allocated about three times the page, a third of all the bytes
// the request allocated.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledRender is the largest buffer kept for reuse, so that one
// unusually large page does not stay in memory.
const maxPooledRender = 1 << 20

// render writes a templ component with the given status. It renders into a
// buffer first, so a failing component becomes an error page rather than
// half a page after a 200.
func render(c echo.Context, status int, component templ.Component) error {
	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	// The response writers copy what they are given before Write returns,
	// so the buffer is free again once Blob has returned.
	defer func() {
		if buf.Cap() <= maxPooledRender {
			renderBuffers.Put(buf)
		}
	}()
	if err := component.Render(c.Request().Context(), buf); err != nil {
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
