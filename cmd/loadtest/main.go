// Command loadtest measures Tessera under load. It starts Tessera in this
// process in local mode, wired as cmd/web wires it, on a listener of its
// own on 127.0.0.1 (or, with -processes, cmd/web and cmd/squarelocal as
// processes of their own: see processes.go); signs N staff sessions in
// through the real OAuth flow (squarelocal's consent page, Allow); waits
// for the customer index's first sync; and has them use the dashboard
// for a bounded time and number of requests: the directory (40% of
// actions), a search by part of an email (20%), a profile (25%), an edit
// that changes the note (10%) and a create (5%). It then prints
// throughput, latency percentiles overall and per kind of request,
// errors by kind, and goroutines and memory before and after, with PASS
// or FAIL for the targets.
//
// It can load nothing but the Tessera it started: it takes no address,
// and its clients' dialer refuses every address but the listener's (and
// the emulator's, where the sessions sign in, with -processes).
//
//	go run ./cmd/loadtest                          # 50 sessions for 20 s
//	go run ./cmd/loadtest -latency 20ms -fault-rate 0.05
//	go run ./cmd/loadtest -sessions 5 -duration 5s -json
//	go run ./cmd/loadtest -processes -mix index -customers 100000 -latency 20ms
//	go run ./cmd/loadtest -processes -export -customers 100000
//
// -export replaces the load with one download of the customer export of
// the whole directory from the index, timed, with the memory it took
// (see export.go).
//
// The index mix (-mix index) is the default mix, whose directory pages
// and searches the customer index serves, checked against the index's
// targets: p99 of the directory and of the search each at most 25 ms,
// Tessera's resident memory under 100 MB (its own, with -processes).
//
// Exit status: 0 when every check passes, 1 when one fails or the run
// could not be made, 2 for bad flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the flags.
type options struct {
	Sessions    int           `json:"sessions"`
	Duration    time.Duration `json:"-"`
	MaxRequests int           `json:"max_requests"`
	Latency     time.Duration `json:"-"`
	// Think is the mean pause between one person's actions; 0 runs them
	// back to back, so that every session always has a request in flight.
	Think     time.Duration `json:"-"`
	FaultRate float64       `json:"fault_rate"`
	Customers int           `json:"customers_per_merchant"`
	// Mix is the mix of actions: "default" (directory, search, profile,
	// edit, create) or "index" (the same, checked against the customer
	// index's targets).
	Mix  string `json:"mix"`
	Seed int64  `json:"seed"`
	JSON bool   `json:"-"`
	// Export runs one export of the whole directory from the customer
	// index instead of the load (see runExport).
	Export bool `json:"-"`
	// Processes runs the emulator and Tessera as processes of their own
	// (see processes.go), so that Tessera's memory is its own.
	Processes bool `json:"processes"`
	// Replicas is how many processes of Tessera share one PostgreSQL
	// database behind a balancer (replicas.go); 1 is the SQLite default.
	Replicas int `json:"replicas"`
	// KillAfter, when set, kills the last replica this far into the load.
	KillAfter time.Duration `json:"-"`
	// CPUProfile and MemProfile name files for pprof profiles of the load
	// phase and of the heap after it.
	CPUProfile string `json:"-"`
	MemProfile string `json:"-"`
}

// Bounds of the flags: the load stays bounded in time and count whatever
// is asked.
const (
	maxSessions    = 1000
	maxDuration    = 5 * time.Minute
	maxRequestsCap = 1_000_000
	maxLatency     = 10 * time.Second
	maxThink       = time.Minute
	maxCustomers   = 100_000
	maxReplicas    = 4
)

func defaultOptions() options {
	return options{Sessions: 50, Duration: 20 * time.Second, MaxRequests: 200_000, Customers: 2000, Seed: 1, Mix: mixDefault, Replicas: 1}
}

// parseFlags reads and checks the flags; every problem is reported.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := defaultOptions()
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: loadtest [flags]

Starts Tessera in process in local mode on 127.0.0.1 (or, with
-processes, it and the emulator as processes of their own on loopback
ports), signs sessions in through the OAuth flow and loads it with a mix
of directory, search, profile, edit and create for a bounded time and
number of requests. It never sends a request anywhere else.

Flags:`)
		fs.PrintDefaults()
	}
	fs.IntVar(&o.Sessions, "sessions", o.Sessions, fmt.Sprintf("concurrent signed-in sessions, 1 to %d", maxSessions))
	fs.DurationVar(&o.Duration, "duration", o.Duration, "how long the load runs, at most "+maxDuration.String())
	fs.IntVar(&o.MaxRequests, "max-requests", o.MaxRequests, fmt.Sprintf("stop after this many requests of the mix, at most %d", maxRequestsCap))
	fs.DurationVar(&o.Latency, "latency", o.Latency, "delay squarelocal adds to every Square call, at most "+maxLatency.String())
	fs.DurationVar(&o.Think, "think", o.Think, "mean pause between one session's actions (exponentially distributed); 0 sends them back to back")
	fs.Float64Var(&o.FaultRate, "fault-rate", o.FaultRate, "share of Square calls answered 503 or 429 with Retry-After: 1 (half each), 0 to 1")
	fs.IntVar(&o.Customers, "customers", o.Customers, fmt.Sprintf("customers seeded for the first merchant (the second gets a third), 1 to %d", maxCustomers))
	fs.StringVar(&o.Mix, "mix", o.Mix, "the mix of actions: default, or index (the same actions, checked against the customer index's targets: directory and search p99, memory)")
	fs.Int64Var(&o.Seed, "seed", o.Seed, "seed of the demo data and of each session's choices")
	fs.BoolVar(&o.JSON, "json", o.JSON, "print the report as JSON")
	fs.BoolVar(&o.Export, "export", o.Export, "instead of the load, download the CSV export of the whole directory once, from the customer index, and report its time and resident memory")
	fs.BoolVar(&o.Processes, "processes", o.Processes, "run the emulator (cmd/squarelocal) and Tessera (cmd/web, emulator mode) as processes of their own on loopback ports, and report Tessera's own resident memory; builds both, so it runs inside the module")
	fs.IntVar(&o.Replicas, "replicas", o.Replicas, fmt.Sprintf("with -processes: this many Tessera processes sharing a throwaway PostgreSQL database behind a balancer, 1 to %d (1: SQLite)", maxReplicas))
	fs.DurationVar(&o.KillAfter, "kill-after", 0, "with -replicas 2 or more: kill the last replica (SIGKILL) this far into the load")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the load phase to this file (of this process: with -processes, the clients alone)")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write a heap profile taken after the load (after the clients closed) to this file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected argument %q (loadtest takes no address: it loads only the Tessera it starts)", fs.Arg(0)))
	}
	if o.Sessions < 1 || o.Sessions > maxSessions {
		problems = append(problems, fmt.Sprintf("-sessions must be 1 to %d, got %d", maxSessions, o.Sessions))
	}
	if o.Duration <= 0 || o.Duration > maxDuration {
		problems = append(problems, fmt.Sprintf("-duration must be above 0 and at most %s, got %s", maxDuration, o.Duration))
	}
	if o.MaxRequests < 1 || o.MaxRequests > maxRequestsCap {
		problems = append(problems, fmt.Sprintf("-max-requests must be 1 to %d, got %d", maxRequestsCap, o.MaxRequests))
	}
	if o.Latency < 0 || o.Latency > maxLatency {
		problems = append(problems, fmt.Sprintf("-latency must be 0 to %s, got %s", maxLatency, o.Latency))
	}
	if o.Think < 0 || o.Think > maxThink {
		problems = append(problems, fmt.Sprintf("-think must be 0 to %s, got %s", maxThink, o.Think))
	}
	if !(o.FaultRate >= 0 && o.FaultRate <= 1) {
		problems = append(problems, fmt.Sprintf("-fault-rate must be 0 to 1, got %v", o.FaultRate))
	}
	if o.Customers < 1 || o.Customers > maxCustomers {
		problems = append(problems, fmt.Sprintf("-customers must be 1 to %d, got %d", maxCustomers, o.Customers))
	}
	if o.Replicas < 1 || o.Replicas > maxReplicas {
		problems = append(problems, fmt.Sprintf("-replicas must be 1 to %d, got %d", maxReplicas, o.Replicas))
	} else if o.Replicas > 1 && !o.Processes {
		problems = append(problems, "-replicas needs -processes: the replicas are processes of cmd/web")
	}
	if o.KillAfter < 0 || o.KillAfter > 0 && (o.Replicas < 2 || o.KillAfter >= o.Duration) {
		problems = append(problems, fmt.Sprintf("-kill-after needs -replicas 2 or more and must fall inside -duration (%s), got %s", o.Duration, o.KillAfter))
	}
	if mixNamed(o.Mix) == nil {
		problems = append(problems, fmt.Sprintf("-mix must be %s or %s, got %q", mixDefault, mixIndex, o.Mix))
	}
	if len(problems) > 0 {
		return o, errors.New(strings.Join(problems, "\n"))
	}
	return o, nil
}

// run is the whole command, with its surroundings passed in for tests. It
// returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		for line := range strings.SplitSeq(err.Error(), "\n") {
			fmt.Fprintln(stderr, "loadtest:", line)
		}
		fmt.Fprintln(stderr, "loadtest: run loadtest -help for the flags")
		return 2
	}
	if o.Export {
		return runExportCommand(ctx, o, args, stdout, stderr)
	}
	rep, err := execute(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 1
	}
	rep.Command = commandLine(args)
	return emit(rep, rep.Pass, o.JSON, stdout, stderr)
}

// emit prints a run's report, as JSON or as text, and returns the exit
// status: 1 when the report failed its targets or could not be printed.
func emit(rep interface{ writeText(io.Writer) }, pass, asJSON bool, stdout, stderr io.Writer) int {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return 1
		}
	} else {
		rep.writeText(stdout)
	}
	if !pass {
		return 1
	}
	return 0
}

// commandLine is how this run can be repeated.
func commandLine(args []string) string {
	parts := []string{"go run ./cmd/loadtest"}
	for _, a := range args {
		if strings.ContainsAny(a, " \t'\"") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}
