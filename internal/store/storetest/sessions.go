// Package storetest is the contract every session store keeps, as tests
// that run against each engine: the embedded SQLite store (internal/store)
// and PostgreSQL (internal/store/postgres). A behaviour internal/session
// counts on belongs here, so that both engines are held to it.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/store"
)

// SessionStore is what internal/session needs of a store (its Backend).
type SessionStore interface {
	GetSession(ctx context.Context, id string) (store.SessionRow, error)
	PutSession(ctx context.Context, row store.SessionRow) error
	UpdateSession(ctx context.Context, row store.SessionRow) error
	TouchSession(ctx context.Context, id string, lastSeen time.Time) error
	DeleteSession(ctx context.Context, id string) error
	DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error)
	ExpiredSignedInSessions(ctx context.Context, idleBefore, createdBefore time.Time) ([]store.SessionRow, error)
	TrimSignedOutSessions(ctx context.Context, keep int) (int64, error)
	SignOutMerchantSessions(ctx context.Context, merchantID string, data func(id string) []byte) (int64, error)
	LiveMerchantSessions(ctx context.Context, merchantID string, seenAfter, createdAfter time.Time, limit int) ([]store.SessionRow, error)
}

func ms(n int64) time.Time { return time.UnixMilli(1_760_000_000_000 + n) }

// Sessions runs the session contract; open gives each subtest an empty
// store.
func Sessions(t *testing.T, open func(t *testing.T) SessionStore) {
	t.Run("a session is kept, upserted without a new creation time, updated, touched forward only and deleted", func(t *testing.T) {
		ctx, db := t.Context(), open(t)
		if _, err := db.GetSession(ctx, "s1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetSession(missing) = %v, want ErrNotFound", err)
		}
		put(t, db, store.SessionRow{ID: "s1", Data: []byte{0, 1, 2}, CreatedAt: ms(0), LastSeen: ms(0)})
		expectRow(t, db, store.SessionRow{ID: "s1", Data: []byte{0, 1, 2}, CreatedAt: ms(0), LastSeen: ms(0)})
		put(t, db, store.SessionRow{ID: "s1", MerchantID: "M1", Data: []byte("new"), CreatedAt: ms(5000), LastSeen: ms(2000)})
		expectRow(t, db, store.SessionRow{ID: "s1", MerchantID: "M1", Data: []byte("new"), CreatedAt: ms(0), LastSeen: ms(2000)})

		got, _ := db.GetSession(ctx, "s1")
		upd := store.SessionRow{ID: "s1", MerchantID: "M2", Data: []byte("upd"), CreatedAt: ms(9999), LastSeen: ms(3000), Version: got.Version}
		if err := db.UpdateSession(ctx, upd); err != nil {
			t.Fatalf("UpdateSession = %v", err)
		}
		expectRow(t, db, store.SessionRow{ID: "s1", MerchantID: "M2", Data: []byte("upd"), CreatedAt: ms(0), LastSeen: ms(3000), Version: got.Version + 1})
		if err := db.UpdateSession(ctx, upd); !errors.Is(err, store.ErrConflict) {
			t.Errorf("UpdateSession over a version written since = %v, want ErrConflict", err)
		}

		if err := db.TouchSession(ctx, "s1", ms(4000)); err != nil {
			t.Fatalf("TouchSession = %v", err)
		}
		if err := db.TouchSession(ctx, "s1", ms(1000)); err != nil {
			t.Fatalf("TouchSession(earlier) = %v", err)
		}
		if got, _ := db.GetSession(ctx, "s1"); !got.LastSeen.Equal(ms(4000)) {
			t.Errorf("LastSeen after touching forward then back = %v, want %v", got.LastSeen, ms(4000))
		}

		if err := db.DeleteSession(ctx, "s1"); err != nil {
			t.Fatalf("DeleteSession = %v", err)
		}
		if err := db.DeleteSession(ctx, "s1"); err != nil {
			t.Errorf("DeleteSession(deleted) = %v, want nil", err)
		}
		upd.Version = got.Version + 1
		if err := db.UpdateSession(ctx, upd); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateSession(deleted) = %v, want ErrNotFound (it must not bring the session back)", err)
		}
		if err := db.TouchSession(ctx, "s1", ms(5000)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TouchSession(deleted) = %v, want ErrNotFound", err)
		}
		if _, err := db.GetSession(ctx, "s1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetSession(deleted) = %v, want ErrNotFound", err)
		}
	})

	t.Run("an empty blob is stored", func(t *testing.T) {
		db := open(t)
		put(t, db, store.SessionRow{ID: "empty", CreatedAt: ms(0), LastSeen: ms(0)})
		if got, err := db.GetSession(t.Context(), "empty"); err != nil || len(got.Data) != 0 {
			t.Errorf("GetSession(empty) = %+v, %v; want no data", got, err)
		}
	})

	t.Run("of concurrent updates over one version exactly one is applied", func(t *testing.T) {
		ctx, db := t.Context(), open(t)
		put(t, db, store.SessionRow{ID: "s", MerchantID: "M", Data: []byte("v0"), CreatedAt: ms(0), LastSeen: ms(0)})
		row, _ := db.GetSession(ctx, "s")
		const writers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, conflicts := 0, 0
		for i := range writers {
			wg.Go(func() {
				r := row
				r.Data = fmt.Appendf(nil, "writer %d", i)
				err := db.UpdateSession(ctx, r)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, store.ErrConflict):
					conflicts++
				default:
					t.Errorf("UpdateSession = %v", err)
				}
			})
		}
		wg.Wait()
		if won != 1 || conflicts != writers-1 {
			t.Errorf("%d writers over one version: %d applied, %d conflicts; want 1 and %d", writers, won, conflicts, writers-1)
		}
	})

	t.Run("expired sessions go by either timeout, and the signed-in ones are listed first", func(t *testing.T) {
		ctx, db := t.Context(), open(t)
		for _, r := range []store.SessionRow{
			{ID: "fresh", MerchantID: "M", CreatedAt: ms(500), LastSeen: ms(900)},
			{ID: "idle", MerchantID: "M", CreatedAt: ms(500), LastSeen: ms(599)},
			{ID: "old", CreatedAt: ms(99), LastSeen: ms(900)},
			{ID: "at-the-limits", CreatedAt: ms(100), LastSeen: ms(600)},
		} {
			put(t, db, r)
		}
		listed, err := db.ExpiredSignedInSessions(ctx, ms(600), ms(100))
		if err != nil || len(listed) != 1 || listed[0].ID != "idle" {
			t.Errorf("ExpiredSignedInSessions = %+v, %v; want only idle", listed, err)
		}
		if n, err := db.DeleteExpiredSessions(ctx, ms(600), ms(100)); err != nil || n != 2 {
			t.Fatalf("DeleteExpiredSessions = %d, %v; want 2", n, err)
		}
		expectIDs(t, db, map[string]bool{"fresh": true, "at-the-limits": true, "idle": false, "old": false})
	})

	t.Run("signed-out sessions are trimmed to the newest, signed-in ones never", func(t *testing.T) {
		ctx, db := t.Context(), open(t)
		for _, r := range []store.SessionRow{
			{ID: "in-old", MerchantID: "M1", CreatedAt: ms(0), LastSeen: ms(0)},
			{ID: "out-1", CreatedAt: ms(1), LastSeen: ms(1)},
			{ID: "out-2", CreatedAt: ms(2), LastSeen: ms(2)},
			{ID: "out-3", CreatedAt: ms(3), LastSeen: ms(3)},
		} {
			put(t, db, r)
		}
		if n, err := db.TrimSignedOutSessions(ctx, 2); err != nil || n != 1 {
			t.Fatalf("TrimSignedOutSessions(2) = %d, %v; want 1", n, err)
		}
		expectIDs(t, db, map[string]bool{"in-old": true, "out-1": false, "out-2": true, "out-3": true})
	})

	t.Run("signing a merchant out touches that merchant's sessions only", func(t *testing.T) {
		ctx, db := t.Context(), open(t)
		for _, r := range []store.SessionRow{
			{ID: "a1", MerchantID: "A", Data: []byte("tokens"), CreatedAt: ms(0), LastSeen: ms(0)},
			{ID: "a2", MerchantID: "A", Data: []byte("tokens"), CreatedAt: ms(0), LastSeen: ms(0)},
			{ID: "b1", MerchantID: "B", Data: []byte("tokens"), CreatedAt: ms(0), LastSeen: ms(0)},
		} {
			put(t, db, r)
		}
		n, err := db.SignOutMerchantSessions(ctx, "A", func(id string) []byte { return []byte("signed out " + id) })
		if err != nil || n != 2 {
			t.Fatalf("SignOutMerchantSessions(A) = %d, %v; want 2", n, err)
		}
		for id, want := range map[string]string{"a1": "signed out a1", "a2": "signed out a2", "b1": "tokens"} {
			got, err := db.GetSession(ctx, id)
			if err != nil || string(got.Data) != want || (got.MerchantID == "") != (id != "b1") {
				t.Errorf("session %s after signing A out = %+v, %v; want data %q", id, got, err, want)
			}
		}
		if _, err := db.SignOutMerchantSessions(ctx, "", nil); err == nil {
			t.Error("SignOutMerchantSessions(no merchant) = nil, want an error")
		}
	})

	t.Run("live sessions are the recent signed-in ones, a few per merchant", func(t *testing.T) {
		ctx, db := t.Context(), open(t)
		for _, r := range []store.SessionRow{
			{ID: "a-new", MerchantID: "A", CreatedAt: ms(100), LastSeen: ms(300)},
			{ID: "a-mid", MerchantID: "A", CreatedAt: ms(100), LastSeen: ms(200)},
			{ID: "a-old", MerchantID: "A", CreatedAt: ms(100), LastSeen: ms(150)},
			{ID: "a-idle", MerchantID: "A", CreatedAt: ms(100), LastSeen: ms(10)},
			{ID: "b", MerchantID: "B", CreatedAt: ms(100), LastSeen: ms(250)},
			{ID: "out", CreatedAt: ms(100), LastSeen: ms(400)},
		} {
			put(t, db, r)
		}
		got, err := db.LiveMerchantSessions(ctx, "", ms(100), ms(0), 2)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		if fmt.Sprint(ids) != "[a-new a-mid b]" {
			t.Errorf("LiveMerchantSessions(all, 2 each) = %v, want [a-new a-mid b]", ids)
		}
		got, _ = db.LiveMerchantSessions(ctx, "B", ms(100), ms(0), 2)
		if len(got) != 1 || got[0].ID != "b" {
			t.Errorf("LiveMerchantSessions(B) = %+v, want b only", got)
		}
	})
}

func put(t *testing.T, db SessionStore, r store.SessionRow) {
	t.Helper()
	if err := db.PutSession(t.Context(), r); err != nil {
		t.Fatalf("PutSession(%s) = %v", r.ID, err)
	}
}

func expectRow(t *testing.T, db SessionStore, want store.SessionRow) {
	t.Helper()
	got, err := db.GetSession(t.Context(), want.ID)
	if err != nil || got.MerchantID != want.MerchantID || string(got.Data) != string(want.Data) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.LastSeen.Equal(want.LastSeen) || got.Version != want.Version {
		t.Errorf("GetSession(%s) = %+v, %v; want %+v", want.ID, got, err, want)
	}
}

func expectIDs(t *testing.T, db SessionStore, kept map[string]bool) {
	t.Helper()
	for id, want := range kept {
		_, err := db.GetSession(t.Context(), id)
		if got := err == nil; got != want {
			t.Errorf("session %s kept = %t, want %t (%v)", id, got, want, err)
		}
	}
}
