#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a few seconds, so `make test`
# exercises them beyond their seed corpora.
#
# The budget is a number of executions, not a duration. With a duration, Go
# 1.26's fuzzing coordinator can fail a healthy target with a bare "context
# deadline exceeded" when the time runs out while a worker is mid-call
# (golang/go#75804, fixed in Go 1.27): that failed CI once, with no crasher.
# A count has no deadline to race. FUZZSCALE multiplies every budget, for a
# longer run: `make fuzz FUZZSCALE=50`.
set -euo pipefail
scale=${FUZZSCALE:-1}
case $scale in
  '' | *[!0-9]* | 0) echo "fuzz: FUZZSCALE must be a positive whole number, not '$scale'" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."

# Executions per target: 20,000 takes 2 to 5 s here. Targets that serve a
# whole request run about 600 a second and get fewer.
default_execs=20000
declare -A execs=(
  [FuzzCustomerForm]=3000
)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
while IFS=: read -r file name; do
  pkg="$(dirname "$file")"
  n=$(( ${execs[$name]:-$default_execs} * scale ))
  echo "fuzz: $name in $pkg for $n executions"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "${n}x" "$pkg" >"$log" 2>&1; then
    cat "$log"
    status=1
  fi
done < <(grep -rhoE --include='*_test.go' -e '^func (Fuzz[A-Za-z0-9_]+)\(' --with-filename . \
          | sed -E 's/^(.*):func (Fuzz[A-Za-z0-9_]+)\(/\1:\2/' | grep -v '/node_modules/' | sort)
exit $status
