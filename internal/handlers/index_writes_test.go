package handlers_test

import (
	"errors"
	"github.com/tessera-dashboard/tessera/internal/webhook"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// waitIndexed polls the index until cond holds of the customer (found or
// not), for up to 5 s: the emulator's webhooks arrive asynchronously.
func waitIndexed(t *testing.T, h *harness, merchantID, id string, cond func(c index.Customer, found bool) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := h.index.Get(t.Context(), merchantID, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("index.Get(%s) = %v", id, err)
		}
		if cond(c, err == nil) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("index.Get(%s) = %+v (found %v) after 5 s, want the state Square's events report", id, c, err == nil)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// anyCustomer is one of the merchant's customers at Square.
func anyCustomer(t *testing.T, e *custEnv) square.Customer {
	t.Helper()
	page, err := e.sq.Customers.List(t.Context(), &square.ListCustomersParams{Limit: 1})
	if err != nil || len(page.Customers) == 0 {
		t.Fatalf("Customers.List = %v, %v; want a customer", page, err)
	}
	return page.Customers[0]
}

func TestAChangeMadeElsewhereReachesTheIndexThroughSquaresWebhook(t *testing.T) {
	t.Parallel()
	e := newCustEnv(t, 0)
	merchant := e.h.merchant(0).ID
	cu := anyCustomer(t, e)
	if _, err := e.h.emu.ChangeElsewhere(merchant, cu.ID, func(c *squarelocal.Customer) { c.Nickname = "Changed at the counter" }); err != nil {
		t.Fatal(err)
	}
	waitIndexed(t, e.h, merchant, cu.ID, func(c index.Customer, found bool) bool {
		return found && c.Nickname == "Changed at the counter" && c.Version == cu.Version+1
	})
}

func TestRepeatedAndReorderedDeliveriesLeaveTheNewestState(t *testing.T) {
	t.Parallel()
	e := newCustEnv(t, 0)
	merchant := e.h.merchant(0).ID
	cu := anyCustomer(t, e)
	for _, f := range []squarelocal.DeliveryFault{
		{Kind: squarelocal.DeliveryDuplicate, EventType: "customer.updated"},
		// The first change is held until the second overtakes it.
		{Kind: squarelocal.DeliveryReorder, EventType: "customer.updated", Count: 1, Delay: 2 * time.Second},
	} {
		if err := e.h.emu.InjectDeliveryFault(f); err != nil {
			t.Fatal(err)
		}
	}
	for _, nick := range []string{"First", "Second"} {
		if _, err := e.h.emu.ChangeElsewhere(merchant, cu.ID, func(c *squarelocal.Customer) { c.Nickname = nick }); err != nil {
			t.Fatal(err)
		}
	}
	waitDelivered(t, e.h)
	waitIndexed(t, e.h, merchant, cu.ID, func(c index.Customer, found bool) bool {
		return found && c.Nickname == "Second" && c.Version == cu.Version+2
	})
}

func TestADeletionWinsOverAnUpdateDeliveredAfterIt(t *testing.T) {
	t.Parallel()
	e := newCustEnv(t, 0)
	merchant := e.h.merchant(0).ID
	cu := anyCustomer(t, e)
	// The update is held until the deletion overtakes it.
	if err := e.h.emu.InjectDeliveryFault(squarelocal.DeliveryFault{
		Kind: squarelocal.DeliveryReorder, EventType: "customer.updated", Count: 1, Delay: 2 * time.Second,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.h.emu.ChangeElsewhere(merchant, cu.ID, func(c *squarelocal.Customer) { c.Nickname = "Last words" }); err != nil {
		t.Fatal(err)
	}
	if err := e.h.emu.DeleteElsewhere(merchant, cu.ID); err != nil {
		t.Fatal(err)
	}
	waitDelivered(t, e.h)
	waitIndexed(t, e.h, merchant, cu.ID, func(_ index.Customer, found bool) bool { return !found })
}

func TestTesserasOwnSaveIsInTheIndexAtOnce(t *testing.T) {
	t.Parallel()
	e := newCustEnv(t, 0)
	merchant := e.h.merchant(0).ID
	// No webhook may do the work here: the save itself must.
	if err := e.h.emu.InjectDeliveryFault(squarelocal.DeliveryFault{Kind: squarelocal.DeliveryDrop}); err != nil {
		t.Fatal(err)
	}
	form := e.b.get("/customers/new")
	expect(t, form, http.StatusOK)
	p := e.submit(form, `[data-testid="customer-form"]`, map[string]string{"given_name": "Jane", "family_name": "Fernández"})
	if p.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /customers = %d, want 303", p.StatusCode)
	}
	id := p.location()[len("/customers/"):]
	c, err := e.h.index.Get(t.Context(), merchant, id)
	if err != nil || c.FamilyName != "Fernández" {
		t.Fatalf("the index right after the save has %+v, %v; want the new customer", c, err)
	}

	del := e.b.get("/customers/" + id + "/delete")
	expect(t, del, http.StatusOK)
	if p := e.submit(del, `[data-testid="delete-form"]`, nil); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST delete = %d, want 303", p.StatusCode)
	}
	if _, err := e.h.index.Get(t.Context(), merchant, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the index right after the delete has the customer (%v), want it gone", err)
	}
}

// waitDelivered waits until the emulator has no delivery left to make.
func waitDelivered(t *testing.T, h *harness) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.emu.PendingDeliveries() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the emulator still has %d deliveries after 5 s", h.emu.PendingDeliveries())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTheConnectionPageAccountsForTheIndexAndRebuildsIt(t *testing.T) {
	t.Parallel()
	e := newCustEnv(t, 0)
	merchant := e.h.merchant(0).ID
	if err := e.h.syncer.Full(t.Context(), merchant, e.sq.Customers); err != nil {
		t.Fatalf("Full = %v", err)
	}
	want := len(listCustomers(t, e.sq))

	p := e.b.get("/settings/connection")
	expect(t, p, http.StatusOK)
	if got := custText(p, "index-customers"); got != thousandsText(want) {
		t.Errorf("GET /settings/connection customers indexed = %q, want %q", got, thousandsText(want))
	}
	if got := custText(p, "index-full-sync"); got == "" || got == "Not yet" {
		t.Errorf("GET /settings/connection last full sync = %q, want its time", got)
	}
	if got := custText(p, "index-webhooks"); !strings.HasPrefix(got, "Configured") {
		t.Errorf("GET /settings/connection webhooks = %q, want Configured in local mode", got)
	}

	done := e.submit(p, `[data-testid="index-rebuild-form"]`, nil)
	after := e.expectFlash(done, "/settings/connection", "The customer index is being rebuilt")
	st, err := e.h.index.SyncState(t.Context(), merchant)
	if err != nil || st.Ready() {
		t.Errorf("SyncState after Rebuild index = ready %v, %v; want a new full sync pending", st.Ready(), err)
	}
	if got := custText(after, "index-full-sync"); got != "Not yet" {
		t.Errorf("after Rebuild index the last full sync = %q, want Not yet until the new one completes", got)
	}
}

// thousandsText writes n as the pages do: 1,234.
func thousandsText(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// BenchmarkWebhookToIndex is a customer.updated delivery, signed as Square
// signs it, from its arrival to the index holding the new state: what the
// next directory request sees (budget: 50 ms).
func BenchmarkWebhookToIndex(b *testing.B) {
	h := newHarness(b, withWebhookKey(testWebhookKey))
	merchant := h.merchant(0).ID
	created, err := h.emu.CreateElsewhere(merchant, squarelocal.Customer{GivenName: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	id := created.ID
	client := h.srv.Client()
	version := int64(100)
	for b.Loop() {
		version++
		body := `{"merchant_id":"` + merchant + `","type":"customer.updated","event_id":"ev-` + strconv.FormatInt(version, 10) +
			`","created_at":"2026-03-02T09:00:00Z","data":{"type":"customer","id":"` + id + `","object":{"customer":{"id":"` + id +
			`","given_name":"Bench","version":` + strconv.FormatInt(version, 10) + `,"updated_at":"2026-03-02T09:00:00Z"}}}}`
		req, _ := http.NewRequest(http.MethodPost, h.url(webhook.Path), strings.NewReader(body))
		req.Header.Set(webhook.SignatureHeader, webhook.Sign(testWebhookKey, h.cfg.WebhookURL(), []byte(body)))
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("POST %s = %d, want 200", webhook.Path, resp.StatusCode)
		}
		if c, err := h.index.Get(b.Context(), merchant, id); err != nil || c.Version != version {
			b.Fatalf("index.Get after the delivery = %+v, %v; want version %d", c, err, version)
		}
	}
}
