package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/jobs"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/webhook"
)

// newCustEnvOn signs a second browser in on h as merchant i.
func newCustEnvOn(t *testing.T, h *harness, merchant int) *custEnv {
	t.Helper()
	b := h.newBrowser()
	b.signIn(merchant)
	d, ok := h.sessionData(b.sessionCookie())
	if !ok {
		t.Fatal("signed out after signIn")
	}
	return &custEnv{t: t, h: h, b: b, sq: h.square.WithAccessToken(d.AccessToken)}
}

// bulkForm is the selection-mode form of p with the rows' ids ticked.
func bulkForm(t *testing.T, p *page, do string, ids ...string) url.Values {
	t.Helper()
	form := url.Values{"_csrf": {csrfToken(t, p)}, "do": {do}, "i": ids}
	q, _ := p.Doc.Find(`#b input[name="q"]`).Attr("value")
	pg, _ := p.Doc.Find(`#b input[name="pg"]`).Attr("value")
	form.Set("q", q)
	form.Set("pg", pg)
	return form
}

// waitJob follows a job page until the job has finished, and returns it.
func (e *custEnv) waitJob(location string) *page {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p := e.b.get(location)
		expect(e.t, p, http.StatusOK)
		if p.testID("job-summary").Length() > 0 {
			return p
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s did not finish: %s", location, custText(p, "job-progress"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// confirmBulk posts the confirmation page's form with set.
func (e *custEnv) confirmBulk(p *page, set map[string]string) *page {
	e.t.Helper()
	return e.submit(p, `[data-testid="bulk-confirm"] form`, set)
}

func TestSelectionModeAddsTheCustomersTickedToAGroupAsAJob(t *testing.T) {
	e := newCustEnv(t, 0)
	p := e.b.get("/customers")
	href, _ := p.testID("select-mode").Attr("href")
	if href != "/customers/select" {
		t.Fatalf("Select customers link = %q", href)
	}
	if p.Doc.Find(`input[type="checkbox"][name="i"]`).Length() != 0 {
		t.Error("the directory's first load has checkboxes, want them only in selection mode")
	}
	p = e.b.get(href)
	expect(t, p, http.StatusOK)
	boxes := p.Doc.Find(`input[type="checkbox"][name="i"]`)
	if boxes.Length() != 50 {
		t.Fatalf("selection mode has %d checkboxes, want one per row (50)", boxes.Length())
	}
	label, _ := boxes.First().Attr("aria-label")
	name := strings.TrimSpace(p.Doc.Find(`[data-testid="cell-name"]`).First().Text())
	if label != "Select "+name {
		t.Errorf("first checkbox is labelled %q, want %q", label, "Select "+name)
	}
	var ids []string
	for i := range 3 {
		v, _ := boxes.Eq(i).Attr("value")
		ids = append(ids, v)
	}
	g, err := e.sq.Customers.CreateGroup(t.Context(), "", "Bulk buyers")
	if err != nil {
		t.Fatal(err)
	}
	c := e.b.post("/customers/bulk", bulkForm(t, p, "add", ids...))
	expect(t, c, http.StatusOK)
	if got := custText(c, "bulk-count"); got != "3 customers selected:" {
		t.Errorf("confirmation count = %q", got)
	}
	if n := c.Doc.Find(`[data-testid="bulk-names"] li`).Length(); n != 3 {
		t.Errorf("confirmation names %d customers, want 3", n)
	}
	r := e.confirmBulk(c, map[string]string{"g": g.ID})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/jobs/") {
		t.Fatalf("confirming = %d %s, want a redirect to the job", r.StatusCode, r.location())
	}
	done := e.waitJob(r.location())
	if got := custText(done, "job-summary"); got != "Finished: 3 customers added to “Bulk buyers”." {
		t.Errorf("summary = %q", got)
	}
	for _, id := range ids {
		if !slices.Contains(e.get(id).GroupIDs, g.ID) {
			t.Errorf("customer %s is not in the group after the job", id)
		}
	}
	// Another merchant cannot see the job.
	other := e.h.newBrowser()
	other.signIn(1)
	expect(t, other.get(r.location()), http.StatusNotFound)
}

func TestSelectAllOnThisPageTakesTheRowsShown(t *testing.T) {
	e := newCustEnv(t, 0)
	p := e.b.get("/customers/select")
	form := bulkForm(t, p, "delete")
	form.Set("a", "p")
	c := e.b.post("/customers/bulk", form)
	expect(t, c, http.StatusOK)
	if got := custText(c, "bulk-count"); got != "50 customers selected:" {
		t.Errorf("Select all on this page = %q, want 50", got)
	}
	if more := c.Doc.Find(`[data-testid="bulk-names"] li`).Last().Text(); more != "and 45 more" {
		t.Errorf("names end with %q, want the first 5 and 'and 45 more'", more)
	}
}

func TestASelectionOfAnotherMerchantsCustomersIsRefused(t *testing.T) {
	e := newCustEnv(t, 0)
	other := newCustEnvOn(t, e.h, 1)
	theirs := other.create(square.CreateCustomerRequest{GivenName: "Not yours"})
	p := e.b.get("/customers/select")
	mine, _ := p.Doc.Find(`input[name="i"]`).First().Attr("value")
	c := e.b.post("/customers/bulk", bulkForm(t, p, "delete", mine, theirs.ID))
	expect(t, c, http.StatusUnprocessableEntity)
	if !strings.Contains(c.Body, "1 of the selected customers are not in your directory") {
		t.Errorf("refusal does not say why:\n%s", truncate(c.Body))
	}
	// Posting straight to the run is refused alike, and nothing is deleted.
	r := e.b.post("/customers/bulk/run", url.Values{"_csrf": {csrfToken(t, p)}, "do": {"delete"}, "i": {theirs.ID}})
	expect(t, r, http.StatusUnprocessableEntity)
	other.get(theirs.ID)
}

func TestASelectionOverTheLimitIsRefusedWithTheLimit(t *testing.T) {
	e := newCustEnv(t, 0)
	e.indexMerchant()
	merchant := e.h.merchant(0).ID
	// 10,000 customers named alike, straight into the index.
	var cs []index.Customer
	for i := range 10000 {
		cs = append(cs, index.Customer{ID: fmt.Sprintf("BULK%022d", i), GivenName: "Zyzzyva", FamilyName: fmt.Sprint(i),
			CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	if _, err := e.h.index.PutAll(t.Context(), merchant, cs, nil); err != nil {
		t.Fatal(err)
	}
	p := e.b.get("/customers/select?q=zyzzyva")
	expect(t, p, http.StatusOK)
	if !strings.Contains(p.testID("bulk").Text(), "Select all 10,000 matching") {
		t.Fatalf("bulk form = %q, want Select all 10,000 matching", custText(p, "bulk"))
	}
	form := bulkForm(t, p, "add")
	form.Set("a", "m")
	c := e.b.post("/customers/bulk", form)
	expect(t, c, http.StatusUnprocessableEntity)
	if !strings.Contains(c.Body, "You selected 10,000 customers. Tessera acts on at most 5,000 at once") {
		t.Errorf("refusal does not state the limit:\n%s", truncate(c.Body))
	}
	// Ticked one by one, 5,001 is refused alike.
	var ids []string
	for i := range 5001 {
		ids = append(ids, cs[i].ID)
	}
	c = e.b.post("/customers/bulk", bulkForm(t, p, "delete", ids...))
	expect(t, c, http.StatusUnprocessableEntity)
	if !strings.Contains(c.Body, "at most 5,000") {
		t.Errorf("5,001 ticked: refusal does not state the limit")
	}
}

func TestHalfOfABulkDeleteFailingSaysExactlyWhich(t *testing.T) {
	e := newCustEnv(t, 0)
	var ids []string
	for i := range 6 {
		ids = append(ids, e.create(square.CreateCustomerRequest{GivenName: "Gone", FamilyName: fmt.Sprint(i)}).ID)
	}
	e.indexMerchant()
	p := e.b.get("/customers/select?q=gone")
	c := e.b.post("/customers/bulk", bulkForm(t, p, "delete", ids...))
	expect(t, c, http.StatusOK)
	if got := c.Doc.Find("h1").Text(); got != "Delete 6 customers?" {
		t.Errorf("confirmation heading = %q", got)
	}
	// Three are deleted in Square's Dashboard meanwhile, and their
	// webhooks are lost, so the index still has them.
	if err := e.h.emu.InjectDeliveryFault(squarelocal.DeliveryFault{Kind: squarelocal.DeliveryDrop}); err != nil {
		t.Fatal(err)
	}
	merchant := e.h.merchant(0).ID
	for _, id := range ids[:3] {
		if err := e.h.emu.DeleteElsewhere(merchant, id); err != nil {
			t.Fatal(err)
		}
	}
	before := e.calls("POST /v2/customers/bulk-delete")
	r := e.confirmBulk(c, nil)
	done := e.waitJob(r.location())
	if n := e.calls("POST /v2/customers/bulk-delete") - before; n != 1 {
		t.Errorf("BulkDeleteCustomers calls for 6 = %d, want 1", n)
	}
	if got := custText(done, "job-summary"); got != "Finished: 3 customers deleted. 3 not, listed below." {
		t.Errorf("summary = %q", got)
	}
	var failed []string
	done.Doc.Find(`[data-testid="job-failure"]`).Each(func(_ int, s *goquery.Selection) { failed = append(failed, s.Text()) })
	if len(failed) != 3 {
		t.Fatalf("failures listed = %q, want the 3 deleted elsewhere", failed)
	}
	for i, f := range failed {
		if !strings.HasPrefix(f, fmt.Sprintf("Gone %d: Not found at Square", i)) {
			t.Errorf("failure %d = %q, want Gone %d with its reason", i, f, i)
		}
	}
	if n := done.Doc.Find(`[data-testid="job-done"] li`).Length(); n != 3 {
		t.Errorf("deleted listed = %d, want 3", n)
	}
	for _, id := range ids[3:] {
		e.expectDeleted(id)
	}
}

func TestAJobLeftByARestartResumesOnItsPageWithoutRepeatingACustomer(t *testing.T) {
	e := newCustEnv(t, 0)
	g, err := e.sq.Customers.CreateGroup(t.Context(), "", "Resumed")
	if err != nil {
		t.Fatal(err)
	}
	var items []jobs.Item
	for i := range 10 {
		cu := e.create(square.CreateCustomerRequest{GivenName: "Resume", FamilyName: fmt.Sprint(i)})
		items = append(items, jobs.Item{CustomerID: cu.ID, Name: "Resume " + fmt.Sprint(i)})
	}
	// What a process stopped mid-job leaves: the first four done (at
	// Square and in the store), the rest pending, and nothing running.
	st := jobs.NewStore(e.h.db)
	id, err := st.Create(t.Context(), jobs.Job{MerchantID: e.h.merchant(0).ID, Kind: jobs.AddToGroup, GroupID: g.ID, GroupName: g.Name, Created: e.h.clock.Now()}, items)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := e.sq.Customers.AddToGroup(t.Context(), items[i].CustomerID, g.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.Mark(t.Context(), jobs.Lease{Job: id}, i, jobs.Done, ""); err != nil {
			t.Fatal(err)
		}
	}
	const add = "PUT /v2/customers/{customer_id}/groups/{group_id}"
	before := e.calls(add)
	p := e.b.get("/jobs/" + id)
	expect(t, p, http.StatusOK)
	done := e.waitJob("/jobs/" + id)
	if got := custText(done, "job-summary"); got != "Finished: 10 customers added to “Resumed”." {
		t.Errorf("summary = %q", got)
	}
	if n := e.calls(add) - before; n != 6 {
		t.Errorf("AddGroupToCustomer calls on resuming = %d, want 6 (the 4 done are not repeated)", n)
	}
}

func TestAJobPageRefreshesWithoutJavaScriptWhileItRuns(t *testing.T) {
	e := newCustEnv(t, 0)
	cu := e.create(square.CreateCustomerRequest{GivenName: "Slow"})
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultLatency, Latency: 300 * time.Millisecond, Endpoint: "POST /v2/customers/bulk-delete"}); err != nil {
		t.Fatal(err)
	}
	p := e.b.get("/customers/select")
	c := e.b.post("/customers/bulk", bulkForm(t, p, "delete", cu.ID))
	r := e.confirmBulk(c, nil)
	running := e.b.get(r.location())
	// The parser takes <noscript> as text, as a browser with scripts does.
	const refresh = `<noscript><meta http-equiv="refresh" content="2"></noscript>`
	if !strings.Contains(running.Body, refresh) {
		t.Error("a running job's page has no refresh for browsers without JavaScript")
	}
	if v, _ := running.Doc.Find(`#job`).Attr("hx-trigger"); v != "every 1s" {
		t.Errorf("#job hx-trigger = %q, want htmx to poll every second", v)
	}
	done := e.waitJob(r.location())
	if strings.Contains(done.Body, refresh) || done.Doc.Find(`#job[hx-trigger]`).Length() != 0 {
		t.Error("a finished job's page still refreshes")
	}
}

func TestARevocationDeletesTheMerchantsJobs(t *testing.T) {
	h := newHarness(t, withWebhookKey(testWebhookKey))
	st := jobs.NewStore(h.db)
	mine, err := st.Create(t.Context(), jobs.Job{MerchantID: h.merchant(0).ID, Kind: jobs.Delete, Created: h.clock.Now()}, []jobs.Item{{CustomerID: "A", Name: "A"}})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := st.Create(t.Context(), jobs.Job{MerchantID: h.merchant(1).ID, Kind: jobs.Delete, Created: h.clock.Now()}, []jobs.Item{{CustomerID: "B", Name: "B"}})
	if err != nil {
		t.Fatal(err)
	}
	body := revokedEvent(h.merchant(0).ID)
	if got := deliver(t, h, body, webhook.Sign(testWebhookKey, h.cfg.WebhookURL(), []byte(body))); got != http.StatusOK {
		t.Fatalf("revocation delivery = %d, want 200", got)
	}
	if _, err := st.Get(t.Context(), h.merchant(0).ID, mine); err != jobs.ErrNotFound {
		t.Errorf("the revoked merchant's job = %v, want deleted", err)
	}
	if _, err := st.Get(t.Context(), h.merchant(1).ID, theirs); err != nil {
		t.Errorf("another merchant's job = %v, want kept", err)
	}
}
