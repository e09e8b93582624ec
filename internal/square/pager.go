package square

import (
	"errors"
	"iter"
)

// errRepeatedCursor stops paging when a server hands back the cursor it was
// just given, which would otherwise loop for ever.
var errRepeatedCursor = errors.New("square: server returned the same cursor again")

// paginate turns a page fetcher into an iterator over items. It starts at
// cursor first, follows each page's cursor until one comes back empty, yields
// a fetch error once (with the zero item) and then stops, and stops fetching
// as soon as the consumer breaks out of the loop.
func paginate[T any](first string, fetch func(cursor string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		cursor := first
		for {
			items, next, err := fetch(cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			if next == cursor {
				var zero T
				yield(zero, errRepeatedCursor)
				return
			}
			cursor = next
		}
	}
}
