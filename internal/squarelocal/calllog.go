package squarelocal

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Call is one request the emulator received, for tests to assert on how
// often and how Tessera talked to "Square".
type Call struct {
	Time time.Time `json:"time"`
	// Method and Path are as received; Pattern is the matched route, such
	// as "PUT /v2/customers/{customer_id}" ("" for an unknown path).
	Method  string `json:"method"`
	Path    string `json:"path"`
	Pattern string `json:"pattern"`
	// IdempotencyKey is the body's idempotency_key, if any.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Version is the customer version sent in the body or the query, if any.
	Version *int64 `json:"version,omitempty"`
	Status  int    `json:"status"`
	// Fault names the injected fault that shaped the answer, if any.
	Fault    string        `json:"fault,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// callLog is a bounded, concurrency-safe list of calls.
type callLog struct {
	mu    sync.Mutex
	calls []Call
}

// maxCalls bounds the log so a long-running demo does not grow forever.
const maxCalls = 10000

func (l *callLog) add(c Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.calls) >= maxCalls {
		// Drop the older half at once, so the copy is paid once per
		// maxCalls/2 calls rather than on every call.
		l.calls = slices.Delete(l.calls, 0, maxCalls/2)
	}
	l.calls = append(l.calls, c)
}

// Calls returns a copy of the call log, oldest first.
func (s *Server) Calls() []Call {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	return slices.Clone(s.calls.calls)
}

// ResetCalls empties the call log.
func (s *Server) ResetCalls() {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	s.calls.calls = nil
}

// CountCalls returns how many logged calls matched the route pattern (for
// example "POST /v2/customers") and, when status is not 0, had that status.
func (s *Server) CountCalls(pattern string, status int) int {
	n := 0
	for _, c := range s.Calls() {
		if c.Pattern == pattern && (status == 0 || c.Status == status) {
			n++
		}
	}
	return n
}

// newCall starts a log entry, peeking at the body for the idempotency key
// and version. The body is put back for the handler.
func newCall(r *http.Request, pattern string, start time.Time) Call {
	c := Call{Time: start, Method: r.Method, Path: r.URL.Path, Pattern: pattern}
	if v := r.URL.Query().Get("version"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			c.Version = &n
		}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return c
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return c
	}
	var peek struct {
		IdempotencyKey string `json:"idempotency_key"`
		Version        *int64 `json:"version"`
	}
	if json.Unmarshal(body, &peek) == nil {
		c.IdempotencyKey = peek.IdempotencyKey
		if peek.Version != nil {
			c.Version = peek.Version
		}
	}
	return c
}
