package handlers_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/static"
)

// Page-weight budgets. Bytes do not vary from run to run the way time
// does, so they are enforced as tests: a page that grows past its budget
// fails here, naming what grew. Sizes are of the bodies as transferred
// with gzip, as a browser asks for them; headers are not counted.

// Budgets, in bytes as transferred.
const (
	// budgetDirectoryFirstLoad is the directory of 50 rows loaded with an
	// empty cache: the HTML and every stylesheet and script it names.
	budgetDirectoryFirstLoad = 30 * 1024
	// budgetSearchPartial is the results region htmx swaps in for a search.
	budgetSearchPartial = 8 * 1024
)

// transfer is one response as the network carried it.
type transfer struct {
	target   string
	bytes    int    // the body as transferred
	raw      int    // the body after decompression
	encoding string // Content-Encoding, "" for none
	body     []byte // decompressed
}

// fetchGzip asks for target as a browser does, accepting gzip, and
// returns the body both as transferred and decompressed. It fails the test
// unless the status is 200.
func fetchGzip(t *testing.T, b *browser, target string, header ...string) transfer {
	t.Helper()
	resp := b.send(http.MethodGet, target, nil, headers(append(header, "Accept-Encoding", "gzip")...))
	defer resp.Body.Close()
	wire, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", target, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200\n%s", target, resp.StatusCode, truncate(string(wire)))
	}
	tr := transfer{target: target, bytes: len(wire), encoding: resp.Header.Get("Content-Encoding"), body: wire}
	switch tr.encoding {
	case "":
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(wire))
		if err != nil {
			t.Fatalf("GET %s: Content-Encoding gzip, but: %v", target, err)
		}
		if tr.body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("GET %s: decompressing: %v", target, err)
		}
	default:
		t.Fatalf("GET %s: Content-Encoding = %q, want gzip or none", target, tr.encoding)
	}
	tr.raw = len(tr.body)
	return tr
}

// describe lists transfers heaviest first, one a line, with their total.
func describe(ts []transfer) (string, int) {
	ts = slices.Clone(ts)
	slices.SortStableFunc(ts, func(a, b transfer) int { return b.bytes - a.bytes })
	var sb strings.Builder
	total := 0
	for _, tr := range ts {
		total += tr.bytes
		enc := tr.encoding
		if enc == "" {
			enc = "uncompressed"
		}
		fmt.Fprintf(&sb, "\n  %7d B  %-60s (%s, %d B decompressed)", tr.bytes, tr.target, enc, tr.raw)
	}
	fmt.Fprintf(&sb, "\n  %7d B  total", total)
	return sb.String(), total
}

// assets are the stylesheets and scripts a page names, in page order.
// assets names the stylesheets and scripts a page loads; a script it
// prefetches (htmx on the directory, views.Layout.HTMXOnDemand) counts as
// loaded, since the browser fetches it while the page is idle.
func assets(t *testing.T, html []byte) (styles, scripts []string) {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(html))
	if err != nil {
		t.Fatalf("parsing the page: %v", err)
	}
	doc.Find(`link[rel~="stylesheet"][href]`).Each(func(_ int, s *goquery.Selection) {
		styles = append(styles, s.AttrOr("href", ""))
	})
	doc.Find(`script[src]`).Each(func(_ int, s *goquery.Selection) {
		scripts = append(scripts, s.AttrOr("src", ""))
	})
	doc.Find(`link[rel~="prefetch"][href$=".js"]`).Each(func(_ int, s *goquery.Selection) {
		scripts = append(scripts, s.AttrOr("href", ""))
	})
	return styles, scripts
}

func TestTheDirectoryFirstLoadStaysWithinItsBudget(t *testing.T) {
	checkFirstLoad(t, newCustEnv(t, 0), "directory first load")
}

func TestTheIndexedDirectoryFirstLoadStaysWithinItsBudget(t *testing.T) {
	e, _ := newIndexedEnv(t)
	checkFirstLoad(t, e, "directory first load from the index")
}

// checkFirstLoad weighs the directory's first load: the page and every
// stylesheet and script it names.
func checkFirstLoad(t *testing.T, e *custEnv, what string) {
	t.Helper()
	page := fetchGzip(t, e.b, "/customers")
	if rows := bytes.Count(page.body, []byte(`data-testid="customer-row"`)); rows != 50 {
		t.Fatalf("GET /customers shows %d rows, want 50", rows)
	}
	styles, scripts := assets(t, page.body)
	if len(styles) == 0 || len(scripts) == 0 {
		t.Fatalf("GET /customers names stylesheets %q and scripts %q, want some of each", styles, scripts)
	}
	all := []transfer{page}
	for _, ref := range slices.Concat(styles, scripts) {
		u, err := url.Parse(ref)
		if err != nil || u.Host != "" {
			t.Fatalf("GET /customers names %q, want a path on this server", ref)
		}
		all = append(all, fetchGzip(t, e.b, ref))
	}
	list, total := describe(all)
	t.Logf("%s, as transferred with gzip (budget %d B):%s", what, budgetDirectoryFirstLoad, list)
	if total > budgetDirectoryFirstLoad {
		t.Errorf("%s = %d B as transferred, want at most %d B; heaviest first:%s", what, total, budgetDirectoryFirstLoad, list)
	}
}

func TestTheSearchPartialStaysWithinItsBudget(t *testing.T) {
	e := newCustEnv(t, 0)
	tr := fetchGzip(t, e.b, benchSearch, "HX-Request", "true", "HX-Target", "customer-results", "HX-Current-URL", e.h.url("/customers"))
	if bytes.Contains(tr.body, []byte("<html")) {
		t.Fatalf("htmx GET %s answered a whole page, want the results region", benchSearch)
	}
	if !bytes.Contains(tr.body, []byte(`data-testid="customer-row"`)) {
		t.Fatalf("htmx GET %s shows no rows, want some", benchSearch)
	}
	list, _ := describe([]transfer{tr})
	t.Logf("search partial, as transferred with gzip (budget %d B):%s", budgetSearchPartial, list)
	if tr.bytes > budgetSearchPartial {
		t.Errorf("htmx GET %s = %d B as transferred, want at most %d B:%s", benchSearch, tr.bytes, budgetSearchPartial, list)
	}
}

func TestTheDirectoryLoadsOnlyTheScriptsItNeeds(t *testing.T) {
	e := newCustEnv(t, 0)
	page := fetchGzip(t, e.b, "/customers")
	_, scripts := assets(t, page.body)
	// The directory needs htmx (prefetched, and run at the first
	// interaction that needs it) and our own small script; the card
	// form's script and Square's card SDK belong on the card page only.
	var needed []string
	for _, name := range static.Names() {
		if name == "app.js" || (strings.HasPrefix(name, "vendor/htmx-") && strings.HasSuffix(name, ".js")) {
			needed = append(needed, static.Path(name))
		}
	}
	for _, src := range scripts {
		if !slices.Contains(needed, src) {
			t.Errorf("GET /customers loads script %q, want only %q", src, needed)
		}
	}
	for _, src := range needed {
		if !slices.Contains(scripts, src) {
			t.Errorf("GET /customers does not load %q, want it (scripts: %q)", src, scripts)
		}
	}
	// Prefetched, htmx runs only when app.js finds it named on the body.
	htmx := static.Path("vendor/htmx-2.0.11.min.js")
	if !bytes.Contains(page.body, []byte(`<script src="`+htmx)) && !bytes.Contains(page.body, []byte(`data-htmx="`+htmx+`"`)) {
		t.Errorf("GET /customers neither runs %s nor names it in data-htmx for app.js to load", htmx)
	}
	if cards := static.Path("cards.js"); slices.Contains(scripts, cards) {
		t.Errorf("GET /customers loads the card form's %s, want it on the card page only", cards)
	}
}

func TestTheIndexedSearchPartialStaysWithinItsBudget(t *testing.T) {
	e, _ := newIndexedEnv(t)
	// "com" is in most email addresses: a full page of rows, each with
	// its marks.
	const target = "/customers?q=com"
	tr := fetchGzip(t, e.b, target, "HX-Request", "true", "HX-Target", "customer-results", "HX-Current-URL", e.h.url("/customers"))
	if rows := bytes.Count(tr.body, []byte(`data-testid="customer-row"`)); rows != 50 {
		t.Fatalf("htmx GET %s shows %d rows, want 50", target, rows)
	}
	if marks := bytes.Count(tr.body, []byte("<mark>")); marks < 50 {
		t.Fatalf("htmx GET %s marks %d matches, want at least one a row", target, marks)
	}
	list, _ := describe([]transfer{tr})
	t.Logf("search partial from the index, as transferred with gzip (budget %d B):%s", budgetSearchPartial, list)
	if tr.bytes > budgetSearchPartial {
		t.Errorf("htmx GET %s = %d B as transferred, want at most %d B:%s", target, tr.bytes, budgetSearchPartial, list)
	}
}
