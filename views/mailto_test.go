package views

import (
	"net/url"
	"testing"
)

func TestTheMailtoLinkAddsNoHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct{ address, want string }{
		{"ada@example.com", "mailto:ada@example.com"},
		{"ada.lovelace+tessera@example.co.uk", "mailto:ada.lovelace+tessera@example.co.uk"},
		{"ops?cc=spy@evil.example&body=hello", "mailto:ops%3Fcc%3Dspy@evil.example%26body%3Dhello"},
		{"a&body=Pay%20now@example.com", "mailto:a%26body%3DPay%2520now@example.com"},
		{"x#frag@example.com", "mailto:x%23frag@example.com"},
		{`"a@b"@example.com`, "mailto:%22a%40b%22@example.com"},
		{"zoë@exämple.de", "mailto:zo%C3%AB@ex%C3%A4mple.de"},
	}
	for _, tt := range tests {
		got := mailtoURL(tt.address)
		if got != tt.want {
			t.Errorf("mailtoURL(%q) = %q, want %q", tt.address, got, tt.want)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "mailto" || u.RawQuery != "" || u.Fragment != "" {
			t.Errorf("mailtoURL(%q) = %q parses as %+v (%v), want a mailto: URL without query or fragment", tt.address, got, u, err)
			continue
		}
		if to, err := url.PathUnescape(u.Opaque); err != nil || to != tt.address {
			t.Errorf("mailtoURL(%q) addresses %q (%v), want the address itself", tt.address, to, err)
		}
	}
}
