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
package live

import (
	"cmp"
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
	// an id stays meaningful across the broker forgetting a merchant.
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
	// Clock gives the event ids; time.Now by default.
	Clock func() time.Time
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
	}
	if b.clock == nil {
		b.clock = time.Now
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
// to tell, and nothing is kept.
func (b *Broker) Publish(merchantID string, e Event) {
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
		select {
		case s.reset <- struct{}{}:
		default:
		}
	}
}

// Subscribe opens a stream of the merchant's events for a session (any key
// that tells one session from another). With lastID > 0 (a reconnect), the
// events after lastID come first, in Missed; if some of them are no longer
// kept, Missed is nil and Lost is true, and the page must reload its data.
// A session with the most streams allowed loses its oldest.
func (b *Broker) Subscribe(merchantID, session string, lastID int64) (s *Stream, missed []Event, lost bool) {
	s = &Stream{
		b: b, merchantID: merchantID, session: session,
		events: make(chan Event, b.queue), reset: make(chan struct{}, 1), done: make(chan struct{}),
	}
	var evicted []*Stream
	b.mu.Lock()
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
	if lastID > 0 {
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
