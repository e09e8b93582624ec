package views

// View models of the customer profile, the create and edit form, the edit
// conflict page and the delete confirmation. Handlers fill them with text
// that is ready to show; the components only choose what to show.

// HiddenInput is a hidden input a form carries back: the values a form
// showed, or the choices of the conflict page.
type HiddenInput struct {
	Name, Value string
}

// The kinds of input the customer form lays out.
const (
	InputText     = "text"
	InputTextarea = "textarea"
	InputSelect   = "select"
	// InputBirthday is the birthday's month, day and optional year, in a
	// fieldset of its own: Parts are the three inputs.
	InputBirthday = "birthday"
)

// FormInput is one input of the customer form, or the birthday's three.
type FormInput struct {
	Field
	// Kind is one of the Input constants.
	Kind string
	// Options are the choices of a select (and of the birthday's month).
	Options []CustomerOption
	// Parts are the birthday's month, day and year.
	Parts []Field
}

// FormSection is a run of the form's inputs: with a Legend, a fieldset.
type FormSection struct {
	Legend string
	// TestID names the fieldset for tests.
	TestID string
	Inputs []FormInput
}

// CustomerFormView is the create or edit form.
type CustomerFormView struct {
	// Heading is "New customer" or "Edit <name>".
	Heading string
	// Action is where the form posts: /customers or /customers/{id}.
	Action string
	// CancelURL leaves the form: the directory or the profile.
	CancelURL   string
	CancelLabel string
	CSRFToken   string
	// IdempotencyKey is set on the create form: minted when the form was
	// first rendered and kept on every re-render, so that a double submit
	// or a retry creates one customer.
	IdempotencyKey string
	// Version and Original are set on the edit form: the customer's version
	// and the values the form showed, sent back in hidden inputs.
	Version  string
	Original []HiddenInput
	// Sections are the inputs, with what they hold (the customer's values,
	// or what was typed) and their messages.
	Sections []FormSection
	// Summary lists every problem at the top, in form order.
	Summary []FieldError
	// Failure says that the change was not saved (or may not have been),
	// when Square failed; the inputs still hold what was typed.
	Failure *Failure
}

// Failure says that Square did not complete a write (or may not have):
// shown above a form that still holds what was typed, or on a
// confirmation page.
type Failure struct {
	Title   string
	Message string
	// RequestID is shown as the reference for support.
	RequestID string
}

// CustomerOption is one choice of a <select>.
type CustomerOption struct {
	Value, Label string
	Selected     bool
}

// CustomerProfileView is a customer's profile page.
type CustomerProfileView struct {
	ID string
	// Name is the display name, the page's heading.
	Name string
	// Details are the profile's rows, in order.
	Details []ProfileDetail
	// History is the customer's recorded changes, nil when Tessera keeps
	// no history.
	History *HistoryList
	// EditURL and DeleteURL lead to the edit form and the confirmation
	// page (the page Delete opens without JavaScript).
	EditURL, DeleteURL string
	// Delete is the confirmation form, shown in a <dialog> with JavaScript.
	Delete CustomerDeleteForm
	// Cards are the cards on file; CardsError replaces them when Square did
	// not list them, and CardsMore says there are more than shown.
	Cards      []ProfileCard
	CardsError string
	CardsMore  bool
	// AddCardURL leads to the card form.
	AddCardURL string
	// ShowRemoved says the removed (disabled) cards are listed too;
	// RemovedToggleURL shows or hides them.
	ShowRemoved      bool
	RemovedToggleURL string
	// Groups are the customer's groups with their forms.
	Groups ProfileGroups
}

// ProfileDetail is one row of the profile: a label and one or more lines
// of formatted text (an address has several).
type ProfileDetail struct {
	// Key names the row for tests: data-testid="detail-<key>".
	Key   string
	Label string
	Lines []string
	// Link, when set, makes the single line a link: a tel: URL, or
	// "mailto:" and the address as Square holds it, unescaped; the view
	// encodes it (mailtoURL), so that the address cannot add mail headers.
	Link string
	// Multiline keeps the line breaks of the text (the note).
	Multiline bool
	// Empty is shown when there are no lines; "Not provided" by default.
	Empty string
}

// ProfileCard is one card on file.
type ProfileCard struct {
	ID string
	// Brand is in words, e.g. "Visa".
	Brand  string
	Last4  string
	Expiry string
	// Expired marks a card past its expiry month.
	Expired bool
	// Cardholder, PostalCode (of the billing address) and Added (the
	// date Square added the card) are "" when Square did not give them.
	Cardholder string
	PostalCode string
	Added      string
	// Removed marks a disabled card; it has no Remove form.
	Removed bool
	// Remove asks to confirm and removes the card: RemoveURL is the
	// confirmation page used without JavaScript, Remove the form of the
	// dialog used with it.
	RemoveURL string
	Remove    CardRemoveForm
}

// CustomerDeleteForm is the form that deletes a customer, on the confirmation
// page, in the profile's dialog and on the delete conflict page.
type CustomerDeleteForm struct {
	Name      string
	Action    string
	CSRFToken string
	Version   string
	// Original is what the user saw, so a conflict can show what changed.
	Original []HiddenInput
	// CancelURL goes back to the profile.
	CancelURL string
}

// CustomerDeleteView is the confirmation page used without JavaScript,
// and the page a failed delete comes back to.
type CustomerDeleteView struct {
	Form CustomerDeleteForm
	// Failure says the customer was not deleted (or may not have been).
	Failure *Failure
}

// CustomerChange is one field that differs between two versions of a customer.
type CustomerChange struct {
	// Key names the field: an input name, or "birthday".
	Key   string
	Label string
	// Before and After are formatted for reading; "" shows as empty.
	Before, After string
}

// CustomerDeleteConflictView is shown when the customer changed since the user
// opened it: what changed, and the choice to delete anyway.
type CustomerDeleteConflictView struct {
	Changes []CustomerChange
	// Form deletes with the new version.
	Form CustomerDeleteForm
}

// CustomerConflictView is the edit conflict page: for each field where
// what the user typed differs from what Square now holds, a choice between
// the two, then Save with Square's new version.
type CustomerConflictView struct {
	Name      string
	Action    string
	CancelURL string
	CSRFToken string
	// Version is Square's current version, which the save sends.
	Version string
	// Current is what Square holds now: the new original values.
	Current []HiddenInput
	// Keep are the inputs where the user and Square agree, sent as they are.
	Keep []HiddenInput
	Rows []CustomerConflictRow
}

// CustomerConflictRow is one field in conflict.
type CustomerConflictRow struct {
	// Key names the row for ids; PickName is the name of its radios,
	// whose values are "mine" and "square".
	Key      string
	PickName string
	Label    string
	// Mine and Square are the two values formatted for reading.
	Mine, Square string
	// MineInputs are the inputs of the user's value, sent as mine_<input>.
	MineInputs []HiddenInput
	// MineChecked preselects the user's value; it is false when the user
	// had not changed this field, so that Square's newer value is kept
	// unless the user chooses otherwise.
	MineChecked bool
	// YouChanged says the user changed this field on the form.
	YouChanged bool
}
