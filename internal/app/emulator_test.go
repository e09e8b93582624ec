package app_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/app"
	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

// In emulator mode Tessera starts no emulator of its own: its client, its
// consent redirect and its card-form script all go to the standalone one.
func TestEmulatorModeTalksToTheStandaloneEmulator(t *testing.T) {
	t.Parallel()
	emu := squarelocal.New(squarelocal.Options{CustomersPerMerchant: 3, PersonalAccessToken: "pat-1"})
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })

	cfg := load(t, map[string]string{
		config.EnvDataDir:     t.TempDir(),
		config.EnvEnvironment: "emulator",
		config.EnvEmulatorURL: srv.URL,
	})
	tessera, err := app.New(t.Context(), cfg, slog.New(slog.DiscardHandler), app.Options{})
	if err != nil {
		t.Fatalf("app.New(emulator) = %v", err)
	}
	t.Cleanup(func() { _ = tessera.Close() })
	if tessera.Emulator != nil {
		t.Error("app.New(emulator) started an emulator in process, want none")
	}
	oauth := tessera.Square.OAuth.Config("", nil)
	if oauth.Endpoint.AuthURL != srv.URL+"/oauth2/authorize" || oauth.Endpoint.TokenURL != srv.URL+"/oauth2/token" {
		t.Errorf("OAuth endpoints = %s, %s; want the emulator's", oauth.Endpoint.AuthURL, oauth.Endpoint.TokenURL)
	}
	// No credentials configured: the emulator's built-in app, which
	// cmd/squarelocal registers by default.
	if oauth.ClientID != squarelocal.LocalClientID {
		t.Errorf("OAuth client = %q, want the emulator's built-in %q", oauth.ClientID, squarelocal.LocalClientID)
	}
	if app.Revoker(cfg, tessera.Square) == nil {
		t.Error("Revoker(emulator with the built-in app) = nil, want one: the secret is known")
	}
	m, err := tessera.Square.WithAccessToken("pat-1").Merchants.Get(t.Context(), "me")
	if err != nil || m.BusinessName == "" {
		t.Errorf("GET the merchant through the emulator = %+v, %v; want the first demo merchant", m, err)
	}
	if resp := get(t, tessera.Handler, "/squarelocal/v1/square.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /squarelocal/v1/square.js in emulator mode = %d, want 404: the emulator serves it", resp.StatusCode)
	}
	// As in local mode, a session key is made in the data dir.
	if _, err := os.Stat(filepath.Join(cfg.DataDir, config.LocalSecretFile)); err != nil {
		t.Errorf("emulator mode without a session secret made no key in the data dir: %v", err)
	}
}

func TestEmulatorModeUsesTheConfiguredApplication(t *testing.T) {
	t.Parallel()
	cfg := load(t, map[string]string{
		config.EnvDataDir:           t.TempDir(),
		config.EnvEnvironment:       "emulator",
		config.EnvEmulatorURL:       "http://127.0.0.1:1",
		config.EnvApplicationID:     "sandbox-sq0idb-team",
		config.EnvApplicationSecret: "sandbox-sq0csb-team-secret",
	})
	tessera, err := app.New(t.Context(), cfg, slog.New(slog.DiscardHandler), app.Options{})
	if err != nil {
		t.Fatalf("app.New(emulator) = %v", err)
	}
	t.Cleanup(func() { _ = tessera.Close() })
	oauth := tessera.Square.OAuth.Config("", nil)
	if oauth.ClientID != "sandbox-sq0idb-team" {
		t.Errorf("OAuth client = %q, want the configured one", oauth.ClientID)
	}
}
