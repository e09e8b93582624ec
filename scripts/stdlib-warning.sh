#!/bin/sh
# stdlib-warning.sh: warn when the Go toolchain that builds Tessera has
# known vulnerabilities in its standard library, which every binary it
# builds carries. `make build` runs it after building. It reads the same
# pinned database as scripts/vulncheck.sh, but only the reports, by
# version (scripts/stdlibvulns), so it takes a second or two instead of
# govulncheck's 20 s. It never fails: a build on an old toolchain is fine
# for trying things out, and a warning that cannot be computed is said and
# skipped.
set -u
GO=${GO:-go}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 0
. "$root/scripts/vulndb.env"

version=$("$GO" env GOVERSION 2>/dev/null) || version=""
src=$("$GO" mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" 2>/dev/null | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$version" ] || [ ! -d "$src/data/osv" ]; then
	echo "stdlib-warning: cannot check the Go toolchain for known vulnerabilities (golang.org/x/vulndb@$VULNDB_VERSION is not available)" >&2
	exit 0
fi
"$GO" run ./scripts/stdlibvulns -osv "$src/data/osv" -go "$version" || true
exit 0
