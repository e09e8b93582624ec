package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/jobs"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/store"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
	"github.com/tessera-dashboard/tessera/internal/store/postgres"
)

const callBulkCreate = "POST /v2/customers/bulk-create"

// importRows are n rows of a file to create, keyed by the file's hash and
// line as the import keys them.
func importRows(n int, hash string) []jobs.Item {
	items := make([]jobs.Item, n)
	for i := range items {
		line := i + 2
		req := jobs.ImportRequest{Key: fmt.Sprintf("imp-%s-%d", hash, line),
			Create: &square.CreateCustomerRequest{GivenName: fmt.Sprint("Imported ", line), EmailAddress: fmt.Sprintf("row%d@example.com", line)}}
		items[i] = jobs.Item{Line: line, Action: jobs.ActionCreate, Name: fmt.Sprint("Imported ", line), Payload: req.Payload()}
	}
	return items
}

func (e *env) importJob(t testing.TB, hash string, items []jobs.Item) string {
	t.Helper()
	id, err := e.st.Create(t.Context(), jobs.Job{MerchantID: e.merchant, Kind: jobs.Import, RunKey: hash, Created: time.Now()}, items)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// count is how many customers the merchant has at Square.
func (e *env) count(t testing.TB) int64 {
	t.Helper()
	page, err := e.sq.Customers.Search(t.Context(), &square.SearchCustomersRequest{Count: true})
	if err != nil || page.Count == nil {
		t.Fatalf("counting customers: %v", err)
	}
	return *page.Count
}

// checkSettled fails unless every row is done, each with its own customer,
// and Square holds exactly those.
func (e *env) checkSettled(t *testing.T, id string, n int) {
	t.Helper()
	j, err := e.st.Get(t.Context(), e.merchant, id)
	if err != nil || j.Running() || j.Done != n || j.Made != n || j.Failed != 0 {
		t.Fatalf("job = %+v, %v; want finished with %d created", j, err, n)
	}
	done, _ := e.st.Items(t.Context(), id, jobs.Done, n+1)
	seen := map[string]bool{}
	for _, it := range done {
		if it.CustomerID == "" || seen[it.CustomerID] {
			t.Fatalf("row %d has customer %q, want one of its own", it.Line, it.CustomerID)
		}
		seen[it.CustomerID] = true
	}
	if got := e.count(t); got != int64(n) {
		t.Errorf("Square holds %d customers, want %d (none twice, none missing)", got, n)
	}
}

func instant(context.Context, time.Duration) error { return nil }

func TestAnImportCreatesEachRowOnceInCallsOfAHundred(t *testing.T) {
	e := newEnv(t, -1)
	r := e.runner(jobs.Options{Sleep: instant}, nil)
	id := e.importJob(t, "h1", importRows(250, "h1"))
	r.Start(id, e.token)
	r.Wait()
	e.checkSettled(t, id, 250)
	if n := e.emu.CountCalls(callBulkCreate, 0); n != 3 {
		t.Errorf("BulkCreateCustomers calls = %d, want 3 for 250 rows", n)
	}
}

// cutOff lets Square do the nth BulkCreateCustomers call, then stops the
// runner and loses the answer, as a restart in the middle of a call does.
type cutOff struct {
	jobs.API
	n, at atomic.Int32
	stop  func()
}

func (c *cutOff) BulkCreate(ctx context.Context, m map[string]square.CreateCustomerRequest) (map[string]square.BulkResult, error) {
	res, err := c.API.BulkCreate(ctx, m)
	if c.n.Add(1) == c.at.Load() {
		c.stop()
		return nil, context.Canceled
	}
	return res, err
}

func TestARestartMidImportNeitherDoublesNorSkipsARow(t *testing.T) {
	e := newEnv(t, -1)
	id := e.importJob(t, "h2", importRows(500, "h2"))
	var first *jobs.Runner
	cut := &cutOff{stop: func() { first.Stop() }}
	cut.at.Store(3)
	first = e.runner(jobs.Options{Workers: 1, Sleep: instant}, func(a jobs.API) jobs.API { cut.API = a; return cut })
	first.Start(id, e.token)
	first.Wait()
	j, _ := e.st.Get(t.Context(), e.merchant, id)
	if !j.Running() || j.Done != 200 {
		t.Fatalf("after the restart the job = %+v, want running with 200 done (the third call's answer was lost)", j)
	}
	if got := e.count(t); got != 300 {
		t.Fatalf("Square holds %d after the stop, want 300 (the third call reached it)", got)
	}
	second := e.runner(jobs.Options{Sleep: instant}, nil)
	second.Start(id, e.token)
	second.Wait()
	e.checkSettled(t, id, 500)
}

func TestSquareFailingHalfwayLeavesAnExactRecordAndAResumeSettlesTheRest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault squarelocal.Fault
	}{
		{"500", squarelocal.Fault{Kind: squarelocal.FaultInternal}},
		{"429", squarelocal.Fault{Kind: squarelocal.FaultRateLimit, RetryAfter: 1}},
		{"timeout", squarelocal.Fault{Kind: squarelocal.FaultHang}},
		{"answer lost", squarelocal.Fault{Kind: squarelocal.FaultDropAfterWrite}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, -1)
			// A client that gives up on a call soon, as a slow Square
			// would make it.
			base, err := square.NewClient(square.Options{BaseURL: "http://squarelocal.invalid",
				HTTPClient: &http.Client{Timeout: 300 * time.Millisecond, Transport: e.emu.Transport()},
				Retry:      square.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxRetryAfter: time.Millisecond},
				ClientID:   squarelocal.LocalClientID, ClientSecret: squarelocal.LocalClientSecret})
			if err != nil {
				t.Fatal(err)
			}
			id := e.importJob(t, "h3", importRows(400, "h3"))
			// Square fails every call after the first two.
			var calls atomic.Int32
			faulty := func(a jobs.API) jobs.API {
				return &faultAfter{API: a, calls: &calls, after: 2, inject: func() {
					f := tc.fault
					f.Endpoint = callBulkCreate
					_ = e.emu.InjectFault(f)
				}}
			}
			r := jobs.NewRunner(e.st, noTokens{}, func(tok string) jobs.API {
				return faulty(base.WithAccessToken(tok).Customers)
			}, jobs.Options{Workers: 1, Sleep: instant, Replica: local})
			r.Start(id, e.token)
			r.Wait()
			j, _ := e.st.Get(t.Context(), e.merchant, id)
			inSquare := e.count(t)
			if !j.Running() || j.Failed != 0 {
				t.Fatalf("with Square failing the job = %+v, want paused with nothing failed", j)
			}
			// The record is exact: every row done is in Square, and rows
			// whose answer was lost are pending, never failed.
			if int64(j.Done) > inSquare || j.Done != 200 {
				t.Errorf("done = %d with %d in Square; want 200 done, each in Square", j.Done, inSquare)
			}
			e.emu.ClearFaults()
			again := jobs.NewRunner(e.st, noTokens{}, func(tok string) jobs.API { return e.sq.WithAccessToken(tok).Customers }, jobs.Options{Sleep: instant, Replica: local})
			again.Start(id, e.token)
			again.Wait()
			e.checkSettled(t, id, 400)
		})
	}
}

// faultAfter switches a fault on once after calls BulkCreate calls.
type faultAfter struct {
	jobs.API
	calls  *atomic.Int32
	after  int32
	inject func()
}

func (f *faultAfter) BulkCreate(ctx context.Context, m map[string]square.CreateCustomerRequest) (map[string]square.BulkResult, error) {
	if f.calls.Add(1) == f.after+1 {
		f.inject()
	}
	return f.API.BulkCreate(ctx, m)
}

func TestTwoStartsOfOneFileFindOneJob(t *testing.T) {
	e := newEnv(t, -1)
	first := e.importJob(t, "same", importRows(3, "same"))
	_, err := e.st.Create(t.Context(), jobs.Job{MerchantID: e.merchant, Kind: jobs.Import, RunKey: "same", Created: time.Now()}, importRows(3, "same"))
	var running *jobs.RunningError
	if !errors.As(err, &running) || running.ID != first {
		t.Fatalf("second Create = %v, want the first job %s running", err, first)
	}
	// Another merchant's file with the same hash is its own.
	if _, err := e.st.Create(t.Context(), jobs.Job{MerchantID: "OTHER", Kind: jobs.Import, RunKey: "same", Created: time.Now()}, importRows(3, "same")); err != nil {
		t.Errorf("another merchant's Create = %v", err)
	}
	r := e.runner(jobs.Options{Sleep: instant}, nil)
	r.Start(first, e.token)
	r.Wait()
	// Once it finished, importing the file again finds what it created.
	imported, err := e.st.Imported(t.Context(), e.merchant, "same")
	if err != nil || len(imported) != 3 || imported[2] == "" {
		t.Errorf("Imported = %v, %v; want lines 2 to 4 with their customers", imported, err)
	}
	again := e.importJob(t, "same", importRows(3, "same"))
	r.Start(again, e.token)
	r.Wait()
	// Square answers the same keys with the same customers.
	e.checkSettled(t, again, 3)
}

func TestAnImportPutsItsCustomersInTheGroup(t *testing.T) {
	e := newEnv(t, -1)
	g, err := e.sq.Customers.CreateGroup(t.Context(), "", "Imported")
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.st.Create(t.Context(), jobs.Job{MerchantID: e.merchant, Kind: jobs.Import, RunKey: "g", GroupID: g.ID, GroupName: g.Name, Created: time.Now()}, importRows(30, "g"))
	if err != nil {
		t.Fatal(err)
	}
	r := e.runner(jobs.Options{Sleep: instant}, nil)
	r.Start(id, e.token)
	r.Wait()
	e.checkSettled(t, id, 30)
	page, err := e.sq.Customers.Search(t.Context(), &square.SearchCustomersRequest{Count: true,
		Query: &square.CustomerQuery{Filter: &square.CustomerFilter{GroupIDs: &square.FilterValue{Any: []string{g.ID}}}}})
	if err != nil || page.Count == nil || *page.Count != 30 {
		t.Errorf("members after the import = %v, %v; want 30", page.Count, err)
	}
}

// BenchmarkImportingTenThousandWithSlowSquare is the import's budget:
// 10,000 new customers with 100 ms on every Square call in at most 40 s,
// with progress within the first second, each call's customers stored in
// the customer index as in production. Run it with
// go test -run '^$' -bench ImportingTenThousand -benchtime 1x ./internal/jobs/
func BenchmarkImportingTenThousandWithSlowSquare(b *testing.B) {
	for range b.N {
		b.StopTimer()
		e := newEnv(b, -1)
		id := e.importJob(b, "bench", importRows(10_000, "bench"))
		if err := e.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultLatency, Latency: 100 * time.Millisecond}); err != nil {
			b.Fatal(err)
		}
		idx := index.New(e.db)
		r := e.runner(jobs.Options{Index: idx}, nil)
		b.StartTimer()
		start := time.Now()
		r.Start(id, e.token)
		time.Sleep(time.Second)
		j, _ := e.st.Get(b.Context(), e.merchant, id)
		r.Wait()
		took := time.Since(start)
		b.StopTimer()
		b.ReportMetric(took.Seconds(), "s/import")
		b.ReportMetric(float64(j.Done), "rows-after-1s")
		if f, _ := e.st.Get(b.Context(), e.merchant, id); f.Done != 10_000 {
			b.Errorf("job = %+v, want 10,000 done", f)
		}
		if n, _ := idx.Count(b.Context(), e.merchant); n != 10_000 {
			b.Errorf("the index holds %d, want the 10,000 imported", n)
		}
		b.Logf("10,000 imported with 100 ms a call in %v; %d done after the first second", took, j.Done)
	}
}

// BenchmarkTheStoreUnderAnImportOfTenThousand is what each engine costs an
// import of 10,000 rows with Square answering at once: storing the job
// (the request that starts it waits for that) and running it, each row
// marked as its call's answer arrives. Run it with
// TESSERA_REQUIRE_POSTGRES=1 go test -run '^$' -bench TheStoreUnder -benchtime 1x ./internal/jobs/
func BenchmarkTheStoreUnderAnImportOfTenThousand(b *testing.B) {
	for _, eng := range []struct {
		name   string
		handle func(b *testing.B) func() jobs.DB
	}{
		{"SQLite", func(b *testing.B) func() jobs.DB {
			db, err := store.Open(b.Context(), b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = db.Close() })
			return func() jobs.DB { return db }
		}},
		{"PostgreSQL", func(b *testing.B) func() jobs.DB {
			db, err := postgres.Open(b.Context(), pgtest.Database(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(db.Close)
			return func() jobs.DB { return db }
		}},
	} {
		b.Run(eng.name, func(b *testing.B) {
			for range b.N {
				e := newEnvOn(b, -1, eng.handle(b))
				rows := importRows(10_000, "bench")
				start := time.Now()
				id := e.importJob(b, "bench", rows)
				stored := time.Since(start)
				r := e.runner(jobs.Options{Sleep: instant}, nil)
				start = time.Now()
				r.Start(id, e.token)
				r.Wait()
				ran := time.Since(start)
				if j, _ := e.st.Get(b.Context(), e.merchant, id); j.Done != 10_000 {
					b.Errorf("job = %+v, want 10,000 done", j)
				}
				b.ReportMetric(stored.Seconds(), "s/create")
				b.ReportMetric(ran.Seconds(), "s/run")
			}
		})
	}
}
