package views

import "testing"

// app.js prefetches the directory's profile links (issue 7): plain links
// inside #customer-rows, the rows' tbody, which a "Load more" answer
// appends to. The page marks none itself: only app.js does, for a link a
// person rests on, so no link is prefetched merely for being listed.
func TestDirectoryProfileLinksAreInCustomerRows(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, CustomersPage(signedInLayout(), sampleDirectory()))
	links := doc.Find(`#customer-rows a[href]`)
	if links.Length() != 1 || links.AttrOr("href", "") != "/customers/C1" {
		t.Errorf("links in #customer-rows = %d (first %q), want the one profile link /customers/C1", links.Length(), links.AttrOr("href", ""))
	}
	if n := doc.Find(`[data-prefetch], script[type="speculationrules"]`).Length(); n != 0 {
		t.Errorf("%d elements marked for prefetch or speculation rules in the page, want none: app.js adds them", n)
	}
	if got := doc.Find(`#customer-rows`).Parent().AttrOr("data-testid", ""); got != "customer-table" {
		t.Errorf("#customer-rows is inside %q, want the customer table", got)
	}
}
