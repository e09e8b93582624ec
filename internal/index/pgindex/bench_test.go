package pgindex_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/index/pgindex"
)

// The benchmarks fill 100,000 customers of one merchant, modelled on
// internal/index's (bench_test.go): names in five scripts, emails, phones
// in two formats, and a note that always holds "membership".
const benchCustomers = 100_000

var (
	benchGiven  = []string{"Jane", "María", "José", "Lucía", "Adaeze", "Olivia", "Liam", "Zoë", "Søren", "Björn", "Marta", "Marco", "Mary", "Priya", "Hannah", "Иван", "Мария", "Ольга", "Νίκος", "Μαρία", "小明", "美玲", "伟", "太郎", "민준", "محمد", "ليلى"}
	benchFamily = []string{"Fernández", "Müller", "García", "Smith", "Okafor", "Nguyen", "O'Brien", "Kowalski", "Johansson", "Rossi", "López", "Martínez", "Brown", "Wilson", "Taylor", "Петров", "Иванова", "Παπαδόπουλος", "王", "李", "山田", "김", "العلي"}
	benchWords  = strings.Fields("prefers mornings allergic to nuts birthday in june likes oat milk ask about the renovation delivery on fridays wholesale account referred by a friend loyal since opening")
)

func benchCustomer(r *rand.Rand, i int) index.Customer {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	given, family := benchGiven[r.IntN(len(benchGiven))], benchFamily[r.IntN(len(benchFamily))]
	phone := fmt.Sprintf("+1 (%03d) 555-%04d", 200+r.IntN(700), r.IntN(10000))
	var note []string
	for range 4 + r.IntN(8) {
		note = append(note, benchWords[r.IntN(len(benchWords))])
	}
	note = slices.Insert(note, r.IntN(len(note)), "membership")
	var groups []string
	if i%10 == 0 {
		groups = []string{"vip"}
	}
	created := t0.Add(time.Duration(i) * 7 * time.Minute)
	return index.Customer{
		ID: fmt.Sprintf("C%07d", i), Version: int64(r.IntN(5)), CreatedAt: created, UpdatedAt: created.Add(time.Duration(r.IntN(1e6)) * time.Second),
		GivenName: given, FamilyName: family, EmailAddress: fmt.Sprintf("%s%d@example.com", strings.ToLower(index.Fold(given)), i%1000),
		PhoneNumber: phone, ReferenceID: fmt.Sprintf("REF-%06d", i), Note: strings.Join(note, " "),
		CreationSource: []string{"THIRD_PARTY", "DIRECTORY", "MERGE", "APPOINTMENTS"}[i%4], GroupIDs: groups,
	}
}

// openBench fills an index for the benchmark and its sub-benchmarks, in a
// database dropped when it ends (about a minute on this machine).
func openBench(b *testing.B) *pgindex.Index {
	b.Helper()
	x := pgindex.New(openURLB(b))
	r := rand.New(rand.NewPCG(1, 2))
	page := make([]index.Customer, 0, 1000)
	for i := range benchCustomers {
		page = append(page, benchCustomer(r, i))
		if len(page) == cap(page) {
			if _, err := x.PutAll(b.Context(), "MBENCH", page, nil); err != nil {
				b.Fatal(err)
			}
			page = page[:0]
		}
	}
	for i := range 1000 {
		page = append(page, benchCustomer(r, i))
	}
	if _, err := x.PutAll(b.Context(), "MOTHER", page, nil); err != nil {
		b.Fatal(err)
	}
	// As the full sync leaves it (indexsync calls Compact): pending lists
	// merged, tables analyzed.
	if err := x.Compact(b.Context()); err != nil {
		b.Fatal(err)
	}
	return x
}

// runQueries runs each query b.N times, round robin, and reports the 95th
// percentile of one query's time in milliseconds, as internal/index's
// benchmarks do.
func runQueries(b *testing.B, x *pgindex.Index, queries []index.Query) {
	var times []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		for _, q := range queries {
			start := time.Now()
			r, err := x.Search(b.Context(), "MBENCH", q)
			times = append(times, time.Since(start))
			if err != nil {
				b.Fatalf("Search(%+v) error = %v", q, err)
			}
			if i == 0 && q.Text != "" && r.Total == 0 {
				b.Fatalf("Search(%q) found nothing: the benchmark measures a miss", q.Text)
			}
		}
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[(len(times)*95)/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "max-ms")
}

func texts(ts ...string) []index.Query {
	qs := make([]index.Query, len(ts))
	for i, t := range ts {
		qs[i] = index.Query{Text: t}
	}
	return qs
}

// BenchmarkSearch measures search as you type on PostgreSQL, with
// internal/index's terms.
func BenchmarkSearch(b *testing.B) {
	x := openBench(b)
	b.Run("3chars/names", func(b *testing.B) {
		runQueries(b, x, texts("mar", "fer", "oka", "ива", "νικ", "mül", "gar", "smi", "lóp", "joh"))
	})
	b.Run("3chars/every-row", func(b *testing.B) { runQueries(b, x, texts("mem", "shi", "ber")) })
	b.Run("10chars/names", func(b *testing.B) {
		runQueries(b, x, texts("fernández ", "martínez", "kowalski", "johansson", "παπαδόπουλ"))
	})
	b.Run("10chars/anywhere", func(b *testing.B) {
		runQueries(b, x, texts("ref-004217", "555-0155", "renovation", "wholesale", "example.co"))
	})
	b.Run("10chars/every-row", func(b *testing.B) { runQueries(b, x, texts("membership", "embership")) })
	b.Run("two-words", func(b *testing.B) {
		runQueries(b, x, texts("jane fern", "mar gar", "иван петров", "membership nuts"))
	})
	b.Run("short/cjk", func(b *testing.B) { runQueries(b, x, texts("王", "小明", "김", "明")) })
	b.Run("phone", func(b *testing.B) { runQueries(b, x, texts("5550155", "(360) 555", "555.01")) })
}

// BenchmarkDirectory measures a directory page of 50 with every sort and
// each filter, with the exact total.
func BenchmarkDirectory(b *testing.B) {
	x := openBench(b)
	var sorted []index.Query
	for _, s := range []index.Sort{index.SortName, index.SortCompany, index.SortEmail, index.SortPhone, index.SortCreated, index.SortUpdated} {
		sorted = append(sorted, index.Query{Sort: s}, index.Query{Sort: s, Desc: true})
	}
	b.Run("sorts", func(b *testing.B) { runQueries(b, x, sorted) })
	b.Run("deep-page", func(b *testing.B) {
		runQueries(b, x, []index.Query{{Sort: index.SortName, Offset: 5000}, {Sort: index.SortCreated, Desc: true, Offset: 5000}})
	})
	b.Run("group", func(b *testing.B) {
		runQueries(b, x, []index.Query{{Sort: index.SortName, GroupID: "vip"}, {Sort: index.SortEmail, Desc: true, GroupID: "vip"}})
	})
	b.Run("text-and-sort", func(b *testing.B) {
		runQueries(b, x, []index.Query{{Text: "fernández", Sort: index.SortCreated}, {Text: "mar", Sort: index.SortName}, {Text: "membership", Sort: index.SortName}})
	})
}

// BenchmarkPutAll measures storing one page of 100 customers into an index
// that grows with every page.
func BenchmarkPutAll(b *testing.B) {
	x := pgindex.New(openURLB(b))
	r := rand.New(rand.NewPCG(3, 4))
	i := 0
	for b.Loop() {
		page := make([]index.Customer, 100)
		for j := range page {
			page[j] = benchCustomer(r, i)
			i++
		}
		if _, err := x.PutAll(b.Context(), "MBENCH", page, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(i), "µs/customer")
}
