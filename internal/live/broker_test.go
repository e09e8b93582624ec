package live

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/index"
)

func recv(t *testing.T, s *Stream) Event {
	t.Helper()
	select {
	case e := <-s.Events():
		return e
	case <-time.After(time.Second):
		t.Fatal("no event within a second")
	}
	return Event{}
}

func none(t *testing.T, s *Stream) {
	t.Helper()
	select {
	case e := <-s.Events():
		t.Fatalf("got event %+v, want none", e)
	default:
	}
}

func TestEventsGoToTheirMerchantOnly(t *testing.T) {
	b := New(Options{})
	a, _, _ := b.Subscribe("MA", "s1", 0)
	other, _, _ := b.Subscribe("MB", "s2", 0)
	b.Publish("MA", Event{Kind: Updated, CustomerID: "C1"})
	if e := recv(t, a); e.CustomerID != "C1" || e.Kind != Updated || e.ID == 0 {
		t.Errorf("merchant A's stream got %+v, want the update of C1 with an id", e)
	}
	none(t, other)
}

func TestIDsIncreaseStrictly(t *testing.T) {
	fixed := time.Unix(1_700_000_000, 0)
	b := New(Options{Clock: func() time.Time { return fixed }})
	s, _, _ := b.Subscribe("M", "s", 0)
	var last int64
	for range 5 {
		b.Publish("M", Event{Kind: Updated, CustomerID: "C"})
		e := recv(t, s)
		if e.ID <= last {
			t.Fatalf("id %d after %d, want it larger", e.ID, last)
		}
		last = e.ID
	}
}

func TestResumeGivesTheMissedEvents(t *testing.T) {
	b := New(Options{})
	s, _, _ := b.Subscribe("M", "s", 0)
	b.Publish("M", Event{Kind: Updated, CustomerID: "C1"})
	first := recv(t, s)
	s.Close()
	b.Publish("M", Event{Kind: Updated, CustomerID: "C2"})
	b.Publish("M", Event{Kind: Deleted, CustomerID: "C3"})
	_, missed, lost := b.Subscribe("M", "s", first.ID)
	if lost || len(missed) != 2 || missed[0].CustomerID != "C2" || missed[1].CustomerID != "C3" {
		t.Errorf("resume after %d = %+v lost=%t, want C2 and C3", first.ID, missed, lost)
	}
}

func TestResumePastTheKeptEventsIsLost(t *testing.T) {
	b := New(Options{History: 2})
	s, _, _ := b.Subscribe("M", "s", 0)
	b.Publish("M", Event{Kind: Updated, CustomerID: "C1"})
	first := recv(t, s)
	for range 3 {
		b.Publish("M", Event{Kind: Updated, CustomerID: "C2"})
	}
	if _, missed, lost := b.Subscribe("M", "s2", first.ID); !lost || missed != nil {
		t.Errorf("resume after an event no longer kept: missed=%v lost=%t, want lost", missed, lost)
	}
	// An id from before the broker knew the merchant: events may have been
	// missed, which the broker cannot tell.
	if _, _, lost := New(Options{}).Subscribe("M", "s", first.ID); !lost {
		t.Error("resume on a broker that never saw the merchant: lost = false, want true")
	}
}

func TestASlowStreamIsResetNotWaitedFor(t *testing.T) {
	b := New(Options{Queue: 2})
	slow, _, _ := b.Subscribe("M", "s", 0)
	done := make(chan struct{})
	go func() {
		for range 10 {
			b.Publish("M", Event{Kind: Updated, CustomerID: "C"})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Publish waited for a stream that does not read")
	}
	select {
	case <-slow.Reset():
	default:
		t.Fatal("the stream that fell behind was not reset")
	}
	slow.Drain()
	none(t, slow)
}

func TestASessionKeepsAFewStreams(t *testing.T) {
	b := New(Options{PerSession: 2})
	first, _, _ := b.Subscribe("M", "s", 0)
	second, _, _ := b.Subscribe("M", "s", 0)
	third, _, _ := b.Subscribe("M", "s", 0)
	select {
	case <-first.Done():
	default:
		t.Error("the session's oldest stream is still open with a third")
	}
	for _, s := range []*Stream{second, third} {
		select {
		case <-s.Done():
			t.Error("a newer stream was closed")
		default:
		}
	}
	b.EndSession("s")
	for _, s := range []*Stream{second, third} {
		select {
		case <-s.Done():
		default:
			t.Error("a stream is still open after EndSession")
		}
	}
	if st := b.Stats(); st.Streams != 0 || st.Sessions != 0 {
		t.Errorf("Stats after EndSession = %+v, want no streams or sessions", st)
	}
}

func TestAMerchantIsForgottenAfterItsLastStream(t *testing.T) {
	b := New(Options{Linger: 10 * time.Millisecond})
	s, _, _ := b.Subscribe("M", "s", 0)
	s.Close()
	s.Close()
	deadline := time.Now().Add(time.Second)
	for b.Stats().Merchants != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the merchant is still held a second after its last stream ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// With no stream, nothing is kept.
	b.Publish("M", Event{Kind: Updated, CustomerID: "C"})
	if st := b.Stats(); st.Merchants != 0 {
		t.Errorf("Publish without streams kept the merchant: %+v", st)
	}
}

func TestTheIndexWatcherPublishesChanges(t *testing.T) {
	b := New(Options{})
	s, _, _ := b.Subscribe("M", "s", 0)
	before := &index.Customer{ID: "C1", Version: 1, GivenName: "Ann", EmailAddress: "a@example.com"}
	after := &index.Customer{ID: "C1", Version: 2, GivenName: "Anna", EmailAddress: "a@example.com", GroupIDs: []string{"G"}}
	b.Watcher()(context.Background(), []index.Change{
		{MerchantID: "M", Origin: index.OriginSquare, Before: before, After: after},
		{MerchantID: "M", Origin: index.OriginTessera, Before: nil, After: &index.Customer{ID: "C2", Version: 1}},
		{MerchantID: "M", Origin: index.OriginSquare, Before: before},
	})
	e := recv(t, s)
	if e.Kind != Updated || !e.Elsewhere || e.Version != 2 || !slices.Equal(e.Fields, []string{"given_name", "groups"}) {
		t.Errorf("update = %+v, want updated elsewhere, version 2, fields given_name and groups", e)
	}
	if e := recv(t, s); e.Kind != Created || e.Elsewhere || e.CustomerID != "C2" {
		t.Errorf("creation = %+v, want C2 created through Tessera", e)
	}
	if e := recv(t, s); e.Kind != Deleted || e.CustomerID != "C1" {
		t.Errorf("deletion = %+v, want C1 deleted", e)
	}
}
