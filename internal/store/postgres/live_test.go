package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tessera-dashboard/tessera/internal/live"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
)

// Two brokers on one database stand for two replicas. Waits are generous
// (the machine is shared); nothing is asserted by sleeping.
const liveWait = 20 * time.Second

type replica struct {
	bus    *LiveBus
	broker *live.Broker
}

// newReplica opens the database and a broker on its log, not yet running.
func newReplica(t *testing.T, url string, o live.Options, lo LiveOptions) *replica {
	t.Helper()
	bus := openTest(t, url).LiveBus(lo)
	o.Bus = bus
	return &replica{bus: bus, broker: live.New(o)}
}

// run runs the broker until the test ends, and waits until it follows the
// log.
func (r *replica) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		r.broker.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-r.broker.Ready():
	case <-time.After(liveWait):
		t.Fatal("the broker does not follow the log")
	}
}

func startReplica(t *testing.T, url string, o live.Options) *replica {
	t.Helper()
	r := newReplica(t, url, o, LiveOptions{})
	r.run(t)
	return r
}

func recvEvent(t *testing.T, s *live.Stream) live.Event {
	t.Helper()
	// An event queued before a reset was signalled comes first.
	select {
	case e := <-s.Events():
		return e
	default:
	}
	select {
	case e := <-s.Events():
		return e
	case <-s.Reset():
		t.Fatal("the stream was reset, want an event")
	case <-time.After(liveWait):
		t.Fatal("no event in time")
	}
	return live.Event{}
}

// recvCustomers receives one event per customer id, in that order.
func recvCustomers(t *testing.T, s *live.Stream, ids ...string) []live.Event {
	t.Helper()
	var out []live.Event
	for _, id := range ids {
		e := recvEvent(t, s)
		if e.CustomerID != id {
			t.Fatalf("got an event of %q (id %d), want one of %q; so far %+v", e.CustomerID, e.ID, id, out)
		}
		if len(out) > 0 && e.ID <= out[len(out)-1].ID {
			t.Fatalf("id %d after %d, want it larger", e.ID, out[len(out)-1].ID)
		}
		out = append(out, e)
	}
	return out
}

func noEvent(t *testing.T, s *live.Stream) {
	t.Helper()
	select {
	case e := <-s.Events():
		t.Fatalf("got %+v, want no event", e)
	case <-s.Reset():
		t.Fatal("got a reset, want nothing")
	default:
	}
}

func publish(r *replica, merchantID string, ids ...string) {
	for _, id := range ids {
		r.broker.Publish(merchantID, live.Event{Kind: live.Updated, CustomerID: id, Fields: []string{"note"}, Version: 3})
	}
}

func TestAnEventOnOneReplicaReachesTheStreamsOfEveryReplicaOnce(t *testing.T) {
	url := pgtest.Database(t)
	a, b := startReplica(t, url, live.Options{}), startReplica(t, url, live.Options{})
	onA, _, _ := a.broker.Subscribe("M", "sa", 0)
	onB, _, _ := b.broker.Subscribe("M", "sb", 0)
	otherMerchant, _, _ := b.broker.Subscribe("N", "sn", 0)

	a.broker.Publish("M", live.Event{Kind: live.Updated, CustomerID: "C1", Fields: []string{"given_name", "groups"}, Version: 7, Elsewhere: true})
	gotA, gotB := recvEvent(t, onA), recvEvent(t, onB)
	want := live.Event{ID: gotA.ID, Kind: live.Updated, CustomerID: "C1", Version: 7, Elsewhere: true}
	for _, got := range []live.Event{gotA, gotB} {
		if got.ID == 0 || got.ID != want.ID || got.Kind != want.Kind || got.CustomerID != "C1" || got.Version != 7 || !got.Elsewhere ||
			len(got.Fields) != 2 || got.Fields[0] != "given_name" || got.Fields[1] != "groups" {
			t.Errorf("event = %+v, want %+v with fields given_name and groups, the same on both replicas", got, want)
		}
	}
	publish(a, "M", "C2", "C3")
	fromA := recvCustomers(t, onA, "C2", "C3")
	fromB := recvCustomers(t, onB, "C2", "C3")
	if fromA[1].ID != fromB[1].ID {
		t.Errorf("the replicas gave one event two ids: %d and %d", fromA[1].ID, fromB[1].ID)
	}
	// B's own event takes the same path as A's: it comes once, after them.
	publish(b, "M", "C4")
	recvCustomers(t, onA, "C4")
	recvCustomers(t, onB, "C4")
	noEvent(t, otherMerchant)

	// Both replicas publishing at once: every stream gets every event
	// once, in one order, the same on both.
	var wg sync.WaitGroup
	var names [2][]string
	for i, r := range []*replica{a, b} {
		for n := range 20 {
			names[i] = append(names[i], fmt.Sprintf("R%d-%d", i, n))
		}
		wg.Go(func() { publish(r, "M", names[i]...) })
	}
	wg.Wait()
	var seen [2][]live.Event
	for i, s := range []*live.Stream{onA, onB} {
		for range 40 {
			seen[i] = append(seen[i], recvEvent(t, s))
		}
	}
	for n := range 40 {
		if seen[0][n].ID != seen[1][n].ID || seen[0][n].CustomerID != seen[1][n].CustomerID {
			t.Fatalf("event %d: %+v on A, %+v on B, want one order on both", n, seen[0][n], seen[1][n])
		}
		if n > 0 && seen[0][n].ID <= seen[0][n-1].ID {
			t.Fatalf("event %d: id %d after %d", n, seen[0][n].ID, seen[0][n-1].ID)
		}
	}
	// Each replica's own events stay in its order of publishing.
	for i := range names {
		var got []string
		for _, e := range seen[0] {
			if len(e.CustomerID) > 2 && e.CustomerID[:2] == fmt.Sprintf("R%d", i) {
				got = append(got, e.CustomerID)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(names[i]) {
			t.Errorf("replica %d's events arrived as %v, want %v", i, got, names[i])
		}
	}
	publish(a, "M", "last")
	recvCustomers(t, onA, "last")
	recvCustomers(t, onB, "last")
	noEvent(t, onA)
	noEvent(t, onB)
}

// A load balancer moves a stream to another replica: it resumes there with
// the id of the last event it saw, and gets exactly the events it missed.
func TestAStreamResumesOnAnotherReplicaWithExactlyTheMissedEvents(t *testing.T) {
	url := pgtest.Database(t)
	a, b := startReplica(t, url, live.Options{}), startReplica(t, url, live.Options{})
	watch, _, _ := a.broker.Subscribe("M", "watch", 0)
	moved, _, _ := a.broker.Subscribe("M", "moved", 0)
	publish(a, "M", "C1")
	seen := recvEvent(t, moved)
	recvCustomers(t, watch, "C1")
	moved.Close()
	publish(a, "M", "C2", "C3")
	recvCustomers(t, watch, "C2", "C3")

	s, missed, lost := b.broker.Subscribe("M", "moved", seen.ID)
	if lost {
		t.Fatal("resume on B after an event of A: lost, want the missed events")
	}
	// What B had delivered when the stream came comes as missed; anything
	// later (B may lag behind A) comes on the stream, never both.
	got := missed
	for len(got) < 2 {
		got = append(got, recvEvent(t, s))
	}
	if len(got) != 2 || got[0].CustomerID != "C2" || got[1].CustomerID != "C3" {
		t.Fatalf("resume gave %+v, want C2 and C3", got)
	}
	publish(b, "M", "C4")
	recvCustomers(t, s, "C4")
	noEvent(t, s)

	// An id the log never gave (from a single process, or made up), or
	// one from before a broker followed the log, cannot be vouched for.
	if _, missed, lost := b.broker.Subscribe("M", "forged", got[1].ID+1_000_000_000); !lost || missed != nil {
		t.Errorf("resume after an id the log never gave: missed=%v lost=%t, want lost", missed, lost)
	}
	idle := newReplica(t, url, live.Options{}, LiveOptions{})
	if _, _, lost := idle.broker.Subscribe("M", "early", seen.ID); !lost {
		t.Error("resume on a broker that does not follow the log yet: lost = false, want true")
	}
}

// The listening connection dies (pg_terminate_backend): the replica
// reconnects and its streams get what was published meanwhile, from the
// log, once each.
func TestAReplicaThatLostItsConnectionCatchesUpExactly(t *testing.T) {
	url := pgtest.Database(t)
	a := startReplica(t, url, live.Options{})
	b := newReplica(t, url, live.Options{}, LiveOptions{})
	dialing, gate := make(chan struct{}, 1), make(chan struct{})
	var dials atomic.Int32
	b.bus.beforeListen = func(ctx context.Context) error {
		if dials.Add(1) == 1 {
			return nil
		}
		select {
		case dialing <- struct{}{}:
		default:
		}
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	b.run(t)
	onA, _, _ := a.broker.Subscribe("M", "sa", 0)
	onA2, _, _ := a.broker.Subscribe("M", "sa2", 0)
	onB, _, _ := b.broker.Subscribe("M", "sb", 0)
	publish(a, "M", "C1")
	recvCustomers(t, onA, "C1")
	recvCustomers(t, onA2, "C1")
	first := recvCustomers(t, onB, "C1")[0]

	terminate(t, url, b.bus.listenPID.Load())
	select {
	case <-dialing:
	case <-time.After(liveWait):
		t.Fatal("the replica did not notice its connection was gone")
	}
	publish(a, "M", "C2", "C3")
	recvCustomers(t, onA, "C2", "C3")
	// B cannot have heard of them: the notifications are lost for it.
	noEvent(t, onB)
	// A stream that moves to B meanwhile resumes there too.
	resumed, missed, lost := b.broker.Subscribe("M", "sr", first.ID)
	if lost || len(missed) != 0 {
		t.Fatalf("resume on B while it is disconnected: missed=%+v lost=%t, want the events to come on the stream", missed, lost)
	}

	// One that saw C3 on A comes to B, which has not read C2 and C3 yet:
	// they must not be sent to it again.
	ahead, missed, lost := b.broker.Subscribe("M", "sh", recvCustomers(t, onA2, "C2", "C3")[1].ID)
	if lost || len(missed) != 0 {
		t.Fatalf("resume on B after an id B has not read yet: missed=%+v lost=%t, want nothing missed", missed, lost)
	}

	close(gate)
	recvCustomers(t, onB, "C2", "C3")
	recvCustomers(t, resumed, "C2", "C3")
	publish(a, "M", "C4")
	for _, s := range []*live.Stream{onB, resumed, ahead} {
		recvCustomers(t, s, "C4")
		noEvent(t, s)
	}
}

func terminate(t *testing.T, url string, pid uint32) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var ok bool
	if err := conn.QueryRow(t.Context(), "SELECT pg_terminate_backend($1)", int32(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d) = %t, %v", pid, ok, err)
	}
}

func TestASlowStreamOnAnotherReplicaIsResetNotWaitedFor(t *testing.T) {
	url := pgtest.Database(t)
	a, b := startReplica(t, url, live.Options{}), startReplica(t, url, live.Options{Queue: 2})
	slow, _, _ := b.broker.Subscribe("M", "slow", 0)
	reader, _, _ := a.broker.Subscribe("M", "reader", 0)
	var ids []string
	for n := range 10 {
		ids = append(ids, fmt.Sprintf("C%d", n))
	}
	done := make(chan struct{})
	go func() {
		publish(a, "M", ids...)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(liveWait):
		t.Fatal("Publish waited")
	}
	recvCustomers(t, reader, ids...)
	select {
	case <-slow.Reset():
	case <-time.After(liveWait):
		t.Fatal("the stream that fell behind was not reset")
	}
	// Once it reloaded, it hears what comes next (after what may still
	// have been on its way, and further resets for it).
	slow.Drain()
	publish(a, "M", "after")
	for {
		select {
		case e := <-slow.Events():
			if e.CustomerID == "after" {
				return
			}
		case <-slow.Reset():
			slow.Drain()
		case <-time.After(liveWait):
			t.Fatal("the stream that was reset hears nothing more")
		}
	}
}

func TestOldEventsArePrunedAndAResumeBeforeThemIsLost(t *testing.T) {
	url := pgtest.Database(t)
	a := newReplica(t, url, live.Options{}, LiveOptions{Keep: time.Microsecond})
	a.run(t)
	b := newReplica(t, url, live.Options{}, LiveOptions{})
	dialing, gate := make(chan struct{}, 1), make(chan struct{})
	var dials atomic.Int32
	b.bus.beforeListen = func(ctx context.Context) error {
		if dials.Add(1) == 1 {
			return nil
		}
		select {
		case dialing <- struct{}{}:
		default:
		}
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	b.run(t)
	onA, _, _ := a.broker.Subscribe("M", "sa", 0)
	onB, _, _ := b.broker.Subscribe("M", "sb", 0)
	publish(a, "M", "C1", "C2")
	got := recvCustomers(t, onA, "C1", "C2")
	recvCustomers(t, onB, "C1", "C2")
	if err := a.bus.Prune(t.Context()); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := a.bus.db.pool.QueryRow(t.Context(), "SELECT count(*) FROM live_events").Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("rows after pruning = %d, %v; want none", rows, err)
	}
	if _, missed, lost := b.broker.Subscribe("M", "early", got[0].ID); !lost || missed != nil {
		t.Errorf("resume after a pruned event: missed=%v lost=%t, want lost", missed, lost)
	}
	// Pruning never goes past the last event: a stream that saw it missed
	// nothing.
	if _, missed, lost := b.broker.Subscribe("M", "current", got[1].ID); lost || len(missed) != 0 {
		t.Errorf("resume after the last event: missed=%v lost=%t, want nothing missed", missed, lost)
	}

	// B is away while events are published and pruned: what it missed is
	// gone, so its streams reset, and it goes on from there.
	terminate(t, url, b.bus.listenPID.Load())
	select {
	case <-dialing:
	case <-time.After(liveWait):
		t.Fatal("the replica did not notice its connection was gone")
	}
	publish(a, "M", "C3")
	recvCustomers(t, onA, "C3")
	if err := a.bus.Prune(t.Context()); err != nil {
		t.Fatal(err)
	}
	close(gate)
	select {
	case <-onB.Reset():
	case e := <-onB.Events():
		t.Fatalf("got %+v after its row was pruned, want a reset", e)
	case <-time.After(liveWait):
		t.Fatal("the stream of a replica that missed pruned events was not reset")
	}
	onB.Drain()
	publish(a, "M", "C4")
	recvCustomers(t, onB, "C4")
}

// Events that the outbox could not hold are lost; every replica's streams
// of their merchant reset, and a resume across them is lost.
func TestAnOverflowingOutboxResetsTheStreamsOfEveryReplica(t *testing.T) {
	url := pgtest.Database(t)
	b := startReplica(t, url, live.Options{})
	onB, _, _ := b.broker.Subscribe("M", "sb", 0)
	publish(b, "M", "C0")
	before := recvCustomers(t, onB, "C0")[0]
	// A's broker does not run yet: its outbox of one fills.
	a := newReplica(t, url, live.Options{Outbox: 1}, LiveOptions{})
	publish(a, "M", "C1", "C2")
	a.run(t)
	recvCustomers(t, onB, "C1")
	select {
	case <-onB.Reset():
	case e := <-onB.Events():
		t.Fatalf("got %+v, want a reset for the dropped event", e)
	case <-time.After(liveWait):
		t.Fatal("no reset for the dropped event")
	}
	if _, missed, lost := b.broker.Subscribe("M", "resume", before.ID); !lost {
		t.Errorf("resume across dropped events: missed=%+v, want lost", missed)
	}
}

// At each heartbeat a listening replica prunes the log.
func TestTheHeartbeatPrunesTheLog(t *testing.T) {
	url := pgtest.Database(t)
	a := newReplica(t, url, live.Options{}, LiveOptions{Keep: time.Microsecond, Heartbeat: 20 * time.Millisecond})
	a.run(t)
	// Appended here, not published: the broker could not be sure to read
	// it before it is pruned, with so short a Keep.
	if err := a.bus.Append(t.Context(), live.Entry{MerchantID: "M", Event: live.Event{Kind: live.Deleted, CustomerID: "C1"}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(liveWait)
	for {
		var rows int
		if err := a.bus.db.pool.QueryRow(t.Context(), "SELECT count(*) FROM live_events").Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events left long after their time", rows)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A reader from before the pruned event is told so.
	if _, ok, err := a.bus.Read(t.Context(), "", 0, 10); err != nil || ok {
		t.Errorf("Read after 0 once an event was pruned: ok=%t, %v; want not ok", ok, err)
	}
}

// A quiet listening connection survives its heartbeats: waiting for a
// notification times out, the connection is checked, and it goes on.
func TestAQuietConnectionKeepsListeningAcrossHeartbeats(t *testing.T) {
	url := pgtest.Database(t)
	a := newReplica(t, url, live.Options{}, LiveOptions{Heartbeat: 10 * time.Millisecond})
	a.run(t)
	pid := a.bus.listenPID.Load()
	s, _, _ := a.broker.Subscribe("M", "s", 0)
	publish(a, "M", "C1")
	recvCustomers(t, s, "C1")
	// Not an assertion: time for a few heartbeats to pass.
	time.Sleep(200 * time.Millisecond)
	publish(a, "M", "C2")
	recvCustomers(t, s, "C2")
	noEvent(t, s)
	if now := a.bus.listenPID.Load(); now != pid {
		t.Errorf("the listening connection changed (%d, then %d) without being lost", pid, now)
	}
}

// BenchmarkLiveOneEventAcrossReplicas is the time from Publish on one
// replica to the event on a stream of another, one event at a time.
func BenchmarkLiveOneEventAcrossReplicas(b *testing.B) {
	url := pgtest.Database(b)
	a, r := benchReplica(b, url), benchReplica(b, url)
	s, _, _ := r.broker.Subscribe("M", "s", 0)
	for b.Loop() {
		publish(a, "M", "C")
		select {
		case <-s.Events():
		case <-time.After(liveWait):
			b.Fatal("no event in time")
		}
	}
}

// BenchmarkLiveEventsAcrossReplicas is the time per event when one replica
// publishes bursts of 100: the rate at which the streams of another can be
// fed.
func BenchmarkLiveEventsAcrossReplicas(b *testing.B) {
	url := pgtest.Database(b)
	a, r := benchReplica(b, url), benchReplica(b, url)
	s, _, _ := r.broker.Subscribe("M", "s", 0)
	const burst = 100
	for b.Loop() {
		for range burst {
			publish(a, "M", "C")
		}
		for range burst {
			select {
			case <-s.Events():
			case <-s.Reset():
				b.Fatal("reset")
			case <-time.After(liveWait):
				b.Fatal("no event in time")
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*burst), "µs/event")
}

func benchReplica(b *testing.B, url string) *replica {
	db, err := Open(b.Context(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	r := &replica{bus: db.LiveBus(LiveOptions{})}
	r.broker = live.New(live.Options{Bus: r.bus, Queue: 1 << 16, Outbox: 1 << 16})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		r.broker.Run(ctx)
		close(done)
	}()
	b.Cleanup(func() {
		cancel()
		<-done
	})
	<-r.broker.Ready()
	return r
}

// A batch of events goes to the log whole or not at all: retried whole,
// it is never partly doubled.
func TestAnAppendIsAllOrNothing(t *testing.T) {
	bus := openTest(t, pgtest.Database(t)).LiveBus(LiveOptions{})
	err := bus.Append(t.Context(),
		live.Entry{MerchantID: "M", Event: live.Event{Kind: live.Deleted, CustomerID: "C1"}},
		live.Entry{MerchantID: "M", Event: live.Event{Kind: live.Deleted, CustomerID: "bad\x00id"}})
	// The server refuses it, after it took the first event.
	if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) {
		t.Fatalf("Append of a customer id PostgreSQL cannot store = %v, want the server's refusal", err)
	}
	if got, ok, err := bus.Read(t.Context(), "", 0, 10); err != nil || !ok || len(got) != 0 {
		t.Errorf("log after a failed append = %+v, %t, %v; want empty", got, ok, err)
	}
	if err := bus.Append(t.Context(),
		live.Entry{MerchantID: "M", Event: live.Event{Kind: live.Deleted, CustomerID: "C1"}},
		live.Entry{MerchantID: "N", Event: live.Event{Kind: live.Created, CustomerID: "C2"}}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := bus.Read(t.Context(), "", 0, 10)
	if err != nil || !ok || len(got) != 2 || got[0].Event.CustomerID != "C1" || got[1].MerchantID != "N" || got[0].Event.ID >= got[1].Event.ID {
		t.Errorf("log = %+v, %t, %v; want C1 of M then C2 of N", got, ok, err)
	}
	if only, _, _ := bus.Read(t.Context(), "N", 0, 10); len(only) != 1 || only[0].Event.CustomerID != "C2" {
		t.Errorf("N's events = %+v, want C2 only", only)
	}
}
