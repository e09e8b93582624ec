package indexsync

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// Tokens lends, for each merchant with staff signed in, the access token of
// one of their sessions (session.Manager.LiveTokens). The runner reads
// Square with it and never refreshes it.
type Tokens interface {
	LiveTokens(ctx context.Context, merchantID string) (map[string]string, error)
}

// RunnerOptions configure a Runner; a zero field takes its default.
type RunnerOptions struct {
	// Every is how often the merchants with staff signed in are synced:
	// their first full sync carried on, or an incremental sync.
	Every time.Duration
	// ReconcileEvery is how often a merchant's ids are reconciled.
	ReconcileEvery time.Duration
	Logger         *slog.Logger
	// Now is the clock, time.Now by default.
	Now func() time.Time
	// Exclusive, when set, runs a merchant's sync only where no other
	// replica runs one (postgres.DB.Exclusive): held is false when another
	// does, and this replica leaves it to them. Without it (SQLite, one
	// process) the runner's own bookkeeping is enough.
	Exclusive func(ctx context.Context, key string, fn func(context.Context) error) (held bool, err error)
}

// Default intervals.
const (
	DefaultEvery          = time.Minute
	DefaultReconcileEvery = time.Hour
)

// Runner keeps the index of every merchant whose staff are signed in up to
// date: a full sync at the first sign-in (carried on after a restart), then
// an incremental sync every minute and a reconcile every hour, while anyone
// of that merchant is signed in. A merchant with nobody signed in is not
// synced; webhooks still reach its index.
type Runner struct {
	syncer *Syncer
	tokens Tokens
	client func(accessToken string) Customers
	every  time.Duration
	recon  time.Duration
	now    func() time.Time
	log    *slog.Logger
	kicks  chan string
	excl   func(context.Context, string, func(context.Context) error) (bool, error)

	mu   sync.Mutex
	busy map[string]bool
	wg   sync.WaitGroup
}

// NewRunner returns a Runner syncing with s, reading Square as client
// builds it from a lent token.
func NewRunner(s *Syncer, tokens Tokens, client func(accessToken string) Customers, o RunnerOptions) *Runner {
	r := &Runner{
		syncer: s, tokens: tokens, client: client, every: o.Every, recon: o.ReconcileEvery, now: o.Now, log: o.Logger,
		kicks: make(chan string, 64), busy: map[string]bool{}, excl: o.Exclusive,
	}
	if r.every <= 0 {
		r.every = DefaultEvery
	}
	if r.recon <= 0 {
		r.recon = DefaultReconcileEvery
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r
}

// Kick asks for the merchant's sync now, as after a sign-in. It never
// blocks: a kick that finds the queue full is dropped, and the next tick
// does the same work.
func (r *Runner) Kick(merchantID string) {
	select {
	case r.kicks <- merchantID:
	default:
	}
}

// Run syncs until ctx ends, then waits for the syncs under way to stop.
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTicker(r.every)
	defer t.Stop()
	defer r.wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-r.kicks:
			r.start(ctx, id)
		case <-t.C:
			tokens, err := r.tokens.LiveTokens(ctx, "")
			if err != nil {
				r.log.WarnContext(ctx, "the index sync could not list the signed-in merchants", slog.Any("err", err))
				continue
			}
			for id := range tokens {
				r.start(ctx, id)
			}
		}
	}
}

// start runs the merchant's sync in the background unless one is running.
func (r *Runner) start(ctx context.Context, merchantID string) {
	r.mu.Lock()
	if r.busy[merchantID] {
		r.mu.Unlock()
		return
	}
	r.busy[merchantID] = true
	r.mu.Unlock()
	r.wg.Go(func() {
		defer func() {
			r.mu.Lock()
			delete(r.busy, merchantID)
			r.mu.Unlock()
		}()
		if r.excl == nil {
			r.syncOnce(ctx, merchantID)
			return
		}
		held, err := r.excl(ctx, "tessera:indexsync:"+merchantID, func(ctx context.Context) error {
			r.syncOnce(ctx, merchantID)
			return nil
		})
		if err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "the index sync could not take its lock; it tries again at the next tick", slog.String("merchant", merchantID), slog.Any("err", err))
		} else if !held {
			r.log.DebugContext(ctx, "another replica is syncing the index", slog.String("merchant", merchantID))
		}
	})
}

// syncOnce does what the merchant's index needs now: carry on with its
// full sync, or else read what changed, and reconcile when it is due.
func (r *Runner) syncOnce(ctx context.Context, merchantID string) {
	tokens, err := r.tokens.LiveTokens(ctx, merchantID)
	if err != nil || tokens[merchantID] == "" {
		return // nobody of that merchant is signed in any more
	}
	sq := r.client(tokens[merchantID])
	st, err := r.syncer.index.SyncState(ctx, merchantID)
	if err != nil {
		r.log.WarnContext(ctx, "the index sync could not read its state", slog.String("merchant", merchantID), slog.Any("err", err))
		return
	}
	if !st.Ready() {
		if err := r.syncer.Full(ctx, merchantID, sq); err != nil {
			r.failed(ctx, merchantID, "full", err)
			return
		}
		r.log.InfoContext(ctx, "the customer index is ready", slog.String("merchant", merchantID))
		return
	}
	if err := r.syncer.Incremental(ctx, merchantID, sq); err != nil {
		r.failed(ctx, merchantID, "incremental", err)
		return
	}
	if r.now().Sub(st.LastReconcile) >= r.recon {
		if err := r.syncer.Reconcile(ctx, merchantID, sq); err != nil {
			r.failed(ctx, merchantID, "reconcile", err)
		}
	}
}

// failed logs a sync that stopped; the next tick carries on from where it
// stopped, with whatever token is live then.
func (r *Runner) failed(ctx context.Context, merchantID, kind string, err error) {
	if ctx.Err() != nil {
		return
	}
	level := slog.LevelWarn
	if square.IsAuth(err) {
		// The lent token ended (sign-out, revocation); another session's
		// token, or the next sign-in, takes over.
		level = slog.LevelInfo
	}
	r.log.Log(ctx, level, "the index sync stopped; it carries on at the next tick",
		slog.String("merchant", merchantID), slog.String("sync", kind), slog.Any("err", err))
}

// Rebuild starts a new full sync of the merchant's index, which serves
// again once the sync completes; until then the directory reads Square.
func (r *Runner) Rebuild(ctx context.Context, merchantID string) error {
	if err := r.syncer.Restart(ctx, merchantID); err != nil {
		return err
	}
	r.Kick(merchantID)
	return nil
}
