package handlers

import "testing"

func TestTheEmulatorsControlsAreOfferedOnlyOnLoopback(t *testing.T) {
	cases := map[string]bool{
		"localhost:8080":  true,
		"127.0.0.1:8080":  true,
		"[::1]:8080":      true,
		":8080":           false,
		"0.0.0.0:8080":    false,
		"192.0.2.10:8080": false,
		"example.com:80":  false,
		"no-port":         false,
	}
	for addr, want := range cases {
		if got := listensOnLoopback(addr); got != want {
			t.Errorf("listensOnLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
