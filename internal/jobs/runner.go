package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/pause"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/textutil"
)

// API is what a job needs of Square, with one merchant's token.
type API interface {
	AddToGroup(ctx context.Context, customerID, groupID string) error
	RemoveFromGroup(ctx context.Context, customerID, groupID string) error
	BulkDelete(ctx context.Context, ids []string) (map[string]square.BulkResult, error)
	BulkGet(ctx context.Context, ids []string) (map[string]square.BulkResult, error)
	BulkCreate(ctx context.Context, customers map[string]square.CreateCustomerRequest) (map[string]square.BulkResult, error)
	BulkUpdate(ctx context.Context, updates map[string]square.UpdateCustomerRequest) (map[string]square.BulkResult, error)
}

// Tokens lends the access token of a signed-in session of a merchant
// (session.Manager.LiveTokens), so that a job left unfinished by a
// restart resumes without waiting for someone to open it.
type Tokens interface {
	LiveTokens(ctx context.Context, merchantID string) (map[string]string, error)
}

// Index is what a job updates of the customer index, so that the
// directory shows the change at once; webhooks would bring it later.
type Index interface {
	Put(ctx context.Context, merchantID string, c index.Customer) (bool, error)
	Delete(ctx context.Context, merchantID, customerID string, version int64, at time.Time) (bool, error)
}

// Options tune a Runner; the zero value is production's.
type Options struct {
	// Workers is how many Square calls of one job are in flight at most:
	// 4 keeps a job fast (1,000 calls of 100 ms in about 25 s) and well
	// inside Square's rate limits, leaving room for the people using
	// Tessera meanwhile.
	Workers int
	Now     func() time.Time
	Logger  *slog.Logger
	// Sleep waits; tests make it instant.
	Sleep func(ctx context.Context, d time.Duration) error
	// Index, when set, takes each change.
	Index Index
	// Replica names this process in the leases of the jobs it runs.
	// Replicas sharing a database (PostgreSQL) each need their own, which
	// is the default: one minted by NewRunner. A database that one process
	// uses alone (SQLite) may give a fixed one, so that a process started
	// after a crash takes its jobs back at once instead of after their
	// leases.
	Replica string
	// Lease is how long a job stays this replica's without a renewal. It
	// is renewed every third of it, and other replicas look for jobs whose
	// lease ran out every half of it, so a job whose replica died is taken
	// over within 1.5 leases. The default is DefaultLease.
	Lease time.Duration
}

// DefaultWorkers is Options.Workers' default.
const DefaultWorkers = 4

// DefaultLease is Options.Lease's default: a dead replica's job is taken
// over within 45 s, and a replica can miss a renewal (10 s) to a slow
// database and keep its jobs.
const DefaultLease = 30 * time.Second

// claimTimeout bounds a claim, which a job's page may wait for.
const claimTimeout = 10 * time.Second

// maxRateLimitWaits is how often an item waits out Square's Retry-After
// before it counts as failed.
const maxRateLimitWaits = 8

// batch is how many pending items are read at a time; deletes go 100
// (Square's limit) to a call.
const batch = 200

// Runner runs jobs, each at most once at a time in this process and, by
// holding a lease on it, among all the replicas sharing the store.
type Runner struct {
	store  *Store
	tokens Tokens
	client func(accessToken string) API
	o      Options

	mu      sync.Mutex
	running map[string]bool
	// base is the context of every job; Stop ends it.
	base context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// NewRunner runs the jobs of st with clients made from lent tokens.
func NewRunner(st *Store, tokens Tokens, client func(accessToken string) API, o Options) *Runner {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Sleep == nil {
		o.Sleep = pause.For
	}
	if o.Replica == "" {
		o.Replica = textutil.Token(12)
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	// Tickers need a period; a lease this short only makes sense in tests.
	o.Lease = max(o.Lease, 30*time.Millisecond)
	base, stop := context.WithCancel(context.Background())
	return &Runner{store: st, tokens: tokens, client: client, o: o, running: map[string]bool{}, base: base, stop: stop}
}

// Store is where the runner keeps its jobs.
func (r *Runner) Store() *Store { return r.store }

// Replica is the name of this runner in the jobs' leases.
func (r *Runner) Replica() string { return r.o.Replica }

// Start runs the job with the token unless it already runs here or
// another replica holds its lease. It reports whether it started it.
func (r *Runner) Start(id, accessToken string) bool {
	if accessToken == "" {
		return false
	}
	r.mu.Lock()
	if r.running[id] {
		r.mu.Unlock()
		return false
	}
	r.running[id] = true
	r.mu.Unlock()
	done := func() {
		r.mu.Lock()
		delete(r.running, id)
		r.mu.Unlock()
	}
	l := Lease{Job: id, Owner: r.o.Replica}
	now := r.o.Now()
	until := now.Add(r.o.Lease)
	cctx, cancel := context.WithTimeout(r.base, claimTimeout)
	won, err := r.store.Claim(cctx, l, now, until)
	cancel()
	if err != nil || !won {
		if err != nil && r.base.Err() == nil {
			r.o.Logger.Warn("claiming a bulk job failed; it resumes later", slog.String("job", id), slog.Any("err", err))
		}
		done()
		return false
	}
	ctx, lose := context.WithCancelCause(r.base)
	r.wg.Go(func() {
		defer done()
		holding := make(chan struct{})
		go func() {
			defer close(holding)
			r.hold(ctx, lose, l, until)
		}()
		err := r.run(ctx, l, lose, r.client(accessToken))
		lost := err != nil && (errors.Is(context.Cause(ctx), ErrLeaseLost) || errors.Is(err, ErrLeaseLost))
		lose(nil)
		<-holding
		switch {
		case lost:
			r.o.Logger.Info("another replica took a bulk job over", slog.String("job", id), slog.String("replica", r.o.Replica))
		case r.base.Err() != nil:
			// Shutting down: the others may take the job at once.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(r.base), 5*time.Second)
			defer cancel()
			if err := r.store.Release(rctx, l); err != nil {
				r.o.Logger.Warn("releasing a bulk job failed", slog.String("job", id), slog.Any("err", err))
			}
		case err != nil:
			// Paused (Square failing, the token ended): the lease runs out
			// unrenewed, and the job resumes after it, here or elsewhere,
			// or at once when its page is opened here.
			r.o.Logger.Warn("a bulk job stopped; it resumes later", slog.String("job", id), slog.Any("err", err))
		}
	})
	return true
}

// hold renews the lease every third of Options.Lease until ctx ends. It
// stops the job (lose, with ErrLeaseLost) once another replica has taken
// it over, or once renewals kept failing until the lease is about to run
// out: past that another replica may claim it, and two must not run it.
func (r *Runner) hold(ctx context.Context, lose context.CancelCauseFunc, l Lease, until time.Time) {
	every := r.o.Lease / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := r.o.Now().Add(r.o.Lease)
		// A renewal that hangs (the database unreachable) must not keep
		// the run going past its lease: it gives up in time for the check.
		rctx, cancel := context.WithTimeout(ctx, every)
		err := r.store.Renew(rctx, l, next)
		cancel()
		switch {
		case err == nil:
			until = next
		case ctx.Err() != nil:
			return
		case errors.Is(err, ErrLeaseLost):
			lose(ErrLeaseLost)
			return
		case !r.o.Now().Add(every).Before(until):
			r.o.Logger.Warn("a bulk job's lease could not be renewed; it stops before another replica may take it", slog.String("job", l.Job), slog.Any("err", err))
			lose(ErrLeaseLost)
			return
		default:
			r.o.Logger.Warn("renewing a bulk job's lease failed; trying again", slog.String("job", l.Job), slog.Any("err", err))
		}
	}
}

// Running reports whether the job runs in this process now.
func (r *Runner) Running(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[id]
}

// Elsewhere reports whether another replica holds the job's lease now, so
// that it runs there although not here.
func (r *Runner) Elsewhere(j Job) bool {
	return j.Running() && j.Owner != "" && j.Owner != r.o.Replica && j.LeaseUntil.After(r.o.Now())
}

// Wait waits for the jobs started so far to stop.
func (r *Runner) Wait() { r.wg.Wait() }

// Stop stops every job at its next item, as a shutdown does; what they
// did is kept, their leases are released, and the rest is done on
// resuming, here or by another replica at once.
func (r *Runner) Stop() { r.stop() }

// Run resumes the unfinished jobs that no other replica holds, at once
// and then every half lease (those whose replica died, whose lease ran
// out, and those whose merchant had no one signed in), and deletes old
// ones every minute, until ctx ends; then it stops the jobs, waits for
// them and releases their leases.
func (r *Runner) Run(ctx context.Context) {
	claim := time.NewTicker(r.o.Lease / 2)
	defer claim.Stop()
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	r.Resume(ctx)
	r.sweep(ctx)
	for {
		select {
		case <-ctx.Done():
			r.Stop()
			r.wg.Wait()
			return
		case <-claim.C:
			r.resume(ctx, false)
		case <-sweep.C:
			r.sweep(ctx)
		}
	}
}

func (r *Runner) sweep(ctx context.Context) {
	if _, err := r.store.Sweep(ctx, r.o.Now().Add(-Retention)); err != nil && ctx.Err() == nil {
		r.o.Logger.WarnContext(ctx, "sweeping old jobs failed", slog.Any("err", err))
	}
}

// Resume starts each unfinished job not running here that no other
// replica holds, this replica's own included (as after a restart with a
// fixed Options.Replica), with a token of its merchant's signed-in staff,
// if any.
func (r *Runner) Resume(ctx context.Context) { r.resume(ctx, true) }

// resume starts the jobs free to claim; with mine, also those whose lease
// this replica holds but does not run (a job paused here waits for its
// lease to run out, as a minute's rest before trying Square again).
func (r *Runner) resume(ctx context.Context, mine bool) {
	js, err := r.store.Unfinished(ctx)
	if err != nil {
		r.o.Logger.WarnContext(ctx, "listing unfinished jobs failed", slog.Any("err", err))
		return
	}
	now := r.o.Now()
	for _, j := range js {
		if r.Running(j.ID) {
			continue
		}
		if j.Owner != "" && !j.LeaseUntil.Before(now) && (!mine || j.Owner != r.o.Replica) {
			continue // held, and Start's claim would fail
		}
		tokens, err := r.tokens.LiveTokens(ctx, j.MerchantID)
		if err == nil && tokens[j.MerchantID] != "" {
			r.Start(j.ID, tokens[j.MerchantID])
		}
	}
}

// task is a job as one run does it: its row, its lease, and how to stop
// the run when a write finds the lease lost.
type task struct {
	Job
	lease Lease
	lose  context.CancelCauseFunc
}

// fenced passes a store write's error on, stopping the whole run if the
// lease is lost: every other write of it would be refused too.
func (t *task) fenced(err error) error {
	if errors.Is(err, ErrLeaseLost) {
		t.lose(err)
	}
	return err
}

// run does the job's pending items until none is left.
func (r *Runner) run(ctx context.Context, l Lease, lose context.CancelCauseFunc, api API) error {
	row, err := r.store.get(ctx, l.Job)
	if err != nil {
		return err
	}
	j := &task{Job: row, lease: l, lose: lose}
	if j.Kind == Import {
		return r.runImport(ctx, j, api)
	}
	for {
		items, err := r.store.Items(ctx, j.ID, Pending, batch)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return j.fenced(r.store.Finish(ctx, l, r.o.Now()))
		}
		if j.Kind == Delete {
			err = r.deleteItems(ctx, j, api, items)
		} else {
			err = r.groupItems(ctx, j, api, items)
		}
		if err != nil {
			return err
		}
	}
}

// groupItems adds or removes the items, Workers calls in flight.
func (r *Runner) groupItems(ctx context.Context, j *task, api API, items []Item) error {
	call := api.AddToGroup
	if j.Kind == RemoveFromGroup {
		call = api.RemoveFromGroup
	}
	var mu sync.Mutex
	var done []string
	err := r.each(ctx, items, func(it Item) error {
		err := r.patiently(ctx, func() error { return call(ctx, it.CustomerID, j.GroupID) })
		if err != nil && (ctx.Err() != nil || square.IsAuth(err)) {
			// Stopping, or the token ended: the item stays pending and is
			// done on resuming (doing it twice changes nothing).
			return err
		}
		state, reason := Done, ""
		if err != nil {
			state, reason = Failed, reasonOf(err)
		}
		// Recorded even when stopping: what Square did is never asked of
		// it again.
		if err := j.fenced(r.store.Mark(context.WithoutCancel(ctx), j.lease, it.Seq, state, reason)); err != nil {
			return err
		}
		if state == Done {
			mu.Lock()
			done = append(done, it.CustomerID)
			mu.Unlock()
		}
		return nil
	})
	r.reindex(ctx, j, api, done)
	return err
}

// each runs do for the items, Workers at a time. Once ctx ends it hands
// out no more items (those left stay pending). It returns, after every
// worker has ended, the first error do returned, or ctx's.
func (r *Runner) each(ctx context.Context, items []Item, do func(Item) error) error {
	next := make(chan Item)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range r.o.Workers {
		wg.Go(func() {
			for it := range next {
				if ctx.Err() != nil {
					continue
				}
				if err := do(it); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		next <- it
	}
	close(next)
	wg.Wait()
	return cmpErr(firstErr, ctx.Err())
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// patiently makes a call, waiting out Square's Retry-After when it asks
// us to slow down (the client has already retried what it safely could).
func (r *Runner) patiently(ctx context.Context, call func() error) error {
	for waits := 0; ; waits++ {
		err := call()
		if err == nil || !square.IsRateLimited(err) || waits >= maxRateLimitWaits {
			return err
		}
		wait := time.Second
		var se *square.Error
		if errors.As(err, &se) && se.RetryAfter > 0 {
			wait = se.RetryAfter
		}
		if err := r.o.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// deleteItems deletes the items 100 to a BulkDeleteCustomers call.
// Square answers each id on its own inside a 200.
func (r *Runner) deleteItems(ctx context.Context, j *task, api API, items []Item) error {
	for start := 0; start < len(items); start += square.MaxBulk {
		chunk := items[start:min(start+square.MaxBulk, len(items))]
		ids := make([]string, len(chunk))
		for i, it := range chunk {
			ids[i] = it.CustomerID
		}
		var res map[string]square.BulkResult
		err := r.patiently(ctx, func() error {
			var err error
			res, err = api.BulkDelete(ctx, ids)
			return err
		})
		if err != nil && (ctx.Err() != nil || square.IsAuth(err)) {
			return err
		}
		var deleted []string
		for _, it := range chunk {
			state, reason := Done, ""
			switch item, ok := res[it.CustomerID]; {
			case err != nil:
				state, reason = Failed, reasonOf(err)
			case !ok:
				state, reason = Failed, "Square did not answer for this customer; it may not have been deleted."
			case item.Err != nil:
				state, reason = Failed, reasonOf(item.Err)
			default:
				deleted = append(deleted, it.CustomerID)
			}
			if err := j.fenced(r.store.Mark(context.WithoutCancel(ctx), j.lease, it.Seq, state, reason)); err != nil {
				return err
			}
		}
		if r.o.Index != nil {
			ictx := index.WithOrigin(ctx, index.OriginTessera)
			for _, id := range deleted {
				if _, err := r.o.Index.Delete(ictx, j.MerchantID, id, 0, r.o.Now()); err != nil {
					r.o.Logger.WarnContext(ctx, "the index did not take a deletion", slog.Any("err", err))
				}
			}
		}
	}
	return nil
}

// reindex puts the changed customers, as Square now holds them, into the
// index: one BulkRetrieveCustomers call per 100.
func (r *Runner) reindex(ctx context.Context, j *task, api API, ids []string) {
	if r.o.Index == nil || len(ids) == 0 {
		return
	}
	ictx := index.WithOrigin(ctx, index.OriginTessera)
	for start := 0; start < len(ids); start += square.MaxBulk {
		res, err := api.BulkGet(ctx, ids[start:min(start+square.MaxBulk, len(ids))])
		if err != nil {
			r.o.Logger.WarnContext(ctx, "reading changed customers for the index failed", slog.Any("err", err))
			return
		}
		for _, b := range res {
			if b.Customer != nil {
				if _, err := r.o.Index.Put(ictx, j.MerchantID, index.FromSquare(b.Customer)); err != nil {
					r.o.Logger.WarnContext(ctx, "the index did not take a customer", slog.Any("err", err))
				}
			}
		}
	}
}

// reasonOf says in words why Square did not do an item.
func reasonOf(err error) string {
	switch {
	case square.IsNotFound(err):
		return "Not found at Square: the customer (or the group) may have been deleted."
	case square.IsVersionMismatch(err):
		return "The customer changed at Square meanwhile."
	case square.IsRateLimited(err):
		return "Square kept asking us to slow down; try this one again later."
	case square.IsAuth(err):
		return "Square refused Tessera's access; sign in again and retry."
	case errors.Is(err, context.DeadlineExceeded):
		return "Square did not answer in time; it may or may not have been done."
	}
	var se *square.Error
	if errors.As(err, &se) && se.Code != "" {
		return fmt.Sprintf("Square refused it (%s).", se.Code)
	}
	return "Square could not be reached; it may or may not have been done."
}
