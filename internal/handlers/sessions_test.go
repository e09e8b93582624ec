package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

func TestSignInGivesANewSessionIDAndThePreLoginOneStopsWorking(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	cb := b.consent(b.startLogin(""), 0, "allow")
	preLogin := b.sessionCookie()
	if preLogin == "" {
		t.Fatal("POST /login set no session cookie")
	}

	expectRedirect(t, b.get(cb.String()), "/customers")

	signedIn := b.sessionCookie()
	if signedIn == "" || signedIn == preLogin {
		t.Fatalf("session cookie after sign-in = %q, want a new value (was %q)", signedIn, preLogin)
	}
	old := h.newBrowser()
	old.setCookie(h.sessions.CookieName(), preLogin)
	if old.signedIn() {
		t.Errorf("the pre-login cookie alone after sign-in: signed in, want signed out")
	}
	if !b.signedIn() {
		t.Errorf("the new cookie after sign-in: signed out, want signed in")
	}
}

func TestSignOutDeletesTheSessionAndRevokesOnlyItsAccessToken(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	colleague := h.newBrowser()
	colleague.signIn(0)
	cookie := b.sessionCookie()
	data, ok := h.sessionData(cookie)
	if !ok {
		t.Fatal("the session is not signed in after sign-in")
	}

	p := b.signOut()
	p = b.get(p.location())
	expect(t, p, http.StatusOK)

	if got := strings.TrimSpace(p.testID("flash").Text()); got != "You have signed out." {
		t.Errorf("GET /login after sign-out: flash = %q, want %q", got, "You have signed out.")
	}
	// The record is gone: the old cookie, replayed, is signed out.
	old := h.newBrowser()
	old.setCookie(h.sessions.CookieName(), cookie)
	expectRedirect(t, old.get("/customers"), "/login?return_to=%2Fcustomers")
	if _, ok := h.sessionData(cookie); ok {
		t.Errorf("the session record still signs in after sign-out")
	}
	// Square was asked to revoke this access token only.
	revokes := h.wire.find(http.MethodPost, "/oauth2/revoke")
	if len(revokes) != 1 || h.revokeCalls() != 1 {
		t.Fatalf("sign-out: %d revoke calls (%d in squarelocal's log), want 1", len(revokes), h.revokeCalls())
	}
	if got := revokes[0].Request["access_token"]; got != data.AccessToken {
		t.Errorf("sign-out revoked another token than the session's")
	}
	if got := revokes[0].Request["revoke_only_access_token"]; got != true {
		t.Errorf("sign-out: revoke_only_access_token = %v, want true", got)
	}
	if h.tokenWorks(data.AccessToken) {
		t.Errorf("the signed-out session's access token still works")
	}
	// Another staff member of the same seller is still signed in.
	expect(t, colleague.get("/customers"), http.StatusOK)
}

func TestAMerchantOutsideTheAllowlistIsRefusedAndItsTokenRevoked(t *testing.T) {
	h := newHarness(t, withAllowedMerchants(func(ms []squarelocal.Merchant) []string {
		return []string{ms[1].ID}
	}))
	b := h.newBrowser()
	cb := b.consent(b.startLogin(""), 0, "allow")

	p := b.get(cb.String())

	expectErrorPage(t, p, http.StatusForbidden)
	expectRetryLogin(t, p)
	if got := h.revokeCalls(); got != 1 {
		t.Errorf("refused merchant: %d revoke calls, want 1", got)
	}
	tokens := h.wire.issuedTokens()
	if len(tokens) == 0 {
		t.Fatal("refused merchant: Square issued no token, want one")
	}
	if h.tokenWorks(tokens[0]) {
		t.Errorf("refused merchant: the issued access token still works")
	}
	if b.signedIn() {
		t.Errorf("refused merchant: signed in, want signed out")
	}

	// The allowed merchant signs in.
	other := h.newBrowser()
	if got := strings.TrimSpace(other.signIn(1).testID("business-name").Text()); got != h.merchant(1).BusinessName {
		t.Errorf("allowed merchant: business name = %q, want %q", got, h.merchant(1).BusinessName)
	}
}

func TestASessionEndsAfterThirtyMinutesIdle(t *testing.T) {
	tests := []struct {
		name     string
		idle     time.Duration
		signedIn bool
	}{
		{"29 minutes idle keeps it", 29 * time.Minute, true},
		{"30 minutes idle ends it", 30 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			b := h.newBrowser()
			b.signIn(0)

			h.clock.Advance(tt.idle)

			if got := b.signedIn(); got != tt.signedIn {
				t.Errorf("after %v idle: signed in = %t, want %t", tt.idle, got, tt.signedIn)
			}
		})
	}
}

func TestActivityKeepsASessionUntilTwelveHours(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)

	// Every 20 minutes, up to 11 h 40 min after sign-in.
	for elapsed := 20 * time.Minute; elapsed < 12*time.Hour; elapsed += 20 * time.Minute {
		h.clock.Advance(20 * time.Minute)
		if !b.signedIn() {
			t.Fatalf("with a request every 20 min, %v after sign-in: signed out, want signed in", elapsed)
		}
	}
	h.clock.Advance(20 * time.Minute)
	if b.signedIn() {
		t.Errorf("with a request every 20 min, 12 h after sign-in: signed in, want signed out")
	}
}

func TestAnHTMXRequestWhenSignedOutGets401WithHXRedirect(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	h.clock.Advance(time.Hour)

	for _, path := range []string{"/customers", "/settings/connection"} {
		p := b.get(path, "HX-Request", "true")

		expect(t, p, http.StatusUnauthorized)
		if got := p.Header.Get("HX-Redirect"); got != "/login" {
			t.Errorf("htmx GET %s signed out: HX-Redirect = %q, want /login", path, got)
		}
		if p.Body != "" {
			t.Errorf("htmx GET %s signed out: body = %q, want none", path, truncate(p.Body))
		}
	}
}

func TestTheConnectionPageShowsMerchantScopesAndExpiry(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(1)
	m := h.merchant(1)
	signedInAt := h.clock.Now()

	p := b.get("/settings/connection")

	expect(t, p, http.StatusOK)
	if p.testID("connection").Length() != 1 {
		t.Fatalf("GET /settings/connection: no connection section\n%s", truncate(p.Body))
	}
	checks := []struct{ id, want string }{
		{"connection-business", m.BusinessName},
		{"connection-merchant", m.ID},
		{"connection-environment", "local"},
		{"connection-client", squarelocal.LocalClientID},
		{"connection-expires", formatTime(signedInAt.Add(30 * 24 * time.Hour))},
		{"connection-refreshed", "Not yet"},
	}
	for _, c := range checks {
		if got := strings.TrimSpace(p.testID(c.id).Text()); got != c.want {
			t.Errorf("GET /settings/connection: %s = %q, want %q", c.id, got, c.want)
		}
	}
	var scopes []string
	p.testID("connection-scopes").Find("li").Each(func(_ int, s *goquery.Selection) {
		scopes = append(scopes, strings.TrimSpace(s.Text()))
	})
	if want := []string{"CUSTOMERS_READ", "CUSTOMERS_WRITE", "PAYMENTS_READ", "PAYMENTS_WRITE", "MERCHANT_PROFILE_READ"}; !slices.Equal(scopes, want) {
		t.Errorf("GET /settings/connection: scopes = %q, want %q", scopes, want)
	}
	if got := p.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("GET /settings/connection: Cache-Control = %q, want no-store", got)
	}
}

// formatTime is how the connection page writes a time.
func formatTime(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// longSessions lets one session live through the weeks a token takes to
// come due; the session timeouts themselves are tested above.
func longSessions() harnessOption { return withSessionTimeouts(90*24*time.Hour, 90*24*time.Hour) }

func TestATokenIsRefreshedWhenLessThanSevenDaysRemain(t *testing.T) {
	for _, pkce := range []bool{false, true} {
		opts := []harnessOption{longSessions()}
		if pkce {
			opts = append(opts, withPKCE())
		}
		h := newHarness(t, opts...)
		b := h.newBrowser()
		b.signIn(0)
		before, _ := h.sessionData(b.sessionCookie())

		// 8 days left: not yet.
		h.clock.Advance(22 * 24 * time.Hour)
		expect(t, b.get("/customers"), http.StatusOK)
		if got := h.tokenCalls(); got != 1 {
			t.Fatalf("pkce=%t: with 8 days left, %d token calls, want only the exchange", pkce, got)
		}

		// 6 days left: the next request refreshes.
		h.clock.Advance(2 * 24 * time.Hour)
		refreshedAt := h.clock.Now()
		p := b.get("/settings/connection")
		expect(t, p, http.StatusOK)

		calls := h.wire.find(http.MethodPost, "/oauth2/token")
		if len(calls) != 2 || h.tokenCalls() != 2 {
			t.Fatalf("pkce=%t: with 6 days left, %d token calls (%d in squarelocal's log), want the exchange and a refresh", pkce, len(calls), h.tokenCalls())
		}
		refresh := calls[1]
		if refresh.Request["grant_type"] != "refresh_token" || refresh.Request["refresh_token"] != before.RefreshToken || refresh.Status != http.StatusOK {
			t.Errorf("pkce=%t: second token call = %v %v → %d, want a successful refresh_token grant with the session's refresh token",
				pkce, refresh.Request["grant_type"], refresh.Request["refresh_token"] == before.RefreshToken, refresh.Status)
		}
		if got, want := strings.TrimSpace(p.testID("connection-expires").Text()), formatTime(refreshedAt.Add(30*24*time.Hour)); got != want {
			t.Errorf("pkce=%t: after refresh, expiry = %q, want %q", pkce, got, want)
		}
		if got, want := strings.TrimSpace(p.testID("connection-refreshed").Text()), formatTime(refreshedAt); got != want {
			t.Errorf("pkce=%t: after refresh, last refresh = %q, want %q", pkce, got, want)
		}
		// The new tokens are stored and work; in the PKCE flow the
		// single-use refresh token was replaced.
		after, ok := h.sessionData(b.sessionCookie())
		if !ok || after.AccessToken == before.AccessToken || !h.tokenWorks(after.AccessToken) {
			t.Errorf("pkce=%t: after refresh the session holds no new working access token", pkce)
		}
		if pkce && after.RefreshToken == before.RefreshToken {
			t.Errorf("pkce=true: after refresh the session kept its used refresh token")
		}
		// Later requests do not refresh again.
		expect(t, b.get("/customers"), http.StatusOK)
		if got := h.tokenCalls(); got != 2 {
			t.Errorf("pkce=%t: a request after the refresh made %d token calls in all, want 2", pkce, got)
		}
	}
}

func TestConcurrentRequestsRefreshTheTokenOnce(t *testing.T) {
	h := newHarness(t, longSessions(), withPKCE())
	b := h.newBrowser()
	b.signIn(0)
	h.clock.Advance(24 * 24 * time.Hour)

	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// t.Fatalf must not run outside the test's goroutine, so
			// this goes around browser.get.
			req, _ := http.NewRequest(http.MethodGet, h.url("/customers"), nil)
			resp, err := b.client.Do(req)
			if err != nil {
				t.Errorf("GET /customers #%d: %v", i, err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()

	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("concurrent GET /customers #%d = %d, want 200", i, s)
		}
	}
	var refreshes int
	for _, c := range h.wire.find(http.MethodPost, "/oauth2/token") {
		if c.Request["grant_type"] == "refresh_token" {
			refreshes++
		}
	}
	if refreshes != 1 {
		t.Errorf("%d concurrent requests made %d refreshes, want 1", n, refreshes)
	}
	if !b.signedIn() {
		t.Errorf("after concurrent refresh: signed out, want signed in")
	}
}

func TestARefusedRefreshSignsOutCleanly(t *testing.T) {
	h := newHarness(t, longSessions(), withPKCE())
	b := h.newBrowser()
	b.signIn(0)
	cookie := b.sessionCookie()
	data, _ := h.sessionData(cookie)
	// Someone else spends the single-use PKCE refresh token, so Square
	// refuses it when Tessera tries; the access token itself still works.
	if _, err := h.square.OAuth.RefreshToken(t.Context(), data.RefreshToken, true); err != nil {
		t.Fatalf("spending the refresh token: %v", err)
	}
	h.clock.Advance(24 * 24 * time.Hour)

	p := b.get("/customers")

	expectRedirect(t, p, "/login?return_to=%2Fcustomers")
	if got := h.emu.CountCalls("POST /oauth2/token", http.StatusUnauthorized); got != 1 {
		t.Errorf("refused refresh: %d refused token calls, want 1", got)
	}
	p = b.get(p.location())
	expect(t, p, http.StatusOK)
	if got := p.testID("flash").Text(); !strings.Contains(got, "sign in again") {
		t.Errorf("GET /login after a refused refresh: flash = %q, want one asking to sign in again", got)
	}
	if b.signedIn() {
		t.Errorf("after a refused refresh: signed in, want signed out")
	}
	if _, ok := h.sessionData(cookie); ok {
		t.Errorf("after a refused refresh the session still exists")
	}
}

func TestATokenRevokedAtSquareSignsOutWithAMessage(t *testing.T) {
	for _, path := range []string{"/customers", "/settings/connection"} {
		h := newHarness(t)
		b := h.newBrowser()
		b.signIn(0)
		cookie := b.sessionCookie()
		h.revokeMerchant(h.merchant(0).ID)

		p := b.get(path)

		expectRedirect(t, p, "/login?"+url.Values{"return_to": {path}}.Encode())
		p = b.get(p.location())
		expect(t, p, http.StatusOK)
		if got := p.testID("flash").Text(); !strings.Contains(got, "Your Square connection ended") {
			t.Errorf("GET %s with a revoked token, then /login: flash = %q, want the connection ended", path, got)
		}
		if p.testID("login").Length() != 1 {
			t.Errorf("GET %s with a revoked token, then /login: no sign-in form", path)
		}
		if _, ok := h.sessionData(cookie); ok {
			t.Errorf("GET %s with a revoked token: the session still exists", path)
		}
	}
}

func TestARefreshThatFailsForAWhileServesThePageAndRetriesLater(t *testing.T) {
	h := newHarness(t, longSessions())
	b := h.newBrowser()
	b.signIn(0)
	h.clock.Advance(24 * 24 * time.Hour)
	if err := h.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultUnavailable, Endpoint: "POST /oauth2/token", Count: 1}); err != nil {
		t.Fatal(err)
	}

	// The token has six days left: Square being down is no reason to
	// refuse the page or to sign out.
	expect(t, b.get("/customers"), http.StatusOK)
	if got := h.emu.CountCalls("POST /oauth2/token", http.StatusServiceUnavailable); got != 1 {
		t.Fatalf("refresh during an outage: %d failed token calls, want 1", got)
	}

	p := b.get("/settings/connection")
	expect(t, p, http.StatusOK)
	if got := h.emu.CountCalls("POST /oauth2/token", http.StatusOK); got != 2 {
		t.Errorf("after the outage: %d successful token calls, want the exchange and a refresh", got)
	}
	if got := strings.TrimSpace(p.testID("connection-refreshed").Text()); got != formatTime(h.clock.Now()) {
		t.Errorf("after the outage: last refresh = %q, want %q", got, formatTime(h.clock.Now()))
	}
}
