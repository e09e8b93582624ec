package e2e

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"

	"github.com/playwright-community/playwright-go"
)

// Importing a CSV file, with JavaScript and without: a file of three
// customers with one bad email is uploaded, its columns map themselves, the
// check names the bad row, the import creates two; the report's failed rows
// are downloaded, the email is fixed in that file, and importing it creates
// the third. axe checks each new page.
func TestImportAFileFixTheFailedRowAndImportAgain(t *testing.T) {
	t.Parallel()
	withAndWithoutJS(t, func(t *testing.T, app *webApp, page playwright.Page, noJS bool, axe func(what string)) {
		signIn(t, page, merchantHarbor)
		tag := "js"
		if noJS {
			tag = "nojs"
		}
		file := "First Name,Last Name,Email Address\r\n" +
			"Imke,Import,imke." + tag + "@example.com\r\n" +
			"Bodo,Broken,bodo-at-example.com\r\n" +
			"Carla,Csv,carla." + tag + "@example.com\r\n"

		// The link is on the new customer page.
		_, err := page.Goto("/customers/new")
		check(t, err, "the new customer page")
		check(t, page.GetByTestId("import-csv").Click(), "Import CSV")
		check(t, expect.Page(page).ToHaveURL(urlPath("/customers/import")), "the upload page")
		axe("the upload page")

		upload := func(name, content string) {
			t.Helper()
			check(t, page.GetByLabel("CSV file", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}).SetInputFiles(playwright.InputFile{Name: name, MimeType: "text/csv", Buffer: []byte(content)}), "choosing "+name)
			check(t, byRole(page, *playwright.AriaRoleButton, "Upload and continue").Click(), "uploading")
			check(t, expect.Locator(page.GetByTestId("import-map")).ToBeVisible(), "the mapping page")
		}
		upload("customers.csv", file)
		check(t, expect.Locator(page.GetByTestId("import-preview")).ToContainText("imke."+tag+"@example.com"), "the preview")
		axe("the mapping page")
		check(t, byRole(page, *playwright.AriaRoleButton, "Check the rows").Click(), "Check the rows")
		check(t, expect.Locator(page.GetByTestId("import-failed-row")).ToContainText("Line 3"), "the bad row named by its line")
		axe("the check page")
		check(t, byRole(page, *playwright.AriaRoleButton, "Import").Click(), "Import")
		check(t, expect.Locator(page.GetByTestId("import-created")).ToHaveText("2 customers"), "the report: 2 created")
		check(t, expect.Locator(page.GetByTestId("import-failed-count")).ToHaveText("1 row"), "the report: 1 failed")
		check(t, expect.Locator(page.GetByTestId("job-failure")).ToContainText("Line 3"), "the failed row in the report")
		axe("the report")

		// The failed rows, fixed in the downloaded file, import.
		dl, err := page.ExpectDownload(func() error { return page.GetByTestId("import-failed-csv").Click() })
		check(t, err, "downloading the failed rows")
		path, err := dl.Path()
		check(t, err, "the downloaded file")
		raw, err := os.ReadFile(path)
		check(t, err, "reading the downloaded file")
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\ufeff"))).ReadAll()
		if err != nil || len(recs) != 2 || recs[0][3] != "Error" || recs[1][2] != "bodo-at-example.com" {
			t.Fatalf("failed rows file = %q, %v; want the header with Error and the bad row as written", recs, err)
		}
		fixed := strings.Replace(strings.TrimPrefix(string(raw), "\ufeff"), "bodo-at-example.com", "bodo."+tag+"@example.com", 1)
		_, err = page.Goto("/customers/import")
		check(t, err, "the upload page again")
		upload("customers-failed.csv", fixed)
		check(t, byRole(page, *playwright.AriaRoleButton, "Check the rows").Click(), "Check the rows")
		check(t, expect.Locator(page.GetByTestId("import-failed")).ToHaveCount(0), "no bad row this time")
		check(t, byRole(page, *playwright.AriaRoleButton, "Import").Click(), "Import")
		check(t, expect.Locator(page.GetByTestId("import-created")).ToHaveText("1 customer"), "the report: 1 created")
		check(t, expect.Locator(page.GetByTestId("import-failed-count")).ToHaveText("0 rows"), "the report: none failed")

		// The three are in the directory.
		_, err = page.Goto("/customers?q=" + tag + "%40example.com")
		check(t, err, "searching the imported")
		for _, n := range []string{"Imke Import", "Bodo Broken", "Carla Csv"} {
			check(t, expect.Locator(customerRows(page).Filter(playwright.LocatorFilterOptions{HasText: n})).ToHaveCount(1), n+" in the directory")
		}
	})
}
