package pgindex_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/index/pgindex"
)

func TestZZQ(t *testing.T) {
	url := os.Getenv("FILL_URL")
	if url == "" {
		t.Skip()
	}
	x := pgindex.New(openURL(t, url))
	for _, q := range strings.Split(os.Getenv("QS"), ",") {
		for range 3 {
			s := time.Now()
			r, err := x.Search(t.Context(), "MBENCH", index.Query{Text: q})
			t.Logf("%q: %d total %d in %v", q, len(r.Rows), r.Total, time.Since(s))
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}
