package pgindex_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/index/pgindex"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
)

// A directory filtered by a group or a source, or not at all, counts from
// the kept counts (index_counts). After customers are added, moved between groups and
// sources, updated with stale states, deleted and brought back, from two
// replicas at once, every such total equals a count of the rows
// themselves, and another merchant's customers count for nothing.
func TestKeptCountsOfGroupsAndSourcesMatchTheRows(t *testing.T) {
	url := pgtest.Database(t)
	db := openURL(t, url)
	replicas := []*pgindex.Index{pgindex.New(db), pgindex.New(openURL(t, url))}
	groups := []string{"vip", "wholesale", "staff"}
	sources := []string{"DIRECTORY", "THIRD_PARTY", "IMPORT"}
	r := rand.New(rand.NewPCG(7, 8))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	customer := func(i int, version int64) index.Customer {
		var gs []string
		for _, g := range groups {
			if r.IntN(3) == 0 {
				gs = append(gs, g)
			}
		}
		if len(gs) > 0 && r.IntN(4) == 0 {
			gs = append(gs, gs[0]) // named twice, counted once
		}
		return index.Customer{ID: fmt.Sprintf("c%d", i), Version: version, UpdatedAt: t0.Add(time.Duration(version) * time.Second),
			GivenName: "Ada", CreationSource: sources[r.IntN(len(sources))], GroupIDs: gs}
	}
	// The other merchant has the same groups and sources.
	var other []index.Customer
	for i := range 30 {
		other = append(other, customer(i, 1))
	}
	if _, err := replicas[0].PutAll(t.Context(), "M2", other, nil); err != nil {
		t.Fatal(err)
	}
	versions := map[int]int64{}
	for round := range 12 {
		errs := make(chan error, 2)
		for w, x := range replicas {
			// Each replica writes its own customers, so that both write
			// the same count rows at once.
			var page []index.Customer
			for range 15 {
				i := 2*r.IntN(40) + w
				versions[i]++
				v := versions[i]
				if r.IntN(5) == 0 {
					v-- // a stale state: not stored, not counted
				}
				page = append(page, customer(i, v))
			}
			go func() {
				_, err := x.PutAll(t.Context(), "M1", page, nil)
				errs <- err
			}()
		}
		for range replicas {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: PutAll: %v", round, err)
			}
		}
		for range 3 {
			// A delete that names its version: a later state of the
			// customer brings it back.
			i := r.IntN(80)
			if _, err := replicas[r.IntN(2)].Delete(t.Context(), "M1", fmt.Sprintf("c%d", i), versions[i], time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, g := range append([]string{""}, groups...) {
		for _, s := range append([]string{""}, sources...) {
			var want int
			err := db.Pool().QueryRow(t.Context(), `SELECT count(*) FROM index_customers
				WHERE merchant_id = 'M1' AND ($1 = '' OR $1 = ANY(group_ids)) AND ($2 = '' OR creation_source = $2)`, g, s).Scan(&want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := replicas[1].Search(t.Context(), "M1", index.Query{GroupID: g, Source: s})
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != want {
				t.Errorf("group %q, source %q: total %d, want %d (the rows)", g, s, got.Total, want)
			}
		}
	}

	// The migration that made index_counts fills it from the rows an
	// older Tessera left: the same counts as the kept ones.
	kept := readCounts(t, db.Pool())
	migration, err := os.ReadFile("../../store/postgres/migrations/0007_index_speed.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(t.Context(), "DROP TABLE index_counts"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(t.Context(), string(migration), pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatal(err)
	}
	if filled := readCounts(t, db.Pool()); !slices.Equal(filled, kept) {
		t.Errorf("the migration filled\n%v\nwant the kept counts\n%v", filled, kept)
	}
}

func readCounts(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, _ := pool.Query(t.Context(), "SELECT merchant_id || '/' || group_id || '/' || source || '=' || n FROM index_counts WHERE n <> 0 ORDER BY 1")
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("only %d counts: %v", len(out), out)
	}
	return out
}
