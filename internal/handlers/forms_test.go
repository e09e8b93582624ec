package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAFormWithABrokenEscapeIsRefusedAndSavesNothing(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	form := b.get("/customers/new")
	token := csrfToken(t, form)
	key, _ := form.Doc.Find(`input[name="idempotency_key"]`).Attr("value")
	before := h.emu.CountCalls("POST /v2/customers", 0)

	body := "_csrf=" + url.QueryEscape(token) + "&idempotency_key=" + url.QueryEscape(key) + "&given_name=%zz&company_name=Acme"
	req, err := http.NewRequest(http.MethodPost, h.url("/customers"), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", strings.TrimSuffix(h.url("/"), "/"))
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST /customers with given_name=%%zz = %d, want 400", resp.StatusCode)
	}
	if n := h.emu.CountCalls("POST /v2/customers", 0) - before; n != 0 {
		t.Errorf("POST /customers with a broken escape reached Square %d times, want 0", n)
	}
}

func TestAVeryLongAddressIsNotRememberedForAfterSignIn(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	long := "/customers?q=" + strings.Repeat("a", 4000)

	p := b.get(long)

	loc := p.Header.Get("Location")
	if p.StatusCode != http.StatusSeeOther || loc != "/login" {
		t.Errorf("GET a 4 KB address signed out = %d to %q, want 303 to /login without return_to", p.StatusCode, loc)
	}
	p = b.get("/customers?q=short")
	if loc := p.Header.Get("Location"); !strings.Contains(loc, "return_to=") {
		t.Errorf("GET a short address signed out redirects to %q, want a return_to", loc)
	}
}

func TestACSRFTokenInTheURLIsNotAccepted(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	page := b.signIn(0)
	token := csrfToken(t, page)

	p := b.post("/logout?_csrf="+url.QueryEscape(token), url.Values{})

	if p.StatusCode != http.StatusForbidden {
		t.Errorf("POST /logout?_csrf=<token> with an empty body = %d, want 403", p.StatusCode)
	}
	if !b.signedIn() {
		t.Error("POST /logout with the token only in the URL signed the browser out")
	}
}
