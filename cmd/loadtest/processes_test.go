package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/testutil"
)

// TestShortRunInProcesses runs the index mix briefly with -processes: the
// emulator and Tessera in processes of their own, the sessions signing in
// on the emulator's consent page. The report has Tessera's own resident
// memory, idle and after the load, every kind answered without an error,
// and both processes are gone when the run returns.
func TestShortRunInProcesses(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"-processes", "-sessions", "3", "-duration", "2s", "-customers", "200", "-mix", "index", "-latency", "2ms", "-json"}, &stdout, &stderr)
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d; the report is not JSON: %v\nstderr:\n%s", code, err, stderr.String())
	}
	if !rep.Options.Processes || rep.SignIn.Requests != 3*6 {
		t.Errorf("processes %v, %d sign-in requests; want -processes and 18 (6 a session)", rep.Options.Processes, rep.SignIn.Requests)
	}
	if len(rep.Errors) > 0 || len(rep.ErrorSamples) > 0 {
		t.Errorf("errors %v: %v", rep.Errors, rep.ErrorSamples)
	}
	for _, k := range rep.Kinds {
		if k.Requests == 0 || len(k.Errors) > 0 {
			t.Errorf("%s: %d requests, errors %v; want some and none", k.Kind, k.Requests, k.Errors)
		}
	}
	// Tessera's log is its process's stderr.
	if rep.ServerLog.Lines == 0 || rep.ServerLog.Errors > 0 {
		t.Errorf("server log: %d lines, %d errors %v; want lines and no error", rep.ServerLog.Lines, rep.ServerLog.Errors, rep.ServerLog.Samples)
	}

	web := rep.Tessera
	if web == nil {
		t.Fatalf("the report has no figures of Tessera's process: %s", stdout.String())
	}
	if web.PID == 0 || web.PID == os.Getpid() {
		t.Errorf("Tessera's pid %d, want a process other than this one (%d)", web.PID, os.Getpid())
	}
	if web.Idle.RSS == 0 || web.After.RSS == 0 || web.After.PeakRSS < web.After.RSS || web.EmulatorRSS == 0 || web.CPUSeconds <= 0 {
		t.Errorf("Tessera's process %+v: want its resident memory idle and after, a peak, the emulator's and CPU time", web)
	}
	checks := map[string]check{}
	for _, c := range rep.Checks {
		checks[c.Name] = c
	}
	for _, name := range []string{"Tessera's resident memory after the load", "directory p99 from the index", "search p99 from the index", "5xx of our own"} {
		if _, ok := checks[name]; !ok {
			t.Errorf("no check %q among %+v", name, rep.Checks)
		}
	}
	if c := checks["Tessera's resident memory after the load"]; !strings.Contains(c.Observed, "MiB") || !strings.Contains(c.Target, "100.0 MiB") {
		t.Errorf("memory check %+v, want Tessera's RSS against 100 MiB", c)
	}
	if _, ok := checks["goroutines back to baseline"]; ok {
		t.Error("the goroutines of this process, which no longer holds Tessera, are checked")
	}
	assertGone(t, web.PID)

	var text bytes.Buffer
	rep.writeText(&text)
	if want := "Tessera's own process (pid " + strconv.Itoa(web.PID) + ")"; !strings.Contains(text.String(), want) {
		t.Errorf("the text report lacks %q:\n%s", want, text.String())
	}
}

// TestExportRunInProcesses runs -export with -processes over a small
// directory: every indexed customer is a row, and the memory reported is
// Tessera's own process's.
func TestExportRunInProcesses(t *testing.T) {
	var stdout, stderr bytes.Buffer
	run(t.Context(), []string{"-processes", "-export", "-customers", "250", "-json"}, &stdout, &stderr)
	var rep exportReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if rep.Customers < 200 || rep.Rows != rep.Customers || rep.SquareCalls != (rep.Rows+99)/100 {
		t.Errorf("report = %+v, want the seeded customers indexed, a row each, 100 a Square call", rep)
	}
	if rep.TesseraPID == 0 || rep.IdleRSS == 0 || rep.PeakRSS < rep.IdleRSS || rep.IdleLive != 0 {
		t.Errorf("report = %+v, want Tessera's own resident memory, idle and peak, and no live heap of this process", rep)
	}
	assertGone(t, rep.TesseraPID)
}

// TestInterruptedRunInProcesses interrupts a run with -processes during
// the load, as Ctrl-C does: it ends promptly, says so, and leaves neither
// process running.
func TestInterruptedRunInProcesses(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr testutil.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-processes", "-sessions", "2", "-duration", "1m", "-customers", "50", "-json"}, &stdout, &stderr)
	}()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(stderr.String(), "signed in in") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the sessions did not sign in within a minute:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	web, emu := pidsIn(t, stderr.String())
	time.Sleep(500 * time.Millisecond)
	cancel()
	select {
	case code := <-done:
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end within 30 s of the interrupt")
	}
	var rep report
	if err := json.Unmarshal([]byte(stdout.String()), &rep); err == nil && !rep.Interrupted {
		t.Error("the report does not say the run was interrupted")
	}
	assertGone(t, web)
	assertGone(t, emu)
}

// TestChildFailureKeepsItsStderr: a child that exits before it listens is
// reported with its exit and the end of its stderr.
func TestChildFailureKeepsItsStderr(t *testing.T) {
	sh := "/bin/sh"
	if _, err := os.Stat(sh); err != nil {
		t.Skip("no /bin/sh")
	}
	_, err := startChild(t.Context(), "Tessera", sh, []string{"-c", "echo 'tessera: SQUARE_EMULATOR_URL: required' >&2; exit 2"}, nil, "Tessera is serving ", nil)
	if err == nil {
		t.Fatal("a child that exits at once started")
	}
	for _, want := range []string{"Tessera (pid ", "exited before it listened", "exit status 2", "SQUARE_EMULATOR_URL: required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q, want it to say %q", err, want)
		}
	}
}

// pidsIn are the pids of Tessera and of the emulator from the progress
// line that names them.
func pidsIn(t *testing.T, progress string) (web, emu int) {
	t.Helper()
	i := strings.Index(progress, "its own process ")
	if i < 0 {
		t.Fatalf("no pid of Tessera in %q", progress)
	}
	if _, err := fmt.Sscanf(progress[i:], "its own process %d, against squarelocal's process %d", &web, &emu); err != nil {
		t.Fatalf("no pids in %q: %v", progress[i:], err)
	}
	return web, emu
}

// assertGone fails the test when process pid still exists.
func assertGone(t *testing.T, pid int) {
	t.Helper()
	if pid == 0 {
		return
	}
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil {
		t.Errorf("process %d is still there after the run", pid)
	} else if !errors.Is(err, os.ErrNotExist) {
		t.Logf("cannot tell whether %d is gone: %v", pid, err)
	}
}

// TestTwoReplicasWithOneKilled runs the load against two replicas on
// PostgreSQL and kills one halfway: the live one answers everything, the
// streams of the dead one open again on it, and nothing else is lost.
func TestTwoReplicasWithOneKilled(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"-processes", "-replicas", "2", "-kill-after", "2s", "-sessions", "4", "-duration", "4s", "-customers", "200", "-json"}, &stdout, &stderr)
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		if strings.Contains(stderr.String(), "-replicas needs PostgreSQL") && os.Getenv("TESSERA_REQUIRE_POSTGRES") == "" {
			t.Skipf("PostgreSQL is not installed here: %s", stderr.String())
		}
		t.Fatalf("exit %d; the report is not JSON: %v\nstderr:\n%s", code, err, stderr.String())
	}
	rr := rep.Replicas
	if rr == nil || rr.Count != 2 || !rr.Killed {
		t.Fatalf("replicas %+v, want 2 and one killed", rr)
	}
	if rr.StreamsReopened == 0 {
		t.Errorf("no stream was opened again after the kill, want those of the dead replica")
	}
	checks := map[string]check{}
	for _, c := range rep.Checks {
		checks[c.Name] = c
	}
	for _, name := range []string{"5xx of our own", "transport errors and unexpected statuses or pages", "requests lost with the killed replica", "live-update streams open during the load"} {
		if c, ok := checks[name]; !ok || !c.Pass {
			t.Errorf("check %q = %+v, want it there and passed", name, c)
		}
	}
	for _, name := range []string{"directory p99 on 2 replicas", "search p99 on 2 replicas"} {
		if _, ok := checks[name]; !ok {
			t.Errorf("no check %q among %+v", name, rep.Checks)
		}
	}
	if rep.Tessera != nil {
		assertGone(t, rep.Tessera.PID)
	}
}
