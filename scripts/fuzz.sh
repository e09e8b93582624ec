#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a short while (FUZZTIME,
# default 5s each), so `make test` exercises them beyond their seed corpora.
set -euo pipefail
fuzztime=${FUZZTIME:-5s}
cd "$(dirname "$0")/.."
status=0
while IFS=: read -r file name; do
  pkg="$(dirname "$file")"
  echo "fuzz: $name in $pkg for $fuzztime"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/fuzz-$$.log 2>&1; then
    cat /tmp/fuzz-$$.log
    status=1
  fi
done < <(grep -rhoE --include='*_test.go' -e '^func (Fuzz[A-Za-z0-9_]+)\(' --with-filename . \
          | sed -E 's/^(.*):func (Fuzz[A-Za-z0-9_]+)\(/\1:\2/' | grep -v '/node_modules/' | sort)
rm -f /tmp/fuzz-$$.log
exit $status
