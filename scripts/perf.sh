#!/bin/sh
# Regenerates docs/performance.md: it runs the server-overhead benchmarks of
# internal/handlers, the emulator's benchmarks, and the browser metrics test
# (e2e/perf_test.go, with TESSERA_PERF_JSON set so it writes its figures),
# then scripts/perfdoc turns their output into the document, each figure
# beside its target. The document is written even when a command fails (its
# section says so); the script then exits non-zero.
#
#	./scripts/perf.sh            # GO=go1.26.8 ./scripts/perf.sh for another go
#
# Timings depend on the machine and on what else runs on it: run it on a
# quiet one. It takes about two minutes, most of it the full sync of
# 100,000 customers that BenchmarkIndexMix fills its index with.
set -eu

GO=${GO:-go}
root=$(cd "$(dirname "$0")/.." && pwd)
doc="$root/docs/performance.md"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$root"

# run NAME COMMAND...: runs the command with its output on the terminal and
# in $tmp/NAME.out, its status in $tmp/NAME.status, and never fails.
run() {
	name=$1
	shift
	echo "perf: $*" >&2
	{
		status=0
		"$@" || status=$?
		echo "$status" >"$tmp/$name.status"
	} 2>&1 | tee "$tmp/$name.out"
}

handlers_cmd="$GO test -run '^\$' -bench . -benchmem -count 1 ./internal/handlers/"
run handlers "$GO" test -run '^$' -bench . -benchmem -count 1 ./internal/handlers/

squarelocal_cmd="$GO test -run '^\$' -bench . -benchmem -benchtime 20x ./internal/squarelocal/"
run squarelocal "$GO" test -run '^$' -bench . -benchmem -benchtime 20x ./internal/squarelocal/

./scripts/e2e-setup.sh >&2
browser_cmd="TESSERA_PERF_JSON=<file> $GO test -count=1 -v -run '^TestBrowserMetrics\$' ./e2e/"
TESSERA_PERF_JSON="$tmp/browser.json"
export TESSERA_PERF_JSON
run browser "$GO" test -count=1 -v -run '^TestBrowserMetrics$' ./e2e/
unset TESSERA_PERF_JSON

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
mkdir -p "$(dirname "$doc")"
"$GO" run ./scripts/perfdoc \
	-date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	-go "$("$GO" version)" \
	-nproc "$(nproc)" \
	-arch "$(uname -m)" \
	-cpu "${cpu:-unknown CPU}" \
	-handlers-cmd "$handlers_cmd" -handlers-out "$tmp/handlers.out" -handlers-status "$(cat "$tmp/handlers.status")" \
	-squarelocal-cmd "$squarelocal_cmd" -squarelocal-out "$tmp/squarelocal.out" -squarelocal-status "$(cat "$tmp/squarelocal.status")" \
	-browser-cmd "$browser_cmd" -browser-out "$tmp/browser.json" -browser-status "$(cat "$tmp/browser.status")" \
	>"$tmp/performance.md"
# The Lighthouse section at the end is written by hand from `make
# lighthouse` (scripts/lighthouse.sh), which this script does not run: it
# is kept as it is.
if [ -f "$doc" ]; then
	sed -n '/^## Lighthouse/,$p' "$doc" >"$tmp/lighthouse.md"
	if [ -s "$tmp/lighthouse.md" ]; then
		{ echo; cat "$tmp/lighthouse.md"; } >>"$tmp/performance.md"
	fi
fi
cp "$tmp/performance.md" "$doc"
echo "perf: wrote docs/performance.md" >&2

for name in handlers squarelocal browser; do
	status=$(cat "$tmp/$name.status")
	if [ "$status" != 0 ]; then
		echo "perf: the $name command exited with status $status" >&2
		exit 1
	fi
done
