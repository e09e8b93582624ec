#!/bin/sh
# load.sh: Tessera's load test as `make load` runs it. Four runs of
# cmd/loadtest, which loads nothing but the Tessera it starts:
#  1. 50 sessions for 20 s as fast as they go, Tessera in loadtest's own
#     process in local mode, where the targets apply (p99 under 50 ms, no
#     5xx of our own, goroutines and memory back to the baseline);
#  2. the same with 20 ms of Square latency and 5% of Square calls
#     answered 503 or 429;
#  3. the index mix: the same actions over 100,000 customers, directory
#     pages and searches served by the customer index, 20 ms of Square
#     latency, with -processes: the emulator (cmd/squarelocal) and Tessera
#     (cmd/web, emulator mode) in processes of their own, so that
#     Tessera's resident memory is its own: p99 of directory and search at
#     most 25 ms each, Tessera's RSS under 100 MB (docs/reliability.md);
#  4. the CSV export of those 100,000 customers from the index, also with
#     -processes: at most 3 s, Tessera's RSS at most 20 MB above idle
#     (docs/csv.md);
#  5. two replicas sharing a throwaway PostgreSQL cluster behind a
#     balancer (-replicas 2), 50 sessions: no errors of our own, p99 of
#     directory and search at most 50 ms (docs/postgres.md);
#  6. the same with the second replica killed (SIGKILL) halfway: every
#     request to the live one succeeds, the dead one's live-update streams
#     open again on it.
# -processes builds cmd/web and cmd/squarelocal, so this runs from the
# module. Extra arguments go to every run (-json, -seed).
# Exit status: the first non-zero of the runs.
set -u
GO=${GO:-go}
# loadtest -processes builds its children with the same go command.
export GO
SESSIONS=${SESSIONS:-50}
DURATION=${DURATION:-20s}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$GO" build -o "$dir/loadtest" ./cmd/loadtest || exit 1

status=0
"$dir/loadtest" -sessions "$SESSIONS" -duration "$DURATION" "$@" || status=$?
echo
"$dir/loadtest" -sessions "$SESSIONS" -duration "$DURATION" -latency 20ms -fault-rate 0.05 "$@" || {
	code=$?
	[ "$status" -ne 0 ] || status=$code
}
echo
"$dir/loadtest" -processes -sessions "$SESSIONS" -duration "$DURATION" -mix index -customers 100000 -latency 20ms "$@" || {
	code=$?
	[ "$status" -ne 0 ] || status=$code
}
echo
"$dir/loadtest" -processes -export -customers 100000 "$@" || {
	code=$?
	[ "$status" -ne 0 ] || status=$code
}
echo
"$dir/loadtest" -processes -replicas 2 -sessions "$SESSIONS" -duration "$DURATION" "$@" || {
	code=$?
	[ "$status" -ne 0 ] || status=$code
}
echo
"$dir/loadtest" -processes -replicas 2 -kill-after 10s -sessions "$SESSIONS" -duration "$DURATION" "$@" || {
	code=$?
	[ "$status" -ne 0 ] || status=$code
}
exit "$status"
