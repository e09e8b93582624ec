package handlers

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// allFields are the fields Auto searches at once when the text could be
// part of any of them, in the order their matches are merged and named.
var allFields = []struct{ field, label, plural string }{
	{searchInEmail, "Email", "email addresses"},
	{searchInPhone, "Phone", "phone numbers"},
	{searchInReference, "Reference id", "reference ids"},
}

// fieldSearch is one field's share of a search of all fields.
type fieldSearch struct {
	field, label, plural string
	page                 *square.CustomerPage
	err                  error
}

// squareSearchAll serves Auto's search of text that is neither clearly an
// email address nor a phone number, while Square serves the directory.
// Square's SearchCustomers matches one field per call, so email, phone and
// reference id are searched at once, one call each, and their first pages
// merged into one page: each customer once, in the view's order. A field
// Square could not search leaves its matches out and the page says which;
// only when every field failed is it a failure of the page.
//
// The merged page has no next page (three cursors cannot make one); when
// a field has more matches, the page says so, and the links to each field
// alone page through it with Square's cursors.
func (a *app) squareSearchAll(c echo.Context, q directoryQuery, info *merchantInfo) error {
	ctx := c.Request().Context()
	// A field Square is slow to search gets part of the request's time, so
	// that the others' matches can still be shown with a word about it.
	searchCtx, cancel := partOfDeadline(ctx, 3, 4)
	searches := searchFields(searchCtx, a.client(c), q)
	cancel()

	var failed []fieldSearch
	var firstErr error
	for _, s := range searches {
		if s.err == nil {
			continue
		}
		// An ended authorization ends the session whichever call saw it;
		// a request the person left needs no answer.
		if square.IsAuth(s.err) || ctx.Err() == context.Canceled {
			return s.err
		}
		failed = append(failed, s)
		firstErr = cmp.Or(firstErr, s.err)
	}
	if len(failed) == len(searches) {
		return a.directoryFailure(c, q, info, firstErr)
	}
	for _, s := range failed {
		// Only the field and Square's code: Square's detail may repeat the
		// search, which logs must not hold.
		a.logger.WarnContext(ctx, "directory search of one field failed; the others are shown",
			slog.String("field", s.field), slog.String("code", square.ErrorCode(s.err)), slog.Any("err", s.err))
	}

	pg, more := mergeFieldPages(q, info, searches)
	note := &views.SearchNote{Text: "Searched " + joinWords(fieldWords(searches, false)) + " at once."}
	if more {
		note.More = "More customers match than this page shows. Search one field to see them all."
	}
	if len(failed) > 0 {
		note.Failed = "Square could not search " + joinWords(fieldWords(failed, true)) + " just now, so matches there are missing."
		note.RetryURL = q.here()
	}
	for _, s := range searches {
		one := q
		one.Field = s.field
		note.Fields = append(note.Fields, views.NoteLink{Label: s.label, URL: one.url("")})
	}
	pg.note = note
	return a.renderDirectory(c, http.StatusOK, q, info, pg, nil)
}

// searchFields runs the search of each field of allFields at once. The
// phone number is searched only for a text of digits and punctuation:
// Square's fuzzy phone search ignores letters, so `adaeze1999` would match
// every phone number with 1999 in it, and a text without digits every
// phone number at all.
func searchFields(ctx context.Context, api merchantAPI, q directoryQuery) []fieldSearch {
	var searches []fieldSearch
	for _, f := range allFields {
		if f.field == searchInPhone && (!strings.ContainsFunc(q.Query, unicode.IsDigit) || strings.ContainsFunc(q.Query, unicode.IsLetter)) {
			continue
		}
		searches = append(searches, fieldSearch{field: f.field, label: f.label, plural: f.plural})
	}
	fns := make([]func(), len(searches))
	for i := range searches {
		s := &searches[i]
		fns[i] = func() { s.page, s.err = api.Customers.Search(ctx, q.searchRequestIn(s.field)) }
	}
	runParallel(fns...)
	return searches
}

// mergeFieldPages merges the fields' first pages into one: each customer
// once, in the view's order (by created date, or by the name the
// directory shows), ties in the order of allFields and of Square's
// answers, at most a page. more says that further customers match: a field
// has another page, or the merged matches fill more than one page. The
// total is known only when nothing more matches.
func mergeFieldPages(q directoryQuery, info *merchantInfo, searches []fieldSearch) (*directoryPage, bool) {
	type match struct {
		c   index.Customer
		row views.CustomerRow
	}
	seen := map[string]bool{}
	var matches []match
	more := false
	for _, s := range searches {
		if s.page == nil {
			continue
		}
		more = more || s.page.Cursor != ""
		for _, cu := range s.page.Customers {
			if seen[cu.ID] {
				continue
			}
			seen[cu.ID] = true
			r := customerRow(cu)
			if info != nil {
				r.Groups = groupNames(cu.GroupIDs, info)
			}
			matches = append(matches, match{c: index.FromSquare(&cu), row: r})
		}
	}
	slices.SortStableFunc(matches, func(x, y match) int {
		var o int
		if q.Sort == sortByCreated {
			o = x.c.CreatedAt.Compare(y.c.CreatedAt)
		} else {
			o = cmp.Compare(strings.ToLower(x.row.Name), strings.ToLower(y.row.Name))
		}
		if q.Order == orderDesc {
			o = -o
		}
		return o
	})
	if len(matches) > q.size {
		matches, more = matches[:q.size], true
	}
	pg := &directoryPage{}
	for _, m := range matches {
		pg.rows = append(pg.rows, m.row)
	}
	if !more {
		n := int64(len(pg.rows))
		pg.total = &n
	}
	return pg, more
}

// fieldWords names the fields of searches in words: "email, phone and
// reference id", or with plural "email addresses, …".
func fieldWords(searches []fieldSearch, plural bool) []string {
	words := make([]string, 0, len(searches))
	for _, s := range searches {
		w := strings.ToLower(s.label)
		if plural {
			w = s.plural
		}
		words = append(words, w)
	}
	return words
}

// joinWords joins words as a sentence lists them: "a", "a and b", "a, b
// and c".
func joinWords(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
