package jobs_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/jobs"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/store"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
	"github.com/tessera-dashboard/tessera/internal/store/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// contract is the behaviour of jobs on every engine, several replicas on
// one database included.
var contract = []struct {
	name string
	test func(*testing.T, func() jobs.DB)
}{
	{"KeepsJobsAndTheirItems", testKeepsJobsAndTheirItems},
	{"KeepsAnImportsRows", testKeepsAnImportsRows},
	{"SweepsOldJobsAndDropsAMerchants", testSweepsOldJobsAndDropsAMerchants},
	{"ALeaseFencesTheWritesOfTheReplicaThatLostIt", testALeaseFencesWrites},
	{"OfReplicasClaimingOneJobAtOnceExactlyOneWins", testOneClaimWins},
	{"OfRunnersStartingOneJobAtOnceExactlyOneRunsIt", testOneRunnerRunsIt},
	{"ARunnerThatStopsRenewingLosesTheJobAndNothingIsRedone", testTakeOverRedoesNothing},
	{"AnImportTakenOverCreatesNoCustomerTwice", testImportTakeOver},
	{"ALiveReplicaTakesOverADeadOnesJobWithinOneAndAHalfLeases", testLiveReplicaTakesOver},
	{"AReplicaShuttingDownLeavesItsJobToAnotherAtOnce", testShutdownReleases},
	{"AReplicaCutOffFromTheDatabaseStopsBeforeItsLeaseRunsOut", testCutOffStops},
}

func TestTheJobsContractOnSQLite(t *testing.T) {
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			db, err := store.Open(t.Context(), t.TempDir())
			if err != nil {
				t.Fatalf("store.Open: %v", err)
			}
			t.Cleanup(func() { _ = db.Close() })
			// One process's store: every replica writes through it.
			c.test(t, func() jobs.DB { return db })
		})
	}
}

func TestTheJobsContractOnPostgreSQL(t *testing.T) {
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			url := pgtest.Database(t)
			// Each replica has a pool of its own, as separate processes.
			c.test(t, func() jobs.DB {
				db, err := postgres.Open(context.Background(), url)
				if err != nil {
					t.Fatalf("postgres.Open: %v", err)
				}
				t.Cleanup(db.Close)
				return db
			})
		})
	}
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func create(t *testing.T, st *jobs.Store, j jobs.Job, items []jobs.Item) string {
	t.Helper()
	id, err := st.Create(t.Context(), j, items)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return id
}

func get(t *testing.T, st *jobs.Store, merchant, id string) jobs.Job {
	t.Helper()
	j, err := st.Get(t.Context(), merchant, id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return j
}

func claim(t *testing.T, st *jobs.Store, l jobs.Lease, now time.Time) bool {
	t.Helper()
	ok, err := st.Claim(t.Context(), l, now, now.Add(30*time.Second))
	if err != nil {
		t.Fatalf("Claim(%+v): %v", l, err)
	}
	return ok
}

func testKeepsJobsAndTheirItems(t *testing.T, handle func() jobs.DB) {
	ctx, st := t.Context(), jobs.NewStore(handle())
	items := []jobs.Item{{CustomerID: "C0", Name: "Ann"}, {CustomerID: "C1", Name: "Bob"}, {CustomerID: "C2", Name: "Cy"}, {CustomerID: "C3", Name: "Di", State: jobs.Skipped}}
	if _, err := st.Create(ctx, jobs.Job{MerchantID: "M", Kind: jobs.AddToGroup, Created: t0}, nil); err == nil {
		t.Error("Create without customers succeeded")
	}
	id := create(t, st, jobs.Job{MerchantID: "M", Kind: jobs.AddToGroup, GroupID: "G", GroupName: "Group", Created: t0}, items)
	j := get(t, st, "M", id)
	if j.Kind != jobs.AddToGroup || j.GroupID != "G" || j.GroupName != "Group" || j.Total != 4 || j.Skipped != 1 || j.Done != 0 ||
		!j.Running() || !j.Created.Equal(t0) || j.Owner != "" || !j.LeaseUntil.IsZero() {
		t.Fatalf("new job = %+v", j)
	}
	if _, err := st.Get(ctx, "OTHER", id); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("another merchant's Get = %v, want ErrNotFound", err)
	}
	if _, err := st.Get(ctx, "M", "missing"); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
	pending, err := st.Items(ctx, id, jobs.Pending, 10)
	if err != nil || len(pending) != 3 || pending[0].Name != "Ann" || pending[2].CustomerID != "C2" || pending[1].Seq != 1 {
		t.Fatalf("pending items = %+v, %v; want C0 to C2 in order", pending, err)
	}
	if two, _ := st.Items(ctx, id, jobs.Pending, 2); len(two) != 2 {
		t.Errorf("Items with limit 2 = %d items", len(two))
	}

	l := jobs.Lease{Job: id, Owner: "A"}
	if !claim(t, st, l, t0) {
		t.Fatal("the first claim failed")
	}
	if err := st.Mark(ctx, l, 0, jobs.Done, ""); err != nil {
		t.Fatalf("Mark: %v", err)
	}
	if err := st.Mark(ctx, l, 1, jobs.Failed, "Not found at Square."); err != nil {
		t.Fatalf("Mark: %v", err)
	}
	// An item already recorded stays as it was.
	if err := st.Mark(ctx, l, 0, jobs.Failed, "again"); err != nil {
		t.Errorf("Mark of a recorded item = %v, want nil", err)
	}
	j = get(t, st, "M", id)
	if j.Done != 1 || j.Failed != 1 || j.Owner != "A" || !j.LeaseUntil.Equal(t0.Add(30*time.Second)) {
		t.Errorf("after marking = %+v, want 1 done, 1 failed, held by A for 30 s", j)
	}
	failed, _ := st.Items(ctx, id, jobs.Failed, 10)
	if len(failed) != 1 || failed[0].CustomerID != "C1" || failed[0].Reason != "Not found at Square." {
		t.Errorf("failed items = %+v", failed)
	}

	other := create(t, st, jobs.Job{MerchantID: "N", Kind: jobs.Delete, Created: t0.Add(time.Second)}, items[:1])
	unfinished, err := st.Unfinished(ctx)
	if err != nil || len(unfinished) != 2 || unfinished[0].ID != id || unfinished[1].ID != other || unfinished[0].Done != 1 {
		t.Fatalf("Unfinished = %+v, %v; want both jobs, oldest first, with their counts", unfinished, err)
	}
	if err := st.Finish(ctx, l, t0.Add(time.Minute)); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if j := get(t, st, "M", id); j.Running() || !j.Finished.Equal(t0.Add(time.Minute)) {
		t.Errorf("finished job = %+v", j)
	}
	if unfinished, _ := st.Unfinished(ctx); len(unfinished) != 1 || unfinished[0].ID != other {
		t.Errorf("Unfinished after Finish = %+v, want the other job only", unfinished)
	}
	if claim(t, st, jobs.Lease{Job: id, Owner: "B"}, t0.Add(time.Hour)) {
		t.Error("a finished job was claimed")
	}
}

func testKeepsAnImportsRows(t *testing.T, handle func() jobs.DB) {
	ctx, st := t.Context(), jobs.NewStore(handle())
	rows := importRows(3, "f")
	rows[2].Action, rows[2].CustomerID = jobs.ActionUpdate, "OLD"
	id := create(t, st, jobs.Job{MerchantID: "M", Kind: jobs.Import, RunKey: "f", GroupID: "G", Created: t0}, rows)
	_, err := st.Create(ctx, jobs.Job{MerchantID: "M", Kind: jobs.Import, RunKey: "f", Created: t0}, rows)
	var running *jobs.RunningError
	if !errors.As(err, &running) || running.ID != id {
		t.Fatalf("a second Create with the run key = %v, want RunningError naming %s", err, id)
	}
	pending, _ := st.Items(ctx, id, jobs.Pending, 10)
	if len(pending) != 3 || pending[0].Line != 2 || pending[0].Action != jobs.ActionCreate || pending[0].Payload != rows[0].Payload {
		t.Fatalf("import rows = %+v", pending)
	}
	l := jobs.Lease{Job: id, Owner: "A"}
	claim(t, st, l, t0)
	for seq, c := range []string{"NEW1", "NEW2", "OLD"} {
		if err := st.MarkImported(ctx, l, seq, jobs.Done, "", c); err != nil {
			t.Fatalf("MarkImported: %v", err)
		}
	}
	if j := get(t, st, "M", id); j.Done != 3 || j.Made != 2 {
		t.Errorf("import = %+v, want 3 done of which 2 made", j)
	}
	ungrouped, _ := st.Ungrouped(ctx, id, 10)
	if len(ungrouped) != 3 || ungrouped[0].CustomerID != "NEW1" {
		t.Fatalf("Ungrouped = %+v", ungrouped)
	}
	if err := st.MarkGrouped(ctx, l, 0, 1, ""); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkGrouped(ctx, l, 1, 2, "Imported, but not added to the group."); err != nil {
		t.Fatal(err)
	}
	if n, err := st.NotGrouped(ctx, id); err != nil || n != 1 {
		t.Errorf("NotGrouped = %d, %v; want 1", n, err)
	}
	if ungrouped, _ := st.Ungrouped(ctx, id, 10); len(ungrouped) != 1 || ungrouped[0].Seq != 2 {
		t.Errorf("Ungrouped after grouping = %+v, want the last row", ungrouped)
	}
	if err := st.Finish(ctx, l, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	imported, err := st.Imported(ctx, "M", "f")
	if err != nil || len(imported) != 2 || imported[2] != "NEW1" || imported[3] != "NEW2" {
		t.Errorf("Imported = %v, %v; want lines 2 and 3 with the customers made", imported, err)
	}
	if again, err := st.Create(ctx, jobs.Job{MerchantID: "M", Kind: jobs.Import, RunKey: "f", Created: t0}, rows); err != nil || again == id {
		t.Errorf("Create with the run key of a finished job = %q, %v; want a new job", again, err)
	}
}

func testSweepsOldJobsAndDropsAMerchants(t *testing.T, handle func() jobs.DB) {
	ctx, st := t.Context(), jobs.NewStore(handle())
	items := []jobs.Item{{CustomerID: "C", Name: "C"}}
	old := create(t, st, jobs.Job{MerchantID: "M", Kind: jobs.Delete, Created: t0.Add(-8 * 24 * time.Hour)}, items)
	keep := create(t, st, jobs.Job{MerchantID: "M", Kind: jobs.Delete, Created: t0}, items)
	theirs := create(t, st, jobs.Job{MerchantID: "N", Kind: jobs.Delete, Created: t0}, items)
	if n, err := st.Sweep(ctx, t0.Add(-jobs.Retention)); err != nil || n != 1 {
		t.Errorf("Sweep = %d, %v; want 1", n, err)
	}
	if _, err := st.Get(ctx, "M", old); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("the 8-day-old job = %v, want swept", err)
	}
	if its, _ := st.Items(ctx, old, jobs.Pending, 10); len(its) != 0 {
		t.Errorf("the swept job's items = %+v, want gone with it", its)
	}
	get(t, st, "M", keep)
	if err := st.DropMerchant(ctx, "M"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "M", keep); !errors.Is(err, jobs.ErrNotFound) {
		t.Errorf("the dropped merchant's job = %v, want deleted", err)
	}
	if its, _ := st.Items(ctx, keep, jobs.Pending, 10); len(its) != 0 {
		t.Errorf("the dropped job's items = %+v, want gone with it", its)
	}
	get(t, st, "N", theirs)
}

func testALeaseFencesWrites(t *testing.T, handle func() jobs.DB) {
	ctx := t.Context()
	a, b := jobs.NewStore(handle()), jobs.NewStore(handle())
	id := create(t, a, jobs.Job{MerchantID: "M", Kind: jobs.Delete, Created: t0}, []jobs.Item{{CustomerID: "C0"}, {CustomerID: "C1"}, {CustomerID: "C2"}})
	la, lb := jobs.Lease{Job: id, Owner: "A"}, jobs.Lease{Job: id, Owner: "B"}
	if !claim(t, a, la, t0) {
		t.Fatal("A's claim of a free job failed")
	}
	if !claim(t, a, la, t0.Add(time.Second)) {
		t.Error("A's claim of the job it holds failed")
	}
	if claim(t, b, lb, t0.Add(20*time.Second)) {
		t.Fatal("B claimed a job A holds")
	}
	if err := a.Renew(ctx, la, t0.Add(50*time.Second)); err != nil {
		t.Fatalf("A's Renew = %v", err)
	}
	if claim(t, b, lb, t0.Add(40*time.Second)) {
		t.Fatal("B claimed a job whose lease A renewed")
	}
	if err := a.Mark(ctx, la, 0, jobs.Done, ""); err != nil {
		t.Fatal(err)
	}
	// A stops renewing; once its lease ran out, B takes the job over.
	if !claim(t, b, lb, t0.Add(51*time.Second)) {
		t.Fatal("B could not claim a job whose lease ran out")
	}
	if err := a.Renew(ctx, la, t0.Add(time.Minute)); !errors.Is(err, jobs.ErrLeaseLost) {
		t.Errorf("A's Renew after the takeover = %v, want ErrLeaseLost", err)
	}
	if err := a.Mark(ctx, la, 1, jobs.Done, ""); !errors.Is(err, jobs.ErrLeaseLost) {
		t.Errorf("A's Mark after the takeover = %v, want ErrLeaseLost", err)
	}
	if err := a.Finish(ctx, la, t0.Add(time.Minute)); !errors.Is(err, jobs.ErrLeaseLost) {
		t.Errorf("A's Finish after the takeover = %v, want ErrLeaseLost", err)
	}
	if err := a.Release(ctx, la); err != nil {
		t.Fatal(err)
	}
	if j := get(t, b, "M", id); j.Owner != "B" || j.Done != 1 || !j.Running() {
		t.Fatalf("after A's refused writes the job = %+v, want B's, 1 done and running", j)
	}
	if err := b.Mark(ctx, lb, 1, jobs.Failed, "gone"); err != nil {
		t.Errorf("B's Mark = %v", err)
	}
	// B leaves (a shutdown): anyone may claim the job at once.
	if err := b.Release(ctx, lb); err != nil {
		t.Fatal(err)
	}
	if !claim(t, a, la, t0.Add(52*time.Second)) {
		t.Error("A could not claim a released job")
	}
	if err := a.Finish(ctx, la, t0.Add(time.Minute)); err != nil {
		t.Errorf("A's Finish = %v", err)
	}
	if err := a.Renew(ctx, la, t0.Add(2*time.Minute)); !errors.Is(err, jobs.ErrLeaseLost) {
		t.Errorf("Renew of a finished job = %v, want ErrLeaseLost", err)
	}
}

func testOneClaimWins(t *testing.T, handle func() jobs.DB) {
	const replicas, rounds = 8, 20
	stores := make([]*jobs.Store, replicas)
	for i := range stores {
		stores[i] = jobs.NewStore(handle())
	}
	for round := range rounds {
		id := create(t, stores[0], jobs.Job{MerchantID: "M", Kind: jobs.Delete, Created: t0}, []jobs.Item{{CustomerID: "C"}})
		var won atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, st := range stores {
			wg.Go(func() {
				<-start
				ok, err := st.Claim(context.Background(), jobs.Lease{Job: id, Owner: fmt.Sprint("R", i)}, t0, t0.Add(30*time.Second))
				if err != nil {
					t.Errorf("Claim: %v", err)
				}
				if ok {
					won.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := won.Load(); n != 1 {
			t.Fatalf("round %d: %d of %d replicas claimed the job, want exactly 1", round, n, replicas)
		}
	}
}

// lends is every merchant's token, as a signed-in session would lend it.
type lends string

func (l lends) LiveTokens(_ context.Context, merchantID string) (map[string]string, error) {
	return map[string]string{merchantID: string(l)}, nil
}

// replica is a runner with a store connection of its own, named name.
func (e *env) replica(name string, o jobs.Options, wrap func(jobs.API) jobs.API) *jobs.Runner {
	o.Replica = name
	return jobs.NewRunner(jobs.NewStore(e.handle()), lends(e.token), func(tok string) jobs.API {
		var api jobs.API = e.sq.WithAccessToken(tok).Customers
		if wrap != nil {
			api = wrap(api)
		}
		return api
	}, o)
}

func testOneRunnerRunsIt(t *testing.T, handle func() jobs.DB) {
	e := newEnvOn(t, -1, handle)
	items := e.customers(t, 60)
	g, err := e.sq.Customers.CreateGroup(t.Context(), "", "Once")
	if err != nil {
		t.Fatal(err)
	}
	id := e.job(t, jobs.AddToGroup, g.ID, items)
	runners := make([]*jobs.Runner, 4)
	for i := range runners {
		runners[i] = e.replica(fmt.Sprint("R", i), jobs.Options{}, nil)
	}
	var started atomic.Int32
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Go(func() {
			if r.Start(id, e.token) {
				started.Add(1)
			}
		})
	}
	wg.Wait()
	for _, r := range runners {
		r.Wait()
	}
	if n := started.Load(); n != 1 {
		t.Errorf("%d of 4 runners started the job, want exactly 1", n)
	}
	if j := get(t, e.st, e.merchant, id); j.Running() || j.Done != 60 {
		t.Errorf("job = %+v, want 60 done and finished", j)
	}
	if n := e.emu.CountCalls(callAdd, 0); n != 60 {
		t.Errorf("AddGroupToCustomer calls = %d, want 60 (none twice)", n)
	}
}

// stall lets the first after calls through, then holds the next one back
// from Square until the run's context ends, as a replica that froze
// mid-job; with answerLost, that call reaches Square and its answer is
// lost instead.
type stall struct {
	jobs.API
	after      int32
	answerLost bool
	n          atomic.Int32
	stalled    chan struct{}
	once       sync.Once
}

func newStall(after int32, answerLost bool) *stall {
	return &stall{after: after, answerLost: answerLost, stalled: make(chan struct{})}
}

func (s *stall) hold(ctx context.Context) error {
	s.once.Do(func() { close(s.stalled) })
	<-ctx.Done()
	return ctx.Err()
}

func (s *stall) AddToGroup(ctx context.Context, c, g string) error {
	if s.n.Add(1) > s.after {
		return s.hold(ctx)
	}
	return s.API.AddToGroup(ctx, c, g)
}

func (s *stall) BulkCreate(ctx context.Context, m map[string]square.CreateCustomerRequest) (map[string]square.BulkResult, error) {
	n := s.n.Add(1)
	if n <= s.after {
		return s.API.BulkCreate(ctx, m)
	}
	if s.answerLost {
		_, _ = s.API.BulkCreate(ctx, m)
	}
	return nil, s.hold(ctx)
}

func waitFor(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// waitStopped waits for a runner's jobs to end.
func waitStopped(t *testing.T, r *jobs.Runner) {
	t.Helper()
	done := make(chan struct{})
	go func() { r.Wait(); close(done) }()
	waitFor(t, "the runner to stop", done)
}

// frozen is the clock of a replica that stopped renewing its lease: its
// renewals never move the lease past the time it claimed the job at plus
// one lease.
func frozen(at time.Time) func() time.Time { return func() time.Time { return at } }

func testTakeOverRedoesNothing(t *testing.T, handle func() jobs.DB) {
	e := newEnvOn(t, -1, handle)
	items := e.customers(t, 60)
	g, _ := e.sq.Customers.CreateGroup(t.Context(), "", "Taken over")
	id := e.job(t, jobs.AddToGroup, g.ID, items)
	start := time.Now()

	// A does 25 customers, then freezes with its lease running out.
	st := newStall(25, false)
	a := e.replica("A", jobs.Options{Workers: 1, Lease: 150 * time.Millisecond, Now: frozen(start)}, func(api jobs.API) jobs.API { st.API = api; return st })
	if !a.Start(id, e.token) {
		t.Fatal("A did not start the job")
	}
	waitFor(t, "A to freeze", st.stalled)
	j := get(t, e.st, e.merchant, id)
	if j.Done != 25 || j.Owner != "A" {
		t.Fatalf("when A froze the job = %+v, want 25 done, held by A", j)
	}
	// Seen before A's lease ran out, the job runs elsewhere.
	if c := e.replica("C", jobs.Options{Now: frozen(start)}, nil); !c.Elsewhere(j) || a.Elsewhere(j) {
		t.Errorf("Elsewhere of A's job = %v from C, %v from A; want true, false", c.Elsewhere(j), a.Elsewhere(j))
	}

	// B, whose clock is past A's lease, takes the job over and ends it.
	b := e.replica("B", jobs.Options{Now: func() time.Time { return time.Now().Add(time.Minute) }}, nil)
	if b.Elsewhere(j) {
		t.Error("B sees A's job as running elsewhere after A's lease ran out")
	}
	if !b.Start(id, e.token) {
		t.Fatal("B could not take over a job whose lease ran out")
	}
	waitStopped(t, b)
	// A finds its lease lost at its next renewal and stops without
	// sending the call it held back.
	waitStopped(t, a)
	if a.Running(id) {
		t.Error("A still runs the job")
	}
	j = get(t, e.st, e.merchant, id)
	if j.Running() || j.Done != 60 || j.Failed != 0 || j.Owner != "B" {
		t.Errorf("job = %+v, want finished by B with 60 done", j)
	}
	if n := e.emu.CountCalls(callAdd, 0); n != 60 {
		t.Errorf("AddGroupToCustomer calls = %d, want 60: the 25 A did were not redone", n)
	}
}

func testImportTakeOver(t *testing.T, handle func() jobs.DB) {
	e := newEnvOn(t, -1, handle)
	id := e.importJob(t, "takeover", importRows(500, "takeover"))
	start := time.Now()
	// A's third call of 100 creates its customers at Square, and A
	// freezes before it hears the answer.
	st := newStall(2, true)
	a := e.replica("A", jobs.Options{Workers: 1, Sleep: instant, Lease: 150 * time.Millisecond, Now: frozen(start)}, func(api jobs.API) jobs.API { st.API = api; return st })
	a.Start(id, e.token)
	waitFor(t, "A to freeze", st.stalled)
	if j := get(t, e.st, e.merchant, id); j.Done != 200 {
		t.Fatalf("when A froze the import = %+v, want 200 done", j)
	}
	if got := e.count(t); got != 300 {
		t.Fatalf("Square holds %d when A froze, want 300 (its third call reached Square)", got)
	}
	b := e.replica("B", jobs.Options{Sleep: instant, Now: func() time.Time { return time.Now().Add(time.Minute) }}, nil)
	if !b.Start(id, e.token) {
		t.Fatal("B could not take over the import")
	}
	waitStopped(t, b)
	waitStopped(t, a)
	// B sent the rows of A's lost answer again with their idempotency
	// keys, and Square answered with the customers it had made.
	e.checkSettled(t, id, 500)
	if n := e.emu.CountCalls(callBulkCreate, 0); n != 6 {
		t.Errorf("BulkCreateCustomers calls = %d, want 6 (3 by A, 3 by B for the 300 it found pending)", n)
	}
}

func testLiveReplicaTakesOver(t *testing.T, handle func() jobs.DB) {
	e := newEnvOn(t, -1, handle)
	items := e.customers(t, 30)
	g, _ := e.sq.Customers.CreateGroup(t.Context(), "", "Dead replica")
	id := e.job(t, jobs.AddToGroup, g.ID, items)
	const lease = 400 * time.Millisecond
	claimed := time.Now()
	st := newStall(10, false)
	a := e.replica("A", jobs.Options{Workers: 1, Lease: lease, Now: frozen(claimed)}, func(api jobs.API) jobs.API { st.API = api; return st })
	a.Start(id, e.token)
	waitFor(t, "A to freeze", st.stalled)

	// B runs as a replica does, claiming what is free every half lease.
	b := e.replica("B", jobs.Options{Lease: lease}, nil)
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { b.Run(ctx); close(stopped) }()
	defer func() { stop(); waitFor(t, "B's Run to return", stopped) }()
	var takenOver time.Duration
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		j := get(t, e.st, e.merchant, id)
		if j.Owner == "B" && takenOver == 0 {
			takenOver = time.Since(claimed)
		}
		if !j.Running() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B did not finish A's job: %+v", j)
		}
	}
	t.Logf("B took the job over %v after A claimed it (a lease of %v that A never moved on)", takenOver, lease)
	// The lease runs out at lease, and B looks every lease/2; the rest is
	// slack for a loaded machine.
	if limit := lease*3/2 + 600*time.Millisecond; takenOver > limit {
		t.Errorf("B took the job over after %v, want within %v", takenOver, limit)
	}
	waitStopped(t, a)
	if j := get(t, e.st, e.merchant, id); j.Done != 30 {
		t.Errorf("job = %+v, want 30 done", j)
	}
	if n := e.emu.CountCalls(callAdd, 0); n != 30 {
		t.Errorf("AddGroupToCustomer calls = %d, want 30", n)
	}
}

func testShutdownReleases(t *testing.T, handle func() jobs.DB) {
	e := newEnvOn(t, -1, handle)
	items := e.customers(t, 20)
	g, _ := e.sq.Customers.CreateGroup(t.Context(), "", "Shut down")
	id := e.job(t, jobs.AddToGroup, g.ID, items)
	st := newStall(5, false)
	a := e.replica("A", jobs.Options{Workers: 1}, func(api jobs.API) jobs.API { st.API = api; return st })
	a.Start(id, e.token)
	waitFor(t, "A to reach its sixth customer", st.stalled)
	a.Stop()
	waitStopped(t, a)
	if j := get(t, e.st, e.merchant, id); j.Owner != "" || j.Done != 5 {
		t.Fatalf("after A shut down the job = %+v, want 5 done and free", j)
	}
	// B claims it at once, with its lease of 30 s unexpired.
	b := e.replica("B", jobs.Options{}, nil)
	if !b.Start(id, e.token) {
		t.Fatal("B could not claim the job A released")
	}
	waitStopped(t, b)
	if j := get(t, e.st, e.merchant, id); j.Running() || j.Done != 20 {
		t.Errorf("job = %+v, want 20 done and finished", j)
	}
	if n := e.emu.CountCalls(callAdd, 0); n != 20 {
		t.Errorf("AddGroupToCustomer calls = %d, want 20", n)
	}
}

// cutOffDB is a replica's connection to the database, which the test cuts
// off as a network partition would: every statement fails from then on.
type cutOffDB struct {
	jobs.DB
	off  atomic.Bool
	dead *sql.DB
}

func newCutOffDB(t *testing.T, db jobs.DB) *cutOffDB {
	dead, err := sql.Open("sqlite", "")
	if err != nil {
		t.Fatal(err)
	}
	_ = dead.Close()
	return &cutOffDB{DB: db, dead: dead}
}

func (c *cutOffDB) Writer() *sql.DB {
	if c.off.Load() {
		return c.dead
	}
	return c.DB.Writer()
}

func (c *cutOffDB) Reader() *sql.DB {
	if c.off.Load() {
		return c.dead
	}
	return c.DB.Reader()
}

func testCutOffStops(t *testing.T, handle func() jobs.DB) {
	e := newEnvOn(t, -1, handle)
	items := e.customers(t, 20)
	g, _ := e.sq.Customers.CreateGroup(t.Context(), "", "Cut off")
	id := e.job(t, jobs.AddToGroup, g.ID, items)
	const lease = 600 * time.Millisecond
	conn := newCutOffDB(t, handle())
	st := newStall(5, false)
	a := jobs.NewRunner(jobs.NewStore(conn), lends(e.token), func(tok string) jobs.API {
		st.API = e.sq.WithAccessToken(tok).Customers
		return st
	}, jobs.Options{Workers: 1, Lease: lease, Replica: "A"})
	a.Start(id, e.token)
	waitFor(t, "A to reach its sixth customer", st.stalled)
	j := get(t, e.st, e.merchant, id)
	conn.off.Store(true)
	// A cannot renew; it stops, without sending the customer it held
	// back, before its lease runs out and another replica may claim it.
	waitStopped(t, a)
	if stopped := time.Now(); !stopped.Before(j.LeaseUntil.Add(lease / 3)) {
		t.Errorf("A stopped %v after its lease ran out, want before", stopped.Sub(j.LeaseUntil))
	}
	b := e.replica("B", jobs.Options{Lease: lease}, nil)
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { b.Run(ctx); close(stopped) }()
	defer func() { stop(); waitFor(t, "B's Run to return", stopped) }()
	for deadline := time.Now().Add(20 * time.Second); get(t, e.st, e.merchant, id).Running(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("B did not finish the job A was cut off from")
		}
	}
	if j := get(t, e.st, e.merchant, id); j.Done != 20 || j.Owner != "B" {
		t.Errorf("job = %+v, want 20 done by B", j)
	}
	if n := e.emu.CountCalls(callAdd, 0); n != 20 {
		t.Errorf("AddGroupToCustomer calls = %d, want 20", n)
	}
}
