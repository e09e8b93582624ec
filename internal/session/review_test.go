package session

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/sessions"
)

// revocations records the tokens a Manager revokes.
type revocations struct {
	mu     sync.Mutex
	tokens []string
}

func (r *revocations) revoke(_ context.Context, accessToken string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tokens = append(r.tokens, accessToken)
	return nil
}

func (r *revocations) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.tokens)
}

func TestARefreshIsNotUndoneByARequestThatLoadedBeforeIt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{})
	ctx := t.Context()
	_, c := f.login(f.m)
	stale, refreshing := f.load(f.m, c), f.load(f.m, c)

	refreshed := Tokens{AccessToken: "refreshed-access", RefreshToken: "refreshed-refresh"}
	if err := refreshing.UpdateTokens(ctx, refreshed); err != nil {
		t.Fatalf("UpdateTokens() error = %v", err)
	}
	flash := Flash{Kind: "success", Message: "Customer updated."}
	stale.AddFlash(flash)
	if err := stale.Save(ctx, httptest.NewRecorder()); err != nil {
		t.Fatalf("Save() of the request that loaded before the refresh error = %v", err)
	}

	got := f.load(f.m, c)
	if tokens := got.Data().Tokens; tokens != refreshed {
		t.Errorf("Load().Data().Tokens after an older request saved = %v, want the refreshed %v", tokens, refreshed)
	}
	if flashes := got.TakeFlashes(); !reflect.DeepEqual(flashes, []Flash{flash}) {
		t.Errorf("TakeFlashes() = %v, want the older request's %v", flashes, []Flash{flash})
	}
}

func TestConcurrentSavesNeverBringBackAnOlderToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{})
	ctx := t.Context()
	_, c := f.login(f.m)
	const rounds, savers = 5, 8
	for round := range rounds {
		// Each round, requests load the session, a refresh lands, and then
		// they all save at once: every one of them read the old tokens.
		loaded := make([]*Session, savers)
		var wg sync.WaitGroup
		for i := range loaded {
			wg.Go(func() {
				s, err := f.m.Load(request(c))
				if err != nil {
					t.Errorf("Load() error = %v", err)
					return
				}
				loaded[i] = s
			})
		}
		wg.Wait()
		want := Tokens{AccessToken: fmt.Sprintf("access-%d", round), RefreshToken: fmt.Sprintf("refresh-%d", round)}
		if err := f.load(f.m, c).UpdateTokens(ctx, want); err != nil {
			t.Fatalf("UpdateTokens() error = %v", err)
		}
		for i, s := range loaded {
			wg.Go(func() {
				if s == nil {
					return
				}
				s.AddFlash(Flash{Message: fmt.Sprintf("%d-%d", round, i)})
				if err := s.Save(ctx, httptest.NewRecorder()); err != nil {
					t.Errorf("Save() error = %v", err)
				}
			})
		}
		wg.Wait()
		if got := f.load(f.m, c).Data().Tokens; got != want {
			t.Fatalf("round %d: Load().Data().Tokens after %d concurrent saves = %v, want the refreshed %v", round, savers, got, want)
		}
	}
}

func TestTwoCallbacksRacingWithOneStateSucceedOnceAtMost(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{})
	ctx := t.Context()
	rec := httptest.NewRecorder()
	a, err := f.m.StartLogin(ctx, rec, f.load(f.m), "/")
	if err != nil {
		t.Fatal(err)
	}
	c := sessionCookie(t, rec, f.m.CookieName())
	first, second := f.load(f.m, c), f.load(f.m, c)
	_, ok1, err1 := f.m.ConsumeOAuthState(ctx, first, a.State)
	_, ok2, err2 := f.m.ConsumeOAuthState(ctx, second, a.State)
	if err1 != nil || err2 != nil {
		t.Fatalf("ConsumeOAuthState() errors = %v, %v; want none", err1, err2)
	}
	if ok1 == ok2 {
		t.Errorf("ConsumeOAuthState() of one state loaded twice = %t and %t, want exactly one true", ok1, ok2)
	}
}

func TestFlashesAreNotRepeatedAndTheirNumberIsCapped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{})
	ctx := t.Context()
	s := f.load(f.m)
	signedOut := Flash{Kind: "success", Message: "You have signed out."}
	for range 301 {
		s.AddFlash(signedOut)
	}
	rec := httptest.NewRecorder()
	if err := s.Save(ctx, rec); err != nil {
		t.Fatal(err)
	}
	c := sessionCookie(t, rec, f.m.CookieName())
	if got := f.load(f.m, c).Data().Flashes; !reflect.DeepEqual(got, []Flash{signedOut}) {
		t.Errorf("Flashes after adding one message 301 times = %d of them, want it once", len(got))
	}

	s = f.load(f.m, c)
	var added []Flash
	for i := range 10 {
		fl := Flash{Kind: "info", Message: fmt.Sprintf("message %d", i)}
		added = append(added, fl)
		s.AddFlash(fl)
	}
	if err := s.Save(ctx, httptest.NewRecorder()); err != nil {
		t.Fatal(err)
	}
	if got, want := f.load(f.m, c).Data().Flashes, added[len(added)-maxFlashes:]; !reflect.DeepEqual(got, want) {
		t.Errorf("Flashes after adding 10 messages = %d messages ending %v, want the newest %d: %v", len(got), got[max(0, len(got)-maxFlashes):], maxFlashes, want)
	}
}

func TestStartLoginDropsAReturnToLongerThanTheCap(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{})
	longest := "/customers?q=" + strings.Repeat("a", MaxReturnTo-len("/customers?q="))
	tests := []struct {
		name, in, want string
	}{
		{"a path of the greatest length is kept", longest, longest},
		{"a path one byte longer is dropped", longest + "a", ""},
		{"a path of 200 KB is dropped", "/" + strings.Repeat("a", 200<<10), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := f.m.StartLogin(t.Context(), httptest.NewRecorder(), f.load(f.m), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if a.ReturnTo != tt.want {
				t.Errorf("StartLogin(%d bytes).ReturnTo = %d bytes, want %d", len(tt.in), len(a.ReturnTo), len(tt.want))
			}
		})
	}
}

func TestOnlyTheNewestSignedOutSessionsAreKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{})
	m := f.manager(Options{Secrets: [][]byte{secretNew}, MaxSignedOut: 3})
	signedIn, _ := f.login(m)
	var cookies []*http.Cookie
	for i := range 5 {
		f.clock.Advance(time.Second)
		rec := httptest.NewRecorder()
		if _, err := m.StartLogin(t.Context(), rec, f.load(m), fmt.Sprintf("/customers/%d", i)); err != nil {
			t.Fatal(err)
		}
		cookies = append(cookies, sessionCookie(t, rec, m.CookieName()))
	}
	for i, c := range cookies {
		if want := i >= 2; f.rowExists(cookieID(c)) != want {
			t.Errorf("signed-out session %d of 5 kept = %t, want %t (the newest 3 only)", i+1, !want, want)
		}
	}
	if !f.rowExists(signedIn.ID()) {
		t.Errorf("a signed-in session was deleted to make room for signed-out ones")
	}
}

func TestATokenIsRevokedWhenItsSessionEndsWithoutASignOut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// end ends the signed-in session of cookie c with manager m.
		end func(t *testing.T, f *fixture, m *Manager, c *http.Cookie)
	}{
		{"idle, by the sweeper", func(t *testing.T, f *fixture, m *Manager, _ *http.Cookie) {
			f.clock.Advance(DefaultIdleTimeout + time.Second)
			if n, err := m.Sweep(t.Context()); err != nil || n != 2 {
				t.Fatalf("Sweep() = %d, %v; want 2 (both sessions), nil", n, err)
			}
		}},
		{"past the absolute timeout, by the sweeper", func(t *testing.T, f *fixture, m *Manager, c *http.Cookie) {
			elapsed := time.Duration(0)
			for ; elapsed+20*time.Minute < DefaultAbsoluteTimeout; elapsed += 20 * time.Minute {
				f.clock.Advance(20 * time.Minute)
				f.load(m, c)
			}
			f.clock.Advance(DefaultAbsoluteTimeout - elapsed + time.Second)
			if n, err := m.Sweep(t.Context()); err != nil || n != 2 {
				t.Fatalf("Sweep() = %d, %v; want 2 (both sessions), nil", n, err)
			}
		}},
		{"idle, found by the next request", func(t *testing.T, f *fixture, m *Manager, c *http.Cookie) {
			f.clock.Advance(DefaultIdleTimeout)
			if got := f.load(m, c); got.SignedIn() {
				t.Fatalf("Load() after the idle timeout = %v, want signed out", got)
			}
		}},
		{"replaced by a new sign-in", func(t *testing.T, f *fixture, m *Manager, c *http.Cookie) {
			d := testData()
			d.AccessToken = "EAAAl-the-new-sign-in"
			if _, err := m.Login(t.Context(), httptest.NewRecorder(), f.load(m, c), d); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, Options{})
			var r revocations
			m := f.manager(Options{Secrets: [][]byte{secretNew}, Revoke: r.revoke})
			// A signed-out session ending the same way has no token to revoke.
			if _, err := m.StartLogin(t.Context(), httptest.NewRecorder(), f.load(m), "/"); err != nil {
				t.Fatal(err)
			}
			s, c := f.login(m)
			tt.end(t, f, m, c)
			if f.rowExists(s.ID()) {
				t.Fatalf("the session still exists")
			}
			if got, want := r.list(), []string{accessToken}; !reflect.DeepEqual(got, want) {
				t.Errorf("revoked tokens = %q, want only the ended session's", got)
			}
		})
	}
}

func TestSignOutLeavesRevokingToItsCaller(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{})
	var r revocations
	m := f.manager(Options{Secrets: [][]byte{secretNew}, Revoke: r.revoke})
	s, _ := f.login(m)
	if err := m.Logout(t.Context(), httptest.NewRecorder(), s); err != nil {
		t.Fatal(err)
	}
	// The sign-out handler revokes, with Square's answer in its log line;
	// a second revocation here would only fail.
	if got := r.list(); len(got) != 0 {
		t.Errorf("Logout() revoked %q, want nothing revoked by the Manager", got)
	}
}

func TestTypedChangesAreSavedThroughTheGorillaStore(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{})
	_, c := f.login(f.m)
	r := request(c)
	gs, err := f.m.Get(r, f.m.CookieName())
	if err != nil {
		t.Fatal(err)
	}
	s := From(gs)
	if s == nil || !s.SignedIn() {
		t.Fatalf("From(Get()) = %v, want the signed-in session", s)
	}
	flash := Flash{Kind: "success", Message: "Customer created."}
	s.AddFlash(flash)
	rec := httptest.NewRecorder()
	if err := sessions.Save(r, rec); err != nil {
		t.Fatalf("sessions.Save() error = %v", err)
	}
	if got := rec.Header().Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("sessions.Save() of a known session signed with the newest key sets %q, want no cookie", got)
	}
	if got := f.load(f.m, c).TakeFlashes(); !reflect.DeepEqual(got, []Flash{flash}) {
		t.Errorf("TakeFlashes() after sessions.Save() = %v, want %v", got, []Flash{flash})
	}
}

func TestAGorillaSessionSavedUnchangedIsNotWrittenAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t, Options{})
	_, c := f.login(f.m)
	r := request(c)
	gs, err := f.m.Get(r, f.m.CookieName())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		gs.Values[fmt.Sprintf("key-%d", i)] = i
	}
	if err := gs.Save(r, httptest.NewRecorder()); err != nil {
		t.Fatal(err)
	}
	f.backend.writes.Store(0)
	for range 10 {
		r := request(c)
		gs, err := f.m.Get(r, f.m.CookieName())
		if err != nil {
			t.Fatal(err)
		}
		if err := gs.Save(r, httptest.NewRecorder()); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.backend.writes.Load(); got != 0 {
		t.Errorf("10 requests saving 8 unchanged gorilla values wrote %d times, want 0", got)
	}
}
