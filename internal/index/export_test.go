package index

import (
	"fmt"
	"testing"
)

// BenchmarkEach walks the ids of every one of 100,000 customers, as an
// export of the whole directory does, in two orders.
func BenchmarkEach(b *testing.B) {
	x := openBench(b)
	for _, q := range []Query{{}, {Sort: SortCreated, Desc: true}} {
		b.Run(fmt.Sprintf("ids,sort=%s,desc=%v", q.Sort, q.Desc), func(b *testing.B) {
			for b.Loop() {
				n := 0
				if err := x.EachID(b.Context(), "MBENCH", q, 100, func(ids []string) error { n += len(ids); return nil }); err != nil {
					b.Fatal(err)
				}
				if n != benchCustomers {
					b.Fatalf("EachID gave %d ids, want %d", n, benchCustomers)
				}
			}
		})
	}
}
