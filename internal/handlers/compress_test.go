package handlers_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

// gunzip reads a whole answer, undoing gzip when it says it is compressed.
func gunzip(t *testing.T, resp *http.Response) (body string, compressed int) {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	if resp.Header.Get("Content-Encoding") != "gzip" {
		return string(raw), len(raw)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the body says gzip but is not: %v", err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("the gzip body is broken: %v", err)
	}
	return string(plain), len(raw)
}

func TestPagesAreCompressedForClientsThatAcceptGzip(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)

	resp := b.send(http.MethodGet, "/customers", nil, headers("Accept-Encoding", "gzip"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", got)
	}
	if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("Vary %q, want Accept-Encoding in it", resp.Header.Get("Vary"))
	}
	body, size := gunzip(t, resp)
	if !strings.Contains(body, `data-testid="customer-row"`) || !strings.HasSuffix(strings.TrimSpace(body), "</html>") {
		t.Fatalf("the decompressed page is not the whole directory:\n%s", truncate(body))
	}
	if size*3 > len(body) {
		t.Errorf("compressed %d bytes from %d: want at least 3:1 on a directory page", size, len(body))
	}

	// Without Accept-Encoding the same page comes plain.
	plain := b.send(http.MethodGet, "/customers", nil, headers("Accept-Encoding", "identity"))
	if got := plain.Header.Get("Content-Encoding"); got != "" {
		t.Errorf("Content-Encoding %q for a client that takes identity only, want none", got)
	}
	if body, _ := gunzip(t, plain); !strings.Contains(body, `data-testid="customer-row"`) {
		t.Errorf("the plain page is not the directory:\n%s", truncate(body))
	}
}

// An error page goes through the same writer: the one error handler
// writes it while the compressor is open, so it arrives whole.
func TestErrorPagesArriveWholeWhenCompressed(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)

	resp := b.send(http.MethodGet, "/customers/NO_SUCH_CUSTOMER_ID", nil, headers("Accept-Encoding", "gzip"))
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
	body, _ := gunzip(t, resp)
	if !strings.Contains(body, "</html>") || !strings.Contains(strings.ToLower(body), "not found") {
		t.Fatalf("the 404 page did not arrive whole:\n%s", truncate(body))
	}
}

// Small answers are not worth compressing: the redirect after signing out
// and a tiny body stay as they are.
func TestSmallAnswersStayPlain(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	resp := b.send(http.MethodGet, "/healthz", nil, headers("Accept-Encoding", "gzip"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Encoding"); got != "" {
		t.Errorf("Content-Encoding %q on a health check, want none (under the 512-byte minimum)", got)
	}
}

// The compressed size of a page that reflects what was typed must not
// tell, byte for byte, how well the typing compressed against the page's
// secrets (BREACH): the compressor pads each answer with 1 to 32 bytes
// chosen from its content, carried in the gzip header's comment.
func TestCompressedAnswersArePadded(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	lengths := map[int]bool{}
	for _, q := range []string{"zq1", "zq2", "zq3", "zq4", "zq5", "zq6", "zq7", "zq8"} {
		resp := b.send(http.MethodGet, "/customers?q="+q, nil, headers("Accept-Encoding", "gzip"))
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("search %q: status %d, encoding %q, err %v", q, resp.StatusCode, resp.Header.Get("Content-Encoding"), err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		n := len(zr.Header.Comment)
		if n < 1 || n > 32 {
			t.Fatalf("search %q: gzip padding of %d bytes, want 1 to 32", q, n)
		}
		lengths[n] = true
	}
	if len(lengths) < 2 {
		t.Errorf("8 different pages all got the same padding length %v: want it to vary with the content", lengths)
	}
}
