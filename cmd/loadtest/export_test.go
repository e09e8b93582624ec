package main

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

// BenchmarkExport downloads the CSV export of a whole directory of
// 100,000 customers, served from the customer index, in the same process
// as Tessera and its emulator (see runExport for what the memory figures
// mean). Seeding and indexing the directory come first, outside the
// timing, and take about a minute:
//
//	go test -run '^$' -bench Export -benchtime 1x ./cmd/loadtest/
func BenchmarkExport(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds and indexes 100,000 customers")
	}
	s, err := setUpExport(b.Context(), options{Customers: maxCustomers, Seed: 1}, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	defer s.close()
	var worst exportReport
	for b.Loop() {
		r, err := s.export(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if r.Rows != s.indexed {
			b.Fatalf("the export has %d rows, the index %d customers", r.Rows, s.indexed)
		}
		worst.Seconds = max(worst.Seconds, r.Seconds)
		worst.CPUSeconds = max(worst.CPUSeconds, r.CPUSeconds)
		if r.liveDelta() > worst.liveDelta() {
			worst.IdleLive, worst.PeakLive = r.IdleLive, r.PeakLive
		}
		if r.rssDelta() > worst.rssDelta() {
			worst.IdleRSS, worst.PeakRSS = r.IdleRSS, r.PeakRSS
		}
		worst.Rows = r.Rows
	}
	b.ReportMetric(float64(worst.Rows), "rows")
	b.ReportMetric(worst.Seconds, "max-s/export")
	b.ReportMetric(worst.CPUSeconds, "max-cpu-s/export")
	b.ReportMetric(float64(worst.liveDelta())/(1<<20), "live-heap-MiB-above-idle")
	b.ReportMetric(float64(worst.rssDelta())/(1<<20), "rss-MiB-above-idle")
}

// TestExportRun runs -export over a small directory and reads its report:
// every indexed customer is a row of the file.
func TestExportRun(t *testing.T) {
	var stdout, stderr bytes.Buffer
	run(t.Context(), []string{"-export", "-customers", "300", "-json"}, &stdout, &stderr)
	var rep exportReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if rep.Customers == 0 || rep.Rows != rep.Customers || rep.SquareCalls != (rep.Rows+99)/100 {
		t.Errorf("report = %+v, want a row per indexed customer, 100 a Square call", rep)
	}
}
