package index

import (
	"fmt"
	"slices"
	"testing"
)

// every is the whole of a query's matches as Search pages them.
func every(t *testing.T, x *Index, merchantID string, q Query) []string {
	t.Helper()
	var out []string
	q.Limit = MaxLimit
	for q.Offset = 0; ; q.Offset += MaxLimit {
		r := search(t, x, merchantID, q)
		out = append(out, ids(r)...)
		if len(r.Rows) < MaxLimit {
			return out
		}
	}
}

// EachID gives exactly what the directory's pages give, in the same order,
// across batches that split runs of equal sort keys, and nothing of
// another merchant.
func TestEachIDGivesEveryMatchInTheDirectorysOrder(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	var cs []Customer
	for i := range 1200 {
		c := Customer{ID: fmt.Sprintf("c%04d", i), GivenName: []string{"Ada", "Bea", "Cy"}[i%3], FamilyName: "Ortiz",
			CompanyName: []string{"", "Acme"}[i%2], EmailAddress: fmt.Sprintf("p%d@example.com", i%50),
			CreatedAt: t0.AddDate(0, 0, i%40), CreationSource: []string{"DIRECTORY", "THIRD_PARTY"}[i%2]}
		if i%7 == 0 {
			c.GroupIDs = []string{"vip"}
			c.Note = "wholesale account"
		}
		cs = append(cs, c)
	}
	mustPut(t, x, "M1", cs...)
	mustPut(t, x, "M2", Customer{ID: "other", GivenName: "Ada", FamilyName: "Ortiz"})
	for _, q := range []Query{
		{},
		{Sort: SortName, Desc: true},
		{Sort: SortCompany},
		{Sort: SortEmail, Desc: true},
		{Sort: SortCreated},
		{Sort: SortUpdated, Desc: true},
		{Source: "THIRD_PARTY", Sort: SortCreated},
		{GroupID: "vip"},
		{CreatedFrom: t0.AddDate(0, 0, 5), CreatedTo: t0.AddDate(0, 0, 9), Sort: SortCreated, Desc: true},
		{Text: "wholesale"},
		{Text: "wholesale", Sort: SortEmail},
		{Text: "ada", Sort: SortCreated},
		{Text: "cy"},
		{Text: "p1@"},
	} {
		var gotIDs []string
		if err := x.EachID(t.Context(), "M1", q, 37, func(ids []string) error {
			if len(ids) == 0 || len(ids) > 37 {
				t.Errorf("EachID gave a batch of %d", len(ids))
			}
			gotIDs = append(gotIDs, ids...)
			return nil
		}); err != nil {
			t.Fatalf("EachID(%+v) = %v", q, err)
		}
		want := every(t, x, "M1", q)
		if !slices.Equal(gotIDs, want) {
			t.Errorf("EachID(%+v) gave %d ids, the directory's pages %d; first difference in %v… vs %v…", q, len(gotIDs), len(want), head(gotIDs), head(want))
		}
		if slices.Contains(gotIDs, "other") {
			t.Errorf("EachID(%+v) gave another merchant's customer", q)
		}
		if len(want) == 0 {
			t.Errorf("EachID(%+v) matched nobody: the case tests nothing", q)
		}
	}
}

func head(s []string) []string { return s[:min(len(s), 5)] }

// A search matching more than MaxCounted customers, in order of relevance,
// comes in name order: ranking them all would hold them all.
func TestEachIDGivesABroadSearchInNameOrder(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	var cs []Customer
	for i := range MaxCounted + 20 {
		cs = append(cs, Customer{ID: fmt.Sprintf("c%04d", i), GivenName: fmt.Sprintf("N%04d", (i*7919)%(MaxCounted+20)), Note: "loyal since opening"})
	}
	mustPut(t, x, "M1", cs...)
	var got []string
	if err := x.EachID(t.Context(), "M1", Query{Text: "loyal"}, 100, func(ids []string) error {
		got = append(got, ids...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := every(t, x, "M1", Query{Text: "loyal", Sort: SortName}); !slices.Equal(got, want) {
		t.Errorf("a broad search gave %d customers not in name order (%v…, want %v…)", len(got), head(got), head(want))
	}
}

func TestEachIDStopsAtTheCallersError(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	mustPut(t, x, "M1", Customer{ID: "a", GivenName: "A"}, Customer{ID: "b", GivenName: "B"})
	stop := fmt.Errorf("stop")
	calls := 0
	err := x.EachID(t.Context(), "M1", Query{}, 1, func([]string) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("EachID = %v after %d calls, want stop after 1", err, calls)
	}
	if err := x.EachID(t.Context(), "nobody", Query{}, 1, func([]string) error { t.Error("called for a merchant with nothing"); return nil }); err != nil {
		t.Errorf("EachID of an unknown merchant = %v", err)
	}
}

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
