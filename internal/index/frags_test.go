package index

import (
	"slices"
	"testing"
)

func TestFragmentsAreTheShortPiecesOutsideASCII(t *testing.T) {
	got := fragments("王小 ab\naé", "x\u3000李")
	want := []string{"王", "王小", "小", "aé", "é", "李"}
	if !slices.Equal(got, want) {
		t.Errorf("fragments = %q, want %q", got, want)
	}
}
