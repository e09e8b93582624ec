package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestABadDirectoryQueryOnAColdCacheCallsSquareNever(t *testing.T) {
	h := newHarness(t)
	b := h.newBrowser()
	b.signIn(0)
	tests := []struct{ name, query, want string }{
		{"an address over the size cap", "q=" + strings.Repeat("a", 9<<10), "too long to be a directory search"},
		{"search text over Square's length", "q=" + strings.Repeat("x", 300), "The search text is too long"},
		{"a date that is not one", "from=" + url.QueryEscape("2026-13-45"), "Enter “Created from” as a date"},
		{"an unknown search field", "q=ada&field=name", "Choose where to search"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Past the merchant cache's 5 minutes the groups would be fetched
			// again, as on the first page after a restart.
			h.clock.Advance(6 * time.Minute)
			h.emu.ResetCalls()
			p := b.get("/customers?" + tt.query)
			expect(t, p, http.StatusBadRequest)
			if !strings.Contains(p.Doc.Text(), tt.want) {
				t.Errorf("GET /customers?%.40s… says %q, want %q", tt.query, p.Doc.Text(), tt.want)
			}
			if calls := h.emu.Calls(); len(calls) != 0 {
				var got []string
				for _, c := range calls {
					got = append(got, c.Pattern)
				}
				t.Errorf("GET /customers?%.40s… called Square %v, want no call", tt.query, got)
			}
		})
	}
}
