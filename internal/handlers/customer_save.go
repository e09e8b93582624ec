package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

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

// customerPostedForm parses the request's urlencoded body; the query
// never counts.
func customerPostedForm(c echo.Context) (url.Values, error) {
	req := c.Request()
	if err := req.ParseForm(); err != nil {
		return nil, errBadCustomerForm
	}
	return req.PostForm, nil
}

// createCustomer creates a customer from the create form.
func (a *app) createCustomer(c echo.Context) error {
	form, err := customerPostedForm(c)
	if err != nil {
		return err
	}
	// The form has the VAT input only when it was rendered for a seller
	// in the EU or the UK; Square ignores tax ids of other sellers anyway.
	f := readCustomerForm(form, form.Has(views.CustomerEUVat), false)
	v := newCustomerView(form.Has(views.CustomerEUVat))
	v.Values = f.values
	v.IdempotencyKey = form.Get("idempotency_key")
	if !validIdempotencyKey(v.IdempotencyKey) {
		v.IdempotencyKey = newIdempotencyKey()
		return a.customerFormInvalid(c, v, nil, []string{"This form could not be checked for duplicates. Check the details and press Save again."})
	}
	if errs := f.validate(a.now()); len(errs) > 0 {
		return a.customerFormInvalid(c, v, errs, nil)
	}
	cu, err := a.client(c).Customers.Create(c.Request().Context(), createRequest(f, v.IdempotencyKey))
	switch {
	case err == nil:
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "Customer created."})
		return redirect(c, customerPath(cu.ID))
	case square.IsIdempotencyKeyReused(err):
		v.IdempotencyKey = newIdempotencyKey()
		return a.customerFormInvalid(c, v, nil, []string{msgKeyReused})
	case square.IsInvalidRequest(err):
		// Square refused, so nothing was created. A new key makes sure the
		// corrected details are not taken for a reuse of the old key.
		v.IdempotencyKey = newIdempotencyKey()
		a.logger.InfoContext(c.Request().Context(), "square refused a customer", slog.String("id", requestIDOf(c)), slog.Any("err", err))
		byInput, general := squareFormErrors(err, f.inputs)
		return a.customerFormInvalid(c, v, byInput, general)
	case square.IsAuth(err):
		return err
	}
	return a.customerSaveFailed(c, v, err, false)
}

// createRequest is the CreateCustomer body of a valid form.
func createRequest(f customerForm, key string) *square.CreateCustomerRequest {
	v := f.values
	req := &square.CreateCustomerRequest{
		IdempotencyKey: key,
		GivenName:      v[views.CustomerGivenName],
		FamilyName:     v[views.CustomerFamilyName],
		Nickname:       v[views.CustomerNickname],
		CompanyName:    v[views.CustomerCompanyName],
		EmailAddress:   v[views.CustomerEmailAddress],
		PhoneNumber:    v[views.CustomerPhoneNumber],
		ReferenceID:    v[views.CustomerReferenceID],
		Note:           v[views.CustomerNote],
		Birthday:       joinBirthday(v),
	}
	addr := square.Address{
		AddressLine1:                 v[views.CustomerAddressLine1],
		AddressLine2:                 v[views.CustomerAddressLine2],
		Locality:                     v[views.CustomerLocality],
		AdministrativeDistrictLevel1: v[views.CustomerRegion],
		PostalCode:                   v[views.CustomerPostalCode],
		Country:                      v[views.CustomerCountry],
	}
	if addr != (square.Address{}) {
		req.Address = &addr
	}
	if vat := v[views.CustomerEUVat]; vat != "" {
		req.TaxIDs = &square.TaxIDs{EUVat: vat}
	}
	return req
}

// postedVersion reads the customer version a form carries back: the one
// the person saw, which Square checks on update and delete.
func postedVersion(form url.Values) (int64, error) {
	version, err := strconv.ParseInt(form.Get("version"), 10, 64)
	if err != nil || version < 0 {
		return 0, errBadCustomerForm
	}
	return version, nil
}

// updateCustomer saves the edit form, or the conflict page's choices,
// sending Square only what changed and the version the form showed.
func (a *app) updateCustomer(c echo.Context) error {
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
	showVAT := form.Has(views.OriginalPrefix + views.CustomerEUVat)
	f := readCustomerForm(form, showVAT, true)
	v := editCustomerView(id, nameOfValues(f.orig), version, f.orig)
	v.Values = f.values
	if errs := f.validate(a.now()); len(errs) > 0 {
		return a.customerFormInvalid(c, v, errs, nil)
	}
	req, changed := updateRequest(f, version)
	if !changed {
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashInfo, Message: "Nothing was changed, so there was nothing to save."})
		return redirect(c, customerPath(id))
	}
	cu, err := a.client(c).Customers.Update(c.Request().Context(), id, req)
	switch {
	case err == nil:
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "Customer updated."})
		return redirect(c, customerPath(cu.ID))
	case square.IsVersionMismatch(err):
		return a.editConflict(c, id, f, v)
	case square.IsNotFound(err):
		return errCustomerGone
	case square.IsInvalidRequest(err):
		a.logger.InfoContext(c.Request().Context(), "square refused a customer", slog.String("id", requestIDOf(c)), slog.Any("err", err))
		byInput, general := squareFormErrors(err, f.inputs)
		return a.customerFormInvalid(c, v, byInput, general)
	case square.IsAuth(err):
		return err
	}
	return a.customerSaveFailed(c, v, err, true)
}

// updateRequest is the sparse UpdateCustomer body of a valid edit form:
// only the changed fields, an emptied one as null, and the version. It
// reports whether anything changed.
func updateRequest(f customerForm, version int64) (*square.UpdateCustomerRequest, bool) {
	req := &square.UpdateCustomerRequest{Version: &version}
	changed := false
	// diff sets dst from the input when the person changed it, and notes
	// that something changed.
	diff := func(in string, dst *square.Nullable[string], noted *bool) {
		if f.values[in] != f.orig[in] {
			*dst = square.SetOrClear(f.values[in])
			*noted = true
		}
	}
	diff(views.CustomerGivenName, &req.GivenName, &changed)
	diff(views.CustomerFamilyName, &req.FamilyName, &changed)
	diff(views.CustomerNickname, &req.Nickname, &changed)
	diff(views.CustomerCompanyName, &req.CompanyName, &changed)
	diff(views.CustomerEmailAddress, &req.EmailAddress, &changed)
	diff(views.CustomerPhoneNumber, &req.PhoneNumber, &changed)
	diff(views.CustomerReferenceID, &req.ReferenceID, &changed)
	diff(views.CustomerNote, &req.Note, &changed)

	// Square merges an address update field by field, so sending only the
	// changed lines leaves the ones this form does not show (line 3,
	// sublocality) as they are.
	var addr square.AddressUpdate
	addrChanged := false
	diff(views.CustomerAddressLine1, &addr.AddressLine1, &addrChanged)
	diff(views.CustomerAddressLine2, &addr.AddressLine2, &addrChanged)
	diff(views.CustomerLocality, &addr.Locality, &addrChanged)
	diff(views.CustomerRegion, &addr.AdministrativeDistrictLevel1, &addrChanged)
	diff(views.CustomerPostalCode, &addr.PostalCode, &addrChanged)
	diff(views.CustomerCountry, &addr.Country, &addrChanged)
	if addrChanged {
		req.Address = square.Set(addr)
		changed = true
	}

	if b := joinBirthday(f.values); b != joinBirthday(f.orig) {
		req.Birthday = square.SetOrClear(b)
		changed = true
	}
	if _, ok := f.orig[views.CustomerEUVat]; ok && f.values[views.CustomerEUVat] != f.orig[views.CustomerEUVat] {
		if vat := f.values[views.CustomerEUVat]; vat != "" {
			req.TaxIDs = square.Set(square.TaxIDs{EUVat: vat})
		} else {
			req.TaxIDs = square.Clear[square.TaxIDs]()
		}
		changed = true
	}
	return req, changed
}

// editConflict answers a stale version: it fetches the customer as Square
// holds it now and shows the conflict page, which saves with the new
// version. When Square already holds everything the user typed (their
// earlier save went through after all), there is nothing left to decide.
func (a *app) editConflict(c echo.Context, id string, f customerForm, form views.CustomerFormView) error {
	cu, err := a.client(c).Customers.Get(c.Request().Context(), id)
	if square.IsNotFound(err) {
		return errCustomerGone
	}
	if square.IsAuth(err) {
		return err
	}
	if err != nil {
		return a.customerSaveFailed(c, form, err, true)
	}
	_, showVAT := f.orig[views.CustomerEUVat]
	v := conflictView(id, f, cu, customerFormValues(cu, showVAT))
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

// conflictView compares, unit by unit, what the user typed with what
// Square holds now (cur). Units that agree are carried as they are; the
// others become a choice. The user's value is preselected where they
// changed the field, Square's where they did not: either way nothing the
// other person saved is replaced unless the user picks it.
func conflictView(id string, f customerForm, cu *square.Customer, cur views.CustomerValues) views.CustomerConflictView {
	v := views.CustomerConflictView{
		Name: displayName(*cu), Action: customerPath(id), CancelURL: customerPath(id),
		Version: strconv.FormatInt(cu.Version, 10), Current: cur, Keep: views.CustomerValues{},
	}
	for _, u := range customerUnits(f.inputs) {
		if unitEqual(u, f.values, cur) {
			for _, in := range u.inputs {
				v.Keep[in] = f.values[in]
			}
			continue
		}
		mine := views.CustomerValues{}
		for _, in := range u.inputs {
			mine[in] = f.values[in]
		}
		changed := !unitEqual(u, f.values, f.orig)
		v.Rows = append(v.Rows, views.CustomerConflictRow{
			Key: u.key, Label: unitLabel(u),
			Mine: unitDisplay(u, f.values), Square: unitDisplay(u, cur),
			MineInputs: mine, MineChecked: changed, YouChanged: changed,
		})
	}
	return v
}

// unitEqual reports whether two sets of values agree on a unit.
func unitEqual(u customerUnit, a, b views.CustomerValues) bool {
	for _, in := range u.inputs {
		if a[in] != b[in] {
			return false
		}
	}
	return true
}

// unitDisplay is a unit's value as people read it.
func unitDisplay(u customerUnit, v views.CustomerValues) string {
	switch u.key {
	case birthdayKey:
		return formatBirthday(joinBirthday(v))
	case views.CustomerCountry:
		if v[u.key] == "" {
			return ""
		}
		return views.CountryName(v[u.key])
	}
	return v[u.key]
}

// customerFormInvalid shows the form again with its messages: 422, with
// everything as typed.
func (a *app) customerFormInvalid(c echo.Context, v views.CustomerFormView, errs map[string]string, general []string) error {
	v.Errors = errs
	v.Summary = formSummary(errs, general)
	return a.renderCustomerForm(c, http.StatusUnprocessableEntity, v)
}

// outcomeUnknown reports whether a failed write may have happened anyway:
// no answer came (a dropped connection, a timeout), or Square failed in a
// way that does not say the write was refused. 429 and 503 refuse it.
func outcomeUnknown(err error) bool {
	var se *square.Error
	if !errors.As(err, &se) {
		return true
	}
	switch se.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// customerSaveFailed answers a save that Square did not complete: the form
// as typed with a message saying whether the change was not saved or may
// have been, and what to do. For htmx, whose form is still on the page as
// typed, only the message is sent, into the alert region.
func (a *app) customerSaveFailed(c echo.Context, v views.CustomerFormView, err error, update bool) error {
	defer detachContext(c)()
	pe := squareFailure(err)
	a.logger.ErrorContext(c.Request().Context(), "saving a customer failed",
		slog.String("id", requestIDOf(c)), slog.Bool("update", update), slog.Any("err", err))
	fail := views.CustomerFormFailure{RequestID: requestIDOf(c)}
	switch unknown := outcomeUnknown(err); {
	case !update && !unknown:
		fail.Title = "The customer was not saved."
		fail.Message = "Square could not take it just now. Your details are still in the form: press Save again in a moment."
	case !update:
		fail.Title = "The customer may not have been saved."
		fail.Message = "Square did not confirm it. Your details are still in the form: press Save again. " +
			"This form can create the customer only once, so trying again cannot make a duplicate."
	case !unknown:
		fail.Title = "Your changes were not saved."
		fail.Message = "Square could not take them just now. They are still in the form: press Save again in a moment."
	default:
		fail.Title = "Your changes may not have been saved."
		fail.Message = "Square did not confirm them. They are still in the form: press Save again. " +
			"If they were saved after all, you will see what Square holds before anything is replaced."
	}
	if isHTMX(c) {
		return render(c, pe.Status, views.Alert(views.ErrorView{
			Status: pe.Status, Title: fail.Title, Message: fail.Message, RequestID: fail.RequestID,
		}))
	}
	v.Failure = &fail
	return a.renderCustomerForm(c, pe.Status, v)
}
