package views

import "strconv"

// View models of the card pages: adding a card on file with Square's card
// form, and removing one. The profile's list of cards is ProfileCard.

// The names of the card form's inputs. The handler reads the same names.
const (
	CardCardholderName = "cardholder_name"
	CardPostalCode     = "postal_code"
	CardSourceID       = "source_id"
	CardIdempotencyKey = "idempotency_key"
	// CardCustomerName carries the customer's name as the page showed it,
	// so that a failed try can show the page again without asking Square.
	CardCustomerName = "customer_name"
	// CardBillingContact carries the customer's contact (JSON), which the
	// card form gives Square's card form to verify the buyer, so that a
	// failed try can show the page again with it.
	CardBillingContact = "billing_contact"
)

// MaxCardholderName is the longest cardholder name Square stores.
const MaxCardholderName = 96

// CardFormView is the page that adds a card with the Web Payments SDK. The
// same page serves all three environments: only the script and the ids
// differ.
type CardFormView struct {
	CustomerName string
	// Action is where the form posts: /customers/{id}/cards.
	Action string
	// CancelURL goes back to the profile.
	CancelURL string
	CSRFToken string
	// IdempotencyKey is minted when the page is first shown and kept while
	// the outcome of a try is unknown, so that a double submit or a retry
	// stores one card. It is replaced once Square has refused a try.
	IdempotencyKey string
	// ScriptURL is the Web Payments SDK of the environment (squarelocal's
	// stand-in in local mode); ApplicationID and LocationID are what
	// Square.payments takes.
	ScriptURL     string
	ApplicationID string
	LocationID    string
	// BillingContact is the customer's contact as the Web Payments SDK's
	// billingContact (JSON), for verifying the buyer.
	BillingContact string
	// Cardholder and PostalCode are what was typed, kept when a try
	// failed; the postal code is put back into Square's card form.
	Cardholder string
	PostalCode string
	// Problem says why the last try stored no card (or may not have).
	Problem *Failure
}

// CardRemoveForm is the form that removes (disables) one card, in the
// profile's dialog and on the confirmation page.
type CardRemoveForm struct {
	Action    string
	CSRFToken string
	// CancelURL goes back to the profile.
	CancelURL string
	// Label names the card, e.g. "Visa ending in 1111".
	Label string
}

// CardRemoveView is the confirmation page that Remove opens without
// JavaScript, and the page a failed removal comes back to.
type CardRemoveView struct {
	Form CardRemoveForm
	// AlreadyRemoved says the card is removed already: nothing to confirm.
	AlreadyRemoved bool
	// Failure says the card was not removed, when Square failed.
	Failure *Failure
}

// removeCardDialogID is the id of the profile's dialog that removes the
// card at index i of the list.
func removeCardDialogID(i int) string {
	return "remove-card-dialog-" + strconv.Itoa(i)
}

// hasCardDetails reports whether a card has any of the optional details.
func hasCardDetails(c ProfileCard) bool {
	return c.Cardholder != "" || c.PostalCode != "" || c.Added != ""
}
