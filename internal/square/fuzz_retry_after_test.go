package square

import (
	"github.com/tessera-dashboard/tessera/internal/textutil"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzRetryAfterWaitIsBounded follows a Retry-After header from a 429 to
// the wait before the next attempt. FuzzParseRetryAfter checks that the
// parsed value is never negative; this checks the wait the client really
// takes: never negative, never longer than the policy's MaxRetryAfter, the
// server's value when it asked for a shorter one, and otherwise the
// jittered backoff, within MaxDelay.
func FuzzRetryAfterWaitIsBounded(f *testing.F) {
	for _, seed := range []struct {
		value   string
		attempt uint8
		capMS   uint16
	}{
		{"3", 1, 0}, {"0", 1, 0}, {"", 2, 0}, {" 7 ", 1, 5000}, {"-1", 1, 0}, {"1.5", 3, 0},
		{"99999999999999999999999", 1, 0}, {"9223372036", 1, 1}, {"18446744073709551615", 1, 0},
		{"Wed, 20 Aug 2025 12:00:30 GMT", 1, 0}, {"Wed, 20 Aug 2025 11:00:00 GMT", 1, 0},
		{"Fri, 31 Dec 9999 23:59:59 GMT", 1, 0}, {"Mon, 01 Jan 0001 00:00:00 GMT", 2, 0},
		{"Wednesday, 20-Aug-25 12:01:00 GMT", 1, 100}, {"Wed Aug 20 12:00:05 2025", 1, 0},
		{"soon", 200, 0}, {"3, 4", 1, 0}, {"\t5\n", 1, 0}, {"+5", 1, 0}, {"0x10", 1, 0},
	} {
		f.Add(seed.value, seed.attempt, seed.capMS)
	}
	now := time.Date(2025, 8, 20, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, value string, attempt uint8, capMS uint16) {
		p, err := RetryPolicy{MaxRetryAfter: time.Duration(capMS) * time.Millisecond}.withDefaults()
		if err != nil {
			t.Fatalf("RetryPolicy.withDefaults() = %v", err)
		}
		n := int(attempt%16) + 1
		e := decodeError(http.StatusTooManyRequests, http.Header{"Retry-After": {value}}, nil, now)
		if e.RetryAfter < 0 {
			t.Fatalf("decodeError(Retry-After %q).RetryAfter = %v, want >= 0", value, e.RetryAfter)
		}
		if want, ok := expectedRetryAfter(value, now); ok && e.RetryAfter != want {
			t.Errorf("decodeError(Retry-After %q).RetryAfter = %v, want %v", value, e.RetryAfter, want)
		}

		d := p.delay(n, e)
		switch {
		case d < 0:
			t.Errorf("delay(%d, Retry-After %q) = %v, want >= 0", n, value, d)
		case e.RetryAfter > 0 && d != min(e.RetryAfter, p.MaxRetryAfter):
			t.Errorf("delay(%d, Retry-After %q) = %v, want the server's %v capped at %v", n, value, d, e.RetryAfter, p.MaxRetryAfter)
		case e.RetryAfter == 0 && (d < p.BaseDelay/2 || d > p.MaxDelay):
			t.Errorf("delay(%d, no usable Retry-After %q) = %v, want a backoff between %v and %v", n, value, d, p.BaseDelay/2, p.MaxDelay)
		}
	})
}

// expectedRetryAfter is what a Retry-After value must give, computed
// apart from parseRetryAfter, for the values that have a clear answer:
// small delay-seconds and IMF-fixdate HTTP-dates.
func expectedRetryAfter(value string, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(value)
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil && textutil.IsDigits(v) {
		return time.Duration(secs) * time.Second, true
	}
	if when, err := time.Parse(http.TimeFormat, v); err == nil {
		return max(when.Sub(now), 0), true
	}
	return 0, false
}
