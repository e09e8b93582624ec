package config

import (
	"errors"
	"strings"
	"testing"
)

// emulatorEnv is the least emulator mode needs: where the emulator is.
var emulatorEnv = map[string]string{EnvEnvironment: "emulator", EnvEmulatorURL: "http://127.0.0.1:8081"}

func TestEmulatorModeNeedsOnlyTheEmulatorsURL(t *testing.T) {
	t.Parallel()
	cfg, err := Load(getenv(emulatorEnv))
	if err != nil {
		t.Fatalf("Load(%v) = %v, want nil", emulatorEnv, err)
	}
	if !cfg.IsEmulator() || cfg.IsLocal() || !cfg.UsesEmulator() {
		t.Errorf("Load(emulator): IsEmulator %v, IsLocal %v, UsesEmulator %v; want true, false, true", cfg.IsEmulator(), cfg.IsLocal(), cfg.UsesEmulator())
	}
	if got := cfg.EmulatorURL.String(); got != "http://127.0.0.1:8081" {
		t.Errorf("EmulatorURL = %s, want http://127.0.0.1:8081", got)
	}
	// The developer defaults of local mode: the base URL from the address,
	// any merchant, a session key made in the data dir (none configured),
	// the emulator's built-in app (no credentials configured).
	if got := cfg.BaseURL.String(); got != DefaultLocalBaseURL {
		t.Errorf("BaseURL = %s, want %s", got, DefaultLocalBaseURL)
	}
	if !cfg.AllowAnyMerchant || len(cfg.SessionSecrets) != 0 || cfg.ApplicationID != "" || cfg.ApplicationSecret != "" {
		t.Errorf("Load(emulator) = any merchant %v, %d secrets, app %q/%q; want any, none, none", cfg.AllowAnyMerchant, len(cfg.SessionSecrets), cfg.ApplicationID, cfg.ApplicationSecret)
	}
	if cfg.WebhookSignatureKey != "" {
		t.Errorf("WebhookSignatureKey = %q, want none unless set (the emulator's -webhook-signature-key)", cfg.WebhookSignatureKey)
	}
	// A trailing slash is the same root.
	cfg, err = Load(getenv(with(emulatorEnv, EnvEmulatorURL, "https://emulator.test:9443/")))
	if err != nil || cfg.EmulatorURL.String() != "https://emulator.test:9443" {
		t.Errorf("Load(%s with a trailing slash) = %v, %v; want https://emulator.test:9443", EnvEmulatorURL, cfg, err)
	}
}

// Emulator mode is chosen on purpose, so the settings local mode refuses
// (there they betray a deployment that forgot SQUARE_ENVIRONMENT) are
// fine: a shared emulator behind a proxy on an https name is what several
// replicas, or a team, use.
func TestEmulatorModeAcceptsWhatLocalModeRefuses(t *testing.T) {
	t.Parallel()
	env := with(emulatorEnv,
		EnvBaseURL, "https://tessera.staging.example",
		EnvApplicationID, "sandbox-sq0idb-shared",
		EnvApplicationSecret, "sandbox-sq0csb-shared-secret",
		EnvAllowedMerchants, "M1,M2",
		EnvTrustedProxies, "10.0.0.0/8",
		EnvSessionSecret, secretA,
		EnvWebhookSignatureKey, "whsec",
	)
	cfg, err := Load(getenv(env))
	if err != nil {
		t.Fatalf("Load(%v) = %v, want nil", env, err)
	}
	if !cfg.Secure() || cfg.ApplicationID != "sandbox-sq0idb-shared" || cfg.MerchantAllowed("M3") || cfg.WebhookSignatureKey != "whsec" {
		t.Errorf("Load(emulator with everything) = %+v", cfg)
	}
	// PKCE needs no secret, as against Square.
	if _, err := Load(getenv(with(emulatorEnv, EnvApplicationID, "sandbox-sq0idb-shared", EnvOAuthPKCE, "true"))); err != nil {
		t.Errorf("Load(emulator, an application id and PKCE) = %v, want nil", err)
	}
}

func TestEmulatorModeConfigurationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
		want    string
	}{
		{"no emulator URL", map[string]string{EnvEnvironment: "emulator"}, EnvEmulatorURL, "required when SQUARE_ENVIRONMENT is emulator"},
		{"a relative URL", with(emulatorEnv, EnvEmulatorURL, "127.0.0.1:8081"), EnvEmulatorURL, "absolute http or https URL"},
		{"another scheme", with(emulatorEnv, EnvEmulatorURL, "ftp://127.0.0.1:8081"), EnvEmulatorURL, "absolute http or https URL"},
		{"a path", with(emulatorEnv, EnvEmulatorURL, "http://127.0.0.1:8081/v2"), EnvEmulatorURL, "without a path"},
		{"a query", with(emulatorEnv, EnvEmulatorURL, "http://127.0.0.1:8081?x=1"), EnvEmulatorURL, "without a path, query or fragment"},
		{"a password", with(emulatorEnv, EnvEmulatorURL, "http://u:p@127.0.0.1:8081"), EnvEmulatorURL, "user name or password"},
		{"an emulator URL in local mode", map[string]string{EnvEmulatorURL: "http://127.0.0.1:8081"}, EnvEmulatorURL, "set SQUARE_ENVIRONMENT=emulator"},
		{"an emulator URL against Square", with(sandboxEnv, EnvEmulatorURL, "http://127.0.0.1:8081"), EnvEmulatorURL, "only used when SQUARE_ENVIRONMENT is emulator"},
		{"an application id without its secret", with(emulatorEnv, EnvApplicationID, "sandbox-sq0idb-x"), EnvApplicationSecret, "the emulator's -client-secret"},
		{"a secret without its application id", with(emulatorEnv, EnvApplicationSecret, "s"), EnvApplicationID, "the emulator's -client-id"},
		{"a misspelt environment", map[string]string{EnvEnvironment: "emulater"}, EnvEnvironment, "must be local, emulator, sandbox or production"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(getenv(tt.env))
			if cfg != nil || err == nil {
				t.Fatalf("Load(%v) = %+v, %v; want an error", tt.env, cfg, err)
			}
			ce, ok := errors.AsType[*Error](err)
			if !ok || ce.Var != tt.wantVar {
				t.Fatalf("Load(%v) = %q, want a *Error on %s", tt.env, err, tt.wantVar)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, tt.want) {
				t.Errorf("Load(%v) = %q, want one line saying %q", tt.env, msg, tt.want)
			}
			if strings.Contains(err.Error(), "u:p") {
				t.Errorf("Load(%v) = %q shows the password", tt.env, err)
			}
		})
	}
}
