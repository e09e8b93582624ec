package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// procMemory reads VmRSS and VmHWM from /proc/<pid>/status (pid 0 is this
// process), in bytes; 0 where there is none.
func procMemory(pid int) (rss, peak uint64) {
	f, err := os.Open(procPath(pid, "status"))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			continue
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak
}

// resetPeakRSS sets a process's VmHWM back to its VmRSS (Linux 4.0 and
// later), so that the next VmHWM is the peak of what came since.
func resetPeakRSS(pid int) error {
	return os.WriteFile(procPath(pid, "clear_refs"), []byte("5"), 0)
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux architecture Go runs on.
const clockTicks = 100

// procCPU is the processor time, user and system, a process has used,
// from /proc/<pid>/stat; 0 where there is none.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return 0
	}
	// The command name, field 2, is in parentheses and may hold spaces;
	// utime and stime are fields 14 and 15, the 12th and 13th after it.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * time.Second / clockTicks
}

func procPath(pid int, name string) string {
	if pid == 0 {
		return "/proc/self/" + name
	}
	return fmt.Sprintf("/proc/%d/%s", pid, name)
}

// Bounds of settledRSS.
const (
	settleRSSEvery = 250 * time.Millisecond
	settleRSSMax   = 15 * time.Second
	// settleRSSDelta is a change of VmRSS between two samples small enough
	// to call the process idle.
	settleRSSDelta = 256 << 10
)

// settledRSS waits until a process's VmRSS stops falling (Go's scavenger
// hands the memory a burst of work freed back to the system over some
// seconds: right after the index's first sync the resident set still
// holds what the sync allocated), at most settleRSSMax, and returns it.
func settledRSS(ctx context.Context, pid int) uint64 {
	last, _ := procMemory(pid)
	deadline := time.Now().Add(settleRSSMax)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return last
		case <-time.After(settleRSSEvery):
		}
		rss, _ := procMemory(pid)
		if rss+settleRSSDelta >= last {
			return rss
		}
		last = rss
	}
	return last
}
