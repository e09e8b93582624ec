package square_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/square"
)

func TestOutcomeUnknownTellsARefusalFromALostAnswer(t *testing.T) {
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
