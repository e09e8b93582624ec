package customers

import "github.com/tessera-dashboard/tessera/internal/square"

// Outcome is what Square's answer to a write means for the person who
// made it: what happened to their change, and what they can do next.
type Outcome int

// The outcomes of a write, in the order OutcomeOf decides them.
const (
	// Done: Square made the change.
	Done Outcome = iota
	// SignedOut: Square no longer accepts the token; nothing was changed,
	// and the person has to sign in again.
	SignedOut
	// Stale: the customer changed since the person looked (a version
	// mismatch); nothing was changed.
	Stale
	// Gone: Square has no such customer or card (deleted meanwhile).
	Gone
	// KeyReused: the form's idempotency key already made something from
	// other details, perhaps on an earlier try that seemed to fail.
	KeyReused
	// Invalid: Square refused the details, naming what was wrong; nothing
	// was changed and the person can correct them.
	Invalid
	// Refused: Square refused the request for another reason of its own
	// (a 4xx other than the above and a rate limit); nothing was changed.
	Refused
	// NotDone: Square failed in a way that says it did nothing (it was
	// busy, unavailable, or refused to go faster); trying again is safe.
	NotDone
	// MaybeDone: no answer came (a timeout, a dropped connection), or
	// Square failed without saying whether the change was made.
	MaybeDone
)

// OutcomeOf classifies the error a Square write returned.
func OutcomeOf(err error) Outcome {
	switch {
	case err == nil:
		return Done
	case square.IsAuth(err):
		return SignedOut
	case square.IsVersionMismatch(err):
		return Stale
	case square.IsNotFound(err):
		return Gone
	case square.IsIdempotencyKeyReused(err):
		return KeyReused
	case square.IsInvalidRequest(err):
		return Invalid
	case square.IsRefused(err):
		return Refused
	case square.OutcomeUnknown(err):
		return MaybeDone
	}
	return NotDone
}

// Failed reports whether the write failed at Square rather than being
// refused for its content: the outcomes NotDone and MaybeDone.
func (o Outcome) Failed() bool {
	return o == NotDone || o == MaybeDone
}
