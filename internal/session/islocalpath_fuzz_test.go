package session

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzIsLocalPath checks the "return to" guard against what browsers do
// with a Location header. A path it accepts has no scheme and no host by
// Go's parser, does not start with // or /\ once browsers have dropped
// tabs and newlines, and resolved against our address stays on our host.
// And it does not refuse ordinary paths: a path of letters, digits and
// /-_.?=& that does not start with // is accepted.
func FuzzIsLocalPath(f *testing.F) {
	for _, seed := range []string{
		"/", "/customers", "/customers?q=ada&size=25", "/settings/connection", "/customers/ABC123/edit",
		"", "customers", "//evil.com", `/\evil.com`, `\/\/evil.com`, `\\evil.com`, "///evil.com",
		"/\t/evil.com", "/\n/evil.com", "/\r/evil.com", "\t//evil.com", " //evil.com", "/ /evil.com",
		"/%2F/evil.com", "%2F%2Fevil.com", "/%5Cevil.com", "/%09/evil.com",
		"https://evil.com", "https:evil.com", "https:/evil.com", "HTTPS://evil.com", "//evil.com@x",
		"/@evil.com", "/.//evil.com", "/../evil.com", "javascript:alert(1)", "/javascript:alert(1)",
		"data:text/html,<script>alert(1)</script>", "/\x00evil", "/\x7f", "/\u2028//evil.com",
		"/\uff0f/evil.com", "\uff0f\uff0fevil.com", "/\xff", "/?next=//evil.com", "/#//evil.com",
	} {
		f.Add(seed)
	}
	base, err := url.Parse("https://tessera.example/customers?x=1")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p string) {
		ok := IsLocalPath(p)
		if !ok {
			if ordinaryPath(p) {
				t.Errorf("IsLocalPath(%q) = false, want true for an ordinary path", p)
			}
			return
		}
		// Browsers drop tabs and newlines anywhere in a URL, and C0
		// controls and spaces at its ends, before reading it (WHATWG URL).
		seen := strings.TrimLeft(strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(p), "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
		if !strings.HasPrefix(seen, "/") || strings.HasPrefix(seen, "//") || strings.HasPrefix(seen, `/\`) {
			t.Errorf("IsLocalPath(%q) = true, but a browser reads %q, which leaves the site", p, seen)
		}
		u, err := url.Parse(p)
		if err != nil {
			// A bad escape: browsers keep it as it is, in the path.
			return
		}
		if u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
			t.Errorf("IsLocalPath(%q) = true, but url.Parse gives scheme %q host %q user %v opaque %q", p, u.Scheme, u.Host, u.User, u.Opaque)
		}
		if r := base.ResolveReference(u); r.Scheme != base.Scheme || r.Host != base.Host {
			t.Errorf("IsLocalPath(%q) = true, but it resolves to %s", p, r)
		}
	})
}

// ordinaryPath reports a path made of characters no trick needs: letters,
// digits and / - _ . ? = &, starting with one slash.
func ordinaryPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && !strings.ContainsRune("/-_.?=&", rune(c)) {
			return false
		}
	}
	return true
}
