package main

import (
	"bytes"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestScannersReadPagesAsTheDOMDoes checks the tokenizer-based readers
// against a reading of the parsed DOM, on real pages of a running Tessera:
// a directory page, the edit form of a customer and the new-customer form.
func TestScannersReadPagesAsTheDOMDoes(t *testing.T) {
	ts, err := startTessera(t.Context(), 60, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ts.close() })
	b, err := newBrowser(0, ts, newRecorder(100, false), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	b.stop = t.Context()
	if err := b.signIn(t.Context(), 0); err != nil {
		t.Fatal(err)
	}

	dir, err := b.request(t.Context(), kindDirectory, http.MethodGet, "/customers", nil, "", http.StatusOK)
	if err != nil {
		t.Fatal(err)
	}
	dirBody := plainBody(t, dir)
	rows, next := scanRows(dirBody)
	wantRows, wantNext := domRows(t, dirBody)
	if len(rows) != 50 || !reflect.DeepEqual(rows, wantRows) || next != wantNext || next == "" {
		t.Fatalf("scanRows: %d rows, next %q; the DOM: %d rows, next %q\nscanned %v\nDOM     %v", len(rows), next, len(wantRows), wantNext, rows, wantRows)
	}

	for _, target := range []string{"/customers/" + url.PathEscape(rows[3].ID) + "/edit", "/customers/new"} {
		page, err := b.request(t.Context(), kindEditForm, http.MethodGet, target, nil, "", http.StatusOK)
		if err != nil {
			t.Fatal(err)
		}
		body := plainBody(t, page)
		action, values, err := scanForm(body, "customer-form")
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		wantAction, wantValues := domForm(t, body, "customer-form")
		if action != wantAction || !reflect.DeepEqual(values, wantValues) {
			t.Errorf("%s: scanned action %q values\n%v\nthe DOM: action %q values\n%v", target, action, values, wantAction, wantValues)
		}
		if _, ok := values["country"]; !ok || values.Get("_csrf") == "" {
			t.Errorf("%s: no CSRF token or no country in %v", target, values)
		}
	}

	// The search's check finds a row by a byte search: it must say what
	// the tokenizer reads, for a piece of an email shown and for a miss.
	var email string
	for _, c := range b.seen {
		if searchToken(c.Email, b.rng) != "" {
			email = c.Email
			break
		}
	}
	hit := searchToken(email, b.rng)
	for _, c := range []struct {
		q    string
		rows bool
	}{{hit, true}, {"qqzzxxnomatch", false}} {
		target := "/customers?" + url.Values{"q": {c.q}, "field": {"email"}}.Encode()
		a, err := b.request(t.Context(), kindSearch, http.MethodGet, target, nil, "customer-results", http.StatusOK)
		if err != nil {
			t.Fatal(err)
		}
		body := plainBody(t, a)
		scanned, _ := scanRows(body)
		if got := bytes.Contains(body, searchRow); got != c.rows || got != (len(scanned) > 0) {
			t.Errorf("search %q: the byte search finds a row: %v; the tokenizer reads %d rows; want rows: %v", c.q, got, len(scanned), c.rows)
		}
	}

	if _, _, err := scanForm([]byte(`<html><body><form data-testid="other"></form>`), "customer-form"); err == nil {
		t.Error("scanForm found a form that is not there")
	}
}

// plainBody is an answer's body, gunzipped, copied out of the browser's
// buffers.
func plainBody(t *testing.T, a *answer) []byte {
	t.Helper()
	if !a.gzipped {
		t.Errorf("the answer came plain, want gzip as asked")
	}
	body, err := a.page()
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(body)
}

func domRows(t *testing.T, body []byte) (rows []customerRef, next string) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	doc.Find(`tr[data-testid="customer-row"]`).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-customer-id")
		rows = append(rows, customerRef{ID: id, Email: s.Find(`[data-testid="cell-email"]`).Text()})
	})
	next, _ = doc.Find(`a[data-testid="next-page"]`).Attr("href")
	return rows, next
}

// domForm reads a form as a browser submits it, from the parsed DOM.
func domForm(t *testing.T, body []byte, testID string) (string, url.Values) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	form := doc.Find(`form[data-testid="` + testID + `"]`)
	action, _ := form.Attr("action")
	values := url.Values{}
	form.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		if name == "" {
			return
		}
		switch goquery.NodeName(s) {
		case "input":
			typ, _ := s.Attr("type")
			_, checked := s.Attr("checked")
			if typ == "submit" || typ == "button" || (typ == "checkbox" || typ == "radio") && !checked {
				return
			}
			value, _ := s.Attr("value")
			values.Add(name, value)
		case "select":
			opt := s.Find("option[selected]").First()
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			value, ok := opt.Attr("value")
			if !ok {
				value = opt.Text()
			}
			values.Add(name, value)
		case "textarea":
			values.Add(name, s.Text())
		}
	})
	return action, values
}
