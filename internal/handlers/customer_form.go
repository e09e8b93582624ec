package handlers

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/square"
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
	if id == "" || len(id) > maxCustomerID {
		return "", errCustomerNotFound
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if (ch < '0' || ch > '9') && (ch < 'A' || ch > 'Z') && (ch < 'a' || ch > 'z') && ch != '-' && ch != '_' {
			return "", errCustomerNotFound
		}
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

// customerReadError is what a failed read of a customer becomes: the 404 page for
// an unknown one, the error handler's page otherwise.
func customerReadError(err error) error {
	if square.IsNotFound(err) {
		return errCustomerNotFound
	}
	return err
}

// euVATCountries are the EU members and the UK, whose sellers can keep an
// EU VAT number on their customers (square-api.md §2.4).
var euVATCountries = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true,
	"FI": true, "FR": true, "DE": true, "GR": true, "HU": true, "IE": true, "IT": true, "LV": true,
	"LT": true, "LU": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SK": true,
	"SI": true, "ES": true, "SE": true, "GB": true,
}

// newIdempotencyKey mints the key a create form carries: 128 random bits
// from crypto/rand, 22 characters.
func newIdempotencyKey() string {
	return randomToken(16)
}

// validIdempotencyKey accepts the keys newIdempotencyKey makes, and no
// longer than Square takes.
func validIdempotencyKey(k string) bool {
	if len(k) < 16 || len(k) > 45 {
		return false
	}
	for i := 0; i < len(k); i++ {
		ch := k[i]
		if (ch < '0' || ch > '9') && (ch < 'A' || ch > 'Z') && (ch < 'a' || ch > 'z') && ch != '-' && ch != '_' {
			return false
		}
	}
	return true
}

// newCustomer is the empty create form. Its idempotency key is minted now,
// once: every submit of this form, however often, is the same create.
func (a *app) newCustomer(c echo.Context) error {
	info, err := a.merchantInfo(c)
	if err != nil {
		return err
	}
	v := newCustomerView(euVATCountries[info.Country])
	v.IdempotencyKey = newIdempotencyKey()
	return a.renderCustomerForm(c, http.StatusOK, v)
}

// newCustomerView is the create form without values.
func newCustomerView(showVAT bool) views.CustomerFormView {
	return views.CustomerFormView{
		Heading: "New customer", Action: "/customers",
		CancelURL: "/customers", CancelLabel: "Back to customers",
		Values: views.CustomerValues{}, ShowVAT: showVAT,
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
		return customerReadError(err)
	}
	info, err := a.merchantInfo(c)
	if err != nil {
		return err
	}
	// A VAT number the customer already has stays editable, wherever the
	// seller is now.
	showVAT := euVATCountries[info.Country] || (cu.TaxIDs != nil && cu.TaxIDs.EUVat != "")
	vals := customerFormValues(cu, showVAT)
	v := editCustomerView(id, displayName(*cu), cu.Version, vals)
	v.Values = maps.Clone(vals)
	return a.renderCustomerForm(c, http.StatusOK, v)
}

// editCustomerView is the edit form of a customer with its originals.
func editCustomerView(id, name string, version int64, orig views.CustomerValues) views.CustomerFormView {
	_, showVAT := orig[views.CustomerEUVat]
	return views.CustomerFormView{
		Heading: "Edit " + name, Action: customerPath(id),
		CancelURL: customerPath(id), CancelLabel: "Back to " + name,
		Version: strconv.FormatInt(version, 10), Original: orig, ShowVAT: showVAT,
	}
}

// renderCustomerForm renders the form: the whole page, or for htmx the
// part that replaces #customer-editor.
func (a *app) renderCustomerForm(c echo.Context, status int, v views.CustomerFormView) error {
	v.CSRFToken = csrfToken(c)
	if isHTMX(c) {
		return render(c, status, views.CustomerEditor(v))
	}
	return render(c, status, views.CustomerFormPage(a.layout(c, v.Heading, views.NavCustomers), v))
}

// customerFormValues are a customer's values as the form shows them, for
// every input of the form, normalised as a posted form is so that an
// untouched input never looks changed.
func customerFormValues(cu *square.Customer, showVAT bool) views.CustomerValues {
	// Sized for every input at once, rather than grown twice on the way.
	v := make(views.CustomerValues, len(formInputs[1]))
	v[views.CustomerGivenName] = cu.GivenName
	v[views.CustomerFamilyName] = cu.FamilyName
	v[views.CustomerNickname] = cu.Nickname
	v[views.CustomerCompanyName] = cu.CompanyName
	v[views.CustomerEmailAddress] = cu.EmailAddress
	v[views.CustomerPhoneNumber] = cu.PhoneNumber
	v[views.CustomerReferenceID] = cu.ReferenceID
	v[views.CustomerNote] = cu.Note
	var addr square.Address
	if cu.Address != nil {
		addr = *cu.Address
	}
	v[views.CustomerAddressLine1] = addr.AddressLine1
	v[views.CustomerAddressLine2] = addr.AddressLine2
	v[views.CustomerLocality] = addr.Locality
	v[views.CustomerRegion] = addr.AdministrativeDistrictLevel1
	v[views.CustomerPostalCode] = addr.PostalCode
	v[views.CustomerCountry] = addr.Country
	v[views.CustomerBirthdayMonth], v[views.CustomerBirthdayDay], v[views.CustomerBirthdayYear] = splitBirthday(cu.Birthday)
	if showVAT {
		v[views.CustomerEUVat] = ""
		if cu.TaxIDs != nil {
			v[views.CustomerEUVat] = cu.TaxIDs.EUVat
		}
	}
	for k, s := range v {
		v[k] = normalizeInput(k, s)
	}
	return v
}

// splitBirthday splits Square's YYYY-MM-DD (0000 for no year) or MM-DD
// into the form's month ("01"), day ("7") and year ("" for none). A value
// it cannot read gives three empty inputs, which leave it untouched.
func splitBirthday(b string) (month, day, year string) {
	y, m, d, ok := parseBirthday(b)
	if !ok {
		return "", "", ""
	}
	month, day = fmt.Sprintf("%02d", m), strconv.Itoa(d)
	if y != 0 {
		year = fmt.Sprintf("%04d", y)
	}
	return month, day, year
}

// parseBirthday reads YYYY-MM-DD or MM-DD; year 0 means none.
func parseBirthday(b string) (year, month, day int, ok bool) {
	if len(b) == 5 {
		b = "0000-" + b
	}
	if len(b) != 10 || b[4] != '-' || b[7] != '-' || !digitsOnly(b[:4]) || !digitsOnly(b[5:7]) || !digitsOnly(b[8:]) {
		return 0, 0, 0, false
	}
	year, _ = strconv.Atoi(b[:4])
	month, _ = strconv.Atoi(b[5:7])
	day, _ = strconv.Atoi(b[8:])
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return 0, 0, 0, false
	}
	return year, month, day, true
}

// joinBirthday is the form's birthday as Square takes it: YYYY-MM-DD, or
// MM-DD without a year, or "" for none. The inputs have been validated.
func joinBirthday(v views.CustomerValues) string {
	month, day, year := v[views.CustomerBirthdayMonth], v[views.CustomerBirthdayDay], v[views.CustomerBirthdayYear]
	if month == "" || day == "" {
		return ""
	}
	m, _ := strconv.Atoi(month)
	d, _ := strconv.Atoi(day)
	if year == "" {
		return fmt.Sprintf("%02d-%02d", m, d)
	}
	y, _ := strconv.Atoi(year)
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

// nameOfValues is the display name of a customer given as form values.
func nameOfValues(v views.CustomerValues) string {
	return displayName(square.Customer{
		GivenName: v[views.CustomerGivenName], FamilyName: v[views.CustomerFamilyName],
		CompanyName: v[views.CustomerCompanyName], EmailAddress: v[views.CustomerEmailAddress],
		PhoneNumber: v[views.CustomerPhoneNumber],
	})
}
