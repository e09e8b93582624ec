package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// mainThread is how long the audited page's renderer main thread was busy
// during a run (the sum of its tasks' wall time, which Lighthouse's
// simulation multiplies by its CPU slowdown) and how much of that it spent
// on a CPU (the tasks' thread time). On a quiet machine the two are close;
// the difference is time the thread waited, mostly for a CPU that other
// processes held, so a run with a large difference measured the machine's
// load more than the page.
//
// Commit and CommitCPU are those two figures for the one task that
// committed the navigation to the page (the longest task holding a
// DocumentLoader::CommitNavigation): Lighthouse reports it as an
// "Unattributable" long task, since no script runs in it. It is longest when
// the page commits in a renderer process of its own, started for it, as
// Cross-Origin-Opener-Policy makes Chromium do when Lighthouse navigates
// from about:blank (docs/performance.md, "Lighthouse").
type mainThread struct {
	Busy, CPU         time.Duration
	Commit, CommitCPU time.Duration
}

func (m mainThread) String() string {
	return fmt.Sprintf("main thread busy %d ms, of which on a CPU %d ms; navigation commit %d ms, on a CPU %d ms",
		m.Busy.Milliseconds(), m.CPU.Milliseconds(), m.Commit.Milliseconds(), m.CommitCPU.Milliseconds())
}

// traceEvent is the part of a Chrome trace event read here. Dur and TDur
// are in microseconds.
type traceEvent struct {
	Name string  `json:"name"`
	Ph   string  `json:"ph"`
	Pid  int     `json:"pid"`
	Tid  int     `json:"tid"`
	Ts   float64 `json:"ts"`
	Dur  float64 `json:"dur"`
	TDur float64 `json:"tdur"`
	Args struct {
		BeginData struct {
			URL string `json:"url"`
		} `json:"beginData"`
	} `json:"args"`
}

// readMainThread reads a run's trace (Lighthouse's --save-assets writes it
// beside the report) and sums the tasks of the main thread of the renderer
// that parsed target.
func readMainThread(traceFile, target string) (mainThread, error) {
	b, err := os.ReadFile(traceFile)
	if err != nil {
		return mainThread{}, err
	}
	var events []traceEvent
	// Lighthouse saves {"traceEvents": [...]}; a bare array is the other
	// form Chrome's trace format allows.
	var wrapped struct {
		TraceEvents []traceEvent `json:"traceEvents"`
	}
	if err := json.Unmarshal(b, &wrapped); err == nil && wrapped.TraceEvents != nil {
		events = wrapped.TraceEvents
	} else if err := json.Unmarshal(b, &events); err != nil {
		return mainThread{}, fmt.Errorf("%s: %w", traceFile, err)
	}
	type thread struct{ pid, tid int }
	var page *thread
	for _, e := range events {
		if e.Name == "ParseHTML" && strings.HasPrefix(e.Args.BeginData.URL, target) {
			page = &thread{e.Pid, e.Tid}
		}
	}
	if page == nil {
		return mainThread{}, errors.New(traceFile + ": no thread parsed " + target)
	}
	var m mainThread
	var tasks, commits []traceEvent
	for _, e := range events {
		if e.Ph != "X" || e.Pid != page.pid || e.Tid != page.tid {
			continue
		}
		switch e.Name {
		case "RunTask":
			tasks = append(tasks, e)
			m.Busy += micros(e.Dur)
			m.CPU += micros(e.TDur)
		case "DocumentLoader::CommitNavigation":
			commits = append(commits, e)
		}
	}
	for _, t := range tasks {
		for _, c := range commits {
			if c.Ts >= t.Ts && c.Ts < t.Ts+t.Dur && micros(t.Dur) > m.Commit {
				m.Commit, m.CommitCPU = micros(t.Dur), micros(t.TDur)
			}
		}
	}
	return m, nil
}

func micros(us float64) time.Duration { return time.Duration(us * float64(time.Microsecond)) }
