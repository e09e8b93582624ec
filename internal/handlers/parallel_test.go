package handlers_test

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// What each page asks of Square, and whether it asks at once what it can.
// A page's time is mostly Square's: a call too many, or two calls made one
// after the other, costs a whole round trip to Square. None of this is
// timed except in the benchmark.

// squareLatency is the delay injected on every Square call: Square's own
// time for a call is of this order.
const squareLatency = 100 * time.Millisecond

// BenchmarkProfileWithSquareLatency is the profile when every Square call
// takes 100 ms. The customer and its cards are fetched at once and the
// merchant's groups come from the cache, so a page takes one round trip:
// the target is at most 120 ms.
func BenchmarkProfileWithSquareLatency(b *testing.B) {
	e := newBenchEnv(b)
	id, _ := customerWithCards(b, e.custEnv)
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultLatency, Latency: squareLatency}); err != nil {
		b.Fatalf("InjectFault(latency) = %v", err)
	}
	target := "/customers/" + id
	e.fetch(http.MethodGet, target, nil, http.StatusOK)
	e.timer.reset()
	for b.Loop() {
		e.fetch(http.MethodGet, target, nil, http.StatusOK)
	}
	s := e.timer.stats()
	b.ReportMetric(float64(b.Elapsed())/float64(time.Millisecond)/float64(b.N), "ms/op")
	b.ReportMetric(float64(s.calls)/float64(b.N), "square-calls/op")
	b.ReportMetric(float64(s.maxInFlight), "max-in-flight")
}

// callCounts counts squarelocal's calls by route pattern.
func callCounts(calls []squarelocal.Call) map[string]int {
	out := map[string]int{}
	for _, c := range calls {
		out[c.Pattern]++
	}
	return out
}

// formatCounts writes call counts one pattern a line, sorted.
func formatCounts(m map[string]int) string {
	if len(m) == 0 {
		return " none"
	}
	var sb strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&sb, "\n    %d × %s", m[k], k)
	}
	return sb.String()
}

// Route patterns of squarelocal's call log beyond those of
// customer_helpers_test.go.
const (
	callList   = "GET /v2/customers"
	callSearch = "POST /v2/customers/search"
)

func TestEachPageCallsSquareOnlyForWhatItShows(t *testing.T) {
	e := newCustEnv(t, 0)
	// Signing in landed on the directory, which filled the merchant cache
	// (the merchant and its groups): no page below asks for them again.
	id, _ := customerWithCards(t, e)
	customer := "/customers/" + id

	// A request of a page. prepare, when not nil, runs first, with its
	// calls left out of the count: it loads the form a POST submits.
	type request struct {
		method, target string
		form           url.Values
		header         []string
	}
	tests := []struct {
		name    string
		prepare func() request
		status  int
		want    map[string]int
	}{
		{
			name:   "the directory lists one page of customers",
			status: http.StatusOK,
			prepare: func() request {
				return request{method: http.MethodGet, target: "/customers"}
			},
			want: map[string]int{callList: 1},
		},
		{
			name:   "the search partial searches once",
			status: http.StatusOK,
			prepare: func() request {
				return request{method: http.MethodGet, target: benchSearch,
					header: []string{"HX-Request", "true", "HX-Target", "customer-results"}}
			},
			want: map[string]int{callSearch: 1},
		},
		{
			name:   "the profile reads the customer and its cards",
			status: http.StatusOK,
			prepare: func() request {
				return request{method: http.MethodGet, target: customer}
			},
			want: map[string]int{callGet: 1, callCards: 1},
		},
		{
			name:   "the edit form reads the customer",
			status: http.StatusOK,
			prepare: func() request {
				return request{method: http.MethodGet, target: customer + "/edit"}
			},
			want: map[string]int{callGet: 1},
		},
		{
			name:   "the new-customer form calls nothing",
			status: http.StatusOK,
			prepare: func() request {
				return request{method: http.MethodGet, target: "/customers/new"}
			},
			want: map[string]int{},
		},
		{
			name:   "a save updates once, without reading the customer first",
			status: http.StatusSeeOther,
			prepare: func() request {
				p := e.b.get(customer + "/edit")
				expect(t, p, http.StatusOK)
				action, form := custFormValues(t, p, custFormSel)
				form.Set(customers.Note, "Called about the spring order.")
				return request{method: http.MethodPost, target: action, form: form}
			},
			want: map[string]int{callUpdate: 1},
		},
		{
			name:   "a create creates once",
			status: http.StatusSeeOther,
			prepare: func() request {
				p := e.b.get("/customers/new")
				expect(t, p, http.StatusOK)
				action, form := custFormValues(t, p, custFormSel)
				form.Set(customers.GivenName, "Calla")
				form.Set(customers.FamilyName, "Count")
				return request{method: http.MethodPost, target: action, form: form}
			},
			want: map[string]int{callCreate: 1},
		},
		{
			name:   "the delete confirmation reads the customer",
			status: http.StatusOK,
			prepare: func() request {
				return request{method: http.MethodGet, target: customer + "/delete"}
			},
			want: map[string]int{callGet: 1},
		},
		{
			name:   "the card page reads the customer, its location cached",
			status: http.StatusOK,
			prepare: func() request {
				return request{method: http.MethodGet, target: customer + "/cards/new"}
			},
			want: map[string]int{callGet: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.prepare()
			e.h.emu.ResetCalls()
			p := e.b.do(r.method, r.target, r.form, headers(r.header...))
			expect(t, p, tt.status)
			got := callCounts(e.h.emu.Calls())
			if !maps.Equal(got, tt.want) {
				t.Errorf("%s %s called Square:%s\nwant:%s", r.method, r.target, formatCounts(got), formatCounts(tt.want))
			}
		})
	}
}

func TestTheProfileAsksForTheCustomerAndItsCardsAtOnce(t *testing.T) {
	e := newCustEnv(t, 0)
	id, _ := customerWithCards(t, e)
	// With every call slowed down, two calls made one after the other
	// cannot overlap, and two made at once always do: the assertion is on
	// the order of the calls' starts and ends, never on a duration.
	if err := e.h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultLatency, Latency: 20 * time.Millisecond}); err != nil {
		t.Fatalf("InjectFault(latency) = %v", err)
	}
	e.h.emu.ResetCalls()
	p := e.b.get("/customers/" + id)
	expect(t, p, http.StatusOK)

	calls := e.h.emu.Calls()
	if got := callCounts(calls); !maps.Equal(got, map[string]int{callGet: 1, callCards: 1}) {
		t.Fatalf("GET /customers/%s called Square:%s\nwant one customer and one cards call", id, formatCounts(got))
	}
	a, b := calls[0], calls[1]
	aEnd, bEnd := a.Time.Add(a.Duration), b.Time.Add(b.Duration)
	if !a.Time.Before(bEnd) || !b.Time.Before(aEnd) {
		t.Errorf("GET /customers/%s: %s ran from %v to %v and %s from %v to %v, want them overlapping",
			id, a.Pattern, a.Time.Format(time.StampMicro), aEnd.Format(time.StampMicro),
			b.Pattern, b.Time.Format(time.StampMicro), bEnd.Format(time.StampMicro))
	}
}
