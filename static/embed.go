// Package static holds Tessera's stylesheet, its own small script and the
// vendored htmx, embedded in the binary. Each file is served under a URL that
// carries a hash of its content, so browsers may cache it for a year: a
// changed file gets a new URL, and a page always names the current one.
//
// The files are sent as small as they go: our own CSS and JS minified (the
// sources keep their comments), and everything gzipped once at the best
// level rather than on every request at the fast level used for pages. A
// first visit to the directory fetches all of them, and its page-weight
// budget (30 KB) is mostly these bytes.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/css"
	"github.com/tdewolff/minify/v2/js"
)

// FS holds the files as they are in the source tree, under their plain
// names, e.g. "app.css" and "vendor/htmx-2.0.11.min.js".
//
//go:embed app.css app.js cards.js live.js vendor
var FS embed.FS

// Prefix is the URL path under which Handler serves the files.
const Prefix = "/static/"

// hashLen is how many hex digits of the SHA-256 of a file go into its URL:
// 48 bits, plenty to tell versions of one file apart.
const hashLen = 12

// immutable is the Cache-Control of every hashed file: its URL changes
// whenever its content does, so a cached copy never goes stale.
const immutable = "public, max-age=31536000, immutable"

// contentTypes pins the types of the files we ship, rather than trusting the
// system's MIME database, which differs between machines.
var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	"":     "text/plain; charset=utf-8",
}

type asset struct {
	hashed      string // the name with the hash of body, e.g. "app.3f2a9c1b0d4e.css"
	body        []byte // what is sent: the file, minified where that is ours to do
	contentType string
	etag        string

	// The gzip of body, made on the first request for the file.
	once     sync.Once
	gzipped  []byte
	gzipETag string
}

// catalog is the set of files with their hashed names, built once.
type catalog struct {
	byName   map[string]*asset
	byHashed map[string]*asset
	names    []string
}

var files = mustCatalog(FS)

func mustCatalog(fsys fs.FS) *catalog {
	c, err := newCatalog(fsys)
	if err != nil {
		panic("static: " + err.Error())
	}
	return c
}

// newCatalog reads every file of fsys and computes its hashed name.
func newCatalog(fsys fs.FS) (*catalog, error) {
	c := &catalog{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		source, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		// The hash is of what is sent, so that a new minifier changing
		// the bytes also changes the URL browsers cache them under.
		body := minified(name, contentType(name), source)
		sum := sha256.Sum256(body)
		a := &asset{
			hashed:      hashedName(name, hex.EncodeToString(sum[:])[:hashLen]),
			body:        body,
			contentType: contentType(name),
			etag:        `"` + hex.EncodeToString(sum[:]) + `"`,
		}
		c.byName[name] = a
		c.byHashed[a.hashed] = a
		c.names = append(c.names, name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(c.names)
	return c, nil
}

// hashedName puts hash before the last extension of name:
// "vendor/htmx-2.0.11.min.js" becomes "vendor/htmx-2.0.11.min.<hash>.js", and
// a name without an extension gets the hash as one.
func hashedName(name, hash string) string {
	dir, base := path.Split(name)
	ext := path.Ext(base)
	return dir + strings.TrimSuffix(base, ext) + "." + hash + ext
}

func contentType(name string) string {
	ext := path.Ext(path.Base(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Path returns the URL path of the named file with its content hash, e.g.
// Path("app.css") = "/static/app.3f2a9c1b0d4e.css". It panics for a name
// that is not embedded: templates call it with constants, and a typo should
// fail the first test that renders the page, not produce a broken link.
func Path(name string) string {
	a, ok := files.byName[name]
	if !ok {
		panic(fmt.Sprintf("static: no embedded file %q", name))
	}
	return Prefix + a.hashed
}

// Names returns the plain names of the embedded files, sorted.
func Names() []string {
	return slices.Clone(files.names)
}

// Handler serves the embedded files at the hashed paths that Path returns.
// It expects the full request path, Prefix included, so it is mounted on the
// Prefix without stripping it. Plain names, stale hashes and unknown names
// are 404. Compression is left to the server's middleware.
func Handler() http.Handler {
	return files
}

func (c *catalog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	a := c.byHashed[name]
	if !ok || a == nil {
		http.NotFound(w, r)
		return
	}
	a.prepare()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", immutable)
	h.Add("Vary", "Accept-Encoding")
	body, etag := a.body, a.etag
	if a.gzipped != nil && acceptsGzip(r.Header.Values("Accept-Encoding")) {
		// The answer's Content-Encoding tells the server's compressing
		// middleware to leave it alone.
		h.Set("Content-Encoding", "gzip")
		body, etag = a.gzipped, a.gzipETag
	}
	h.Set("ETag", etag)
	// ServeContent answers HEAD, Range and If-None-Match (from the ETag)
	// requests; the empty name and zero time keep it from sniffing the type
	// or sending Last-Modified.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// minifiers are the types we minify: our own files only, as the vendored
// ones are served as published.
var minifiers = func() *minify.M {
	m := minify.New()
	m.AddFunc("text/css", css.Minify)
	m.AddFunc("text/javascript", js.Minify)
	return m
}()

// minified is the file as sent: our own CSS and JS minified, anything
// else (the vendored files among them) as it is.
func minified(name, contentType string, source []byte) []byte {
	if strings.HasPrefix(name, "vendor/") {
		return source
	}
	mediaType, _, _ := strings.Cut(contentType, ";")
	small, err := minifiers.Bytes(mediaType, source)
	if err != nil || len(small) >= len(source) {
		// A file the minifier cannot read, or of a type it does not
		// know, is sent as it is.
		return source
	}
	return small
}

// prepare gzips the file, once.
func (a *asset) prepare() {
	a.once.Do(func() {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return
		}
		if _, err := zw.Write(a.body); err != nil || zw.Close() != nil || buf.Len() >= len(a.body) {
			return
		}
		a.gzipped = buf.Bytes()
		a.gzipETag = strings.TrimSuffix(a.etag, `"`) + `-gzip"`
	})
}

// acceptsGzip reports whether an Accept-Encoding header takes gzip: named
// (or as x-gzip, or by "*") with a q above 0.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip", "*":
			default:
				continue
			}
			q := 1.0
			for param := range strings.SplitSeq(params, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(param), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
						q = f
					}
				}
			}
			if q > 0 {
				return true
			}
		}
	}
	return false
}
