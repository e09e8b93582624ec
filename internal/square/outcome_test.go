package square_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/square"
)

func TestOutcomeUnknownTellsARefusalFromALostAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"a rate limit refused the write", &square.Error{StatusCode: http.StatusTooManyRequests}, false},
		{"an unavailable Square refused the write", &square.Error{StatusCode: http.StatusServiceUnavailable}, false},
		{"an internal error may have written", &square.Error{StatusCode: http.StatusInternalServerError}, true},
		{"a gateway timeout may have written", &square.Error{StatusCode: http.StatusGatewayTimeout}, true},
		{"a timeout may have written", context.DeadlineExceeded, true},
		{"a dropped connection may have written", &url.Error{Op: "Post", URL: "x", Err: errors.New("EOF")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := square.OutcomeUnknown(tt.err); got != tt.want {
				t.Errorf("OutcomeUnknown(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestPredicatesTellSquaresAnswersFromFailuresToReachIt(t *testing.T) {
	t.Parallel()
	unavailable := fmt.Errorf("wrapped: %w", &square.Error{StatusCode: http.StatusServiceUnavailable, Code: "SERVICE_UNAVAILABLE"})
	refused := &square.Error{StatusCode: http.StatusBadRequest, Code: "INVALID_VALUE", Field: "note",
		Errors: []square.ErrorDetail{{Code: "INVALID_VALUE", Field: "note"}}}
	lost := &url.Error{Op: "Post", URL: "x", Err: errors.New("EOF")}
	cases := []struct {
		name                          string
		err                           error
		isError, unavailable, refusal bool
		code, field                   string
	}{
		{"a 503 is Square's answer that it did nothing", unavailable, true, true, false, "SERVICE_UNAVAILABLE", ""},
		{"a 400 is a refusal naming its field", refused, true, false, true, "INVALID_VALUE", "note"},
		{"a 429 is no refusal of the request itself", &square.Error{StatusCode: http.StatusTooManyRequests}, true, false, false, "", ""},
		{"a 401 is no refusal of the request itself", &square.Error{StatusCode: http.StatusUnauthorized}, true, false, false, "", ""},
		{"a dropped connection is no answer at all", lost, false, false, false, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := square.IsError(c.err); got != c.isError {
				t.Errorf("IsError(%v) = %v, want %v", c.err, got, c.isError)
			}
			if got := square.IsUnavailable(c.err); got != c.unavailable {
				t.Errorf("IsUnavailable(%v) = %v, want %v", c.err, got, c.unavailable)
			}
			if got := square.IsRefused(c.err); got != c.refusal {
				t.Errorf("IsRefused(%v) = %v, want %v", c.err, got, c.refusal)
			}
			if got := square.ErrorCode(c.err); got != c.code {
				t.Errorf("ErrorCode(%v) = %q, want %q", c.err, got, c.code)
			}
			if got := square.ErrorField(c.err); got != c.field {
				t.Errorf("ErrorField(%v) = %q, want %q", c.err, got, c.field)
			}
		})
	}
}
