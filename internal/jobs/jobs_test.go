package jobs_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/jobs"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// env is squarelocal behind the real client, and a real store.
type env struct {
	emu *squarelocal.Server
	sq  *square.Client
	st  *jobs.Store
	// db is the SQLite store of newEnv's env; handle gives each replica
	// its own connection to the env's database (the same SQLite store).
	db       *store.DB
	handle   func() jobs.DB
	merchant string
	token    string
}

// newEnv keeps the jobs in SQLite.
func newEnv(t testing.TB, customers int) *env {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := newEnvOn(t, customers, func() jobs.DB { return db })
	e.db = db
	return e
}

// newEnvOn keeps the jobs in the database of the handles.
func newEnvOn(t testing.TB, customers int, handle func() jobs.DB) *env {
	t.Helper()
	emu := squarelocal.New(squarelocal.Options{CustomersPerMerchant: customers})
	t.Cleanup(emu.Close)
	base, err := square.NewClient(square.Options{BaseURL: "http://squarelocal.invalid", Transport: emu.Transport(),
		ClientID: squarelocal.LocalClientID, ClientSecret: squarelocal.LocalClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	m := emu.Merchants()[0].ID
	tok := emu.MintAccessToken(m)
	return &env{emu: emu, sq: base.WithAccessToken(tok), st: jobs.NewStore(handle()), handle: handle, merchant: m, token: tok}
}

// noTokens lends none: jobs start only by Start.
type noTokens struct{}

func (noTokens) LiveTokens(context.Context, string) (map[string]string, error) { return nil, nil }

// local is the replica name of the tests' runners that stand for one
// process (restarted), as the app's on SQLite.
const local = "local"

func (e *env) runner(o jobs.Options, wrap func(jobs.API) jobs.API) *jobs.Runner {
	if o.Replica == "" {
		o.Replica = local
	}
	return jobs.NewRunner(e.st, noTokens{}, func(tok string) jobs.API {
		var api jobs.API = e.sq.WithAccessToken(tok).Customers
		if wrap != nil {
			api = wrap(api)
		}
		return api
	}, o)
}

func (e *env) customers(t testing.TB, n int) []jobs.Item {
	t.Helper()
	var items []jobs.Item
	for i := 0; len(items) < n; i += 100 {
		batch := map[string]square.CreateCustomerRequest{}
		for k := range min(100, n-len(items)) {
			batch[fmt.Sprint("c", i+k)] = square.CreateCustomerRequest{GivenName: fmt.Sprint("Customer ", i+k)}
		}
		res, err := e.sq.Customers.BulkCreate(t.Context(), batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			items = append(items, jobs.Item{CustomerID: r.Customer.ID, Name: r.Customer.GivenName})
		}
	}
	return items
}

func (e *env) job(t testing.TB, kind jobs.Kind, group string, items []jobs.Item) string {
	t.Helper()
	id, err := e.st.Create(t.Context(), jobs.Job{MerchantID: e.merchant, Kind: kind, GroupID: group, GroupName: "G", Created: time.Now()}, items)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

const (
	callAdd    = "PUT /v2/customers/{customer_id}/groups/{group_id}"
	callDelete = "POST /v2/customers/bulk-delete"
)

// inFlight counts the calls of an API in flight, and the most at once.
type inFlight struct {
	jobs.API
	now, most atomic.Int32
}

func (f *inFlight) AddToGroup(ctx context.Context, c, g string) error {
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for {
		m := f.most.Load()
		if n <= m || f.most.CompareAndSwap(m, n) {
			break
		}
	}
	return f.API.AddToGroup(ctx, c, g)
}

func TestAJobAddsEveryCustomerOnceWithAtMostFourCallsInFlight(t *testing.T) {
	e := newEnv(t, -1)
	items := e.customers(t, 120)
	g, err := e.sq.Customers.CreateGroup(t.Context(), "", "Bulk")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultLatency, Latency: 5 * time.Millisecond, Endpoint: callAdd}); err != nil {
		t.Fatal(err)
	}
	var f *inFlight
	r := e.runner(jobs.Options{}, func(a jobs.API) jobs.API { f = &inFlight{API: a}; return f })
	id := e.job(t, jobs.AddToGroup, g.ID, items)
	r.Start(id, e.token)
	r.Wait()
	j, err := e.st.Get(t.Context(), e.merchant, id)
	if err != nil || j.Running() || j.Done != 120 || j.Failed != 0 {
		t.Fatalf("job = %+v, %v; want finished with 120 done", j, err)
	}
	if n := e.emu.CountCalls(callAdd, 0); n != 120 {
		t.Errorf("AddGroupToCustomer calls = %d, want 120", n)
	}
	if m := f.most.Load(); m > 4 || m < 2 {
		t.Errorf("most calls in flight = %d, want 2 to 4", m)
	}
	page, err := e.sq.Customers.Search(t.Context(), &square.SearchCustomersRequest{Count: true,
		Query: &square.CustomerQuery{Filter: &square.CustomerFilter{GroupIDs: &square.FilterValue{Any: []string{g.ID}}}}})
	if err != nil || page.Count == nil || *page.Count != 120 {
		t.Errorf("members after the job = %v, %v; want 120", page.Count, err)
	}
	if _, err := e.st.Get(t.Context(), "OTHER", id); err != jobs.ErrNotFound {
		t.Errorf("another merchant's Get = %v, want ErrNotFound", err)
	}
}

// stopAfter cancels the runner's context after n calls came back, as a
// restart would stop it.
type stopAfter struct {
	jobs.API
	n      atomic.Int32
	after  int32
	cancel func()
}

func (s *stopAfter) AddToGroup(ctx context.Context, c, g string) error {
	err := s.API.AddToGroup(ctx, c, g)
	if s.n.Add(1) == s.after {
		s.cancel()
	}
	return err
}

func TestARestartMidJobResumesWithoutRepeatingACustomer(t *testing.T) {
	e := newEnv(t, -1)
	items := e.customers(t, 60)
	g, _ := e.sq.Customers.CreateGroup(t.Context(), "", "Resume")
	id := e.job(t, jobs.AddToGroup, g.ID, items)

	var first *jobs.Runner
	first = e.runner(jobs.Options{Workers: 1}, func(a jobs.API) jobs.API { return &stopAfter{API: a, after: 25, cancel: func() { first.Stop() }} })
	first.Start(id, e.token)
	first.Wait()
	j, _ := e.st.Get(t.Context(), e.merchant, id)
	if !j.Running() || j.Done != 25 {
		t.Fatalf("after the stop the job = %+v, want 25 done and running", j)
	}

	second := e.runner(jobs.Options{}, nil)
	second.Start(id, e.token)
	second.Wait()
	j, _ = e.st.Get(t.Context(), e.merchant, id)
	if j.Running() || j.Done != 60 {
		t.Errorf("after resuming the job = %+v, want 60 done and finished", j)
	}
	if n := e.emu.CountCalls(callAdd, 0); n != 60 {
		t.Errorf("AddGroupToCustomer calls over both runs = %d, want 60 (none repeated)", n)
	}
}

func TestAJobWaitsOutRetryAfter(t *testing.T) {
	e := newEnv(t, -1)
	items := e.customers(t, 3)
	g, _ := e.sq.Customers.CreateGroup(t.Context(), "", "Slow")
	// More 429s than the client retries: the job waits and goes on.
	if err := e.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultRateLimit, RetryAfter: 1, Count: 4, Endpoint: callAdd}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var waits []time.Duration
	r := e.runner(jobs.Options{Workers: 1, Sleep: func(_ context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return nil
	}}, nil)
	id := e.job(t, jobs.AddToGroup, g.ID, items)
	r.Start(id, e.token)
	r.Wait()
	j, _ := e.st.Get(t.Context(), e.merchant, id)
	if j.Done != 3 {
		t.Errorf("job = %+v, want all 3 done after the 429s", j)
	}
	if len(waits) == 0 || !slices.Contains(waits, time.Second) {
		t.Errorf("the job waited %v, want Square's Retry-After of 1s", waits)
	}
}

func TestDeletingAThousandTakesTenCallsAndSaysWhichFailed(t *testing.T) {
	e := newEnv(t, -1)
	items := e.customers(t, 1000)
	// Half are gone before the job runs: Square answers NOT_FOUND for each
	// of those inside its 200.
	var gone []string
	for i := 0; i < 1000; i += 2 {
		gone = append(gone, items[i].CustomerID)
	}
	for i := 0; i < len(gone); i += 100 {
		if _, err := e.sq.Customers.BulkDelete(t.Context(), gone[i:i+100]); err != nil {
			t.Fatal(err)
		}
	}
	before := e.emu.CountCalls(callDelete, 0)
	r := e.runner(jobs.Options{}, nil)
	id := e.job(t, jobs.Delete, "", items)
	r.Start(id, e.token)
	r.Wait()
	if n := e.emu.CountCalls(callDelete, 0) - before; n > 10 {
		t.Errorf("BulkDeleteCustomers calls for 1,000 = %d, want at most 10", n)
	}
	j, _ := e.st.Get(t.Context(), e.merchant, id)
	if j.Done != 500 || j.Failed != 500 {
		t.Errorf("job = %+v, want 500 deleted and 500 failed", j)
	}
	failed, _ := e.st.Items(t.Context(), id, jobs.Failed, 1000)
	for _, it := range failed {
		if !slices.Contains(gone, it.CustomerID) || it.Reason == "" {
			t.Fatalf("failed item %+v: want only the ones already gone, each with a reason", it)
		}
	}
}

// TestAddingAThousandWithSlowSquareTakesAtMostThirtySeconds is the
// budget: 1,000 customers added to a group with 100 ms on every Square
// call, 4 in flight, in at most 30 s (about 25 s of calls).
func TestAddingAThousandWithSlowSquareTakesAtMostThirtySeconds(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 25 s")
	}
	e := newEnv(t, -1)
	items := e.customers(t, 1000)
	g, _ := e.sq.Customers.CreateGroup(t.Context(), "", "Budget")
	if err := e.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultLatency, Latency: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	r := e.runner(jobs.Options{}, nil)
	id := e.job(t, jobs.AddToGroup, g.ID, items)
	start := time.Now()
	r.Start(id, e.token)
	// Progress shows from the first second.
	time.Sleep(time.Second)
	if j, _ := e.st.Get(t.Context(), e.merchant, id); j.Done == 0 {
		t.Errorf("after 1 s the job has done %d, want progress", j.Done)
	}
	r.Wait()
	took := time.Since(start)
	t.Logf("1,000 added with 100 ms a call in %v", took)
	if took > 30*time.Second {
		t.Errorf("took %v, want at most 30 s", took)
	}
	if j, _ := e.st.Get(t.Context(), e.merchant, id); j.Done != 1000 {
		t.Errorf("job = %+v, want 1,000 done", j)
	}
}
