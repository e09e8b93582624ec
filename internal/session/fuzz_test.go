package session

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func sessionCookieFor(m *Manager, value string) *http.Cookie {
	return &http.Cookie{Name: m.CookieName(), Value: value}
}

// FuzzCookieDecode feeds arbitrary cookie values to the parser and to Load:
// neither may panic or fail, and only the one genuine cookie may find a
// session.
func FuzzCookieDecode(f *testing.F) {
	fx := newFixture(f, Options{})
	_, good := fx.login(fx.m)
	id, sig, _ := strings.Cut(good.Value, ".")
	for _, seed := range []string{
		good.Value,
		"",
		".",
		"garbage",
		id,
		id + ".",
		"." + sig,
		sig + "." + id,
		good.Value + "." + sig,
		`"` + good.Value + `"`,
		strings.ToUpper(good.Value),
		id + "." + sig[:42] + "A",
		strings.Repeat("A", 43) + "." + strings.Repeat("A", 43),
		"a=b; " + fx.m.CookieName() + "=x",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if gotID, _, ok := fx.m.parseCookie(value); ok && fx.m.cookieValue(gotID) != value {
			t.Errorf("parseCookie(%q) accepted a value that is not the canonical %q", value, fx.m.cookieValue(gotID))
		}

		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", fx.m.CookieName()+"="+value)
		s, err := fx.m.Load(r)
		if err != nil {
			t.Fatalf("Load(cookie %q) error = %v, want nil", value, err)
		}
		if !s.SignedIn() {
			return
		}
		// The header parser may unquote or split the value; what it handed
		// over must then be the genuine cookie.
		for _, c := range r.CookiesNamed(fx.m.CookieName()) {
			if c.Value == good.Value {
				return
			}
		}
		t.Errorf("Load(cookie %q) = %v, want signed out", value, s)
	})
}
