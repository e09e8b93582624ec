package squarelocal

import (
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// FaultKind names a way the emulator can misbehave.
type FaultKind string

// The faults the emulator can inject.
const (
	// FaultLatency delays the answer by Fault.Latency, then answers normally.
	FaultLatency FaultKind = "latency"
	// FaultRateLimit answers 429 RATE_LIMITED with Retry-After.
	FaultRateLimit FaultKind = "rate_limit"
	// FaultInternal answers 500 INTERNAL_SERVER_ERROR.
	FaultInternal FaultKind = "internal_error"
	// FaultUnavailable answers 503 SERVICE_UNAVAILABLE.
	FaultUnavailable FaultKind = "unavailable"
	// FaultHang never answers: the request waits until the caller gives up.
	FaultHang FaultKind = "hang"
	// FaultDropAfterWrite applies the request, then drops the connection
	// without an answer, as a network failure after Square committed would.
	FaultDropAfterWrite FaultKind = "drop_after_write"
)

// Fault is one injected misbehaviour.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Endpoint is a route pattern such as "POST /v2/customers", or "" for
	// every endpoint.
	Endpoint string `json:"endpoint,omitempty"`
	// Latency is the delay of FaultLatency.
	Latency time.Duration `json:"latency,omitempty"`
	// RetryAfter is the Retry-After of FaultRateLimit in seconds; 0 sends
	// none, as Square may.
	RetryAfter int `json:"retry_after,omitempty"`
	// Rate, between 0 and 1, is the share of matching calls affected; 0
	// means every call.
	Rate float64 `json:"rate,omitempty"`
	// Count, when positive, limits the fault to the next Count matching
	// calls; then it is removed.
	Count int `json:"count,omitempty"`
}

// Validate reports a fault that cannot be applied.
func (f Fault) Validate() error {
	switch f.Kind {
	case FaultLatency:
		if f.Latency <= 0 {
			return fmt.Errorf("latency fault needs a positive latency")
		}
	case FaultRateLimit, FaultInternal, FaultUnavailable, FaultHang, FaultDropAfterWrite:
	default:
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	if f.Rate < 0 || f.Rate > 1 {
		return fmt.Errorf("rate %v is not between 0 and 1", f.Rate)
	}
	if f.Count < 0 || f.RetryAfter < 0 {
		return fmt.Errorf("count and retry_after must not be negative")
	}
	return nil
}

// faultSet holds the active faults.
type faultSet struct {
	mu     sync.Mutex
	faults []*Fault
	rng    *mrand.Rand
}

// InjectFault switches a fault on. It returns an error for an invalid one.
func (s *Server) InjectFault(f Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.faults = append(s.faults.faults, &f)
	return nil
}

// ClearFaults switches every fault off.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.faults = nil
}

// Faults returns the active faults.
func (s *Server) Faults() []Fault {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	out := make([]Fault, len(s.faults.faults))
	for i, f := range s.faults.faults {
		out[i] = *f
	}
	return out
}

// pick returns the total latency and the first non-latency fault that
// apply to a call of pattern, consuming counted faults.
func (fs *faultSet) pick(pattern string) (time.Duration, *Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.rng == nil {
		fs.rng = mrand.New(mrand.NewPCG(1, 2))
	}
	var latency time.Duration
	var chosen *Fault
	kept := fs.faults[:0]
	for _, f := range fs.faults {
		applies := (f.Endpoint == "" || f.Endpoint == pattern) &&
			(f.Rate == 0 || fs.rng.Float64() < f.Rate) &&
			(f.Kind == FaultLatency || chosen == nil)
		if applies {
			if f.Kind == FaultLatency {
				latency += f.Latency
			} else {
				c := *f
				chosen = &c
			}
			if f.Count > 0 {
				f.Count--
				if f.Count == 0 {
					continue
				}
			}
		}
		kept = append(kept, f)
	}
	fs.faults = kept
	return latency, chosen
}

// isAdmin reports whether pattern is one of the emulator's own endpoints,
// which faults never touch so tests can always switch them off.
func isAdmin(pattern string) bool {
	return strings.Contains(pattern, adminPrefix)
}

// applyFaults injects the faults that apply to this call. It returns true
// when the fault has answered (or dropped) the request itself.
func (s *Server) applyFaults(w http.ResponseWriter, r *http.Request, pattern string, entry *Call) bool {
	if isAdmin(pattern) {
		return false
	}
	latency, f := s.faults.pick(pattern)
	if latency > 0 {
		entry.Fault = string(FaultLatency)
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		case <-s.closing:
			return true
		}
	}
	if f == nil {
		return false
	}
	entry.Fault = string(f.Kind)
	switch f.Kind {
	case FaultRateLimit:
		e := newError(http.StatusTooManyRequests, catRateLimit, "RATE_LIMITED", "", "This request was rate limited. Please retry later.")
		e.RetryAfter = f.RetryAfter
		writeError(w, e)
	case FaultInternal:
		writeError(w, newError(http.StatusInternalServerError, catAPI, "INTERNAL_SERVER_ERROR", "", "An internal error occurred."))
	case FaultUnavailable:
		writeError(w, newError(http.StatusServiceUnavailable, catAPI, "SERVICE_UNAVAILABLE", "", "The service is temporarily unavailable."))
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
	case FaultDropAfterWrite:
		// Apply the request for real, throw the answer away and abort the
		// connection: the caller cannot tell whether it happened.
		s.mux.ServeHTTP(&discardWriter{header: http.Header{}}, r)
		panic(http.ErrAbortHandler)
	}
	return true
}

// discardWriter swallows an answer.
type discardWriter struct {
	header http.Header
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
