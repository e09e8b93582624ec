#!/bin/sh
# vulncheck.sh: govulncheck against Go's vulnerability database, built
# offline. vuln.go.dev cannot be reached from our machines, but the Go
# module proxy serves golang.org/x/vulndb, the repository the database is
# generated from; its own gendb command turns it into the database layout
# govulncheck reads with -db file://. Both versions are pinned, so a run
# gives the same answer until someone moves them; the database is built
# once per version into the user's cache (about 30 s), later runs take
# about 15 s. scripts/vulngate decides what fails (see its comment).
set -eu
GO=${GO:-go}
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
GOVULNCHECK_VERSION=v1.9.0

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/tessera/vulndb-$VULNDB_VERSION
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ ! -f "$cache/index/db.json" ]; then
	echo "vulncheck: building the vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION" >&2
	src=$("$GO" mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$src/data/osv" ] || { echo "vulncheck: golang.org/x/vulndb has no data/osv" >&2; exit 1; }
	# gendb reads the reports from a git repository's HEAD.
	mkdir "$tmp/repo"
	cp -R "$src/data" "$tmp/repo/"
	chmod -R u+w "$tmp/repo"
	(cd "$tmp/repo" && git init -q && git add -A &&
		git -c user.name=vulncheck -c user.email=vulncheck@localhost -c commit.gpgsign=false commit -qm "vulndb $VULNDB_VERSION")
	(cd "$tmp" && "$GO" run "golang.org/x/vulndb/cmd/gendb@$VULNDB_VERSION" -repo "$tmp/repo" -out "$tmp/db")
	mkdir -p "$(dirname "$cache")"
	rm -rf "$cache"
	mv "$tmp/db" "$cache"
fi

cd "$root"
"$GO" run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" -db "file://$cache" -format json ./... >"$tmp/findings.json"
"$GO" run ./scripts/vulngate -reviewed scripts/vulncheck-reviewed.txt <"$tmp/findings.json"
