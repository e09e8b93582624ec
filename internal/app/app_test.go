package app_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/app"
	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/history"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// load is the configuration cmd/web would read from env.
func load(t *testing.T, env map[string]string) *config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config.Load(%v) = %v", env, err)
	}
	return cfg
}

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result()
}

func TestLocalModeServesTheDemoWithTheEmulatorInProcess(t *testing.T) {
	t.Parallel()
	cfg := load(t, map[string]string{config.EnvDataDir: t.TempDir()})
	tessera, err := app.New(t.Context(), cfg, slog.New(slog.DiscardHandler), app.Options{EmulatorCustomers: 5})
	if err != nil {
		t.Fatalf("app.New(local) = %v", err)
	}
	t.Cleanup(func() { _ = tessera.Close() })
	if tessera.Emulator == nil || tessera.Square == nil || tessera.Sessions == nil {
		t.Fatalf("app.New(local) = emulator %v, client %v, sessions %v; want all three", tessera.Emulator, tessera.Square, tessera.Sessions)
	}
	if resp := get(t, tessera.Handler, "/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz = %d, want 200", resp.StatusCode)
	}
	if resp := get(t, tessera.Handler, "/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("GET / signed out = %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The browser reaches the emulator's card-form script on Tessera's
	// own listener.
	resp := get(t, tessera.Handler, "/squarelocal/v1/square.js")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || len(body) == 0 {
		t.Errorf("GET /squarelocal/v1/square.js = %d with %d bytes, want the stand-in script", resp.StatusCode, len(body))
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, store.FileName)); err != nil {
		t.Errorf("the data dir has no database after app.New: %v", err)
	}
}

func TestSandboxTalksToSquareWithNoEmulator(t *testing.T) {
	t.Parallel()
	cfg := load(t, map[string]string{
		config.EnvDataDir:            t.TempDir(),
		config.EnvEnvironment:        "sandbox",
		"SQUARE_APPLICATION_ID":      "sandbox-sq0idb-app",
		"SQUARE_APPLICATION_SECRET":  "sandbox-sq0csb-secret",
		config.EnvSessionSecret:      strings.Repeat("s", 32),
		"TESSERA_BASE_URL":           "https://tessera.example.com",
		"TESSERA_ALLOW_ANY_MERCHANT": "true",
	})
	tessera, err := app.New(t.Context(), cfg, slog.New(slog.DiscardHandler), app.Options{})
	if err != nil {
		t.Fatalf("app.New(sandbox) = %v", err)
	}
	t.Cleanup(func() { _ = tessera.Close() })
	if tessera.Emulator != nil {
		t.Error("app.New(sandbox) started the emulator, want none")
	}
	if resp := get(t, tessera.Handler, "/squarelocal/v1/square.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /squarelocal/v1/square.js in sandbox = %d, want 404", resp.StatusCode)
	}
}

func TestADataDirThatIsAFileIsNamedInTheError(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := load(t, map[string]string{config.EnvDataDir: file})
	_, err := app.New(t.Context(), cfg, slog.New(slog.DiscardHandler), app.Options{})
	if err == nil || !strings.HasPrefix(err.Error(), config.EnvDataDir+": ") || strings.Count(err.Error(), config.EnvDataDir) != 1 {
		t.Errorf("app.New(data dir is a file) = %v, want one error that starts with %s", err, config.EnvDataDir)
	}
}

// The sweeper deletes the history's entries older than
// TESSERA_HISTORY_DAYS, and only those.
func TestTheSweeperDeletesHistoryOlderThanTheRetention(t *testing.T) {
	t.Parallel()
	cfg := load(t, map[string]string{config.EnvDataDir: t.TempDir(), config.EnvHistoryDays: "30"})
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tessera, err := app.New(t.Context(), cfg, slog.New(slog.DiscardHandler), app.Options{EmulatorCustomers: 1, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("app.New = %v", err)
	}
	t.Cleanup(func() { _ = tessera.Close() })
	for _, age := range []time.Duration{31 * 24 * time.Hour, 30*24*time.Hour + time.Minute, 29 * 24 * time.Hour, 0} {
		e := history.Entry{MerchantID: "M1", CustomerID: "C1", Kind: history.Edited, At: now.Add(-age)}
		if err := tessera.History.Record(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	n, err := tessera.SweepHistory(t.Context())
	if err != nil || n != 2 {
		t.Errorf("SweepHistory() = %d, %v; want the 2 entries older than 30 days", n, err)
	}
	p, err := tessera.History.List(t.Context(), "M1", history.Filter{}, 0, 10)
	if err != nil || len(p.Entries) != 2 {
		t.Errorf("after the sweep %d entries (%v), want 2", len(p.Entries), err)
	}
}
