package index

import (
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/store"
)

func newIndex(t *testing.T) *Index {
	t.Helper()
	db, err := store.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatalf("store.Open() error = %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return New(db)
}

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func mustPut(t *testing.T, x *Index, merchantID string, cs ...Customer) {
	t.Helper()
	for _, c := range cs {
		if c.CreatedAt.IsZero() {
			c.CreatedAt = t0
		}
		if c.UpdatedAt.IsZero() {
			c.UpdatedAt = c.CreatedAt
		}
		if ok, err := x.Put(t.Context(), merchantID, c); err != nil || !ok {
			t.Fatalf("Put(%s, %s) = %v, %v, want true, nil", merchantID, c.ID, ok, err)
		}
	}
}

func ids(r Result) []string {
	out := make([]string, len(r.Rows))
	for i, h := range r.Rows {
		out[i] = h.ID
	}
	return out
}

func search(t *testing.T, x *Index, merchantID string, q Query) Result {
	t.Helper()
	r, err := x.Search(t.Context(), merchantID, q)
	if err != nil {
		t.Fatalf("Search(%s, %+v) error = %v", merchantID, q, err)
	}
	return r
}

// people is a directory in several scripts, with accents, phones in several
// formats and a note full of FTS5 syntax.
var people = []Customer{
	{ID: "fernandez", GivenName: "Jane", FamilyName: "Fernández", EmailAddress: "jane.fernandez@example.com", PhoneNumber: "+1 (360) 555-0155", Note: "Prefers mornings"},
	{ID: "muller", GivenName: "Jürgen", FamilyName: "Müller", CompanyName: "Straße & Söhne", EmailAddress: "jm@beispiel.de", PhoneNumber: "+49 30 1234567"},
	{ID: "petrov", GivenName: "Иван", FamilyName: "Петров", EmailAddress: "ivan@example.ru"},
	{ID: "papadopoulos", GivenName: "Νίκος", FamilyName: "Παπαδόπουλος"},
	{ID: "wang", GivenName: "小明", FamilyName: "王"},
	{ID: "yamada", GivenName: "太郎", FamilyName: "山田", Nickname: "タロウ"},
	{ID: "alali", GivenName: "محمد", FamilyName: "العلي"},
	{ID: "okafor", GivenName: "Adaeze", FamilyName: "Okafor", EmailAddress: "adaeze1999@example.com", ReferenceID: "REF-4471"},
	{ID: "hostile", GivenName: "Quinn", FamilyName: "Hale", Note: `wrote "NEAR(x) OR y*" ^ - : 100%_off \ back`},
	{ID: "decomposed", GivenName: "Jose\u0301", FamilyName: "Nun\u0303ez"},
	{ID: "lindqvist", GivenName: "Bjørn", FamilyName: "Lindqvist", PhoneNumber: "360.555.0199"},
}

// TestDropMerchantLeavesNoDerivedRow checks the SQLite tables that the
// contract (internal/index/indextest) cannot see: nothing derived from a
// dropped merchant's customers outlives them.
func TestDropMerchantLeavesNoDerivedRow(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	// The same customer ids and names in both merchants.
	mustPut(t, x, "M1", people...)
	mustPut(t, x, "M2", people[:3]...)
	mustPut(t, x, "M2", Customer{ID: "only2", GivenName: "Zora", Nickname: "雪", Note: "fern", GroupIDs: []string{"g"}, CreationSource: "X"})
	if _, err := x.Delete(t.Context(), "M2", "muller", 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := x.DropMerchant(t.Context(), "M2"); err != nil {
		t.Fatalf("DropMerchant(M2) error = %v", err)
	}
	// No full-text row outlives its customer.
	var fts, rows int
	if err := x.reader.QueryRowContext(t.Context(), "SELECT count(*) FROM index_fts WHERE index_fts MATCH '\"zora\"'").Scan(&fts); err != nil {
		t.Fatal(err)
	}
	if err := x.reader.QueryRowContext(t.Context(), "SELECT (SELECT count(*) FROM index_name_words) + (SELECT count(*) FROM index_groups WHERE group_id = 'g') + (SELECT count(*) FROM index_tombstones WHERE merchant_id = 'M2')").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if fts != 0 {
		t.Errorf("full-text rows for M2's zora after DropMerchant = %d, want 0", fts)
	}
	// Nor any count or fragment kept for its merchant's filters and short
	// searches.
	var derived int
	if err := x.reader.QueryRowContext(t.Context(), `SELECT
		(SELECT count(*) FROM index_counts WHERE slot NOT IN (SELECT slot FROM index_merchants)) +
		(SELECT count(*) FROM index_frags WHERE slot NOT IN (SELECT slot FROM index_merchants))`).Scan(&derived); err != nil {
		t.Fatal(err)
	}
	if derived != 0 {
		t.Errorf("counts and fragments of dropped merchants = %d, want 0", derived)
	}
}
