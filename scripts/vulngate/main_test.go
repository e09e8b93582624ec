package main

import (
	"strings"
	"testing"
)

// stream is govulncheck's JSON for: a module vulnerability with a fix, one
// without, one in the standard library, and one only imported (no
// function in its trace), which does not count.
const stream = `{"config":{"scanner_name":"govulncheck"}}
{"osv":{"id":"GO-1","summary":"fixable"}}
{"osv":{"id":"GO-2","summary":"no fix"}}
{"osv":{"id":"GO-3","summary":"in Go"}}
{"osv":{"id":"GO-4","summary":"imported only"}}
{"finding":{"osv":"GO-1","fixed_version":"v1.2.0","trace":[{"module":"example.com/a","version":"v1.1.0","function":"F"}]}}
{"finding":{"osv":"GO-2","trace":[{"module":"example.com/b","version":"v2.0.0","function":"G"}]}}
{"finding":{"osv":"GO-3","fixed_version":"v1.26.9","trace":[{"module":"stdlib","version":"v1.26.8","function":"H"}]}}
{"finding":{"osv":"GO-4","fixed_version":"v3.0.1","trace":[{"module":"example.com/c","version":"v3.0.0"}]}}
`

func TestGate(t *testing.T) {
	vulns, err := read(strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if len(vulns) != 3 {
		t.Fatalf("read %d reached vulnerabilities %+v, want 3 (GO-4 is imported only)", len(vulns), vulns)
	}
	for _, tt := range []struct {
		name     string
		drop     string // an advisory left out of the input
		reviewed map[string]string
		pass     bool
		want     []string
	}{
		{"a fix to take fails", "", map[string]string{"GO-2": "not used"}, false, []string{"FAIL: upgrade example.com/a to v1.2.0", "reviewed, no fix: not used", "build with Go 1.26.9 or newer"}},
		{"an unreviewed advisory without a fix fails", "GO-1", nil, false, []string{"FAIL: no fix"}},
		{"reviewed and the standard library pass", "GO-1", map[string]string{"GO-2": "not used"}, true, []string{"reviewed, no fix: not used", "standard library"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var in []vuln
			for _, v := range vulns {
				if v.id != tt.drop {
					in = append(in, v)
				}
			}
			var out strings.Builder
			if got := report(&out, in, tt.reviewed); got != tt.pass {
				t.Errorf("report() = %v, want %v\n%s", got, tt.pass, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("report says\n%s\nwant %q in it", out.String(), w)
				}
			}
		})
	}
	if _, err := read(strings.NewReader("{not json")); err == nil {
		t.Error("read accepted broken JSON")
	}
}
