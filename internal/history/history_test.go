package history_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/history"
	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/store"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
	"github.com/tessera-dashboard/tessera/internal/store/postgres"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newLog(t *testing.T) (*history.Log, *store.DB) {
	t.Helper()
	db, err := store.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return history.New(db), db
}

// contract is the behaviour of the history on every engine.
var contract = []struct {
	name string
	test func(*testing.T, *history.Log)
}{
	{"RecordAndList", testRecordAndList},
	{"RecordRefusesIncompleteEntries", testRecordRefusesIncompleteEntries},
	{"RecordKeepsCardBrandAndLastFourOnly", testRecordKeepsCardBrandAndLastFourOnly},
	{"RecordClipsLongValues", testRecordClipsLongValues},
	{"ListPagesNewestFirst", testListPagesNewestFirst},
	{"ListFilters", testListFilters},
	{"ListIsPerMerchant", testListIsPerMerchant},
	{"SweepDeletesOldEntriesOnly", testSweepDeletesOldEntriesOnly},
	{"DropMerchant", testDropMerchant},
	{"AChangeIsRecordedOnceWhicheverRouteComesFirst", testAChangeIsRecordedOnceWhicheverRouteComesFirst},
	{"AChangeRecordedByTwoRoutesAtOnceIsRecordedOnce", testAChangeRecordedByTwoRoutesAtOnceIsRecordedOnce},
}

func TestTheHistoryOnSQLite(t *testing.T) {
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			l, _ := newLog(t)
			c.test(t, l)
		})
	}
}

func TestTheHistoryOnPostgreSQL(t *testing.T) {
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			db, err := postgres.Open(t.Context(), pgtest.Database(t))
			if err != nil {
				t.Fatalf("postgres.Open: %v", err)
			}
			t.Cleanup(db.Close)
			c.test(t, history.New(db))
		})
	}
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func record(t *testing.T, l *history.Log, e history.Entry) {
	t.Helper()
	if err := l.Record(t.Context(), e); err != nil {
		t.Fatalf("Record(%+v): %v", e, err)
	}
}

func list(t *testing.T, l *history.Log, merchant string, f history.Filter, offset, limit int) history.Page {
	t.Helper()
	p, err := l.List(t.Context(), merchant, f, offset, limit)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return p
}

func testRecordAndList(t *testing.T, l *history.Log) {
	in := history.Entry{
		MerchantID: "M1", CustomerID: "C1", CustomerName: "Ada Lovelace", Kind: history.Edited,
		Changes: []history.FieldChange{{Label: "Email address", From: "a@x.test", To: "b@x.test"}},
		Actor:   "Grace", UserAgent: "Mozilla/5.0", RemoteAddr: "192.0.2.7", At: t0,
	}
	record(t, l, in)
	p := list(t, l, "M1", history.Filter{}, 0, 10)
	if len(p.Entries) != 1 || p.More {
		t.Fatalf("List = %d entries (more %v), want 1", len(p.Entries), p.More)
	}
	got := p.Entries[0]
	if got.ID == 0 || got.CustomerName != "Ada Lovelace" || got.Kind != history.Edited || got.Actor != "Grace" ||
		got.UserAgent != "Mozilla/5.0" || got.RemoteAddr != "192.0.2.7" || !got.At.Equal(t0) || got.Card != nil {
		t.Errorf("entry = %+v", got)
	}
	if !slices.Equal(got.Changes, in.Changes) {
		t.Errorf("changes = %+v, want %+v", got.Changes, in.Changes)
	}
}

func testRecordRefusesIncompleteEntries(t *testing.T, l *history.Log) {
	for _, e := range []history.Entry{
		{CustomerID: "C1", Kind: history.Edited},
		{MerchantID: "M1", Kind: history.Edited},
		{MerchantID: "M1", CustomerID: "C1", Kind: "exploded"},
	} {
		if err := l.Record(t.Context(), e); !errors.Is(err, history.ErrInvalid) {
			t.Errorf("Record(%+v) = %v, want ErrInvalid", e, err)
		}
	}
}

// A card is kept as its brand and last four digits only; anything that is
// not four digits is not kept at all.
func testRecordKeepsCardBrandAndLastFourOnly(t *testing.T, l *history.Log) {
	record(t, l, history.Entry{MerchantID: "M1", CustomerID: "C1", Kind: history.CardAdded, At: t0,
		Card: &history.Card{Brand: "Visa", Last4: "1111"}})
	record(t, l, history.Entry{MerchantID: "M1", CustomerID: "C1", Kind: history.CardAdded, At: t0.Add(time.Second),
		Card: &history.Card{Brand: "Visa", Last4: "4111111111111111"}})
	p := list(t, l, "M1", history.Filter{}, 0, 10)
	if got := *p.Entries[1].Card; got != (history.Card{Brand: "Visa", Last4: "1111"}) {
		t.Errorf("card = %+v", got)
	}
	if got := *p.Entries[0].Card; got.Last4 != "" {
		t.Errorf("a card number was kept as last four: %+v", got)
	}
}

func testRecordClipsLongValues(t *testing.T, l *history.Log) {
	long := strings.Repeat("é", 5000)
	record(t, l, history.Entry{MerchantID: "M1", CustomerID: "C1", Kind: history.Edited, At: t0, Actor: long, UserAgent: long,
		Changes: []history.FieldChange{{Label: "Note", From: "", To: long}}})
	e := list(t, l, "M1", history.Filter{}, 0, 1).Entries[0]
	if n := len([]rune(e.Actor)); n != history.MaxActor {
		t.Errorf("actor kept %d characters, want %d", n, history.MaxActor)
	}
	if n := len([]rune(e.Changes[0].To)); n >= 5000 {
		t.Errorf("a value of 5000 characters was kept whole")
	}
}

// seed records n entries for M1, one a minute from t0, alternating two
// customers and kinds, and one entry for M2.
func seed(t *testing.T, l *history.Log, n int) {
	t.Helper()
	for i := range n {
		e := history.Entry{MerchantID: "M1", CustomerID: "C1", CustomerName: "Ada Lovelace", Kind: history.Edited,
			At: t0.Add(time.Duration(i) * time.Minute), Actor: fmt.Sprint("staff ", i)}
		if i%2 == 1 {
			e.CustomerID, e.CustomerName, e.Kind = "C2", "Bob 100%_Real", history.ChangedInSquare
		}
		record(t, l, e)
	}
	record(t, l, history.Entry{MerchantID: "M2", CustomerID: "C1", CustomerName: "Other merchant's", Kind: history.Edited, At: t0})
}

func testListPagesNewestFirst(t *testing.T, l *history.Log) {
	seed(t, l, 7)
	p1 := list(t, l, "M1", history.Filter{}, 0, 3)
	p2 := list(t, l, "M1", history.Filter{}, 3, 3)
	p3 := list(t, l, "M1", history.Filter{}, 6, 3)
	if !p1.More || !p2.More || p3.More {
		t.Errorf("more = %v %v %v, want true true false", p1.More, p2.More, p3.More)
	}
	var actors []string
	for _, p := range []history.Page{p1, p2, p3} {
		for _, e := range p.Entries {
			actors = append(actors, e.Actor)
		}
	}
	want := []string{"staff 6", "staff 5", "staff 4", "staff 3", "staff 2", "staff 1", "staff 0"}
	if !slices.Equal(actors, want) {
		t.Errorf("actors = %q, want %q", actors, want)
	}
}

func testListFilters(t *testing.T, l *history.Log) {
	seed(t, l, 6)
	count := func(f history.Filter) int { return len(list(t, l, "M1", f, 0, 100).Entries) }
	cases := []struct {
		name string
		f    history.Filter
		want int
	}{
		{"all", history.Filter{}, 6},
		{"customer id", history.Filter{CustomerID: "C2"}, 3},
		{"customer by id", history.Filter{Customer: "C1"}, 3},
		{"customer by name, any case", history.Filter{Customer: "lovelace"}, 3},
		{"wildcards match as typed", history.Filter{Customer: "100%_"}, 3},
		{"a wildcard matches only itself", history.Filter{Customer: "Ada%Love"}, 0},
		{"kind", history.Filter{Kind: history.ChangedInSquare}, 3},
		{"from", history.Filter{From: t0.Add(2 * time.Minute)}, 4},
		{"to is exclusive", history.Filter{To: t0.Add(2 * time.Minute)}, 2},
		{"range and kind", history.Filter{From: t0.Add(time.Minute), To: t0.Add(4 * time.Minute), Kind: history.Edited}, 1},
	}
	for _, c := range cases {
		if got := count(c.f); got != c.want {
			t.Errorf("%s: %d entries, want %d", c.name, got, c.want)
		}
	}
}

// No filter, paging or customer id reaches another merchant's entries.
func testListIsPerMerchant(t *testing.T, l *history.Log) {
	seed(t, l, 4)
	for _, f := range []history.Filter{{}, {CustomerID: "C1"}, {Customer: "Other"}} {
		for _, e := range list(t, l, "M1", f, 0, 100).Entries {
			if e.MerchantID != "M1" {
				t.Errorf("filter %+v: M1's list has %+v", f, e)
			}
		}
	}
	p := list(t, l, "M2", history.Filter{}, 0, 100)
	if len(p.Entries) != 1 || p.Entries[0].CustomerName != "Other merchant's" {
		t.Errorf("M2's list = %+v", p.Entries)
	}
	if p := list(t, l, "M3", history.Filter{}, 0, 100); len(p.Entries) != 0 {
		t.Errorf("a merchant with no history has %d entries", len(p.Entries))
	}
}

func testSweepDeletesOldEntriesOnly(t *testing.T, l *history.Log) {
	seed(t, l, 6)
	n, err := l.Sweep(t.Context(), t0.Add(3*time.Minute))
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	// Entries at t0, +1m and +2m of M1 and M2's at t0.
	if n != 4 {
		t.Errorf("Sweep removed %d, want 4", n)
	}
	if got := len(list(t, l, "M1", history.Filter{}, 0, 100).Entries); got != 3 {
		t.Errorf("%d entries left, want 3", got)
	}
}

func testDropMerchant(t *testing.T, l *history.Log) {
	seed(t, l, 3)
	if err := l.DropMerchant(t.Context(), "M1"); err != nil {
		t.Fatalf("DropMerchant: %v", err)
	}
	if got := len(list(t, l, "M1", history.Filter{}, 0, 100).Entries); got != 0 {
		t.Errorf("%d of M1's entries left", got)
	}
	if got := len(list(t, l, "M2", history.Filter{}, 0, 100).Entries); got != 1 {
		t.Errorf("M2 has %d entries, want its 1", got)
	}
}

// The index's watcher records the changes from Square, with the fields
// that changed, and none of Tessera's own, which the handlers record.
func TestWatcherRecordsChangesFromSquareOnly(t *testing.T) {
	l, db := newLog(t)
	x := index.New(db)
	x.Watch(l.Watcher(nil, func() time.Time { return t0 }))
	ctx := t.Context()
	ada := index.Customer{ID: "C1", Version: 1, GivenName: "Ada", FamilyName: "Lovelace", EmailAddress: "ada@x.test",
		CreatedAt: t0, UpdatedAt: t0}
	put := func(ctx context.Context, c index.Customer) {
		t.Helper()
		if _, err := x.Put(ctx, "M1", c); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	put(ctx, ada)
	ada.Version, ada.EmailAddress, ada.UpdatedAt = 2, "ada@y.test", t0.Add(time.Minute)
	put(ctx, ada)
	// The same state again is no change.
	put(ctx, ada)
	ada.Version, ada.Note, ada.UpdatedAt = 3, "mine", t0.Add(2*time.Minute)
	put(index.WithOrigin(ctx, index.OriginTessera), ada)
	if _, err := x.Delete(ctx, "M1", "C1", 4, t0.Add(3*time.Minute)); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	es := list(t, l, "M1", history.Filter{}, 0, 100).Entries
	if len(es) != 3 {
		t.Fatalf("%d entries, want 3 (created, changed, deleted in Square): %+v", len(es), es)
	}
	for _, e := range es {
		if e.Kind != history.ChangedInSquare || e.CustomerName != "Ada Lovelace" || e.Actor != "" {
			t.Errorf("entry = %+v", e)
		}
	}
	deleted, changed, created := es[0], es[1], es[2]
	if created.Detail != "Created in Square" || deleted.Detail != "Deleted in Square" || changed.Detail != "" {
		t.Errorf("details = %q %q %q", created.Detail, changed.Detail, deleted.Detail)
	}
	want := []history.FieldChange{{Label: "Email address", From: "ada@x.test", To: "ada@y.test"}}
	if !slices.Equal(changed.Changes, want) {
		t.Errorf("changes = %+v, want %+v", changed.Changes, want)
	}
	if len(deleted.Changes) != 0 {
		t.Errorf("a deletion repeats the values: %+v", deleted.Changes)
	}
}

// A change Tessera made is recorded once, as Tessera's, whether Square's
// webhook of it reaches the index before or after the handler records it.
func testAChangeIsRecordedOnceWhicheverRouteComesFirst(t *testing.T, l *history.Log) {
	square := func(customer string, version int64) history.Entry {
		return history.Entry{MerchantID: "M1", CustomerID: customer, Kind: history.ChangedInSquare, At: t0,
			Dedupe: history.StateKey(version, false)}
	}
	tessera := func(customer string, version int64) history.Entry {
		return history.Entry{MerchantID: "M1", CustomerID: customer, Kind: history.Edited, Actor: "Grace", At: t0,
			Dedupe: history.StateKey(version, false)}
	}
	// Square's report first, then Tessera's entry replaces it.
	record(t, l, square("C1", 3))
	record(t, l, tessera("C1", 3))
	// Tessera's entry first; Square's report is not recorded.
	record(t, l, tessera("C2", 5))
	record(t, l, square("C2", 5))
	// Another version, customer or merchant is another change.
	record(t, l, square("C2", 6))
	record(t, l, history.Entry{MerchantID: "M2", CustomerID: "C2", Kind: history.ChangedInSquare, At: t0, Dedupe: history.StateKey(5, false)})
	es := list(t, l, "M1", history.Filter{}, 0, 100).Entries
	var got []string
	for _, e := range es {
		got = append(got, e.CustomerID+" "+string(e.Kind))
	}
	slices.Sort(got)
	want := []string{"C1 edited", "C2 changed_in_square", "C2 edited"}
	if !slices.Equal(got, want) {
		t.Errorf("entries = %q, want %q", got, want)
	}
	if n := len(list(t, l, "M2", history.Filter{}, 0, 100).Entries); n != 1 {
		t.Errorf("M2 has %d entries, want 1", n)
	}
}

// Two replicas recording one change at once, one as Tessera's write and
// one from Square's webhook, record it once, as Tessera's.
func testAChangeRecordedByTwoRoutesAtOnceIsRecordedOnce(t *testing.T, l *history.Log) {
	const changes = 30
	var wg sync.WaitGroup
	for v := range changes {
		key := history.StateKey(int64(v+1), false)
		for _, kind := range []history.Kind{history.Edited, history.ChangedInSquare} {
			wg.Go(func() {
				e := history.Entry{MerchantID: "M1", CustomerID: "C1", CustomerName: "Ada", Kind: kind, At: t0, Dedupe: key}
				if err := l.Record(context.Background(), e); err != nil {
					t.Errorf("Record(%s, %s): %v", kind, key, err)
				}
			})
		}
	}
	wg.Wait()
	p := list(t, l, "M1", history.Filter{}, 0, 1000)
	if len(p.Entries) != changes {
		t.Fatalf("%d changes recorded by two routes at once gave %d entries, want %d", changes, len(p.Entries), changes)
	}
	for _, e := range p.Entries {
		if e.Kind != history.Edited {
			t.Errorf("entry %+v, want each recorded as Tessera's edit", e)
		}
	}
}
