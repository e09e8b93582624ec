package squarelocal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/squarelocal/squarespec"
)

// The notification URL and key the tests subscribe with.
const (
	testHookURL = "https://tessera.example/webhooks/square"
	testHookKey = "test-signature-key"
)

// fastRetries is a retry schedule short enough for tests.
var fastRetries = []time.Duration{5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond}

// received is one delivery as the receiver saw it.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint that records what arrives and answers
// with the status answer gives for the nth delivery (0-based; nil: 200).
type receiver struct {
	mu     sync.Mutex
	got    []received
	answer func(n int, r *http.Request) int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	n := len(rc.got)
	rc.got = append(rc.got, received{header: r.Header.Clone(), body: body})
	answer := rc.answer
	rc.mu.Unlock()
	status := http.StatusOK
	if answer != nil {
		status = answer(n, r)
	}
	w.WriteHeader(status)
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// waitFor waits until at least n deliveries arrived and returns them all.
func (rc *receiver) waitFor(t testing.TB, n int) []received {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := rc.all()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("receiver got %d deliveries in 5s, want %d", len(got), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitLogged waits until the delivery log has at least n entries: an
// attempt is logged once the receiver's answer is back, a moment after the
// receiver saw it.
func waitLogged(t testing.TB, s *Server, n int) []Delivery {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		log := s.Deliveries()
		if len(log) >= n || time.Now().After(deadline) {
			return log
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// subscribe subscribes rc, in process, to every merchant's events.
func subscribe(t testing.TB, s *Server, rc http.Handler, change ...func(*Subscription)) string {
	t.Helper()
	sub := Subscription{URL: testHookURL, SignatureKey: testHookKey, Transport: HandlerTransport(rc), RetryDelays: fastRetries}
	for _, f := range change {
		f(&sub)
	}
	id, err := s.Subscribe(sub)
	if err != nil {
		t.Fatalf("Subscribe(%+v) = %v, want nil", sub, err)
	}
	return id
}

// eventOf decodes a delivered body.
func eventOf(t testing.TB, body []byte) Event {
	t.Helper()
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("delivery body %s is not an event: %v", body, err)
	}
	return ev
}

// hookEnv is a test environment with a subscribed receiver, closed at the
// end of the test.
func hookEnv(t *testing.T) (*testEnv, *receiver) {
	t.Helper()
	e := newEnv(t, -1)
	t.Cleanup(e.s.Close)
	rc := &receiver{}
	subscribe(t, e.s, rc)
	return e, rc
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestSignIsSquaresSignature(t *testing.T) {
	t.Parallel()
	const (
		key  = "signature-key"
		url  = "https://webhook.site/webhooks"
		body = `{"data":{"type":"webhooks","id":"fake_id"}}`
		want = "W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA="
	)
	if got := Sign(key, url, []byte(body)); got != want {
		t.Fatalf("Sign(Square's test vector) = %s, want %s", got, want)
	}
	cases := []struct {
		name, key, url, body string
	}{
		{"another key", "signature-kez", url, body},
		{"a changed byte of the body", key, url, `{"data":{"type":"webhooks","id":"fake_ie"}}`},
		{"another URL", key, "https://webhook.site/webhooks/", body},
	}
	for _, tc := range cases {
		if got := Sign(tc.key, tc.url, []byte(tc.body)); got == want {
			t.Errorf("Sign with %s = %s, want a different signature", tc.name, got)
		}
	}
}

func TestEveryCustomerChangeSendsSquaresEvent(t *testing.T) {
	t.Parallel()
	spec := squarespec.Load(t)
	type fixture struct {
		e       *testEnv
		c1, c2  Customer
		group   CustomerGroup
		inGroup Customer // a member of group
	}
	cases := []struct {
		name string
		do   func(t *testing.T, f *fixture)
		// want is the events' types and customer ids (named by
		// fixture field: "c1", "c2", "inGroup" or "new").
		want []string
	}{
		{"CreateCustomer sends customer.created", func(t *testing.T, f *fixture) {
			f.e.create(t, f.e.tokA, map[string]any{"given_name": "Nia"})
		}, []string{"customer.created new"}},
		{"an idempotent replay of CreateCustomer sends nothing more", func(t *testing.T, f *fixture) {
			body := map[string]any{"idempotency_key": "same", "given_name": "Nia"}
			f.e.create(t, f.e.tokA, body)
			f.e.create(t, f.e.tokA, body)
		}, []string{"customer.created new"}},
		{"UpdateCustomer sends customer.updated", func(t *testing.T, f *fixture) {
			mustDo(t, f.e, "PUT", "/v2/customers/"+f.c1.ID, map[string]any{"note": "changed"})
		}, []string{"customer.updated c1"}},
		{"a refused UpdateCustomer sends nothing", func(t *testing.T, f *fixture) {
			if status, body := f.e.do(t, "PUT", "/v2/customers/"+f.c1.ID, f.e.tokA, map[string]any{"version": 9, "note": "x"}); status != 400 {
				t.Fatalf("UpdateCustomer(stale version) = %d %s, want 400", status, body)
			}
		}, nil},
		{"DeleteCustomer sends customer.deleted", func(t *testing.T, f *fixture) {
			mustDo(t, f.e, "DELETE", "/v2/customers/"+f.c1.ID, nil)
		}, []string{"customer.deleted c1"}},
		{"BulkCreateCustomers sends customer.created for each", func(t *testing.T, f *fixture) {
			mustDo(t, f.e, "POST", "/v2/customers/bulk-create", map[string]any{"customers": map[string]any{
				"k1": map[string]any{"given_name": "A"}, "k2": map[string]any{"given_name": "B"}}})
		}, []string{"customer.created new", "customer.created new"}},
		{"BulkUpdateCustomers sends customer.updated for each change", func(t *testing.T, f *fixture) {
			mustDo(t, f.e, "POST", "/v2/customers/bulk-update", map[string]any{"customers": map[string]any{
				f.c1.ID: map[string]any{"note": "one"}, f.c2.ID: map[string]any{"version": 9}}})
		}, []string{"customer.updated c1"}},
		{"BulkDeleteCustomers sends customer.deleted for each", func(t *testing.T, f *fixture) {
			mustDo(t, f.e, "POST", "/v2/customers/bulk-delete", map[string]any{"customer_ids": []string{f.c1.ID, f.c2.ID}})
		}, []string{"customer.deleted c1", "customer.deleted c2"}},
		{"adding a customer to a group sends customer.updated", func(t *testing.T, f *fixture) {
			mustDo(t, f.e, "PUT", "/v2/customers/"+f.c1.ID+"/groups/"+f.group.ID, nil)
		}, []string{"customer.updated c1"}},
		{"removing a customer from a group sends customer.updated", func(t *testing.T, f *fixture) {
			mustDo(t, f.e, "DELETE", "/v2/customers/"+f.inGroup.ID+"/groups/"+f.group.ID, nil)
		}, []string{"customer.updated inGroup"}},
		{"deleting a group sends customer.updated for its members", func(t *testing.T, f *fixture) {
			mustDo(t, f.e, "DELETE", "/v2/customers/groups/"+f.group.ID, nil)
		}, []string{"customer.updated inGroup"}},
		{"storing and disabling a card sends no customer event", func(t *testing.T, f *fixture) {
			card := mustCreateCard(t, f.e, f.e.tokA, createCardBody(visaToken(t, f.e.s), f.c1.ID))
			mustDo(t, f.e, "POST", "/v2/cards/"+card.ID+"/disable", nil)
		}, nil},
		{"a change elsewhere sends customer.updated", func(t *testing.T, f *fixture) {
			if _, err := f.e.s.ChangeElsewhere(f.e.a.ID, f.c1.ID, func(c *Customer) { c.Nickname = "Nee" }); err != nil {
				t.Fatal(err)
			}
		}, []string{"customer.updated c1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, -1)
			t.Cleanup(e.s.Close)
			f := &fixture{e: e}
			f.c1 = e.create(t, e.tokA, map[string]any{"given_name": "One", "email_address": "one@example.com"})
			f.c2 = e.create(t, e.tokA, map[string]any{"given_name": "Two"})
			f.inGroup = e.create(t, e.tokA, map[string]any{"given_name": "Member"})
			sentinel := e.create(t, e.tokA, map[string]any{"given_name": "Sentinel"})
			f.group = createGroup(t, e, e.tokA, "VIP")
			mustDo(t, e, "PUT", "/v2/customers/"+f.inGroup.ID+"/groups/"+f.group.ID, nil)
			rc := &receiver{}
			subscribe(t, e.s, rc)

			tc.do(t, f)
			// Deliveries go out in order when nothing fails, so once a
			// later change has arrived every event of the step has too.
			if _, err := e.s.ChangeElsewhere(e.a.ID, sentinel.ID, func(c *Customer) { c.Note = "end" }); err != nil {
				t.Fatal(err)
			}
			var got []string
			ids := map[string]string{f.c1.ID: "c1", f.c2.ID: "c2", f.inGroup.ID: "inGroup"}
			for i := 1; ; i++ {
				all := rc.waitFor(t, i)
				ev := eventOf(t, all[i-1].body)
				if ev.Data.ID == sentinel.ID {
					break
				}
				if err := spec.CheckEvent(all[i-1].body); err != nil {
					t.Errorf("CheckEvent(%s) = %s, want nil", all[i-1].body, squarespec.Short(err))
				}
				name := ids[ev.Data.ID]
				if name == "" {
					name = "new"
				}
				got = append(got, ev.Type+" "+name)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("events = %q, want %q", got, tc.want)
			}
		})
	}
}

// mustDo sends a request as merchant A and fails the test unless it
// answers 200.
func mustDo(t testing.TB, e *testEnv, method, path string, body any) []byte {
	t.Helper()
	status, out := e.do(t, method, path, e.tokA, body)
	if status != http.StatusOK {
		t.Fatalf("%s %s = %d %s, want 200", method, path, status, out)
	}
	return out
}

func TestCustomerEventsHaveSquaresShape(t *testing.T) {
	t.Parallel()
	spec := squarespec.Load(t)
	e, rc := hookEnv(t)
	c := e.create(t, e.tokA, map[string]any{"given_name": "Shape", "email_address": "shape@example.com"})
	g := createGroup(t, e, e.tokA, "Regulars")
	mustDo(t, e, "PUT", "/v2/customers/"+c.ID+"/groups/"+g.ID, nil)
	mustDo(t, e, "DELETE", "/v2/customers/"+c.ID, nil)

	got := rc.waitFor(t, 3)
	wantTypes := []string{EventCustomerCreated, EventCustomerUpdated, EventCustomerDeleted}
	seen := map[string]bool{}
	for i, r := range got {
		if err := spec.CheckEvent(r.body); err != nil {
			t.Errorf("CheckEvent(%s) = %s, want nil", r.body, squarespec.Short(err))
		}
		ev := eventOf(t, r.body)
		if ev.Type != wantTypes[i] || ev.MerchantID != e.a.ID || ev.Data.Type != "customer" || ev.Data.ID != c.ID ||
			ev.Data.Object.Customer == nil || ev.Data.Object.Customer.ID != c.ID {
			t.Errorf("event %d = %s, want %s of customer %s of merchant %s", i, r.body, wantTypes[i], c.ID, e.a.ID)
		}
		if !uuidPattern.MatchString(ev.EventID) || seen[ev.EventID] {
			t.Errorf("event %d event_id = %q, want a new UUID", i, ev.EventID)
		}
		seen[ev.EventID] = true
		if _, err := time.Parse(time.RFC3339, ev.CreatedAt); err != nil {
			t.Errorf("event %d created_at = %q, want RFC 3339", i, ev.CreatedAt)
		}
		if strings.Contains(string(r.body), "segment_ids") {
			t.Errorf("event %d = %s, want no segment_ids (Square leaves them out)", i, r.body)
		}
	}
	updated := eventOf(t, got[1].body).Data.Object.Customer
	if updated.Version != 1 || !slices.Equal(updated.GroupIDs, []string{g.ID}) {
		t.Errorf("customer.updated customer = version %d groups %v, want version 1 in group %s", updated.Version, updated.GroupIDs, g.ID)
	}
	var deleted struct {
		Data struct {
			Deleted bool                       `json:"deleted"`
			Object  map[string]json.RawMessage `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(got[2].body, &deleted); err != nil {
		t.Fatal(err)
	}
	var dc map[string]any
	_ = json.Unmarshal(deleted.Data.Object["customer"], &dc)
	if !deleted.Data.Deleted || dc["group_ids"] != nil || dc["given_name"] != "Shape" || dc["version"] != float64(1) {
		t.Errorf("customer.deleted = %s, want data.deleted true and the last state without group_ids", got[2].body)
	}
}

func TestDeliveriesCarrySquaresHeadersAndSignature(t *testing.T) {
	t.Parallel()
	e, rc := hookEnv(t)
	e.create(t, e.tokA, map[string]any{"given_name": "Signed"})
	r := rc.waitFor(t, 1)[0]
	if got := r.header.Get("x-square-hmacsha256-signature"); got != Sign(testHookKey, testHookURL, r.body) {
		t.Errorf("x-square-hmacsha256-signature = %q, want %q", got, Sign(testHookKey, testHookURL, r.body))
	}
	if got := r.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if _, err := time.Parse(time.RFC3339, r.header.Get("square-initial-delivery-timestamp")); err != nil {
		t.Errorf("square-initial-delivery-timestamp = %q, want RFC 3339", r.header.Get("square-initial-delivery-timestamp"))
	}
	if got := r.header.Get("square-version"); got != DefaultSquareVersion {
		t.Errorf("square-version = %q, want %s", got, DefaultSquareVersion)
	}
	for _, h := range []string{"square-retry-number", "square-retry-reason"} {
		if v := r.header.Get(h); v != "" {
			t.Errorf("%s = %q on a first delivery, want none", h, v)
		}
	}
}

func TestFailedDeliveriesAreRetriedWithSquaresRetryHeaders(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		answer     func(n int, r *http.Request) int
		timeout    time.Duration
		wantReason string
	}{
		{"an error status", func(n int, _ *http.Request) int {
			if n < 2 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}, 0, RetryReasonHTTPError},
		{"a redirect, which Square does not follow", func(n int, _ *http.Request) int {
			if n < 2 {
				return http.StatusFound
			}
			return http.StatusOK
		}, 0, RetryReasonHTTPError},
		{"no answer in time", func(n int, r *http.Request) int {
			if n < 2 {
				<-r.Context().Done()
			}
			return http.StatusOK
		}, 200 * time.Millisecond, RetryReasonTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, -1)
			t.Cleanup(e.s.Close)
			rc := &receiver{answer: tc.answer}
			subscribe(t, e.s, rc, func(s *Subscription) { s.Timeout = tc.timeout })
			e.create(t, e.tokA, map[string]any{"given_name": "Retry"})
			got := rc.waitFor(t, 3)
			initial := got[0].header.Get("square-initial-delivery-timestamp")
			for i, r := range got[:3] {
				wantNumber, wantReason := "", ""
				if i > 0 {
					wantNumber, wantReason = fmt.Sprint(i), tc.wantReason
				}
				if n, reason := r.header.Get("square-retry-number"), r.header.Get("square-retry-reason"); n != wantNumber || reason != wantReason {
					t.Errorf("delivery %d retry number, reason = %q, %q, want %q, %q", i, n, reason, wantNumber, wantReason)
				}
				if string(r.body) != string(got[0].body) || r.header.Get("square-initial-delivery-timestamp") != initial {
					t.Errorf("delivery %d = %s at %s, want the first body and initial time %s", i, r.body, r.header.Get("square-initial-delivery-timestamp"), initial)
				}
			}
			// Nothing more is sent once a delivery succeeded.
			time.Sleep(30 * time.Millisecond)
			if n := len(rc.all()); n != 3 {
				t.Errorf("deliveries after success = %d, want 3", n)
			}
		})
	}
}

func TestADeliveryIsGivenUpAfterTheLastRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, -1)
	t.Cleanup(e.s.Close)
	rc := &receiver{answer: func(int, *http.Request) int { return http.StatusServiceUnavailable }}
	subscribe(t, e.s, rc, func(s *Subscription) { s.RetryDelays = []time.Duration{time.Millisecond, time.Millisecond} })
	e.create(t, e.tokA, map[string]any{"given_name": "Never"})
	rc.waitFor(t, 3)
	time.Sleep(50 * time.Millisecond)
	if n := len(rc.all()); n != 3 {
		t.Errorf("attempts = %d, want 3 (the first and two retries)", n)
	}
	log := waitLogged(t, e.s, 3)
	if len(log) != 3 || log[2].RetryNumber != 2 || log[2].Status != 503 || log[2].Delivered() {
		t.Errorf("Deliveries() = %+v, want three failed attempts, the last retry 2 with status 503", log)
	}
}

func TestSquaresRetryScheduleLastsSeventyTwoHours(t *testing.T) {
	t.Parallel()
	delays := SquareRetryDelays()
	var total time.Duration
	for _, d := range delays {
		total += d
	}
	if len(delays) != 78 || delays[0] != time.Minute || delays[5] != 32*time.Minute || delays[6] != time.Hour {
		t.Errorf("SquareRetryDelays() = %d delays starting %v, want 78 starting 1m, 2m, 4m, 8m, 16m, 32m, 1h", len(delays), delays[:7])
	}
	// Square's table: retry 6 is 63 minutes after the event, then 72 hourly
	// retries (7 to 78) reach its 72 hours of retrying.
	if want := 63*time.Minute + 72*time.Hour; total != want {
		t.Errorf("SquareRetryDelays() add up to %v, want %v", total, want)
	}
}

func TestDeliveriesNeverHoldUpTheAPIAndStopOnClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t, -1)
	entered := make(chan struct{}, 1)
	hanging := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	})
	subscribe(t, e.s, hanging, func(s *Subscription) { s.Timeout = time.Hour })
	start := time.Now()
	for i := range 20 {
		e.create(t, e.tokA, map[string]any{"given_name": fmt.Sprint("Quick", i)})
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("20 CreateCustomer calls with a receiver that never answers took %v, want well under 2s", d)
	}
	<-entered
	closed := make(chan struct{})
	go func() { e.s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close() did not return with a delivery under way, want it to cancel the delivery")
	}
	// Close waited for the delivery goroutine, which logged the cancelled
	// attempt before it ended.
	if log := e.s.Deliveries(); len(log) == 0 || log[0].Error == "" || log[0].Delivered() {
		t.Errorf("Deliveries() after Close = %+v, want the cancelled attempt", log)
	}
	if _, err := e.s.Subscribe(Subscription{URL: testHookURL, SignatureKey: testHookKey}); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
}

func TestSubscriptionsGetTheirMerchantsEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, -1)
	t.Cleanup(e.s.Close)
	onlyA, all := &receiver{}, &receiver{}
	subscribe(t, e.s, onlyA, func(s *Subscription) { s.MerchantID = e.a.ID })
	subscribe(t, e.s, all)
	e.create(t, e.tokB, map[string]any{"given_name": "Bea"})
	e.create(t, e.tokA, map[string]any{"given_name": "Abe"})
	gotAll := all.waitFor(t, 2)
	gotA := onlyA.waitFor(t, 1)
	if len(gotA) != 1 || eventOf(t, gotA[0].body).MerchantID != e.a.ID {
		t.Errorf("merchant A's subscription got %d events, the first of %s, want only merchant A's", len(gotA), eventOf(t, gotA[0].body).MerchantID)
	}
	if m := eventOf(t, gotAll[0].body).MerchantID; m != e.b.ID {
		t.Errorf("the all-merchants subscription's first event is of %s, want merchant B's %s", m, e.b.ID)
	}
}

func TestUnsubscribeStopsDeliveries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, -1)
	t.Cleanup(e.s.Close)
	rc := &receiver{}
	id := subscribe(t, e.s, rc)
	e.create(t, e.tokA, map[string]any{"given_name": "Before"})
	rc.waitFor(t, 1)
	if !e.s.Unsubscribe(id) {
		t.Fatalf("Unsubscribe(%s) = false, want true", id)
	}
	e.create(t, e.tokA, map[string]any{"given_name": "After"})
	time.Sleep(30 * time.Millisecond)
	if n := len(rc.all()); n != 1 {
		t.Errorf("deliveries after Unsubscribe = %d, want 1", n)
	}
	if e.s.Unsubscribe(id) {
		t.Errorf("Unsubscribe(%s) twice = true, want false", id)
	}
}

func TestSubscribeRefusesWhatCannotWork(t *testing.T) {
	t.Parallel()
	s := New(Options{CustomersPerMerchant: -1})
	t.Cleanup(s.Close)
	cases := []struct {
		name string
		sub  Subscription
	}{
		{"a relative URL", Subscription{URL: "/webhooks/square", SignatureKey: "k"}},
		{"a URL that is not http", Subscription{URL: "ftp://x/y", SignatureKey: "k"}},
		{"no signature key", Subscription{URL: testHookURL}},
		{"a negative retry delay", Subscription{URL: testHookURL, SignatureKey: "k", RetryDelays: []time.Duration{-1}}},
	}
	for _, tc := range cases {
		if _, err := s.Subscribe(tc.sub); !errors.Is(err, ErrInvalidSubscription) {
			t.Errorf("Subscribe(%s) = %v, want ErrInvalidSubscription", tc.name, err)
		}
	}
}

func TestDeliveryFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault DeliveryFault
		// want is the order in which the first and second change arrive.
		want []string
	}{
		{"drop loses the event", DeliveryFault{Kind: DeliveryDrop, Count: 1}, []string{"second"}},
		{"duplicate sends it twice", DeliveryFault{Kind: DeliveryDuplicate, Count: 1}, []string{"first", "first", "second"}},
		{"delay lets a later event overtake it", DeliveryFault{Kind: DeliveryDelay, Delay: 50 * time.Millisecond, Count: 1}, []string{"second", "first"}},
		{"reorder sends it after the next one", DeliveryFault{Kind: DeliveryReorder, Delay: time.Minute, Count: 1}, []string{"second", "first"}},
		{"a fault for another event type leaves these alone", DeliveryFault{Kind: DeliveryDrop, EventType: EventCustomerDeleted}, []string{"first", "second"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, -1)
			t.Cleanup(e.s.Close)
			c := e.create(t, e.tokA, map[string]any{"given_name": "Faulty"})
			rc := &receiver{}
			subscribe(t, e.s, rc)
			if err := e.s.InjectDeliveryFault(tc.fault); err != nil {
				t.Fatalf("InjectDeliveryFault(%+v) = %v, want nil", tc.fault, err)
			}
			for _, note := range []string{"first", "second"} {
				if _, err := e.s.ChangeElsewhere(e.a.ID, c.ID, func(c *Customer) { c.Note = note }); err != nil {
					t.Fatal(err)
				}
			}
			rc.waitFor(t, len(tc.want))
			time.Sleep(80 * time.Millisecond) // anything more would have come by now
			var got []string
			var ids []string
			for _, r := range rc.all() {
				ev := eventOf(t, r.body)
				got = append(got, ev.Data.Object.Customer.Note)
				ids = append(ids, ev.EventID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("arrived = %q, want %q", got, tc.want)
			}
			if tc.fault.Kind == DeliveryDuplicate && len(ids) == 3 && ids[0] != ids[1] {
				t.Errorf("duplicate event ids = %s and %s, want the same", ids[0], ids[1])
			}
			if tc.fault.Count == 1 && len(e.s.DeliveryFaults()) != 0 {
				t.Errorf("DeliveryFaults() after its one use = %+v, want none", e.s.DeliveryFaults())
			}
		})
	}
}

func TestAReorderedEventIsSentEvenIfNothingOvertakesIt(t *testing.T) {
	t.Parallel()
	e, rc := hookEnv(t)
	if err := e.s.InjectDeliveryFault(DeliveryFault{Kind: DeliveryReorder, Delay: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	e.create(t, e.tokA, map[string]any{"given_name": "Alone"})
	if ev := eventOf(t, rc.waitFor(t, 1)[0].body); ev.Type != EventCustomerCreated {
		t.Errorf("event = %s, want customer.created", ev.Type)
	}
	if log := waitLogged(t, e.s, 1); len(log) != 1 || log[0].Fault != string(DeliveryReorder) || !log[0].Delivered() {
		t.Errorf("Deliveries() = %+v, want one delivered attempt marked reorder", log)
	}
}

func TestInjectDeliveryFaultRefusesBadFaults(t *testing.T) {
	t.Parallel()
	s := New(Options{CustomersPerMerchant: -1})
	t.Cleanup(s.Close)
	for _, f := range []DeliveryFault{
		{Kind: "explode"},
		{Kind: DeliveryDelay},
		{Kind: DeliveryDrop, Rate: 2},
		{Kind: DeliveryDrop, Count: -1},
	} {
		if err := s.InjectDeliveryFault(f); err == nil {
			t.Errorf("InjectDeliveryFault(%+v) = nil, want an error", f)
		}
	}
	if got := s.DeliveryFaults(); len(got) != 0 {
		t.Errorf("DeliveryFaults() = %+v, want none", got)
	}
}

// controlBody sends a request to the emulator's controls as a test program
// does, to localhost with a JSON content type unless header sets another,
// and returns the raw answer.
func controlBody(t testing.TB, s *Server, method, path, body string, header ...string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

func TestDeliveryControls(t *testing.T) {
	t.Parallel()
	e, rc := hookEnv(t)
	s := e.s
	cases := []struct {
		name, method, path, body string
		header                   []string
		wantStatus               int
		wantBody                 string
	}{
		{"a delay fault is switched on", "POST", "/_squarelocal/delivery-faults", `{"kind":"delay","delay":"10ms","count":1}`, nil, 200, `"kind":"delay"`},
		{"the faults are listed", "GET", "/_squarelocal/delivery-faults", "", nil, 200, `"delay":10000000`},
		{"an unknown kind is refused", "POST", "/_squarelocal/delivery-faults", `{"kind":"explode"}`, nil, 400, "unknown delivery fault kind"},
		{"a delay that is no duration is refused", "POST", "/_squarelocal/delivery-faults", `{"kind":"delay","delay":"soon"}`, nil, 400, "INVALID_VALUE"},
		{"a form post is refused", "POST", "/_squarelocal/delivery-faults", `kind=drop`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 403, "FORBIDDEN"},
		{"the faults are cleared", "DELETE", "/_squarelocal/delivery-faults", "", nil, 200, "{}"},
		{"the faults are gone", "GET", "/_squarelocal/delivery-faults", "", nil, 200, `{"faults":[]}`},
	}
	for _, tc := range cases {
		status, body := controlBody(t, s, tc.method, tc.path, tc.body, tc.header...)
		if status != tc.wantStatus || !strings.Contains(string(body), tc.wantBody) {
			t.Errorf("%s: %s %s = %d %s, want %d with %s", tc.name, tc.method, tc.path, status, body, tc.wantStatus, tc.wantBody)
		}
	}

	e.create(t, e.tokA, map[string]any{"given_name": "Logged"})
	rc.waitFor(t, 1)
	waitLogged(t, s, 1)
	status, body := controlBody(t, s, "GET", "/_squarelocal/deliveries", "")
	var log struct{ Deliveries []Delivery }
	if err := json.Unmarshal(body, &log); status != 200 || err != nil || len(log.Deliveries) != 1 {
		t.Fatalf("GET /_squarelocal/deliveries = %d %s, want 200 with one delivery", status, body)
	}
	d := log.Deliveries[0]
	if ev, err := d.Event(); err != nil || d.Status != 200 || d.URL != testHookURL || d.EventType != EventCustomerCreated || ev.EventID != d.EventID {
		t.Errorf("delivery = %+v, want a delivered customer.created to %s", d, testHookURL)
	}
	if status, _ := controlBody(t, s, "DELETE", "/_squarelocal/deliveries", ""); status != 200 || len(s.Deliveries()) != 0 {
		t.Errorf("DELETE /_squarelocal/deliveries = %d leaving %d, want 200 and an empty log", status, len(s.Deliveries()))
	}
}

func TestRevokingAnAuthorizationSendsOAuthAuthorizationRevoked(t *testing.T) {
	t.Parallel()
	spec := squarespec.Load(t)
	s := New(Options{CustomersPerMerchant: -1})
	t.Cleanup(s.Close)
	rc := &receiver{}
	subscribe(t, s, rc)
	m, other := s.Merchants()[0].ID, s.Merchants()[1].ID
	first := exchangeCode(t, s, authorizeCode(t, s, m), "")
	second := exchangeCode(t, s, authorizeCode(t, s, m), "")
	exchangeCode(t, s, authorizeCode(t, s, other), "")
	client := []string{"Authorization", "Client " + LocalClientSecret}
	revoke := func(body map[string]any) {
		t.Helper()
		if status, out := oauthDo(t, s, "/oauth2/revoke", body, client...); status != 200 {
			t.Fatalf("RevokeToken(%v) = %d %s, want 200", body, status, out)
		}
	}
	// One access token alone ends no authorization: no event.
	revoke(map[string]any{"client_id": LocalClientID, "access_token": first.AccessToken, "revoke_only_access_token": true})
	// The whole authorization: one event, and none for a second revoke.
	revoke(map[string]any{"client_id": LocalClientID, "access_token": second.AccessToken})
	revoke(map[string]any{"client_id": LocalClientID, "merchant_id": m})
	// The seller revokes in Square's dashboard.
	if err := s.RevokeByMerchant(other); err != nil {
		t.Fatalf("RevokeByMerchant(%s) = %v, want nil", other, err)
	}
	if err := s.RevokeByMerchant("NOPE"); !errors.Is(err, ErrUnknownMerchant) {
		t.Errorf("RevokeByMerchant(NOPE) = %v, want ErrUnknownMerchant", err)
	}
	rc.waitFor(t, 2)
	time.Sleep(30 * time.Millisecond)
	got := rc.all()
	want := []struct{ merchant, revoker string }{{m, RevokerApplication}, {other, RevokerMerchant}}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i, r := range got {
		if err := spec.CheckEvent(r.body); err != nil {
			t.Errorf("CheckEvent(%s) = %s, want nil", r.body, squarespec.Short(err))
		}
		ev := eventOf(t, r.body)
		rv := ev.Data.Object.Revocation
		if ev.Type != EventOAuthRevoked || ev.MerchantID != want[i].merchant || ev.Data.Type != "revocation" || rv == nil ||
			rv.RevokerType != want[i].revoker || rv.RevokedAt == "" {
			t.Errorf("event %d = %s, want oauth.authorization.revoked of %s by %s", i, r.body, want[i].merchant, want[i].revoker)
		}
	}
}

func TestPendingDeliveriesReachesZeroOnceEverythingIsDelivered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, -1)
	t.Cleanup(e.s.Close)
	release := make(chan struct{})
	rc := &receiver{answer: func(n int, _ *http.Request) int {
		if n == 0 {
			<-release
			return http.StatusBadGateway
		}
		return http.StatusOK
	}}
	subscribe(t, e.s, rc)
	e.create(t, e.tokA, map[string]any{"given_name": "Pending"})
	e.create(t, e.tokA, map[string]any{"given_name": "Queued"})
	rc.waitFor(t, 1)
	if n := e.s.PendingDeliveries(); n != 2 {
		t.Errorf("PendingDeliveries() with one attempt under way and one queued = %d, want 2", n)
	}
	status, body := controlBody(t, e.s, "GET", "/_squarelocal/deliveries", "")
	if status != 200 || !strings.Contains(string(body), `"pending":2`) {
		t.Errorf("GET /_squarelocal/deliveries = %d %s, want pending 2", status, body)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for e.s.PendingDeliveries() != 0 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	// Nothing is left: the failed first event was retried and both arrived.
	if n, log := e.s.PendingDeliveries(), e.s.Deliveries(); n != 0 || len(log) != 3 || len(rc.all()) != 3 {
		t.Errorf("PendingDeliveries() = %d with %d logged and %d received, want 0 with 3 and 3", n, len(log), len(rc.all()))
	}
}
