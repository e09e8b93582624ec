package square

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync/atomic"
	"testing"
)

// threePages serves customer groups over three pages and counts the
// requests; the page named by failOn answers 400 instead.
func threePages(t *testing.T, env *testEnv, failOn string) *atomic.Int32 {
	t.Helper()
	var calls atomic.Int32
	env.mux.HandleFunc("/v2/customers/groups", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		cursor := r.URL.Query().Get("cursor")
		if cursor == failOn {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"errors":[{"category":"INVALID_REQUEST_ERROR","code":"INVALID_CURSOR","field":"cursor"}]}`)
			return
		}
		switch cursor {
		case "":
			fmt.Fprint(w, `{"groups":[{"id":"C1"},{"id":"C2"}],"cursor":"p2"}`)
		case "p2":
			fmt.Fprint(w, `{"groups":[{"id":"C3"},{"id":"C4"}],"cursor":"p3"}`)
		case "p3":
			fmt.Fprint(w, `{"groups":[{"id":"C5"}]}`)
		default:
			t.Errorf("unexpected cursor %q", cursor)
		}
	})
	return &calls
}

func TestPagerFollowsCursorsAcrossThreePages(t *testing.T) {
	t.Parallel()
	env := setup(t)
	calls := threePages(t, env, "never")
	var ids []string
	for g, err := range env.client.Customers.AllGroups(t.Context()) {
		if err != nil {
			t.Fatalf("Customers.AllGroups(ctx) error = %v", err)
		}
		ids = append(ids, g.ID)
	}
	if want := []string{"C1", "C2", "C3", "C4", "C5"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Customers.AllGroups(ctx) = %v, want %v", ids, want)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("requests = %d, want 3", got)
	}
}

func TestPagerYieldsAnErrorOnceAndStops(t *testing.T) {
	t.Parallel()
	env := setup(t)
	calls := threePages(t, env, "p2")
	var ids []string
	var errs []error
	for g, err := range env.client.Customers.AllGroups(t.Context()) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, g.ID)
	}
	if want := []string{"C1", "C2"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Customers.AllGroups(ctx) items = %v, want %v", ids, want)
	}
	if len(errs) != 1 || !IsInvalidRequest(errs[0]) {
		t.Errorf("Customers.AllGroups(ctx) errors = %v, want one INVALID_CURSOR", errs)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("requests = %d, want 2", got)
	}
}

func TestPagerStopsWhenTheConsumerBreaks(t *testing.T) {
	t.Parallel()
	env := setup(t)
	calls := threePages(t, env, "never")
	var ids []string
	for g, err := range env.client.Customers.AllGroups(t.Context()) {
		if err != nil {
			t.Fatalf("Customers.AllGroups(ctx) error = %v", err)
		}
		ids = append(ids, g.ID)
		if g.ID == "C3" {
			break
		}
	}
	if want := []string{"C1", "C2", "C3"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("Customers.AllGroups(ctx) = %v, want %v", ids, want)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("requests = %d, want 2: no page after the break", got)
	}
}

func TestPagerStopsOnARepeatedCursor(t *testing.T) {
	t.Parallel()
	pages := 0
	seq := paginate("", func(cursor string) ([]int, string, error) {
		pages++
		return []int{pages}, "same", nil
	})
	var got []int
	var gotErr error
	for v, err := range seq {
		if err != nil {
			gotErr = err
			break
		}
		got = append(got, v)
	}
	if !errors.Is(gotErr, errRepeatedCursor) || !reflect.DeepEqual(got, []int{1, 2}) {
		t.Errorf("paginate(repeating cursor) = %v, %v, want [1 2], %v", got, gotErr, errRepeatedCursor)
	}
}

func TestPagerStartsAtTheGivenCursorEachTime(t *testing.T) {
	t.Parallel()
	var cursors []string
	seq := paginate("start", func(cursor string) ([]int, string, error) {
		cursors = append(cursors, cursor)
		if cursor == "start" {
			return []int{1}, "next", nil
		}
		return []int{2}, "", nil
	})
	for range 2 {
		for _, err := range seq {
			if err != nil {
				t.Fatalf("paginate() error = %v", err)
			}
		}
	}
	if want := []string{"start", "next", "start", "next"}; !reflect.DeepEqual(cursors, want) {
		t.Errorf("paginate(start) cursors = %v, want %v", cursors, want)
	}
}
