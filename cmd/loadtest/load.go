package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"time"
)

// Bounds of the phases around the load itself.
const (
	// signInTimeout bounds the whole sign-in of every session.
	signInTimeout = 2 * time.Minute
	// drainTimeout is how long requests in flight at the end of the load
	// may take to finish: one client timeout and a margin.
	drainTimeout = clientTimeout + 5*time.Second
	// settleTimeout is how long the goroutines get to return to the
	// baseline once the clients have closed their connections.
	settleTimeout = 5 * time.Second
	// goroutineSlack is the tolerance of that baseline: the database's
	// connection cleaner and the like may come and go, while a leak of a
	// goroutine per session, connection or request shows as tens.
	goroutineSlack = 5
	// heapAllowance and heapPerCreate are how far the live heap may stay
	// above the baseline after the load: what the run leaves behind on
	// purpose, which is bounded, not a leak: squarelocal's call log (at
	// most 10,000 calls), the sessions' tokens, the merchant cache, the
	// load's histograms, and each customer the run created, which
	// squarelocal keeps in memory as Square keeps it.
	heapAllowance = 8 << 20
	heapPerCreate = 4 << 10
	// p99Target is the target for 50 sessions without injected
	// latency or faults.
	p99Target = 50 * time.Millisecond
	// rssTarget is the bound on resident memory after the load.
	// It is checked on the whole process, the emulator and the clients
	// included, so Tessera on its own is further below it.
	rssTarget = 60 << 20
	// indexP99Target and indexRSSTarget are the targets for the
	// index mix: directory and search from the index, 100,000 customers.
	indexP99Target = 25 * time.Millisecond
	indexRSSTarget = 100 << 20
	// replicasP99Target is issue 17's target for the directory and the
	// search with two replicas sharing PostgreSQL.
	replicasP99Target = 50 * time.Millisecond
)

// execute starts Tessera, signs the sessions in, runs the load and
// measures. progress gets a line per phase.
func execute(ctx context.Context, o options, progress io.Writer) (*report, error) {
	faultsOn := o.FaultRate > 0
	rec := newRecorder(int64(o.MaxRequests), faultsOn)

	t, err := start(ctx, o, progress)
	if err != nil {
		return nil, fmt.Errorf("starting Tessera: %w", err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = t.close()
		}
	}()
	before := measure()

	fmt.Fprintf(progress, "loadtest: Tessera serving %s (%s); signing in %d sessions\n", t.base, t.mode(), o.Sessions)
	browsers := make([]*browser, o.Sessions)
	for i := range browsers {
		if browsers[i], err = newBrowser(i, t, rec, o.Seed); err != nil {
			return nil, err
		}
	}
	closeAll := func() {
		for _, b := range browsers {
			b.close()
		}
	}
	signCtx, cancelSign := context.WithTimeout(ctx, signInTimeout)
	signStart := time.Now()
	errs := make([]error, len(browsers))
	var wg sync.WaitGroup
	for i, b := range browsers {
		wg.Go(func() { errs[i] = b.signIn(signCtx, i) })
	}
	wg.Wait()
	cancelSign()
	signTime := time.Since(signStart)
	if failed, first := countErrors(errs); failed > 0 {
		closeAll()
		return nil, fmt.Errorf("%d of %d sessions could not sign in; the first: %w", failed, len(errs), first)
	}
	if err := t.waitIndexed(ctx, browsers); err != nil {
		closeAll()
		return nil, err
	}
	// Tessera's own process, idle once its index is built; from here its
	// peak is the load's.
	var web *webMemory
	if pid := t.webPID(); pid != 0 {
		web = &webMemory{PID: pid}
		web.Idle.RSS = settledRSS(ctx, pid)
		_, web.Idle.PeakRSS = procMemory(pid)
		web.PeakReset = resetPeakRSS(pid) == nil
	}
	// Every session keeps a page open on live updates throughout.
	live := openStreams(ctx, browsers, t)
	closeAll = func() {
		live.close()
		for _, b := range browsers {
			b.close()
		}
	}
	signedIn := measure()

	if err := t.injectFaults(ctx, o.Latency, o.FaultRate); err != nil {
		closeAll()
		return nil, err
	}
	fmt.Fprintf(progress, "loadtest: %d sessions signed in in %s; loading for %s (at most %d requests)\n",
		o.Sessions, signTime.Round(time.Millisecond), o.Duration, o.MaxRequests)
	stopProfile, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		closeAll()
		return nil, err
	}
	loadAvg := loadAverage()
	cpuStart, webCPUStart, emuCPUStart := cpuTime(), procCPU(t.webPID()), procCPU(t.emuPID())
	stopCtx, stopLoad := context.WithTimeout(ctx, o.Duration)
	hardCtx, cancelHard := context.WithTimeout(ctx, o.Duration+drainTimeout)
	loadStart := time.Now()
	var killed chan error
	if o.KillAfter > 0 {
		killed = make(chan error, 1)
		time.AfterFunc(o.KillAfter, func() {
			fmt.Fprintf(progress, "loadtest: killing the last replica %s into the load\n", o.KillAfter)
			killed <- t.procs.killLast()
		})
	}
	for _, b := range browsers {
		b.stop, b.think, b.mix = stopCtx, o.Think, mixNamed(o.Mix)
		wg.Go(func() { b.loop(hardCtx) })
	}
	wg.Wait()
	elapsed := time.Since(loadStart)
	cpuUsed, webCPU, emuCPU := cpuTime()-cpuStart, procCPU(t.webPID())-webCPUStart, procCPU(t.emuPID())-emuCPUStart
	stopLoad()
	cancelHard()
	if killed != nil {
		if err := <-killed; err != nil {
			closeAll()
			return nil, fmt.Errorf("killing a replica: %w", err)
		}
	}
	if err := errors.Join(t.exited(), t.clearFaults(context.WithoutCancel(ctx))); err != nil {
		closeAll()
		return nil, err
	}
	if err := stopProfile(); err != nil {
		closeAll()
		return nil, err
	}

	// The people close their browsers: the idle connections go, and with
	// them the server's goroutines that served them.
	streamsOpen, streamEvents, streamsReopened := live.open.Load(), live.events.Load(), live.reopened.Load()
	closeAll()
	browsers = nil
	settleStart := time.Now()
	for runtime.NumGoroutine() > before.Goroutines+goroutineSlack && time.Since(settleStart) < settleTimeout {
		time.Sleep(20 * time.Millisecond)
	}
	settled := time.Since(settleStart)
	after := measure()
	if web != nil {
		web.After.RSS, web.After.PeakRSS = procMemory(web.PID)
		web.CPUSeconds = webCPU.Seconds()
		web.EmulatorRSS, _ = procMemory(t.emuPID())
		web.EmulatorCPUSeconds = emuCPU.Seconds()
	}
	if err := writeHeapProfile(o.MemProfile); err != nil {
		return nil, err
	}

	rep := newReport(o, rec, t, signTime, elapsed)
	rep.Streams, rep.StreamEvents = streamsOpen, streamEvents
	rep.Interrupted = ctx.Err() != nil
	rep.CPUSeconds, rep.LoadAverage = cpuUsed.Seconds(), loadAvg
	rep.Resources = resources{Before: before, SignedIn: signedIn, After: after, SettleMS: ms(settled)}
	rep.Tessera = web
	if t.procs != nil && t.procs.balancer != nil {
		rep.Replicas = &replicaReport{Count: len(t.procs.replicas), Killed: o.KillAfter > 0, Cut: t.procs.balancer.cut.Load(), StreamsReopened: streamsReopened}
	}
	rep.check(o)

	closed = true
	if err := t.close(); err != nil {
		return nil, fmt.Errorf("stopping Tessera: %w", err)
	}
	return rep, nil
}

// start starts Tessera as the options ask: in this process, or with
// -processes in a process of its own next to the emulator's.
func start(ctx context.Context, o options, progress io.Writer) (*tessera, error) {
	if o.Processes {
		return startProcesses(ctx, o.Customers, o.Seed, o.Replicas, &logSink{}, progress)
	}
	return startTessera(ctx, o.Customers, o.Seed)
}

// countErrors counts the errors that are not nil and returns the first.
func countErrors(errs []error) (int, error) {
	n := 0
	var first error
	for _, err := range errs {
		if err != nil {
			n++
			first = cmp.Or(first, err)
		}
	}
	return n, first
}

// snapshot is the process's goroutines and memory at one moment, taken
// after two garbage collections, the second returning freed memory to
// the system, so that successive snapshots compare. Two, because objects
// parked in a sync.Pool (Echo's gzip writers, some 800 KB each) survive
// one collection in the pool's victim cache: an idle server drops them
// within two cycles, so they are a cache, not growth.
type snapshot struct {
	Goroutines int    `json:"goroutines"`
	HeapInuse  uint64 `json:"heap_inuse_bytes"`
	HeapAlloc  uint64 `json:"heap_alloc_bytes"`
	// RSS and PeakRSS are VmRSS and VmHWM of /proc/self/status (0 where
	// there is none): the whole process, the load's clients included.
	RSS     uint64 `json:"rss_bytes"`
	PeakRSS uint64 `json:"peak_rss_bytes"`
}

func measure() snapshot {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s := snapshot{Goroutines: runtime.NumGoroutine(), HeapInuse: m.HeapInuse, HeapAlloc: m.HeapAlloc}
	s.RSS, s.PeakRSS = procMemory(0)
	return s
}

// startCPUProfile profiles the CPU into path until the returned function
// is called; with no path it does nothing.
func startCPUProfile(path string) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// writeHeapProfile writes the heap profile to path, if any.
func writeHeapProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// loadAverage is the 1, 5 and 15-minute load averages of /proc/loadavg,
// or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
