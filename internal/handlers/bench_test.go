package handlers_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server-overhead benchmarks: the time Tessera itself spends on a page,
// everything but waiting for Square. The harness runs the real server on
// a real listener with squarelocal in process behind the real Square
// client; squareTimer sits between the two and measures how long Square
// calls were in flight, which tessera-ns/op leaves out. The target is
// under 1 ms of tessera-ns/op per page on a 2-core machine.
//
//	go test -run '^$' -bench . -benchmem ./internal/handlers/
//
// ns/op is the whole round trip: the benchmark's HTTP client, Tessera and
// squarelocal. B/op and allocs/op count every goroutine of the process, so
// they include squarelocal's work and the client's too.

// squareTimer is a RoundTripper that measures the wall time during which
// at least one Square call was in flight, and the most calls in flight at
// once. Overlapping calls (the profile's) are counted once: summing their
// durations would take more than the waiting off Tessera's time.
type squareTimer struct {
	next http.RoundTripper

	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	calls       int
	busySince   time.Time
	busy        time.Duration
}

// wrap is the harness option's hook: it puts the timer in front of the
// emulator's transport.
func (s *squareTimer) wrap(next http.RoundTripper) http.RoundTripper {
	s.next = next
	return s
}

func (s *squareTimer) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	if s.inFlight == 0 {
		s.busySince = time.Now()
	}
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.mu.Unlock()

	// squarelocal's transport answers with the body already in memory, so
	// reading and decoding it afterwards is the client's (Tessera's) time.
	resp, err := s.next.RoundTrip(req)

	s.mu.Lock()
	s.inFlight--
	s.calls++
	if s.inFlight == 0 {
		s.busy += time.Since(s.busySince)
	}
	s.mu.Unlock()
	return resp, err
}

// squareStats is what a squareTimer measured.
type squareStats struct {
	busy        time.Duration
	calls       int
	maxInFlight int
}

// stats returns the totals since the last reset.
func (s *squareTimer) stats() squareStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return squareStats{busy: s.busy, calls: s.calls, maxInFlight: s.maxInFlight}
}

// reset starts the totals again.
func (s *squareTimer) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy, s.calls, s.maxInFlight = 0, 0, s.inFlight
}

// benchEnv is a harness with a browser signed in as the first merchant and
// Square's calls timed.
type benchEnv struct {
	*custEnv
	timer *squareTimer
}

// newBenchEnv starts the harness. Signing in lands on the directory, which
// fills the merchant cache, so every benchmark runs with it warm.
func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	timer := &squareTimer{}
	return &benchEnv{custEnv: newCustEnv(b, 0, withSquareTransport(timer.wrap)), timer: timer}
}

// fetch sends a request as the signed-in browser and reads the answer
// without parsing it, as gzip: a browser asks for it, and the Go client
// then leaves the body compressed, so the client's decompression is not
// timed. It fails the benchmark unless the status is want.
func (e *benchEnv) fetch(method, target string, form url.Values, want int, header ...string) {
	e.t.Helper()
	resp := e.b.send(method, target, form, headers(append(header, "Accept-Encoding", "gzip")...))
	_, err := io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		e.t.Fatalf("%s %s: reading the body: %v", method, target, err)
	}
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s = %d, want %d", method, target, resp.StatusCode, want)
	}
}

// measure runs op as the benchmark's operation, and between operations
// untimed (when not nil), and reports beside ns/op:
//
//   - tessera-ns/op, the time less the time Square calls were in flight;
//   - square-ns/op, that time in Square;
//   - square-calls/op, how many calls each operation made;
//   - cpu-ns/op, the CPU time of the whole process (the benchmark's client
//     and squarelocal included) per operation, which other work on a
//     shared machine changes far less than the wall time.
//
// op runs once before timing, so the first request of its kind (pools,
// lazily built tables) is not in the figures.
func (e *benchEnv) measure(b *testing.B, op, between func()) {
	b.Helper()
	op()
	if between != nil {
		between()
	}
	b.ReportAllocs()
	e.timer.reset()
	var excluded squareStats
	cpu0 := processCPU(b)
	for b.Loop() {
		op()
		if between != nil {
			b.StopTimer()
			before := e.timer.stats()
			between()
			after := e.timer.stats()
			excluded.busy += after.busy - before.busy
			excluded.calls += after.calls - before.calls
			b.StartTimer()
		}
	}
	elapsed := b.Elapsed()
	cpu := processCPU(b) - cpu0
	s := e.timer.stats()
	inSquare := s.busy - excluded.busy
	n := float64(b.N)
	b.ReportMetric(float64(elapsed-inSquare)/n, "tessera-ns/op")
	b.ReportMetric(float64(inSquare)/n, "square-ns/op")
	b.ReportMetric(float64(s.calls-excluded.calls)/n, "square-calls/op")
	if between == nil {
		b.ReportMetric(float64(cpu)/n, "cpu-ns/op")
	}
}

// processCPU is the CPU time the process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDirectory is the full directory page with 50 rows, the default.
func BenchmarkDirectory(b *testing.B) {
	e := newBenchEnv(b)
	p := e.b.get("/customers")
	expect(b, p, http.StatusOK)
	if rows := len(dirRows(p)); rows != 50 {
		b.Fatalf("GET /customers shows %d rows, want 50", rows)
	}
	e.measure(b, func() { e.fetch(http.MethodGet, "/customers", nil, http.StatusOK) }, nil)
}

// benchSearch is a search that matches customers: every email address
// has a dot com.
const benchSearch = "/customers?q=com&field=email"

// BenchmarkSearchPartial is the results region htmx swaps in when the
// search form is submitted.
func BenchmarkSearchPartial(b *testing.B) {
	e := newBenchEnv(b)
	hx := []string{"HX-Request", "true", "HX-Target", "customer-results", "HX-Current-URL", e.h.url("/customers")}
	p := e.b.get(benchSearch, hx...)
	expect(b, p, http.StatusOK)
	if p.testID("customer-row").Length() == 0 {
		b.Fatalf("htmx GET %s: no rows, want some", benchSearch)
	}
	e.measure(b, func() { e.fetch(http.MethodGet, benchSearch, nil, http.StatusOK, hx...) }, nil)
}

// BenchmarkProfile is the profile of a customer with cards on file: the
// customer and the cards are two calls at once.
func BenchmarkProfile(b *testing.B) {
	e := newBenchEnv(b)
	id, _ := customerWithCards(b, e.custEnv)
	target := "/customers/" + id
	e.measure(b, func() { e.fetch(http.MethodGet, target, nil, http.StatusOK) }, nil)
}

// BenchmarkEditForm is the edit form of a customer.
func BenchmarkEditForm(b *testing.B) {
	e := newBenchEnv(b)
	id, _ := customerWithCards(b, e.custEnv)
	target := "/customers/" + id + "/edit"
	e.measure(b, func() { e.fetch(http.MethodGet, target, nil, http.StatusOK) }, nil)
}

// BenchmarkSave posts the edit form with a real change (the note, back and
// forth between two values) and the version Square has, and takes the 303
// to the profile without following it. Untimed, between saves, the profile
// is loaded as the browser would: it shows the flash and so takes it out
// of the session, which would otherwise grow with every save.
func BenchmarkSave(b *testing.B) {
	e := newBenchEnv(b)
	id, _ := customerWithCards(b, e.custEnv)
	edit := e.b.get("/customers/" + id + "/edit")
	expect(b, edit, http.StatusOK)
	action, form := custFormValues(b, edit, custFormSel)
	version, err := strconv.ParseInt(form.Get("version"), 10, 64)
	if err != nil {
		b.Fatalf("GET /customers/%s/edit: version = %q, want a number", id, form.Get("version"))
	}
	start := version
	notes := [2]string{"Benchmark note one.", "Benchmark note two."}
	form.Set("orig_note", form.Get("note"))
	saves := 0
	save := func() {
		form.Set("version", strconv.FormatInt(version, 10))
		form.Set("note", notes[saves%2])
		e.fetch(http.MethodPost, action, form, http.StatusSeeOther)
		form.Set("orig_note", notes[saves%2])
		version++
		saves++
	}
	profile := func() { e.fetch(http.MethodGet, "/customers/"+id, nil, http.StatusOK) }
	e.measure(b, save, profile)

	b.StopTimer()
	if cu := e.get(id); cu.Version != start+int64(saves) || cu.Note != notes[(saves-1)%2] {
		b.Fatalf("after %d saves the customer has version %d and note %q, want version %d and note %q",
			saves, cu.Version, cu.Note, start+int64(saves), notes[(saves-1)%2])
	}
}
