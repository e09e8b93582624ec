#!/usr/bin/env bash
# Checks that the vendored htmx in static/vendor is byte for byte the file
# published on npm as htmx.org at the version below, so nobody patches it by
# hand. It fetches the package again with `npm pack` into a temporary folder
# and compares the minified build and the licence with cmp.
set -euo pipefail

version=2.0.11
root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/static/vendor"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if ! (cd "$tmp" && npm pack --silent "htmx.org@$version" >/dev/null); then
	echo "check-htmx: npm pack htmx.org@$version failed" >&2
	exit 2
fi
tar -xzf "$tmp/htmx.org-$version.tgz" -C "$tmp"

status=0
check() {
	local published="$tmp/package/$1" vendored="$vendor/$2"
	if [ ! -f "$vendored" ]; then
		echo "check-htmx: missing static/vendor/$2 (expected a copy of htmx.org@$version $1)" >&2
		status=1
	elif ! cmp -s "$published" "$vendored"; then
		echo "check-htmx: static/vendor/$2 differs from htmx.org@$version $1 on npm;" \
			"copy the published file unmodified" >&2
		status=1
	fi
}
check dist/htmx.min.js "htmx-$version.min.js"
check LICENSE htmx-LICENSE

if [ "$status" -eq 0 ]; then
	echo "check-htmx: static/vendor matches htmx.org@$version on npm"
fi
exit "$status"
