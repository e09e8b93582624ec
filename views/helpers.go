package views

import (
	"encoding/json"

	"golang.org/x/text/unicode/bidi"
)

// htmxConfig is the content of <meta name="htmx-config">, which htmx reads
// at start-up. It is here rather than in JavaScript so the policy is in one
// place and needs no inline script.
//
//   - allowEval, allowScriptTags: the CSP forbids eval and inline scripts;
//     htmx must not try them.
//   - includeIndicatorStyles: htmx would add an inline <style> the CSP
//     blocks; app.css styles .htmx-indicator instead.
//   - historyCacheSize 0, refreshOnHistoryMiss: no page is kept in
//     sessionStorage, and going back reloads the page from the server (a full
//     page, not an HX-Request fragment), which sends fresh, no-store data.
//   - historyRestoreAsHxRequest false: should htmx fetch a page to restore
//     history after all, it asks for the full page, not a fragment.
//   - selfRequestsOnly: the CSRF header in hx-headers never goes elsewhere.
//   - responseHandling: 409 and 422 carry the form again with its messages
//     and are swapped like a 200. Other 4xx and 5xx answers carry an Alert
//     (see Alert): only its .alert element is taken, into #alerts, whatever
//     the element's own hx-target, hx-swap or hx-select say; app.js shows a
//     generic message when an answer holds none (a proxy's error page).
const htmxConfig = `{"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false,` +
	`"historyCacheSize":0,"refreshOnHistoryMiss":true,"historyRestoreAsHxRequest":false,"selfRequestsOnly":true,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},` +
	`{"code":"409","swap":true,"error":false},{"code":"422","swap":true,"error":false},` +
	`{"code":"[45]..","swap":true,"error":true,"target":"#alerts","swapOverride":"innerHTML","select":".alert"}]}`

// csrfHeaders is the hx-headers value that makes htmx send the CSRF token.
// JSON encoding quotes the token whatever it holds, and templ then escapes
// the attribute.
func csrfHeaders(token string) string {
	b, _ := json.Marshal(struct {
		Token string `json:"X-CSRF-Token"`
	}{token}) // A struct of one string cannot fail to encode.
	return string(b)
}

// pageTitle is the document's title. When the page's part holds
// right-to-left text or a direction control (a customer's name may), it is
// isolated (U+2068 … U+2069), so that it cannot reorder the rest of the
// title; other titles are left as they are.
func pageTitle(title string) string {
	if title == "" {
		return "Tessera"
	}
	if needsIsolation(title) {
		title = "\u2068" + title + "\u2069"
	}
	return title + " · Tessera"
}

// needsIsolation reports whether s holds right-to-left letters or
// direction controls.
func needsIsolation(s string) bool {
	for _, r := range s {
		p, _ := bidi.LookupRune(r)
		switch p.Class() {
		case bidi.R, bidi.AL, bidi.LRE, bidi.RLE, bidi.LRO, bidi.RLO, bidi.PDF, bidi.LRI, bidi.RLI, bidi.FSI, bidi.PDI:
			return true
		}
	}
	return false
}

func signedIn(l Layout) bool {
	return l.BusinessName != ""
}

// flashClass maps a Flash.Kind to its CSS class, so an unexpected kind can't
// put arbitrary text into the class attribute.
func flashClass(kind string) string {
	switch kind {
	case FlashSuccess:
		return "alert alert-success"
	case FlashError:
		return "alert alert-error"
	default:
		return "alert alert-info"
	}
}

func errorTitle(v ErrorView) string {
	if v.Title == "" {
		return "Something went wrong"
	}
	return v.Title
}

func fieldID(f Field) string {
	if f.ID == "" {
		return "field-" + f.Name
	}
	return f.ID
}

func fieldType(f Field) string {
	if f.Type == "" {
		return "text"
	}
	return f.Type
}

// describedBy lists the ids of the hint and the error of f for
// aria-describedby; empty when there are none.
func describedBy(f Field) string {
	ids := ""
	if f.Hint != "" {
		ids = fieldID(f) + "-hint"
	}
	if f.Error != "" {
		if ids != "" {
			ids += " "
		}
		ids += fieldID(f) + "-error"
	}
	return ids
}

// notAvailable stands in for a value the connection page could not get.
const notAvailable = "Not available"

func orDefault(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
