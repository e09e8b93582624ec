package squarelocal

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// benchCustomers is the directory size the performance targets are set at.
const benchCustomers = 100_000

var bench struct {
	once  sync.Once
	s     *Server
	md    *merchantData
	token string
}

// benchServer builds one 100,000-customer emulator for all benchmarks.
func benchServer(b *testing.B) {
	b.Helper()
	bench.once.Do(func() {
		bench.s = New(Options{CustomersPerMerchant: benchCustomers})
		bench.md = bench.s.merchants[0]
		bench.token = bench.s.MintAccessToken(bench.md.Merchant.ID)
	})
}

func benchDo(b *testing.B, method, path, body string) []byte {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+bench.token)
	w := httptest.NewRecorder()
	bench.s.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("%s %s = %d %s, want 200", method, path, w.Code, w.Body)
	}
	return w.Body.Bytes()
}

// BenchmarkListCustomersPage100 lists a page of 100 from the middle of the
// directory through a cursor (target: under 2 ms).
func BenchmarkListCustomersPage100(b *testing.B) {
	benchServer(b)
	st := bench.md.customers
	mid := st.byName[st.visibleCount()/2]
	cursor := st.sealCursor(cursorState{Kind: cursorList, Field: sortDefault, Order: orderASC, Key: mid.nameKey, ID: mid.c.ID})
	path := "/v2/customers?limit=100&cursor=" + cursor
	for b.Loop() {
		benchDo(b, "GET", path, "")
	}
}

// BenchmarkSearchFuzzyEmail runs a fuzzy email search over the whole
// directory (target: under 20 ms): a common query that fills a page, and
// one that matches nothing and so reads every customer.
func BenchmarkSearchFuzzyEmail(b *testing.B) {
	benchServer(b)
	for _, q := range []struct{ name, fuzzy string }{{"page of matches", "steven gmail"}, {"no match", "zzqx example"}} {
		b.Run(q.name, func(b *testing.B) {
			body := `{"limit":100,"query":{"filter":{"email_address":{"fuzzy":"` + q.fuzzy + `"}}}}`
			for b.Loop() {
				benchDo(b, "POST", "/v2/customers/search", body)
			}
		})
	}
}

// BenchmarkSeed100k builds an emulator with 100,000 customers for its
// first merchant (and a third of that for the second) (target: under 3 s).
func BenchmarkSeed100k(b *testing.B) {
	for b.Loop() {
		New(Options{CustomersPerMerchant: benchCustomers})
	}
}
