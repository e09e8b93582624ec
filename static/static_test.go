package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestNewCatalogHashesContent(t *testing.T) {
	hashed := func(content string) string {
		t.Helper()
		c, err := newCatalog(fstest.MapFS{"app.css": {Data: []byte(content)}})
		if err != nil {
			t.Fatalf("newCatalog() error = %v", err)
		}
		return c.byName["app.css"].hashed
	}

	a, b := hashed("body{color:red}"), hashed("body{color:blue}")
	if a == b {
		t.Errorf("hashed name of two contents = %q for both, want different names", a)
	}
	if again := hashed("body{color:red}"); again != a {
		t.Errorf("hashed name of the same content = %q, then %q; want the same", a, again)
	}
	if !regexp.MustCompile(`^app\.[0-9a-f]{12}\.css$`).MatchString(a) {
		t.Errorf("hashed name = %q, want app.<12 hex>.css", a)
	}
}

func TestHashedName(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"app.css", "app.abc.css"},
		{"vendor/htmx-2.0.11.min.js", "vendor/htmx-2.0.11.min.abc.js"},
		{"vendor/htmx-LICENSE", "vendor/htmx-LICENSE.abc"},
	}
	for _, tt := range tests {
		if got := hashedName(tt.name, "abc"); got != tt.want {
			t.Errorf("hashedName(%q, %q) = %q, want %q", tt.name, "abc", got, tt.want)
		}
	}
}

func TestPathAndNames(t *testing.T) {
	names := Names()
	for _, want := range []string{"app.css", "app.js", "vendor/htmx-2.0.11.min.js", "vendor/htmx-LICENSE"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() = %v, want it to contain %q", names, want)
		}
	}
	if !regexp.MustCompile(`^/static/vendor/htmx-2\.0\.11\.min\.[0-9a-f]{12}\.js$`).MatchString(Path("vendor/htmx-2.0.11.min.js")) {
		t.Errorf("Path(htmx) = %q, want /static/vendor/htmx-2.0.11.min.<hash>.js", Path("vendor/htmx-2.0.11.min.js"))
	}
}

func TestPathPanicsForAnUnknownFile(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("Path(%q) did not panic", "missing.css")
		}
	}()
	Path("missing.css")
}

func serve(method, target string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	return rec
}

func TestHandlerServesHashedFiles(t *testing.T) {
	tests := []struct {
		name, contentType string
	}{
		{"app.css", "text/css; charset=utf-8"},
		{"app.js", "text/javascript; charset=utf-8"},
		{"vendor/htmx-2.0.11.min.js", "text/javascript; charset=utf-8"},
		{"vendor/htmx-LICENSE", "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(http.MethodGet, Path(tt.name), nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s: status = %d, want 200", Path(tt.name), rec.Code)
			}
			source, err := FS.ReadFile(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(tt.name, "vendor/") {
				// Vendored files go out exactly as published.
				if !bytes.Equal(rec.Body.Bytes(), source) {
					t.Errorf("GET %s: body differs from the embedded file", Path(tt.name))
				}
			} else if rec.Body.Len() == 0 || rec.Body.Len() >= len(source) {
				// Ours go out minified.
				t.Errorf("GET %s: %d bytes from a %d-byte source, want it minified", Path(tt.name), rec.Body.Len(), len(source))
			}
			for header, want := range map[string]string{
				"Content-Type":           tt.contentType,
				"Cache-Control":          "public, max-age=31536000, immutable",
				"X-Content-Type-Options": "nosniff",
			} {
				if got := rec.Header().Get(header); got != want {
					t.Errorf("GET %s: %s = %q, want %q", Path(tt.name), header, got, want)
				}
			}
			if rec.Header().Get("ETag") == "" {
				t.Errorf("GET %s: no ETag", Path(tt.name))
			}
		})
	}
}

func TestHandlerAnswersConditionalAndHeadRequests(t *testing.T) {
	first := serve(http.MethodGet, Path("app.css"), nil)
	rec := serve(http.MethodGet, Path("app.css"), http.Header{"If-None-Match": {first.Header().Get("ETag")}})
	if rec.Code != http.StatusNotModified {
		t.Errorf("GET with the ETag in If-None-Match: status = %d, want 304", rec.Code)
	}

	rec = serve(http.MethodHead, Path("app.css"), nil)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD: status = %d with %d body bytes, want 200 with none", rec.Code, rec.Body.Len())
	}

	rec = serve(http.MethodPost, Path("app.css"), nil)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status = %d, want 405", rec.Code)
	}
}

func TestHandlerRefusesUnhashedUnknownAndTraversingPaths(t *testing.T) {
	hashedCSS := strings.TrimPrefix(Path("app.css"), "/static/")
	tests := []struct {
		name, target string
	}{
		{"the plain name of a file", "/static/app.css"},
		{"an unknown file", "/static/nope.0123456789ab.css"},
		{"a stale hash", "/static/app.000000000000.css"},
		{"a hashed name without the prefix", "/" + hashedCSS},
		{"the prefix alone", "/static/"},
		{"a directory", "/static/vendor/"},
		{"a parent directory", "/static/../go.mod"},
		{"an encoded parent directory", "/static/%2e%2e/embed.go"},
		{"a detour through a directory", "/static/vendor/../" + hashedCSS},
		{"the Go source", "/static/embed.go"},
		{"a backslash", `/static/vendor\..\` + hashedCSS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(http.MethodGet, tt.target, nil)
			if rec.Code != http.StatusNotFound {
				t.Errorf("GET %s: status = %d, want 404", tt.target, rec.Code)
			}
			if rec.Header().Get("Cache-Control") == "public, max-age=31536000, immutable" {
				t.Errorf("GET %s: a 404 is marked immutable", tt.target)
			}
		})
	}
}

// TestOwnFilesFitTheByteBudget keeps our CSS and JS small: together, gzipped,
// under 10 KB.
func TestOwnFilesFitTheByteBudget(t *testing.T) {
	const budget = 10 * 1024
	total := 0
	for _, name := range []string{"app.css", "app.js"} {
		body, err := FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		t.Logf("%s: %d bytes, %d gzipped", name, len(body), buf.Len())
		total += buf.Len()
	}
	if total >= budget {
		t.Errorf("app.css + app.js gzipped = %d bytes, want under %d", total, budget)
	}
}

// gunzipBody undoes the gzip of a recorded answer.
func gunzipBody(t *testing.T, rec *httptest.ResponseRecorder) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("the body says gzip but is not: %v", err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("the gzip body is broken: %v", err)
	}
	return plain
}

func TestHandlerSendsGzipToClientsThatTakeIt(t *testing.T) {
	for _, name := range []string{"app.css", "app.js", "vendor/htmx-2.0.11.min.js"} {
		plain := serve(http.MethodGet, Path(name), nil)
		zipped := serve(http.MethodGet, Path(name), http.Header{"Accept-Encoding": {"gzip, deflate, br"}})
		if zipped.Code != http.StatusOK || zipped.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("GET %s with gzip: status %d, Content-Encoding %q; want 200 gzip", name, zipped.Code, zipped.Header().Get("Content-Encoding"))
		}
		if got := gunzipBody(t, zipped); !bytes.Equal(got, plain.Body.Bytes()) {
			t.Errorf("GET %s: the gzipped body is not the plain one", name)
		}
		if zipped.Body.Len()*2 > plain.Body.Len() {
			t.Errorf("GET %s: %d gzipped bytes for %d, want under half", name, zipped.Body.Len(), plain.Body.Len())
		}
		for _, rec := range []*httptest.ResponseRecorder{plain, zipped} {
			if !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
				t.Errorf("GET %s: Vary %q, want Accept-Encoding", name, rec.Header().Get("Vary"))
			}
		}
		etag := zipped.Header().Get("ETag")
		if etag == "" || etag == plain.Header().Get("ETag") {
			t.Errorf("GET %s: ETag %q for gzip and %q plain, want two different ones", name, etag, plain.Header().Get("ETag"))
		}
		again := serve(http.MethodGet, Path(name), http.Header{"Accept-Encoding": {"gzip"}, "If-None-Match": {etag}})
		if again.Code != http.StatusNotModified {
			t.Errorf("GET %s with the gzip ETag: status %d, want 304", name, again.Code)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                               false,
		"identity":                       false,
		"gzip":                           true,
		"GZIP":                           true,
		"deflate, gzip;q=0.5":            true,
		"gzip;q=0":                       false,
		"gzip; q=0.000":                  false,
		"x-gzip":                         true,
		"*":                              true,
		"br, zstd":                       false,
		"gzip;q=banana":                  true,
		"gzipped":                        false,
		"deflate,br;q=1, gzip ; q = 0.1": true,
	} {
		if got := acceptsGzip([]string{header}); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}
