package handlers

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// Saving the customer form: POST /customers creates, POST /customers/:id
// updates. Nothing typed is ever lost: problems come back in the same
// form, a stale version gets the conflict page, and a failure at Square
// returns the form as it was typed with a message that says what happened.

// msgKeyReused is shown when this create form's key already created a
// customer from other details: the form is given a new key, so the next
// Save is a deliberate second create.
const msgKeyReused = "This form already created a customer with different details, perhaps on an earlier try that seemed to fail. " +
	"Check the customer directory first: pressing Save again now creates another customer."

// createCustomer creates a customer from the create form.
func (a *app) createCustomer(c echo.Context) error {
	form := postedForm(c)
	// The form has the VAT input only when it was rendered for a seller
	// in the EU or the UK; Square ignores tax ids of other sellers anyway.
	f := customers.ReadForm(form, customers.Fields(form.Has(customers.EUVat)), false)
	v := newCustomerForm(f.Fields, f.Values)
	v.view.IdempotencyKey = form.Get("idempotency_key")
	if !validIdempotencyKey(v.view.IdempotencyKey) {
		v.view.IdempotencyKey = newIdempotencyKey()
		return a.customerFormInvalid(c, v, nil, []string{"This form could not be checked for duplicates. Check the details and press Save again."})
	}
	if errs := f.Validate(a.now()); len(errs) > 0 {
		return a.customerFormInvalid(c, v, errs, nil)
	}
	cu, err := a.client(c).Customers.Create(c.Request().Context(), f.CreateRequest(v.view.IdempotencyKey))
	switch customers.OutcomeOf(err) {
	case customers.Done:
		a.indexCustomer(c, cu)
		a.recordCustomerWrite(c, f.Fields, nil, cu)
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "Customer created."})
		return redirect(c, customerPath(cu.ID))
	case customers.KeyReused:
		v.view.IdempotencyKey = newIdempotencyKey()
		return a.customerFormInvalid(c, v, nil, []string{msgKeyReused})
	case customers.Invalid:
		// Square refused, so nothing was created. A new key makes sure the
		// corrected details are not taken for a reuse of the old key.
		v.view.IdempotencyKey = newIdempotencyKey()
		return a.customerRefused(c, v, err)
	case customers.SignedOut:
		return err
	}
	return a.customerSaveFailed(c, v, err, false)
}

// updateCustomer saves the edit form, or the conflict page's choices,
// sending Square only what changed and the version the form showed.
func (a *app) updateCustomer(c echo.Context) error {
	id, err := customerID(c)
	if err != nil {
		return err
	}
	form := postedForm(c)
	version, err := postedVersion(form)
	if err != nil {
		return err
	}
	f := customers.ReadForm(form, customers.Fields(form.Has(customers.OriginalPrefix+customers.EUVat)), true)
	v := editCustomerForm(id, f.Orig.Name(), version, f.Fields, f.Orig, f.Values)
	if errs := f.Validate(a.now()); len(errs) > 0 {
		return a.customerFormInvalid(c, v, errs, nil)
	}
	req, changed := f.UpdateRequest(version)
	if !changed {
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashInfo, Message: "Nothing was changed, so there was nothing to save."})
		return redirect(c, customerPath(id))
	}
	cu, err := a.client(c).Customers.Update(c.Request().Context(), id, req)
	switch customers.OutcomeOf(err) {
	case customers.Done:
		a.indexCustomer(c, cu)
		// The originals are what Square held at the version the form
		// showed, which Square checked: what differs is this edit.
		a.recordCustomerWrite(c, f.Fields, f.Orig, cu)
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "Customer updated."})
		return redirect(c, customerPath(cu.ID))
	case customers.Stale:
		return a.editConflict(c, id, f, v)
	case customers.Gone:
		a.unindexCustomer(c, id, 0, index.OriginSquare)
		return errCustomerGone
	case customers.Invalid:
		return a.customerRefused(c, v, err)
	case customers.SignedOut:
		return err
	}
	return a.customerSaveFailed(c, v, err, true)
}

// customerRefused shows the form again with Square's refusal mapped onto
// its inputs.
func (a *app) customerRefused(c echo.Context, v customerForm, err error) error {
	a.logger.InfoContext(c.Request().Context(), "square refused a customer", slog.Any("err", err))
	byInput, general := customers.SquareProblems(err, v.fields)
	return a.customerFormInvalid(c, v, byInput, general)
}

// editConflict answers a stale version: it fetches the customer as Square
// holds it now and shows the conflict page, which saves with the new
// version. When Square already holds everything the person typed (their
// earlier save went through after all), there is nothing left to decide.
func (a *app) editConflict(c echo.Context, id string, f customers.Form, form customerForm) error {
	cu, err := a.client(c).Customers.Get(c.Request().Context(), id)
	switch customers.OutcomeOf(err) {
	case customers.Done:
		a.indexCustomer(c, cu)
	case customers.Gone:
		a.unindexCustomer(c, id, 0, index.OriginSquare)
		return errCustomerGone
	case customers.SignedOut:
		return err
	default:
		return a.customerSaveFailed(c, form, err, true)
	}
	v := conflictView(id, cu, f)
	if len(v.Rows) == 0 {
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashInfo, Message: "Square already holds these details, so there was nothing more to save."})
		return redirect(c, customerPath(id))
	}
	v.CSRFToken = csrfToken(c)
	if isHTMX(c) {
		return render(c, http.StatusConflict, views.CustomerConflict(v))
	}
	return render(c, http.StatusConflict, views.CustomerConflictPage(a.layout(c, "Edit conflict: "+v.Name, views.NavCustomers), v))
}

// conflictView maps the conflict between the form and the customer as
// Square holds it now (cu) to the conflict page, which saves with Square's
// current version and values as the new originals.
func conflictView(id string, cu *square.Customer, f customers.Form) views.CustomerConflictView {
	current := customers.FromSquare(cu, f.Fields)
	conflict := f.Conflict(current)
	v := views.CustomerConflictView{
		Name: customers.DisplayName(cu), Action: customerPath(id), CancelURL: customerPath(id),
		Version: strconv.FormatInt(cu.Version, 10),
		Current: hiddenInputs(customers.OriginalPrefix, f.Fields, current),
		Keep:    hiddenInputs("", f.Fields, conflict.Keep),
	}
	for _, r := range conflict.Rows {
		v.Rows = append(v.Rows, views.CustomerConflictRow{
			Key: r.Field.Key, PickName: customers.PickPrefix + r.Field.Key, Label: r.Field.Label,
			Mine: r.Mine, Square: r.Square,
			MineInputs:  hiddenInputs(customers.MinePrefix, []customers.Field{r.Field}, r.MineInputs),
			MineChecked: r.YouChanged, YouChanged: r.YouChanged,
		})
	}
	return v
}

// customerSaveFailed answers a save that Square did not complete: the form
// as typed with a message saying whether the change was not saved or may
// have been, and what to do.
func (a *app) customerSaveFailed(c echo.Context, v customerForm, err error, update bool) error {
	w := writeFailure{
		action: "saving a customer", alertForHTMX: true,
		notDone: views.Failure{Title: "The customer was not saved.",
			Message: "Square could not take it just now. Your details are still in the form: press Save again in a moment."},
		maybeDone: views.Failure{Title: "The customer may not have been saved.",
			Message: "Square did not confirm it. Your details are still in the form: press Save again. " +
				"This form can create the customer only once, so trying again cannot make a duplicate."},
		page: func(status int, f *views.Failure) error {
			v.view.Failure = f
			return a.renderCustomerForm(c, status, v)
		},
	}
	if update {
		w.notDone = views.Failure{Title: "Your changes were not saved.",
			Message: "Square could not take them just now. They are still in the form: press Save again in a moment."}
		w.maybeDone = views.Failure{Title: "Your changes may not have been saved.",
			Message: "Square did not confirm them. They are still in the form: press Save again. " +
				"If they were saved after all, you will see what Square holds before anything is replaced."}
	}
	return a.writeFailed(c, err, w, slog.Bool("update", update))
}
