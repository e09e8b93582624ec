package handlers_test

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// While Square serves the directory (the index off or not ready), Auto
// searches text that is neither an email address nor a phone number in
// email, phone and reference id at once, and merges what Square finds.

// allSearches are the filters of the SearchCustomers calls made since the
// call numbered from (0 for all), as "email_address.fuzzy=text", sorted.
func allSearches(h *harness, from int) []string {
	var out []string
	for _, c := range h.wire.find(http.MethodPost, "/v2/customers/search")[from:] {
		f, _ := dirPath(c.Request, "query.filter").(map[string]any)
		for field, v := range f {
			tf, _ := v.(map[string]any)
			for how, text := range tf {
				s, _ := text.(string)
				out = append(out, field+"."+how+"="+s)
			}
		}
	}
	slices.Sort(out)
	return out
}

func searchCount(h *harness) int { return len(h.wire.find(http.MethodPost, "/v2/customers/search")) }

// oneFieldLinks are the note's links to search one field: label -> field.
func oneFieldLinks(t *testing.T, p *page) map[string]string {
	t.Helper()
	links := map[string]string{}
	p.testID("search-one-field").Each(func(_ int, s *goquery.Selection) {
		u, err := url.Parse(s.AttrOr("href", ""))
		if err != nil {
			t.Fatalf("search-one-field link %q: %v", s.AttrOr("href", ""), err)
		}
		links[dirText(s)] = u.Query().Get("field") + " " + u.Query().Get("q")
	})
	return links
}

func TestAutoFindsTheLocalPartOfAnEmailWithTheIndexOff(t *testing.T) {
	e := newCustEnv(t, 0, withIndexOff())
	ada := e.create(square.CreateCustomerRequest{GivenName: "Adaeze", FamilyName: "Okafor", EmailAddress: "adaeze1999@example.net"})

	before := searchCount(e.h)
	target := "/customers?q=adaeze1999"
	p := e.b.get(target)
	expect(t, p, http.StatusOK)

	if got := dirRows(p); !slices.Equal(got, []string{ada.ID}) {
		t.Errorf("GET %s rows = %v, want only %s, whose email starts with the text", target, got, ada.ID)
	}
	// A text with letters is no part of a phone number.
	want := []string{"email_address.fuzzy=adaeze1999", "reference_id.fuzzy=adaeze1999"}
	if got := allSearches(e.h, before); !slices.Equal(got, want) {
		t.Errorf("GET %s searched Square with %v, want one call per field %v", target, got, want)
	}
	if got, want := dirText(p.testID("search-note").Find("p").First()), "Searched email and reference id at once."; got != want {
		t.Errorf("GET %s note = %q, want %q", target, got, want)
	}
	if got, want := oneFieldLinks(t, p), map[string]string{"Email": "email adaeze1999", "Reference id": "reference adaeze1999"}; !maps.Equal(got, want) {
		t.Errorf("GET %s links to one field = %v, want %v", target, got, want)
	}
	if got, want := dirChip(p, "search"), "Email, phone or reference id contains “adaeze1999”"; got != want {
		t.Errorf("GET %s search chip = %q, want %q", target, got, want)
	}
	if got := dirText(p.testID("customer-total")); got != "1 customer" {
		t.Errorf("GET %s total = %q, want %q", target, got, "1 customer")
	}
	if p.testID("search-note-failed").Length() != 0 {
		t.Errorf("GET %s says a field failed, though Square answered every call", target)
	}

	// A search of all fields has one page: a cursor, which only a search
	// of one field makes, is left out.
	p = e.b.get(target + "&cursor=bogus")
	expect(t, p, http.StatusOK)
	if got := dirRows(p); !slices.Equal(got, []string{ada.ID}) {
		t.Errorf("GET %s&cursor=bogus rows = %v, want the first page, %s", target, got, ada.ID)
	}

	// Following a link to one field searches that field alone.
	one := e.b.get("/customers?q=adaeze1999&field=email")
	expect(t, one, http.StatusOK)
	if got := dirRows(one); !slices.Equal(got, []string{ada.ID}) {
		t.Errorf("the email-only search lists %v, want %s", got, ada.ID)
	}
	if one.testID("search-note").Length() != 0 {
		t.Error("a search of one field shows the note of a search of all three")
	}
}

func TestAutoMergesTheFieldsEachCustomerOnceInNameOrder(t *testing.T) {
	e := newCustEnv(t, 0, withIndexOff())
	// qzuri77 is in one customer's email and reference id, another's
	// reference id and a third's email.
	both := e.create(square.CreateCustomerRequest{GivenName: "Zuri", FamilyName: "Banda", EmailAddress: "qzuri77@example.org", ReferenceID: "qzuri77"})
	e.h.clock.Advance(time.Minute)
	ref := e.create(square.CreateCustomerRequest{GivenName: "Amara", FamilyName: "Zulu", ReferenceID: "LOY-qzuri77"})
	e.h.clock.Advance(time.Minute)
	mail := e.create(square.CreateCustomerRequest{GivenName: "bola", FamilyName: "Ade", EmailAddress: "mr.qzuri77@example.com"})

	target := "/customers?q=qzuri77"
	p := e.b.get(target)
	expect(t, p, http.StatusOK)
	// By the name shown, case aside: Amara Zulu, bola Ade, Zuri Banda.
	if got, want := dirRows(p), []string{ref.ID, mail.ID, both.ID}; !slices.Equal(got, want) {
		t.Errorf("GET %s rows = %v, want each match once by name %v", target, got, want)
	}
	if got := dirText(p.testID("customer-total")); got != "3 customers" {
		t.Errorf("GET %s total = %q, want %q", target, got, "3 customers")
	}

	// Newest first when sorted so.
	target = "/customers?q=qzuri77&sort=created&order=desc"
	p = e.b.get(target)
	expect(t, p, http.StatusOK)
	if got, want := dirRows(p), []string{mail.ID, ref.ID, both.ID}; !slices.Equal(got, want) {
		t.Errorf("GET %s rows = %v, want newest first %v", target, got, want)
	}
}

func TestAutoSearchesThePhoneOnlyForDigitsAndPunctuation(t *testing.T) {
	e := newCustEnv(t, 0, withIndexOff())
	before := searchCount(e.h)
	target := "/customers?q=adaeze"
	p := e.b.get(target)
	expect(t, p, http.StatusOK)
	want := []string{"email_address.fuzzy=adaeze", "reference_id.fuzzy=adaeze"}
	if got := allSearches(e.h, before); !slices.Equal(got, want) {
		t.Errorf("GET %s searched Square with %v, want %v: no phone number matches a text without digits", target, got, want)
	}

	// A dot may be in a saved phone number as in a reference id: all three.
	before = searchCount(e.h)
	target = "/customers?q=206.555"
	p = e.b.get(target)
	expect(t, p, http.StatusOK)
	want = []string{"email_address.fuzzy=206.555", "phone_number.fuzzy=206.555", "reference_id.fuzzy=206.555"}
	if got := allSearches(e.h, before); !slices.Equal(got, want) {
		t.Errorf("GET %s searched Square with %v, want %v", target, got, want)
	}
	if got, want := dirText(p.testID("search-note").Find("p").First()), "Searched email, phone and reference id at once."; got != want {
		t.Errorf("GET %s note = %q, want %q", target, got, want)
	}
	if got, want := oneFieldLinks(t, p), map[string]string{"Email": "email 206.555", "Phone": "phone 206.555", "Reference id": "reference 206.555"}; !maps.Equal(got, want) {
		t.Errorf("GET %s links to one field = %v, want %v", target, got, want)
	}
}

func TestAutoSearchesOneFieldWhenTheTextSaysWhichOrTheMatchIsExact(t *testing.T) {
	e := newCustEnv(t, 0, withIndexOff())
	tests := []struct{ query, want string }{
		{"q=ada%40example", "email_address.fuzzy=ada@example"},
		{"q=%2B1+(206)+555-0100", "phone_number.fuzzy=+1 (206) 555-0100"},
		{"q=LOY-0012&match=exact", "reference_id.exact=LOY-0012"},
		{"q=LOY-0012&field=reference", "reference_id.fuzzy=LOY-0012"},
	}
	for _, tt := range tests {
		before := searchCount(e.h)
		p := e.b.get("/customers?" + tt.query)
		expect(t, p, http.StatusOK)
		if got := allSearches(e.h, before); !slices.Equal(got, []string{tt.want}) {
			t.Errorf("GET /customers?%s searched Square with %v, want %v", tt.query, got, []string{tt.want})
		}
		if p.testID("search-note").Length() != 0 {
			t.Errorf("GET /customers?%s shows the note of a search of all three fields", tt.query)
		}
	}
}

func TestAutoSaysWhenMoreMatchThanOnePage(t *testing.T) {
	e := newCustEnv(t, 0, withIndexOff())
	// Every seeded email address has a dot before its domain's ending.
	target := "/customers?q=com&size=25"
	p := e.b.get(target)
	expect(t, p, http.StatusOK)
	matches := map[string]bool{}
	for _, f := range []*square.CustomerFilter{
		{EmailAddress: &square.TextFilter{Fuzzy: "com"}}, {ReferenceID: &square.TextFilter{Fuzzy: "com"}},
	} {
		for _, c := range dirSearch(t, e.sq, &square.SearchCustomersRequest{Limit: 100, Query: &square.CustomerQuery{Filter: f}}).Customers {
			matches[c.ID] = true
		}
	}
	if len(matches) <= 25 {
		t.Fatalf("only %d seeded customers match “com”; the test needs more than a page", len(matches))
	}
	rows := dirRows(p)
	if len(rows) != 25 {
		t.Errorf("GET %s lists %d rows, want a page of 25", target, len(rows))
	}
	for _, id := range rows {
		if !matches[id] {
			t.Errorf("GET %s lists %s, which matches “com” in neither email nor reference id", target, id)
		}
	}
	if p.testID("search-note-more").Length() != 1 {
		t.Errorf("GET %s does not say that more customers match", target)
	}
	if p.testID("customer-total").Length() != 0 {
		t.Errorf("GET %s shows a total %q, which the merged page cannot know", target, dirText(p.testID("customer-total")))
	}
}

func TestAutoShowsWhatTheOtherFieldsFoundWhenOneSearchFails(t *testing.T) {
	e := newCustEnv(t, 0, withIndexOff(), withRequestTimeout(2*time.Second))
	// In both email and reference id: found whichever one call fails.
	both := e.create(square.CreateCustomerRequest{GivenName: "Zuri", FamilyName: "Banda", EmailAddress: "qzuri77@example.org", ReferenceID: "qzuri77"})
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultHang, Endpoint: dirSearchCall, Count: 1}); err != nil {
		t.Fatal(err)
	}
	target := "/customers?q=qzuri77"
	p := e.b.get(target)
	expect(t, p, http.StatusOK)
	if got := dirRows(p); !slices.Contains(got, both.ID) {
		t.Errorf("GET %s rows = %v, want %s, found by the fields that answered", target, got, both.ID)
	}
	failed := dirText(p.testID("search-note-failed"))
	named := 0
	for _, f := range []string{"email addresses", "phone numbers", "reference ids"} {
		if strings.Contains(failed, f) {
			named++
		}
	}
	if !strings.HasPrefix(failed, "Square could not search ") || named != 1 {
		t.Errorf("GET %s failure note = %q, want one field named", target, failed)
	}
	if href := p.testID("search-note-retry").AttrOr("href", ""); href != "/customers?q=qzuri77" {
		t.Errorf("GET %s try-again link = %q, want the same search", target, href)
	}

	// Every field failing is Square failing: the directory says so.
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultInternal, Endpoint: dirSearchCall}); err != nil {
		t.Fatal(err)
	}
	p = e.b.get(target)
	expect(t, p, http.StatusBadGateway)
	if p.testID("square-unavailable").Length() == 0 {
		t.Errorf("GET %s with Square failing every call: no unavailable problem in %s", target, truncate(p.Body))
	}
	if got := dirInputValue(p, "search-q"); got != "qzuri77" {
		t.Errorf("GET %s with Square failing: search box = %q, want the text kept", target, got)
	}
}
