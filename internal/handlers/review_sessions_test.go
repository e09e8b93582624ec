package handlers_test

import (
	"database/sql"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// databaseSize is the size the database's pages take, the write-ahead log
// included, and the number of sessions it holds. It reads the file as
// another process would.
func (h *harness) databaseSize() (bytes int64, sessions int) {
	h.t.Helper()
	path := filepath.Join(h.cfg.DataDir, store.FileName)
	db, err := sql.Open("sqlite", "file:"+path+"?_query_only=1")
	if err != nil {
		h.t.Fatal(err)
	}
	defer db.Close()
	var pages, pageSize int64
	if err := db.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
		h.t.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA page_size").Scan(&pageSize); err != nil {
		h.t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM sessions").Scan(&sessions); err != nil {
		h.t.Fatal(err)
	}
	return pages * pageSize, sessions
}

func TestSignedOutRequestsCannotFillTheDatabase(t *testing.T) {
	t.Parallel()
	const (
		requests     = 1000
		maxSignedOut = 100
		// maxSize holds the schema and maxSignedOut sessions of the
		// greatest size a signed-out visitor can make (a 2 KB return_to).
		maxSize = 1 << 20
	)
	h := newHarness(t, withMaxSignedOut(maxSignedOut))
	b := h.newBrowser()
	p := b.get("/login")
	expect(t, p, http.StatusOK)
	token := csrfToken(t, p)
	// What one client without a session cookie can send: huge addresses
	// to return to, and the longest one still kept.
	huge := "/customers?q=" + strings.Repeat("a", 16<<10)
	longest := "/customers?q=" + strings.Repeat("a", 2048-len("/customers?q="))
	forgetSession := func() {
		b.jar.SetCookies(h.base, []*http.Cookie{{Name: h.sessions.CookieName(), Path: "/", MaxAge: -1}})
	}

	kinds := []struct {
		name string
		send func(i int) *http.Response
		want int
	}{
		{"GET /login?return_to=(16 KB)", func(int) *http.Response {
			return b.send(http.MethodGet, "/login?"+url.Values{"return_to": {huge}}.Encode(), nil, nil)
		}, http.StatusOK},
		{"POST /login with a 16 KB or a 2 KB return_to", func(i int) *http.Response {
			returnTo := huge
			if i%2 == 0 {
				returnTo = longest
			}
			return b.send(http.MethodPost, "/login", url.Values{"_csrf": {token}, "return_to": {returnTo}}, nil)
		}, http.StatusSeeOther},
		{"POST /logout signed out", func(int) *http.Response {
			return b.send(http.MethodPost, "/logout", url.Values{"_csrf": {token}}, nil)
		}, http.StatusSeeOther},
	}
	for _, k := range kinds {
		for i := range requests {
			forgetSession()
			// The answers go unparsed: only their status matters here,
			// and 3,000 pages parsed would make the test slow.
			resp := k.send(i)
			resp.Body.Close()
			if resp.StatusCode != k.want {
				t.Fatalf("%s (request %d) = %d, want %d", k.name, i+1, resp.StatusCode, k.want)
			}
		}
		size, sessions := h.databaseSize()
		if size > maxSize || sessions > maxSignedOut {
			t.Errorf("after %d × %s: database %d bytes with %d sessions, want at most %d bytes and %d sessions",
				requests, k.name, size, sessions, maxSize, maxSignedOut)
		}
	}
}

func TestAMerchantTakenOffTheAllowlistIsSignedOutAtItsNextRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withAllowedMerchants(func(ms []squarelocal.Merchant) []string {
		return []string{ms[0].ID, ms[1].ID}
	}))
	b := h.newBrowser()
	b.signIn(0)
	cookie := b.sessionCookie()
	data, ok := h.sessionData(cookie)
	if !ok {
		t.Fatal("the session is not signed in after sign-in")
	}
	other := h.newBrowser()
	other.signIn(1)

	// The administrator takes merchant 0 off the list; the sessions stay.
	h.cfg.AllowedMerchants = []string{h.merchant(1).ID}

	p := b.get("/customers")

	expectErrorPage(t, p, http.StatusForbidden)
	expectRetryLogin(t, p)
	if _, ok := h.sessionData(cookie); ok {
		t.Errorf("GET /customers as a merchant taken off the allowlist: the session still exists")
	}
	if h.tokenWorks(data.AccessToken) {
		t.Errorf("GET /customers as a merchant taken off the allowlist: its access token still works")
	}
	if b.signedIn() {
		t.Errorf("GET /customers as a merchant taken off the allowlist: still signed in")
	}
	// The merchant still on the list is not disturbed.
	expect(t, other.get("/customers"), http.StatusOK)
}

func TestARefusedMerchantsWholeAuthorizationIsRevoked(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withAllowedMerchants(func(ms []squarelocal.Merchant) []string {
		return []string{ms[1].ID}
	}))
	b := h.newBrowser()
	cb := b.consent(b.startLogin(""), 0, "allow")

	expectErrorPage(t, b.get(cb.String()), http.StatusForbidden)

	revokes := h.wire.find(http.MethodPost, "/oauth2/revoke")
	if len(revokes) != 1 {
		t.Fatalf("refused merchant: %d revoke calls, want 1", len(revokes))
	}
	if got := revokes[0].Request["revoke_only_access_token"]; got != false {
		t.Errorf("refused merchant: revoke_only_access_token = %v, want false (the whole authorization)", got)
	}
	exchanges := h.wire.find(http.MethodPost, "/oauth2/token")
	refresh, _ := exchanges[len(exchanges)-1].Response["refresh_token"].(string)
	if refresh == "" {
		t.Fatal("refused merchant: Square issued no refresh token, want one")
	}
	_, err := h.square.OAuth.RefreshToken(t.Context(), refresh, false)
	if !square.IsAuth(err) {
		t.Errorf("OAuth.RefreshToken(the refused merchant's refresh token) error = %v, want Square to refuse it", err)
	}
}

func TestATimedOutSessionsTokenIsRevokedBySquare(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	data, ok := h.sessionData(b.sessionCookie())
	if !ok {
		t.Fatal("the session is not signed in after sign-in")
	}
	h.clock.Advance(31 * time.Minute)

	if n, err := h.sessions.Sweep(t.Context()); err != nil || n != 1 {
		t.Fatalf("Sweep() after 31 minutes idle = %d, %v; want 1, nil", n, err)
	}

	if h.tokenWorks(data.AccessToken) {
		t.Errorf("the access token of a swept session still works at Square")
	}
	revokes := h.wire.find(http.MethodPost, "/oauth2/revoke")
	if len(revokes) != 1 || revokes[0].Request["revoke_only_access_token"] != true {
		t.Errorf("sweep: revoke calls %v, want one with revoke_only_access_token true", revokes)
	}
}

func TestSigningInAgainRevokesTheTokenOfTheSessionItReplaces(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	first, ok := h.sessionData(b.sessionCookie())
	if !ok {
		t.Fatal("the session is not signed in after sign-in")
	}

	// The sign-in page sends a signed-in person on, but its form still
	// works, from a page opened before.
	p := b.post("/login", url.Values{"_csrf": {csrfToken(t, b.get("/customers"))}})
	expect(t, p, http.StatusSeeOther)
	authorize, err := url.Parse(p.location())
	if err != nil {
		t.Fatal(err)
	}
	expectRedirect(t, b.get(b.consent(authorize, 0, "allow").String()), "/customers")

	second, ok := h.sessionData(b.sessionCookie())
	if !ok || second.AccessToken == first.AccessToken {
		t.Fatalf("after signing in again: signed in %t with the same token %t, want a new session", ok, second.AccessToken == first.AccessToken)
	}
	if h.tokenWorks(first.AccessToken) {
		t.Errorf("the token of the replaced session still works at Square")
	}
	if !h.tokenWorks(second.AccessToken) {
		t.Errorf("the token of the new session does not work at Square")
	}
}

func TestWithoutRevocationTheConnectionPageSaysWhatStaysValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     []harnessOption
		wantNote bool
	}{
		{"the code flow with the secret revokes and says nothing", nil, false},
		{"PKCE without the secret cannot revoke and says so", []harnessOption{withPKCE(), withoutRevocation()}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.opts...)
			b := h.newBrowser()
			b.signIn(0)

			p := b.get("/settings/connection")

			expect(t, p, http.StatusOK)
			note := p.testID("connection-revocation")
			if got := note.Length() == 1; got != tt.wantNote {
				t.Fatalf("GET /settings/connection: a note on revocation = %t, want %t", got, tt.wantNote)
			}
			if tt.wantNote {
				text := strings.Join(strings.Fields(note.Text()), " ")
				for _, want := range []string{"cannot revoke tokens at Square", "stays valid at Square until it expires", "refresh token", "SQUARE_APPLICATION_SECRET"} {
					if !strings.Contains(text, want) {
						t.Errorf("GET /settings/connection: the note = %q, want it to say %q", text, want)
					}
				}
			}
			b.signOut()
			wantRevokes := 1
			if tt.wantNote {
				wantRevokes = 0
			}
			if got := h.revokeCalls(); got != wantRevokes {
				t.Errorf("sign-out: %d revoke calls, want %d", got, wantRevokes)
			}
		})
	}
}

func TestTheSignInFormCarriesNoReturnToLongerThanTheCap(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	longest := "/customers?q=" + strings.Repeat("a", 2048-len("/customers?q="))
	for _, tt := range []struct{ in, want string }{
		{longest, longest},
		{longest + "a", ""},
	} {
		p := h.newBrowser().get("/login?" + url.Values{"return_to": {tt.in}}.Encode())
		expect(t, p, http.StatusOK)
		got, _ := p.Doc.Find(`[data-testid="login"] input[name="return_to"]`).Attr("value")
		if got != tt.want {
			t.Errorf("GET /login?return_to=(%d bytes): the form's return_to = %d bytes, want %d", len(tt.in), len(got), len(tt.want))
		}
	}
}
