package e2e

import (
	"encoding/csv"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/playwright-community/playwright-go"
)

// downloadExport clicks a link of the directory that downloads an export
// and reads the file the browser saved: its suggested name and its rows
// (the header first).
func downloadExport(t *testing.T, page playwright.Page, testID string) (string, [][]string) {
	t.Helper()
	dl, err := page.ExpectDownload(func() error { return page.GetByTestId(testID).Click() })
	check(t, err, "downloading the export")
	path, err := dl.Path()
	check(t, err, "the downloaded file")
	data, err := os.ReadFile(path)
	check(t, err, "reading the downloaded file")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\ufeff"))).ReadAll()
	check(t, err, "reading the export as CSV")
	if len(recs) == 0 || recs[0][0] != "Reference ID" {
		t.Fatalf("the export does not start with Square's header: %q", recs)
	}
	return dl.SuggestedFilename(), recs
}

// exportedIDs are the Square Customer ID cells of an export's rows.
func exportedIDs(t *testing.T, recs [][]string) []string {
	t.Helper()
	col := slices.Index(recs[0], "Square Customer ID")
	if col < 0 {
		t.Fatalf("the export has no Square Customer ID column: %q", recs[0])
	}
	var ids []string
	for _, r := range recs[1:] {
		ids = append(ids, r[col])
	}
	return ids
}

// Searching the directory and clicking Export CSV downloads a file of
// exactly the customers the search shows, in its order; the same without
// JavaScript, and "For Excel" adds the byte order mark.
func TestExportCSVDownloadsTheSearch(t *testing.T) {
	t.Parallel()
	app := startApp(t)
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	waitForIndex(t, page)
	quentin := createNamed(t, page, "Quentin", "Zephyrsson", "quentin@zephyr.example")
	zara := createNamed(t, page, "Zara", "=Zephyrsson", "zara@zephyr.example")

	_, err := page.Goto("/customers")
	check(t, err, "opening the directory")
	searchFinds(t, page, "zephyrsson", quentin, "Quentin Zephyrsson")
	shown, _ := listedCustomers(t, page)
	name, recs := downloadExport(t, page, "export")
	if !regexp.MustCompile(`^tessera-customers-\d{4}-\d{2}-\d{2}\.csv$`).MatchString(name) {
		t.Errorf("the file is named %q, want tessera-customers-YYYY-MM-DD.csv", name)
	}
	got := exportedIDs(t, recs)
	slices.Sort(shown)
	if slices.Sort(got); !slices.Equal(got, shown) || !slices.Equal(got, sorted(quentin, zara)) {
		t.Errorf("the export of the search holds %v, want the rows shown %v", got, shown)
	}
	last := slices.Index(recs[0], "Last Name")
	for _, r := range recs[1:] {
		if strings.HasPrefix(r[last], "=") {
			t.Errorf("a last name starting with = was exported as %q, want it neutralised", r[last])
		}
	}

	noJS := newPage(t, app, contextOptions{noJS: true})
	signIn(t, noJS, merchantHarbor)
	_, err = noJS.Goto("/customers?q=zephyrsson")
	check(t, err, "opening the search without JavaScript")
	_, recs = downloadExport(t, noJS, "export-excel")
	if got := exportedIDs(t, recs); !slices.Equal(sorted(got...), sorted(quentin, zara)) {
		t.Errorf("without JavaScript, the export of the search holds %v, want %v", got, sorted(quentin, zara))
	}
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
