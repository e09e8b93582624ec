# Tessera's build and test entry points. `make test` runs everything CI runs.
GO ?= go
FUZZSCALE ?= 1
# Every package but the browser tests, which run on their own after setup.
UNIT_PKGS = $(shell $(GO) list ./... | grep -v /e2e)

.PHONY: test check generated vet staticcheck vulncheck unit postgres-setup e2e e2e-setup fuzz verify-htmx bench perf lighthouse load reliability build run squarelocal

## test: every gate and every test, browser tests included (what .ci/run calls)
test: e2e-setup postgres-setup generated check vulncheck unit e2e fuzz verify-htmx

## check: formatting, vet and staticcheck
check: vet staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt: not formatted: $$unformatted"; exit 1; fi

## generated: the committed *_templ.go files are what templ generates
generated:
	$(GO) tool templ generate
	@changed=$$(git status --porcelain -- '*_templ.go'); \
	if [ -n "$$changed" ]; then echo "templ generate changed files; commit them:"; echo "$$changed"; exit 1; fi

vet:
	$(GO) vet ./...

## vulncheck: govulncheck with Go's vulnerability database built offline from the module proxy
vulncheck:
	GO=$(GO) ./scripts/vulncheck.sh

staticcheck:
	$(GO) tool staticcheck ./...

## unit: all Go tests but the browser tests, with the race detector; the
## PostgreSQL store's tests need Debian's postgresql (postgres-setup)
unit: postgres-setup
	TESSERA_REQUIRE_POSTGRES=1 $(GO) test -race -count=1 $(UNIT_PKGS)

## postgres-setup: Debian's PostgreSQL server programs, when missing
postgres-setup:
	./scripts/postgres-setup.sh

## e2e-setup: Debian's chromium and the pinned playwright-core driver, when missing
e2e-setup:
	./scripts/e2e-setup.sh

## e2e: the browser tests (playwright-go with Debian's chromium), then a
## second run of the everyday flows with Tessera's state in PostgreSQL
E2E_POSTGRES_TESTS = TestSignInShowsDirectory|TestTypingPartOfANameFindsTheCustomer|TestCreateEditDeleteCustomer|TestAnEditShowsOnAnotherStaffMembersOpenPages|TestAChangeMadeElsewhereShowsInTheNextSearch
e2e: e2e-setup postgres-setup
	$(GO) test -count=1 ./e2e/
	TESSERA_E2E_POSTGRES=1 TESSERA_REQUIRE_POSTGRES=1 $(GO) test -count=1 -run '^($(E2E_POSTGRES_TESTS))$$' ./e2e/

## fuzz: each fuzz target for a few seconds' executions (FUZZSCALE=50 for longer)
fuzz:
	FUZZSCALE=$(FUZZSCALE) ./scripts/fuzz.sh

## verify-htmx: the vendored htmx is byte-identical to npm's htmx.org@2.0.11
verify-htmx:
	./scripts/check-htmx.sh

## bench: the benchmarks (figures quoted in the README)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## perf: server-overhead and emulator benchmarks and the browser's navigation
## metrics, into docs/performance.md (run it on a quiet machine)
perf:
	./scripts/perf.sh

## lighthouse: Lighthouse 12 (mobile defaults) on the signed-in directory against the
## budgets (performance ≥ 0.98, accessibility and best practices 1.0); not part of
## `make test` (LIGHTHOUSE_RUNS=5 for the median of five runs; LIGHTHOUSE_FROM=/settings/connection
## for runs that reach the directory from another page of Tessera, as staff do)
lighthouse:
	GO=$(GO) ./scripts/lighthouse.sh

## load: 50 signed-in sessions for 20 s against an in-process Tessera on loopback,
## then again with 20 ms Square latency and 5% faults, then the index mix (directory and
## search from the customer index of 100,000 customers) and the CSV export of them, both
## with Tessera and the emulator in processes of their own so that Tessera's memory is
## measured alone; prints figures and PASS/FAIL
load:
	./scripts/load.sh

## reliability: the fault matrix (every write and read against each Square fault) into docs/reliability.md
reliability:
	./scripts/reliability.sh

## build: the static binaries into ./bin, then a warning (never a failure)
## when the Go toolchain has known standard-library vulnerabilities
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o bin/ ./cmd/...
	-@GO=$(GO) ./scripts/stdlib-warning.sh

## run: Tessera in local mode at http://localhost:8080
run:
	$(GO) run ./cmd/web

## squarelocal: the emulator on its own at 127.0.0.1:8081
squarelocal:
	$(GO) run ./cmd/squarelocal -addr 127.0.0.1:8081
