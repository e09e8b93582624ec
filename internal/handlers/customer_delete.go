package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/history"
	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// Deleting a customer: GET /customers/:id/delete asks (the profile asks in
// a dialog when JavaScript is on), POST /customers/:id/delete deletes with
// the version the user saw.

// deleteForm is the delete form of a customer as Square holds it. It
// carries the version and the values shown, so that a conflict can say
// what changed since.
func deleteForm(id string, cu *square.Customer) views.CustomerDeleteForm {
	return deleteFormOf(id, customers.DisplayName(cu), cu.Version, customers.FromSquare(cu, customers.Fields(true)))
}

// deleteFormOf is the delete form of a customer at version with the values
// shown (every field's, EU-only ones included).
func deleteFormOf(id, name string, version int64, shown customers.Values) views.CustomerDeleteForm {
	return views.CustomerDeleteForm{
		Name:      name,
		Action:    customerPath(id) + "/delete",
		Version:   strconv.FormatInt(version, 10),
		Original:  hiddenInputs(customers.OriginalPrefix, customers.Fields(true), shown),
		CancelURL: customerPath(id),
	}
}

// confirmDeleteCustomer is the confirmation page that names the customer.
func (a *app) confirmDeleteCustomer(c echo.Context) error {
	id, err := customerID(c)
	if err != nil {
		return err
	}
	cu, err := a.client(c).Customers.Get(c.Request().Context(), id)
	if err != nil {
		return a.customerReadError(c, id, err)
	}
	f := deleteForm(id, cu)
	f.CSRFToken = csrfToken(c)
	return render(c, http.StatusOK, views.CustomerDeletePage(a.layout(c, "Delete "+f.Name, views.NavCustomers), views.CustomerDeleteView{Form: f}))
}

// deleteCustomer deletes with the version the user confirmed.
func (a *app) deleteCustomer(c echo.Context) error {
	id, err := customerID(c)
	if err != nil {
		return err
	}
	form := postedForm(c)
	version, err := postedVersion(form)
	if err != nil {
		return err
	}
	shown := customers.ReadForm(form, customers.Fields(true), true).Orig
	err = a.client(c).Customers.Delete(c.Request().Context(), id, &version)
	switch customers.OutcomeOf(err) {
	case customers.Done:
		a.unindexCustomer(c, id, version, index.OriginTessera)
		a.record(c, history.Entry{CustomerID: id, CustomerName: shown.Name(), Kind: history.Deleted,
			Dedupe: history.StateKey(0, true)})
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "Customer deleted."})
		return redirect(c, "/customers")
	case customers.Gone:
		// A delete retried after its answer was lost finds nothing left
		// to delete: it was done the first time. The same answer comes for
		// an id that was never in this directory, so the words claim only
		// what is certain: the customer is not there.
		a.unindexCustomer(c, id, 0, index.OriginSquare)
		return a.customerGone(c)
	case customers.Stale:
		return a.deleteConflict(c, id, version, shown)
	case customers.SignedOut:
		return err
	}
	return a.deleteFailed(c, id, version, shown, err)
}

// customerGone answers a delete that found the customer already gone.
func (a *app) customerGone(c echo.Context) error {
	sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "The customer is no longer in your directory."})
	return redirect(c, "/customers")
}

// deleteConflict answers a delete with a stale version: what changed since
// the user looked, and the choice to delete anyway with the new version.
func (a *app) deleteConflict(c echo.Context, id string, version int64, shown customers.Values) error {
	cu, err := a.client(c).Customers.Get(c.Request().Context(), id)
	switch customers.OutcomeOf(err) {
	case customers.Done:
	case customers.Gone:
		// Deleted by someone else meanwhile: what the user wanted is done.
		return a.customerGone(c)
	case customers.SignedOut:
		return err
	default:
		return a.deleteFailed(c, id, version, shown, err)
	}
	f := deleteForm(id, cu)
	f.CSRFToken = csrfToken(c)
	v := views.CustomerDeleteConflictView{Form: f}
	for _, ch := range customers.Changes(customers.Fields(true), shown, customers.FromSquare(cu, customers.Fields(true))) {
		v.Changes = append(v.Changes, views.CustomerChange{Key: ch.Field.Key, Label: ch.Field.Label, Before: ch.Before, After: ch.After})
	}
	return render(c, http.StatusConflict, views.CustomerDeleteConflictPage(a.layout(c, "Delete "+f.Name+"?", views.NavCustomers), v))
}

// deleteFailed answers a delete Square did not complete: the confirmation
// again, saying whether the customer was not deleted or may have been.
func (a *app) deleteFailed(c echo.Context, id string, version int64, shown customers.Values, err error) error {
	return a.writeFailed(c, err, writeFailure{
		action: "deleting a customer",
		notDone: views.Failure{Title: "The customer was not deleted.",
			Message: "Square could not take the request just now. Press Delete customer again in a moment."},
		maybeDone: views.Failure{Title: "The customer may not have been deleted.",
			Message: "Square did not confirm it. Press Delete customer again: if it was deleted, that simply confirms it."},
		page: func(status int, fail *views.Failure) error {
			f := deleteFormOf(id, shown.Name(), version, shown)
			f.CSRFToken = csrfToken(c)
			return render(c, status, views.CustomerDeletePage(a.layout(c, "Delete "+f.Name, views.NavCustomers), views.CustomerDeleteView{Form: f, Failure: fail}))
		},
	})
}
