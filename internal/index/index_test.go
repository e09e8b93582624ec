package index

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/square"
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

func TestSearchFindsAnyFragmentInAnyScriptWithoutCaseOrAccents(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
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
	tiered := *x
	tiered.rankAllUpTo = 0
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			r := search(t, x, "M1", Query{Text: tt.text})
			if tr := search(t, &tiered, "M1", Query{Text: tt.text}); !slices.Equal(ids(tr), ids(r)) {
				t.Errorf("Search(%q) by tiers = %v, all at once = %v, want the same", tt.text, ids(tr), ids(r))
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

func TestSearchIgnoresPhoneFormatting(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	mustPut(t, x, "M1", people...)
	for _, text := range []string{"5550155", "555-0155", "(360) 555-0155", "+13605550155", "+1 (360) 555-0155", "360.555.0155", "360-555-0155", "0155", "1 360 555 0155"} {
		t.Run(text, func(t *testing.T) {
			t.Parallel()
			if got := ids(search(t, x, "M1", Query{Text: text})); !slices.Equal(got, []string{"fernandez"}) {
				t.Errorf("Search(%q) = %v, want [fernandez]", text, got)
			}
		})
	}
	if got := ids(search(t, x, "M1", Query{Text: "555"})); len(got) != 2 {
		t.Errorf("Search(555) = %v, want the two 555 numbers", got)
	}
}

func TestSearchTreatsQuerySyntaxAsLiteralText(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
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
			r := search(t, x, "M1", Query{Text: tt.text})
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
	if r := search(t, x, "M1", Query{Text: "\x00\x00\x01"}); r.Total != len(people) {
		t.Errorf("Search(NUL NUL SOH).Total = %d, want %d (no words)", r.Total, len(people))
	}
	// OR is text too: it finds the customers with "or" somewhere, not all.
	got := ids(search(t, x, "M1", Query{Text: "OR"}))
	slices.Sort(got)
	if want := []string{"fernandez", "hostile", "lindqvist", "okafor"}; !slices.Equal(got, want) {
		t.Errorf(`Search("OR") = %v, want %v`, got, want)
	}
	if n, err := x.Count(t.Context(), "M1"); err != nil || n != len(people) {
		t.Errorf("Count(M1) after hostile searches = %d, %v, want %d", n, err, len(people))
	}
}

func TestSearchHighlightsMatchesInTheOriginalText(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	mustPut(t, x, "M1", people...)
	tests := []struct {
		text  string
		id    string
		field Field
		want  []string
	}{
		{"fernan", "fernandez", FieldFamilyName, []string{"Fernán"}},
		{"fernan", "fernandez", FieldEmail, []string{"fernan"}},
		{"5550155", "fernandez", FieldPhone, []string{"555-0155"}},
		{"(360)", "fernandez", FieldPhone, []string{"(360)"}},
		{"ss", "muller", FieldCompanyName, []string{"ß"}},
		{"jose", "decomposed", FieldGivenName, []string{"Jose\u0301"}},
		{"ива", "petrov", FieldGivenName, []string{"Ива"}},
		{"明", "wang", FieldGivenName, []string{"明"}},
		{"ne o", "okafor", FieldGivenName, nil},
		{"e", "fernandez", FieldGivenName, []string{"e"}},
		{"n fern", "fernandez", FieldFamilyName, []string{"Fern", "n"}},
		{"mor ngs", "fernandez", FieldNote, []string{"mor", "ngs"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			r := search(t, x, "M1", Query{Text: tt.text, Limit: 100})
			i := slices.IndexFunc(r.Rows, func(h Hit) bool { return h.ID == tt.id })
			if i < 0 {
				if tt.want != nil {
					t.Fatalf("Search(%q) = %v, want %s among them", tt.text, ids(r), tt.id)
				}
				return
			}
			h := r.Rows[i]
			value := map[Field]string{FieldGivenName: h.GivenName, FieldFamilyName: h.FamilyName, FieldCompanyName: h.CompanyName,
				FieldEmail: h.EmailAddress, FieldPhone: h.PhoneNumber, FieldNote: h.Note}[tt.field]
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

func TestSearchRanksNameWordsThenPrefixesThenOtherFieldsThenNotes(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	// Inserted worst first, so that index order alone would get it wrong.
	mustPut(t, x, "M1",
		Customer{ID: "note", GivenName: "Bob", FamilyName: "Stone", Note: "asked about the fern delivery, hopes", CreationSource: "NOTES"},
		Customer{ID: "email", GivenName: "Ola", FamilyName: "Berg", EmailAddress: "olafern@example.com"},
		Customer{ID: "company", GivenName: "Ann", FamilyName: "Lee", CompanyName: "Ferngrove Ltd"},
		Customer{ID: "infix", GivenName: "Lu", FamilyName: "Alfernsen"},
		Customer{ID: "nick", GivenName: "Sam", FamilyName: "Hope", Nickname: "Fernie", CreationSource: "NOTES"},
		Customer{ID: "prefix", GivenName: "Jane", FamilyName: "Fernández"},
		Customer{ID: "word", GivenName: "Fern", FamilyName: "Gully"},
		Customer{ID: "other", GivenName: "Zed", FamilyName: "Zulu"},
	)
	want := []string{"word", "prefix", "nick", "email", "company", "infix", "note"}
	// Both ways of ranking give the same order: all matches at once (few
	// matches) and tier by tier (many).
	tiered := *x
	tiered.rankAllUpTo = 0
	for _, mode := range []struct {
		name string
		x    *Index
	}{{"all at once", x}, {"by tiers", &tiered}} {
		t.Run(mode.name, func(t *testing.T) {
			r := search(t, mode.x, "M1", Query{Text: "fern"})
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
					p := search(t, mode.x, "M1", Query{Text: "fern", Limit: size, Offset: off})
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
			if got := ids(search(t, mode.x, "M1", Query{Text: "a fern"})); !slices.Equal(got, []string{"prefix", "nick", "email", "company", "infix", "note"}) {
				t.Errorf("Search(a fern) = %v, want [prefix nick email company infix note] (not Fern Gully, who has no a)", got)
			}
			// A filter applies to every tier.
			if got := ids(search(t, mode.x, "M1", Query{Text: "fern", Source: "NOTES"})); !slices.Equal(got, []string{"nick", "note"}) {
				t.Errorf("Search(fern, source NOTES) = %v, want [nick note]", got)
			}
			// A short word ranks the same way.
			if got := ids(search(t, mode.x, "M1", Query{Text: "hop"})); !slices.Equal(got, []string{"nick", "note"}) {
				t.Errorf("Search(hop) = %v, want [nick note]", got)
			}
		})
	}
}

func TestSearchSortsFiltersAndPagesTheDirectory(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	mustPut(t, x, "M1",
		Customer{ID: "c", GivenName: "Carla", FamilyName: "Ortiz", CompanyName: "Zeta", EmailAddress: "carla@b.test", PhoneNumber: "555-0003", CreatedAt: day(3), UpdatedAt: day(10), CreationSource: "DIRECTORY", GroupIDs: []string{"vip"}},
		Customer{ID: "a", GivenName: "Ávila", FamilyName: "Ruiz", CompanyName: "alpha", EmailAddress: "zed@a.test", PhoneNumber: "555-0009", CreatedAt: day(1), UpdatedAt: day(12), CreationSource: "THIRD_PARTY", GroupIDs: []string{"vip", "staff"}},
		Customer{ID: "b", GivenName: "bruno", FamilyName: "Ortiz", CompanyName: "Mu", EmailAddress: "bruno@c.test", PhoneNumber: "555-0001", CreatedAt: day(2), UpdatedAt: day(11), CreationSource: "THIRD_PARTY"},
		Customer{ID: "e", EmailAddress: "anon@d.test", CreatedAt: day(5), UpdatedAt: day(5), CreationSource: "DIRECTORY"},
		Customer{ID: "d", GivenName: "Dana", FamilyName: "Ortiz", CreatedAt: day(4), UpdatedAt: day(4), CreationSource: "DIRECTORY", GroupIDs: []string{"staff"}},
	)
	tests := []struct {
		name  string
		q     Query
		want  []string
		total int
	}{
		// A customer without a name sorts by what the Name column shows for
		// it, here the email address.
		{"by the name the directory shows, accents and case ignored", Query{}, []string{"e", "a", "b", "c", "d"}, 5},
		{"by name descending", Query{Sort: SortName, Desc: true}, []string{"d", "c", "b", "a", "e"}, 5},
		{"by company", Query{Sort: SortCompany}, []string{"a", "b", "c", "e", "d"}, 5},
		{"by email", Query{Sort: SortEmail}, []string{"e", "b", "c", "a", "d"}, 5},
		{"by phone", Query{Sort: SortPhone}, []string{"b", "c", "a", "e", "d"}, 5},
		{"by created", Query{Sort: SortCreated}, []string{"a", "b", "c", "d", "e"}, 5},
		{"by created descending", Query{Sort: SortCreated, Desc: true}, []string{"e", "d", "c", "b", "a"}, 5},
		{"by updated", Query{Sort: SortUpdated}, []string{"d", "e", "c", "b", "a"}, 5},
		{"source", Query{Source: "THIRD_PARTY"}, []string{"a", "b"}, 2},
		{"group", Query{GroupID: "vip"}, []string{"a", "c"}, 2},
		{"group and source", Query{GroupID: "staff", Source: "DIRECTORY"}, []string{"d"}, 1},
		{"created range, end excluded", Query{CreatedFrom: day(2), CreatedTo: day(4), Sort: SortCreated}, []string{"b", "c"}, 2},
		{"text with a sort", Query{Text: "ortiz", Sort: SortCreated, Desc: true}, []string{"d", "c", "b"}, 3},
		{"short text with a sort", Query{Text: "or", Sort: SortName}, []string{"b", "c", "d"}, 3},
		{"text with a filter", Query{Text: "ortiz", Source: "DIRECTORY"}, []string{"c", "d"}, 2},
		{"text with a group", Query{Text: "ortiz", GroupID: "vip"}, []string{"c"}, 1},
		{"text with a created range", Query{Text: "ortiz", CreatedFrom: day(3)}, []string{"c", "d"}, 2},
		{"short text with a filter", Query{Text: "z", GroupID: "vip", Sort: SortName}, []string{"a", "c"}, 2},
		{"paging", Query{Sort: SortCreated, Limit: 2, Offset: 2}, []string{"c", "d"}, 5},
		{"paging past the end", Query{Limit: 2, Offset: 10}, []string{}, 5},
		{"text paging", Query{Text: "ortiz", Sort: SortName, Limit: 1, Offset: 1}, []string{"c"}, 3},
		{"unknown group", Query{GroupID: "nope"}, []string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := search(t, x, "M1", tt.q)
			got := ids(r)
			if tt.q.Text != "" && tt.q.Sort == SortRelevance {
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

func TestSearchRefusesQueriesOutOfBounds(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	mustPut(t, x, "M1", people...)
	for _, q := range []Query{
		{Limit: MaxLimit + 1},
		{Limit: -1},
		{Offset: -1},
		{Sort: "rank; DROP"},
		{Text: strings.Repeat("a", maxTextBytes+1)},
		{Text: strings.Repeat("a ", maxWords+1)},
		{Text: "\xff\xfe"},
	} {
		if _, err := x.Search(t.Context(), "M1", q); !errors.Is(err, ErrInvalid) {
			t.Errorf("Search(%+v) error = %v, want ErrInvalid", q, err)
		}
	}
	if r := search(t, x, "M1", Query{Limit: MaxLimit}); len(r.Rows) != len(people) {
		t.Errorf("Search(limit %d) = %d rows, want %d", MaxLimit, len(r.Rows), len(people))
	}
	if r := search(t, x, "unknown", Query{Text: "jane"}); len(r.Rows) != 0 || r.Total != 0 {
		t.Errorf("Search(unknown merchant) = %v, %d, want nothing", ids(r), r.Total)
	}
}

func TestPutNeverLetsAnOlderStateWin(t *testing.T) {
	t.Parallel()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	v := func(version int64, updated int, name string) Customer {
		return Customer{ID: "c1", Version: version, CreatedAt: t0, UpdatedAt: at(updated), GivenName: name}
	}
	type op struct {
		put     *Customer
		del     bool
		version int64
		delAt   int
		applied bool
	}
	p := func(c Customer, applied bool) op { return op{put: &c, applied: applied} }
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
			x := newIndex(t)
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
			r := search(t, x, "M1", Query{})
			if r.Total != wantCount || len(r.Rows) != wantCount {
				t.Errorf("Search(M1) = %v, total %d, want %d rows", ids(r), r.Total, wantCount)
			}
			if tt.want != "" {
				if got := ids(search(t, x, "M1", Query{Text: tt.want})); !slices.Equal(got, []string{"c1"}) {
					t.Errorf("Search(%q) = %v, want [c1] (the search index follows the row)", tt.want, got)
				}
			}
			// The states that lost are not found by their text.
			for _, o := range tt.ops {
				if o.put != nil && !strings.Contains(tt.want, o.put.GivenName) {
					if r := search(t, x, "M1", Query{Text: o.put.GivenName}); len(r.Rows) != 0 || r.Total != 0 {
						t.Errorf("Search(%q) = %v, total %d, want nothing (that state lost)", o.put.GivenName, ids(r), r.Total)
					}
				}
			}
		})
	}
}

func TestPutRefusesCustomersWithoutIdsOrOfAnotherMerchant(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	for _, tc := range []struct {
		merchant string
		c        Customer
	}{
		{"", Customer{ID: "a"}},
		{"M1", Customer{}},
		{"M1", Customer{ID: "a", MerchantID: "M2"}},
	} {
		if _, err := x.Put(t.Context(), tc.merchant, tc.c); !errors.Is(err, ErrInvalid) {
			t.Errorf("Put(%q, %+v) error = %v, want ErrInvalid", tc.merchant, tc.c, err)
		}
	}
}

func TestMerchantsNeverSeeEachOthersCustomers(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	// The same customer ids and names in both merchants.
	mustPut(t, x, "M1", people...)
	mustPut(t, x, "M2", people[:3]...)
	mustPut(t, x, "M2", Customer{ID: "only2", GivenName: "Zora", Nickname: "雪", Note: "fern", GroupIDs: []string{"g"}, CreationSource: "X"})
	if _, err := x.Delete(t.Context(), "M2", "muller", 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Delete(t.Context(), "M2", "okafor", 7, time.Now()); err != nil {
		t.Fatal(err)
	}

	for _, q := range []Query{
		{}, {Text: "zora"}, {Text: "fern"}, {Text: "z"}, {Text: "muller"}, {Text: "okafor"}, {Text: "jane"},
		{GroupID: "g"}, {Source: "X"}, {Text: "zora", Sort: SortEmail}, {Text: "o", GroupID: "g"},
		{Text: "雪"}, {Text: "王"}, {Text: "雪", Sort: SortName},
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
	if ok, err := x.Put(t.Context(), "M1", Customer{ID: "okafor", Version: 1, GivenName: "Ada", UpdatedAt: t0}); err != nil || !ok {
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
	if n, _ := x.Count(t.Context(), "M2"); n != 0 {
		t.Errorf("Count(M2) after DropMerchant = %d, want 0", n)
	}
	for _, text := range []string{"", "zora", "jane", "z", "雪"} {
		if r := search(t, x, "M2", Query{Text: text}); r.Total != 0 || len(r.Rows) != 0 {
			t.Errorf("Search(M2, %q) after DropMerchant = %v, total %d, want nothing", text, ids(r), r.Total)
		}
	}
	if seen, _ := x.SeenEvent(t.Context(), "M2", "evt"); seen {
		t.Errorf("SeenEvent(M2, evt) after DropMerchant = true, want the record gone")
	}
	if n, _ := x.Count(t.Context(), "M1"); n != len(people) {
		t.Errorf("Count(M1) after dropping M2 = %d, want %d", n, len(people))
	}
	if got := ids(search(t, x, "M1", Query{Text: "jane"})); !slices.Equal(got, []string{"fernandez"}) {
		t.Errorf("Search(M1, jane) after dropping M2 = %v, want [fernandez]", got)
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
	// A merchant added after the drop starts empty.
	mustPut(t, x, "M3", Customer{ID: "n", GivenName: "Nell"})
	if r := search(t, x, "M3", Query{}); !slices.Equal(ids(r), []string{"n"}) || r.Total != 1 {
		t.Errorf("Search(M3) = %v, total %d, want [n], 1", ids(r), r.Total)
	}
}

func TestSeenEventRecordsEachEventOnceUntilSwept(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
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
	if _, err := x.SeenEvent(t.Context(), "M1", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("SeenEvent(M1, \"\") error = %v, want ErrInvalid", err)
	}
}

func TestSyncStateIsKeptPerMerchantAndAdvancesWithItsPage(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	if s, err := x.SyncState(t.Context(), "M1"); err != nil || s.Ready() || len(s.Ranges) != 0 {
		t.Fatalf("SyncState(M1) before any sync = %+v, %v, want zero", s, err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := x.UpdateSyncState(t.Context(), "M1", func(s *SyncState) error {
		s.FullSyncStarted = start
		s.Ranges = []SyncRange{{From: t0, To: t0.AddDate(1, 0, 0)}, {From: t0.AddDate(1, 0, 0), To: start}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A page and its cursor are stored together.
	n, err := x.PutAll(t.Context(), "M1", people[:2], func(s *SyncState) error {
		s.Ranges[1].Cursor, s.Ranges[1].Indexed = "cur-2", s.Ranges[1].Indexed+2
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("PutAll(2 customers) = %d, %v, want 2", n, err)
	}
	// A failing update stores neither the page nor the state.
	boom := errors.New("boom")
	if _, err := x.PutAll(t.Context(), "M1", people[2:4], func(*SyncState) error { return boom }); !errors.Is(err, boom) {
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
	if err := x.UpdateSyncState(t.Context(), "M1", func(s *SyncState) error { s.FullSyncDone = start.Add(time.Minute); return nil }); err != nil {
		t.Fatal(err)
	}
	if s, _ := x.SyncState(t.Context(), "M1"); !s.Ready() {
		t.Errorf("SyncState(M1).Ready() after FullSyncDone = false, want true")
	}
	if s, _ := x.SyncState(t.Context(), "M2"); s.Ready() || len(s.Ranges) != 0 {
		t.Errorf("SyncState(M2) = %+v, want zero (M1's is its own)", s)
	}
}

func TestFromSquareKeepsEveryIndexedField(t *testing.T) {
	t.Parallel()
	sc := &square.Customer{
		ID: "C", Version: 4, CreatedAt: square.Timestamp{Time: t0}, UpdatedAt: square.Timestamp{Time: t0.Add(time.Hour)},
		GivenName: "G", FamilyName: "F", Nickname: "N", CompanyName: "Co", EmailAddress: "e@x.test", PhoneNumber: "+1",
		ReferenceID: "R", Note: "note", CreationSource: "THIRD_PARTY", GroupIDs: []string{"g1"},
	}
	want := Customer{ID: "C", Version: 4, CreatedAt: t0, UpdatedAt: t0.Add(time.Hour), GivenName: "G", FamilyName: "F", Nickname: "N",
		CompanyName: "Co", EmailAddress: "e@x.test", PhoneNumber: "+1", ReferenceID: "R", Note: "note", CreationSource: "THIRD_PARTY", GroupIDs: []string{"g1"}}
	got := FromSquare(sc)
	if !equalCustomer(got, want) {
		t.Errorf("FromSquare() = %+v, want %+v", got, want)
	}
	x := newIndex(t)
	mustPut(t, x, "M1", got)
	stored, err := x.Get(t.Context(), "M1", "C")
	want.MerchantID = "M1"
	if err != nil || !equalCustomer(stored, want) {
		t.Errorf("Get(C) = %+v, %v, want %+v", stored, err, want)
	}
}

func equalCustomer(a, b Customer) bool {
	same := slices.Equal(a.GroupIDs, b.GroupIDs) && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
	a.GroupIDs, b.GroupIDs = nil, nil
	a.CreatedAt, b.CreatedAt, a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return same && reflect.DeepEqual(a, b)
}

func TestSearchCountsBroadMatchesUpToMaxCountedAndTotalCountsThemAll(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	const n = MaxCounted + 5
	page := make([]Customer, n)
	for i := range page {
		page[i] = Customer{ID: fmt.Sprintf("c%04d", i), GivenName: fmt.Sprintf("Name%04d", (i*7919)%n), CreatedAt: t0, UpdatedAt: t0,
			Note: "membership", EmailAddress: fmt.Sprintf("u%d@example.com", i)}
	}
	// One customer has the word outside the note, and ranks first.
	page[n-1].CompanyName = "Membership Quilters"
	if _, err := x.PutAll(t.Context(), "M1", page, nil); err != nil {
		t.Fatal(err)
	}
	r := search(t, x, "M1", Query{Text: "membership"})
	if !r.Capped || r.Total != MaxCounted || len(r.Rows) != DefaultLimit {
		t.Errorf("Search(membership) = %d rows, total %d, capped %v, want %d rows, total %d, capped", len(r.Rows), r.Total, r.Capped, DefaultLimit, MaxCounted)
	}
	if len(r.Rows) > 0 && r.Rows[0].ID != page[n-1].ID {
		t.Errorf("Search(membership) first = %s, want %s (the match outside the note)", r.Rows[0].ID, page[n-1].ID)
	}
	if got, err := x.Total(t.Context(), "M1", Query{Text: "membership"}); err != nil || got != n {
		t.Errorf("Total(membership) = %d, %v, want %d", got, err, n)
	}
	if got, err := x.Total(t.Context(), "M1", Query{Text: "membership quilt"}); err != nil || got != 1 {
		t.Errorf("Total(membership quilt) = %d, %v, want 1", got, err)
	}
	// Without text, a total of any size is exact at once, filtered or not.
	for _, q := range []Query{{}, {CreatedFrom: t0}, {CreatedTo: t0.Add(time.Millisecond)}} {
		if r := search(t, x, "M1", q); r.Capped || r.Total != n {
			t.Errorf("Search(%+v) total %d, capped %v, want %d, not capped", q, r.Total, r.Capped, n)
		}
	}
	if r := search(t, x, "M1", Query{Text: "name000"}); r.Capped || r.Total != 10 {
		t.Errorf("Search(name000) total %d, capped %v, want 10, not capped", r.Total, r.Capped)
	}
	// A broad search in a column's order walks that column's index.
	names := make([]string, n)
	for i, c := range page {
		names[i] = strings.ToLower(c.GivenName)
	}
	slices.Sort(names)
	for _, tc := range []struct {
		q    Query
		want []string
	}{
		{Query{Text: "membership", Sort: SortName, Limit: 3}, names[:3]},
		{Query{Text: "membership", Sort: SortName, Desc: true, Limit: 2}, []string{names[n-1], names[n-2]}},
		{Query{Text: "membership example", Sort: SortName, Limit: 2, Offset: 10}, names[10:12]},
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
	for off := 0; off < n; off += MaxLimit {
		for _, h := range search(t, x, "M1", Query{Text: "membership", Limit: MaxLimit, Offset: off}).Rows {
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

func TestConcurrentWritesAndSearchesNeitherFailNorLoseACustomer(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	const writers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				c := Customer{ID: fmt.Sprintf("w%d-%d", w, i), GivenName: "Concurrent", Version: 1, UpdatedAt: t0}
				if _, err := x.Put(t.Context(), "M1", c); err != nil {
					errs <- err
				}
				if _, err := x.Search(t.Context(), "M1", Query{Text: "concurrent"}); err != nil {
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
	if r := search(t, x, "M1", Query{Text: "concurrent"}); r.Total != writers*each {
		t.Errorf("Search(concurrent).Total = %d, want %d", r.Total, writers*each)
	}
}
