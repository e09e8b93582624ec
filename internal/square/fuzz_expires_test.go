package square

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// rfc3339 matches RFC 3339's date-time (§5.6) with the upper-case T and Z
// that Square sends, and at most nine fractional digits, which a
// time.Time holds exactly.
var rfc3339 = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$`)

// rfc3339Instant is the instant an RFC 3339 date-time names, computed
// without the time package's parser, and whether s is one.
func rfc3339Instant(s string) (time.Time, bool) {
	m := rfc3339.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	n := func(i int) int {
		v, _ := strconv.Atoi(m[i])
		return v
	}
	year, month, day, hour, minute, sec := n(1), n(2), n(3), n(4), n(5), n(6)
	// RFC 3339 allows a leap second (60); Go has none, so such a value is
	// left out of what must be accepted.
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	if time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).Day() != day {
		return time.Time{}, false
	}
	nanos := 0
	if frac := m[7]; frac != "" {
		nanos, _ = strconv.Atoi((frac + "000000000")[:9])
	}
	offset := 0
	if m[8] == "" {
		oh, om := n(10), n(11)
		if oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if m[9] == "-" {
			offset = -offset
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

// FuzzTokenExpiresAt sends arbitrary expires_at values in Square's token
// response through ExchangeCode. A valid RFC 3339 value becomes the token's
// Expiry, the same instant; anything else that is not "no expiry" (null or
// "", Timestamp's documented zero) is an error, never a token silently
// taken for one that does not expire.
func FuzzTokenExpiresAt(f *testing.F) {
	for _, seed := range []string{
		`"2025-09-19T10:00:00Z"`, `"2025-09-19T10:00:00.5Z"`, `"2025-09-19T10:00:00.123456789Z"`,
		`"2025-09-19T12:00:00+02:00"`, `"2025-09-19T05:30:00-04:30"`, `"2024-02-29T00:00:00Z"`,
		`"0001-01-01T00:00:00Z"`, `"9999-12-31T23:59:59Z"`,
		`null`, `""`, `"next tuesday"`, `"2025-09-19"`, `"2025-09-19 10:00:00Z"`, `"2025-09-19t10:00:00z"`,
		`"2025-02-29T00:00:00Z"`, `"2025-09-19T24:00:00Z"`, `"2025-09-19T23:59:60Z"`, `"2025-13-01T00:00:00Z"`,
		`"2025-09-19T10:00:00,5Z"`, `"2025-09-19T10:00:00+24:00"`, `"2025-09-19T10:00:00.1234567891Z"`,
		`"+2025-09-19T10:00:00Z"`, `"1758276000"`, `1758276000`, `true`, `{}`, `[]`, `"\u0000"`, `"2025-09-19T10:00:00Z\u0000"`,
		`"2025-09-19T10:00:00\u005a"`, `"2025-09-19T1:00:00Z"`,
	} {
		f.Add(seed)
	}
	var body []byte
	c, err := NewClient(Options{
		BaseURL:      "https://connect.squareup.test",
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{
				StatusCode: http.StatusOK,
				Header:     http.Header{"Content-Type": {"application/json"}},
				Body:       io.NopCloser(bytes.NewReader(body)),
				Request:    r,
			}, nil
		}),
	})
	if err != nil {
		f.Fatalf("NewClient() error = %v", err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		body = []byte(`{"access_token":"EAAAx","token_type":"bearer","merchant_id":"M","refresh_token":"EQAAx","expires_at":` + raw + `}`)
		tok, err := c.OAuth.ExchangeCode(t.Context(), "code", "", "")

		if !json.Valid([]byte(raw)) {
			// Not one JSON value: either the body is broken, which must be
			// an error, or raw added keys of its own, which only must not
			// panic.
			if !json.Valid(body) && err == nil {
				t.Errorf("ExchangeCode with the body %q = Expiry %v, want an error for JSON that is not valid", body, tok.Expiry)
			}
			return
		}
		var value any
		_ = json.Unmarshal([]byte(raw), &value)
		s, isString := value.(string)
		switch {
		case value == nil || s == "" && isString:
			// Square's OAuth tokens always expire: a token without an
			// expiry is refused, or it would never be refreshed.
			if err == nil {
				t.Errorf("ExchangeCode(expires_at %s) = Expiry %v, want an error for a token without an expiry", raw, tok.Expiry)
			}
		case !isString:
			if err == nil {
				t.Errorf("ExchangeCode(expires_at %s) = Expiry %v, want an error for a value that is not a string", raw, tok.Expiry)
			}
		default:
			want, valid := rfc3339Instant(s)
			switch {
			case valid && want.IsZero():
				// The zero instant is "no expiry" to oauth2: refused too.
				if err == nil {
					t.Errorf("ExchangeCode(expires_at %q) = Expiry %v, want an error for the zero time", s, tok.Expiry)
				}
			case valid && err != nil:
				t.Errorf("ExchangeCode(expires_at %q) = %v, want Expiry %v", s, err, want)
			case valid && !tok.Expiry.Equal(want):
				t.Errorf("ExchangeCode(expires_at %q).Expiry = %v, want %v", s, tok.Expiry, want)
			case !valid && err == nil && !looseRFC3339.MatchString(s):
				t.Errorf("ExchangeCode(expires_at %q) = Expiry %v, want an error for a value that is not RFC 3339", s, tok.Expiry)
			case err == nil && tok.Expiry.IsZero() && !want.IsZero():
				t.Errorf("ExchangeCode(expires_at %q) = no expiry, want %v", s, want)
			}
		}
	})
}

// looseRFC3339 are the values time.Parse(time.RFC3339Nano) accepts beyond
// the strict form: a one-digit hour, a comma before the fraction, more
// than nine fractional digits, and offsets up to +99:99. Go's lenient
// parser defines them (time.Time's own UnmarshalJSON refuses them); they
// are still date-times, never garbage taken for "no expiry".
var looseRFC3339 = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:\d{2})$`)
