package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// runBackup runs `web backup args…` with the data dir and returns its
// error and output.
func runBackup(t *testing.T, dataDir string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), append([]string{"backup"}, args...), env{config.EnvDataDir: dataDir}.get, &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestBackupWhileServingAndRestore backs Tessera's database up while it
// serves and writes (a signed-in session, its index filled by the sync and
// changed by webhooks, its history growing), checks what each copy holds,
// then restores the last copy into a new data directory and starts Tessera
// from it: it serves the index it had without syncing again.
func TestBackupWhileServingAndRestore(t *testing.T) {
	s := startServer(t, nil)
	b := newBrowser(t, s.base)
	b.signIn()
	directory := b.page(b.follow.Get(s.base + "/customers"))
	var ids []string
	directory.Find(`[data-testid="customer-row"]`).Each(func(_ int, row *goquery.Selection) {
		ids = append(ids, row.AttrOr("data-customer-id", ""))
	})
	if len(ids) == 0 {
		t.Fatal("the directory lists no customers")
	}
	waitIndexReady(t, b, s.base)

	// Changes "elsewhere" while the backups run: each is a webhook that
	// Tessera writes into its index and its history. The first one is in
	// before the first backup.
	// It runs in a goroutine too, so it reports rather than fails.
	changeElsewhere := func(i int) int {
		body := fmt.Sprintf(`{"note":"from the till %d"}`, i)
		resp, err := http.Post(s.base+"/squarelocal/_squarelocal/customers/"+ids[i%len(ids)], "application/json", strings.NewReader(body))
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := changeElsewhere(0); status != http.StatusOK {
		t.Fatalf("changing a customer in the emulator = %d, want 200", status)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, deliveries := send(t, http.MethodGet, s.base+"/squarelocal/_squarelocal/deliveries", "", "", map[string]string{squarelocal.ControlHeader: "1"})
		if strings.Contains(deliveries, `"status":200`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first change was not delivered within 10 s: %s", deliveries)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopWriting := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; ; i++ {
			select {
			case <-stopWriting:
				return
			default:
			}
			if status := changeElsewhere(i); status != http.StatusOK {
				t.Errorf("changing a customer in the emulator = %d, want 200", status)
				return
			}
		}
	})
	backups := t.TempDir()
	var last string
	for i := range 3 {
		last = filepath.Join(backups, fmt.Sprintf("tessera-%d.db", i))
		stdout, stderr, err := runBackup(t, s.dataDir, "-o", last)
		if err != nil {
			t.Fatalf("web backup while serving = %v; stderr:\n%s", err, stderr)
		}
		if !strings.HasPrefix(stdout, "Backed up ") || !strings.Contains(stdout, last) || !strings.Contains(stdout, "schema version") {
			t.Errorf("web backup stdout = %q, want it to say what it wrote where", stdout)
		}
		checkBackup(t, last)
	}
	close(stopWriting)
	wg.Wait()

	// Restore: stop, put the copy in place (with the session key the
	// sessions are encrypted with), start.
	if err := s.stop(); err != nil {
		t.Fatalf("stopping Tessera = %v", err)
	}
	restored := t.TempDir()
	copyFile(t, last, filepath.Join(restored, store.FileName))
	copyFile(t, filepath.Join(s.dataDir, config.LocalSecretFile), filepath.Join(restored, config.LocalSecretFile))
	r := startServer(t, env{config.EnvDataDir: restored})
	rb := newBrowser(t, r.base)
	rb.signIn()
	page := rb.page(rb.follow.Get(r.base + "/customers"))
	if page.Find(`[data-testid="index-progress"]`).Length() != 0 {
		t.Error("the restored Tessera shows the index as syncing, want the index it had")
	}
	if page.Find(`[data-testid="customer-row"]`).Length() == 0 {
		t.Error("the restored Tessera lists no customers")
	}
}

// waitIndexReady waits until the directory is served from the index.
func waitIndexReady(t *testing.T, b *browser, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for b.page(b.follow.Get(base+"/customers")).Find(`[data-testid="index-progress"]`).Length() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the index was not ready within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkBackup opens a copy and checks that it holds every table, passes
// SQLite's integrity check, and agrees with itself: each merchant's
// count of indexed customers is the number of its rows.
func checkBackup(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup %s: mode %v, %v; want a file readable by its owner only", path, st.Mode().Perm(), err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of %s = %q, %v; want ok", path, check, err)
	}
	counts := map[string]int{}
	for _, table := range []string{"schema_migrations", "sessions", "index_customers", "index_merchants", "index_sync", "history", "jobs", "job_items"} {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatalf("backup %s: table %s: %v", path, table, err)
		}
		counts[table] = n
	}
	if counts["sessions"] == 0 || counts["index_customers"] == 0 || counts["history"] == 0 {
		t.Errorf("backup %s holds %v, want the session, the index and the history", path, counts)
	}
	rows, err := db.Query(`SELECT m.merchant_id, m.live, (SELECT count(*) FROM index_customers c WHERE c.merchant_id = m.merchant_id) FROM index_merchants m`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var merchant string
		var live, actual int
		if err := rows.Scan(&merchant, &live, &actual); err != nil {
			t.Fatal(err)
		}
		if live != actual {
			t.Errorf("backup %s: merchant %s counts %d customers and holds %d, want them equal", path, merchant, live, actual)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestBackupMistakesExitTwoWithOneLine(t *testing.T) {
	serving := startServer(t, nil)
	existing := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(existing, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		name    string
		dataDir string
		args    []string
		want    string
	}{
		{"no -o", serving.dataDir, nil, "-o FILE is required"},
		{"the file as an argument", serving.dataDir, []string{"backup.db"}, `unexpected argument "backup.db"`},
		{"an unknown flag", serving.dataDir, []string{"-out", "x.db"}, "flag provided but not defined"},
		{"an existing file", serving.dataDir, []string{"-o", existing}, "already exists; add -force"},
		{"a missing directory", serving.dataDir, []string{"-o", filepath.Join(empty, "no", "b.db")}, "does not exist"},
		{"no database", empty, []string{"-o", filepath.Join(t.TempDir(), "b.db")}, config.EnvDataDir + ": no database to back up at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := runBackup(t, tt.dataDir, tt.args...)
			if got := exitCode(err); got != 2 {
				t.Fatalf("web backup %q = %v (exit %d), want exit 2", tt.args, err, got)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, tt.want) {
				t.Errorf("web backup %q = %q, want one line saying %q", tt.args, msg, tt.want)
			}
			if stdout != "" {
				t.Errorf("web backup %q wrote %q to stdout, want nothing", tt.args, stdout)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "old" {
		t.Error("a refused backup changed the existing file")
	}
	if _, stderr, err := runBackup(t, serving.dataDir, "-o", existing, "-force"); err != nil {
		t.Errorf("web backup -force over an existing file = %v; stderr %s", err, stderr)
	}
	checkBackupOpens(t, existing)
}

// checkBackupOpens checks that a copy is a database Tessera's schema.
func checkBackupOpens(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n == 0 {
		t.Errorf("%s holds %d migrations (%v), want Tessera's schema", path, n, err)
	}
}
