// Package views holds Tessera's templ components and the view models they
// take. Handlers map their data to these plain structs; the components turn
// them into HTML and hold no logic beyond choosing what to show. Every
// string is escaped by templ, and URLs are sanitized by it, so a customer
// field can hold anything.
package views

// The values of Layout.ActiveNav, naming the navigation link that is marked
// as the current page.
const (
	NavCustomers  = "customers"
	NavConnection = "connection"
)

// The values of Flash.Kind.
const (
	FlashSuccess = "success"
	FlashInfo    = "info"
	FlashError   = "error"
)

// Layout is what every full page shares: the document head, the header bar,
// the alert region and the CSRF token for forms and htmx requests.
type Layout struct {
	// Title is the page's own title; " · Tessera" is added to it.
	Title string
	// CSRFToken goes into the sign-out form and, for htmx requests, into
	// the X-CSRF-Token header through hx-headers on <body>.
	CSRFToken string
	// BusinessName is the signed-in merchant's name. Empty means signed
	// out: no navigation and no sign-out button.
	BusinessName string
	// LocalMode shows the banner saying the data comes from squarelocal.
	LocalMode bool
	// EmulatorURL, in emulator mode, shows the banner saying the data
	// comes from the standalone emulator at that URL.
	EmulatorURL string
	// Flashes are messages from the previous request, shown in #alerts.
	Flashes []Flash
	// RequestID is shown as the reference of error flashes.
	RequestID string
	// ActiveNav is NavCustomers, NavConnection or empty.
	ActiveNav string
	// NoScriptRefresh, when positive, reloads the page after that many
	// seconds in a browser without JavaScript (a job's progress page).
	NoScriptRefresh int
	// HTMXOnDemand leaves htmx out of the page's load: app.js loads it at
	// the person's first sign of use (a key, the pointer, a touch, a
	// focus), and a page that sets it must work until then as it does
	// without JavaScript. For a page that htmx only serves once the person
	// acts (the directory), so that its first load does not evaluate htmx
	// and process the page for nothing.
	HTMXOnDemand bool
}

// Flash is a one-line message for the alert region.
type Flash struct {
	// Kind is FlashSuccess, FlashInfo or FlashError; anything else shows
	// as info.
	Kind    string
	Message string
}

// LoginView is the sign-in page.
type LoginView struct {
	// Error is a message from a failed attempt, shown above the button.
	Error string
	// ReturnTo is a local path to go to after signing in; the handler has
	// checked it.
	ReturnTo string
	// StaffName is the name typed for the history, kept when the form
	// comes back; StaffNameError says what is wrong with it.
	StaffName, StaffNameError string
}

// StaffNameInput is the sign-in form's input of the staff member's name.
const StaffNameInput = "staff_name"

// ErrorView is a failure shown as a page (ErrorPage) or, for htmx
// requests, as an alert (Alert). It holds only text meant for the user,
// never an error's own text.
type ErrorView struct {
	Status  int
	Title   string
	Message string
	// RequestID is shown as "Reference: <id>" so support can find the log.
	RequestID string
	// BackURL and BackLabel make a link away from the error, e.g. to the
	// customer list.
	BackURL, BackLabel string
	// RetryURL and RetryLabel make a link that tries again, e.g. the sign-in
	// page after a failed sign-in.
	RetryURL, RetryLabel string
}

// ConnectionView is the settings page about the Square connection.
type ConnectionView struct {
	BusinessName string
	MerchantID   string
	// Environment is "local", "sandbox" or "production".
	Environment  string
	Scopes       []string
	TokenExpires string
	LastRefresh  string
	ClientID     string
	// Error is shown when part of the page could not be loaded, e.g. the
	// token status.
	Error string
	// CannotRevoke is true when Tessera cannot revoke tokens at Square
	// (Square's PKCE flow without the application secret); the page then
	// says what that leaves valid.
	CannotRevoke bool
	// Index is the state of the customer index; nil when it is off.
	Index *IndexStatus
}

// IndexStatus is the connection page's account of the customer index.
type IndexStatus struct {
	// Customers is how many customers the index holds, as text.
	Customers string
	// Progress says how far the first full sync is ("Indexing customers:
	// 41,200 of 100,000"), while it runs; "" otherwise.
	Progress string
	// Times of the last full sync, webhook and incremental sync, as text;
	// "" for never.
	LastFullSync, LastWebhook, LastIncremental string
	// Webhooks says whether Square's webhooks reach Tessera.
	Webhooks bool
	// RebuildAction is where the Rebuild index form posts.
	RebuildAction string
	CSRFToken     string
}

// Field is one labelled form input for TextField, with what the user typed
// and the message about it.
type Field struct {
	// ID is the input's id, used by the label and by the error summary's
	// link; it defaults to "field-" + Name.
	ID   string
	Name string
	// Label is the visible label; Hint is optional help below it.
	Label, Hint string
	// Type is the input type; it defaults to "text".
	Type         string
	Value        string
	Error        string
	Required     bool
	Autocomplete string
}

// FieldError is one entry of ErrorSummary, linking to the field it is about.
type FieldError struct {
	FieldID string
	Message string
}
