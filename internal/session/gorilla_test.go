package session

import (
	"net/http/httptest"
	"testing"

	"github.com/gorilla/sessions"
)

func TestGorillaStoreRoundTrip(t *testing.T) {
	f := newFixture(t, Options{})
	name := f.m.CookieName()

	r := request()
	gs, err := f.m.Get(r, name)
	if err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	if !gs.IsNew || gs.ID != "" {
		t.Errorf("Get() without a cookie = IsNew %v, ID %q; want a new session", gs.IsNew, gs.ID)
	}
	if again, _ := f.m.Get(r, name); again != gs {
		t.Errorf("Get() twice in one request returned two sessions, want the registry's one")
	}
	gs.Values["count"] = 41
	gs.AddFlash("hello")
	rec := httptest.NewRecorder()
	if err := sessions.Save(r, rec); err != nil {
		t.Fatalf("sessions.Save() error = %v", err)
	}
	c := sessionCookie(t, rec, name)
	if gs.ID == "" || cookieID(c) != gs.ID {
		t.Errorf("after Save() ID = %q and cookie id %q, want them equal and set", gs.ID, cookieID(c))
	}

	gs, err = f.m.New(request(c), name)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	if gs.IsNew || gs.Values["count"] != 41 {
		t.Errorf("New() = IsNew %v, Values %v; want the stored count 41", gs.IsNew, gs.Values)
	}
	if flashes := gs.Flashes(); len(flashes) != 1 || flashes[0] != "hello" {
		t.Errorf("Flashes() = %v, want [hello]", flashes)
	}
}

func TestGorillaSaveKeepsTheTypedData(t *testing.T) {
	f := newFixture(t, Options{})
	_, c := f.login(f.m)
	r := request(c)
	gs, err := f.m.Get(r, f.m.CookieName())
	if err != nil {
		t.Fatal(err)
	}
	gs.Values["theme"] = "dark"
	if err := gs.Save(r, httptest.NewRecorder()); err != nil {
		t.Fatalf("Save() error = %v", err)
	}
	s := f.load(f.m, c)
	if !s.SignedIn() || s.Data().AccessToken != accessToken {
		t.Errorf("Load() after a gorilla Save() = %v, want still signed in with its token", s)
	}
	// And a typed save keeps the gorilla values.
	s.AddFlash(Flash{Message: "x"})
	if err := s.Save(t.Context(), httptest.NewRecorder()); err != nil {
		t.Fatal(err)
	}
	gs, err = f.m.New(request(c), f.m.CookieName())
	if err != nil || gs.Values["theme"] != "dark" {
		t.Errorf("New() after a typed Save() = %v, %v; want theme=dark", gs.Values, err)
	}
}

func TestGorillaSaveResignsACookieSignedWithAnOldKey(t *testing.T) {
	f := newFixture(t, Options{Secrets: [][]byte{secretOld}})
	_, c := f.login(f.m)
	rotated := f.manager(Options{Secrets: [][]byte{secretNew, secretOld}})
	r := request(c)
	gs, err := rotated.Get(r, rotated.CookieName())
	if err != nil || gs.IsNew {
		t.Fatalf("Get() with rotated keys = IsNew %v, %v; want the stored session", gs.IsNew, err)
	}
	rec := httptest.NewRecorder()
	if err := gs.Save(r, rec); err != nil {
		t.Fatal(err)
	}
	resigned := sessionCookie(t, rec, rotated.CookieName())
	newOnly := f.manager(Options{Secrets: [][]byte{secretNew}})
	if got := f.load(newOnly, resigned); !got.SignedIn() {
		t.Errorf("Load() of the re-signed cookie with the old key retired = %v, want signed in", got)
	}
}

func TestGorillaNegativeMaxAgeEndsTheSession(t *testing.T) {
	f := newFixture(t, Options{})
	s, c := f.login(f.m)
	r := request(c)
	gs, err := f.m.Get(r, f.m.CookieName())
	if err != nil {
		t.Fatal(err)
	}
	gs.Options.MaxAge = -1
	rec := httptest.NewRecorder()
	if err := gs.Save(r, rec); err != nil {
		t.Fatalf("Save() error = %v", err)
	}
	if f.rowExists(s.ID()) {
		t.Errorf("row exists after Save() with MaxAge -1")
	}
	if got := sessionCookie(t, rec, f.m.CookieName()); got.MaxAge >= 0 {
		t.Errorf("cookie after Save() with MaxAge -1 = %+v, want expired", got)
	}
}

func TestGorillaNewRefusesAnotherCookieName(t *testing.T) {
	f := newFixture(t, Options{})
	gs, err := f.m.New(request(), "other")
	if err == nil || gs == nil {
		t.Errorf("New(other) = %v, %v; want a session and an error", gs, err)
	}
}

func TestGorillaNewIgnoresBadCookies(t *testing.T) {
	f := newFixture(t, Options{})
	c := sessionCookieFor(f.m, "garbage")
	gs, err := f.m.New(request(c), f.m.CookieName())
	if err != nil || !gs.IsNew {
		t.Errorf("New(garbage cookie) = IsNew %v, %v; want a new session and no error", gs.IsNew, err)
	}
}
