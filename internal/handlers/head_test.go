package handlers_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// HEAD is answered wherever GET is, with the same status and headers and
// no body, and never with a change: it runs the GET.
func TestHeadIsAnsweredLikeGetWithoutABody(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	for _, tt := range []struct {
		target string
		status int
		ctype  string
	}{
		{"/customers", http.StatusOK, "text/html"},
		{"/healthz", http.StatusOK, ""},
		{"/customers/NO_SUCH_CUSTOMER", http.StatusNotFound, "text/html"},
		{"/no/such/page", http.StatusNotFound, "text/html"},
	} {
		get := b.send(http.MethodGet, tt.target, nil, nil)
		get.Body.Close()
		head := b.send(http.MethodHead, tt.target, nil, nil)
		body, _ := io.ReadAll(head.Body)
		head.Body.Close()
		if head.StatusCode != tt.status || get.StatusCode != tt.status {
			t.Errorf("HEAD %s: status %d (GET %d), want %d", tt.target, head.StatusCode, get.StatusCode, tt.status)
		}
		if len(body) != 0 {
			t.Errorf("HEAD %s: %d body bytes, want none", tt.target, len(body))
		}
		if tt.status == http.StatusOK && (!strings.HasPrefix(head.Header.Get("Content-Type"), tt.ctype) || head.Header.Get("Content-Type") != get.Header.Get("Content-Type")) {
			t.Errorf("HEAD %s: Content-Type %q, GET %q", tt.target, head.Header.Get("Content-Type"), get.Header.Get("Content-Type"))
		}
	}

	// Signing out is a POST; a HEAD of its URL changes nothing.
	head := b.send(http.MethodHead, "/logout", nil, nil)
	head.Body.Close()
	if !b.signedIn() {
		t.Error("HEAD /logout signed the session out")
	}
}
