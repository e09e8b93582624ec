package squarelocal

import (
	"fmt"
	mrand "math/rand/v2"
	"time"
)

// DeliveryFaultKind names a way webhook deliveries can misbehave. Square
// promises neither exactly-once nor in-order delivery, and a receiver must
// cope with both; these faults make that happen on demand.
type DeliveryFaultKind string

// The delivery faults.
const (
	// DeliveryDrop never sends the event, as when Square gives up or a
	// subscription was disabled.
	DeliveryDrop DeliveryFaultKind = "drop"
	// DeliveryDuplicate sends the event twice, with the same event_id.
	DeliveryDuplicate DeliveryFaultKind = "duplicate"
	// DeliveryDelay sends the event DeliveryFault.Delay late; events after
	// it may arrive first.
	DeliveryDelay DeliveryFaultKind = "delay"
	// DeliveryReorder holds the event back until the next event for the
	// same subscription has been queued, then sends it right after that
	// one; if none comes within DeliveryFault.Delay (default one second)
	// it goes out anyway, so nothing is lost.
	DeliveryReorder DeliveryFaultKind = "reorder"
)

// defaultReorderHold is how long a reordered event waits for a later one.
const defaultReorderHold = time.Second

// DeliveryFault is one injected misbehaviour of webhook deliveries. Each
// delivery of an event to a subscription gets at most one: the first
// active fault that applies.
type DeliveryFault struct {
	Kind DeliveryFaultKind `json:"kind"`
	// EventType limits the fault to events of that type, such as
	// "customer.deleted"; "" means every event.
	EventType string `json:"event_type,omitempty"`
	// Delay is the lateness of DeliveryDelay and the longest hold of
	// DeliveryReorder.
	Delay time.Duration `json:"delay,omitempty"`
	// Rate, between 0 and 1, is the share of matching deliveries affected;
	// 0 means every one.
	Rate float64 `json:"rate,omitempty"`
	// Count, when positive, limits the fault to the next Count matching
	// deliveries; then it is removed.
	Count int `json:"count,omitempty"`
}

// Validate reports a delivery fault that cannot be applied.
func (f DeliveryFault) Validate() error {
	switch f.Kind {
	case DeliveryDelay:
		if f.Delay <= 0 {
			return fmt.Errorf("delay fault needs a positive delay")
		}
	case DeliveryDrop, DeliveryDuplicate, DeliveryReorder:
		if f.Delay < 0 {
			return fmt.Errorf("delay must not be negative")
		}
	default:
		return fmt.Errorf("unknown delivery fault kind %q", f.Kind)
	}
	if f.Rate < 0 || f.Rate > 1 {
		return fmt.Errorf("rate %v is not between 0 and 1", f.Rate)
	}
	if f.Count < 0 {
		return fmt.Errorf("count must not be negative")
	}
	return nil
}

// InjectDeliveryFault switches a delivery fault on. It returns an error for
// an invalid one.
func (s *Server) InjectDeliveryFault(f DeliveryFault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.faults = append(s.hooks.faults, &f)
	return nil
}

// ClearDeliveryFaults switches every delivery fault off.
func (s *Server) ClearDeliveryFaults() {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.faults = nil
}

// DeliveryFaults returns the active delivery faults.
func (s *Server) DeliveryFaults() []DeliveryFault {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := make([]DeliveryFault, len(s.hooks.faults))
	for i, f := range s.hooks.faults {
		out[i] = *f
	}
	return out
}

// pickDeliveryFault returns the fault for one delivery of an event of typ,
// consuming counted faults. Callers hold h.mu.
func (h *hookSet) pickDeliveryFault(typ string) *DeliveryFault {
	if h.rng == nil {
		h.rng = mrand.New(mrand.NewPCG(3, 4))
	}
	for i, f := range h.faults {
		if (f.EventType != "" && f.EventType != typ) || (f.Rate != 0 && h.rng.Float64() >= f.Rate) {
			continue
		}
		picked := *f
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				h.faults = append(h.faults[:i:i], h.faults[i+1:]...)
			}
		}
		return &picked
	}
	return nil
}
