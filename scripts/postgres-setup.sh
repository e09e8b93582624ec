#!/usr/bin/env bash
# Makes sure Debian's PostgreSQL server programs are on this machine, for
# the PostgreSQL store's contract tests (internal/store/postgres). The tests
# start their own throwaway cluster (internal/store/pgtest): this script
# only installs the package when it is missing, and takes well under a
# second when it is there. `make test` runs it, then runs the tests with
# TESSERA_REQUIRE_POSTGRES=1, so that a missing server fails them with the
# reason instead of skipping them.
set -euo pipefail

fail() {
	echo "postgres-setup: $*" >&2
	exit 1
}

have() {
	compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null
}

have && exit 0
if [ "$(id -u)" -ne 0 ]; then
	fail "PostgreSQL's server is missing and installing it needs root: run" \
		"'sudo apt-get update && sudo apt-get install -y postgresql postgresql-contrib', then this script again"
fi
command -v apt-get >/dev/null || fail "PostgreSQL's server is missing and there is no apt-get: install Debian's postgresql package"
echo "postgres-setup: installing Debian's postgresql"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The package starts a cluster of its own; the tests never use it.
apt-get install -y -qq postgresql postgresql-contrib >/dev/null
have || fail "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/pg_ctl is there"
