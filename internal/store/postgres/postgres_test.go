package postgres

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
	"github.com/tessera-dashboard/tessera/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func openTest(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

func TestPostgreSQLKeepsTheSessionContract(t *testing.T) {
	storetest.Sessions(t, func(t *testing.T) storetest.SessionStore {
		return openTest(t, pgtest.Database(t))
	})
}

func appliedVersions(t *testing.T, url string) []int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, _ := conn.Query(t.Context(), "SELECT version FROM schema_migrations ORDER BY version")
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// Replicas that start together migrate once: the others wait for the
// advisory lock and find the schema up to date.
func TestReplicasStartingTogetherMigrateOnce(t *testing.T) {
	url := pgtest.Database(t)
	const replicas = 4
	var wg sync.WaitGroup
	errs := make(chan error, replicas)
	for range replicas {
		wg.Go(func() {
			db, err := Open(t.Context(), url)
			if err == nil {
				db.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Open of one of %d replicas starting together = %v", replicas, err)
		}
	}
	ms, _ := readOwn()
	if got := appliedVersions(t, url); len(got) != len(ms) {
		t.Errorf("schema_migrations = %v, want each of the %d migrations once", got, len(ms))
	}
}

func readOwn() ([]int, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	var vs []int
	for i := range entries {
		vs = append(vs, i+1)
	}
	return vs, err
}

func TestAProgramOlderThanTheSchemaRefusesToStart(t *testing.T) {
	url := pgtest.Database(t)
	openTest(t, url)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), "INSERT INTO schema_migrations (version) VALUES (9999)"); err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), url)
	if err == nil || !strings.Contains(err.Error(), "schema version 9999, newer than this program's") {
		t.Errorf("Open over a newer schema = %v, want a refusal naming both versions", err)
	}
}

// A URL that cannot be used is reported without its password.
func TestABadURLIsReportedWithoutItsPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://tessera:s3cret-pw@[::1",                                  // cannot be parsed
		"postgres://tessera:s3cret-pw@127.0.0.1:1/tessera?connect_timeout=2", // nothing listens
	} {
		_, err := Open(t.Context(), dsn)
		if err == nil {
			t.Errorf("Open(%q) = nil, want an error", dsn)
			continue
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("Open(%q) = %v, which shows the password", dsn, err)
		}
	}
}

func TestRebindNumbersPlaceholdersOutsideQuotes(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":        "SELECT 1",
		"a = ? AND b = ?": "a = $1 AND b = $2",
		`x LIKE ? ESCAPE '\' AND y = '?' AND "z?" = ?`:        `x LIKE $1 ESCAPE '\' AND y = '?' AND "z?" = $2`,
		"INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)": "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
	} {
		if got := Rebind(in); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

// Two replicas asking for the same work at once: one runs it, the other is
// told at once; after the first ends, or its connection dies, the work is
// free again.
func TestExclusiveRunsTheWorkOnOneReplicaAtATime(t *testing.T) {
	url := pgtest.Database(t)
	a, b := openTest(t, url), openTest(t, url)
	inside := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		held, err := a.Exclusive(t.Context(), "sync:M1", func(context.Context) error {
			close(inside)
			<-release
			return nil
		})
		if err == nil && !held {
			err = errors.New("the first replica did not get the lock")
		}
		done <- err
	}()
	<-inside
	ran := false
	held, err := b.Exclusive(t.Context(), "sync:M1", func(context.Context) error { ran = true; return nil })
	if err != nil || held || ran {
		t.Fatalf("second replica's Exclusive while the first runs = held %v, ran %v, %v; want not held, not run, nil", held, ran, err)
	}
	// Another key is another lock.
	held, err = b.Exclusive(t.Context(), "sync:M2", func(context.Context) error { ran = true; return nil })
	if err != nil || !held || !ran {
		t.Fatalf("Exclusive of another key = held %v, ran %v, %v; want held and run", held, ran, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ran = false
	want := errors.New("the work failed")
	held, err = b.Exclusive(t.Context(), "sync:M1", func(context.Context) error { ran = true; return want })
	if !held || !ran || !errors.Is(err, want) {
		t.Fatalf("Exclusive after the first ended = held %v, ran %v, %v; want held, run, and fn's error", held, ran, err)
	}
	// A cancelled context still lets the lock go.
	ctx, cancel := context.WithCancel(t.Context())
	_, _ = a.Exclusive(ctx, "sync:M3", func(context.Context) error { cancel(); return nil })
	held, err = b.Exclusive(t.Context(), "sync:M3", func(context.Context) error { return nil })
	if err != nil || !held {
		t.Fatalf("Exclusive after a cancelled holder = held %v, %v; want held", held, err)
	}
}
