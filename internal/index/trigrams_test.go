package index

import (
	"slices"
	"testing"
	"time"
)

// A long word is matched by its rarest trigrams alone and confirmed on the
// row (see wordExpr). The decoys below hold every trigram of the word, in
// the same fields, but never the whole word: a search that returned one
// would have trusted the trigrams.
func TestRareTrigramsFindOnlyCustomersHoldingTheWholeWord(t *testing.T) {
	x := newIndex(t)
	mustPut(t, x, "M1",
		Customer{ID: "company", GivenName: "Ana", CompanyName: "Xabcdefghx Ltd", PhoneNumber: "+1 (206) 555-0199", CreatedAt: t0.Add(3 * time.Hour)},
		Customer{ID: "note", GivenName: "Abcde", FamilyName: "Defgh", Note: "ask for ABCDÉFGH at the door", CreatedAt: t0.Add(2 * time.Hour)},
		Customer{ID: "decoy", GivenName: "Abcde", FamilyName: "Defgh", CompanyName: "abcde defgh", Note: "x555-01x -0199 55501 50199", CreatedAt: t0.Add(time.Hour)},
	)
	// Another merchant's customer holds the word exactly, and is never found.
	mustPut(t, x, "M2",
		Customer{ID: "other", GivenName: "Abcdefgh", CompanyName: "abcdefgh", PhoneNumber: "206 555 0199", ReferenceID: "abcdefgh"},
	)
	tiered := *x
	tiered.rankAllUpTo = 0

	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{"whole word, company before note", Query{Text: "abcdefgh"}, []string{"company", "note"}},
		{"case and accents folded", Query{Text: "AbCdÉfGh"}, []string{"company", "note"}},
		{"phone as typed and its digits", Query{Text: "555-0199"}, []string{"company"}},
		{"phone digits alone", Query{Text: "5550199"}, []string{"company"}},
		{"two words", Query{Text: "abcdefgh ana"}, []string{"company"}},
		{"column sort", Query{Text: "abcdefgh", Sort: SortCreated}, []string{"note", "company"}},
		{"column sort reversed", Query{Text: "abcdefgh", Sort: SortCreated, Desc: true}, []string{"company", "note"}},
		{"fragment nobody holds", Query{Text: "bcdefghi"}, []string{}},
	}
	for _, tt := range tests {
		for _, idx := range []struct {
			name string
			x    *Index
		}{{"ranked at once", x}, {"tiers", &tiered}} {
			t.Run(tt.name+"/"+idx.name, func(t *testing.T) {
				q := tt.q
				p, ok, err := idx.x.plan(t.Context(), "M1", &q)
				if err != nil || !ok {
					t.Fatalf("plan(%q) = %v, %v", tt.q.Text, ok, err)
				}
				if !p.inexact {
					t.Fatalf("plan(%q) matches by phrase; the test needs the rare trigrams", tt.q.Text)
				}
				r := search(t, idx.x, "M1", tt.q)
				if got := ids(r); !slices.Equal(got, tt.want) {
					t.Errorf("Search(%q) = %v, want %v", tt.q.Text, got, tt.want)
				}
				if r.Total != len(tt.want) || r.Capped {
					t.Errorf("Search(%q) total = %d (capped %v), want %d", tt.q.Text, r.Total, r.Capped, len(tt.want))
				}
				n, err := idx.x.Total(t.Context(), "M1", tt.q)
				if err != nil || n != len(tt.want) {
					t.Errorf("Total(%q) = %d, %v, want %d", tt.q.Text, n, err, len(tt.want))
				}
				for _, h := range r.Rows {
					if len(h.Highlights) == 0 {
						t.Errorf("Search(%q) row %s has no highlight", tt.q.Text, h.ID)
					}
				}
			})
		}
	}
	// The other merchant finds its own customer by the same word.
	if got := ids(search(t, x, "M2", Query{Text: "abcdefgh"})); !slices.Equal(got, []string{"other"}) {
		t.Errorf("Search(M2, abcdefgh) = %v, want [other]", got)
	}
}

func TestTrigramsOfSamplesLongWordsEvenly(t *testing.T) {
	if got, want := trigramsOf("abcdab"), []string{"abc", "bcd", "cda", "dab"}; !slices.Equal(got, want) {
		t.Errorf("trigramsOf(abcdab) = %v, want %v", got, want)
	}
	if got := trigramsOf("ab"); len(got) != 0 {
		t.Errorf("trigramsOf(ab) = %v, want none", got)
	}
	long := trigramsOf("abcdefghijklmnopqrstuvwxyz")
	if len(long) != countedTrigrams || long[0] != "abc" || long[len(long)-1] != "xyz" {
		t.Errorf("trigramsOf(alphabet) = %v, want %d from abc to xyz", long, countedTrigrams)
	}
	if got := trigramsOf("王小明先生"); !slices.Equal(got, []string{"王小明", "小明先", "明先生"}) {
		t.Errorf("trigramsOf(王小明先生) = %v", got)
	}
}
