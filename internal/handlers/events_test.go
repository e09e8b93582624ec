package handlers_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// The stream of live updates, GET /events, as a browser's EventSource
// reads it: merchant by merchant, resumable, ended with the session.

func withLiveHeartbeat(d time.Duration) harnessOption {
	return func(o *harnessOptions) { o.liveHeartbeat = d }
}

// sseEvent is one event of a stream; a comment (a heartbeat) has only
// Comment set.
type sseEvent struct {
	ID, Event, Data, Comment, Retry string
}

// sseStream is an open stream, read in the background.
type sseStream struct {
	t      testing.TB
	resp   *http.Response
	events chan sseEvent
}

// openStream opens the browser's stream, sending lastID as Last-Event-ID
// when not empty, and asserts it is one.
func (b *browser) openStream(lastID string) *sseStream {
	b.h.t.Helper()
	return b.openStreamAt(b.h.url("/events"), lastID)
}

// openStreamAt opens the stream at another address of the same Tessera.
func (b *browser) openStreamAt(target, lastID string) *sseStream {
	b.h.t.Helper()
	resp := b.requestStreamAt(target, lastID)
	if resp.StatusCode != http.StatusOK {
		b.h.t.Fatalf("GET /events = %d, want 200", resp.StatusCode)
	}
	s := &sseStream{t: b.h.t, resp: resp, events: make(chan sseEvent, 100)}
	b.h.t.Cleanup(func() { _ = resp.Body.Close() })
	go s.read()
	return s
}

// requestStream sends GET /events as EventSource does, without the
// client's timeout, which would cut the stream.
func (b *browser) requestStream(lastID string) *http.Response {
	b.h.t.Helper()
	return b.requestStreamAt(b.h.url("/events"), lastID)
}

func (b *browser) requestStreamAt(target, lastID string) *http.Response {
	b.h.t.Helper()
	req, err := http.NewRequestWithContext(b.h.t.Context(), http.MethodGet, target, nil)
	if err != nil {
		b.h.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	// Asked for explicitly, so that the client does not undo a gzip the
	// test must see.
	req.Header.Set("Accept-Encoding", "gzip")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	client := &http.Client{Jar: b.jar, Transport: b.client.Transport}
	resp, err := client.Do(req)
	if err != nil {
		b.h.t.Fatalf("GET /events: %v", err)
	}
	return resp
}

func (s *sseStream) read() {
	defer close(s.events)
	sc := bufio.NewScanner(s.resp.Body)
	var e sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if e != (sseEvent{}) {
				s.events <- e
			}
			e = sseEvent{}
		case strings.HasPrefix(line, ":"):
			e.Comment = strings.TrimSpace(line[1:])
		default:
			k, v, _ := strings.Cut(line, ": ")
			switch k {
			case "id":
				e.ID = v
			case "event":
				e.Event = v
			case "data":
				e.Data = v
			case "retry":
				e.Retry = v
			}
		}
	}
}

// next returns the next event that is not a comment or the retry advice.
func (s *sseStream) next() sseEvent {
	s.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-s.events:
			if !ok {
				s.t.Fatal("the stream ended, want an event")
			}
			if e.Event != "" {
				return e
			}
		case <-timeout:
			s.t.Fatal("no event within 5 s")
		}
	}
}

// quiet asserts no event arrives for a while.
func (s *sseStream) quiet(d time.Duration) {
	s.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case e, ok := <-s.events:
			if ok && e.Event != "" {
				s.t.Fatalf("got %+v, want no event", e)
			}
			if !ok {
				return
			}
		case <-timeout:
			return
		}
	}
}

// ends asserts the stream says it ended, then closes.
func (s *sseStream) ends() {
	s.t.Helper()
	if e := s.next(); e.Event != "end" {
		s.t.Fatalf("got %+v, want the end event", e)
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return
			}
		case <-timeout:
			s.t.Fatal("the stream stayed open after its end event")
		}
	}
}

// firstCustomer is the id of the first customer on the browser's directory.
func (b *browser) firstCustomer() string {
	b.h.t.Helper()
	p := b.get("/customers")
	expect(b.h.t, p, http.StatusOK)
	id, ok := p.Doc.Find("[data-customer-id]").First().Attr("data-customer-id")
	if !ok {
		b.h.t.Fatal("the directory lists no customer")
	}
	return id
}

// renameElsewhere changes a customer's first name in Square, as its POS
// would: the emulator's webhook brings it to Tessera.
func (h *harness) renameElsewhere(merchantID, customerID, name string) {
	h.t.Helper()
	if _, err := h.emu.ChangeElsewhere(merchantID, customerID, func(c *squarelocal.Customer) { c.GivenName = name }); err != nil {
		h.t.Fatalf("ChangeElsewhere: %v", err)
	}
}

func TestAStreamCarriesItsOwnMerchantsChangesOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := h.newBrowser(), h.newBrowser()
	a.signIn(0)
	b.signIn(1)
	custA, custB := a.firstCustomer(), b.firstCustomer()
	streamA, streamB := a.openStream(""), b.openStream("")

	h.renameElsewhere(h.merchant(0).ID, custA, "Zelda")
	e := streamA.next()
	if e.Event != "change" || e.ID == "" || !strings.Contains(e.Data, `"customer":"`+custA+`"`) || !strings.Contains(e.Data, `"elsewhere":true`) {
		t.Errorf("merchant A's stream got %+v, want the change of %s made elsewhere, with an id", e, custA)
	}
	if !strings.Contains(e.Data, `"given_name"`) && !strings.Contains(e.Data, `"kind":"created"`) {
		t.Errorf("the event %s names no changed field", e.Data)
	}
	// B's first event is its own merchant's: A's never reached it.
	h.renameElsewhere(h.merchant(1).ID, custB, "Yusuf")
	if e := streamB.next(); !strings.Contains(e.Data, `"customer":"`+custB+`"`) {
		t.Errorf("merchant B's stream got %+v first, want the change of its own %s", e, custB)
	}
	streamA.quiet(100 * time.Millisecond)
}

func TestAStreamAnswersAsProxiesNeed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withLiveHeartbeat(20*time.Millisecond))
	a := h.newBrowser()
	a.signIn(0)
	s := a.openStream("")
	for k, want := range map[string]string{
		"Content-Type":      "text/event-stream; charset=utf-8",
		"X-Accel-Buffering": "no",
		"Cache-Control":     "no-store",
		"Content-Encoding":  "",
	} {
		if got := s.resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	timeout := time.After(5 * time.Second)
	for beats := 0; beats < 2; {
		select {
		case e := <-s.events:
			if e.Comment == "heartbeat" {
				beats++
			}
		case <-timeout:
			t.Fatalf("%d heartbeats within 5 s, want 2", beats)
		}
	}
}

// The server's read and write timeouts (15 s and 30 s in cmd/web) would cut
// a stream; its per-write deadlines take their place.
func TestAStreamOutlivesTheServersTimeouts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withLiveHeartbeat(20*time.Millisecond))
	a := h.newBrowser()
	a.signIn(0)
	short := httptest.NewUnstartedServer(h.srv.Config.Handler)
	short.Config.ReadTimeout, short.Config.WriteTimeout = 100*time.Millisecond, 100*time.Millisecond
	short.Start()
	t.Cleanup(short.Close)
	// Cookies are not bound to a port: the browser's session goes along.
	s := a.openStreamAt(short.URL+"/events", "")
	time.Sleep(400 * time.Millisecond)
	for len(s.events) > 0 {
		<-s.events
	}
	select {
	case e, ok := <-s.events:
		if !ok {
			t.Fatal("the stream ended within 4 times the server's timeouts")
		}
		if e.Comment != "heartbeat" {
			t.Errorf("got %+v, want a heartbeat", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no heartbeat after the server's timeouts")
	}
}

func TestAStreamResumesAfterTheLastEventSeen(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.newBrowser()
	a.signIn(0)
	m := h.merchant(0).ID
	cust := a.firstCustomer()
	s := a.openStream("")
	h.renameElsewhere(m, cust, "One")
	first := s.next()
	_ = s.resp.Body.Close()

	h.renameElsewhere(m, cust, "Two")
	h.renameElsewhere(m, cust, "Three")
	again := a.openStream(first.ID)
	e1, e2 := again.next(), again.next()
	if e1.Event != "change" || e2.Event != "change" || e1.ID <= first.ID || e2.ID <= e1.ID {
		t.Errorf("after reconnecting with %s: %+v then %+v, want the two missed changes in order", first.ID, e1, e2)
	}
	// An id the server cannot vouch for asks the page to reload its data.
	if e := a.openStream("1").next(); e.Event != "reset" {
		t.Errorf("resuming after an event long gone = %+v, want a reset", e)
	}
}

func TestAStreamEndsAtSignOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.newBrowser()
	a.signIn(0)
	s := a.openStream("")
	a.signOut()
	s.ends()
	if resp := a.requestStream(""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("GET /events signed out = %d, want 204, which stops EventSource", resp.StatusCode)
	}
}

func TestAStreamEndsWhenItsSessionTimesOutAndDoesNotKeepItAlive(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSessionTimeouts(30*time.Minute, 12*time.Hour), withLiveHeartbeat(20*time.Millisecond))
	a := h.newBrowser()
	a.signIn(0)
	s := a.openStream("")
	// Heartbeats for 20 minutes of the session's clock touch nothing...
	h.clock.Advance(20 * time.Minute)
	s.quiet(100 * time.Millisecond)
	s2 := a.openStream("")
	// ...so 30 minutes after the last page, the session has timed out.
	h.clock.Advance(11 * time.Minute)
	s.ends()
	s2.ends()
	if _, signedIn := h.sessionData(a.sessionCookie()); signedIn {
		t.Error("the session is still signed in after 31 minutes with only a stream open")
	}
}

func TestASessionHoldsAFewStreams(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.newBrowser()
	a.signIn(0)
	first := a.openStream("")
	for range 4 {
		a.openStream("")
	}
	first.ends()
}

func TestAStreamWithoutASessionIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if resp := h.newBrowser().requestStream(""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("GET /events without a session = %d, want 204", resp.StatusCode)
	}
}

// BenchmarkIdleStreams measures what 200 open, idle streams cost: the
// heap and goroutine stacks they hold (server and test client together, so
// an upper bound of the server's share), and the process's resident
// memory. The budget is 20 MB.
//
//	go test -run '^$' -bench IdleStreams -benchtime 1x ./internal/handlers/
func BenchmarkIdleStreams(b *testing.B) {
	const streams = 200
	h := newHarness(b)
	browsers := make([]*browser, streams/4)
	for i := range browsers {
		browsers[i] = h.newBrowser()
		browsers[i].signIn(0)
	}
	for b.Loop() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		rssBefore := residentBytes(b)
		opened := make([]*sseStream, 0, streams)
		for i := range streams {
			// Four per session: the most a session may hold.
			opened = append(opened, browsers[i/4].openStream(""))
		}
		// Every stream has answered: its retry advice has arrived.
		for _, s := range opened {
			<-s.events
		}
		time.Sleep(200 * time.Millisecond)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if st := h.live.Stats(); st.Streams != streams {
			b.Fatalf("%d streams open, want %d", st.Streams, streams)
		}
		held := float64(after.HeapInuse+after.StackInuse) - float64(before.HeapInuse+before.StackInuse)
		b.ReportMetric(held/(1<<20), "MB-heap+stacks")
		b.ReportMetric(float64(residentBytes(b)-rssBefore)/(1<<20), "MB-rss")
		b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
		for _, s := range opened {
			_ = s.resp.Body.Close()
		}
	}
}

// residentBytes is the process's resident memory, from /proc (0 where
// there is none).
func residentBytes(b *testing.B) int64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}
