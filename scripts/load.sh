#!/bin/sh
# load.sh: Tessera's load test as `make load` runs it. cmd/loadtest starts
# Tessera in its own process on 127.0.0.1 and loads nothing else. Two runs:
# 50 sessions for 20 s as fast as they go, where the targets apply (p99
# under 50 ms, no 5xx of our own, goroutines and memory back to the
# baseline); then the same with 20 ms of Square latency and 5% of Square
# calls answered 503 or 429; then the index mix: directory pages and
# searches served by the customer index of 100,000 customers, 20 ms of
# Square latency, p99 at most 25 ms for each and resident memory under
# 100 MB; last, the CSV export of those 100,000 customers from the index
# (-export: at most 3 s, live heap at most 20 MB above idle; docs/csv.md).
# Extra arguments go to every run (-json, -seed).
# Exit status: the first non-zero of the runs.
set -u
GO=${GO:-go}
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
"$dir/loadtest" -sessions "$SESSIONS" -duration "$DURATION" -mix index -customers 100000 -latency 20ms "$@" || {
	code=$?
	[ "$status" -ne 0 ] || status=$code
}
echo
"$dir/loadtest" -export -customers 100000 "$@" || {
	code=$?
	[ "$status" -ne 0 ] || status=$code
}
exit "$status"
