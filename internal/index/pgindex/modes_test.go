package pgindex

// RankedByTiers returns the index answering every ranked search tier by
// tier, as it does for many matches, so that the contract can hold both
// ways of ranking to the same answers on small data.
func RankedByTiers(x *Index) *Index {
	tiered := *x
	tiered.rankAllUpTo = 0
	return &tiered
}
