package live

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// memBus is a log in memory with the contract of Bus, for the broker's own
// logic; internal/store/postgres tests the real one with two brokers.
type memBus struct {
	mu        sync.Mutex
	log       []Entry
	last      int64
	failing   int                          // appends still to fail
	listeners map[chan struct{}]chan error // wake → cut
}

func newMemBus() *memBus { return &memBus{listeners: map[chan struct{}]chan error{}} }

func (m *memBus) Append(_ context.Context, entries ...Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failing > 0 {
		m.failing--
		return errors.New("the log is away")
	}
	for _, en := range entries {
		m.last = max(m.last+1, time.Now().UnixMicro())
		en.Event.ID = m.last
		m.log = append(m.log, en)
	}
	for w := range m.listeners {
		select {
		case w <- struct{}{}:
		default:
		}
	}
	return nil
}

func (m *memBus) Read(_ context.Context, merchantID string, after int64, limit int) ([]Entry, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if after > m.last {
		return nil, false, nil
	}
	var out []Entry
	for _, en := range m.log {
		if en.Event.ID > after && (merchantID == "" || en.MerchantID == merchantID) && len(out) < limit {
			out = append(out, en)
		}
	}
	return out, true, nil
}

func (m *memBus) Head(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last, nil
}

func (m *memBus) Listen(ctx context.Context, ready, wake func()) error {
	w, cut := make(chan struct{}, 1), make(chan error, 1)
	m.mu.Lock()
	m.listeners[w] = cut
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.listeners, w)
		m.mu.Unlock()
	}()
	ready()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-cut:
			return err
		case <-w:
			wake()
		}
	}
}

// cutAll ends every listening connection, as a restart of the server
// would.
func (m *memBus) cutAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for w, cut := range m.listeners {
		cut <- errors.New("connection lost")
		delete(m.listeners, w)
	}
}

func runBroker(t *testing.T, b *Broker) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		b.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-b.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the broker does not follow its bus")
	}
}

// recvWithin is recv with room for the round trip through the log.
func recvWithin(t *testing.T, s *Stream) Event {
	t.Helper()
	select {
	case e := <-s.Events():
		return e
	case <-s.Reset():
		t.Fatal("reset, want an event")
	case <-time.After(10 * time.Second):
		t.Fatal("no event in time")
	}
	return Event{}
}

func TestWithoutABusRunReturnsAndTheBrokerIsReady(t *testing.T) {
	b := New(Options{})
	b.Run(context.Background())
	select {
	case <-b.Ready():
	default:
		t.Error("a broker without a bus is not ready")
	}
}

func TestWithABusEventsReachEveryBrokerThroughTheLog(t *testing.T) {
	bus := newMemBus()
	a, b := New(Options{Bus: bus}), New(Options{Bus: bus})
	runBroker(t, a)
	runBroker(t, b)
	onA, _, _ := a.Subscribe("M", "sa", 0)
	onB, _, _ := b.Subscribe("M", "sb", 0)
	a.Publish("M", Event{Kind: Updated, CustomerID: "C1"})
	ea, eb := recvWithin(t, onA), recvWithin(t, onB)
	if ea.ID == 0 || ea.ID != eb.ID || eb.CustomerID != "C1" {
		t.Errorf("A got %+v, B got %+v; want one event with one id", ea, eb)
	}
	// A marker of dropped events resets the streams; it is no event.
	if err := bus.Append(t.Context(), Entry{MerchantID: "M", Event: Event{Kind: gap}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-onB.Reset():
	case e := <-onB.Events():
		t.Fatalf("got %+v, want a reset", e)
	case <-time.After(10 * time.Second):
		t.Fatal("no reset for the marker")
	}
	if _, missed, lost := b.Subscribe("M", "resume", ea.ID); !lost {
		t.Errorf("resume across a marker: missed=%+v, want lost", missed)
	}
}

func TestAnAppendThatFailsIsRetriedInOrder(t *testing.T) {
	bus := newMemBus()
	bus.failing = 2
	b := New(Options{Bus: bus})
	runBroker(t, b)
	s, _, _ := b.Subscribe("M", "s", 0)
	b.Publish("M", Event{Kind: Updated, CustomerID: "C1"})
	b.Publish("M", Event{Kind: Updated, CustomerID: "C2"})
	if e1, e2 := recvWithin(t, s), recvWithin(t, s); e1.CustomerID != "C1" || e2.CustomerID != "C2" {
		t.Errorf("got %+v then %+v, want C1 then C2", e1, e2)
	}
	none(t, s)
}

func TestABrokerReconnectsAndReadsWhatItMissed(t *testing.T) {
	bus := newMemBus()
	b := New(Options{Bus: bus})
	runBroker(t, b)
	s, _, _ := b.Subscribe("M", "s", 0)
	bus.cutAll()
	// Appended while the broker may be away: no wake reaches it.
	for _, id := range []string{"C1", "C2", "C3"} {
		if err := bus.Append(t.Context(), Entry{MerchantID: "M", Event: Event{Kind: Deleted, CustomerID: id}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"C1", "C2", "C3"} {
		if e := recvWithin(t, s); e.CustomerID != want {
			t.Fatalf("got %+v, want %s", e, want)
		}
	}
	b.Publish("M", Event{Kind: Deleted, CustomerID: "C4"})
	if e := recvWithin(t, s); e.CustomerID != "C4" {
		t.Fatalf("got %+v, want C4", e)
	}
	none(t, s)
}
