package handlers_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/square"
)

// The round trip of issue 16: export customers, delete them, import the
// file, and the same customers come back with every exported field
// equal (only their Square ids are new).
func TestExportDeleteImportBringsTheSameCustomersBack(t *testing.T) {
	e := newCustEnv(t, 0)
	people := []square.CreateCustomerRequest{
		{GivenName: "Ada", FamilyName: "Lovelace", EmailAddress: "ada@example.com", PhoneNumber: "+1 206 555 0100",
			CompanyName: "Analytical Engines", Nickname: "Countess", ReferenceID: "REF-1", Birthday: "1915-12-10",
			Note: "Prefers \"quoted\" notes,\nover two lines", Address: &square.Address{
				AddressLine1: "12 St James's Square", AddressLine2: "Flat 3", Locality: "London",
				AdministrativeDistrictLevel1: "Greater London", PostalCode: "SW1Y 4JH", Country: "GB"}},
		{GivenName: "Jürgen", FamilyName: "Müller", EmailAddress: "jm@example.de", Birthday: "0000-02-29",
			Note: "=HYPERLINK(\"http://x\")", Address: &square.Address{Locality: "Köln", Country: "DE"}},
		{CompanyName: "-minus Ltd", PhoneNumber: "+44 20 7946 0000", ReferenceID: "@handle"},
		{GivenName: "李", FamilyName: "小龙", EmailAddress: "li@example.cn"},
	}
	for _, p := range people {
		e.create(p)
	}
	e.indexMerchant()

	file := e.b.get("/customers/export")
	first := readExport(t, file, false)
	// The emulator's demo customers go round with ours.
	if len(first.rows) < len(people) {
		t.Fatalf("the export has %d rows, want at least %d", len(first.rows), len(people))
	}
	// Deleted in Square, and in the index as Square's webhooks would tell
	// it (the harness delivers none).
	for _, id := range first.ids() {
		v := e.get(id).Version
		if err := e.sq.Customers.Delete(t.Context(), id, nil); err != nil {
			t.Fatalf("Delete(%s) = %v", id, err)
		}
		if _, err := e.h.index.Delete(t.Context(), e.merchantID(), id, v+1, time.Now()); err != nil {
			t.Fatalf("index.Delete(%s) = %v", id, err)
		}
	}
	if n := e.count(); n != 0 {
		t.Fatalf("customers after deleting = %d, want 0", n)
	}

	report := e.startImport(e.importToCheck("customers.csv", file.Body), nil)
	if got, want := custText(report, "import-created"), fmt.Sprintf("%d customers", len(first.rows)); got != want {
		t.Errorf("report created = %q, want %q; updated %s, skipped %s, failed: %s", got, want, custText(report, "import-updated"), custText(report, "import-skipped"), custText(report, "job-failures"))
	}
	e.indexMerchant()

	second := readExport(t, e.b.get("/customers/export"), false)
	if got, want := second.withoutIDs(), first.withoutIDs(); !slices.Equal(got, want) {
		t.Errorf("after the round trip the customers read\n%q\nwant\n%q", got, want)
	}
	for _, id := range second.ids() {
		if slices.Contains(first.ids(), id) {
			t.Errorf("customer %s came back under its old id; a deleted id cannot be reused", id)
		}
	}
}

// withoutIDs is every row's cells but its Square id, sorted.
func (f exportFile) withoutIDs() []string {
	var out []string
	for _, r := range f.rows {
		var cells []string
		for _, h := range f.header {
			if h != "Square Customer ID" {
				cells = append(cells, h+"="+r[h])
			}
		}
		out = append(out, strings.Join(cells, "|"))
	}
	slices.Sort(out)
	return out
}
