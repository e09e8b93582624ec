package views

import "slices"

// customerInputNames are the customer form's inputs in form order.
var customerInputNames = []string{
	CustomerGivenName, CustomerFamilyName, CustomerNickname, CustomerCompanyName,
	CustomerEmailAddress, CustomerPhoneNumber,
	CustomerAddressLine1, CustomerAddressLine2, CustomerLocality, CustomerRegion, CustomerPostalCode, CustomerCountry,
	CustomerBirthdayMonth, CustomerBirthdayDay, CustomerBirthdayYear,
	CustomerReferenceID, CustomerNote, CustomerEUVat,
}

// CustomerInputNames returns the customer form's input names in form order.
func CustomerInputNames() []string {
	return slices.Clone(customerInputNames)
}

// customerInputHints are the hints shown under some labels.
var customerInputHints = map[string]string{
	CustomerNickname:     "What the customer likes to be called.",
	CustomerPhoneNumber:  "With the country code if outside your own country, for example +1 206 555 0100.",
	CustomerReferenceID:  "Your own ID for this customer, for example from another system.",
	CustomerEUVat:        "Letters and digits only, for example DE123456789.",
	CustomerEmailAddress: "For example, name@example.com.",
}

// customerInputTypes are the input types other than text; the form is
// novalidate, so they only choose the keyboard, and the server's messages
// are the only ones.
var customerInputTypes = map[string]string{
	CustomerEmailAddress: "email",
	CustomerPhoneNumber:  "tel",
}

// field builds the model of one input of the form.
func (v CustomerFormView) field(name string) Field {
	return Field{
		Name:  name,
		Label: CustomerLabel(name),
		Hint:  customerInputHints[name],
		Type:  customerInputTypes[name],
		Value: v.Values[name],
		Error: v.Errors[name],
	}
}

// originalNames are the inputs whose original values the form carries, in
// form order.
func originalNames(orig CustomerValues) []string {
	if len(orig) == 0 {
		return nil
	}
	names := make([]string, 0, len(orig))
	for _, n := range customerInputNames {
		if _, ok := orig[n]; ok {
			names = append(names, n)
		}
	}
	return names
}

// birthdayParts are the birthday's inputs.
var birthdayParts = []string{CustomerBirthdayMonth, CustomerBirthdayDay, CustomerBirthdayYear}

// birthdayErrors are the messages about the birthday's inputs, in order.
func (v CustomerFormView) birthdayErrors() []Field {
	var out []Field
	for _, n := range birthdayParts {
		if v.Errors[n] != "" {
			out = append(out, v.field(n))
		}
	}
	return out
}

// birthdayDescribedBy lists the hint and the error of one birthday input.
func (v CustomerFormView) birthdayDescribedBy(name string) string {
	ids := "birthday-hint"
	if v.Errors[name] != "" {
		ids += " " + fieldID(v.field(name)) + "-error"
	}
	return ids
}

// cardTestID names a card's list item for tests.
func cardTestID(c ProfileCard) string {
	if c.Expired {
		return "card-expired"
	}
	return "card"
}

// orEmpty shows an empty value on the conflict pages.
func orEmpty(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

// pickID is the id of one radio of a conflict row.
func pickID(key, choice string) string {
	return "pick-" + key + "-" + choice
}

// mineChoiceLabel names the user's side of a conflict: what they typed, or
// for a field they left alone, what it was when they opened the form.
func mineChoiceLabel(r CustomerConflictRow) string {
	if r.YouChanged {
		return "Your version"
	}
	return "As it was when you opened the form"
}
