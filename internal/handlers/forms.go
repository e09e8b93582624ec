package handlers

import (
	"github.com/tessera-dashboard/tessera/internal/customercsv"

	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/textutil"
)

// errFormUnreadable is a form body that cannot be decoded, such as one with
// a broken %-escape.
var errFormUnreadable = &pageError{
	Status: http.StatusBadRequest, Title: "The form could not be read",
	Message: "The browser sent a form we could not read. Go back, check what you typed and try again.",
	BackURL: "/customers", BackLabel: "Go to customers",
}

// readForm parses a POST's form before anything reads it. Go's FormValue
// ignores parse errors, so without this a field with a broken escape was
// silently dropped, and a body over the limit looked like a missing CSRF
// token; now each gets its own clear answer and nothing is saved.
func readForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method != http.MethodPost {
			return next(c)
		}
		parse := req.ParseForm
		if isImportUpload(c) {
			// The file stays in memory, never in a temporary file on
			// disk: the body limit keeps it small enough.
			parse = func() error {
				err := req.ParseMultipartForm(customercsv.MaxFileBytes + 1<<20)
				if errors.Is(err, http.ErrNotMultipart) {
					return nil // a form without a file: the handler says so
				}
				return err
			}
		}
		if err := parse(); err != nil {
			var he *echo.HTTPError
			if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
				return he
			}
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return echo.ErrStatusRequestEntityTooLarge
			}
			return errFormUnreadable
		}
		// A POST's form is its body. Go's Form also holds the URL's query,
		// which would let a CSRF token travel in a URL (and a link carry
		// field values); handlers read query parameters on purpose only.
		req.Form = req.PostForm
		return next(c)
	}
}

// postedForm is the request's urlencoded body. The readForm middleware
// has parsed it, and answered a body it could not parse, before any
// handler runs; the query never counts.
func postedForm(c echo.Context) url.Values {
	return c.Request().PostForm
}

// postedVersion reads the customer version a form carries back: the one
// the person saw, which Square checks on update and delete.
func postedVersion(form url.Values) (int64, error) {
	version, err := strconv.ParseInt(form.Get("version"), 10, 64)
	if err != nil || version < 0 {
		return 0, errBadCustomerForm
	}
	return version, nil
}

// newIdempotencyKey mints the key a create form carries: 128 random bits
// from crypto/rand, 22 characters.
func newIdempotencyKey() string {
	return textutil.Token(16)
}

// validIdempotencyKey accepts the keys newIdempotencyKey makes, and no
// longer than Square takes.
func validIdempotencyKey(k string) bool {
	return len(k) >= 16 && len(k) <= 45 && textutil.IsIDSafe(k)
}
