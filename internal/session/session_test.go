package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/store"
)

func TestNewManagerRejectsBadSecrets(t *testing.T) {
	tests := []struct {
		name    string
		secrets [][]byte
	}{
		{"no secret", nil},
		{"a short secret", [][]byte{[]byte("short")}},
		{"a short old secret", [][]byte{secretNew, []byte("short")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewManager(nil, Options{Secrets: tt.secrets}); err == nil {
				t.Errorf("NewManager(%q) error = nil, want one", tt.secrets)
			}
		})
	}
}

func TestCookieAttributes(t *testing.T) {
	tests := []struct {
		name       string
		secure     bool
		wantName   string
		wantSecure bool
	}{
		{"plain http uses tessera without Secure", false, "tessera", false},
		{"https uses __Host-tessera with Secure", true, "__Host-tessera", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{Secure: tt.secure})
			if got := f.m.CookieName(); got != tt.wantName {
				t.Errorf("CookieName() = %q, want %q", got, tt.wantName)
			}
			s, c := f.login(f.m)
			if c.Secure != tt.wantSecure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
				t.Errorf("Login cookie = %+v, want Secure=%v HttpOnly SameSite=Lax Path=/ no Domain", c, tt.wantSecure)
			}
			if want := int((12 * time.Hour).Seconds()); c.MaxAge != want {
				t.Errorf("Login cookie MaxAge = %d, want %d", c.MaxAge, want)
			}
			if cookieID(c) != s.ID() {
				t.Errorf("Login cookie id = %q, want the session id %q", cookieID(c), s.ID())
			}

			rec := httptest.NewRecorder()
			if err := f.m.Logout(t.Context(), rec, s); err != nil {
				t.Fatalf("Logout() error = %v", err)
			}
			gone := sessionCookie(t, rec, tt.wantName)
			if gone.MaxAge >= 0 || gone.Value != "" || gone.Secure != tt.wantSecure || !gone.HttpOnly || gone.Path != "/" {
				t.Errorf("Logout cookie = %+v, want an empty, expired cookie with the same attributes", gone)
			}
		})
	}
}

func TestCookieHoldsOnlyASignedRandomID(t *testing.T) {
	f := newFixture(t, Options{})
	s1, c1 := f.login(f.m)
	_, c2 := f.login(f.m)

	id, sig, ok := strings.Cut(c1.Value, ".")
	if !ok || len(id) != 43 || len(sig) != 43 {
		t.Fatalf("cookie value = %q, want a 43-character id, a dot and a 43-character signature", c1.Value)
	}
	if id != s1.ID() {
		t.Errorf("cookie id = %q, want %q", id, s1.ID())
	}
	if cookieID(c1) == cookieID(c2) {
		t.Errorf("two sign-ins have the same id %q", cookieID(c1))
	}
	for _, secret := range []string{accessToken, refreshToken, testData().MerchantID, testData().BusinessName} {
		if strings.Contains(c1.Value, secret) {
			t.Errorf("cookie value = %q, want no %q in it", c1.Value, secret)
		}
	}
}

func TestDatabaseHoldsNoTokenText(t *testing.T) {
	f := newFixture(t, Options{})
	s, _ := f.login(f.m)
	s.AddFlash(Flash{Kind: "success", Message: "Signed in"})
	if err := s.Save(t.Context(), httptest.NewRecorder()); err != nil {
		t.Fatal(err)
	}
	row, err := f.db.GetSession(t.Context(), s.ID())
	if err != nil {
		t.Fatal(err)
	}
	if row.MerchantID != testData().MerchantID {
		t.Errorf("row merchant_id = %q, want %q in the clear", row.MerchantID, testData().MerchantID)
	}
	// The raw files, write-ahead log included, are what a stolen backup holds.
	files, _ := filepath.Glob(filepath.Join(f.dir, store.FileName+"*"))
	if len(files) == 0 {
		t.Fatal("no database files found")
	}
	blobs := map[string][]byte{"row data": row.Data}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		blobs[filepath.Base(name)] = b
	}
	for where, b := range blobs {
		for _, secret := range []string{accessToken, refreshToken, "Signed in", testData().BusinessName} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds %q, want it encrypted", where, secret)
			}
		}
	}
}

func TestSessionRoundTrip(t *testing.T) {
	f := newFixture(t, Options{})
	_, c := f.login(f.m)
	s := f.load(f.m, c)
	if !s.SignedIn() || s.MerchantID() != testData().MerchantID {
		t.Fatalf("Load() = %v, want signed in as %s", s, testData().MerchantID)
	}
	if got, want := s.Data(), testData(); !reflect.DeepEqual(got, want) {
		t.Errorf("Load().Data() =\n%#v\nwant\n%#v", got, want)
	}
}

func TestDataReturnsACopy(t *testing.T) {
	f := newFixture(t, Options{})
	s, _ := f.login(f.m)
	d := s.Data()
	d.Scopes[0] = "CHANGED"
	d.MerchantID = "OTHER"
	if got := s.Data(); got.Scopes[0] != "CUSTOMERS_READ" || got.MerchantID != testData().MerchantID {
		t.Errorf("Data() after changing a copy = %v, want it unchanged", got)
	}
}

func TestAnAnonymousSessionWritesNothingUntilItHasSomethingToKeep(t *testing.T) {
	f := newFixture(t, Options{})
	s := f.load(f.m)
	rec := httptest.NewRecorder()
	if err := s.Save(t.Context(), rec); err != nil {
		t.Fatalf("Save() error = %v", err)
	}
	if got := rec.Header().Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("Save() of an empty session sets %q, want no cookie", got)
	}
	if got := f.backend.writes.Load(); got != 0 {
		t.Errorf("Save() of an empty session wrote %d times, want 0", got)
	}
	if s.ID() != "" {
		t.Errorf("ID() = %q, want empty", s.ID())
	}

	s.AddFlash(Flash{Kind: "error", Message: "Please sign in"})
	if err := s.Save(t.Context(), rec); err != nil {
		t.Fatalf("Save() error = %v", err)
	}
	c := sessionCookie(t, rec, f.m.CookieName())
	if !f.rowExists(cookieID(c)) {
		t.Errorf("Save() with a flash stored no row")
	}
}

func TestFlashesAreShownOnce(t *testing.T) {
	f := newFixture(t, Options{})
	s := f.load(f.m)
	want := []Flash{{Kind: "success", Message: "Customer saved"}, {Kind: "error", Message: "Card declined"}}
	for _, fl := range want {
		s.AddFlash(fl)
	}
	rec := httptest.NewRecorder()
	if err := s.Save(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	c := sessionCookie(t, rec, f.m.CookieName())

	next := f.load(f.m, c)
	if got := next.TakeFlashes(); !reflect.DeepEqual(got, want) {
		t.Errorf("TakeFlashes() = %v, want %v", got, want)
	}
	if err := next.Save(t.Context(), httptest.NewRecorder()); err != nil {
		t.Fatal(err)
	}
	if got := f.load(f.m, c).TakeFlashes(); len(got) != 0 {
		t.Errorf("TakeFlashes() on the following request = %v, want none", got)
	}
}

func TestLoginIssuesANewIDAndRetiresThePreLoginCookie(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := t.Context()
	pre := f.load(f.m)
	rec := httptest.NewRecorder()
	if _, err := f.m.StartLogin(ctx, rec, pre, "/customers"); err != nil {
		t.Fatalf("StartLogin() error = %v", err)
	}
	preCookie := sessionCookie(t, rec, f.m.CookieName())

	pre = f.load(f.m, preCookie)
	if pre.ID() != cookieID(preCookie) {
		t.Fatalf("Load(pre-login cookie).ID() = %q, want %q", pre.ID(), cookieID(preCookie))
	}
	preID := pre.ID()
	rec = httptest.NewRecorder()
	s, err := f.m.Login(ctx, rec, pre, testData())
	if err != nil {
		t.Fatalf("Login() error = %v", err)
	}
	postCookie := sessionCookie(t, rec, f.m.CookieName())
	if s.ID() == preID || cookieID(postCookie) == preID {
		t.Errorf("Login() kept the id %q, want a new one", preID)
	}
	if f.rowExists(preID) {
		t.Errorf("the pre-login row still exists after Login()")
	}
	if got := f.load(f.m, preCookie); got.SignedIn() || got.ID() != "" {
		t.Errorf("Load(pre-login cookie) = %v, want a new anonymous session", got)
	}
	if got := f.load(f.m, postCookie); !got.SignedIn() {
		t.Errorf("Load(new cookie) = %v, want signed in", got)
	}
	if got := s.Data(); got.OAuthState != "" || got.ReturnTo != "" {
		t.Errorf("Login() data = %v, want no sign-in attempt left", got)
	}

	// A handler that saves the replaced session by mistake must not bring
	// it back.
	pre.AddFlash(Flash{Message: "late"})
	rec = httptest.NewRecorder()
	if err := pre.Save(ctx, rec); err != nil {
		t.Fatalf("Save() of the replaced session error = %v", err)
	}
	if got := rec.Header().Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("Save() of the replaced session sets %q, want nothing", got)
	}
}

func TestLoginNeedsAMerchantAndAToken(t *testing.T) {
	f := newFixture(t, Options{})
	for _, d := range []Data{{MerchantID: "M1"}, {Tokens: Tokens{AccessToken: "t"}}} {
		if _, err := f.m.Login(t.Context(), httptest.NewRecorder(), nil, d); err == nil {
			t.Errorf("Login(%v) error = nil, want one", d)
		}
	}
}

func TestLogoutDeletesTheRowAndSignsTheCookieOut(t *testing.T) {
	f := newFixture(t, Options{})
	_, c := f.login(f.m)
	s := f.load(f.m, c)
	id := s.ID()
	rec := httptest.NewRecorder()
	if err := f.m.Logout(t.Context(), rec, s); err != nil {
		t.Fatalf("Logout() error = %v", err)
	}
	if f.rowExists(id) {
		t.Errorf("row exists after Logout()")
	}
	if s.SignedIn() || s.ID() != "" {
		t.Errorf("session after Logout() = %v, want anonymous", s)
	}
	// The browser may keep the old cookie; the server must not.
	if got := f.load(f.m, c); got.SignedIn() {
		t.Errorf("Load(old cookie) after Logout() = %v, want signed out", got)
	}

	// A flash added after signing out starts a new session, whose cookie
	// follows the expiring one and so wins.
	s.AddFlash(Flash{Message: "Signed out"})
	if err := s.Save(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	next := sessionCookie(t, rec, f.m.CookieName())
	if cookieID(next) == id || next.MaxAge <= 0 {
		t.Errorf("cookie after a flash on a signed-out session = %+v, want a new live one", next)
	}
	if got := f.load(f.m, next); got.SignedIn() || len(got.TakeFlashes()) != 1 {
		t.Errorf("Load(new cookie) = %v, want anonymous with the flash", got)
	}
}

func TestIdleTimeout(t *testing.T) {
	f := newFixture(t, Options{})
	s, c := f.login(f.m)
	f.clock.Advance(30*time.Minute - time.Second)
	if got := f.load(f.m, c); !got.SignedIn() {
		t.Fatalf("Load() after 29m59s idle = %v, want signed in", got)
	}
	f.clock.Advance(30*time.Minute - time.Second)
	if got := f.load(f.m, c); !got.SignedIn() {
		t.Fatalf("Load() 29m59s after the last request = %v, want signed in", got)
	}
	f.clock.Advance(30 * time.Minute)
	if got := f.load(f.m, c); got.SignedIn() {
		t.Errorf("Load() after 30m idle = %v, want signed out", got)
	}
	if f.rowExists(s.ID()) {
		t.Errorf("an idle-expired row still exists after Load()")
	}
}

func TestAbsoluteTimeoutEndsEvenAnActiveSession(t *testing.T) {
	f := newFixture(t, Options{})
	s, c := f.login(f.m)
	elapsed := time.Duration(0)
	for elapsed+20*time.Minute < 12*time.Hour {
		f.clock.Advance(20 * time.Minute)
		elapsed += 20 * time.Minute
		if got := f.load(f.m, c); !got.SignedIn() {
			t.Fatalf("Load() after %v of activity = %v, want signed in", elapsed, got)
		}
	}
	f.clock.Advance(12*time.Hour - elapsed)
	if got := f.load(f.m, c); got.SignedIn() {
		t.Errorf("Load() after 12h = %v, want signed out", got)
	}
	if f.rowExists(s.ID()) {
		t.Errorf("an expired row still exists after Load()")
	}
}

func TestLastSeenWritesAreThrottled(t *testing.T) {
	f := newFixture(t, Options{})
	s, c := f.login(f.m)
	f.backend.writes.Store(0)
	for range 5 {
		f.clock.Advance(10 * time.Second)
		f.load(f.m, c)
	}
	if got := f.backend.writes.Load(); got != 0 {
		t.Errorf("writes for 5 requests within a minute = %d, want 0", got)
	}
	f.clock.Advance(20 * time.Second)
	f.load(f.m, c)
	if got := f.backend.writes.Load(); got != 1 {
		t.Errorf("writes for a request a minute after sign-in = %d, want 1", got)
	}
	row, err := f.db.GetSession(t.Context(), s.ID())
	if err != nil {
		t.Fatal(err)
	}
	if want := f.clock.Now(); !row.LastSeen.Equal(want) {
		t.Errorf("last_seen = %v, want %v", row.LastSeen, want)
	}
}

func TestBadCookiesMeanSignedOut(t *testing.T) {
	f := newFixture(t, Options{})
	_, good := f.login(f.m)
	deleted, deletedCookie := f.login(f.m)
	if err := f.db.DeleteSession(t.Context(), deleted.ID()); err != nil {
		t.Fatal(err)
	}
	other := newFixture(t, Options{Secrets: [][]byte{secretOld}})
	_, foreign := other.login(other.m)

	id, sig, _ := strings.Cut(good.Value, ".")
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name  string
		value string
	}{
		{"an empty value", ""},
		{"garbage", "garbage"},
		{"an id without a signature", id},
		{"an id with an empty signature", id + "."},
		{"a tampered signature", id + "." + flip(sig, 5)},
		{"a tampered id", flip(id, 5) + "." + sig},
		{"a signature of another length", id + "." + sig + "A"},
		{"an extra part", good.Value + ".x"},
		{"an id with characters outside base64url", "!" + id[1:] + "." + sig},
		{"a cookie signed with an unknown key", foreign.Value},
		{"a validly signed cookie for a deleted session", deletedCookie.Value},
		{"a very long value", strings.Repeat("A", 4000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &http.Cookie{Name: f.m.CookieName(), Value: tt.value}
			s, err := f.m.Load(request(c))
			if err != nil {
				t.Fatalf("Load(%q) error = %v, want nil", tt.value, err)
			}
			if s.SignedIn() || s.ID() != "" {
				t.Errorf("Load(%q) = %v, want a new anonymous session", tt.value, s)
			}
		})
	}
}

func TestAValidCookieAfterABadOneOfTheSameNameIsUsed(t *testing.T) {
	f := newFixture(t, Options{})
	_, good := f.login(f.m)
	bad := &http.Cookie{Name: good.Name, Value: "garbage"}
	if s := f.load(f.m, bad, good); !s.SignedIn() {
		t.Errorf("Load(bad, good) = %v, want signed in", s)
	}
}

func TestKeyRotation(t *testing.T) {
	f := newFixture(t, Options{Secrets: [][]byte{secretOld}})
	old := f.m
	rotated := f.manager(Options{Secrets: [][]byte{secretNew, secretOld}})
	newOnly := f.manager(Options{Secrets: [][]byte{secretNew}})

	t.Run("a session written with the old key is readable after a new key is added first", func(t *testing.T) {
		s, c := f.login(old)
		rec := httptest.NewRecorder()
		got, err := rotated.Load(request(c))
		if err != nil || !got.SignedIn() {
			t.Fatalf("Load() with rotated keys = %v, %v, want signed in", got, err)
		}
		// Loading rewrote the record under the new key.
		row, err := f.db.GetSession(t.Context(), s.ID())
		if err != nil {
			t.Fatal(err)
		}
		if _, idx, err := rotated.open(s.ID(), row.Data); err != nil || idx != 0 {
			t.Errorf("record after loading opens with key %d, %v; want the newest (0)", idx, err)
		}
		// Saving sends the cookie again, signed with the new key.
		if err := got.Save(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
		resigned := sessionCookie(t, rec, rotated.CookieName())
		if resigned.Value == c.Value || cookieID(resigned) != s.ID() {
			t.Errorf("cookie after Save() = %q, want the same id re-signed", resigned.Value)
		}
		if want := int((12 * time.Hour).Seconds()); resigned.MaxAge <= 0 || resigned.MaxAge > want {
			t.Errorf("re-signed cookie MaxAge = %d, want what remains of %d", resigned.MaxAge, want)
		}
		// Once the old key is retired, the session lives on.
		if got := f.load(newOnly, resigned); !got.SignedIn() {
			t.Errorf("Load() with the old key retired = %v, want signed in", got)
		}
	})

	t.Run("a session written with a retired key is signed out", func(t *testing.T) {
		_, c := f.login(old)
		if got := f.load(newOnly, c); got.SignedIn() {
			t.Errorf("Load() of a retired key's session = %v, want signed out", got)
		}
	})

	// Replicas are rotated one at a time, so for a while some seal with
	// the old key and others with the new: the new key goes in second on
	// every replica first, then first, then the old one goes.
	t.Run("replicas midway through a rolling rotation read each other's sessions", func(t *testing.T) {
		accepting := f.manager(Options{Secrets: [][]byte{secretOld, secretNew}})
		for _, pair := range [][2]*Manager{{accepting, rotated}, {rotated, accepting}} {
			s, c := f.login(pair[0])
			got := f.load(pair[1], c)
			if !got.SignedIn() || got.ID() != s.ID() {
				t.Fatalf("a session made on one replica, loaded on the other = %v, want the same, signed in", got)
			}
			// The second replica rewrote it under its own first key; the
			// first still reads it.
			if again := f.load(pair[0], c); !again.SignedIn() {
				t.Errorf("back on the first replica the session = %v, want signed in", again)
			}
		}
	})

	t.Run("a session signed with the new key but stored under the old is readable", func(t *testing.T) {
		s, c := f.login(old)
		// Re-sign the cookie only, as if the record had not been rewritten.
		c.Value = rotated.cookieValue(s.ID())
		if got := f.load(rotated, c); !got.SignedIn() {
			t.Errorf("Load() = %v, want signed in", got)
		}
	})
}

func TestARecordMovedToAnotherRowDoesNotDecrypt(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := t.Context()
	a, ca := f.login(f.m)
	b, cb := f.login(f.m)
	rowA, err := f.db.GetSession(ctx, a.ID())
	if err != nil {
		t.Fatal(err)
	}
	rowB, err := f.db.GetSession(ctx, b.ID())
	if err != nil {
		t.Fatal(err)
	}
	rowA.Data, rowB.Data = rowB.Data, rowA.Data
	for _, r := range []store.SessionRow{rowA, rowB} {
		if err := f.db.UpdateSession(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*http.Cookie{ca, cb} {
		if got := f.load(f.m, c); got.SignedIn() {
			t.Errorf("Load() of a row holding another row's record = %v, want signed out", got)
		}
	}
}

func TestOAuthState(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := t.Context()
	start := func(t *testing.T, returnTo string) (LoginAttempt, *http.Cookie) {
		t.Helper()
		rec := httptest.NewRecorder()
		a, err := f.m.StartLogin(ctx, rec, f.load(f.m), returnTo)
		if err != nil {
			t.Fatalf("StartLogin() error = %v", err)
		}
		return a, sessionCookie(t, rec, f.m.CookieName())
	}

	t.Run("the state is long, random and used once", func(t *testing.T) {
		a, c := start(t, "/customers?q=ann")
		b, _ := start(t, "")
		if len(a.State) < 22 || a.State == b.State || len(a.Verifier) != 43 {
			t.Errorf("StartLogin() = %v and %v, want distinct states of at least 128 bits and a 43-character verifier", a, b)
		}
		got, ok, err := f.m.ConsumeOAuthState(ctx, f.load(f.m, c), a.State)
		if err != nil || !ok || got != a {
			t.Fatalf("ConsumeOAuthState(right state) = %v, %v, %v; want %v, true, nil", got, ok, err, a)
		}
		if got.ReturnTo != "/customers?q=ann" {
			t.Errorf("ReturnTo = %q, want %q", got.ReturnTo, "/customers?q=ann")
		}
		got, ok, err = f.m.ConsumeOAuthState(ctx, f.load(f.m, c), a.State)
		if err != nil || ok {
			t.Errorf("ConsumeOAuthState(replayed state) = %v, %v, %v; want not ok", got, ok, err)
		}
	})

	t.Run("the name given is kept with the attempt and not after it", func(t *testing.T) {
		rec := httptest.NewRecorder()
		a, err := f.m.StartLoginAs(ctx, rec, f.load(f.m), "/", "Grace Hopper")
		if err != nil || a.StaffName != "Grace Hopper" {
			t.Fatalf("StartLoginAs() = %v, %v; want the name kept", a, err)
		}
		c := sessionCookie(t, rec, f.m.CookieName())
		s := f.load(f.m, c)
		got, ok, err := f.m.ConsumeOAuthState(ctx, s, a.State)
		if err != nil || !ok || got.StaffName != "Grace Hopper" {
			t.Fatalf("ConsumeOAuthState() = %v, %v, %v; want the name back", got, ok, err)
		}
		if d := f.load(f.m, c).Data(); d.LoginStaffName != "" {
			t.Errorf("the consumed attempt's name is still in the session: %q", d.LoginStaffName)
		}
	})

	t.Run("a wrong state is refused and burns the attempt", func(t *testing.T) {
		a, c := start(t, "/")
		for _, wrong := range []string{"", "x", a.State[:len(a.State)-1], a.State + "x"} {
			if _, ok, err := f.m.ConsumeOAuthState(ctx, f.load(f.m, c), wrong); ok || err != nil {
				t.Errorf("ConsumeOAuthState(%q) = %v, %v; want false, nil", wrong, ok, err)
			}
		}
		if _, ok, _ := f.m.ConsumeOAuthState(ctx, f.load(f.m, c), a.State); ok {
			t.Errorf("ConsumeOAuthState(right state after a wrong one) = true, want false")
		}
	})

	t.Run("a state from another browser is refused", func(t *testing.T) {
		a, _ := start(t, "/")
		_, other := start(t, "/")
		if _, ok, _ := f.m.ConsumeOAuthState(ctx, f.load(f.m, other), a.State); ok {
			t.Errorf("ConsumeOAuthState(another session's state) = true, want false")
		}
	})

	t.Run("a session without an attempt is refused", func(t *testing.T) {
		if _, ok, err := f.m.ConsumeOAuthState(ctx, f.load(f.m), "anything"); ok || err != nil {
			t.Errorf("ConsumeOAuthState() on an anonymous session = %v, %v; want false, nil", ok, err)
		}
	})

	returnTos := []struct {
		in, want string
	}{
		{"/customers/C1?tab=cards", "/customers/C1?tab=cards"},
		{"/", "/"},
		{"", ""},
		{"customers", ""},
		{"//evil.example", ""},
		{"/\\evil.example", ""},
		{"/\t/evil.example", ""},
		{"/customers\\x", ""},
		{"https://evil.example/", ""},
		{"javascript:alert(1)", ""},
	}
	for _, tt := range returnTos {
		t.Run(fmt.Sprintf("return to %q is kept as %q", tt.in, tt.want), func(t *testing.T) {
			a, _ := start(t, tt.in)
			if a.ReturnTo != tt.want {
				t.Errorf("StartLogin(%q).ReturnTo = %q, want %q", tt.in, a.ReturnTo, tt.want)
			}
		})
	}
}

func TestUpdateTokens(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := t.Context()
	_, c := f.login(f.m)
	s := f.load(f.m, c)
	f.clock.Advance(5 * time.Minute)
	refreshed := Tokens{AccessToken: "new-access", Expiry: time.Date(2026, 4, 30, 9, 0, 0, 0, time.UTC)}
	if err := s.UpdateTokens(ctx, refreshed); err != nil {
		t.Fatalf("UpdateTokens() error = %v", err)
	}
	got := f.load(f.m, c).Data()
	want := testData()
	want.AccessToken = refreshed.AccessToken
	want.Expiry = refreshed.Expiry
	want.LastRefresh = f.clock.Now()
	if !reflect.DeepEqual(got.Tokens, want.Tokens) || !got.LastRefresh.Equal(want.LastRefresh) {
		t.Errorf("after UpdateTokens(%v) Data() = %v, want %v (the refresh token kept)", refreshed, got, want)
	}

	pkce := Tokens{AccessToken: "a2", RefreshToken: "r2"}
	if err := s.UpdateTokens(ctx, pkce); err != nil {
		t.Fatal(err)
	}
	if got := f.load(f.m, c).Data().Tokens; got != pkce {
		t.Errorf("after UpdateTokens(%v) Tokens = %v, want the new refresh token", pkce, got)
	}

	if err := f.load(f.m).UpdateTokens(ctx, refreshed); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("UpdateTokens() on an anonymous session error = %v, want ErrNotSignedIn", err)
	}
}

func TestASessionSignedOutElsewhereIsNotBroughtBack(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := t.Context()
	_, c := f.login(f.m)
	tab1, tab2 := f.load(f.m, c), f.load(f.m, c)
	id := tab1.ID()
	if err := f.m.Logout(ctx, httptest.NewRecorder(), tab1); err != nil {
		t.Fatal(err)
	}

	tab2.AddFlash(Flash{Message: "saved"})
	if err := tab2.Save(ctx, httptest.NewRecorder()); err != nil {
		t.Errorf("Save() after a sign-out elsewhere error = %v, want nil", err)
	}
	if err := f.load(f.m, c).UpdateTokens(ctx, Tokens{AccessToken: "x"}); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("UpdateTokens() on a fresh load after sign-out error = %v, want ErrNotSignedIn", err)
	}
	tab3 := f.load(f.m, c)
	if tab3.SignedIn() || f.rowExists(id) {
		t.Errorf("the signed-out session came back: Load() = %v", tab3)
	}
	if tab2.SignedIn() {
		t.Errorf("session whose save found no row = %v, want signed out", tab2)
	}
}

func TestUpdateTokensAfterASignOutElsewhereDropsThem(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := t.Context()
	_, c := f.login(f.m)
	tab1, tab2 := f.load(f.m, c), f.load(f.m, c)
	id := tab1.ID()
	if err := f.m.Logout(ctx, httptest.NewRecorder(), tab1); err != nil {
		t.Fatal(err)
	}
	if err := tab2.UpdateTokens(ctx, Tokens{AccessToken: "x"}); err != nil {
		t.Errorf("UpdateTokens() error = %v, want nil", err)
	}
	if tab2.SignedIn() || f.rowExists(id) {
		t.Errorf("UpdateTokens() brought the session back")
	}
}

func TestDatabaseFailuresAreErrors(t *testing.T) {
	f := newFixture(t, Options{})
	_, c := f.login(f.m)
	f.db.Close()
	if _, err := f.m.Load(request(c)); err == nil {
		t.Errorf("Load() with a closed database error = nil, want one")
	}
	// Without a cookie there is nothing to read.
	if _, err := f.m.Load(request()); err != nil {
		t.Errorf("Load() without a cookie error = %v, want nil", err)
	}
	s := f.load(f.m)
	s.AddFlash(Flash{Message: "x"})
	if err := s.Save(t.Context(), httptest.NewRecorder()); err == nil {
		t.Errorf("Save() with a closed database error = nil, want one")
	}
	if _, err := f.m.Sweep(t.Context()); err == nil {
		t.Errorf("Sweep() with a closed database error = nil, want one")
	}
}

func TestSweepDeletesOnlyExpiredRows(t *testing.T) {
	f := newFixture(t, Options{})
	old, _ := f.login(f.m)          // created at 0, kept active below
	idle, _ := f.login(f.m)         // created at 0, never seen again
	f.clock.Advance(11 * time.Hour) // 11h
	fresh, cFresh := f.login(f.m)
	if err := f.db.TouchSession(t.Context(), old.ID(), f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour + time.Minute) // 12h01m: old is past 12h, fresh idle 61m
	if err := f.db.TouchSession(t.Context(), old.ID(), f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := f.db.TouchSession(t.Context(), fresh.ID(), f.clock.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}

	n, err := f.m.Sweep(t.Context())
	if err != nil || n != 2 {
		t.Fatalf("Sweep() = %d, %v; want 2, nil", n, err)
	}
	for _, s := range []*Session{old, idle} {
		if f.rowExists(s.ID()) {
			t.Errorf("Sweep() kept an expired session")
		}
	}
	if got := f.load(f.m, cFresh); !got.SignedIn() {
		t.Errorf("Sweep() removed a live session")
	}
}

func TestRunSweeperSweepsUntilCancelled(t *testing.T) {
	f := newFixture(t, Options{})
	s, _ := f.login(f.m)
	f.clock.Advance(time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		f.m.RunSweeper(ctx, time.Millisecond)
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for f.rowExists(s.ID()) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if f.rowExists(s.ID()) {
		t.Errorf("RunSweeper did not delete an expired session")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunSweeper did not return after cancel")
	}
}

func TestConcurrentRequestsOfOneSession(t *testing.T) {
	f := newFixture(t, Options{})
	_, c := f.login(f.m)
	const workers, rounds = 20, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*2)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				f.clock.Advance(time.Second)
				// Half the workers share the signed-in session; the others
				// start anonymous ones.
				r := request()
				if w%2 == 0 {
					r = request(c)
				}
				s, err := f.m.Load(r)
				if err != nil {
					errs <- err
					return
				}
				s.AddFlash(Flash{Message: fmt.Sprintf("%d-%d", w, i)})
				s.TakeFlashes()
				s.AddFlash(Flash{Message: "kept"})
				if err := s.Save(context.Background(), httptest.NewRecorder()); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent request error = %v", err)
	}
	if got := f.load(f.m, c); !got.SignedIn() {
		t.Errorf("Load() after concurrent requests = %v, want signed in", got)
	}
}

func TestSecretsStayOutOfFormattingAndLogs(t *testing.T) {
	f := newFixture(t, Options{})
	s, _ := f.login(f.m)
	rec := httptest.NewRecorder()
	attempt, err := f.m.StartLogin(t.Context(), rec, s, "/")
	if err != nil {
		t.Fatal(err)
	}
	d := s.Data()

	var out strings.Builder
	for _, v := range []any{d, &d, d.Tokens, s, attempt} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
	}
	for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
		slog.New(h).Info("x", "data", d, "tokens", d.Tokens, "session", s, "attempt", attempt)
	}
	for line := range strings.Lines(out.String()) {
		for _, secret := range []string{accessToken, refreshToken, attempt.State, attempt.Verifier, s.ID()} {
			if strings.Contains(line, secret) {
				t.Errorf("formatted or logged output holds %q: %s", secret, line)
			}
		}
	}
	if !strings.Contains(out.String(), testData().MerchantID) {
		t.Errorf("formatted output = %q, want the merchant id in it", out.String())
	}
}
