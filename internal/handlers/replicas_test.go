package handlers_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
)

// TestMain stops the throwaway PostgreSQL cluster the replica tests start.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Two replicas on one PostgreSQL database serve as one Tessera: a session
// made on A works on B, a webhook Square delivers to A alone reaches a page
// open on B, and B's search finds what it brought.
func TestTwoReplicasOnPostgreSQLServeAsOne(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withPostgres(pgtest.Database(t)))
	b := h.addReplica()
	// Square delivers each webhook to one address; behind it, A got it.
	if !h.emu.Unsubscribe(b.WebhookSubscription) {
		t.Fatal("replica B had no webhook subscription to remove")
	}
	e := newCustEnvOn(t, h, 0)
	e.indexMerchant()
	merchant := e.merchantID()

	h.serveFrom(1)
	if !e.b.signedIn() {
		t.Fatal("the session made on replica A is signed out on replica B")
	}
	p := e.b.get("/customers")
	expect(t, p, http.StatusOK)
	if p.testID("index-progress").Length() > 0 {
		t.Errorf("replica B's directory says the index is still filling: the index filled through A is not shared")
	}
	custID := e.b.firstCustomer()
	// A stream opened before its replica follows the shared log is reset
	// at once (it may have missed events): wait, as a page open a moment
	// later would.
	select {
	case <-b.Live.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("replica B never followed the live updates' log")
	}
	stream := e.b.openStream("")

	h.renameElsewhere(merchant, custID, "Zenobia")
	ev := stream.next()
	if ev.Event != "change" || !strings.Contains(ev.Data, `"customer":"`+custID+`"`) || !strings.Contains(ev.Data, `"elsewhere":true`) {
		t.Errorf("replica B's stream got %+v, want the change of %s that reached replica A", ev, custID)
	}
	found := e.b.get("/customers?q=zenobia")
	expect(t, found, http.StatusOK)
	if ids := rowIDs(found); len(ids) != 1 || ids[0] != custID {
		t.Errorf("replica B's search for the new name found %v, want [%s]", ids, custID)
	}
}

// A job belongs to the replica that runs it; when that replica stops, the
// other takes it over and finishes it, with every row imported once.
func TestAnImportStartedOnOneReplicaFinishesOnTheOther(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withPostgres(pgtest.Database(t)), withJobLease(time.Second))
	a, _ := h.replicas[0], h.addReplica()
	e := newCustEnvOn(t, h, 0)
	before := e.count()

	const rows = 250 // three calls of BulkCreateCustomers
	var file strings.Builder
	file.WriteString("First Name,Last Name,Email Address\r\n")
	for i := range rows {
		fmt.Fprintf(&file, "Row,%d,replica-import-%d@example.com\r\n", i, i)
	}
	check := e.importToCheck("replicas.csv", file.String())
	// Square is slow: the job is still at work when its replica stops.
	if err := h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultLatency, Endpoint: "POST /v2/customers/bulk-create", Latency: 500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	start := e.submit(check, `[data-testid="import-check"] form`, nil)
	if start.StatusCode != http.StatusSeeOther || !strings.HasPrefix(start.location(), "/jobs/") {
		t.Fatalf("starting the import on A = %d %s, want a redirect to its job", start.StatusCode, start.location())
	}
	time.Sleep(200 * time.Millisecond)
	a.Jobs.Stop()
	a.Jobs.Wait()
	h.emu.ClearFaults()
	if got := e.count(); got >= before+rows {
		t.Fatalf("replica A finished the import before it stopped (%d customers): the test needs it cut short", got)
	}

	h.serveFrom(1)
	report := e.waitJob(start.location())
	if got := e.count(); got != before+rows {
		t.Errorf("customers after the import = %d, want %d: %d rows imported once each", got, before+rows, rows)
	}
	seen := map[string]int{}
	params := &square.ListCustomersParams{Limit: 100}
	for {
		page, err := e.sq.Customers.List(t.Context(), params)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Customers {
			if strings.HasPrefix(c.EmailAddress, "replica-import-") {
				seen[c.EmailAddress]++
			}
		}
		if page.Cursor == "" {
			break
		}
		params.Cursor = page.Cursor
	}
	for i := range rows {
		if n := seen[fmt.Sprintf("replica-import-%d@example.com", i)]; n != 1 {
			t.Errorf("row %d is at Square %d times, want once", i, n)
		}
	}
	if !strings.Contains(custText(report, "job-summary"), fmt.Sprint(rows)) {
		t.Errorf("the job's summary on B = %q, want it to count the %d rows", custText(report, "job-summary"), rows)
	}
}
