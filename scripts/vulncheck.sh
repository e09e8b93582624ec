#!/bin/sh
# vulncheck.sh: govulncheck against Go's vulnerability database, built
# offline. vuln.go.dev cannot be reached from our machines, but the Go
# module proxy serves golang.org/x/vulndb, whose data/osv folder holds the
# reports the database is made of; scripts/vulndb writes them in the layout
# govulncheck reads with -db file://. Both versions are pinned, so a run
# gives the same answer until someone moves them. scripts/vulngate decides
# what fails (see its comment). About 20 s, most of it govulncheck.
set -eu
GO=${GO:-go}
GOVULNCHECK_VERSION=v1.9.0

root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/vulndb.env"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$root"

src=$("$GO" mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src/data/osv" ] || { echo "vulncheck: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv" >&2; exit 1; }
"$GO" run ./scripts/vulndb -osv "$src/data/osv" -modified "$VULNDB_TIME" -out "$tmp/db"

"$GO" run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" -db "file://$tmp/db" -format json ./... >"$tmp/findings.json"
"$GO" run ./scripts/vulngate -reviewed scripts/vulncheck-reviewed.txt <"$tmp/findings.json"
