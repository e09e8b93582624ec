package history

import (
	"context"
	"log/slog"
	"time"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/square"
)

// Changes made elsewhere (Square's dashboard, its POS, Appointments,
// Invoices) reach Tessera through the customer index, by webhook or sync.
// The index reports each once, with the state before and after, and its
// origin. Only the changes from Square are recorded here: Tessera's own
// writes are recorded by the handlers that make them, who know who made
// them, so that no change is recorded twice.

// Watcher returns the index watcher that records the changes Square
// reported as "Changed in Square", with the fields that changed. A failure
// to record is logged: the change itself is stored in the index already.
func (l *Log) Watcher(logger *slog.Logger, now func() time.Time) index.Watcher {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, changes []index.Change) {
		var es []Entry
		for _, c := range changes {
			if c.Origin != index.OriginSquare {
				continue
			}
			es = append(es, SquareEntry(c, now()))
		}
		if err := l.RecordAll(ctx, es); err != nil {
			logger.WarnContext(ctx, "history did not record a change made in Square", slog.Any("err", err))
		}
	}
}

// SquareEntry is the entry of a change the index saw arrive from Square.
func SquareEntry(c index.Change, at time.Time) Entry {
	e := Entry{MerchantID: c.MerchantID, CustomerID: c.CustomerID(), Kind: ChangedInSquare, At: at}
	if c.After != nil {
		e.Dedupe = StateKey(c.After.Version, false)
	} else {
		e.Dedupe = StateKey(0, true)
	}
	var before, after customers.Values
	fs := customers.Fields(true)
	empty := customers.FromSquare(&square.Customer{}, fs)
	before, after = empty, empty
	if c.Before != nil {
		before = customers.FromSquare(asSquare(c.Before), fs)
		e.CustomerName = customers.DisplayName(asSquare(c.Before))
	}
	if c.After != nil {
		after = customers.FromSquare(asSquare(c.After), fs)
		e.CustomerName = customers.DisplayName(asSquare(c.After))
	}
	switch {
	case c.Before == nil && c.After.UpdatedAt.After(c.After.CreatedAt):
		// New to the index but not to Square (it changed before the index
		// had a copy of it): what it was before is not known.
		e.Detail = "Changed in Square; Tessera had no earlier copy to compare"
		return e
	case c.Before == nil:
		e.Detail = "Created in Square"
	case c.After == nil:
		// The values a deleted customer had are not repeated: the name says
		// who it was.
		e.Detail = "Deleted in Square"
		return e
	}
	e.Changes = FieldChanges(fs, before, after)
	return e
}

// FieldChanges are the fields of fs that differ between before and after,
// from → to, as people read them.
func FieldChanges(fs []customers.Field, before, after customers.Values) []FieldChange {
	var out []FieldChange
	for _, ch := range customers.Changes(fs, before, after) {
		out = append(out, FieldChange{Label: ch.Field.Label, From: ch.Before, To: ch.After})
	}
	return out
}

// asSquare is the index's copy of a customer as Square's, with the fields
// the index keeps; the others (the address, the birthday) are empty on both
// sides of a change, so they never show as changed.
func asSquare(c *index.Customer) *square.Customer {
	return &square.Customer{
		ID: c.ID, Version: c.Version,
		GivenName: c.GivenName, FamilyName: c.FamilyName, Nickname: c.Nickname, CompanyName: c.CompanyName,
		EmailAddress: c.EmailAddress, PhoneNumber: c.PhoneNumber, ReferenceID: c.ReferenceID, Note: c.Note,
	}
}
