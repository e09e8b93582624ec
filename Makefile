# Tessera's build and test entry points. `make test` runs everything CI runs.
GO ?= go
FUZZTIME ?= 5s

.PHONY: test check vet staticcheck unit fuzz bench build run squarelocal

## test: every gate and every test (what .ci/run calls)
test: check unit fuzz

## check: formatting, vet and staticcheck
check: vet staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt: not formatted: $$unformatted"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

## unit: all Go tests with the race detector
unit:
	$(GO) test -race -count=1 ./...

## fuzz: each fuzz target for FUZZTIME
fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

## bench: the benchmarks (figures quoted in the issues and the README)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## build: the static binaries into ./bin
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o bin/ ./cmd/...

## squarelocal: the emulator on its own at 127.0.0.1:8081
squarelocal:
	$(GO) run ./cmd/squarelocal -addr 127.0.0.1:8081
