package views

// ImportUploadView is the first step of a CSV import: the file.
type ImportUploadView struct {
	CSRFToken string
	// Limit and MaxRows state the file's limits.
	Limit, MaxRows string
	// Error is why the file sent was refused.
	Error string
}

// ImportMapView is the second step: what each column holds, with a
// preview of the first rows as they will be saved.
type ImportMapView struct {
	CSRFToken, Action   string
	FileName, Rows      string
	Encoding, Delimiter string
	Columns             []ImportColumn
	// PreviewHeaders name the preview's columns; PreviewRows are the first
	// rows, formatted as the profile shows them.
	PreviewHeaders []string
	PreviewRows    [][]string
	Errors         []FieldError
	UploadURL      string
}

// ImportColumn is a column of the file and its choice of target.
type ImportColumn struct {
	Index   int
	Header  string
	Sample  string
	Options []Option
}

// ImportCheckView is the third step: the rows that cannot be imported,
// the likely duplicates with a choice each, and the group option.
type ImportCheckView struct {
	CSRFToken, Action, MapURL string
	FileName                  string
	// Summary says how many rows will be created, updated, skipped and
	// failed as things stand.
	Summary    []string
	Failed     []ImportRowView
	FailedMore string
	Dups       []ImportDupView
	DupsMore   string
	DupAll     []Option
	Groups     []Option
	NewGroup   Field
	Errors     []FieldError
	// Importable is false when no row can be imported.
	Importable bool
}

// ImportRowView is a row of the file and what is wrong with it.
type ImportRowView struct {
	Line, Name, Reason string
}

// ImportDupView is a row that is likely a customer already there.
type ImportDupView struct {
	Line, Name, Existing, ExistingURL string
	Input                             string
	Options                           []Option
}

// ImportJobView is an import's progress, then its report.
type ImportJobView struct {
	Title            string
	Running          bool
	PollURL          string
	Waiting          string
	Processed, Total int
	Progress         string
	// The report's counts, in words.
	Created, Updated, Skipped, Failed string
	NotGrouped                        string
	Failures                          []ImportRowView
	FailuresMore                      string
	FailedCSVURL                      string
}
