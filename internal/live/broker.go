// Package live tells the open pages of a merchant about changes to its
// customers as they happen. It is an in-process broker: publishers (the
// customer index's change feed, Tessera's own card writes) hand it events,
// and each open stream (one per browser tab, see handlers' /events) gets
// those of its own merchant, in order.
//
// It never blocks a publisher: each stream has a bounded queue, and a
// stream that falls behind is told to reload its data (a reset) rather than
// holding the publisher up or growing without bound. It keeps the last
// events of each merchant with open streams, so that a stream that
// reconnects with the id of the last event it saw (Last-Event-ID) misses
// nothing; when the events it missed are no longer kept, it gets a reset.
//
// With a Bus (bus.go), the brokers of several replicas share their events
// through a log, PostgreSQL's in internal/store/postgres.
package live

import (
	"cmp"
	"log/slog"
	"sync"
	"time"
)

// Defaults of Options.
const (
	// DefaultHistory is how many of a merchant's latest events are kept for
	// streams that reconnect.
	DefaultHistory = 256
	// DefaultQueue is how many events a stream may have waiting before it
	// is reset.
	DefaultQueue = 64
	// DefaultPerSession is how many streams one session may hold open (a
	// few tabs); a new one closes its session's oldest.
	DefaultPerSession = 4
	// DefaultLinger is how long a merchant's events are kept after its last
	// stream ended: long enough for a page reload or a reconnect.
	DefaultLinger = 2 * time.Minute
)

// Kind is what happened to a customer.
type Kind string

const (
	Created Kind = "created"
	Updated Kind = "updated"
	Deleted Kind = "deleted"
	// Card is a card added to or removed from the customer.
	Card Kind = "card"
)

// Event is one change, as a stream sends it.
type Event struct {
	// ID orders a merchant's events; it is the time of publication in
	// microseconds since the Unix epoch, made strictly increasing, so that
	// an id stays meaningful across the broker forgetting a merchant. With
	// a Bus the log gives it, from its own clock, so that it is the same
	// on every replica.
	ID         int64
	Kind       Kind
	CustomerID string
	// Fields are the names of the customer's fields that changed, for
	// Updated.
	Fields []string
	// Version is the customer's version after the change, 0 if unknown.
	Version int64
	// Elsewhere is true for a change made outside Tessera (in Square).
	Elsewhere bool
}

// Options tune a Broker; the zero value takes the defaults.
type Options struct {
	History, Queue, PerSession int
	Linger                     time.Duration
	// Clock gives the event ids; time.Now by default. Unused with a Bus.
	Clock func() time.Time
	// Bus, when set, shares the events with the other replicas (see
	// bus.go); Run must then be running for any event to be delivered.
	Bus Bus
	// Outbox is how many events may wait for the Bus (DefaultOutbox).
	Outbox int
	// BusWait bounds each call to the Bus (DefaultBusWait).
	BusWait time.Duration
	// Logger hears of the Bus's failures; none by default.
	Logger *slog.Logger
}

// Broker routes events to the streams of their merchant. It is safe for
// concurrent use.
type Broker struct {
	history, queue, perSession int
	linger                     time.Duration
	clock                      func() time.Time

	mu        sync.Mutex
	lastID    int64
	merchants map[string]*merchant
	sessions  map[string][]*Stream

	// With a bus: the events waiting for it, the merchants whose events
	// the full outbox dropped (under outMu), whether Run follows the log,
	// and the last id of the log delivered (under mu).
	bus       Bus
	busWait   time.Duration
	logger    *slog.Logger
	outbox    chan Entry
	outMu     sync.Mutex
	overflow  map[string]struct{}
	following bool
	delivered int64
	ready     chan struct{}
}

// merchant is what the broker holds for one merchant with streams open (or
// closed less than Linger ago).
type merchant struct {
	streams map[*Stream]struct{}
	// ring holds the latest events, oldest first, at most history of them.
	ring []Event
	// covers is the id after which the ring holds every event: when the
	// merchant was first seen, or the id of the last event dropped.
	covers int64
	// idle runs the forgetting of the merchant once its last stream ended.
	idle *time.Timer
}

// New returns a Broker.
func New(o Options) *Broker {
	b := &Broker{
		history:    cmp.Or(o.History, DefaultHistory),
		queue:      cmp.Or(o.Queue, DefaultQueue),
		perSession: cmp.Or(o.PerSession, DefaultPerSession),
		linger:     cmp.Or(o.Linger, DefaultLinger),
		clock:      o.Clock,
		merchants:  map[string]*merchant{},
		sessions:   map[string][]*Stream{},
		bus:        o.Bus,
		busWait:    cmp.Or(o.BusWait, DefaultBusWait),
		logger:     o.Logger,
		ready:      make(chan struct{}),
	}
	if b.clock == nil {
		b.clock = time.Now
	}
	if b.logger == nil {
		b.logger = slog.New(slog.DiscardHandler)
	}
	if b.bus == nil {
		close(b.ready)
	} else {
		b.outbox = make(chan Entry, cmp.Or(o.Outbox, DefaultOutbox))
		b.overflow = map[string]struct{}{}
	}
	return b
}

// nextID returns a new event id; b.mu is held.
func (b *Broker) nextID() int64 {
	b.lastID = max(b.lastID+1, b.clock().UnixMicro())
	return b.lastID
}

// Publish sends e to every stream of the merchant, and keeps it for those
// that reconnect, giving it its id. A merchant without streams has no one
// to tell, and nothing is kept. With a Bus, e goes to the log instead,
// without waiting for it, and reaches the streams of every replica from
// there.
func (b *Broker) Publish(merchantID string, e Event) {
	if b.bus != nil {
		b.send(merchantID, e)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.merchants[merchantID]
	if m == nil {
		return
	}
	e.ID = b.nextID()
	if len(m.ring) == b.history {
		m.covers = m.ring[0].ID
		m.ring = append(m.ring[:0], m.ring[1:]...)
	}
	m.ring = append(m.ring, e)
	for s := range m.streams {
		s.offer(e)
	}
}

// Stream is one open stream's subscription.
type Stream struct {
	b          *Broker
	merchantID string
	session    string
	events     chan Event
	reset      chan struct{}
	done       chan struct{}
	closeOnce  sync.Once
	// floor is the id up to which the stream has seen the merchant's
	// events, with a Bus: the Last-Event-ID it resumed from, which the
	// log may not yet have delivered here. Held under the broker's mu.
	floor int64
}

// Events are the stream's events, in order.
func (s *Stream) Events() <-chan Event { return s.events }

// Reset is signalled when the stream fell behind and lost events: the page
// must reload what it shows. Events already queued are then stale and
// should be dropped (see Drain).
func (s *Stream) Reset() <-chan struct{} { return s.reset }

// Done is closed when the stream is closed: by Close, by a newer stream of
// its session, or by EndSession.
func (s *Stream) Done() <-chan struct{} { return s.done }

// Drain drops the queued events, after a reset.
func (s *Stream) Drain() {
	for {
		select {
		case <-s.events:
		default:
			return
		}
	}
}

// offer queues e without waiting; a full queue means a reset.
func (s *Stream) offer(e Event) {
	select {
	case s.events <- e:
	default:
		s.signalReset()
	}
}

// signalReset tells the stream it lost events, once until it reads it.
func (s *Stream) signalReset() {
	select {
	case s.reset <- struct{}{}:
	default:
	}
}

// Subscribe opens a stream of the merchant's events for a session (any key
// that tells one session from another). With lastID > 0 (a reconnect), the
// events after lastID come first, in Missed; if some of them are no longer
// kept, Missed is nil and Lost is true, and the page must reload its data.
// A session with the most streams allowed loses its oldest. With a Bus,
// Missed is read from the log, so a stream resumes on any replica; until
// Run first follows the log, a resume is Lost.
func (b *Broker) Subscribe(merchantID, session string, lastID int64) (s *Stream, missed []Event, lost bool) {
	s = &Stream{
		b: b, merchantID: merchantID, session: session,
		events: make(chan Event, b.queue), reset: make(chan struct{}, 1), done: make(chan struct{}),
	}
	var evicted []*Stream
	b.mu.Lock()
	if b.bus != nil {
		s.floor = lastID
	}
	m := b.merchants[merchantID]
	if m == nil {
		m = &merchant{streams: map[*Stream]struct{}{}, covers: b.nextID()}
		b.merchants[merchantID] = m
	}
	if m.idle != nil {
		m.idle.Stop()
		m.idle = nil
	}
	m.streams[s] = struct{}{}
	following, high := b.following, b.delivered
	switch {
	case lastID <= 0:
	case b.bus != nil:
		// Answered from the log, below, out of the lock.
	default:
		if lastID < m.covers {
			lost = true
		} else {
			for _, e := range m.ring {
				if e.ID > lastID {
					missed = append(missed, e)
				}
			}
		}
	}
	list := append(b.sessions[session], s)
	if n := len(list) - b.perSession; n > 0 {
		evicted = list[:n]
		list = list[n:]
	}
	b.sessions[session] = list
	b.mu.Unlock()
	for _, old := range evicted {
		old.Close()
	}
	if b.bus != nil && lastID > 0 {
		// Before Run follows the log, no id can be vouched for.
		lost = true
		if following {
			missed, lost = b.missedOnBus(merchantID, lastID, high)
		}
		if lost {
			b.mu.Lock()
			s.floor = 0
			b.mu.Unlock()
		}
	}
	return s, missed, lost
}

// EndSession closes every stream of a session: it signed out.
func (b *Broker) EndSession(session string) {
	b.mu.Lock()
	list := b.sessions[session]
	b.mu.Unlock()
	for _, s := range list {
		s.Close()
	}
}

// Close ends the stream; it may be called more than once.
func (s *Stream) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.b.remove(s)
	})
}

// remove forgets a closed stream, and its merchant Linger after the last
// one.
func (b *Broker) remove(s *Stream) {
	b.mu.Lock()
	defer b.mu.Unlock()
	list := b.sessions[s.session]
	for i, x := range list {
		if x == s {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(b.sessions, s.session)
	} else {
		b.sessions[s.session] = list
	}
	m := b.merchants[s.merchantID]
	if m == nil {
		return
	}
	delete(m.streams, s)
	if len(m.streams) > 0 {
		return
	}
	m.idle = time.AfterFunc(b.linger, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.merchants[s.merchantID] == m && len(m.streams) == 0 {
			delete(b.merchants, s.merchantID)
		}
	})
}

// Stats are counts for tests and the load test.
type Stats struct {
	Merchants, Streams, Sessions int
}

// Stats counts what the broker holds.
func (b *Broker) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := Stats{Merchants: len(b.merchants), Sessions: len(b.sessions)}
	for _, m := range b.merchants {
		st.Streams += len(m.streams)
	}
	return st
}
