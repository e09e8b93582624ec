// Package indextest is the customer index's contract: one suite of tests
// of what callers see, run against each engine (the SQLite index in
// internal/index, the PostgreSQL one in internal/index/pgindex), so that
// both keep the same rules and search alike.
package indextest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// Indexer is every method of *index.Index, which each engine provides.
type Indexer interface {
	Put(ctx context.Context, merchantID string, c index.Customer) (bool, error)
	PutAll(ctx context.Context, merchantID string, cs []index.Customer, sync func(*index.SyncState) error) (int, error)
	Delete(ctx context.Context, merchantID, customerID string, version int64, at time.Time) (bool, error)
	Get(ctx context.Context, merchantID, customerID string) (index.Customer, error)
	Count(ctx context.Context, merchantID string) (int, error)
	IDs(ctx context.Context, merchantID string) ([]string, error)
	DropMerchant(ctx context.Context, merchantID string) error
	SeenEvent(ctx context.Context, merchantID, eventID string) (bool, error)
	ForgetEvent(ctx context.Context, merchantID, eventID string) error
	Sweep(ctx context.Context, before time.Time) (int64, error)
	SyncState(ctx context.Context, merchantID string) (index.SyncState, error)
	UpdateSyncState(ctx context.Context, merchantID string, fn func(*index.SyncState) error) error
	Search(ctx context.Context, merchantID string, q index.Query) (index.Result, error)
	Total(ctx context.Context, merchantID string, q index.Query) (int, error)
	EachID(ctx context.Context, merchantID string, q index.Query, batch int, fn func([]string) error) error
	Likely(ctx context.Context, merchantID string, contacts []index.Contact, limit int) ([][]index.Customer, error)
	Watch(w index.Watcher)
}

var _ Indexer = (*index.Index)(nil)

// Engine is an index under test.
type Engine struct {
	// New returns an empty index of the test's own.
	New func(t *testing.T) Indexer
	// Modes, if not nil, returns the ways one index can answer the same
	// searches (SQLite ranks few matches all at once and many by tiers),
	// the index itself first; the suite holds each to the same answers.
	Modes func(x Indexer) []Mode
	// Leftovers, if not nil, counts the rows the engine still keeps of a
	// merchant after DropMerchant, in whatever tables it has.
	Leftovers func(t *testing.T, x Indexer, merchantID string) int
}

// Mode is one way of answering searches; see Engine.Modes.
type Mode struct {
	Name string
	X    Indexer
}

func (e Engine) modes(x Indexer) []Mode {
	if e.Modes == nil {
		return []Mode{{"", x}}
	}
	return e.Modes(x)
}

// Run runs the contract against the engine.
func Run(t *testing.T, e Engine) {
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) { c.test(t, e) })
	}
}

var contract = []struct {
	name string
	test func(*testing.T, Engine)
}{
	{"SearchFindsAnyFragmentInAnyScriptWithoutCaseOrAccents", testSearchFindsAnyFragmentInAnyScriptWithoutCaseOrAccents},
	{"SearchIgnoresPhoneFormatting", testSearchIgnoresPhoneFormatting},
	{"SearchTreatsQuerySyntaxAsLiteralText", testSearchTreatsQuerySyntaxAsLiteralText},
	{"SearchHighlightsMatchesInTheOriginalText", testSearchHighlightsMatchesInTheOriginalText},
	{"SearchRanksNameWordsThenPrefixesThenOtherFieldsThenNotes", testSearchRanksNameWordsThenPrefixesThenOtherFieldsThenNotes},
	{"SearchSortsFiltersAndPagesTheDirectory", testSearchSortsFiltersAndPagesTheDirectory},
	{"SearchRefusesQueriesOutOfBounds", testSearchRefusesQueriesOutOfBounds},
	{"PutNeverLetsAnOlderStateWin", testPutNeverLetsAnOlderStateWin},
	{"PutRefusesCustomersWithoutIdsOrOfAnotherMerchant", testPutRefusesCustomersWithoutIdsOrOfAnotherMerchant},
	{"MerchantsNeverSeeEachOthersCustomers", testMerchantsNeverSeeEachOthersCustomers},
	{"SeenEventRecordsEachEventOnceUntilSwept", testSeenEventRecordsEachEventOnceUntilSwept},
	{"SyncStateIsKeptPerMerchantAndAdvancesWithItsPage", testSyncStateIsKeptPerMerchantAndAdvancesWithItsPage},
	{"FromSquareKeepsEveryIndexedField", testFromSquareKeepsEveryIndexedField},
	{"SearchCountsBroadMatchesUpToMaxCountedAndTotalCountsThemAll", testSearchCountsBroadMatchesUpToMaxCountedAndTotalCountsThemAll},
	{"ConcurrentWritesAndSearchesNeitherFailNorLoseACustomer", testConcurrentWritesAndSearchesNeitherFailNorLoseACustomer},
	{"WatchersAreToldOfEachChangeOnceWithItsStatesAndOrigin", testWatchersAreToldOfEachChangeOnceWithItsStatesAndOrigin},
	{"TotalsWithoutTextAreExactUnderEveryFilter", testTotalsWithoutTextAreExactUnderEveryFilter},
	{"EachIDGivesEveryMatchInTheDirectorysOrder", testEachIDGivesEveryMatchInTheDirectorysOrder},
	{"EachIDGivesABroadSearchInNameOrder", testEachIDGivesABroadSearchInNameOrder},
	{"EachIDStopsAtTheCallersError", testEachIDStopsAtTheCallersError},
	{"LikelyFindsTheSameEmailOrPhoneDigitsOfOneMerchantOnly", testLikelyFindsTheSameEmailOrPhoneDigitsOfOneMerchantOnly},
	{"ShortWordsOutsideASCIIAreFoundThroughTheirFragments", testShortWordsOutsideASCIIAreFoundThroughTheirFragments},
	{"ShortWordsOutsideASCIIAreCountedExactlyHoweverMany", testShortWordsOutsideASCIIAreCountedExactlyHoweverMany},
}

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func mustPut(t *testing.T, x Indexer, merchantID string, cs ...index.Customer) {
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

func ids(r index.Result) []string {
	out := make([]string, len(r.Rows))
	for i, h := range r.Rows {
		out[i] = h.ID
	}
	return out
}

func search(t *testing.T, x Indexer, merchantID string, q index.Query) index.Result {
	t.Helper()
	r, err := x.Search(t.Context(), merchantID, q)
	if err != nil {
		t.Fatalf("Search(%s, %+v) error = %v", merchantID, q, err)
	}
	return r
}

var people = []index.Customer{
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

func testSearchFindsAnyFragmentInAnyScriptWithoutCaseOrAccents(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	mustPut(t, x, "M1", people...)
	tests := []struct {
		text string
		want []string
	}{
		{"fernandez", []string{"fernandez"}},
		{"FERNANDEZ", []string{"fernandez"}},
		{"Fernández", []string{"fernandez"}},
		{"nánd", []string{"fernandez"}},
		{"muller", []string{"muller"}},
		{"MÜLLER", []string{"muller"}},
		{"jurgen", []string{"muller"}},
		{"strasse", []string{"muller"}},
		{"straße", []string{"muller"}},
		{"sohne", []string{"muller"}},
		{"bjorn", []string{"lindqvist"}},
		{"jose", []string{"decomposed"}},
		{"José", []string{"decomposed"}},
		{"nunez", []string{"decomposed"}},
		{"иван", []string{"petrov"}},
		{"ПЕТР", []string{"petrov"}},
		{"етро", []string{"petrov"}},
		{"νικος", []string{"papadopoulos"}},
		{"ΠΑΠΑΔΌ", []string{"papadopoulos"}},
		{"王", []string{"wang"}},
		{"小明", []string{"wang"}},
		{"明", []string{"wang"}},
		{"山田", []string{"yamada"}},
		{"田", []string{"yamada"}},
		{"タロウ", []string{"yamada"}},
		{"محمد", []string{"alali"}},
		{"العلي", []string{"alali"}},
		{"عل", []string{"alali"}},
		{"adaeze1999", []string{"okafor"}},
		{"1999", []string{"okafor"}},
		{"ref-44", []string{"okafor"}},
		{"4471", []string{"okafor"}},
		{"mornings", []string{"fernandez"}},
		{"example.com", []string{"fernandez", "okafor"}},
		{"jane 0155", []string{"fernandez"}},
		{"  jane   FERN  ", []string{"fernandez"}},
		{"jane muller", nil},
		{"zzz", nil},
		{"z", []string{"decomposed", "fernandez", "okafor"}},
		{"q", []string{"hostile", "lindqvist"}},
	}
	modes := e.modes(x)
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			r := search(t, x, "M1", index.Query{Text: tt.text})
			for _, m := range modes[1:] {
				if tr := search(t, m.X, "M1", index.Query{Text: tt.text}); !slices.Equal(ids(tr), ids(r)) {
					t.Errorf("Search(%q) %s = %v, %s = %v, want the same", tt.text, m.Name, ids(tr), modes[0].Name, ids(r))
				}
			}
			got := ids(r)
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("Search(%q) = %v, want %v", tt.text, got, want)
			}
			if r.Total != len(want) {
				t.Errorf("Search(%q).Total = %d, want %d", tt.text, r.Total, len(want))
			}
		})
	}
}

func testSearchIgnoresPhoneFormatting(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	mustPut(t, x, "M1", people...)
	for _, text := range []string{"5550155", "555-0155", "(360) 555-0155", "+13605550155", "+1 (360) 555-0155", "360.555.0155", "360-555-0155", "0155", "1 360 555 0155"} {
		t.Run(text, func(t *testing.T) {
			t.Parallel()
			if got := ids(search(t, x, "M1", index.Query{Text: text})); !slices.Equal(got, []string{"fernandez"}) {
				t.Errorf("Search(%q) = %v, want [fernandez]", text, got)
			}
		})
	}
	if got := ids(search(t, x, "M1", index.Query{Text: "555"})); len(got) != 2 {
		t.Errorf("Search(555) = %v, want the two 555 numbers", got)
	}
}

func testSearchTreatsQuerySyntaxAsLiteralText(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	mustPut(t, x, "M1", people...)
	tests := []struct {
		text string
		want []string
	}{
		{`"`, []string{"hostile"}},
		{`*`, []string{"hostile"}},
		{`y*"`, []string{"hostile"}},
		{`NEAR(`, []string{"hostile"}},
		{`NEAR(x)`, []string{"hostile"}},
		{`^`, []string{"hostile"}},
		{`-`, []string{"fernandez", "okafor", "hostile"}},
		{`:`, []string{"hostile"}},
		{`%`, []string{"hostile"}},
		{`_`, []string{"hostile"}},
		{`100%_`, []string{"hostile"}},
		{`\`, []string{"hostile"}},
		{`"unbalanced`, nil},
		{`""`, nil},
		{`NOT`, nil},
		{`AND`, []string{"fernandez"}},
		{`x) OR y`, []string{"hostile"}},
		{`{given_name}:`, nil},
		{`names_key:jane`, nil},
		{`%%%`, nil},
		{`'; DROP TABLE index_customers; --`, nil},
		{"nul\x00byte", nil},
		{"quinn\x00hale", []string{"hostile"}},
		{"quinn\x1bhale", []string{"hostile"}},
		{"tab\tsep", nil},
		{"\u200b\u200b\u200b", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			r := search(t, x, "M1", index.Query{Text: tt.text})
			got, want := ids(r), slices.Clone(tt.want)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("Search(%q) = %v, want %v", tt.text, got, want)
			}
		})
	}
	// Control characters alone are no search at all, like spaces: the whole
	// directory, as for an empty box.
	if r := search(t, x, "M1", index.Query{Text: "\x00\x00\x01"}); r.Total != len(people) {
		t.Errorf("Search(NUL NUL SOH).Total = %d, want %d (no words)", r.Total, len(people))
	}
	// OR is text too: it finds the customers with "or" somewhere, not all.
	got := ids(search(t, x, "M1", index.Query{Text: "OR"}))
	slices.Sort(got)
	if want := []string{"fernandez", "hostile", "lindqvist", "okafor"}; !slices.Equal(got, want) {
		t.Errorf(`Search("OR") = %v, want %v`, got, want)
	}
	if n, err := x.Count(t.Context(), "M1"); err != nil || n != len(people) {
		t.Errorf("Count(M1) after hostile searches = %d, %v, want %d", n, err, len(people))
	}
}

func testSearchHighlightsMatchesInTheOriginalText(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	mustPut(t, x, "M1", people...)
	tests := []struct {
		text  string
		id    string
		field index.Field
		want  []string
	}{
		{"fernan", "fernandez", index.FieldFamilyName, []string{"Fernán"}},
		{"fernan", "fernandez", index.FieldEmail, []string{"fernan"}},
		{"5550155", "fernandez", index.FieldPhone, []string{"555-0155"}},
		{"(360)", "fernandez", index.FieldPhone, []string{"(360)"}},
		{"ss", "muller", index.FieldCompanyName, []string{"ß"}},
		{"jose", "decomposed", index.FieldGivenName, []string{"Jose\u0301"}},
		{"ива", "petrov", index.FieldGivenName, []string{"Ива"}},
		{"明", "wang", index.FieldGivenName, []string{"明"}},
		{"ne o", "okafor", index.FieldGivenName, nil},
		{"e", "fernandez", index.FieldGivenName, []string{"e"}},
		{"n fern", "fernandez", index.FieldFamilyName, []string{"Fern", "n"}},
		{"mor ngs", "fernandez", index.FieldNote, []string{"mor", "ngs"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			r := search(t, x, "M1", index.Query{Text: tt.text, Limit: 100})
			i := slices.IndexFunc(r.Rows, func(h index.Hit) bool { return h.ID == tt.id })
			if i < 0 {
				if tt.want != nil {
					t.Fatalf("Search(%q) = %v, want %s among them", tt.text, ids(r), tt.id)
				}
				return
			}
			h := r.Rows[i]
			value := map[index.Field]string{index.FieldGivenName: h.GivenName, index.FieldFamilyName: h.FamilyName, index.FieldCompanyName: h.CompanyName,
				index.FieldEmail: h.EmailAddress, index.FieldPhone: h.PhoneNumber, index.FieldNote: h.Note}[tt.field]
			var got []string
			for _, s := range h.Highlights[tt.field] {
				got = append(got, value[s.Start:s.End])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Search(%q) highlights in %s of %s = %q, want %q", tt.text, tt.field, tt.id, got, tt.want)
			}
		})
	}
}

func testSearchRanksNameWordsThenPrefixesThenOtherFieldsThenNotes(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	// Inserted worst first, so that index order alone would get it wrong.
	mustPut(t, x, "M1",
		index.Customer{ID: "note", GivenName: "Bob", FamilyName: "Stone", Note: "asked about the fern delivery, hopes", CreationSource: "NOTES"},
		index.Customer{ID: "email", GivenName: "Ola", FamilyName: "Berg", EmailAddress: "olafern@example.com"},
		index.Customer{ID: "company", GivenName: "Ann", FamilyName: "Lee", CompanyName: "Ferngrove Ltd"},
		index.Customer{ID: "infix", GivenName: "Lu", FamilyName: "Alfernsen"},
		index.Customer{ID: "nick", GivenName: "Sam", FamilyName: "Hope", Nickname: "Fernie", CreationSource: "NOTES"},
		index.Customer{ID: "prefix", GivenName: "Jane", FamilyName: "Fernández"},
		index.Customer{ID: "word", GivenName: "Fern", FamilyName: "Gully"},
		index.Customer{ID: "other", GivenName: "Zed", FamilyName: "Zulu"},
	)
	want := []string{"word", "prefix", "nick", "email", "company", "infix", "note"}
	// Both ways of ranking give the same order: all matches at once (few
	// matches) and tier by tier (many).
	for _, mode := range e.modes(x) {
		t.Run(mode.Name, func(t *testing.T) {
			r := search(t, mode.X, "M1", index.Query{Text: "fern"})
			if got := ids(r); !slices.Equal(got, want) {
				t.Errorf("Search(fern) = %v, want %v", got, want)
			}
			if r.Total != len(want) {
				t.Errorf("Search(fern).Total = %d, want %d", r.Total, len(want))
			}
			// Paging through the ranking in pages of every size gives the
			// same order.
			for size := 1; size <= len(want); size++ {
				var paged []string
				for off := 0; off < len(want)+size; off += size {
					p := search(t, mode.X, "M1", index.Query{Text: "fern", Limit: size, Offset: off})
					if p.Total != len(want) {
						t.Errorf("Search(fern, limit %d, offset %d).Total = %d, want %d", size, off, p.Total, len(want))
					}
					paged = append(paged, ids(p)...)
				}
				if !slices.Equal(paged, want) {
					t.Errorf("Search(fern) in pages of %d = %v, want %v", size, paged, want)
				}
			}
			// A two-word query ranks by its longest word, and every word
			// must match.
			if got := ids(search(t, mode.X, "M1", index.Query{Text: "a fern"})); !slices.Equal(got, []string{"prefix", "nick", "email", "company", "infix", "note"}) {
				t.Errorf("Search(a fern) = %v, want [prefix nick email company infix note] (not Fern Gully, who has no a)", got)
			}
			// A filter applies to every tier.
			if got := ids(search(t, mode.X, "M1", index.Query{Text: "fern", Source: "NOTES"})); !slices.Equal(got, []string{"nick", "note"}) {
				t.Errorf("Search(fern, source NOTES) = %v, want [nick note]", got)
			}
			// A short word ranks the same way.
			if got := ids(search(t, mode.X, "M1", index.Query{Text: "hop"})); !slices.Equal(got, []string{"nick", "note"}) {
				t.Errorf("Search(hop) = %v, want [nick note]", got)
			}
		})
	}
}

func testSearchSortsFiltersAndPagesTheDirectory(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	mustPut(t, x, "M1",
		index.Customer{ID: "c", GivenName: "Carla", FamilyName: "Ortiz", CompanyName: "Zeta", EmailAddress: "carla@b.test", PhoneNumber: "555-0003", CreatedAt: day(3), UpdatedAt: day(10), CreationSource: "DIRECTORY", GroupIDs: []string{"vip"}},
		index.Customer{ID: "a", GivenName: "Ávila", FamilyName: "Ruiz", CompanyName: "alpha", EmailAddress: "zed@a.test", PhoneNumber: "555-0009", CreatedAt: day(1), UpdatedAt: day(12), CreationSource: "THIRD_PARTY", GroupIDs: []string{"vip", "staff"}},
		index.Customer{ID: "b", GivenName: "bruno", FamilyName: "Ortiz", CompanyName: "Mu", EmailAddress: "bruno@c.test", PhoneNumber: "555-0001", CreatedAt: day(2), UpdatedAt: day(11), CreationSource: "THIRD_PARTY"},
		index.Customer{ID: "e", EmailAddress: "anon@d.test", CreatedAt: day(5), UpdatedAt: day(5), CreationSource: "DIRECTORY"},
		index.Customer{ID: "d", GivenName: "Dana", FamilyName: "Ortiz", CreatedAt: day(4), UpdatedAt: day(4), CreationSource: "DIRECTORY", GroupIDs: []string{"staff"}},
	)
	tests := []struct {
		name  string
		q     index.Query
		want  []string
		total int
	}{
		// A customer without a name sorts by what the Name column shows for
		// it, here the email address.
		{"by the name the directory shows, accents and case ignored", index.Query{}, []string{"e", "a", "b", "c", "d"}, 5},
		{"by name descending", index.Query{Sort: index.SortName, Desc: true}, []string{"d", "c", "b", "a", "e"}, 5},
		{"by company", index.Query{Sort: index.SortCompany}, []string{"a", "b", "c", "e", "d"}, 5},
		{"by email", index.Query{Sort: index.SortEmail}, []string{"e", "b", "c", "a", "d"}, 5},
		{"by phone", index.Query{Sort: index.SortPhone}, []string{"b", "c", "a", "e", "d"}, 5},
		{"by created", index.Query{Sort: index.SortCreated}, []string{"a", "b", "c", "d", "e"}, 5},
		{"by created descending", index.Query{Sort: index.SortCreated, Desc: true}, []string{"e", "d", "c", "b", "a"}, 5},
		{"by updated", index.Query{Sort: index.SortUpdated}, []string{"d", "e", "c", "b", "a"}, 5},
		{"source", index.Query{Source: "THIRD_PARTY"}, []string{"a", "b"}, 2},
		{"group", index.Query{GroupID: "vip"}, []string{"a", "c"}, 2},
		{"group and source", index.Query{GroupID: "staff", Source: "DIRECTORY"}, []string{"d"}, 1},
		{"created range, end excluded", index.Query{CreatedFrom: day(2), CreatedTo: day(4), Sort: index.SortCreated}, []string{"b", "c"}, 2},
		{"text with a sort", index.Query{Text: "ortiz", Sort: index.SortCreated, Desc: true}, []string{"d", "c", "b"}, 3},
		{"short text with a sort", index.Query{Text: "or", Sort: index.SortName}, []string{"b", "c", "d"}, 3},
		{"text with a filter", index.Query{Text: "ortiz", Source: "DIRECTORY"}, []string{"c", "d"}, 2},
		{"text with a group", index.Query{Text: "ortiz", GroupID: "vip"}, []string{"c"}, 1},
		{"text with a created range", index.Query{Text: "ortiz", CreatedFrom: day(3)}, []string{"c", "d"}, 2},
		{"short text with a filter", index.Query{Text: "z", GroupID: "vip", Sort: index.SortName}, []string{"a", "c"}, 2},
		{"paging", index.Query{Sort: index.SortCreated, Limit: 2, Offset: 2}, []string{"c", "d"}, 5},
		{"paging past the end", index.Query{Limit: 2, Offset: 10}, []string{}, 5},
		{"text paging", index.Query{Text: "ortiz", Sort: index.SortName, Limit: 1, Offset: 1}, []string{"c"}, 3},
		{"unknown group", index.Query{GroupID: "nope"}, []string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := search(t, x, "M1", tt.q)
			got := ids(r)
			if tt.q.Text != "" && tt.q.Sort == index.SortRelevance {
				slices.Sort(got)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Search(%+v) = %v, want %v", tt.q, got, tt.want)
			}
			if r.Total != tt.total {
				t.Errorf("Search(%+v).Total = %d, want %d", tt.q, r.Total, tt.total)
			}
		})
	}
}

func testSearchRefusesQueriesOutOfBounds(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	mustPut(t, x, "M1", people...)
	for _, q := range []index.Query{
		{Limit: index.MaxLimit + 1},
		{Limit: -1},
		{Offset: -1},
		{Sort: "rank; DROP"},
		{Text: strings.Repeat("a", index.MaxTextBytes+1)},
		{Text: strings.Repeat("a ", index.MaxWords+1)},
		{Text: "\xff\xfe"},
	} {
		if _, err := x.Search(t.Context(), "M1", q); !errors.Is(err, index.ErrInvalid) {
			t.Errorf("Search(%+v) error = %v, want ErrInvalid", q, err)
		}
	}
	if r := search(t, x, "M1", index.Query{Limit: index.MaxLimit}); len(r.Rows) != len(people) {
		t.Errorf("Search(limit %d) = %d rows, want %d", index.MaxLimit, len(r.Rows), len(people))
	}
	if r := search(t, x, "unknown", index.Query{Text: "jane"}); len(r.Rows) != 0 || r.Total != 0 {
		t.Errorf("Search(unknown merchant) = %v, %d, want nothing", ids(r), r.Total)
	}
}

func testPutNeverLetsAnOlderStateWin(t *testing.T, e Engine) {
	t.Parallel()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	v := func(version int64, updated int, name string) index.Customer {
		return index.Customer{ID: "c1", Version: version, CreatedAt: t0, UpdatedAt: at(updated), GivenName: name}
	}
	type op struct {
		put     *index.Customer
		del     bool
		version int64
		delAt   int
		applied bool
	}
	p := func(c index.Customer, applied bool) op { return op{put: &c, applied: applied} }
	d := func(version int64, at int, applied bool) op {
		return op{del: true, version: version, delAt: at, applied: applied}
	}
	tests := []struct {
		name string
		ops  []op
		want string // the given name left, "" for none
	}{
		{"newer version replaces", []op{p(v(1, 1, "old"), true), p(v(2, 2, "new"), true)}, "new"},
		{"older version is ignored", []op{p(v(2, 2, "new"), true), p(v(1, 1, "old"), false)}, "new"},
		{"older version with a later time is ignored", []op{p(v(2, 2, "new"), true), p(v(1, 9, "old"), false)}, "new"},
		{"same version, later update replaces", []op{p(v(2, 2, "a"), true), p(v(2, 3, "b"), true)}, "b"},
		{"same version, earlier update is ignored", []op{p(v(2, 3, "b"), true), p(v(2, 2, "a"), false)}, "b"},
		{"the same state twice is stored once", []op{p(v(2, 2, "a"), true), p(v(2, 2, "a"), false)}, "a"},
		{"delete removes", []op{p(v(1, 1, "a"), true), d(1, 5, true)}, ""},
		{"delete wins over a late update", []op{p(v(1, 1, "a"), true), d(2, 5, true), p(v(2, 4, "late"), false)}, ""},
		{"delete wins over an update of the same version arriving later", []op{d(3, 5, true), p(v(3, 9, "late"), false)}, ""},
		{"delete of an unknown version wins over an older update", []op{p(v(1, 1, "a"), true), d(0, 5, true), p(v(2, 4, "late"), false)}, ""},
		{"delete before the create wins", []op{d(1, 5, true), p(v(1, 1, "created"), false)}, ""},
		{"re-created with a higher version after the delete", []op{p(v(1, 1, "a"), true), d(1, 5, true), p(v(2, 6, "again"), true)}, "again"},
		{"unknown-version delete, then a newer update", []op{p(v(1, 1, "a"), true), d(0, 5, true), p(v(2, 6, "again"), true)}, "again"},
		{"a delete older than the stored state is ignored", []op{p(v(5, 5, "five"), true), d(3, 9, false)}, "five"},
		{"a repeated delete changes nothing", []op{p(v(1, 1, "a"), true), d(1, 5, true), d(1, 5, false)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := e.New(t)
			for i, o := range tt.ops {
				var applied bool
				var err error
				if o.del {
					applied, err = x.Delete(t.Context(), "M1", "c1", o.version, at(o.delAt))
				} else {
					applied, err = x.Put(t.Context(), "M1", *o.put)
				}
				if err != nil || applied != o.applied {
					t.Errorf("op %d = %v, %v, want %v, nil", i, applied, err, o.applied)
				}
			}
			c, err := x.Get(t.Context(), "M1", "c1")
			switch {
			case tt.want == "" && !errors.Is(err, store.ErrNotFound):
				t.Errorf("Get(c1) = %+v, %v, want ErrNotFound", c, err)
			case tt.want != "" && (err != nil || c.GivenName != tt.want):
				t.Errorf("Get(c1) = %q, %v, want %q", c.GivenName, err, tt.want)
			}
			wantCount := 0
			if tt.want != "" {
				wantCount = 1
			}
			if n, err := x.Count(t.Context(), "M1"); err != nil || n != wantCount {
				t.Errorf("Count(M1) = %d, %v, want %d", n, err, wantCount)
			}
			r := search(t, x, "M1", index.Query{})
			if r.Total != wantCount || len(r.Rows) != wantCount {
				t.Errorf("Search(M1) = %v, total %d, want %d rows", ids(r), r.Total, wantCount)
			}
			if tt.want != "" {
				if got := ids(search(t, x, "M1", index.Query{Text: tt.want})); !slices.Equal(got, []string{"c1"}) {
					t.Errorf("Search(%q) = %v, want [c1] (the search index follows the row)", tt.want, got)
				}
			}
			// The states that lost are not found by their text.
			for _, o := range tt.ops {
				if o.put != nil && !strings.Contains(tt.want, o.put.GivenName) {
					if r := search(t, x, "M1", index.Query{Text: o.put.GivenName}); len(r.Rows) != 0 || r.Total != 0 {
						t.Errorf("Search(%q) = %v, total %d, want nothing (that state lost)", o.put.GivenName, ids(r), r.Total)
					}
				}
			}
		})
	}
}

func testPutRefusesCustomersWithoutIdsOrOfAnotherMerchant(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	for _, tc := range []struct {
		merchant string
		c        index.Customer
	}{
		{"", index.Customer{ID: "a"}},
		{"M1", index.Customer{}},
		{"M1", index.Customer{ID: "a", MerchantID: "M2"}},
	} {
		if _, err := x.Put(t.Context(), tc.merchant, tc.c); !errors.Is(err, index.ErrInvalid) {
			t.Errorf("Put(%q, %+v) error = %v, want ErrInvalid", tc.merchant, tc.c, err)
		}
	}
}

func testMerchantsNeverSeeEachOthersCustomers(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	// The same customer ids and names in both merchants.
	mustPut(t, x, "M1", people...)
	mustPut(t, x, "M2", people[:3]...)
	mustPut(t, x, "M2", index.Customer{ID: "only2", GivenName: "Zora", Nickname: "雪", Note: "fern", GroupIDs: []string{"g"}, CreationSource: "X"})
	if _, err := x.Delete(t.Context(), "M2", "muller", 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Delete(t.Context(), "M2", "okafor", 7, time.Now()); err != nil {
		t.Fatal(err)
	}

	for _, q := range []index.Query{
		{}, {Text: "zora"}, {Text: "fern"}, {Text: "z"}, {Text: "muller"}, {Text: "okafor"}, {Text: "jane"},
		{GroupID: "g"}, {Source: "X"}, {Text: "zora", Sort: index.SortEmail}, {Text: "o", GroupID: "g"},
		{Text: "雪"}, {Text: "王"}, {Text: "雪", Sort: index.SortName},
	} {
		r := search(t, x, "M1", q)
		for _, h := range r.Rows {
			if h.MerchantID != "M1" || h.ID == "only2" {
				t.Errorf("Search(M1, %+v) returned %s of %s", q, h.ID, h.MerchantID)
			}
		}
		m1 := ids(r)
		r2 := search(t, x, "M2", q)
		for _, h := range r2.Rows {
			if h.MerchantID != "M2" {
				t.Errorf("Search(M2, %+v) returned %s of %s", q, h.ID, h.MerchantID)
			}
		}
		// M1's totals count M1's rows only.
		if q.Limit == 0 && r.Total != len(m1) {
			t.Errorf("Search(M1, %+v).Total = %d, want %d (the rows it has)", q, r.Total, len(m1))
		}
	}
	// The tombstones in M2 do not block M1's customers of the same id.
	if _, err := x.Get(t.Context(), "M1", "muller"); err != nil {
		t.Errorf("Get(M1, muller) after M2 deleted its muller error = %v", err)
	}
	if ok, err := x.Put(t.Context(), "M1", index.Customer{ID: "okafor", Version: 1, GivenName: "Ada", UpdatedAt: t0}); err != nil || !ok {
		t.Errorf("Put(M1, okafor v1) with a tombstone in M2 = %v, %v, want true", ok, err)
	}
	if seen, _ := x.SeenEvent(t.Context(), "M1", "evt"); seen {
		t.Errorf("SeenEvent(M1, evt) first time = true")
	}
	if seen, _ := x.SeenEvent(t.Context(), "M2", "evt"); seen {
		t.Errorf("SeenEvent(M2, evt) after M1 saw it = true, want false")
	}
	if n, _ := x.Count(t.Context(), "M2"); n != 3 {
		t.Errorf("Count(M2) = %d, want 3", n)
	}

	if err := x.DropMerchant(t.Context(), "M2"); err != nil {
		t.Fatalf("DropMerchant(M2) error = %v", err)
	}
	// Nothing is left of the dropped merchant, whatever the engine keeps.
	if e.Leftovers != nil {
		if n := e.Leftovers(t, x, "M2"); n != 0 {
			t.Errorf("rows left of M2 after DropMerchant = %d, want 0", n)
		}
	}
	if n, _ := x.Count(t.Context(), "M2"); n != 0 {
		t.Errorf("Count(M2) after DropMerchant = %d, want 0", n)
	}
	for _, text := range []string{"", "zora", "jane", "z", "雪"} {
		if r := search(t, x, "M2", index.Query{Text: text}); r.Total != 0 || len(r.Rows) != 0 {
			t.Errorf("Search(M2, %q) after DropMerchant = %v, total %d, want nothing", text, ids(r), r.Total)
		}
	}
	if seen, _ := x.SeenEvent(t.Context(), "M2", "evt"); seen {
		t.Errorf("SeenEvent(M2, evt) after DropMerchant = true, want the record gone")
	}
	if n, _ := x.Count(t.Context(), "M1"); n != len(people) {
		t.Errorf("Count(M1) after dropping M2 = %d, want %d", n, len(people))
	}
	if got := ids(search(t, x, "M1", index.Query{Text: "jane"})); !slices.Equal(got, []string{"fernandez"}) {
		t.Errorf("Search(M1, jane) after dropping M2 = %v, want [fernandez]", got)
	}
	// A merchant added after the drop starts empty.
	mustPut(t, x, "M3", index.Customer{ID: "n", GivenName: "Nell"})
	if r := search(t, x, "M3", index.Query{}); !slices.Equal(ids(r), []string{"n"}) || r.Total != 1 {
		t.Errorf("Search(M3) = %v, total %d, want [n], 1", ids(r), r.Total)
	}
}

func testSeenEventRecordsEachEventOnceUntilSwept(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	steps := []struct {
		merchant, event string
		want            bool
	}{
		{"M1", "e1", false}, {"M1", "e1", true}, {"M1", "e2", false}, {"M1", "e2", true},
	}
	for _, s := range steps {
		if got, err := x.SeenEvent(t.Context(), s.merchant, s.event); err != nil || got != s.want {
			t.Errorf("SeenEvent(%s, %s) = %v, %v, want %v", s.merchant, s.event, got, err, s.want)
		}
	}
	if err := x.ForgetEvent(t.Context(), "M1", "e2"); err != nil {
		t.Fatal(err)
	}
	if got, _ := x.SeenEvent(t.Context(), "M1", "e2"); got {
		t.Errorf("SeenEvent(M1, e2) after ForgetEvent = true, want false")
	}
	if _, err := x.Delete(t.Context(), "M1", "gone", 3, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, err := x.Sweep(t.Context(), time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("Sweep(an hour ago) = %d, %v, want 0", n, err)
	}
	if n, err := x.Sweep(t.Context(), time.Now().Add(time.Minute)); err != nil || n != 3 {
		t.Errorf("Sweep(now) = %d, %v, want 3 (two events and a tombstone)", n, err)
	}
	if got, _ := x.SeenEvent(t.Context(), "M1", "e1"); got {
		t.Errorf("SeenEvent(M1, e1) after Sweep = true, want false")
	}
	if _, err := x.SeenEvent(t.Context(), "M1", ""); !errors.Is(err, index.ErrInvalid) {
		t.Errorf("SeenEvent(M1, \"\") error = %v, want ErrInvalid", err)
	}
}

func testSyncStateIsKeptPerMerchantAndAdvancesWithItsPage(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	if s, err := x.SyncState(t.Context(), "M1"); err != nil || s.Ready() || len(s.Ranges) != 0 {
		t.Fatalf("SyncState(M1) before any sync = %+v, %v, want zero", s, err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := x.UpdateSyncState(t.Context(), "M1", func(s *index.SyncState) error {
		s.FullSyncStarted = start
		s.Ranges = []index.SyncRange{{From: t0, To: t0.AddDate(1, 0, 0)}, {From: t0.AddDate(1, 0, 0), To: start}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A page and its cursor are stored together.
	n, err := x.PutAll(t.Context(), "M1", people[:2], func(s *index.SyncState) error {
		s.Ranges[1].Cursor, s.Ranges[1].Indexed = "cur-2", s.Ranges[1].Indexed+2
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("PutAll(2 customers) = %d, %v, want 2", n, err)
	}
	// A failing update stores neither the page nor the state.
	boom := errors.New("boom")
	if _, err := x.PutAll(t.Context(), "M1", people[2:4], func(*index.SyncState) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("PutAll(failing sync) error = %v, want boom", err)
	}
	if c, _ := x.Count(t.Context(), "M1"); c != 2 {
		t.Errorf("Count(M1) after a failed PutAll = %d, want 2", c)
	}
	s, err := x.SyncState(t.Context(), "M1")
	if err != nil {
		t.Fatal(err)
	}
	if s.Ranges[1].Cursor != "cur-2" || s.Indexed() != 2 || s.Ready() || !s.FullSyncStarted.Equal(start) {
		t.Errorf("SyncState(M1) = %+v, want range 2 at cur-2 with 2 indexed, not ready", s)
	}
	if err := x.UpdateSyncState(t.Context(), "M1", func(s *index.SyncState) error { s.FullSyncDone = start.Add(time.Minute); return nil }); err != nil {
		t.Fatal(err)
	}
	if s, _ := x.SyncState(t.Context(), "M1"); !s.Ready() {
		t.Errorf("SyncState(M1).Ready() after FullSyncDone = false, want true")
	}
	if s, _ := x.SyncState(t.Context(), "M2"); s.Ready() || len(s.Ranges) != 0 {
		t.Errorf("SyncState(M2) = %+v, want zero (M1's is its own)", s)
	}
}

func testFromSquareKeepsEveryIndexedField(t *testing.T, e Engine) {
	t.Parallel()
	sc := &square.Customer{
		ID: "C", Version: 4, CreatedAt: square.Timestamp{Time: t0}, UpdatedAt: square.Timestamp{Time: t0.Add(time.Hour)},
		GivenName: "G", FamilyName: "F", Nickname: "N", CompanyName: "Co", EmailAddress: "e@x.test", PhoneNumber: "+1",
		ReferenceID: "R", Note: "note", CreationSource: "THIRD_PARTY", GroupIDs: []string{"g1"},
	}
	want := index.Customer{ID: "C", Version: 4, CreatedAt: t0, UpdatedAt: t0.Add(time.Hour), GivenName: "G", FamilyName: "F", Nickname: "N",
		CompanyName: "Co", EmailAddress: "e@x.test", PhoneNumber: "+1", ReferenceID: "R", Note: "note", CreationSource: "THIRD_PARTY", GroupIDs: []string{"g1"}}
	got := index.FromSquare(sc)
	if !equalCustomer(got, want) {
		t.Errorf("FromSquare() = %+v, want %+v", got, want)
	}
	x := e.New(t)
	mustPut(t, x, "M1", got)
	stored, err := x.Get(t.Context(), "M1", "C")
	want.MerchantID = "M1"
	if err != nil || !equalCustomer(stored, want) {
		t.Errorf("Get(C) = %+v, %v, want %+v", stored, err, want)
	}
}

func equalCustomer(a, b index.Customer) bool {
	same := slices.Equal(a.GroupIDs, b.GroupIDs) && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
	a.GroupIDs, b.GroupIDs = nil, nil
	a.CreatedAt, b.CreatedAt, a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return same && reflect.DeepEqual(a, b)
}

func testSearchCountsBroadMatchesUpToMaxCountedAndTotalCountsThemAll(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	const n = index.MaxCounted + 5
	page := make([]index.Customer, n)
	for i := range page {
		page[i] = index.Customer{ID: fmt.Sprintf("c%04d", i), GivenName: fmt.Sprintf("Name%04d", (i*7919)%n), CreatedAt: t0, UpdatedAt: t0,
			Note: "membership", EmailAddress: fmt.Sprintf("u%d@example.com", i)}
	}
	// One customer has the word outside the note, and ranks first.
	page[n-1].CompanyName = "Membership Quilters"
	if _, err := x.PutAll(t.Context(), "M1", page, nil); err != nil {
		t.Fatal(err)
	}
	r := search(t, x, "M1", index.Query{Text: "membership"})
	if !r.Capped || r.Total != index.MaxCounted || len(r.Rows) != index.DefaultLimit {
		t.Errorf("Search(membership) = %d rows, total %d, capped %v, want %d rows, total %d, capped", len(r.Rows), r.Total, r.Capped, index.DefaultLimit, index.MaxCounted)
	}
	if len(r.Rows) > 0 && r.Rows[0].ID != page[n-1].ID {
		t.Errorf("Search(membership) first = %s, want %s (the match outside the note)", r.Rows[0].ID, page[n-1].ID)
	}
	if got, err := x.Total(t.Context(), "M1", index.Query{Text: "membership"}); err != nil || got != n {
		t.Errorf("Total(membership) = %d, %v, want %d", got, err, n)
	}
	if got, err := x.Total(t.Context(), "M1", index.Query{Text: "membership quilt"}); err != nil || got != 1 {
		t.Errorf("Total(membership quilt) = %d, %v, want 1", got, err)
	}
	// Without text, a total of any size is exact at once, filtered or not.
	for _, q := range []index.Query{{}, {CreatedFrom: t0}, {CreatedTo: t0.Add(time.Millisecond)}} {
		if r := search(t, x, "M1", q); r.Capped || r.Total != n {
			t.Errorf("Search(%+v) total %d, capped %v, want %d, not capped", q, r.Total, r.Capped, n)
		}
	}
	if r := search(t, x, "M1", index.Query{Text: "name000"}); r.Capped || r.Total != 10 {
		t.Errorf("Search(name000) total %d, capped %v, want 10, not capped", r.Total, r.Capped)
	}
	// A broad search in a column's order walks that column's index.
	names := make([]string, n)
	for i, c := range page {
		names[i] = strings.ToLower(c.GivenName)
	}
	slices.Sort(names)
	for _, tc := range []struct {
		q    index.Query
		want []string
	}{
		{index.Query{Text: "membership", Sort: index.SortName, Limit: 3}, names[:3]},
		{index.Query{Text: "membership", Sort: index.SortName, Desc: true, Limit: 2}, []string{names[n-1], names[n-2]}},
		{index.Query{Text: "membership example", Sort: index.SortName, Limit: 2, Offset: 10}, names[10:12]},
	} {
		r := search(t, x, "M1", tc.q)
		var got []string
		for _, h := range r.Rows {
			got = append(got, strings.ToLower(h.GivenName))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Search(%+v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	// Paging a broad ranked search never repeats or skips a customer.
	seen := map[string]bool{}
	for off := 0; off < n; off += index.MaxLimit {
		for _, h := range search(t, x, "M1", index.Query{Text: "membership", Limit: index.MaxLimit, Offset: off}).Rows {
			if seen[h.ID] {
				t.Fatalf("Search(membership) paged returned %s twice", h.ID)
			}
			seen[h.ID] = true
		}
	}
	if len(seen) != n {
		t.Errorf("Search(membership) paged returned %d customers, want %d", len(seen), n)
	}
}

func testConcurrentWritesAndSearchesNeitherFailNorLoseACustomer(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	const writers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				c := index.Customer{ID: fmt.Sprintf("w%d-%d", w, i), GivenName: "Concurrent", Version: 1, UpdatedAt: t0}
				if _, err := x.Put(t.Context(), "M1", c); err != nil {
					errs <- err
				}
				if _, err := x.Search(t.Context(), "M1", index.Query{Text: "concurrent"}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Put or Search while others write: error = %v", err)
	}
	if r := search(t, x, "M1", index.Query{Text: "concurrent"}); r.Total != writers*each {
		t.Errorf("Search(concurrent).Total = %d, want %d", r.Total, writers*each)
	}
}

type recorder struct {
	mu      sync.Mutex
	changes []string
}

type tagKey struct{}

func (r *recorder) watch(ctx context.Context, cs []index.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	tag, _ := ctx.Value(tagKey{}).(string)
	for _, c := range cs {
		before, after := "-", "-"
		if c.Before != nil {
			before = c.Before.GivenName
		}
		if c.After != nil {
			after = c.After.GivenName + "/" + c.After.MerchantID
		}
		r.changes = append(r.changes, fmt.Sprintf("%s %s %s %d %s->%s", tag, c.MerchantID, c.CustomerID(), c.Origin, before, after))
	}
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.changes
	r.changes = nil
	return out
}

func testWatchersAreToldOfEachChangeOnceWithItsStatesAndOrigin(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	var r recorder
	x.Watch(r.watch)
	ctx := context.WithValue(t.Context(), tagKey{}, "w")
	tessera := index.WithOrigin(ctx, index.OriginTessera)

	steps := []struct {
		name string
		do   func() error
		want []string
	}{
		{"a new customer", func() error {
			_, err := x.Put(ctx, "M1", index.Customer{ID: "c1", Version: 1, GivenName: "Ana", CreatedAt: t0, UpdatedAt: t0})
			return err
		}, []string{"w M1 c1 0 -->Ana/M1"}},
		{"the same state again", func() error {
			_, err := x.Put(ctx, "M1", index.Customer{ID: "c1", Version: 1, GivenName: "Ana", CreatedAt: t0, UpdatedAt: t0})
			return err
		}, nil},
		{"a newer state, written through Tessera", func() error {
			_, err := x.Put(tessera, "M1", index.Customer{ID: "c1", Version: 2, GivenName: "Anna", CreatedAt: t0, UpdatedAt: t0})
			return err
		}, []string{"w M1 c1 1 Ana->Anna/M1"}},
		{"an older state delivered late", func() error {
			_, err := x.Put(ctx, "M1", index.Customer{ID: "c1", Version: 1, GivenName: "Ana", CreatedAt: t0, UpdatedAt: t0})
			return err
		}, nil},
		{"a page of a full sync", func() error {
			_, err := x.PutAll(index.WithOrigin(ctx, index.OriginFullSync), "M1", []index.Customer{{ID: "c2", Version: 1, GivenName: "Bo", CreatedAt: t0, UpdatedAt: t0}}, nil)
			return err
		}, nil},
		{"a deletion", func() error {
			_, err := x.Delete(ctx, "M1", "c1", 3, t0)
			return err
		}, []string{"w M1 c1 0 Anna->-"}},
		{"the deletion again", func() error {
			_, err := x.Delete(ctx, "M1", "c1", 3, t0)
			return err
		}, nil},
		{"an update delivered after the deletion", func() error {
			_, err := x.Put(ctx, "M1", index.Customer{ID: "c1", Version: 2, GivenName: "Anna", CreatedAt: t0, UpdatedAt: t0})
			return err
		}, nil},
		{"a deletion of a customer the index never had", func() error {
			_, err := x.Delete(ctx, "M1", "nobody", 1, t0)
			return err
		}, nil},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: error = %v", s.name, err)
		}
		got := r.take()
		if fmt.Sprint(got) != fmt.Sprint(s.want) {
			t.Errorf("%s: watcher told %q, want %q", s.name, got, s.want)
		}
	}
	if n, err := x.Count(t.Context(), "M1"); err != nil || n != 1 {
		t.Errorf("Count(M1) = %d, %v, want 1 (the full sync's customer), nil", n, err)
	}
}

// testTotalsWithoutTextAreExactUnderEveryFilter checks the totals that
// index_counts serves against a count of the customers themselves, after
// inserts, updates that move a customer between days, sources and groups,
// and deletes, for created ranges that start and end inside days and on
// their edges.
func testTotalsWithoutTextAreExactUnderEveryFilter(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	r := rand.New(rand.NewPCG(7, 8))
	sources := []string{"DIRECTORY", "THIRD_PARTY", "MERGE"}
	groups := []string{"vip", "staff"}
	at := func() time.Time { return t0.Add(time.Duration(r.IntN(10*24*60)) * time.Minute) }
	random := func(id string, version int64) index.Customer {
		var gs []string
		for _, g := range groups {
			if r.IntN(3) == 0 {
				gs = append(gs, g)
			}
		}
		if len(gs) > 0 && r.IntN(4) == 0 {
			gs = append(gs, gs[0]) // a repeated group counts once
		}
		created := at()
		return index.Customer{ID: id, Version: version, CreatedAt: created, UpdatedAt: created, GivenName: "N" + id,
			CreationSource: sources[r.IntN(len(sources))], GroupIDs: gs}
	}
	live := map[string]index.Customer{}
	var page []index.Customer
	for i := range 300 {
		c := random(fmt.Sprintf("c%03d", i), 1)
		page = append(page, c)
		live[c.ID] = c
	}
	if _, err := x.PutAll(t.Context(), "M1", page, nil); err != nil {
		t.Fatal(err)
	}
	// Another merchant's customers never count.
	if _, err := x.PutAll(t.Context(), "M2", page[:50], nil); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		id := fmt.Sprintf("c%03d", i)
		switch i % 5 {
		case 0:
			if _, err := x.Delete(t.Context(), "M1", id, 0, time.Time{}); err != nil {
				t.Fatal(err)
			}
			delete(live, id)
		case 1, 2:
			c := random(id, 2)
			mustPut(t, x, "M1", c)
			live[id] = c
		}
	}

	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	queries := []index.Query{{}, {Source: "MERGE"}, {GroupID: "vip"}, {GroupID: "staff", Source: "DIRECTORY"}, {GroupID: "none"},
		{CreatedFrom: day(2), CreatedTo: day(5)}, {CreatedFrom: day(2)}, {CreatedTo: day(5)}, {CreatedFrom: day(3), CreatedTo: day(3)},
		{CreatedFrom: day(5), CreatedTo: day(2)}, {CreatedFrom: day(-5), CreatedTo: day(50)}}
	for range 60 {
		a, b := at(), at()
		if b.Before(a) {
			a, b = b, a
		}
		q := index.Query{CreatedFrom: a, CreatedTo: b}
		switch r.IntN(4) {
		case 0:
			q.Source = sources[r.IntN(len(sources))]
		case 1:
			q.GroupID = groups[r.IntN(len(groups))]
		case 2:
			q.CreatedTo = time.Time{}
		case 3:
			q.CreatedFrom, q.Source = time.Time{}, "MERGE"
		}
		queries = append(queries, q)
	}
	for _, q := range queries {
		want := 0
		for _, c := range live {
			if (q.CreatedFrom.IsZero() || !c.CreatedAt.Before(q.CreatedFrom)) && (q.CreatedTo.IsZero() || c.CreatedAt.Before(q.CreatedTo)) &&
				(q.Source == "" || c.CreationSource == q.Source) && (q.GroupID == "" || slices.Contains(c.GroupIDs, q.GroupID)) {
				want++
			}
		}
		if got := search(t, x, "M1", q); got.Total != want || got.Capped {
			t.Errorf("Search(%+v).Total = %d (capped %v), want %d", q, got.Total, got.Capped, want)
		}
	}
}

// every is the whole of a query's matches as Search pages them.
func every(t *testing.T, x Indexer, merchantID string, q index.Query) []string {
	t.Helper()
	var out []string
	q.Limit = index.MaxLimit
	for q.Offset = 0; ; q.Offset += index.MaxLimit {
		r := search(t, x, merchantID, q)
		out = append(out, ids(r)...)
		if len(r.Rows) < index.MaxLimit {
			return out
		}
	}
}

// EachID gives exactly what the directory's pages give, in the same order,
// across batches that split runs of equal sort keys, and nothing of
// another merchant.
func testEachIDGivesEveryMatchInTheDirectorysOrder(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	var cs []index.Customer
	for i := range 1200 {
		c := index.Customer{ID: fmt.Sprintf("c%04d", i), GivenName: []string{"Ada", "Bea", "Cy"}[i%3], FamilyName: "Ortiz",
			CompanyName: []string{"", "Acme"}[i%2], EmailAddress: fmt.Sprintf("p%d@example.com", i%50),
			CreatedAt: t0.AddDate(0, 0, i%40), CreationSource: []string{"DIRECTORY", "THIRD_PARTY"}[i%2]}
		if i%7 == 0 {
			c.GroupIDs = []string{"vip"}
			c.Note = "wholesale account"
		}
		cs = append(cs, c)
	}
	mustPut(t, x, "M1", cs...)
	mustPut(t, x, "M2", index.Customer{ID: "other", GivenName: "Ada", FamilyName: "Ortiz"})
	for _, q := range []index.Query{
		{},
		{Sort: index.SortName, Desc: true},
		{Sort: index.SortCompany},
		{Sort: index.SortEmail, Desc: true},
		{Sort: index.SortCreated},
		{Sort: index.SortUpdated, Desc: true},
		{Source: "THIRD_PARTY", Sort: index.SortCreated},
		{GroupID: "vip"},
		{CreatedFrom: t0.AddDate(0, 0, 5), CreatedTo: t0.AddDate(0, 0, 9), Sort: index.SortCreated, Desc: true},
		{Text: "wholesale"},
		{Text: "wholesale", Sort: index.SortEmail},
		{Text: "ada", Sort: index.SortCreated},
		{Text: "cy"},
		{Text: "p1@"},
	} {
		var gotIDs []string
		if err := x.EachID(t.Context(), "M1", q, 37, func(ids []string) error {
			if len(ids) == 0 || len(ids) > 37 {
				t.Errorf("EachID gave a batch of %d", len(ids))
			}
			gotIDs = append(gotIDs, ids...)
			return nil
		}); err != nil {
			t.Fatalf("EachID(%+v) = %v", q, err)
		}
		want := every(t, x, "M1", q)
		if !slices.Equal(gotIDs, want) {
			t.Errorf("EachID(%+v) gave %d ids, the directory's pages %d; first difference in %v… vs %v…", q, len(gotIDs), len(want), head(gotIDs), head(want))
		}
		if slices.Contains(gotIDs, "other") {
			t.Errorf("EachID(%+v) gave another merchant's customer", q)
		}
		if len(want) == 0 {
			t.Errorf("EachID(%+v) matched nobody: the case tests nothing", q)
		}
	}
}

func head(s []string) []string { return s[:min(len(s), 5)] }

// A search matching more than MaxCounted customers, in order of relevance,
// comes in name order: ranking them all would hold them all.
func testEachIDGivesABroadSearchInNameOrder(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	var cs []index.Customer
	for i := range index.MaxCounted + 20 {
		cs = append(cs, index.Customer{ID: fmt.Sprintf("c%04d", i), GivenName: fmt.Sprintf("N%04d", (i*7919)%(index.MaxCounted+20)), Note: "loyal since opening"})
	}
	mustPut(t, x, "M1", cs...)
	var got []string
	if err := x.EachID(t.Context(), "M1", index.Query{Text: "loyal"}, 100, func(ids []string) error {
		got = append(got, ids...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := every(t, x, "M1", index.Query{Text: "loyal", Sort: index.SortName}); !slices.Equal(got, want) {
		t.Errorf("a broad search gave %d customers not in name order (%v…, want %v…)", len(got), head(got), head(want))
	}
}

func testEachIDStopsAtTheCallersError(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	mustPut(t, x, "M1", index.Customer{ID: "a", GivenName: "A"}, index.Customer{ID: "b", GivenName: "B"})
	stop := fmt.Errorf("stop")
	calls := 0
	err := x.EachID(t.Context(), "M1", index.Query{}, 1, func([]string) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("EachID = %v after %d calls, want stop after 1", err, calls)
	}
	if err := x.EachID(t.Context(), "nobody", index.Query{}, 1, func([]string) error { t.Error("called for a merchant with nothing"); return nil }); err != nil {
		t.Errorf("EachID of an unknown merchant = %v", err)
	}
}

func testLikelyFindsTheSameEmailOrPhoneDigitsOfOneMerchantOnly(t *testing.T, e Engine) {
	x := e.New(t)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mustPut(t, x, "M1",
		index.Customer{ID: "ada", GivenName: "Ada", EmailAddress: "Ada.Lovelace@Example.com", CreatedAt: at, UpdatedAt: at},
		index.Customer{ID: "grace", GivenName: "Grace", PhoneNumber: "+1 (360) 555-0155", CreatedAt: at, UpdatedAt: at},
		index.Customer{ID: "none", GivenName: "No contact", CreatedAt: at, UpdatedAt: at},
	)
	mustPut(t, x, "M2", index.Customer{ID: "other", GivenName: "Ada", EmailAddress: "ada.lovelace@example.com", CreatedAt: at, UpdatedAt: at})
	cases := []struct {
		email, phone string
		want         []string
	}{
		{"ada.lovelace@example.com", "", []string{"ada"}},
		{"", "13605550155", []string{"grace"}},
		{"ADA.LOVELACE@EXAMPLE.COM", "1-360-555-0155", []string{"ada", "grace"}},
		{"", "", nil},
		{"", "155", nil},
		{"someone@example.com", "", nil},
	}
	var contacts []index.Contact
	for _, tc := range cases {
		contacts = append(contacts, index.Contact{Email: tc.email, Phone: tc.phone})
	}
	found, err := x.Likely(t.Context(), "M1", contacts, 5)
	if err != nil || len(found) != len(cases) {
		t.Fatalf("Likely = %d answers, %v; want one per contact", len(found), err)
	}
	for i, tc := range cases {
		var ids []string
		for _, c := range found[i] {
			ids = append(ids, c.ID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("Likely(%q, %q) = %v, want %v", tc.email, tc.phone, ids, tc.want)
		}
	}
}

// testShortWordsOutsideASCIIAreFoundThroughTheirFragments checks that the
// words looked up in index_frags find, rank, sort, filter and count exactly
// as the words read from every row do.
func testShortWordsOutsideASCIIAreFoundThroughTheirFragments(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	// Inserted worst first, so that index order alone would get it wrong.
	mustPut(t, x, "M1",
		index.Customer{ID: "note", GivenName: "Bob", Note: "王先生\u3000常客", CreationSource: "NOTES"},
		index.Customer{ID: "company", GivenName: "Ann", CompanyName: "王氏商行"},
		index.Customer{ID: "infix", GivenName: "大王", EmailAddress: "da王@example.com"},
		index.Customer{ID: "prefix", GivenName: "王小明", CreationSource: "NOTES"},
		index.Customer{ID: "word", GivenName: "芳", FamilyName: "王"},
		index.Customer{ID: "other", GivenName: "김", FamilyName: "민준"},
		index.Customer{ID: "spaced", GivenName: "先", FamilyName: "生"},
	)
	for _, mode := range e.modes(x) {
		t.Run(mode.Name, func(t *testing.T) {
			for _, tc := range []struct {
				q    index.Query
				want []string
			}{
				{index.Query{Text: "王"}, []string{"word", "prefix", "company", "infix", "note"}},
				{index.Query{Text: "王", Limit: 2, Offset: 2}, []string{"company", "infix"}},
				{index.Query{Text: "王", Source: "NOTES"}, []string{"prefix", "note"}},
				{index.Query{Text: "王", Sort: index.SortName, Desc: true}, []string{"word", "prefix", "infix", "note", "company"}},
				{index.Query{Text: "a王"}, []string{"infix"}},
				{index.Query{Text: "小明"}, []string{"prefix"}},
				{index.Query{Text: "王 ann"}, []string{"company"}},
				{index.Query{Text: "王 商行"}, []string{"company"}},
				{index.Query{Text: "先生"}, []string{"note"}},
				{index.Query{Text: "生 先"}, []string{"spaced", "note"}},
				{index.Query{Text: "민"}, []string{"other"}},
				{index.Query{Text: "王a"}, []string{}},
				{index.Query{Text: "黄"}, []string{}},
			} {
				r := search(t, mode.X, "M1", tc.q)
				if got := ids(r); !slices.Equal(got, tc.want) {
					t.Errorf("Search(%+v) = %v, want %v", tc.q, got, tc.want)
				}
				total := len(tc.want)
				if tc.q.Limit != 0 {
					total = 5
				}
				if r.Total != total || r.Capped {
					t.Errorf("Search(%+v).Total = %d (capped %v), want %d", tc.q, r.Total, r.Capped, total)
				}
			}
		})
	}
}

func testShortWordsOutsideASCIIAreCountedExactlyHoweverMany(t *testing.T, e Engine) {
	t.Parallel()
	x := e.New(t)
	const n = index.MaxCounted + 5
	page := make([]index.Customer, n)
	for i := range page {
		page[i] = index.Customer{ID: fmt.Sprintf("c%04d", i), GivenName: "芳", FamilyName: "王", CreatedAt: t0, UpdatedAt: t0}
	}
	page[0].GivenName = "伟"
	if _, err := x.PutAll(t.Context(), "M1", page, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want int
	}{{"王", n}, {"王 芳", n - 1}, {"伟 王", 1}, {"芳 伟", 0}} {
		if r := search(t, x, "M1", index.Query{Text: tc.text}); r.Total != tc.want || r.Capped {
			t.Errorf("Search(%s).Total = %d (capped %v), want %d", tc.text, r.Total, r.Capped, tc.want)
		}
	}
}
