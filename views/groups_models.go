package views

// NavGroups marks the Groups link as the current page.
const NavGroups = "groups"

// GroupsView is the groups page: every group with its member count, and the
// form that makes a new one.
type GroupsView struct {
	Groups []GroupRow
	// New is the name field of the new-group form, with its error.
	New       Field
	Errors    []FieldError
	CSRFToken string
}

// GroupRow is one group of the groups page.
type GroupRow struct {
	ID, Name string
	// Members is the member count in words, or "Not counted" when neither
	// the index nor Square could count them.
	Members string
	// MembersURL is the directory filtered by the group.
	MembersURL           string
	RenameURL, DeleteURL string
}

// GroupRenameView is the rename form of a group.
type GroupRenameView struct {
	Name      string
	Action    string
	Field     Field
	Errors    []FieldError
	CSRFToken string
}

// GroupDeleteView asks to confirm deleting a group.
type GroupDeleteView struct {
	Name string
	// Members says how many customers are in it ("3 customers").
	Members   string
	Action    string
	CSRFToken string
	Failure   string
}

// ProfileGroups is the profile's groups section: the customer's groups,
// each with its remove form, and the add form.
type ProfileGroups struct {
	In []ProfileGroup
	// Choices are the merchant's groups the customer is not in.
	Choices   []Option
	AddAction string
	New       Field
	Error     string
	CSRFToken string
	// Unavailable says the group names could not be read just now.
	Unavailable bool
}

// ProfileGroup is one group of a customer with its "Remove from group" form.
type ProfileGroup struct {
	ID, Name     string
	RemoveAction string
}

// BulkConfirmView confirms a bulk action on the customers selected.
type BulkConfirmView struct {
	// Do is add, remove or delete.
	Do    string
	Title string
	Count string
	// Names are the first few customers' names; More counts the rest.
	Names     []string
	More      string
	IDs       []string
	Groups    []Option
	New       Field
	Errors    []FieldError
	CSRFToken string
	BackURL   string
}

// JobView is the progress, then the summary, of a bulk job.
type JobView struct {
	ID, Title string
	Running   bool
	// Processed and Total drive the progress bar; Progress says it in words.
	Processed, Total int
	Progress         string
	Summary          string
	Failures         []JobItem
	// Succeeded names the customers done (deletes list them), up to a
	// limit; SucceededMore counts the rest.
	Succeeded     []string
	SucceededMore string
	PollURL       string
}

// JobItem is a customer a job could not do, and why.
type JobItem struct {
	Name, Reason string
}
