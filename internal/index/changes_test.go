package index

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// recorder is a Watcher that keeps what it was told.
type recorder struct {
	mu      sync.Mutex
	changes []string
}

type tagKey struct{}

func (r *recorder) watch(ctx context.Context, cs []Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	tag, _ := ctx.Value(tagKey{}).(string)
	for _, c := range cs {
		before, after := "-", "-"
		if c.Before != nil {
			before = c.Before.GivenName
		}
		if c.After != nil {
			after = c.After.GivenName + "/" + c.After.MerchantID
		}
		r.changes = append(r.changes, fmt.Sprintf("%s %s %s %d %s->%s", tag, c.MerchantID, c.CustomerID(), c.Origin, before, after))
	}
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.changes
	r.changes = nil
	return out
}

func TestWatchersAreToldOfEachChangeOnceWithItsStatesAndOrigin(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	var r recorder
	x.Watch(r.watch)
	ctx := context.WithValue(t.Context(), tagKey{}, "w")
	tessera := WithOrigin(ctx, OriginTessera)

	steps := []struct {
		name string
		do   func() error
		want []string
	}{
		{"a new customer", func() error {
			_, err := x.Put(ctx, "M1", Customer{ID: "c1", Version: 1, GivenName: "Ana", CreatedAt: t0, UpdatedAt: t0})
			return err
		}, []string{"w M1 c1 0 -->Ana/M1"}},
		{"the same state again", func() error {
			_, err := x.Put(ctx, "M1", Customer{ID: "c1", Version: 1, GivenName: "Ana", CreatedAt: t0, UpdatedAt: t0})
			return err
		}, nil},
		{"a newer state, written through Tessera", func() error {
			_, err := x.Put(tessera, "M1", Customer{ID: "c1", Version: 2, GivenName: "Anna", CreatedAt: t0, UpdatedAt: t0})
			return err
		}, []string{"w M1 c1 1 Ana->Anna/M1"}},
		{"an older state delivered late", func() error {
			_, err := x.Put(ctx, "M1", Customer{ID: "c1", Version: 1, GivenName: "Ana", CreatedAt: t0, UpdatedAt: t0})
			return err
		}, nil},
		{"a page of a full sync", func() error {
			_, err := x.PutAll(WithOrigin(ctx, OriginFullSync), "M1", []Customer{{ID: "c2", Version: 1, GivenName: "Bo", CreatedAt: t0, UpdatedAt: t0}}, nil)
			return err
		}, nil},
		{"a deletion", func() error {
			_, err := x.Delete(ctx, "M1", "c1", 3, t0)
			return err
		}, []string{"w M1 c1 0 Anna->-"}},
		{"the deletion again", func() error {
			_, err := x.Delete(ctx, "M1", "c1", 3, t0)
			return err
		}, nil},
		{"an update delivered after the deletion", func() error {
			_, err := x.Put(ctx, "M1", Customer{ID: "c1", Version: 2, GivenName: "Anna", CreatedAt: t0, UpdatedAt: t0})
			return err
		}, nil},
		{"a deletion of a customer the index never had", func() error {
			_, err := x.Delete(ctx, "M1", "nobody", 1, t0)
			return err
		}, nil},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: error = %v", s.name, err)
		}
		got := r.take()
		if fmt.Sprint(got) != fmt.Sprint(s.want) {
			t.Errorf("%s: watcher told %q, want %q", s.name, got, s.want)
		}
	}
	if n, err := x.Count(t.Context(), "M1"); err != nil || n != 1 {
		t.Errorf("Count(M1) = %d, %v, want 1 (the full sync's customer), nil", n, err)
	}
}
