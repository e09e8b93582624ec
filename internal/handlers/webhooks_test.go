package handlers_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/webhook"
)

const testWebhookKey = "whsec-test-key-0123456789"

// revokedEvent is Square's oauth.authorization.revoked for a merchant.
func revokedEvent(merchantID string) string {
	return `{"merchant_id":"` + merchantID + `","type":"oauth.authorization.revoked","event_id":"8b3f7a4e-1c2d-4e5f-9a6b-7c8d9e0f1a2b",` +
		`"created_at":"2026-03-02T09:00:00Z","data":{"type":"revocation","id":"rev-1","object":{"revocation":{"revoked_at":"2026-03-02T09:00:00Z","revoker_type":"MERCHANT"}}}}`
}

// deliver posts a webhook delivery as Square does: no cookie, no CSRF
// token, the signature in its header (none when signature is "").
func deliver(t *testing.T, h *harness, body, signature string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.url(webhook.Path), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://square.example")
	if signature != "" {
		req.Header.Set(webhook.SignatureHeader, signature)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// signedIn reports whether the browser's session is still signed in.
func signedIn(b *browser) bool {
	p := b.get("/customers")
	return p.StatusCode == http.StatusOK
}

func TestARevocationWebhookEndsEverySessionOfThatMerchantOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withWebhookKey(testWebhookKey))
	a1, a2, other := h.newBrowser(), h.newBrowser(), h.newBrowser()
	a1.signIn(0)
	a2.signIn(0)
	other.signIn(1)
	body := revokedEvent(h.merchant(0).ID)

	if got := deliver(t, h, body, webhook.Sign(testWebhookKey, h.cfg.WebhookURL(), []byte(body))); got != http.StatusOK {
		t.Fatalf("POST %s (signed revocation) = %d, want 200", webhook.Path, got)
	}
	if signedIn(a1) || signedIn(a2) {
		t.Error("after the revocation webhook a session of the revoked merchant is still signed in")
	}
	if !signedIn(other) {
		t.Error("after another merchant's revocation webhook this merchant's session was signed out")
	}
	// Square delivers again; the second is as harmless as the first.
	if got := deliver(t, h, body, webhook.Sign(testWebhookKey, h.cfg.WebhookURL(), []byte(body))); got != http.StatusOK {
		t.Errorf("POST %s (the same delivery again) = %d, want 200", webhook.Path, got)
	}
}

func TestWebhookDeliveriesSquareDidNotSignChangeNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withWebhookKey(testWebhookKey), withAllowedMerchants(func(ms []squarelocal.Merchant) []string {
		return []string{ms[0].ID}
	}))
	b := h.newBrowser()
	b.signIn(0)
	merchant := h.merchant(0).ID
	body := revokedEvent(merchant)
	url := h.cfg.WebhookURL()
	sign := func(key, url, body string) string { return webhook.Sign(key, url, []byte(body)) }
	cases := []struct {
		name, body, signature string
		want                  int
	}{
		{"an unsigned delivery", body, "", http.StatusUnauthorized},
		{"one signed with another key", body, sign("another-key", url, body), http.StatusUnauthorized},
		{"one with a changed byte", strings.Replace(body, "MERCHANT", "MERCHANS", 1), sign(testWebhookKey, url, body), http.StatusUnauthorized},
		{"one signed for another URL", body, sign(testWebhookKey, "https://attacker.example/webhooks/square", body), http.StatusUnauthorized},
		{"a signed body that is no event", `{"hello":"world"}`, sign(testWebhookKey, url, `{"hello":"world"}`), http.StatusBadRequest},
		{"a signed event about a merchant Tessera does not serve", revokedEvent(h.merchant(1).ID),
			sign(testWebhookKey, url, revokedEvent(h.merchant(1).ID)), http.StatusForbidden},
		{"a body over the limit", strings.Repeat("x", 300<<10), sign(testWebhookKey, url, strings.Repeat("x", 300<<10)), http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		if got := deliver(t, h, c.body, c.signature); got != c.want {
			t.Errorf("POST %s (%s) = %d, want %d", webhook.Path, c.name, got, c.want)
		}
	}
	if !signedIn(b) {
		t.Error("a delivery Square did not sign ended the merchant's session")
	}
}

func TestLocalModeMakesItsOwnSubscriptionKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	if h.cfg.WebhookSignatureKey == "" {
		t.Fatal("local mode started without a webhook signature key, want one made for the emulator")
	}
	body := revokedEvent(h.merchant(0).ID)
	// Signed with an empty key, which anyone can compute.
	if got := deliver(t, h, body, webhook.Sign("", h.cfg.WebhookURL(), []byte(body))); got != http.StatusUnauthorized {
		t.Errorf("POST %s signed with an empty key = %d, want 401", webhook.Path, got)
	}
	if !signedIn(b) {
		t.Error("a delivery signed with an empty key ended the merchant's session")
	}
}
