package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/store"
)

// benchCustomers is the size of the benchmarks' directory: the budgets are
// set at 100,000 customers of one merchant.
const benchCustomers = 100_000

var (
	benchOnce  sync.Once
	benchIndex *Index
	benchErr   error
	// benchCleanup closes the benchmarks' database and removes the
	// directory it made, once every benchmark has run.
	benchCleanup func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchCleanup != nil {
		benchCleanup()
	}
	os.Exit(code)
}

// Name pools in several scripts, so that trigrams are spread as in a real
// directory rather than concentrated on a few Latin letters.
var (
	benchGiven = [][]string{
		{"Jane", "María", "José", "Lucía", "Adaeze", "Chinedu", "Olivia", "Liam", "Noah", "Emma", "Amelia", "Oliver", "Sofía", "Mateo", "Zoë", "Renée", "François", "Søren", "Björn", "Ana", "Marta", "Marco", "Mark", "Mary", "Priya", "Arjun", "Kwame", "Aiyana", "Dmitri", "Hannah"},
		{"Иван", "Мария", "Ольга", "Дмитрий", "Анна", "Сергей", "Наталья", "Алексей"},
		{"Νίκος", "Μαρία", "Γιώργος", "Ελένη", "Δημήτρης", "Σοφία"},
		{"小明", "美玲", "伟", "芳", "太郎", "花子", "민준", "서연"},
		{"محمد", "فاطمة", "أحمد", "ليلى", "يوسف", "مريم"},
	}
	benchFamily = [][]string{
		{"Fernández", "Müller", "García", "Smith", "Okafor", "Nguyen", "O'Brien", "Kowalski", "Johansson", "Rossi", "Dubois", "Schmidt", "López", "Martínez", "Brown", "Wilson", "Taylor", "Anderson", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green"},
		{"Петров", "Иванова", "Смирнов", "Кузнецова", "Попов", "Соколов"},
		{"Παπαδόπουλος", "Γεωργίου", "Οικονόμου", "Νικολάου"},
		{"王", "李", "张", "山田", "佐藤", "김", "이", "박"},
		{"العلي", "حسن", "الخطيب", "منصور"},
	}
	benchCompanies = []string{"", "", "", "Acme Corp", "Globex", "Initech", "Umbrella", "Stark Industries", "Wayne Enterprises", "Straße & Söhne", "Café Lumière", "ООО Ромашка", "株式会社山田"}
	benchWords     = strings.Fields("prefers mornings allergic to nuts birthday in june likes oat milk ask about the renovation delivery on fridays wholesale account referred by a friend loyal since opening gift card holder quiet table window seat")
)

// benchCustomer makes the i-th customer: names from one script's pool, an
// email, a phone in one of several formats and a note that always holds the
// word "membership", the term that matches every row.
func benchCustomer(r *rand.Rand, i int) Customer {
	script := 0
	if p := r.IntN(10); p >= 6 {
		script = p - 5
	}
	given := benchGiven[script][r.IntN(len(benchGiven[script]))]
	family := benchFamily[script][r.IntN(len(benchFamily[script]))]
	ascii := strings.ToLower(fold(given + "." + family))
	if script != 0 {
		ascii = fmt.Sprintf("user%d", i)
	}
	phone := fmt.Sprintf("+1 (%03d) 555-%04d", 200+r.IntN(700), r.IntN(10000))
	if r.IntN(3) == 0 {
		phone = fmt.Sprintf("%03d.555.%04d", 200+r.IntN(700), r.IntN(10000))
	}
	var note []string
	for range 4 + r.IntN(8) {
		note = append(note, benchWords[r.IntN(len(benchWords))])
	}
	note = slices.Insert(note, r.IntN(len(note)), "membership")
	created := t0.Add(time.Duration(i) * 7 * time.Minute)
	var groups []string
	if i%10 == 0 {
		groups = []string{"vip"}
	}
	sources := []string{"THIRD_PARTY", "DIRECTORY", "MERGE", "APPOINTMENTS"}
	return Customer{
		ID: fmt.Sprintf("C%07d", i), Version: int64(r.IntN(5)), CreatedAt: created, UpdatedAt: created.Add(time.Duration(r.IntN(1e6)) * time.Second),
		GivenName: given, FamilyName: family, CompanyName: benchCompanies[r.IntN(len(benchCompanies))],
		EmailAddress: fmt.Sprintf("%s%d@example.com", strings.ReplaceAll(ascii, "'", ""), i%1000), PhoneNumber: phone,
		ReferenceID: fmt.Sprintf("REF-%06d", i), Note: strings.Join(note, " "), CreationSource: sources[i%len(sources)], GroupIDs: groups,
	}
}

// openBench builds the benchmarks' index once per test binary: filling
// 100,000 customers takes a while, and every benchmark only reads it.
func openBench(b *testing.B) *Index {
	b.Helper()
	benchOnce.Do(func() {
		ctx := context.Background()
		// TESSERA_INDEX_BENCH_DIR keeps the filled index between runs, for
		// whoever works on the queries; by default each run fills its own.
		dir := os.Getenv("TESSERA_INDEX_BENCH_DIR")
		made := dir == ""
		if made {
			var err error
			if dir, err = os.MkdirTemp("", "tessera-index-bench-"); err != nil {
				benchErr = err
				return
			}
		}
		db, err := store.Open(ctx, dir)
		if err != nil {
			benchErr = err
			return
		}
		benchCleanup = func() {
			db.Close()
			if made {
				os.RemoveAll(dir)
			}
		}
		x := New(db)
		if n, err := x.Count(ctx, "MBENCH"); err == nil && n == benchCustomers {
			// As a full sync leaves it (a no-op when already done).
			if benchErr = x.Compact(ctx); benchErr == nil {
				benchIndex = x
			}
			return
		}
		r := rand.New(rand.NewPCG(1, 2))
		page := make([]Customer, 0, 1000)
		for i := range benchCustomers {
			page = append(page, benchCustomer(r, i))
			if len(page) == cap(page) {
				if _, err := x.PutAll(ctx, "MBENCH", page, nil); err != nil {
					benchErr = err
					return
				}
				page = page[:0]
			}
		}
		// A second merchant, so that every query has another's rows to skip.
		for i := range 1000 {
			page = append(page, benchCustomer(r, i))
		}
		if _, err := x.PutAll(ctx, "MOTHER", page, nil); err != nil {
			benchErr = err
			return
		}
		if err := x.Compact(ctx); err != nil {
			benchErr = err
			return
		}
		if _, err := db.Writer().ExecContext(ctx, "PRAGMA optimize"); err != nil {
			benchErr = err
			return
		}
		benchIndex = x
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchIndex
}

// runQueries runs each query b.N times, round robin, and reports the 95th
// percentile of one query's time in milliseconds, the figure the budgets
// name, besides Go's mean.
func runQueries(b *testing.B, queries []Query) {
	runQueriesAfter(b, queries, nil)
}

// runQueriesAfter is runQueries with before run ahead of each query, outside
// the figures.
func runQueriesAfter(b *testing.B, queries []Query, before func(x *Index, n int)) {
	x := openBench(b)
	ctx := b.Context()
	var times []time.Duration
	b.ResetTimer()
	n := 0
	for i := 0; b.Loop(); i++ {
		for _, q := range queries {
			if before != nil {
				before(x, n)
				n++
			}
			start := time.Now()
			r, err := x.Search(ctx, "MBENCH", q)
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
	p95 := times[(len(times)*95)/100]
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "max-ms")
}

func texts(ts ...string) []Query {
	qs := make([]Query, len(ts))
	for i, t := range ts {
		qs[i] = Query{Text: t}
	}
	return qs
}

// BenchmarkSearch measures search as you type: 3- and 10-character terms, in
// names, rare and everywhere, with relevance order, page of 50 and the exact
// total.
func BenchmarkSearch(b *testing.B) {
	b.Run("3chars/names", func(b *testing.B) {
		runQueries(b, texts("mar", "fer", "oka", "ива", "νικ", "mül", "gar", "smi", "lóp", "joh"))
	})
	b.Run("3chars/anywhere", func(b *testing.B) { runQueries(b, texts("555", "exa", "ref", "cor", "ple", "lum", "oat", "420")) })
	b.Run("3chars/every-row", func(b *testing.B) { runQueries(b, texts("mem", "shi", "ber")) })
	b.Run("10chars/names", func(b *testing.B) {
		runQueries(b, texts("fernández ", "martínez", "kowalski", "johansson", "παπαδόπουλ", "кузнецова", "jane.ferna"))
	})
	b.Run("10chars/anywhere", func(b *testing.B) {
		runQueries(b, texts("ref-004217", "555-0155", "renovation", "wholesale", "example.co"))
	})
	b.Run("10chars/every-row", func(b *testing.B) { runQueries(b, texts("membership", "embership")) })
	b.Run("two-words", func(b *testing.B) {
		runQueries(b, texts("jane fern", "mar gar", "иван петров", "membership nuts"))
	})
	b.Run("short/cjk", func(b *testing.B) { runQueries(b, texts("王", "小明", "김", "明")) })
	b.Run("phone", func(b *testing.B) { runQueries(b, texts("5550155", "(360) 555", "555.01")) })
	b.Run("email-pieces", func(b *testing.B) {
		runQueries(b, emailPieces)
	})
	// Every write empties the readers' page caches, as a save or a webhook
	// does under make load.
	b.Run("email-pieces/after-write", func(b *testing.B) {
		runQueriesAfter(b, emailPieces, func(x *Index, n int) {
			c := benchCustomer(rand.New(rand.NewPCG(3, uint64(n))), n%1000)
			c.Version = int64(1000 + n)
			if _, err := x.Put(b.Context(), "MOTHER", c); err != nil {
				b.Fatal(err)
			}
		})
	})
	// A word searched for the first time counts its trigrams.
	b.Run("email-pieces/new-words", func(b *testing.B) {
		runQueriesAfter(b, emailPieces, func(x *Index, _ int) {
			x.trigrams.mu.Lock()
			x.trigrams.m = nil
			x.trigrams.mu.Unlock()
		})
	})
}

// emailPieces are what make load types (searchToken in cmd/loadtest): 3 to 6
// letters of an email's local part, many of them in thousands of customers.
var emailPieces = []Query{
	{Text: "use"}, {Text: "user"}, {Text: "user12"}, {Text: "jan"}, {Text: "fern"}, {Text: "fernan"},
	{Text: "kowal"}, {Text: "oli"}, {Text: "hanna"}, {Text: "smit"}, {Text: "mart"}, {Text: "okafor"},
}

// BenchmarkDirectory measures a directory page of 50 from the index, with
// every sort in both directions and each filter, with the exact total.
func BenchmarkDirectory(b *testing.B) {
	var sorted []Query
	for _, s := range []Sort{SortName, SortCompany, SortEmail, SortPhone, SortCreated, SortUpdated} {
		sorted = append(sorted, Query{Sort: s}, Query{Sort: s, Desc: true})
	}
	from := t0.Add(200 * 24 * time.Hour)
	b.Run("sorts", func(b *testing.B) { runQueries(b, sorted) })
	b.Run("deep-page", func(b *testing.B) {
		runQueries(b, []Query{{Sort: SortName, Offset: 5000}, {Sort: SortCreated, Desc: true, Offset: 5000}})
	})
	b.Run("created-range", func(b *testing.B) {
		runQueries(b, []Query{{Sort: SortCreated, CreatedFrom: from, CreatedTo: from.Add(30 * 24 * time.Hour)}, {Sort: SortName, CreatedFrom: from}})
	})
	b.Run("source", func(b *testing.B) {
		runQueries(b, []Query{{Sort: SortCreated, Source: "MERGE"}, {Sort: SortName, Source: "DIRECTORY"}})
	})
	b.Run("group", func(b *testing.B) {
		runQueries(b, []Query{{Sort: SortName, GroupID: "vip"}, {Sort: SortEmail, Desc: true, GroupID: "vip"}})
	})
	b.Run("text-and-sort", func(b *testing.B) {
		runQueries(b, []Query{{Text: "fernández", Sort: SortCreated}, {Text: "mar", Sort: SortName}, {Text: "membership", Sort: SortName}})
	})
}

// BenchmarkPutAll measures storing one page of 100 customers (Square's
// largest page) into an index that grows with every page, the sync's cost
// per page besides Square's answer.
func BenchmarkPutAll(b *testing.B) {
	db, err := store.Open(b.Context(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	x := New(db)
	r := rand.New(rand.NewPCG(3, 4))
	i := 0
	for b.Loop() {
		page := make([]Customer, 100)
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
