package pgindex_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/index/pgindex"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
)

// Two replicas, each with its own pool, apply the states of one customer
// in a random order all at once, as webhooks and syncs reaching different
// replicas do: the newest state is the one kept, a delete still wins over
// an update of its version delivered with it, and an event delivered to
// both is applied by one.
func TestReplicasWritingOneCustomerAtOnceKeepTheNewest(t *testing.T) {
	url := pgtest.Database(t)
	replicas := []*pgindex.Index{pgindex.New(openURL(t, url)), pgindex.New(openURL(t, url))}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	const rounds, states = 15, 8
	for round := range rounds {
		id := fmt.Sprintf("c%d", round)
		var wg sync.WaitGroup
		for _, v := range r.Perm(states) {
			x := replicas[r.IntN(2)]
			c := index.Customer{ID: id, Version: int64(v + 1), UpdatedAt: t0.Add(time.Duration(v) * time.Second), GivenName: fmt.Sprintf("v%d", v+1)}
			wg.Go(func() {
				// Half the states come in a page with another customer,
				// so that pages overlap too.
				cs := []index.Customer{c}
				if v%2 == 0 {
					cs = append(cs, index.Customer{ID: "shared", Version: int64(v + 1), GivenName: fmt.Sprintf("v%d", v+1)})
				}
				if _, err := x.PutAll(t.Context(), "M1", cs, nil); err != nil {
					t.Errorf("PutAll(%s v%d) error = %v", id, v+1, err)
				}
			})
		}
		wg.Wait()
		c, err := replicas[round%2].Get(t.Context(), "M1", id)
		if err != nil || c.GivenName != fmt.Sprintf("v%d", states) {
			t.Fatalf("round %d: Get(%s) = %q, %v, want v%d", round, id, c.GivenName, err, states)
		}

		// The delete of the last version and a later update of that
		// version, at once on the two replicas: the delete wins either way.
		wg.Go(func() {
			if _, err := replicas[0].Delete(t.Context(), "M1", id, states, t0.Add(time.Hour)); err != nil {
				t.Errorf("Delete(%s) error = %v", id, err)
			}
		})
		wg.Go(func() {
			late := index.Customer{ID: id, Version: states, UpdatedAt: t0.Add(time.Minute), GivenName: "late"}
			if _, err := replicas[1].Put(t.Context(), "M1", late); err != nil {
				t.Errorf("Put(%s late) error = %v", id, err)
			}
		})
		// One event delivered to every replica four times over.
		var fresh atomic.Int32
		for i := range 8 {
			wg.Go(func() {
				seen, err := replicas[i%2].SeenEvent(t.Context(), "M1", "evt-"+id)
				if err != nil {
					t.Errorf("SeenEvent error = %v", err)
				}
				if !seen {
					fresh.Add(1)
				}
			})
		}
		wg.Wait()
		if _, err := replicas[0].Get(t.Context(), "M1", id); err == nil {
			t.Errorf("round %d: Get(%s) after the delete and a late update at once found it, want it deleted", round, id)
		}
		if n := fresh.Load(); n != 1 {
			t.Errorf("round %d: SeenEvent reported the event new %d times, want once", round, n)
		}
	}
	if c, err := replicas[0].Get(t.Context(), "M1", "shared"); err != nil || c.GivenName != fmt.Sprintf("v%d", states-1) {
		t.Errorf("Get(shared) = %q, %v, want v%d", c.GivenName, err, states-1)
	}
}

// PostgreSQL stores no NUL character and no invalid UTF-8 in text: a
// customer holding either is stored with U+FFFD in their place, rather
// than failing the sync that brings it, and is still found.
func TestTextPostgreSQLCannotHoldIsStoredReplaced(t *testing.T) {
	t.Parallel()
	x := pgindex.New(open(t))
	c := index.Customer{ID: "c1", Version: 1, GivenName: "Nul\x00l", Note: "bad \xff byte", GroupIDs: []string{"g\x00"}}
	if ok, err := x.Put(t.Context(), "M1", c); err != nil || !ok {
		t.Fatalf("Put(NUL and invalid UTF-8) = %v, %v, want stored", ok, err)
	}
	got, err := x.Get(t.Context(), "M1", "c1")
	if err != nil || got.GivenName != "Nul\uFFFDl" || got.Note != "bad \uFFFD byte" || len(got.GroupIDs) != 1 || got.GroupIDs[0] != "g\uFFFD" {
		t.Errorf("Get(c1) = %+v, %v, want U+FFFD in place of NUL and the bad byte", got, err)
	}
	if r, err := x.Search(t.Context(), "M1", index.Query{Text: "byte"}); err != nil || len(r.Rows) != 1 {
		t.Errorf("Search(byte) = %+v, %v, want c1", r, err)
	}
}
