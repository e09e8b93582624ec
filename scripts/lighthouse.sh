#!/usr/bin/env bash
# lighthouse.sh: `make lighthouse`. Lighthouse 12 with its mobile defaults
# (simulated slow 4G and a 4x CPU slowdown) on the signed-in customer
# directory, against Tessera in local mode, with the budgets of
# docs/performance.md: performance ≥ 0.98, accessibility and best
# practices 1.0. scripts/lighthouse (Go) starts Tessera, signs in through
# the emulator's consent page, waits for the customer index's first sync,
# runs Lighthouse, prints the scores and metrics and checks the budgets.
#
#	./scripts/lighthouse.sh             # one run
#	LIGHTHOUSE_RUNS=5 ./scripts/lighthouse.sh   # budgets on the median of 5
#	LIGHTHOUSE_FROM=/settings/connection LIGHTHOUSE_RUNS=5 ./scripts/lighthouse.sh
#	                                    # each run reaches the directory from
#	                                    # another page of Tessera, as staff do,
#	                                    # not from about:blank (scripts/lighthouse/flow.mjs)
#
# Lighthouse (npm, exactly as locked in scripts/lighthouse/package-lock.json)
# is installed into $TESSERA_LIGHTHOUSE_DIR (default
# ~/.cache/tessera/lighthouse) when missing or when the lock changed, as
# scripts/e2e-setup.sh installs playwright-core; the browser is Debian's
# chromium, which scripts/e2e-setup.sh installs. The JSON reports, each
# run's trace (lighthouse-N-0.trace.json) and DevTools log stay in a
# temporary directory, whose name is printed. Not part of `make test`.
# Exit status: 0 when the budgets hold, 1 when one does not, 2 when it
# could not measure.
set -euo pipefail

GO=${GO:-go}
root="$(cd "$(dirname "$0")/.." && pwd)"
lock="$root/scripts/lighthouse/package-lock.json"
cache="${TESSERA_LIGHTHOUSE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tessera/lighthouse}"
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}

fail() {
	echo "lighthouse: $*" >&2
	exit 2
}

if [ ! -x "$CHROME_PATH" ]; then
	"$root/scripts/e2e-setup.sh" >&2 || fail "no browser at $CHROME_PATH"
fi
command -v npm >/dev/null || fail "npm is missing: install Node.js 18 or later (with npm)"

# Lighthouse exactly as locked; the lock's hash marks the installation.
stamp="$cache/node_modules/.tessera-lock.sha256"
want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [ ! -f "$cache/node_modules/lighthouse/cli/index.js" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	echo "lighthouse: npm ci into $cache" >&2
	mkdir -p "$cache"
	cp "$root/scripts/lighthouse/package.json" "$lock" "$cache/"
	npm ci --prefix "$cache" --no-audit --no-fund --loglevel=error >&2
	echo "$want" >"$stamp"
fi

out="$(mktemp -d "${TMPDIR:-/tmp}/tessera-lighthouse.XXXXXX")"
cd "$root"
"$GO" build -o "$out/web" ./cmd/web
"$GO" build -o "$out/measure" ./scripts/lighthouse
echo "lighthouse: $("$cache/node_modules/.bin/lighthouse" --version) with $("$CHROME_PATH" --version 2>/dev/null | head -n1); reports in $out" >&2
status=0
# flow.mjs runs where Lighthouse is installed, so that its imports resolve.
cp "$root/scripts/lighthouse/flow.mjs" "$cache/flow.mjs"
"$out/measure" -web "$out/web" -lighthouse "$cache/node_modules/.bin/lighthouse" \
	-flow "$cache/flow.mjs" ${LIGHTHOUSE_FROM:+-from "$LIGHTHOUSE_FROM"} \
	-out "$out" -runs "${LIGHTHOUSE_RUNS:-1}" "$@" || status=$?
# The reports and Tessera's log stay; the binaries and the database go.
rm -rf "$out/web" "$out/measure" "$out/data"
exit "$status"
