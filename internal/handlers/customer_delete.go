package handlers

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

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
	return views.CustomerDeleteForm{
		Name:      displayName(*cu),
		Action:    customerPath(id) + "/delete",
		Version:   strconv.FormatInt(cu.Version, 10),
		Original:  customerFormValues(cu, true),
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
		return customerReadError(err)
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
	form, err := customerPostedForm(c)
	if err != nil {
		return err
	}
	version, err := postedVersion(form)
	if err != nil {
		return err
	}
	orig := readCustomerForm(form, true, true).orig
	err = a.client(c).Customers.Delete(c.Request().Context(), id, &version)
	switch {
	case err == nil:
		return a.customerDeleted(c)
	case square.IsNotFound(err):
		// A delete retried after its answer was lost finds nothing left
		// to delete: it was done the first time. The same answer comes for
		// an id that was never in this directory, so the words claim only
		// what is certain: the customer is not there.
		return a.customerGone(c)
	case square.IsVersionMismatch(err):
		return a.deleteConflict(c, id, version, orig)
	case square.IsAuth(err):
		return err
	}
	return a.deleteFailed(c, id, version, orig, err)
}

// customerDeleted ends a delete on the directory, with a flash.
func (a *app) customerDeleted(c echo.Context) error {
	sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "Customer deleted."})
	return redirect(c, "/customers")
}

// customerGone answers a delete that found the customer already gone.
func (a *app) customerGone(c echo.Context) error {
	sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "The customer is no longer in your directory."})
	return redirect(c, "/customers")
}

// deleteConflict answers a delete with a stale version: what changed since
// the user looked, and the choice to delete anyway with the new version.
func (a *app) deleteConflict(c echo.Context, id string, version int64, orig views.CustomerValues) error {
	cu, err := a.client(c).Customers.Get(c.Request().Context(), id)
	switch {
	case square.IsNotFound(err):
		// Deleted by someone else meanwhile: what the user wanted is done.
		return a.customerGone(c)
	case square.IsAuth(err):
		return err
	case err != nil:
		return a.deleteFailed(c, id, version, orig, err)
	}
	f := deleteForm(id, cu)
	f.CSRFToken = csrfToken(c)
	v := views.CustomerDeleteConflictView{Form: f}
	for _, u := range customerUnits(customerInputs(true)) {
		if !unitEqual(u, orig, f.Original) {
			v.Changes = append(v.Changes, views.CustomerChange{
				Key: u.key, Label: unitLabel(u), Before: unitDisplay(u, orig), After: unitDisplay(u, f.Original),
			})
		}
	}
	return render(c, http.StatusConflict, views.CustomerDeleteConflictPage(a.layout(c, "Delete "+f.Name+"?", views.NavCustomers), v))
}

// deleteFailed answers a delete Square did not complete: the confirmation
// again, saying whether the customer was not deleted or may have been.
func (a *app) deleteFailed(c echo.Context, id string, version int64, orig views.CustomerValues, err error) error {
	defer detachContext(c)()
	pe := squareFailure(err)
	a.logger.ErrorContext(c.Request().Context(), "deleting a customer failed", slog.String("id", requestIDOf(c)), slog.Any("err", err))
	fail := views.CustomerFormFailure{
		Title:     "The customer was not deleted.",
		Message:   "Square could not take the request just now. Press Delete customer again in a moment.",
		RequestID: requestIDOf(c),
	}
	if outcomeUnknown(err) {
		fail.Title = "The customer may not have been deleted."
		fail.Message = "Square did not confirm it. Press Delete customer again: if it was deleted, that simply confirms it."
	}
	f := views.CustomerDeleteForm{
		Name: nameOfValues(orig), Action: customerPath(id) + "/delete", CSRFToken: csrfToken(c),
		Version: strconv.FormatInt(version, 10), Original: orig, CancelURL: customerPath(id),
	}
	return render(c, pe.Status, views.CustomerDeletePage(a.layout(c, "Delete "+f.Name, views.NavCustomers), views.CustomerDeleteView{Form: f, Failure: &fail}))
}
