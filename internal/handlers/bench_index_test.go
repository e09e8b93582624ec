package handlers_test

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/index"
)

// The index mix's requests, as `make load -mix index` issues them, through
// the real server over an index of 100,000 customers: issue #13 budgets
// Tessera's own time for a directory page from the index at 2 ms. Filling
// the index is the real full sync from squarelocal, once per benchmark
// (about a minute on the 2-core machine):
//
//	go test -run '^$' -bench Index -benchmem ./internal/handlers/

// benchIndexCustomers is the size of the load test's index mix.
const benchIndexCustomers = 100_000

// withCustomers seeds the first merchant with n customers in place of
// customersPerMerchant.
func withCustomers(n int) harnessOption { return func(o *harnessOptions) { o.customers = n } }

// newIndexBenchEnv is a signed-in harness whose merchant has 100,000
// customers, all in the index, which serves the directory.
func newIndexBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	timer := &squareTimer{}
	e := &benchEnv{custEnv: newCustEnv(b, 0, withSquareTransport(timer.wrap), withCustomers(benchIndexCustomers)), timer: timer}
	e.indexMerchant()
	if n, err := e.h.index.Count(b.Context(), e.merchantID()); err != nil || n < benchIndexCustomers*99/100 {
		b.Fatalf("index.Count = %d, %v, want about %d", n, err, benchIndexCustomers)
	}
	return e
}

// BenchmarkIndexMix runs the requests of the index mix one after another,
// over one index filled once:
//
//   - directory: the first page, by name;
//   - sort-filter: a page sorted by date created, newest first, of one
//     creation source, further down the list;
//   - search-partial: the search as you type of the load test, 3 to 6
//     letters of the local part of a customer's email address, htmx asking
//     for the results region, a different piece each time.
func BenchmarkIndexMix(b *testing.B) {
	e := newIndexBenchEnv(b)
	for _, c := range []struct{ name, target string }{
		{"directory", "/customers"},
		{"sort-filter", "/customers?sort=created&order=desc&source=DIRECTORY&offset=100"},
	} {
		b.Run(c.name, func(b *testing.B) {
			e.t, e.h.t = b, b
			p := e.b.get(c.target)
			expect(b, p, http.StatusOK)
			if rows := len(dirRows(p)); rows != 50 {
				b.Fatalf("GET %s shows %d rows, want 50", c.target, rows)
			}
			e.measure(b, func() { e.fetch(http.MethodGet, c.target, nil, http.StatusOK) }, nil)
		})
	}
	b.Run("search-partial", func(b *testing.B) {
		e.t, e.h.t = b, b
		targets := indexSearchTargets(b, e)
		hx := []string{"HX-Request", "true", "HX-Target", "customer-results", "HX-Current-URL", e.h.url("/customers")}
		p := e.b.get(targets[0], hx...)
		expect(b, p, http.StatusOK)
		if p.testID("customer-row").Length() == 0 {
			b.Fatalf("htmx GET %s: no rows, want some", targets[0])
		}
		i := 0
		e.measure(b, func() {
			e.fetch(http.MethodGet, targets[i%len(targets)], nil, http.StatusOK, hx...)
			i++
		}, nil)
	})
}

// indexSearchTargets are 200 searches made as cmd/loadtest makes them
// (searchToken), from the emails of customers spread over the directory.
func indexSearchTargets(b *testing.B, e *benchEnv) []string {
	b.Helper()
	rng := rand.New(rand.NewPCG(13, 13))
	var targets []string
	for offset := 0; len(targets) < 200; offset += 997 {
		res, err := e.h.index.Search(b.Context(), e.merchantID(), index.Query{Sort: index.SortName, Limit: 50, Offset: offset % benchIndexCustomers})
		if err != nil {
			b.Fatalf("index.Search: %v", err)
		}
		for _, h := range res.Rows {
			local, _, ok := strings.Cut(h.Customer.EmailAddress, "@")
			if !ok {
				continue
			}
			var words []string
			for w := range strings.FieldsFuncSeq(local, func(r rune) bool {
				return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9')
			}) {
				if len(w) >= 3 {
					words = append(words, w)
				}
			}
			if len(words) == 0 {
				continue
			}
			w := words[rng.IntN(len(words))]
			q := w[:min(len(w), 3+rng.IntN(4))]
			targets = append(targets, "/customers?"+url.Values{"q": {q}, "field": {"email"}}.Encode())
			break
		}
	}
	return targets
}
