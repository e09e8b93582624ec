package live

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tessera-dashboard/tessera/internal/pause"
)

// Several replicas: a Broker given a Bus shares its events with the
// brokers of the other replicas, so that a change seen by one replica (a
// webhook, a save) reaches the streams open on every one of them.
//
// The bus is a log. Publish appends the event to it (in the background,
// see sendLoop) and delivers nothing itself: every event, this replica's
// own included, reaches the streams through the log, read in the order of
// its ids by Run. One path for all events is what makes delivery exact: a
// broker delivers each id once (it drops any id not above the last one it
// delivered), and reading the log after the last id delivered, whenever
// the bus signals that something was appended, after a reconnection
// included, loses nothing. Should the log no longer hold what a broker
// missed, every stream of the broker is reset instead: never a silent gap.
//
// Ids are given by the log, not by each broker's clock, so they are the
// same on every replica, and a stream that resumes with Last-Event-ID on
// another replica (a load balancer moved it) is answered from the log.

// Bus is the log of events the replicas share (internal/store/postgres
// keeps one in PostgreSQL). Its methods are safe for concurrent use.
type Bus interface {
	// Append adds the events to the log, all or none, in their order,
	// each with a new id above every id given before (their ID is
	// ignored), and wakes every replica's Listen. The ids must become
	// readable in their order: no id may appear after a larger one was
	// read.
	Append(ctx context.Context, entries ...Entry) error
	// Read returns up to limit entries with ids above after, oldest
	// first; of one merchant, or of all with merchantID "". ok is false
	// when the log cannot vouch that these are all of them: entries after
	// after were pruned, or after is above any id it gave.
	Read(ctx context.Context, merchantID string, after int64, limit int) (entries []Entry, ok bool, err error)
	// Head is the last id given.
	Head(ctx context.Context) (int64, error)
	// Listen calls ready once it listens, then wake each time entries may
	// have been appended, until its connection is lost (it returns why)
	// or ctx ends. It never calls wake before ready, nor after returning.
	Listen(ctx context.Context, ready func(), wake func()) error
}

// Entry is an event of the log with its merchant.
type Entry struct {
	MerchantID string
	Event      Event
}

// gap is the kind of a marker in the log: the merchant's events were
// lost on their way to it (the outbox overflowed), so its streams must
// reset. It never reaches a stream as an event.
const gap Kind = "gap"

// Defaults of the bus options.
const (
	// DefaultOutbox is how many events may wait for the bus; beyond it
	// they are dropped and their merchant's streams reset.
	DefaultOutbox = 1024
	// DefaultBusWait bounds a call to the bus made for a stream being
	// opened.
	DefaultBusWait = 5 * time.Second
)

// Back-offs of the bus: a lost connection or a failed append is retried
// after minBackoff, doubling up to maxBackoff.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// Ready is closed once the broker delivers events: at once without a bus,
// and with one once Run first listens.
func (b *Broker) Ready() <-chan struct{} { return b.ready }

// Run follows the bus and sends it the events published here, until ctx
// ends; without a bus it returns at once. A lost connection is retried
// with a back-off, and what was appended meanwhile is read from the log.
// Events still waiting for the bus when ctx ends are dropped.
func (b *Broker) Run(ctx context.Context) {
	if b.bus == nil {
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { b.sendLoop(ctx) })
	backoff := minBackoff
	for ctx.Err() == nil {
		start := time.Now()
		err := b.followOnce(ctx)
		if ctx.Err() != nil {
			break
		}
		if time.Since(start) > maxBackoff {
			backoff = minBackoff
		}
		b.logger.WarnContext(ctx, "live: the bus connection was lost; reconnecting",
			slog.Any("err", err), slog.Duration("after", backoff))
		if pause.For(ctx, backoff) != nil {
			break
		}
		backoff = min(2*backoff, maxBackoff)
	}
	wg.Wait()
}

// followOnce listens on one connection of the bus and delivers what is
// appended, until the connection is lost.
func (b *Broker) followOnce(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wake := make(chan struct{}, 1)
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		var once sync.Once
		errc <- b.bus.Listen(ctx, func() { once.Do(func() { close(ready) }) }, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
	}()
	select {
	case <-ready:
	case err := <-errc:
		return err
	}
	// What was appended before the connection listened is read now; what
	// is appended after wakes us.
	for {
		if err := b.catchUp(ctx); err != nil {
			cancel()
			<-errc
			return err
		}
		select {
		case <-wake:
		case err := <-errc:
			return err
		}
	}
}

// readBatch is how many entries one read of the log takes.
const readBatch = 500

// catchUp delivers what the log holds after the last id delivered. The
// first time, it starts from the log's head.
func (b *Broker) catchUp(ctx context.Context) error {
	b.mu.Lock()
	following, cursor := b.following, b.delivered
	b.mu.Unlock()
	if !following {
		head, err := b.bus.Head(ctx)
		if err != nil {
			return err
		}
		b.resync(head)
		return nil
	}
	for {
		entries, ok, err := b.bus.Read(ctx, "", cursor, readBatch)
		if err != nil {
			return err
		}
		if !ok {
			// What this replica missed is no longer kept: its streams
			// reload, and it goes on from the head.
			head, err := b.bus.Head(ctx)
			if err != nil {
				return err
			}
			b.logger.WarnContext(ctx, "live: events were pruned before this replica read them; its streams reset")
			b.resync(head)
			return nil
		}
		for _, en := range entries {
			b.deliver(en)
		}
		if len(entries) < readBatch {
			return nil
		}
		cursor = entries[len(entries)-1].Event.ID
	}
}

// resync makes the broker follow the log from head, resetting every
// stream: it may have missed events before.
func (b *Broker) resync(head int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.delivered = max(b.delivered, head)
	for _, m := range b.merchants {
		for s := range m.streams {
			s.floor = 0
			s.signalReset()
		}
	}
	if !b.following {
		b.following = true
		close(b.ready)
	}
}

// deliver hands an entry of the log to the streams of its merchant.
func (b *Broker) deliver(en Entry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := en.Event
	if e.ID <= b.delivered {
		return
	}
	b.delivered = e.ID
	m := b.merchants[en.MerchantID]
	if m == nil {
		return
	}
	for s := range m.streams {
		switch {
		case e.Kind == gap:
			s.signalReset()
		case e.ID > s.floor:
			s.offer(e)
		}
	}
}

// send queues an event for the bus without waiting; a full outbox drops
// it and marks its merchant for a gap marker.
func (b *Broker) send(merchantID string, e Event) {
	select {
	case b.outbox <- Entry{MerchantID: merchantID, Event: e}:
	default:
		b.outMu.Lock()
		b.overflow[merchantID] = struct{}{}
		b.outMu.Unlock()
	}
}

// appendBatch is the most events one append takes: the events waiting
// go to the log together, in one round trip.
const appendBatch = 256

// sendLoop appends the queued events to the log, in order, each batch
// retried until it is taken; after an overflow, it appends a gap marker
// for each merchant whose events were dropped, so that every replica
// resets their streams.
func (b *Broker) sendLoop(ctx context.Context) {
	batch := make([]Entry, 0, appendBatch)
	for {
		select {
		case <-ctx.Done():
			return
		case en := <-b.outbox:
			batch = append(batch[:0], en)
		}
	more:
		for len(batch) < appendBatch {
			select {
			case en := <-b.outbox:
				batch = append(batch, en)
			default:
				break more
			}
		}
		if !b.appendRetrying(ctx, batch) {
			return
		}
		b.outMu.Lock()
		dropped := b.overflow
		if len(dropped) > 0 {
			b.overflow = map[string]struct{}{}
		}
		b.outMu.Unlock()
		if len(dropped) > 0 {
			b.logger.WarnContext(ctx, "live: the outbox was full and dropped events; their merchants' streams reset",
				slog.Int("merchants", len(dropped)))
		}
		batch = batch[:0]
		for merchantID := range dropped {
			batch = append(batch, Entry{MerchantID: merchantID, Event: Event{Kind: gap}})
		}
		if len(batch) > 0 && !b.appendRetrying(ctx, batch) {
			return
		}
	}
}

// appendRetrying appends the entries, retrying with a back-off; it is
// false when ctx ended first. An append whose outcome was unknown (the
// connection broke during its commit) may so be taken twice, under new
// ids: pages fetch the customers twice, which is harmless.
func (b *Broker) appendRetrying(ctx context.Context, entries []Entry) bool {
	backoff := minBackoff
	for {
		actx, cancel := context.WithTimeout(ctx, b.busWait)
		err := b.bus.Append(actx, entries...)
		cancel()
		if err == nil {
			return true
		}
		b.logger.WarnContext(ctx, "live: appending an event to the bus failed; retrying",
			slog.Any("err", err), slog.Duration("after", backoff))
		if pause.For(ctx, backoff) != nil {
			return false
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// missedOnBus answers a stream resuming after lastID from the log: the
// merchant's events after lastID up to high, the last id this broker had
// delivered when the stream was registered (later ones reach the stream
// through deliver). lost is true when the log cannot vouch for them, when
// they are more than the history a broker keeps, or when a gap marker is
// among them.
func (b *Broker) missedOnBus(merchantID string, lastID, high int64) (missed []Event, lost bool) {
	ctx, cancel := context.WithTimeout(context.Background(), b.busWait)
	defer cancel()
	entries, ok, err := b.bus.Read(ctx, merchantID, lastID, b.history+1)
	if err != nil || !ok {
		return nil, true
	}
	for _, en := range entries {
		if en.Event.ID > high {
			break
		}
		if en.Event.Kind == gap || len(missed) == b.history {
			return nil, true
		}
		missed = append(missed, en.Event)
	}
	return missed, false
}
