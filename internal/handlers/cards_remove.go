package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/history"
	"github.com/tessera-dashboard/tessera/internal/live"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/textutil"
	"github.com/tessera-dashboard/tessera/views"
)

// Removing a card on file: GET /customers/:id/cards/:card_id/remove asks
// (the profile asks in a dialog when JavaScript is on), POST
// /customers/:id/cards/:card_id/disable removes it. Square never deletes a
// card: it disables it, for good. Either way the card is first read back
// from Square and must belong to the customer in the address, so that no
// URL reaches another customer's card, let alone another merchant's.

// maxCardID bounds a card id; Square's are at most 64 characters.
const maxCardID = 255

// cardID returns the :card_id of the path, or a not-found error for an id
// no card can have ("ccof:" and letters, digits, - and _). Odd input never
// reaches Square.
func cardID(c echo.Context, custID string) (string, error) {
	id := c.Param("card_id")
	if id == "" || len(id) > maxCardID || !textutil.IsIDSafe(strings.ReplaceAll(id, ":", "")) {
		return "", cardNotFound(custID)
	}
	return id, nil
}

// cardNotFound is an unknown card, or one that is not this customer's.
func cardNotFound(custID string) *pageError {
	return &pageError{
		Status: http.StatusNotFound, Title: "Card not found",
		Message: "This customer has no card on file with this ID.",
		BackURL: customerPath(custID), BackLabel: "Back to the customer",
	}
}

// cardPath is the address of one of a customer's cards.
func cardPath(custID, id string) string {
	return cardsPath(custID) + "/" + url.PathEscape(id)
}

// cardLabel names a card for people: "Visa ending in 1111".
func cardLabel(card *square.Card) string {
	return cardBrand(card.CardBrand) + " ending in " + card.Last4
}

// cardRemoveForm is the form that removes a card.
func cardRemoveForm(custID string, card *square.Card, csrf string) views.CardRemoveForm {
	return views.CardRemoveForm{
		Action:    cardPath(custID, card.ID) + "/disable",
		CSRFToken: csrf,
		CancelURL: customerPath(custID),
		Label:     cardLabel(card),
	}
}

// customerCard reads a card from Square and checks that it is one of the
// customer's; any other card is not found.
func (a *app) customerCard(c echo.Context) (string, *square.Card, error) {
	custID, err := customerID(c)
	if err != nil {
		return "", nil, err
	}
	id, err := cardID(c, custID)
	if err != nil {
		return "", nil, err
	}
	card, err := a.client(c).Cards.Get(c.Request().Context(), id)
	switch {
	case square.IsNotFound(err):
		return "", nil, cardNotFound(custID)
	case err != nil:
		return "", nil, err
	case card.CustomerID != custID:
		return "", nil, cardNotFound(custID)
	}
	return custID, card, nil
}

// confirmRemoveCard is the confirmation page that names the card.
func (a *app) confirmRemoveCard(c echo.Context) error {
	custID, card, err := a.customerCard(c)
	if err != nil {
		return err
	}
	v := views.CardRemoveView{Form: cardRemoveForm(custID, card, csrfToken(c)), AlreadyRemoved: !card.Enabled}
	return render(c, http.StatusOK, views.CardRemovePage(a.layout(c, "Remove "+v.Form.Label, views.NavCustomers), v))
}

// removeCard disables the card. A card already disabled (by an earlier
// press whose answer was lost, or by someone else) needs nothing more:
// what the user asked for is done.
func (a *app) removeCard(c echo.Context) error {
	custID, card, err := a.customerCard(c)
	if err != nil {
		return err
	}
	removed := card.Enabled
	if removed {
		_, err = a.client(c).Cards.Disable(c.Request().Context(), card.ID)
	}
	switch customers.OutcomeOf(err) {
	case customers.Done:
		// A card already disabled was removed before, and recorded then.
		if removed {
			a.recordCard(c, history.CardRemoved, custID, a.indexedName(c, custID), card)
		}
		a.publish(c, live.Event{Kind: live.Card, CustomerID: custID})
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "Card removed."})
		return redirect(c, customerPath(custID))
	case customers.Gone:
		return cardNotFound(custID)
	case customers.SignedOut:
		return err
	}
	return a.removeCardFailed(c, custID, card, err)
}

// removeCardFailed shows the confirmation again when Square did not
// complete the removal; removing is safe to repeat, so the page says to
// press the button again.
func (a *app) removeCardFailed(c echo.Context, custID string, card *square.Card, err error) error {
	return a.writeFailed(c, err, writeFailure{
		action: "removing a card",
		notDone: views.Failure{Title: "The card was not removed.",
			Message: "Square could not take the request just now. Press Remove card again in a moment."},
		maybeDone: views.Failure{Title: "The card may not have been removed.",
			Message: "Square did not confirm it. Press Remove card again: if it was removed, that simply confirms it."},
		page: func(status int, f *views.Failure) error {
			v := views.CardRemoveView{Form: cardRemoveForm(custID, card, csrfToken(c)), Failure: f}
			return render(c, status, views.CardRemovePage(a.layout(c, "Remove "+v.Form.Label, views.NavCustomers), v))
		},
	})
}
