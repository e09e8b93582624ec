package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// sampleDirectory is a directory with a search, a filter and a next page.
func sampleDirectory() CustomersView {
	return CustomersView{
		Form: DirectoryForm{
			Action: "/customers", Query: "ada",
			Fields:  []Option{{Value: "auto", Label: "Auto", Selected: true}, {Value: "email", Label: "Email"}},
			Sources: []Option{{Value: "", Label: "Any source"}, {Value: "LOYALTY", Label: "Loyalty", Selected: true}},
			Sort:    "created", Order: "desc",
		},
		Rows:     []CustomerRow{{ID: "C1", Name: "Ada", Groups: []string{"VIP", "Staff"}, Created: "2 Mar 2026", CreatedISO: "2026-03-02", ProfileURL: "/customers/C1"}},
		Total:    "1 customer",
		NextURL:  "/customers?cursor=n1",
		Filtered: true,
		Chips:    []Chip{{Kind: "source", Label: "Source: Loyalty", RemoveURL: "/customers?q=ada"}},
		Sorts: []SortHeader{
			{Key: "name", Label: "Name", URL: "/customers?sort=name"},
			{Key: "company", Label: "Company"}, {Key: "email", Label: "Email"}, {Key: "phone", Label: "Phone"},
			{Key: "created", Label: "Created", URL: "/customers?sort=created", AriaSort: "descending"},
		},
	}
}

func TestCustomersPageCarriesTheFormAndTheSortState(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, CustomersPage(signedInLayout(), sampleDirectory()))

	if got := doc.Find(`#search-q`).AttrOr("value", ""); got != "ada" {
		t.Errorf("search box value = %q, want ada", got)
	}
	if got := doc.Find(`#filter-source option[selected]`).AttrOr("value", ""); got != "LOYALTY" {
		t.Errorf("selected source = %q, want LOYALTY", got)
	}
	hidden := map[string]string{}
	doc.Find(`form[data-testid="search-form"] input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		hidden[s.AttrOr("name", "")] = s.AttrOr("value", "")
	})
	if hidden["sort"] != "created" || hidden["order"] != "desc" {
		t.Errorf("hidden sort fields = %v, want sort=created order=desc", hidden)
	}
	if got := doc.Find(`[data-testid="sort-created"]`).AttrOr("aria-sort", ""); got != "descending" {
		t.Errorf("created header aria-sort = %q, want descending", got)
	}
	if _, ok := doc.Find(`[data-testid="sort-name"]`).Attr("aria-sort"); ok {
		t.Error("name header has aria-sort, want none")
	}
	if got := doc.Find(`[data-testid="cell-groups"]`).Text(); got != "VIP, Staff" {
		t.Errorf("groups cell = %q, want %q", got, "VIP, Staff")
	}
	if got := doc.Find(`[data-testid="remove-filter"]`).AttrOr("aria-label", ""); got != "Remove Source: Loyalty" {
		t.Errorf("chip link name = %q, want %q", got, "Remove Source: Loyalty")
	}
	more := doc.Find(`[data-testid="load-more"]`)
	if _, ok := more.Attr("hidden"); !ok || more.AttrOr("hx-get", "") != "/customers?cursor=n1" {
		t.Errorf("load-more hidden=%v hx-get=%q, want hidden and the next page", ok, more.AttrOr("hx-get", ""))
	}
	if n := doc.Find("[style], [onclick], [oninput], [onchange]").Length(); n != 0 {
		t.Errorf("%d elements with inline style or handlers, want none", n)
	}
}

func TestDirectoryProblemsReplaceTheResults(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{ProblemQuery, ProblemUnavailable} {
		v := sampleDirectory()
		v.Problem = &DirectoryProblem{Kind: kind, Title: "T", Messages: []FieldError{{FieldID: DirectoryFromID, Message: "M"}},
			LinkURL: "/customers", LinkLabel: "Start again", RequestID: "req-1", Focus: true}
		doc, _ := render(t, CustomersPage(signedInLayout(), v))

		box := doc.Find(`.alert [data-testid="` + problemTestID(kind) + `"]`)
		if box.Length() != 1 {
			t.Fatalf("%s: no .alert holding %s", kind, problemTestID(kind))
		}
		if got := box.Find(`a[href="#filter-from"]`).Text(); got != "M" {
			t.Errorf("%s: message link = %q, want M linking to #filter-from", kind, got)
		}
		if doc.Find(`[data-testid="customer-table"]`).Length() != 0 {
			t.Errorf("%s: a table beside the problem", kind)
		}
		if _, ok := doc.Find(".alert[data-focus-first-error]").Attr("tabindex"); !ok {
			t.Errorf("%s: the message is not focusable on load", kind)
		}
		if doc.Find(`[data-testid="search-form"]`).Length() != 1 {
			t.Errorf("%s: no search form", kind)
		}
	}
}

func TestDirectoryFragmentsForHtmx(t *testing.T) {
	t.Parallel()
	_, html := render(t, CustomerRowsAppend(sampleDirectory()))
	if !strings.HasPrefix(html, "<tr") {
		t.Errorf("CustomerRowsAppend() starts %q, want the rows first", dirTruncated(html))
	}
	if !strings.Contains(html, `id="customer-pager" class="pager" aria-label="Pages" hx-swap-oob="true"`) {
		t.Errorf("CustomerRowsAppend() has no out-of-band pager: %s", dirTruncated(html))
	}

	doc, html := render(t, CustomersResultsFragment(sampleDirectory()))
	if strings.Contains(html, "<form") || doc.Find("#customer-results").Length() != 1 {
		t.Errorf("CustomersResultsFragment() = %s, want the results region without the form", dirTruncated(html))
	}
	if got := doc.Find(`#directory-status[hx-swap-oob="innerHTML"]`).Text(); got != "1 customer" {
		t.Errorf("status region = %q, want %q", got, "1 customer")
	}
}

func TestHostileSearchAndFilterTextRendersAsText(t *testing.T) {
	t.Parallel()
	for _, hostile := range []string{hostileScript, hostileImg} {
		v := sampleDirectory()
		v.Form.Query, v.Form.From = hostile, hostile
		v.Form.Groups = []Option{{Value: hostile, Label: hostile, Selected: true}}
		v.Chips = []Chip{{Kind: hostile, Label: hostile, RemoveURL: hostileURL}}
		v.Rows[0].Groups = []string{hostile}
		v.Rows[0].Company = hostile
		doc, _ := render(t, CustomersPage(signedInLayout(), v))
		assertNoInjectedElements(t, doc)
		if href := doc.Find(`[data-testid="remove-filter"]`).AttrOr("href", ""); strings.HasPrefix(href, "javascript:") {
			t.Errorf("chip link href = %q, want a sanitized URL", href)
		}

		v.Problem = &DirectoryProblem{Kind: ProblemQuery, Title: hostile, Messages: []FieldError{{Message: hostile}}, LinkURL: hostileURL}
		doc, _ = render(t, CustomersPage(signedInLayout(), v))
		assertNoInjectedElements(t, doc)
		if href := doc.Find(`[data-testid="problem-link"]`).AttrOr("href", ""); strings.HasPrefix(href, "javascript:") {
			t.Errorf("problem link href = %q, want a sanitized URL", href)
		}
	}
}

func dirTruncated(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

// The plain directory leaves htmx out of its load (app.js loads it at the
// first interaction, from the cache its prefetch filled); a directory that
// fetches its exact count with htmx on load, or the selection mode, loads
// htmx with the page.
func TestTheDirectoryLoadsHtmxOnDemandUnlessItNeedsItAtOnce(t *testing.T) {
	t.Parallel()
	const htmxScript = `head script[src^="/static/vendor/htmx-"]`
	plain := sampleDirectory()
	counted := sampleDirectory()
	counted.TotalURL = "/customers/count?q=ada"
	selecting := sampleDirectory()
	selecting.Bulk = &BulkBar{}
	for _, c := range []struct {
		name     string
		v        CustomersView
		onDemand bool
	}{
		{"plain", plain, true},
		{"with the exact count to fetch", counted, false},
		{"selecting", selecting, false},
	} {
		doc, _ := render(t, CustomersPage(signedInLayout(), c.v))
		scripts := doc.Find(htmxScript).Length()
		prefetch := doc.Find(`head link[rel="prefetch"][href^="/static/vendor/htmx-"]`).AttrOr("href", "")
		onDemand := doc.Find("body").AttrOr("data-htmx", "")
		if c.onDemand {
			if scripts != 0 || prefetch == "" || onDemand != prefetch {
				t.Errorf("%s: htmx scripts %d, prefetch %q, body data-htmx %q; want no script, and the prefetched URL on the body", c.name, scripts, prefetch, onDemand)
			}
			continue
		}
		if scripts != 1 || prefetch != "" || onDemand != "" {
			t.Errorf("%s: htmx scripts %d, prefetch %q, body data-htmx %q; want the script alone", c.name, scripts, prefetch, onDemand)
		}
	}
}
