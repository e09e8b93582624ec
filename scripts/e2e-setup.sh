#!/usr/bin/env bash
# Prepares a machine for the browser tests in e2e/ (see
# README.md, "The two commands"): Debian's Chromium at /usr/bin/chromium,
# the Playwright driver (npm playwright-core, pinned in e2e/package-lock.json)
# in e2e/node_modules, and the e2e/.driver/package symlink that playwright-go
# looks for. Nothing comes from Playwright's CDN. It is idempotent and takes
# well under a second when everything is in place; `make test` runs it before
# the tests.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
e2e="$root/e2e"
chromium=/usr/bin/chromium

fail() {
	echo "e2e-setup: $*" >&2
	exit 1
}

# 1. The browser: Debian's chromium package.
if [ ! -x "$chromium" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		fail "$chromium is missing and installing it needs root: run" \
			"'sudo apt-get update && sudo apt-get install -y chromium', then this script again"
	fi
	command -v apt-get >/dev/null || fail "$chromium is missing and there is no apt-get: install Debian's chromium package"
	echo "e2e-setup: installing Debian's chromium"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq chromium >/dev/null
	[ -x "$chromium" ] || fail "apt-get installed chromium but $chromium is still missing"
fi

# 2. The driver: playwright-core (and axe-core) exactly as locked. The hash
# of the lock we installed from is kept in node_modules, so a changed lock
# reinstalls and an unchanged one costs nothing.
command -v node >/dev/null || fail "node is missing: install Node.js 18 or later (with npm)"
command -v npm >/dev/null || fail "npm is missing: install it with Node.js"
lock="$e2e/package-lock.json"
stamp="$e2e/node_modules/.tessera-lock.sha256"
want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [ ! -f "$e2e/node_modules/playwright-core/cli.js" ] || [ ! -f "$e2e/node_modules/axe-core/axe.min.js" ] ||
	[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	echo "e2e-setup: npm ci --prefix e2e"
	npm ci --prefix "$e2e" --no-audit --no-fund --loglevel=error
	echo "$want" >"$stamp"
fi

# 3. playwright-go runs $PLAYWRIGHT_DRIVER_PATH/package/cli.js.
mkdir -p "$e2e/.driver"
if [ "$(readlink "$e2e/.driver/package" 2>/dev/null)" != "../node_modules/playwright-core" ]; then
	rm -rf "$e2e/.driver/package"
	ln -s ../node_modules/playwright-core "$e2e/.driver/package"
fi

version="$(node -p 'require(process.argv[1]).version' "$e2e/node_modules/playwright-core/package.json")"
echo "e2e-setup: ready (chromium: $("$chromium" --version 2>/dev/null | head -n1); playwright-core $version)"
echo "e2e-setup: the tests use PLAYWRIGHT_DRIVER_PATH=$e2e/.driver PLAYWRIGHT_NODEJS_PATH=$(command -v node) unless set"
