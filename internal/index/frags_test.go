package index

import (
	"fmt"
	"slices"
	"testing"
)

// TestShortWordsOutsideASCIIAreFoundThroughTheirFragments checks that the
// words looked up in index_frags find, rank, sort, filter and count exactly
// as the words read from every row do.
func TestShortWordsOutsideASCIIAreFoundThroughTheirFragments(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	// Inserted worst first, so that index order alone would get it wrong.
	mustPut(t, x, "M1",
		Customer{ID: "note", GivenName: "Bob", Note: "王先生\u3000常客", CreationSource: "NOTES"},
		Customer{ID: "company", GivenName: "Ann", CompanyName: "王氏商行"},
		Customer{ID: "infix", GivenName: "大王", EmailAddress: "da王@example.com"},
		Customer{ID: "prefix", GivenName: "王小明", CreationSource: "NOTES"},
		Customer{ID: "word", GivenName: "芳", FamilyName: "王"},
		Customer{ID: "other", GivenName: "김", FamilyName: "민준"},
		Customer{ID: "spaced", GivenName: "先", FamilyName: "生"},
	)
	tiered := *x
	tiered.rankAllUpTo = 0
	for _, mode := range []struct {
		name string
		x    *Index
	}{{"all at once", x}, {"by tiers", &tiered}} {
		t.Run(mode.name, func(t *testing.T) {
			for _, tc := range []struct {
				q    Query
				want []string
			}{
				{Query{Text: "王"}, []string{"word", "prefix", "company", "infix", "note"}},
				{Query{Text: "王", Limit: 2, Offset: 2}, []string{"company", "infix"}},
				{Query{Text: "王", Source: "NOTES"}, []string{"prefix", "note"}},
				{Query{Text: "王", Sort: SortName, Desc: true}, []string{"word", "prefix", "infix", "note", "company"}},
				{Query{Text: "a王"}, []string{"infix"}},
				{Query{Text: "小明"}, []string{"prefix"}},
				{Query{Text: "王 ann"}, []string{"company"}},
				{Query{Text: "王 商行"}, []string{"company"}},
				{Query{Text: "先生"}, []string{"note"}},
				{Query{Text: "生 先"}, []string{"spaced", "note"}},
				{Query{Text: "민"}, []string{"other"}},
				{Query{Text: "王a"}, []string{}},
				{Query{Text: "黄"}, []string{}},
			} {
				r := search(t, mode.x, "M1", tc.q)
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

func TestFragmentsAreTheShortPiecesOutsideASCII(t *testing.T) {
	got := fragments("王小 ab\naé", "x\u3000李")
	want := []string{"王", "王小", "小", "aé", "é", "李"}
	if !slices.Equal(got, want) {
		t.Errorf("fragments = %q, want %q", got, want)
	}
}

func TestShortWordsOutsideASCIIAreCountedExactlyHoweverMany(t *testing.T) {
	t.Parallel()
	x := newIndex(t)
	const n = MaxCounted + 5
	page := make([]Customer, n)
	for i := range page {
		page[i] = Customer{ID: fmt.Sprintf("c%04d", i), GivenName: "芳", FamilyName: "王", CreatedAt: t0, UpdatedAt: t0}
	}
	page[0].GivenName = "伟"
	if _, err := x.PutAll(t.Context(), "M1", page, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want int
	}{{"王", n}, {"王 芳", n - 1}, {"伟 王", 1}, {"芳 伟", 0}} {
		if r := search(t, x, "M1", Query{Text: tc.text}); r.Total != tc.want || r.Capped {
			t.Errorf("Search(%s).Total = %d (capped %v), want %d", tc.text, r.Total, r.Capped, tc.want)
		}
	}
}
