package index

import (
	"context"
	"sync"
)

// What the index reports of the changes it takes, for the pages that show
// them as they happen and for the history of changes. The index is where
// every route by which Square's state reaches Tessera meets: Tessera's own
// writes, Square's webhooks and the syncs. It compares each state with the
// one it had, so a change delivered twice, or older than what the index
// holds, is reported once or not at all.

// Origin says how a change reached the index.
type Origin int

const (
	// OriginSquare is a change Square reported: a webhook, an incremental
	// sync or a reconcile. It is the default: a change of unknown origin
	// was made elsewhere.
	OriginSquare Origin = iota
	// OriginTessera is Square's answer to a write made through Tessera.
	OriginTessera
	// OriginFullSync is a full copy of the merchant's customers. It is not
	// a change anyone made, and the index reports none of it to watchers.
	OriginFullSync
)

type originKey struct{}

// WithOrigin returns a context whose writes to the index are reported as
// coming from o.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginOf returns the origin WithOrigin put in ctx, or OriginSquare.
func OriginOf(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// Change is one customer's state changing in the index.
type Change struct {
	MerchantID string
	Origin     Origin
	// Before is the state the index held, nil when the customer is new to
	// it (created, or back after a deletion the index had recorded).
	Before *Customer
	// After is the state the index holds now, nil when it was deleted.
	After *Customer
}

// CustomerID is the id of the customer that changed.
func (c Change) CustomerID() string {
	if c.After != nil {
		return c.After.ID
	}
	return c.Before.ID
}

// Watcher receives the changes of one write to the index, in order, after
// the write committed, with the writer's context (its Origin, and whatever
// else the writer put there, such as who made a change through Tessera).
// It runs on the writer's goroutine, so it must be quick and must not write
// to the index.
type Watcher func(ctx context.Context, changes []Change)

// watchers is the list of Watchers, safe for concurrent use.
type watchers struct {
	mu   sync.RWMutex
	list []Watcher
}

// Watch adds w to the watchers told of every change.
func (x *Index) Watch(w Watcher) {
	x.watchers.mu.Lock()
	defer x.watchers.mu.Unlock()
	x.watchers.list = append(x.watchers.list, w)
}

// watched reports whether a write in ctx has watchers to tell.
func (x *Index) watched(ctx context.Context) bool {
	if OriginOf(ctx) == OriginFullSync {
		return false
	}
	x.watchers.mu.RLock()
	defer x.watchers.mu.RUnlock()
	return len(x.watchers.list) > 0
}

// notify tells every watcher of changes.
func (x *Index) notify(ctx context.Context, changes []Change) {
	if len(changes) == 0 {
		return
	}
	x.watchers.mu.RLock()
	list := x.watchers.list
	x.watchers.mu.RUnlock()
	for _, w := range list {
		w(ctx, changes)
	}
}
