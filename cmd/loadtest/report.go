package main

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tessera-dashboard/tessera/internal/handlers"
)

// report is everything a run measured; -json prints it as it is.
type report struct {
	Command     string  `json:"command"`
	Options     options `json:"options"`
	DurationArg string  `json:"duration"`
	LatencyArg  string  `json:"square_latency"`
	ThinkArg    string  `json:"think"`
	Go          string  `json:"go"`
	GOMAXPROCS  int     `json:"gomaxprocs"`
	Interrupted bool    `json:"interrupted"`

	SignIn signIn `json:"signin"`

	// Requests, Seconds and Throughput are of the load mix alone.
	Requests   int64            `json:"requests"`
	Seconds    float64          `json:"seconds"`
	Throughput float64          `json:"requests_per_second"`
	Latency    latencyStats     `json:"latency"`
	Kinds      []kindStats      `json:"kinds"`
	Errors     map[string]int64 `json:"errors"`
	Expected   map[string]int64 `json:"expected"`
	// Created counts the customers the run created.
	Created int64 `json:"created"`
	// Streams counts the live-update streams open during the load (one
	// per session), and StreamEvents the changes they received.
	Streams      int64 `json:"live_streams"`
	StreamEvents int64 `json:"live_stream_events"`
	// CPUSeconds is the processor time this process used during the load
	// (Tessera, squarelocal and the clients); LoadAverage is the machine's
	// 1-minute load average just before, which tells whether other work
	// was competing for its cores.
	CPUSeconds  float64 `json:"cpu_seconds"`
	LoadAverage string  `json:"load_average_before"`
	NumCPU      int     `json:"num_cpu"`
	// ErrorSamples are the first few errors, "kind METHOD path: status".
	ErrorSamples []string `json:"error_samples"`

	ServerLog serverLog `json:"server_log"`
	Resources resources `json:"resources"`
	// Tessera is its own process's memory and CPU, with -processes; nil
	// in process, where Resources has Tessera's (with the rest).
	Tessera *webMemory `json:"tessera_process,omitempty"`
	// Replicas is what happened behind the balancer, with -replicas.
	Replicas *replicaReport `json:"replicas,omitempty"`
	Checks   []check        `json:"checks"`
	Pass     bool           `json:"pass"`
}

// replicaReport is the replicas' part of a run with -replicas.
type replicaReport struct {
	Count int `json:"count"`
	// Killed reports that the last replica was killed during the load
	// (-kill-after); Cut counts the requests the balancer could not send
	// elsewhere: other than GET, they reached the replica before it died.
	Killed bool  `json:"killed"`
	Cut    int64 `json:"cut"`
	// StreamsReopened counts the live-update streams opened again after
	// theirs ended (with its replica), resuming from their last event.
	StreamsReopened int64 `json:"streams_reopened"`
}

type signIn struct {
	Sessions int          `json:"sessions"`
	Seconds  float64      `json:"seconds"`
	Requests int64        `json:"requests"`
	Latency  latencyStats `json:"latency"`
}

type latencyStats struct {
	Mean float64 `json:"mean_ms"`
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
}

type kindStats struct {
	Kind string `json:"kind"`
	// Actions counts the actions of the mix that began with this kind.
	Actions  int64            `json:"actions"`
	Requests int64            `json:"requests"`
	Statuses map[string]int64 `json:"statuses"`
	Latency  latencyStats     `json:"latency"`
	Errors   map[string]int64 `json:"errors,omitempty"`
	Expected map[string]int64 `json:"expected,omitempty"`
}

type serverLog struct {
	Lines    int64    `json:"lines"`
	Warnings int64    `json:"warnings"`
	Errors   int64    `json:"errors"`
	Samples  []string `json:"error_samples"`
}

type resources struct {
	Before   snapshot `json:"before"`
	SignedIn snapshot `json:"signed_in"`
	After    snapshot `json:"after"`
	// SettleMS is how long the goroutines took to come back to the
	// baseline after the clients closed their connections.
	SettleMS float64 `json:"settle_ms"`
}

// webMemory is Tessera's own process under -processes: VmRSS and VmHWM
// of /proc/<pid>/status, idle once the index's first sync is done and
// after the load (the clients closed).
type webMemory struct {
	PID   int      `json:"pid"`
	Idle  procSnap `json:"idle"`
	After procSnap `json:"after"`
	// PeakReset says that VmHWM was set back to VmRSS when idle, so that
	// After.PeakRSS is the peak of the load alone (Linux 4.0 and later);
	// otherwise it is the peak since Tessera started.
	PeakReset bool `json:"peak_reset"`
	// CPUSeconds is Tessera's processor time during the load.
	CPUSeconds float64 `json:"cpu_seconds"`
	// EmulatorRSS and EmulatorCPUSeconds are the emulator's process
	// after and during the load, for scale: it shares the cores.
	EmulatorRSS        uint64  `json:"emulator_rss_bytes"`
	EmulatorCPUSeconds float64 `json:"emulator_cpu_seconds"`
}

// procSnap is a process's resident memory at one moment.
type procSnap struct {
	RSS     uint64 `json:"rss_bytes"`
	PeakRSS uint64 `json:"peak_rss_bytes"`
}

type check struct {
	Name     string `json:"name"`
	Target   string `json:"target"`
	Observed string `json:"observed"`
	Pass     bool   `json:"pass"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func statsOf(h *histogram) latencyStats {
	return latencyStats{
		Mean: ms(h.mean()), P50: ms(h.quantile(0.50)), P95: ms(h.quantile(0.95)),
		P99: ms(h.quantile(0.99)), Max: ms(h.max),
	}
}

// newReport turns what the recorder and the server's log hold into a
// report.
func newReport(o options, rec *recorder, t *tessera, signTime, elapsed time.Duration) *report {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	r := &report{
		Options: o, DurationArg: o.Duration.String(), LatencyArg: o.Latency.String(), ThinkArg: o.Think.String(),
		NumCPU: runtime.NumCPU(),
		Go:     runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, GOMAXPROCS: runtime.GOMAXPROCS(0),
		Seconds:  elapsed.Seconds(),
		Errors:   map[string]int64{},
		Expected: map[string]int64{},
	}
	r.SignIn = signIn{Sessions: o.Sessions, Seconds: signTime.Seconds(), Requests: int64(rec.hist[kindSignIn].n), Latency: statsOf(&rec.hist[kindSignIn])}
	for outcome, n := range rec.outcomes[kindSignIn] {
		if !expected(outcome) {
			r.Errors[outcome] += n
		}
	}

	all := newHistogram()
	for _, k := range mixKinds {
		h := &rec.hist[k]
		all.merge(h)
		ks := kindStats{
			Kind: k.String(), Actions: rec.actions[k], Requests: int64(h.n),
			Statuses: map[string]int64{}, Latency: statsOf(h),
		}
		for status, n := range rec.statuses[k] {
			ks.Statuses[strconv.Itoa(status)] = n
		}
		for outcome, n := range rec.outcomes[k] {
			if expected(outcome) {
				ks.Expected = addTo(ks.Expected, outcome, n)
				r.Expected[outcome] += n
			} else {
				ks.Errors = addTo(ks.Errors, outcome, n)
				r.Errors[outcome] += n
				if outcome == errTransport {
					// A transport error has no status, so it is not among
					// the requests measured; count it as sent.
					ks.Requests += n
				}
			}
		}
		r.Requests += ks.Requests
		r.Kinds = append(r.Kinds, ks)
	}
	r.Latency = statsOf(&all)
	r.Created = rec.statuses[kindCreate][http.StatusSeeOther]
	if elapsed > 0 {
		r.Throughput = float64(r.Requests) / elapsed.Seconds()
	}
	r.ErrorSamples = slices.Clone(rec.samples)
	lines, warns, errs, samples := t.logs.counts()
	r.ServerLog = serverLog{Lines: lines, Warnings: warns, Errors: errs, Samples: samples}
	return r
}

func addTo(m map[string]int64, k string, n int64) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	m[k] += n
	return m
}

// check evaluates the targets. The latency target is for a run
// without injected latency or faults; the others hold for every run: with
// injected outages, the page saying Square is away (502, 503, 504) is
// expected, a 500 is not.
func (r *report) check(o options) {
	if o.Latency == 0 && o.FaultRate == 0 {
		name := fmt.Sprintf("p99 latency at %d sessions", o.Sessions)
		if o.Think > 0 {
			name += fmt.Sprintf(" (think %s)", o.Think)
		}
		r.add(name, "under "+p99Target.String(), fmtMS(r.Latency.P99), r.Latency.P99 < ms(p99Target))
	} else {
		// With Square slow or failing, what matters is that every
		// answer, an outage page included, comes within the deadline.
		r.add("p99 latency with Square's latency and faults", "under the request deadline, "+handlers.DefaultRequestTimeout.String(),
			fmtMS(r.Latency.P99), r.Latency.P99 < ms(handlers.DefaultRequestTimeout))
	}
	r.add("live-update streams open during the load", fmt.Sprintf("%d, one per session", o.Sessions),
		strconv.FormatInt(r.Streams, 10), r.Streams == int64(o.Sessions))
	server := r.Errors[errServer]
	if rr := r.Replicas; rr != nil && rr.Killed {
		// The balancer's 502s for requests that died with the killed
		// replica are the kill's, not Tessera's; every other request,
		// on the replica that lives, must have succeeded.
		// (Cut also counts the emulator's webhook deliveries, which it
		// sends again.)
		server -= min(server, rr.Cut)
		r.add("requests lost with the killed replica", fmt.Sprintf("at most %d (one in flight a session, and webhooks Square sends again)", o.Sessions+10),
			strconv.FormatInt(rr.Cut, 10), rr.Cut <= int64(o.Sessions+10))
	}
	r.add("5xx of our own", "none", strconv.FormatInt(server, 10), server == 0)
	other := r.Errors[errTransport] + r.Errors[errUnexpected4xx] + r.Errors[errUnexpectedOther] + r.Errors[errUnexpectedPage]
	r.add("transport errors and unexpected statuses or pages", "none", strconv.FormatInt(other, 10), other == 0)
	if r.Replicas != nil {
		// Issue 17's target for replicas sharing PostgreSQL.
		for _, k := range r.Kinds {
			if k.Kind == kindDirectory.String() || k.Kind == kindSearch.String() {
				r.add(fmt.Sprintf("%s p99 on %d replicas", k.Kind, r.Replicas.Count), "at most "+replicasP99Target.String(), fmtMS(k.Latency.P99), k.Latency.P99 <= ms(replicasP99Target))
			}
		}
	}
	b, a := r.Resources.Before, r.Resources.After
	rss := uint64(rssTarget)
	if o.Mix == mixIndex {
		// The index's own targets: each kind's p99 and the memory with an
		// index of every customer.
		rss = indexRSSTarget
		for _, k := range r.Kinds {
			if k.Kind == kindDirectory.String() || k.Kind == kindSearch.String() {
				r.add(k.Kind+" p99 from the index", "at most "+indexP99Target.String(), fmtMS(k.Latency.P99), k.Latency.P99 <= ms(indexP99Target))
			}
		}
	}
	if web := r.Tessera; web != nil {
		// Tessera's goroutines and heap are out of sight in its own
		// process; its resident memory is what is checked.
		r.add("Tessera's resident memory after the load", "under "+mib(rss)+" (its own process)", mib(web.After.RSS), web.After.RSS > 0 && web.After.RSS < rss)
		r.finish()
		return
	}
	r.add("goroutines back to baseline", fmt.Sprintf("at most %d + %d", b.Goroutines, goroutineSlack),
		fmt.Sprintf("%d after %.0f ms", a.Goroutines, r.Resources.SettleMS), a.Goroutines <= b.Goroutines+goroutineSlack)
	allowance := heapAllowance + uint64(r.Created)*heapPerCreate
	r.add("live heap back to baseline", fmt.Sprintf("at most %s + %s (%s + %d KiB per customer created)",
		mib(b.HeapAlloc), mib(allowance), mib(heapAllowance), heapPerCreate>>10),
		fmt.Sprintf("%s (%s)", mib(a.HeapAlloc), signedMiB(int64(a.HeapAlloc)-int64(b.HeapAlloc))), a.HeapAlloc <= b.HeapAlloc+allowance)
	if a.RSS > 0 {
		r.add("resident memory after the load", "under "+mib(rss)+" (the whole process)", mib(a.RSS), a.RSS < rss)
	}
	r.finish()
}

// finish adds the check that the run completed and sets Pass.
func (r *report) finish() {
	if r.Interrupted {
		r.add("run completed", "not interrupted", "interrupted", false)
	}
	r.Pass = true
	for _, c := range r.Checks {
		r.Pass = r.Pass && c.Pass
	}
}

func (r *report) add(name, target, observed string, pass bool) {
	r.Checks = append(r.Checks, check{Name: name, Target: target, Observed: observed, Pass: pass})
}

func fmtMS(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.2fs", v/1000)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fms", v)
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func signedMiB(d int64) string { return fmt.Sprintf("%+.1f MiB", float64(d)/(1<<20)) }

func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// writeText prints the report as tables.
func (r *report) writeText(w io.Writer) {
	o := r.Options
	fmt.Fprintf(w, "Tessera load test: %s\n", r.Command)
	fmt.Fprintf(w, "%d sessions, %s (at most %d requests), think %s, Square latency %s, fault rate %g, %d customers, seed %d\n",
		o.Sessions, r.DurationArg, o.MaxRequests, r.ThinkArg, r.LatencyArg, o.FaultRate, o.Customers, o.Seed)
	fmt.Fprintf(w, "%s, %d CPUs, GOMAXPROCS %d; load average before the run %s\n", r.Go, r.NumCPU, r.GOMAXPROCS, r.LoadAverage)
	if r.Interrupted {
		fmt.Fprintln(w, "INTERRUPTED: the figures cover the run until the interruption")
	}
	fmt.Fprintf(w, "\nsign-in: %d sessions through OAuth in %.2fs, %d requests, p50 %s p99 %s max %s\n",
		r.SignIn.Sessions, r.SignIn.Seconds, r.SignIn.Requests, fmtMS(r.SignIn.Latency.P50), fmtMS(r.SignIn.Latency.P99), fmtMS(r.SignIn.Latency.Max))
	fmt.Fprintf(w, "load:    %d requests in %.2fs = %.1f requests/s; %d customers created\n", r.Requests, r.Seconds, r.Throughput, r.Created)
	fmt.Fprintf(w, "live:    %d streams open throughout (GET /events), %d change events received\n", r.Streams, r.StreamEvents)
	if rr := r.Replicas; rr != nil {
		fmt.Fprintf(w, "replicas: %d on PostgreSQL behind a balancer", rr.Count)
		if rr.Killed {
			fmt.Fprintf(w, "; the last killed during the load: %d requests lost with it, %d streams reopened on the other", rr.Cut, rr.StreamsReopened)
		}
		fmt.Fprintln(w)
	}
	if r.CPUSeconds > 0 && r.Seconds > 0 {
		fmt.Fprintf(w, "cpu:     this process used %.1f CPU-seconds, %.2f of %d cores\n", r.CPUSeconds, r.CPUSeconds/r.Seconds, r.NumCPU)
	}
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tactions\trequests\tmean\tp50\tp95\tp99\tmax\terrors\texpected\tstatuses\t")
	row := func(name string, actions, requests int64, l latencyStats, errs, exp, statuses string) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, actions0(actions), requests,
			fmtMS(l.Mean), fmtMS(l.P50), fmtMS(l.P95), fmtMS(l.P99), fmtMS(l.Max), errs, exp, statuses)
	}
	for _, k := range r.Kinds {
		actions := k.Actions
		if k.Kind == kindEditSave.String() || k.Kind == kindCreate.String() {
			actions = -1 // the second request of an action
		}
		row(k.Kind, actions, k.Requests, k.Latency, counts(k.Errors), counts(k.Expected), counts(k.Statuses))
	}
	row("all", -1, r.Requests, r.Latency, counts(r.Errors), counts(r.Expected), "")
	tw.Flush()

	if len(r.ErrorSamples) > 0 {
		fmt.Fprintln(w, "\nfirst errors:")
		for _, s := range r.ErrorSamples {
			fmt.Fprintln(w, "  "+s)
		}
	}
	fmt.Fprintf(w, "\nserver log: %d lines, %d warnings, %d errors\n", r.ServerLog.Lines, r.ServerLog.Warnings, r.ServerLog.Errors)
	for _, s := range r.ServerLog.Samples {
		fmt.Fprintln(w, "  "+s)
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "process\tgoroutines\theap in use\theap alloc\tRSS\tpeak RSS\t")
	for _, s := range []struct {
		name string
		s    snapshot
	}{{"before (server up)", r.Resources.Before}, {"signed in", r.Resources.SignedIn}, {"after (clients closed)", r.Resources.After}} {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", s.name, s.s.Goroutines, mib(s.s.HeapInuse), mib(s.s.HeapAlloc), mib(s.s.RSS), mib(s.s.PeakRSS))
	}
	tw.Flush()
	if web := r.Tessera; web != nil {
		fmt.Fprintln(w, "(this process: the load's clients alone; heap alloc is the live heap after two GCs, the second returning free memory to the system)")
		peak := "peak RSS during the load"
		if !web.PeakReset {
			peak = "peak RSS since start"
		}
		fmt.Fprintf(w, "\nTessera's own process (pid %d): RSS idle after the index's first sync %s (peak since start %s); after the load %s, %s %s; %.1f CPU-seconds during the load, %.2f cores\n",
			web.PID, mib(web.Idle.RSS), mib(web.Idle.PeakRSS), mib(web.After.RSS), peak, mib(web.After.PeakRSS), web.CPUSeconds, web.CPUSeconds/max(r.Seconds, 1e-9))
		fmt.Fprintf(w, "the emulator's process: RSS after the load %s; %.1f CPU-seconds during the load\n", mib(web.EmulatorRSS), web.EmulatorCPUSeconds)
	} else {
		fmt.Fprintln(w, "(one process: Tessera, squarelocal and the load's clients; heap alloc is the live heap after two GCs, the second returning free memory to the system)")
	}

	fmt.Fprintln(w)
	for _, c := range r.Checks {
		verdict := "PASS"
		if !c.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(w, "%s  %s: %s (target: %s)\n", verdict, c.Name, c.Observed, c.Target)
	}
}

func actions0(n int64) string {
	if n < 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}
