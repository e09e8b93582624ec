package square

import (
	"errors"
	"github.com/tessera-dashboard/tessera/internal/textutil"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy tunes how do retries safe requests. Zero fields take the
// defaults named on each field.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 turns retries off. Default 3.
	MaxAttempts int
	// BaseDelay is the backoff before the second attempt; it doubles on each
	// further attempt. Default 100 ms.
	BaseDelay time.Duration
	// MaxDelay caps the backoff. Default 2 s.
	MaxDelay time.Duration
	// MaxRetryAfter caps how long a Retry-After header can make us wait, so
	// that a server cannot park a user's request. Default 10 s.
	MaxRetryAfter time.Duration
}

// withDefaults fills zero fields and rejects negative ones.
func (p RetryPolicy) withDefaults() (RetryPolicy, error) {
	if p.MaxAttempts < 0 || p.BaseDelay < 0 || p.MaxDelay < 0 || p.MaxRetryAfter < 0 {
		return p, errors.New("square: Options.Retry fields must not be negative")
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = 3
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = 100 * time.Millisecond
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = 2 * time.Second
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = 10 * time.Second
	}
	return p, nil
}

// delay is how long to wait after the given failed attempt (1-based). A
// server's Retry-After wins over backoff, up to MaxRetryAfter.
func (p RetryPolicy) delay(attempt int, err error) time.Duration {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return min(e.RetryAfter, p.MaxRetryAfter)
	}
	return p.backoff(attempt)
}

// backoff is exponential with "equal jitter": a random point in the upper
// half of the window, so clients that failed together spread out while each
// still waits a meaningful minimum.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	window := p.MaxDelay
	if shift := attempt - 1; shift < 62 {
		if d := p.BaseDelay << shift; d > 0 && d>>shift == p.BaseDelay && d < p.MaxDelay {
			window = d
		}
	}
	half := window / 2
	return half + rand.N(window-half+1)
}

// parseRetryAfter reads a Retry-After header value: delay-seconds or an
// HTTP-date (RFC 9110 §10.2.3). A date in the past means "now". It reports
// false for anything else, including negative numbers.
func parseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if textutil.IsDigits(value) {
		secs, err := strconv.ParseUint(value, 10, 64)
		if err != nil || secs > math.MaxInt64/uint64(time.Second) {
			// Too large to represent: the caller's cap applies anyway.
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(secs) * time.Second, true
	}
	when, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return max(when.Sub(now), 0), true
}
