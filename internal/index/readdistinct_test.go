package index

import (
	"errors"
	"slices"
	"testing"
)

// A tier read by name word returns a customer once per matching word:
// ReadDistinct keeps each once, reads further until it has enough, and
// stops when the tier runs out.
func TestReadDistinctKeepsEachRowOnceAndReadsOnUntilItHasEnough(t *testing.T) {
	tier := []int{1, 1, 2, 2, 2, 3, 4, 4, 5}
	for _, tc := range []struct {
		name  string
		out   []int
		need  int
		want  []int
		reads []int
	}{
		{"enough in the first read", nil, 1, []int{1}, []int{2}},
		{"doubling past duplicates", nil, 3, []int{1, 2, 3, 4}, []int{4, 8}},
		{"the tier runs out", nil, 9, []int{1, 2, 3, 4, 5}, []int{10}},
		{"after an earlier tier's rows", []int{4}, 3, []int{4, 1, 2}, []int{3}},
		{"an earlier tier's row is not kept again", []int{1}, 3, []int{1, 2, 3}, []int{3, 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[int]bool{}
			for _, r := range tc.out {
				seen[r] = true
			}
			var reads []int
			got, err := ReadDistinct(slices.Clone(tc.out), seen, tc.need, func(r int) int { return r }, func(lim int) ([]int, error) {
				reads = append(reads, lim)
				return tier[:min(lim, len(tier))], nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) || !slices.Equal(reads, tc.reads) {
				t.Errorf("ReadDistinct = %v after reads of %v, want %v after %v", got, reads, tc.want, tc.reads)
			}
			for _, r := range got {
				if !seen[r] {
					t.Errorf("row %d kept but not marked seen", r)
				}
			}
			if len(seen) != len(got) {
				t.Errorf("seen holds %d rows, want the %d kept", len(seen), len(got))
			}
		})
	}
	boom := errors.New("boom")
	if _, err := ReadDistinct(nil, map[int]bool{}, 2, func(r int) int { return r }, func(int) ([]int, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("ReadDistinct's error = %v, want the read's", err)
	}
}
