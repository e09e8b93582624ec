package squarelocal

import (
	"encoding/json"
	"net/http"
	"time"
)

// adminPrefix is where the emulator's own endpoints live; Square has no
// such path, so they cannot collide with its API.
const adminPrefix = "/_squarelocal/"

func (s *Server) adminCalls(w http.ResponseWriter, _ *http.Request) {
	calls := s.Calls()
	if calls == nil {
		calls = []Call{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": calls})
}

func (s *Server) adminResetCalls(w http.ResponseWriter, _ *http.Request) {
	s.ResetCalls()
	writeJSON(w, http.StatusOK, map[string]any{})
}

func (s *Server) adminFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.Faults()})
}

// adminInjectFault takes a Fault as JSON; latency may be given as a Go
// duration string ("250ms") in "latency".
func (s *Server) adminInjectFault(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Fault
		Latency string `json:"latency"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
		writeError(w, badRequest("BAD_REQUEST", "", "The fault must be a JSON object."))
		return
	}
	f := in.Fault
	if in.Latency != "" {
		d, err := time.ParseDuration(in.Latency)
		if err != nil {
			writeError(w, badRequest("INVALID_VALUE", "latency", "latency must be a duration such as 250ms."))
			return
		}
		f.Latency = d
	}
	if err := s.InjectFault(f); err != nil {
		writeError(w, badRequest("INVALID_VALUE", "", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.Faults()})
}

func (s *Server) adminClearFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	writeJSON(w, http.StatusOK, map[string]any{})
}

// adminAdvanceClock moves the clock by {"advance": "1h"}.
func (s *Server) adminAdvanceClock(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Advance string `json:"advance"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10)).Decode(&in); err != nil {
		writeError(w, badRequest("BAD_REQUEST", "", `The body must be {"advance": "<duration>"}.`))
		return
	}
	d, err := time.ParseDuration(in.Advance)
	if err != nil || d < 0 {
		writeError(w, badRequest("INVALID_VALUE", "advance", "advance must be a positive duration such as 1h."))
		return
	}
	s.Advance(d)
	writeJSON(w, http.StatusOK, map[string]any{"now": timestamp(s.Now())})
}
