package squarelocal

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"
)

// The stand-in for Square's Web Payments SDK script (docs/square.md#web-payments-sdk),
// served where Square serves it: /v1/square.js. See square.js.

//go:embed square.js
var squareJSSource []byte

// squareJSETag lets browsers revalidate the script cheaply.
var squareJSETag = func() string {
	sum := sha256.Sum256(squareJSSource)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

func (s *Server) squareJS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", squareJSETag)
	h.Set("X-Content-Type-Options", "nosniff")
	// Pages on another origin load the script too, as they load Square's.
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	http.ServeContent(w, r, "square.js", time.Time{}, bytes.NewReader(squareJSSource))
}
