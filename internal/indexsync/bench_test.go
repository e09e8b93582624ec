package indexsync_test

import (
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/indexsync"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// BenchmarkFullSync100kWith100msLatency is the first full sync of 100,000
// customers with 100 ms added to every Square call (budget: 40 s; one
// cursor alone would take 100 s). Run it with -benchtime 1x:
//
//	go test -run '^$' -bench FullSync100k -benchtime 1x ./internal/indexsync/
func BenchmarkFullSync100kWith100msLatency(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newBenchEnv(b, 100_000)
		if err := e.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultLatency, Latency: 100 * time.Millisecond}); err != nil {
			b.Fatal(err)
		}
		s := indexsync.New(e.ix, indexsync.Options{})
		b.StartTimer()
		start := time.Now()
		if err := s.Full(b.Context(), e.merchant, e.sq.Customers); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/sync")
		b.ReportMetric(float64(e.searches.Load()), "calls/sync")
	}
}

// BenchmarkFullSync100k is the same sync with Square answering at once:
// what the sync and the index cost by themselves.
func BenchmarkFullSync100k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newBenchEnv(b, 100_000)
		s := indexsync.New(e.ix, indexsync.Options{})
		b.StartTimer()
		start := time.Now()
		if err := s.Full(b.Context(), e.merchant, e.sq.Customers); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/sync")
	}
}
