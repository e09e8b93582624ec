package squarelocal

import (
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// adminPrefix is where the emulator's own endpoints live; Square has no
// such path, so they cannot collide with its API.
const adminPrefix = "/_squarelocal/"

// ControlHeader marks a request to the emulator's controls as sent by a
// program. A request with it, or with a JSON body, is one that a web page
// cannot send to another site without asking first (a CORS preflight,
// which the controls never grant), so the controls answer only those.
const ControlHeader = "X-Squarelocal-Control"

// control registers one of the emulator's controls. They have no sign-in:
// they are for tests on the developer's machine. So that no web page the
// developer visits can use them, a control answers only a request to one
// of the loopback hosts it serves (a page whose name was re-pointed at
// 127.0.0.1, DNS rebinding, still sends its own name as Host) that a
// browser sends cross-site only after a preflight: a custom header or a
// content type other than a form's or text/plain.
func (s *Server) control(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if !s.controlHostAllowed(r.Host) || !sentByProgram(r.Header) {
			writeError(w, newError(http.StatusForbidden, catAuthentication, "FORBIDDEN", "",
				"The emulator's controls answer only requests to its loopback address that send "+
					"Content-Type: application/json or an "+ControlHeader+" header."))
			return
		}
		h(w, r)
	})
}

// controlHostAllowed reports whether host, a request's Host, is one the
// controls answer: one of Options.ControlHosts, or without them any
// loopback name.
func (s *Server) controlHostAllowed(host string) bool {
	if len(s.opts.ControlHosts) > 0 {
		return slices.ContainsFunc(s.opts.ControlHosts, func(h string) bool { return strings.EqualFold(h, host) })
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

// sentByProgram reports whether a request carries something a browser
// sends cross-site only after a preflight: the control header, or a
// Content-Type that is not one of the three a plain form or fetch may use.
func sentByProgram(h http.Header) bool {
	if h.Get(ControlHeader) != "" {
		return true
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return false
	}
	return true
}

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

func (s *Server) adminDeliveries(w http.ResponseWriter, _ *http.Request) {
	log := s.Deliveries()
	if log == nil {
		log = []Delivery{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": log, "pending": s.PendingDeliveries()})
}

func (s *Server) adminResetDeliveries(w http.ResponseWriter, _ *http.Request) {
	s.ResetDeliveries()
	writeJSON(w, http.StatusOK, map[string]any{})
}

func (s *Server) adminDeliveryFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.DeliveryFaults()})
}

// adminInjectDeliveryFault takes a DeliveryFault as JSON; the delay is a Go
// duration string ("250ms") in "delay".
func (s *Server) adminInjectDeliveryFault(w http.ResponseWriter, r *http.Request) {
	var in struct {
		DeliveryFault
		Delay string `json:"delay"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
		writeError(w, badRequest("BAD_REQUEST", "", "The delivery fault must be a JSON object."))
		return
	}
	f := in.DeliveryFault
	if in.Delay != "" {
		d, err := time.ParseDuration(in.Delay)
		if err != nil {
			writeError(w, badRequest("INVALID_VALUE", "delay", "delay must be a duration such as 250ms."))
			return
		}
		f.Delay = d
	}
	if err := s.InjectDeliveryFault(f); err != nil {
		writeError(w, badRequest("INVALID_VALUE", "", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.DeliveryFaults()})
}

func (s *Server) adminClearDeliveryFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearDeliveryFaults()
	writeJSON(w, http.StatusOK, map[string]any{})
}
