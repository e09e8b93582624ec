package handlers

import (
	"context"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/history"
	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/square"
)

// The history of changes: each write made through Tessera is recorded here
// once Square has confirmed it, with the name the staff member gave at
// sign-in, their browser and address. A write Square refused or did not
// confirm is not recorded: the record says what Square holds. Changes made
// in Square are recorded from the index's feed (see history.Watcher), which
// reports Tessera's own writes as Tessera's, so nothing is recorded twice.

// historyLog is what the handlers need of the history.
type historyLog interface {
	Record(ctx context.Context, e history.Entry) error
	List(ctx context.Context, merchantID string, f history.Filter, offset, limit int) (history.Page, error)
	DropMerchant(ctx context.Context, merchantID string) error
}

// record adds an entry for a write Square confirmed, made by the signed-in
// staff member. A failure is logged, never the person's: the write is done.
func (a *app) record(c echo.Context, e history.Entry) {
	if a.history == nil {
		return
	}
	ctx := c.Request().Context()
	d := sessionOf(c).Data()
	e.MerchantID, e.Actor = d.MerchantID, d.StaffName
	e.UserAgent, e.RemoteAddr = c.Request().UserAgent(), c.RealIP()
	e.At = a.now()
	if err := a.history.Record(ctx, e); err != nil {
		a.logger.WarnContext(ctx, "history did not record a change", slog.Any("err", err), slog.String("kind", string(e.Kind)))
	}
}

// recordCustomerWrite records a create (before is nil) or an edit of a
// customer as Square answered it, with each field from → to.
func (a *app) recordCustomerWrite(c echo.Context, fs []customers.Field, before customers.Values, cu *square.Customer) {
	kind := history.Edited
	if before == nil {
		kind = history.Created
		before = customers.FromSquare(&square.Customer{}, fs)
	}
	a.record(c, history.Entry{
		CustomerID: cu.ID, CustomerName: customers.DisplayName(cu), Kind: kind,
		Changes: history.FieldChanges(fs, before, customers.FromSquare(cu, fs)),
		Dedupe:  history.StateKey(cu.Version, false),
	})
}

// recordCard records a card added to or removed from a customer: its brand
// and last four digits, nothing more.
func (a *app) recordCard(c echo.Context, kind history.Kind, customerID, customerName string, card *square.Card) {
	e := history.Entry{CustomerID: customerID, CustomerName: customerName, Kind: kind}
	if card != nil {
		e.Card = &history.Card{Brand: cardBrand(card.CardBrand), Last4: card.Last4}
	}
	a.record(c, e)
}

// indexedName is a customer's name as the index holds it, or "" when the
// index is off or does not have it: for the entries of writes that do not
// read the customer (a card's removal).
func (a *app) indexedName(c echo.Context, customerID string) string {
	x, ok := a.indexed.(interface {
		Get(ctx context.Context, merchantID, customerID string) (index.Customer, error)
	})
	if !ok {
		return ""
	}
	cu, err := x.Get(c.Request().Context(), sessionOf(c).MerchantID(), customerID)
	if err != nil {
		return ""
	}
	return customers.Name(cu.GivenName, cu.FamilyName, cu.CompanyName, cu.EmailAddress, cu.PhoneNumber)
}

// msgStaffName is the message for a name that is too long or not a name.
const msgStaffName = "Your name can be at most 60 characters, without line breaks or control characters. Shorten it, or leave it empty."

// staffName checks the name typed at sign-in: trimmed, at most
// history.MaxActor characters, and printable. ok is false with the
// trimmed name when it is not.
func staffName(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > history.MaxActor {
		return s, false
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) }) {
		return s, false
	}
	return s, true
}
