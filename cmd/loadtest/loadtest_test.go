package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestShortRun runs the whole command briefly, as `make load` runs it but
// with 5 sessions for 2 s over 200 customers, and reads its JSON report:
// every session signed in, every kind of request was exercised and
// answered as it should be, and the goroutines came back to the baseline.
func TestShortRun(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"-sessions", "5", "-duration", "2s", "-customers", "200", "-json"}, &stdout, &stderr)
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d; the report is not JSON: %v\nstdout:\n%s\nstderr:\n%s", code, err, stdout.String(), stderr.String())
	}
	wantCode := 0
	if !rep.Pass {
		wantCode = 1
	}
	if code != wantCode {
		t.Errorf("exit %d, want %d (checks pass: %v)", code, wantCode, rep.Pass)
	}

	if rep.SignIn.Sessions != 5 || rep.SignIn.Requests != 5*6 {
		t.Errorf("sign-in: %d sessions, %d requests; want 5 sessions, 30 requests", rep.SignIn.Sessions, rep.SignIn.Requests)
	}
	if rep.Requests == 0 || rep.Throughput <= 0 || rep.Seconds < 2 || rep.Seconds > 2+drainTimeout.Seconds() {
		t.Errorf("load: %d requests in %.2fs at %.1f/s; want some, in about 2s", rep.Requests, rep.Seconds, rep.Throughput)
	}
	success := map[string]string{
		"directory": "200", "search": "200", "profile": "200", "edit_form": "200",
		"edit_save": "303", "new_form": "200", "create": "303",
	}
	seen := map[string]bool{}
	for _, k := range rep.Kinds {
		seen[k.Kind] = true
		if k.Statuses[success[k.Kind]] == 0 {
			t.Errorf("%s: statuses %v, want some %s", k.Kind, k.Statuses, success[k.Kind])
		}
		if len(k.Errors) > 0 {
			t.Errorf("%s: errors %v", k.Kind, k.Errors)
		}
		if k.Latency.P50 <= 0 || k.Latency.P50 > k.Latency.P99 || k.Latency.P99 > k.Latency.Max {
			t.Errorf("%s: latency %+v is not ordered", k.Kind, k.Latency)
		}
	}
	for kind := range success {
		if !seen[kind] {
			t.Errorf("no figures for %s", kind)
		}
	}
	if rep.Created == 0 {
		t.Error("no customer was created")
	}
	if rep.Streams != 5 || rep.StreamEvents == 0 {
		t.Errorf("live updates: %d streams open, %d events received; want 5 streams and the load's changes", rep.Streams, rep.StreamEvents)
	}
	if len(rep.Errors) > 0 || len(rep.ErrorSamples) > 0 {
		t.Errorf("errors %v: %v", rep.Errors, rep.ErrorSamples)
	}
	if rep.ServerLog.Lines == 0 || rep.ServerLog.Errors > 0 {
		t.Errorf("server log: %d lines, %d errors %v; want lines and no error", rep.ServerLog.Lines, rep.ServerLog.Errors, rep.ServerLog.Samples)
	}

	checks := map[string]check{}
	for _, c := range rep.Checks {
		checks[strings.SplitN(c.Name, " at ", 2)[0]] = c
	}
	for _, name := range []string{"p99 latency", "5xx of our own", "transport errors and unexpected statuses or pages", "goroutines back to baseline", "live heap back to baseline"} {
		if _, ok := checks[name]; !ok {
			t.Errorf("no check %q among %+v", name, rep.Checks)
		}
	}
	for _, name := range []string{"5xx of our own", "transport errors and unexpected statuses or pages", "goroutines back to baseline"} {
		if c := checks[name]; !c.Pass {
			t.Errorf("check %q failed: %s (target %s)", name, c.Observed, c.Target)
		}
	}
	res := rep.Resources
	if res.Before.Goroutines == 0 || res.SignedIn.Goroutines <= res.Before.Goroutines || res.Before.HeapAlloc == 0 {
		t.Errorf("resources %+v: want a baseline, and more goroutines while signed in", res)
	}

	// The same report as text: the tables and one verdict per check.
	var text bytes.Buffer
	rep.writeText(&text)
	for _, want := range []string{"sign-in: 5 sessions", "requests/s", "directory", "edit_save", "goroutines", "PASS  goroutines back to baseline"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text report lacks %q:\n%s", want, text.String())
		}
	}
}

// TestShortRunWithSquareFaults runs the load with Square slow and failing,
// as `make load`'s second run does but briefly: the outage pages are
// expected, a 5xx of our own is not, every answer comes within the request
// deadline, and nothing leaks.
func TestShortRunWithSquareFaults(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"-sessions", "5", "-duration", "2s", "-customers", "200", "-latency", "5ms", "-fault-rate", "0.2", "-json"}, &stdout, &stderr)
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d; the report is not JSON: %v\nstderr:\n%s", code, err, stderr.String())
	}
	if (code == 0) != rep.Pass {
		t.Errorf("exit %d with checks passing %v", code, rep.Pass)
	}
	checks := map[string]check{}
	for _, c := range rep.Checks {
		checks[c.Name] = c
	}
	// Memory is left out: under the race detector the process is several
	// times its size.
	for _, name := range []string{"p99 latency with Square's latency and faults", "5xx of our own", "transport errors and unexpected statuses or pages", "goroutines back to baseline"} {
		if c, ok := checks[name]; !ok || !c.Pass {
			t.Errorf("check %q: %+v, want it there and passing", name, c)
		}
	}
	if _, ok := checks["resident memory after the load"]; !ok {
		t.Errorf("no memory check among %+v", rep.Checks)
	}
	if rep.Requests == 0 {
		t.Error("no request was made")
	}
}

// TestShortRunOfTheIndexMix runs the index mix briefly: the default mix's
// actions, directory pages and searches each checked against the index's
// p99 target.
func TestShortRunOfTheIndexMix(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"-sessions", "3", "-duration", "2s", "-customers", "300", "-mix", "index", "-json"}, &stdout, &stderr)
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d; the report is not JSON: %v\nstderr:\n%s", code, err, stderr.String())
	}
	for _, k := range rep.Kinds {
		if k.Actions == 0 && k.Kind != kindEditSave.String() && k.Kind != kindCreate.String() {
			t.Errorf("the index mix did no action of kind %s, want every kind of the default mix", k.Kind)
		}
	}
	checks := map[string]check{}
	for _, c := range rep.Checks {
		checks[c.Name] = c
	}
	// Only their presence: timings under the race detector say nothing.
	for _, name := range []string{"directory p99 from the index", "search p99 from the index", "5xx of our own"} {
		if _, ok := checks[name]; !ok {
			t.Errorf("no check %q among %+v", name, rep.Checks)
		}
	}
	if c := checks["5xx of our own"]; !c.Pass {
		t.Errorf("check %+v, want passing", c)
	}
}

// TestFlags: a bad flag, an address or a bound exceeded is refused with
// exit status 2 and a message that names it.
func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-sessions", "0"}, "-sessions must be 1 to 1000"},
		{[]string{"-sessions", "1001"}, "-sessions must be 1 to 1000"},
		{[]string{"-duration", "6m"}, "-duration must be above 0 and at most 5m0s"},
		{[]string{"-duration", "0s"}, "-duration must be above 0"},
		{[]string{"-max-requests", "0"}, "-max-requests must be 1 to"},
		{[]string{"-max-requests", "2000000"}, "-max-requests must be 1 to"},
		{[]string{"-latency", "-1ms"}, "-latency must be 0 to"},
		{[]string{"-fault-rate", "1.5"}, "-fault-rate must be 0 to 1"},
		{[]string{"-fault-rate", "NaN"}, "-fault-rate must be 0 to 1"},
		{[]string{"-customers", "0"}, "-customers must be 1 to"},
		{[]string{"-think", "-1s"}, "-think must be 0 to"},
		{[]string{"-mix", "everything"}, `-mix must be default or index, got "everything"`},
		{[]string{"-sessions", "many"}, `invalid value "many" for flag -sessions`},
		{[]string{"-url", "http://example.com"}, "flag provided but not defined: -url"},
		{[]string{"http://example.com/"}, `unexpected argument "http://example.com/"`},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), tc.args, &stdout, &stderr); code != 2 {
			t.Errorf("loadtest %v: exit %d, want 2", tc.args, code)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("loadtest %v: stderr %q, want it to say %q", tc.args, stderr.String(), tc.want)
		}
		if stdout.Len() > 0 {
			t.Errorf("loadtest %v printed a report: %s", tc.args, stdout.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"-help"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-sessions") {
		t.Errorf("loadtest -help: exit %d, stderr %q; want 0 and the flags", code, stderr.String())
	}
}

// TestDialsOnlyItsListener: the clients' transport refuses every address
// but the listener's, and a link off Tessera is refused before any dial.
func TestDialsOnlyItsListener(t *testing.T) {
	const addr = "127.0.0.1:41234"
	tr := loopbackTransport(addr)
	defer tr.CloseIdleConnections()
	if tr.Proxy != nil {
		t.Error("the transport would use a proxy")
	}
	for _, other := range []string{"127.0.0.1:41235", "127.0.0.2:41234", "10.0.0.1:80", "192.168.1.1:41234", "[::1]:41234", "example.com:80"} {
		conn, err := tr.DialContext(t.Context(), "tcp", other)
		if conn != nil {
			conn.Close()
		}
		if !errors.Is(err, errRefused) {
			t.Errorf("dialing %s: %v, want refused", other, err)
		}
	}

	b := &browser{
		base: mustURL(t, "http://"+addr), client: &http.Client{Transport: tr},
		rec: newRecorder(10, false), stop: t.Context(),
	}
	for _, target := range []string{"http://example.com/customers", "//10.0.0.1/customers", "https://" + addr + "/customers"} {
		if _, err := b.request(t.Context(), kindDirectory, http.MethodGet, target, nil, "", http.StatusOK); !errors.Is(err, errRefused) {
			t.Errorf("GET %s: %v, want refused", target, err)
		}
	}
}

// TestHistogram: every value lands in a bucket whose upper end is at
// most 1/64 above it, and quantiles come out of the buckets.
func TestHistogram(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		v := uint64(rng.Int64N(int64(10 * time.Minute / time.Microsecond)))
		i := bucketOf(v)
		hi := bucketHigh(i)
		if i < 0 || i >= histBuckets || hi < v || float64(hi-v) > float64(v)/64+1 {
			t.Fatalf("%d µs: bucket %d up to %d µs", v, i, hi)
		}
		if i > 0 && bucketHigh(i-1) >= v {
			t.Fatalf("%d µs: bucket %d, but bucket %d reaches %d µs", v, i, i-1, bucketHigh(i-1))
		}
	}
	h := newHistogram()
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := h.quantile(tc.q)
		if got < tc.want || got > tc.want+tc.want/64 {
			t.Errorf("quantile(%v) = %s, want %s to %s", tc.q, got, tc.want, tc.want+tc.want/64)
		}
	}
	if h.max != time.Second || h.mean() != 500500*time.Microsecond {
		t.Errorf("max %s mean %s, want 1s and 500.5ms", h.max, h.mean())
	}
}

// TestSearchToken: a piece of the email's local part, 3 to 6 characters.
func TestSearchToken(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		tok := searchToken("maria.gonzalez84@gmail.com", rng)
		if len(tok) < 3 || len(tok) > 6 || !(strings.HasPrefix("maria", tok) || strings.HasPrefix("gonzalez84", tok)) {
			t.Fatalf("searchToken = %q", tok)
		}
	}
	for _, email := range []string{"", "no-at-sign", "a.b@example.com"} {
		if tok := searchToken(email, rng); tok != "" {
			t.Errorf("searchToken(%q) = %q, want none", email, tok)
		}
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestClassify: what an answer that is not the wanted one counts as.
func TestClassify(t *testing.T) {
	calm, faulty := newRecorder(10, false), newRecorder(10, true)
	for _, tc := range []struct {
		r      *recorder
		k      kind
		status int
		want   string
	}{
		{calm, kindEditSave, http.StatusConflict, outcomeConflict},
		{calm, kindDirectory, http.StatusConflict, errUnexpected4xx},
		{calm, kindProfile, http.StatusNotFound, errUnexpected4xx},
		{calm, kindDirectory, http.StatusSeeOther, errUnexpectedOther},
		{calm, kindDirectory, http.StatusServiceUnavailable, errServer},
		{calm, kindDirectory, http.StatusBadGateway, errServer},
		{calm, kindCreate, http.StatusInternalServerError, errServer},
		{faulty, kindDirectory, http.StatusServiceUnavailable, "square_outage_503"},
		{faulty, kindDirectory, http.StatusBadGateway, "square_outage_502"},
		{faulty, kindProfile, http.StatusGatewayTimeout, "square_outage_504"},
		{faulty, kindCreate, http.StatusInternalServerError, errServer},
		{faulty, kindEditSave, http.StatusConflict, outcomeConflict},
	} {
		got := tc.r.record(tc.k, http.MethodGet, "/", time.Millisecond, tc.status, nil, []int{http.StatusOK})
		if got != tc.want {
			t.Errorf("%s answered %d (faults %v): %q, want %q", tc.k, tc.status, tc.r.faultsOn, got, tc.want)
		}
		if wantExpected := tc.want == outcomeConflict || strings.HasPrefix(tc.want, outcomeSquareOutage); expected(got) != wantExpected {
			t.Errorf("%s answered %d (faults %v): expected(%q) = %v", tc.k, tc.status, tc.r.faultsOn, got, !wantExpected)
		}
	}
	if got := calm.record(kindDirectory, http.MethodGet, "/", 0, 0, errRefused, []int{http.StatusOK}); got != errTransport {
		t.Errorf("a transport error: %q, want %q", got, errTransport)
	}
	if got := calm.record(kindDirectory, http.MethodGet, "/", time.Millisecond, http.StatusOK, nil, []int{http.StatusOK}); got != "" {
		t.Errorf("a wanted status: %q, want none", got)
	}
}
