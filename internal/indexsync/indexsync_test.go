package indexsync_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/indexsync"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// env is the emulator with a seeded merchant, the real client acting as
// that merchant, and an index on a fresh store.
type env struct {
	emu      *squarelocal.Server
	sq       *square.Client
	ix       *index.Index
	db       *store.DB
	merchant string
	searches atomic.Int64
	// cancelAfter, when positive, cancels cancel after that many searches.
	cancelAfter int64
	cancel      context.CancelFunc
	mu          sync.Mutex
}

// countingTransport counts SearchCustomers calls and can cut a sync short.
type countingTransport struct {
	next http.RoundTripper
	e    *env
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/v2/customers/search" {
		n := c.e.searches.Add(1)
		c.e.mu.Lock()
		cancel, after := c.e.cancel, c.e.cancelAfter
		c.e.mu.Unlock()
		if after > 0 && n >= after && cancel != nil {
			cancel()
		}
	}
	return c.next.RoundTrip(r)
}

func newEnv(t *testing.T, customers int) *env {
	return newBenchEnv(t, customers)
}

func newBenchEnv(t testing.TB, customers int) *env {
	t.Helper()
	e := &env{emu: squarelocal.New(squarelocal.Options{CustomersPerMerchant: customers, Seed: 7})}
	t.Cleanup(e.emu.Close)
	e.merchant = e.emu.Merchants()[0].ID
	client, err := square.NewClient(square.Options{
		BaseURL:     "http://squarelocal.invalid",
		Transport:   countingTransport{next: e.emu.Transport(), e: e},
		AccessToken: e.emu.MintAccessToken(e.merchant),
		Retry:       square.RetryPolicy{MaxAttempts: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.sq = client
	db, err := store.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	e.ix, e.db = index.New(db), db
	return e
}

// atSquare is every customer of the merchant at the emulator, by id.
func (e *env) atSquare(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	params := &square.ListCustomersParams{Limit: 100}
	for {
		page, err := e.sq.Customers.List(t.Context(), params)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Customers {
			out[c.ID] = c.Version
		}
		if page.Cursor == "" {
			return out
		}
		params.Cursor = page.Cursor
	}
}

// assertIndexEqualsSquare checks the index holds exactly Square's
// customers, each at Square's version.
func (e *env) assertIndexEqualsSquare(t *testing.T) {
	t.Helper()
	want := e.atSquare(t)
	ids, err := e.ix.IDs(t.Context(), e.merchant)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(want) {
		t.Errorf("the index holds %d customers, want Square's %d", len(ids), len(want))
	}
	for _, id := range ids {
		c, err := e.ix.Get(t.Context(), e.merchant, id)
		if err != nil {
			t.Fatalf("Get(%s) = %v", id, err)
		}
		v, ok := want[id]
		if !ok {
			t.Errorf("the index holds %s, which Square does not", id)
		} else if c.Version != v {
			t.Errorf("the index holds %s at version %d, want Square's %d", id, c.Version, v)
		}
	}
}

// instant records the waits a sync asked for and returns at once.
type instant struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (i *instant) sleep(ctx context.Context, d time.Duration) error {
	i.mu.Lock()
	i.waits = append(i.waits, d)
	i.mu.Unlock()
	return ctx.Err()
}

func TestAFullSyncIndexesEveryCustomerOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 450)
	s := indexsync.New(e.ix, indexsync.Options{})
	if err := s.Full(t.Context(), e.merchant, e.sq.Customers); err != nil {
		t.Fatalf("Full = %v", err)
	}
	e.assertIndexEqualsSquare(t)
	st, err := e.ix.SyncState(t.Context(), e.merchant)
	if err != nil || !st.Ready() {
		t.Fatalf("SyncState after Full = %+v, %v; want ready", st, err)
	}
	if st.Indexed() != len(e.atSquare(t)) || st.Expected != len(e.atSquare(t)) {
		t.Errorf("progress after Full = %d of %d, want %d of %d", st.Indexed(), st.Expected, len(e.atSquare(t)), len(e.atSquare(t)))
	}
}

func TestAFullSyncLeavesTheFullTextIndexInOnePiece(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 120)
	// Another merchant's customers, stored one transaction each, leave
	// the full-text tables in several segments.
	for i := range 40 {
		c := index.Customer{ID: fmt.Sprintf("other-%02d", i), GivenName: "Other", FamilyName: fmt.Sprintf("Person%02d", i), CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if _, err := e.ix.Put(t.Context(), "OTHER-MERCHANT", c); err != nil {
			t.Fatal(err)
		}
	}
	segments := func() int {
		var n int
		if err := e.db.Reader().QueryRowContext(t.Context(), "SELECT count(DISTINCT segid) FROM index_fts_idx").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := segments(); n < 2 {
		t.Fatalf("the full-text index has %d segments before the sync; the test needs several", n)
	}
	if err := indexsync.New(e.ix, indexsync.Options{}).Full(t.Context(), e.merchant, e.sq.Customers); err != nil {
		t.Fatalf("Full = %v", err)
	}
	if n := segments(); n != 1 {
		t.Errorf("the full-text index has %d segments after the full sync, want 1 (compacted)", n)
	}
	e.assertIndexEqualsSquare(t)
}

func TestAFullSyncCutShortCarriesOnWhereItStopped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 900)
	s := indexsync.New(e.ix, indexsync.Options{Ranges: 8, Parallel: 2})
	ctx, cancel := context.WithCancel(t.Context())
	e.mu.Lock()
	e.cancel, e.cancelAfter = cancel, 12
	e.mu.Unlock()
	if err := s.Full(ctx, e.merchant, e.sq.Customers); err == nil {
		t.Fatal("Full cut short = nil error, want the cancellation")
	}
	st, err := e.ix.SyncState(t.Context(), e.merchant)
	if err != nil || st.Ready() || st.Indexed() == 0 {
		t.Fatalf("SyncState after a cut = ready %v, %d indexed, %v; want some progress and not ready", st.Ready(), st.Indexed(), err)
	}
	first := e.searches.Load()
	e.mu.Lock()
	e.cancel = nil
	e.mu.Unlock()

	if err := s.Full(t.Context(), e.merchant, e.sq.Customers); err != nil {
		t.Fatalf("Full after the restart = %v", err)
	}
	e.assertIndexEqualsSquare(t)
	// 900 customers are at least 9 pages and at most one page per range
	// more; the second run must not read again what the first stored.
	total := e.searches.Load()
	if pages := 900/100 + 8 + 1; total > int64(pages)+first {
		t.Errorf("searches over both runs = %d (first %d), want the second to skip what the first stored", total, first)
	}
	st, _ = e.ix.SyncState(t.Context(), e.merchant)
	if want := len(e.atSquare(t)); st.Indexed() != want {
		t.Errorf("customers indexed over both runs = %d, want Square's %d: none twice, none missed", st.Indexed(), want)
	}
}

func TestAFullSyncWaitsAsSquareAsksAndRidesOutFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 300)
	for _, f := range []squarelocal.Fault{
		{Kind: squarelocal.FaultRateLimit, Endpoint: "POST /v2/customers/search", RetryAfter: 3, Count: 3},
		{Kind: squarelocal.FaultInternal, Endpoint: "POST /v2/customers/search", Count: 2},
	} {
		if err := e.emu.InjectFault(f); err != nil {
			t.Fatal(err)
		}
	}
	sleep := &instant{}
	s := indexsync.New(e.ix, indexsync.Options{Sleep: sleep.sleep})
	if err := s.Full(t.Context(), e.merchant, e.sq.Customers); err != nil {
		t.Fatalf("Full with Square failing now and then = %v", err)
	}
	e.assertIndexEqualsSquare(t)
	threes := 0
	for _, w := range sleep.waits {
		if w == 3*time.Second {
			threes++
		}
	}
	if threes != 3 {
		t.Errorf("waits = %v, want Square's Retry-After of 3 s three times", sleep.waits)
	}
}

func TestAnIncrementalSyncTakesWhatChangedSinceItsWatermark(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 120)
	now := time.Now()
	s := indexsync.New(e.ix, indexsync.Options{Now: func() time.Time { return now }})
	if err := s.Incremental(t.Context(), e.merchant, e.sq.Customers); err != indexsync.ErrNotReady {
		t.Fatalf("Incremental before a full sync = %v, want ErrNotReady", err)
	}
	if err := s.Full(t.Context(), e.merchant, e.sq.Customers); err != nil {
		t.Fatal(err)
	}
	// Changes made at Square as if by its POS, after the full sync.
	page, err := e.sq.Customers.List(t.Context(), &square.ListCustomersParams{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range page.Customers {
		v := c.Version
		if _, err := e.sq.Customers.Update(t.Context(), c.ID, &square.UpdateCustomerRequest{Nickname: square.Set("Changed at the counter"), Version: &v}); err != nil {
			t.Fatal(err)
		}
	}
	created, err := e.sq.Customers.Create(t.Context(), &square.CreateCustomerRequest{IdempotencyKey: "inc-1", GivenName: "Newcomer"})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	before := e.searches.Load()
	if err := s.Incremental(t.Context(), e.merchant, e.sq.Customers); err != nil {
		t.Fatalf("Incremental = %v", err)
	}
	e.assertIndexEqualsSquare(t)
	if got, err := e.ix.Get(t.Context(), e.merchant, created.ID); err != nil || got.GivenName != "Newcomer" {
		t.Errorf("the index after Incremental has %+v, %v for the new customer", got, err)
	}
	if pages := e.searches.Load() - before; pages > 2 {
		t.Errorf("Incremental read %d pages, want only what changed (one page)", pages)
	}
	st, _ := e.ix.SyncState(t.Context(), e.merchant)
	if !st.Watermark.Equal(now) || !st.LastIncremental.Equal(now) {
		t.Errorf("after Incremental watermark %v, last %v; want both %v", st.Watermark, st.LastIncremental, now)
	}
}

func TestAReconcileRemovesWhatSquareNoLongerHas(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 60)
	now := time.Now()
	s := indexsync.New(e.ix, indexsync.Options{Now: func() time.Time { return now }})
	if err := s.Full(t.Context(), e.merchant, e.sq.Customers); err != nil {
		t.Fatal(err)
	}
	page, err := e.sq.Customers.List(t.Context(), &square.ListCustomersParams{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	gone := page.Customers[0].ID
	if err := e.sq.Customers.Delete(t.Context(), gone, nil); err != nil {
		t.Fatal(err)
	}
	// One Tessera just created and indexed, which Square's listing may not
	// show yet, must stay.
	fresh := index.Customer{ID: "FRESH000000000000000000000", GivenName: "Just made", Version: 1, CreatedAt: now, UpdatedAt: now}
	if _, err := e.ix.Put(t.Context(), e.merchant, fresh); err != nil {
		t.Fatal(err)
	}
	now = now.Add(30 * time.Second)
	if err := s.Reconcile(t.Context(), e.merchant, e.sq.Customers); err != nil {
		t.Fatalf("Reconcile = %v", err)
	}
	if _, err := e.ix.Get(t.Context(), e.merchant, gone); err == nil {
		t.Errorf("the index still has %s after Square deleted it and a reconcile ran", gone)
	}
	if _, err := e.ix.Get(t.Context(), e.merchant, fresh.ID); err != nil {
		t.Errorf("the reconcile removed a customer indexed 30 s ago: %v", err)
	}
	if _, err := e.ix.Get(t.Context(), e.merchant, page.Customers[1].ID); err != nil {
		t.Errorf("the reconcile removed a customer Square still has: %v", err)
	}
}

// tokens lends one token per merchant, as session.Manager.LiveTokens does.
type tokens map[string]string

func (t tokens) LiveTokens(_ context.Context, merchantID string) (map[string]string, error) {
	if merchantID == "" {
		return t, nil
	}
	if tok, ok := t[merchantID]; ok {
		return map[string]string{merchantID: tok}, nil
	}
	return map[string]string{}, nil
}

func TestTheRunnerIndexesASignedInMerchantAndKeepsItFresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 80)
	s := indexsync.New(e.ix, indexsync.Options{})
	live := tokens{e.merchant: e.emu.MintAccessToken(e.merchant)}
	client := func(token string) indexsync.Customers { return e.sq.WithAccessToken(token).Customers }
	r := indexsync.NewRunner(s, live, client, indexsync.RunnerOptions{Every: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	r.Kick(e.merchant)
	waitFor(t, "the first full sync", func() bool {
		st, err := e.ix.SyncState(t.Context(), e.merchant)
		return err == nil && st.Ready()
	})
	e.assertIndexEqualsSquare(t)

	created, err := e.sq.Customers.Create(t.Context(), &square.CreateCustomerRequest{IdempotencyKey: "runner-1", GivenName: "Later"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "an incremental sync to bring the new customer", func() bool {
		_, err := e.ix.Get(t.Context(), e.merchant, created.ID)
		return err == nil
	})
}

// With replicas, the one holding a merchant's sync lock syncs it; the
// others leave it alone and take over when the lock is free.
func TestTheRunnerLeavesAMerchantToTheReplicaHoldingItsLock(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 40)
	s := indexsync.New(e.ix, indexsync.Options{})
	live := tokens{e.merchant: e.emu.MintAccessToken(e.merchant)}
	client := func(token string) indexsync.Customers { return e.sq.WithAccessToken(token).Customers }
	var elsewhere atomic.Bool
	elsewhere.Store(true)
	var keys sync.Map
	exclusive := func(ctx context.Context, key string, fn func(context.Context) error) (bool, error) {
		keys.Store(key, true)
		if elsewhere.Load() {
			return false, nil
		}
		return true, fn(ctx)
	}
	r := indexsync.NewRunner(s, live, client, indexsync.RunnerOptions{Every: 20 * time.Millisecond, Exclusive: exclusive})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	r.Kick(e.merchant)
	waitFor(t, "the runner to ask for the merchant's lock", func() bool {
		_, ok := keys.Load("tessera:indexsync:" + e.merchant)
		return ok
	})
	time.Sleep(100 * time.Millisecond) // five ticks
	if n, err := e.ix.Count(t.Context(), e.merchant); err != nil || n != 0 {
		t.Fatalf("while another replica holds the lock the index holds %d customers (%v), want 0", n, err)
	}
	elsewhere.Store(false)
	waitFor(t, "the full sync once the lock is free", func() bool {
		st, err := e.ix.SyncState(t.Context(), e.merchant)
		return err == nil && st.Ready()
	})
	e.assertIndexEqualsSquare(t)
}

func TestTheRunnerLeavesAMerchantWithNobodySignedInAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 30)
	s := indexsync.New(e.ix, indexsync.Options{})
	client := func(token string) indexsync.Customers { return e.sq.WithAccessToken(token).Customers }
	r := indexsync.NewRunner(s, tokens{}, client, indexsync.RunnerOptions{Every: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	r.Kick(e.merchant)
	r.Run(ctx)
	if n := e.searches.Load(); n != 0 {
		t.Errorf("the runner made %d searches for a merchant with nobody signed in, want none", n)
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestARebuildDuringAFullSyncTakesOverWithoutAPanic(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 400)
	s := indexsync.New(e.ix, indexsync.Options{Parallel: 2})
	// The first search after the split restarts the sync under it.
	restarted := make(chan error, 1)
	var once sync.Once
	e.mu.Lock()
	e.cancelAfter = 4
	e.cancel = func() { once.Do(func() { restarted <- s.Restart(context.Background(), e.merchant) }) }
	e.mu.Unlock()
	err := s.Full(t.Context(), e.merchant, e.sq.Customers)
	if rerr := <-restarted; rerr != nil {
		t.Fatalf("Restart = %v", rerr)
	}
	if err == nil {
		t.Fatal("Full restarted under it = nil error, want it to stop and leave the new sync")
	}
	e.mu.Lock()
	e.cancelAfter = 0
	e.mu.Unlock()
	if err := s.Full(t.Context(), e.merchant, e.sq.Customers); err != nil {
		t.Fatalf("the new Full = %v", err)
	}
	e.assertIndexEqualsSquare(t)
}
