package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/textutil"
	"github.com/tessera-dashboard/tessera/views"
)

// The create and edit forms: GET /customers/new and GET /customers/:id/edit.

// errCustomerNotFound is an unknown, deleted or malformed customer id.
var errCustomerNotFound = &pageError{
	Status: http.StatusNotFound, Title: "Customer not found",
	Message: "There is no customer with this ID in your Square Customer Directory. It may have been deleted.",
	BackURL: "/customers", BackLabel: "Go to customers",
}

// errCustomerGone is a customer deleted while someone was editing it.
var errCustomerGone = &pageError{
	Status: http.StatusNotFound, Title: "This customer no longer exists",
	Message: "The customer was deleted in Square, so your changes could not be saved.",
	BackURL: "/customers", BackLabel: "Go to customers",
}

// errBadCustomerForm is a form that lost its hidden fields.
var errBadCustomerForm = &pageError{
	Status: http.StatusBadRequest, Title: "This form could not be read",
	Message: "Part of the form was missing, so nothing was changed. Open the customer again and retry.",
	BackURL: "/customers", BackLabel: "Go to customers",
}

// reservedCustomerIDs are the words that follow /v2/customers/ in Square's
// other endpoints: as an id they would reach another endpoint.
var reservedCustomerIDs = []string{"groups", "segments", "search", "bulk-create", "bulk-retrieve", "bulk-update", "bulk-delete"}

// maxCustomerID bounds an id; Square's are 26 characters.
const maxCustomerID = 255

// customerID returns the :id of the path, or errCustomerNotFound for an id
// no customer can have. Square's ids are letters and digits; refusing
// anything else here means odd input never reaches Square at all.
func customerID(c echo.Context) (string, error) {
	id := c.Param("id")
	if id == "" || len(id) > maxCustomerID || !textutil.IsIDSafe(id) {
		return "", errCustomerNotFound
	}
	for _, r := range reservedCustomerIDs {
		if strings.EqualFold(id, r) {
			return "", errCustomerNotFound
		}
	}
	return id, nil
}

// customerPath is the address of a customer's profile.
func customerPath(id string) string {
	return "/customers/" + url.PathEscape(id)
}

// customerReadError is what a failed read of a customer becomes: the 404
// page for an unknown one (which leaves the index too: a deletion no event
// reported), the error handler's page otherwise.
func (a *app) customerReadError(c echo.Context, id string, err error) error {
	if square.IsNotFound(err) {
		a.unindexCustomer(c, id, 0, index.OriginSquare)
		return errCustomerNotFound
	}
	return err
}

// customerForm is the create or edit form being shown: its fields, with
// what they hold and their messages.
type customerForm struct {
	view   views.CustomerFormView
	fields []customers.Field
	values customers.Values
	errs   map[string]string
}

// newCustomer is the empty create form. Its idempotency key is minted now,
// once: every submit of this form, however often, is the same create.
func (a *app) newCustomer(c echo.Context) error {
	info, err := a.merchantInfo(c)
	if err != nil {
		return err
	}
	f := newCustomerForm(customers.Fields(customers.EUVATCountry(info.Country)), customers.Values{})
	f.view.IdempotencyKey = newIdempotencyKey()
	return a.renderCustomerForm(c, http.StatusOK, f)
}

// newCustomerForm is the create form holding values.
func newCustomerForm(fs []customers.Field, values customers.Values) customerForm {
	return customerForm{
		view: views.CustomerFormView{
			Heading: "New customer", Action: "/customers",
			CancelURL: "/customers", CancelLabel: "Back to customers",
		},
		fields: fs, values: values,
	}
}

// editCustomer is the edit form, filled with the customer as Square holds
// it; the form carries that version and those values.
func (a *app) editCustomer(c echo.Context) error {
	id, err := customerID(c)
	if err != nil {
		return err
	}
	cu, err := a.client(c).Customers.Get(c.Request().Context(), id)
	if err != nil {
		return a.customerReadError(c, id, err)
	}
	info, err := a.merchantInfo(c)
	if err != nil {
		return err
	}
	// A VAT number the customer already has stays editable, wherever the
	// seller is now.
	fs := customers.Fields(customers.EUVATCountry(info.Country) || (cu.TaxIDs != nil && cu.TaxIDs.EUVat != ""))
	orig := customers.FromSquare(cu, fs)
	return a.renderCustomerForm(c, http.StatusOK, editCustomerForm(id, customers.DisplayName(cu), cu.Version, fs, orig, orig))
}

// editCustomerForm is the edit form of a customer: its originals, and the
// values the inputs hold.
func editCustomerForm(id, name string, version int64, fs []customers.Field, orig, values customers.Values) customerForm {
	return customerForm{
		view: views.CustomerFormView{
			Heading: "Edit " + name, Action: customerPath(id),
			CancelURL: customerPath(id), CancelLabel: "Back to " + name,
			Version: strconv.FormatInt(version, 10), Original: hiddenInputs(customers.OriginalPrefix, fs, orig),
		},
		fields: fs, values: values,
	}
}

// renderCustomerForm renders the form: the whole page, or for htmx the
// part that replaces #customer-editor.
func (a *app) renderCustomerForm(c echo.Context, status int, f customerForm) error {
	v := f.view
	v.CSRFToken = csrfToken(c)
	v.Sections = formSections(f.fields, f.values, f.errs)
	if isHTMX(c) {
		return render(c, status, views.CustomerEditor(v))
	}
	return render(c, status, views.CustomerFormPage(a.layout(c, v.Heading, views.NavCustomers), v))
}

// customerFormInvalid shows the form again with its messages: 422, with
// everything as typed.
func (a *app) customerFormInvalid(c echo.Context, f customerForm, errs map[string]string, general []string) error {
	f.errs = errs
	f.view.Summary = formSummary(f.fields, errs, general)
	return a.renderCustomerForm(c, http.StatusUnprocessableEntity, f)
}

// birthdayHint says how to enter a birthday.
const birthdayHint = "For example, 27 March 1985. Leave the year empty if you do not know it."

// formSections lays the fields out for the form, in runs of one section.
func formSections(fs []customers.Field, values customers.Values, errs map[string]string) []views.FormSection {
	var out []views.FormSection
	for _, f := range fs {
		if len(out) == 0 || out[len(out)-1].Legend != string(f.Section) {
			sec := views.FormSection{Legend: string(f.Section)}
			if f.Section != "" {
				sec.TestID = strings.ToLower(string(f.Section))
			}
			out = append(out, sec)
		}
		sec := &out[len(out)-1]
		sec.Inputs = append(sec.Inputs, formInput(f, values, errs))
	}
	return out
}

// inputTypes are the input types of the kinds that are not plain text;
// the form is novalidate, so they only choose the keyboard, and the
// server's messages are the only ones.
var inputTypes = map[customers.Kind]string{customers.Email: "email", customers.Phone: "tel"}

// formInput is one field of the form as the view lays it out.
func formInput(f customers.Field, values customers.Values, errs map[string]string) views.FormInput {
	field := func(name string) views.Field {
		return views.Field{Name: name, Label: customers.InputLabel(name), Value: values[name], Error: errs[name]}
	}
	in := views.FormInput{Field: field(f.Key), Kind: views.InputText}
	in.Hint, in.Type = f.Hint, inputTypes[f.Kind]
	switch f.Kind {
	case customers.LongText:
		in.Kind = views.InputTextarea
	case customers.CountryCode:
		in.Kind, in.Options = views.InputSelect, views.CountryOptions(values[f.Key])
	case customers.Date:
		in.Kind, in.Hint = views.InputBirthday, birthdayHint
		for _, name := range f.Inputs() {
			in.Parts = append(in.Parts, field(name))
		}
		in.Options = views.MonthOptions(values[customers.BirthdayMonth])
	}
	return in
}

// hiddenInputs carries the values of fs, each input's name prefixed.
func hiddenInputs(prefix string, fs []customers.Field, values customers.Values) []views.HiddenInput {
	var out []views.HiddenInput
	for _, name := range customers.InputNames(fs) {
		if v, ok := values[name]; ok {
			out = append(out, views.HiddenInput{Name: prefix + name, Value: v})
		}
	}
	return out
}

// formSummary is the error summary: the form-level messages first, then
// one entry per input in form order, each linking to its input.
func formSummary(fs []customers.Field, errs map[string]string, general []string) []views.FieldError {
	var out []views.FieldError
	for _, m := range general {
		out = append(out, views.FieldError{Message: m})
	}
	for _, in := range customers.InputNames(fs) {
		if m, ok := errs[in]; ok {
			out = append(out, views.FieldError{FieldID: "field-" + in, Message: m})
		}
	}
	return out
}
