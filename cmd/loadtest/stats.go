package main

import (
	"fmt"
	"math/bits"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// kind is what a request was for. The first kinds make up the load mix;
// kindSignIn is every request of the OAuth sign-in, kept apart so that
// the start-up does not colour the figures of the run.
type kind int

const (
	kindDirectory kind = iota // GET /customers, first or next page
	kindSearch                // GET /customers?q=…&field=email, the htmx results fragment
	kindProfile               // GET /customers/:id
	kindEditForm              // GET /customers/:id/edit
	kindEditSave              // POST /customers/:id
	kindNewForm               // GET /customers/new
	kindCreate                // POST /customers
	kindSignIn                // the six requests of a sign-in
	numKinds
)

// mixKinds are the kinds of the load mix, in report order.
var mixKinds = []kind{kindDirectory, kindSearch, kindProfile, kindEditForm, kindEditSave, kindNewForm, kindCreate}

var kindNames = [numKinds]string{"directory", "search", "profile", "edit_form", "edit_save", "new_form", "create", "signin"}

func (k kind) String() string { return kindNames[k] }

// Outcome categories. The first two are expected answers, not errors: a
// save that met another session's save (409, the conflict page), and,
// while Square outages are injected, the page that says Square is away:
// 503 (Square's 503 or 429), 502 or 504 (the directory's words for a
// Square that failed otherwise or too slowly), counted by status. A 500
// is never such a page, and without injected outages no 5xx is.
// Everything else that is not the status a kind wants is an error.
const (
	outcomeConflict     = "conflict_409"
	outcomeSquareOutage = "square_outage_" // + status
	errTransport        = "transport"
	errServer           = "our_5xx"
	errUnexpected4xx    = "unexpected_4xx"
	errUnexpectedOther  = "unexpected_status"
	// errUnexpectedPage is an answer with the wanted status that a browser
	// could not go on from: a form missing or incomplete, a redirect to
	// the wrong place, a link off Tessera.
	errUnexpectedPage = "unexpected_page"
)

// histogram counts durations in buckets of at most 1/64 relative width
// (below 128 µs, of 1 µs), so percentiles are within 1.6% and its memory
// is fixed: allocated before the baseline is measured, it does not count
// as growth.
type histogram struct {
	counts []uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

const (
	histLinear  = 128 // 1 µs buckets below this many µs
	histSubBits = 6   // 64 buckets per power of two above
	histBuckets = histLinear + 57<<histSubBits
)

func newHistogram() histogram { return histogram{counts: make([]uint64, histBuckets)} }

// bucketOf returns the bucket of v microseconds.
func bucketOf(v uint64) int {
	if v < histLinear {
		return int(v)
	}
	shift := bits.Len64(v) - (histSubBits + 1)
	sub := v >> shift
	return histLinear + (shift-1)<<histSubBits + int(sub-(1<<histSubBits))
}

// bucketHigh is the largest value, in µs, that falls into bucket i.
func bucketHigh(i int) uint64 {
	if i < histLinear {
		return uint64(i)
	}
	j := i - histLinear
	shift := j>>histSubBits + 1
	sub := uint64(j&(1<<histSubBits-1)) + 1<<histSubBits
	return (sub+1)<<shift - 1
}

func (h *histogram) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d/time.Microsecond))]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the q-quantile (0 < q ≤ 1), rounded up to its bucket's
// upper end and never above the largest value seen.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.9999999)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketHigh(i))*time.Microsecond+time.Microsecond-1, h.max)
		}
	}
	return h.max
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// recorder collects every measured request. One mutex is plenty at a few
// thousand requests a second; the budget of requests is an atomic so that
// sessions stop exactly at -max-requests.
type recorder struct {
	// faultsOn says Square outages were injected, which makes our 503
	// page an expected answer.
	faultsOn bool
	budget   int64
	issued   atomic.Int64

	mu       sync.Mutex
	hist     [numKinds]histogram
	statuses [numKinds]map[int]int64
	outcomes [numKinds]map[string]int64
	samples  []string // the first few errors, for the report
	actions  [numKinds]int64
}

// maxErrorSamples bounds the error examples kept.
const maxErrorSamples = 8

func newRecorder(budget int64, faultsOn bool) *recorder {
	r := &recorder{budget: budget, faultsOn: faultsOn}
	for k := range numKinds {
		r.hist[k] = newHistogram()
		r.statuses[k] = map[int]int64{}
		r.outcomes[k] = map[string]int64{}
	}
	return r
}

// take reserves one request of the mix's budget; false means the budget
// is spent. Sign-in requests are not counted against it.
func (r *recorder) take() bool {
	return r.issued.Add(1) <= r.budget
}

// classify names what an answer that is not one of want means.
func (r *recorder) classify(k kind, status int) string {
	switch {
	case k == kindEditSave && status == http.StatusConflict:
		return outcomeConflict
	case r.faultsOn && (status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout):
		return outcomeSquareOutage + strconv.Itoa(status)
	case status >= 500:
		return errServer
	case status >= 400:
		return errUnexpected4xx
	}
	return errUnexpectedOther
}

// action counts an action of the mix by the kind of its first request.
func (r *recorder) action(k kind) {
	r.mu.Lock()
	r.actions[k]++
	r.mu.Unlock()
}

// problem records an answer that had the wanted status but not the
// wanted content.
func (r *recorder) problem(k kind, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes[k][errUnexpectedPage]++
	if len(r.samples) < maxErrorSamples {
		r.samples = append(r.samples, fmt.Sprintf("%s: %v", k, err))
	}
}

// expected reports whether an outcome category is an expected answer.
func expected(outcome string) bool {
	return outcome == outcomeConflict || strings.HasPrefix(outcome, outcomeSquareOutage)
}

// record adds one request. status is 0 when err is not nil. It returns
// the outcome category, "" when the status was one of want.
func (r *recorder) record(k kind, method, path string, d time.Duration, status int, err error, want []int) string {
	outcome := ""
	switch {
	case err != nil:
		outcome = errTransport
	case !slices.Contains(want, status):
		outcome = r.classify(k, status)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.hist[k].add(d)
		r.statuses[k][status]++
	}
	if outcome != "" {
		r.outcomes[k][outcome]++
		if !expected(outcome) && len(r.samples) < maxErrorSamples {
			what := fmt.Sprint(status)
			if err != nil {
				what = err.Error()
			}
			r.samples = append(r.samples, fmt.Sprintf("%s %s %s: %s", k, method, path, what))
		}
	}
	return outcome
}
