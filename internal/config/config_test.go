package config

import (
	"errors"
	"log/slog"
	"maps"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	secretA = "0123456789abcdef0123456789abcdef-A"
	secretB = "0123456789abcdef0123456789abcdef-B"
)

// getenv turns a map into the getenv function Load takes.
func getenv(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// with returns a copy of base with the given name/value pairs set.
func with(base map[string]string, kv ...string) map[string]string {
	m := maps.Clone(base)
	if m == nil {
		m = map[string]string{}
	}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// productionEnv is a complete, valid production configuration.
var productionEnv = map[string]string{
	EnvEnvironment:       "production",
	EnvBaseURL:           "https://tessera.example.com",
	EnvSessionSecret:     secretA,
	EnvApplicationID:     "sq0idp-app",
	EnvApplicationSecret: "sq0csp-secret-value",
	EnvAllowedMerchants:  "MERCHANT1",
}

// sandboxEnv is a complete sandbox configuration on a local http URL, for
// the settings that local mode refuses.
var sandboxEnv = map[string]string{
	EnvEnvironment: "sandbox", EnvBaseURL: "http://localhost:8080", EnvSessionSecret: secretA,
	EnvApplicationID: "sandbox-sq0idb-app", EnvApplicationSecret: "x", EnvAllowAnyMerchant: "true",
}

// inSandbox changes the local defaults into what Load returns for sandboxEnv.
func inSandbox(c *Config) {
	c.Environment = Sandbox
	c.SessionSecrets = [][]byte{[]byte(secretA)}
	c.ApplicationID = "sandbox-sq0idb-app"
	c.ApplicationSecret = "x"
}

// localDefaults is what Load returns for an empty environment.
func localDefaults() *Config {
	return &Config{
		Addr:             DefaultAddr,
		BaseURL:          mustParseURL(DefaultLocalBaseURL),
		DataDir:          DefaultDataDir,
		AllowAnyMerchant: true,
		LogLevel:         slog.LevelInfo,
		LogFormat:        LogText,
		Environment:      Local,
		SquareVersion:    DefaultSquareVersion,
	}
}

func mustParseURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestLoadAcceptsGoodValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		// want changes the local defaults into the expected Config.
		want func(c *Config)
	}{
		{
			name: "an empty environment gives the local defaults",
			env:  nil,
			want: func(c *Config) {},
		},
		{
			name: "the listen address is kept and the local base URL follows it",
			env:  map[string]string{EnvAddr: "127.0.0.1:9090"},
			want: func(c *Config) {
				c.Addr = "127.0.0.1:9090"
				c.BaseURL = mustParseURL("http://127.0.0.1:9090")
			},
		},
		{
			name: "an address without a host gives a localhost base URL",
			env:  map[string]string{EnvAddr: ":9090"},
			want: func(c *Config) {
				c.Addr = ":9090"
				c.BaseURL = mustParseURL("http://localhost:9090")
			},
		},
		{
			name: "an unspecified IPv6 address gives a localhost base URL",
			env:  map[string]string{EnvAddr: "[::]:9090"},
			want: func(c *Config) {
				c.Addr = "[::]:9090"
				c.BaseURL = mustParseURL("http://localhost:9090")
			},
		},
		{
			name: "a base URL with a trailing slash loses it",
			env:  with(sandboxEnv, EnvBaseURL, "https://dash.example.com:8443/"),
			want: func(c *Config) {
				inSandbox(c)
				c.BaseURL = mustParseURL("https://dash.example.com:8443")
			},
		},
		{
			name: "local mode takes a loopback http base URL",
			env:  map[string]string{EnvBaseURL: "http://127.0.0.1:9000"},
			want: func(c *Config) { c.BaseURL = mustParseURL("http://127.0.0.1:9000") },
		},
		{
			name: "the data directory is kept",
			env:  map[string]string{EnvDataDir: "/var/lib/tessera"},
			want: func(c *Config) { c.DataDir = "/var/lib/tessera" },
		},
		{
			name: "session secrets are split on commas, newest first, and trimmed",
			env:  map[string]string{EnvSessionSecret: secretA + " , " + secretB},
			want: func(c *Config) { c.SessionSecrets = [][]byte{[]byte(secretA), []byte(secretB)} },
		},
		{
			name: "allowed merchants are split, trimmed, and empty entries dropped",
			env:  with(sandboxEnv, EnvAllowAnyMerchant, "", EnvAllowedMerchants, " M1, M_2-x ,,"),
			want: func(c *Config) {
				inSandbox(c)
				c.AllowedMerchants = []string{"M1", "M_2-x"}
				c.AllowAnyMerchant = false
			},
		},
		{
			name: "allow any merchant accepts 1",
			env:  map[string]string{EnvAllowAnyMerchant: "1"},
			want: func(c *Config) {},
		},
		{
			name: "trusted proxies take CIDRs and bare addresses",
			env:  with(sandboxEnv, EnvTrustedProxies, "10.1.2.3/8, 192.168.1.1,fd00::/8, ::1"),
			want: func(c *Config) {
				inSandbox(c)
				c.TrustedProxies = []netip.Prefix{
					netip.MustParsePrefix("10.0.0.0/8"),
					netip.MustParsePrefix("192.168.1.1/32"),
					netip.MustParsePrefix("fd00::/8"),
					netip.MustParsePrefix("::1/128"),
				}
			},
		},
		{
			name: "log level is case-insensitive",
			env:  map[string]string{EnvLogLevel: "DEBUG"},
			want: func(c *Config) { c.LogLevel = slog.LevelDebug },
		},
		{
			name: "log level warn",
			env:  map[string]string{EnvLogLevel: "warn"},
			want: func(c *Config) { c.LogLevel = slog.LevelWarn },
		},
		{
			name: "log level error",
			env:  map[string]string{EnvLogLevel: "error"},
			want: func(c *Config) { c.LogLevel = slog.LevelError },
		},
		{
			name: "log format json",
			env:  map[string]string{EnvLogFormat: "json"},
			want: func(c *Config) { c.LogFormat = LogJSON },
		},
		{
			name: "the environment is case-insensitive",
			env:  map[string]string{EnvEnvironment: "Local"},
			want: func(c *Config) {},
		},
		{
			name: "the location id is kept",
			env:  map[string]string{EnvLocationID: "L123ABC"},
			want: func(c *Config) { c.LocationID = "L123ABC" },
		},
		{
			name: "the Square version is kept",
			env:  map[string]string{EnvSquareVersion: "2024-01-18"},
			want: func(c *Config) { c.SquareVersion = "2024-01-18" },
		},
		{
			name: "PKCE is read as a boolean",
			env:  map[string]string{EnvOAuthPKCE: "TRUE"},
			want: func(c *Config) { c.OAuthPKCE = true },
		},
		{
			name: "production with everything required",
			env:  productionEnv,
			want: func(c *Config) {
				c.Environment = Production
				c.BaseURL = mustParseURL("https://tessera.example.com")
				c.SessionSecrets = [][]byte{[]byte(secretA)}
				c.ApplicationID = "sq0idp-app"
				c.ApplicationSecret = "sq0csp-secret-value"
				c.AllowedMerchants = []string{"MERCHANT1"}
				c.AllowAnyMerchant = false
			},
		},
		{
			name: "sandbox allows an http base URL and any merchant when asked",
			env:  sandboxEnv,
			want: inSandbox,
		},
		{
			name: "PKCE outside local mode needs no application secret",
			env:  with(productionEnv, EnvApplicationSecret, "", EnvOAuthPKCE, "true"),
			want: func(c *Config) {
				c.Environment = Production
				c.BaseURL = mustParseURL("https://tessera.example.com")
				c.SessionSecrets = [][]byte{[]byte(secretA)}
				c.ApplicationID = "sq0idp-app"
				c.AllowedMerchants = []string{"MERCHANT1"}
				c.AllowAnyMerchant = false
				c.OAuthPKCE = true
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(getenv(tt.env))
			if err != nil {
				t.Fatalf("Load(%v) error = %v, want nil", tt.env, err)
			}
			want := localDefaults()
			tt.want(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load(%v) =\n%+v\nwant\n%+v", tt.env, got, want)
			}
		})
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
		// wantMsg is a part of the message.
		wantMsg string
	}{
		{"an address without a port", map[string]string{EnvAddr: "localhost"}, EnvAddr, `got "localhost"`},
		{"an address with a named port", map[string]string{EnvAddr: "localhost:http"}, EnvAddr, "numeric port"},
		{"a base URL that is not absolute", map[string]string{EnvBaseURL: "foo"}, EnvBaseURL, `must be an absolute http or https URL, got "foo"`},
		{"a base URL with another scheme", map[string]string{EnvBaseURL: "ftp://example.com"}, EnvBaseURL, "http or https"},
		{"a base URL without a host", map[string]string{EnvBaseURL: "https://:8443"}, EnvBaseURL, "absolute"},
		{"a base URL with a path", map[string]string{EnvBaseURL: "https://example.com/tessera"}, EnvBaseURL, "path"},
		{"a base URL with a query", map[string]string{EnvBaseURL: "https://example.com/?a=b"}, EnvBaseURL, "query"},
		{"a base URL with an empty query", map[string]string{EnvBaseURL: "https://example.com?"}, EnvBaseURL, "query"},
		{"a base URL with a fragment", map[string]string{EnvBaseURL: "https://example.com#top"}, EnvBaseURL, "fragment"},
		{"a base URL with a password", map[string]string{EnvBaseURL: "https://u:pw@example.com"}, EnvBaseURL, "password"},
		{"an http base URL in production", with(productionEnv, EnvBaseURL, "http://tessera.example.com"), EnvBaseURL, "https"},
		{"a short session secret", map[string]string{EnvSessionSecret: "short"}, EnvSessionSecret, "secret 1 of 1 is shorter than 32 bytes"},
		{"a short second session secret", map[string]string{EnvSessionSecret: secretA + ",short"}, EnvSessionSecret, "secret 2 of 2"},
		{"an empty session secret in the list", map[string]string{EnvSessionSecret: secretA + ","}, EnvSessionSecret, "secret 2 of 2 is empty"},
		{"a merchant id with a quote", map[string]string{EnvAllowedMerchants: `"M1"`}, EnvAllowedMerchants, "not a Square id"},
		{"allow any merchant that is not a boolean", map[string]string{EnvAllowAnyMerchant: "yes"}, EnvAllowAnyMerchant, `must be true, false, 1 or 0, got "yes"`},
		{"allow any merchant together with a list", with(sandboxEnv, EnvAllowAnyMerchant, "true", EnvAllowedMerchants, "M1"), EnvAllowAnyMerchant, "must not be true"},
		{"allow any merchant false without a list in local mode", map[string]string{EnvAllowAnyMerchant: "0"}, EnvAllowedMerchants, "required when TESSERA_ALLOW_ANY_MERCHANT is false"},
		{"a trusted proxy that is not an address", map[string]string{EnvTrustedProxies: "10.0.0.0/8,proxy.local"}, EnvTrustedProxies, `"proxy.local"`},
		{"a trusted proxy with a bad prefix length", map[string]string{EnvTrustedProxies: "10.0.0.0/33"}, EnvTrustedProxies, "CIDR"},
		{"a trusted proxy with a zone", map[string]string{EnvTrustedProxies: "fe80::1%eth0"}, EnvTrustedProxies, "CIDR"},
		{"an unknown log level", map[string]string{EnvLogLevel: "verbose"}, EnvLogLevel, `got "verbose"`},
		{"an unknown log format", map[string]string{EnvLogFormat: "logfmt"}, EnvLogFormat, "text or json"},
		{"an unknown environment", map[string]string{EnvEnvironment: "staging"}, EnvEnvironment, `got "staging"`},
		{"a location id with a space", map[string]string{EnvLocationID: "L1 L2"}, EnvLocationID, "not a Square id"},
		{"a Square version that is not a date", map[string]string{EnvSquareVersion: "2025-8-20"}, EnvSquareVersion, "YYYY-MM-DD"},
		{"a Square version that is not a real day", map[string]string{EnvSquareVersion: "2025-02-30"}, EnvSquareVersion, "YYYY-MM-DD"},
		{"PKCE that is not a boolean", map[string]string{EnvOAuthPKCE: "on"}, EnvOAuthPKCE, "must be true"},
		{"production without a session secret", with(productionEnv, EnvSessionSecret, ""), EnvSessionSecret, "required when SQUARE_ENVIRONMENT is production"},
		{"production without a base URL", with(productionEnv, EnvBaseURL, ""), EnvBaseURL, "required"},
		{"production without an application id", with(productionEnv, EnvApplicationID, ""), EnvApplicationID, "required"},
		{"production without an application secret", with(productionEnv, EnvApplicationSecret, ""), EnvApplicationSecret, "required"},
		{"production without merchants", with(productionEnv, EnvAllowedMerchants, ""), EnvAllowedMerchants, "unless TESSERA_ALLOW_ANY_MERCHANT=true"},
		{"a database URL of another kind", map[string]string{EnvDatabaseURL: "mysql://u:hunter2@db/tessera"}, EnvDatabaseURL, "must be a postgres:// URL"},
		{"a database URL that is not a URL", map[string]string{EnvDatabaseURL: "host=db dbname=tessera"}, EnvDatabaseURL, "must be a postgres:// URL"},
		{"a database URL without a database", map[string]string{EnvDatabaseURL: "postgres://u:hunter2@db:5432/"}, EnvDatabaseURL, "must name the database"},
		{"a database URL without a server", map[string]string{EnvDatabaseURL: "postgres:///tessera"}, EnvDatabaseURL, "must name the server"},
		{"replicas of emulator mode without a shared session secret", map[string]string{EnvEnvironment: "emulator", EnvEmulatorURL: "http://127.0.0.1:8081", EnvDatabaseURL: "postgres://u@db/tessera"}, EnvSessionSecret, "every replica must seal sessions with the same keys"},
		{"sandbox without a session secret", with(productionEnv, EnvEnvironment, "sandbox", EnvSessionSecret, ""), EnvSessionSecret, "required when SQUARE_ENVIRONMENT is sandbox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(getenv(tt.env))
			if cfg != nil {
				t.Errorf("Load(%v) config = %+v, want nil", tt.env, cfg)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load(%v) error = %v, want a *Error", tt.env, err)
			}
			if ce.Var != tt.wantVar {
				t.Errorf("Load(%v) error var = %q, want %q (error %q)", tt.env, ce.Var, tt.wantVar, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Load(%v) error = %q, want it to contain %q", tt.env, err, tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), tt.wantVar+": ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("Load(%v) error = %q, want one line starting with %q", tt.env, err, tt.wantVar+": ")
			}
		})
	}
}

func TestLoadReportsEveryProblemOnItsOwnLine(t *testing.T) {
	env := map[string]string{EnvEnvironment: "production"}
	_, err := Load(getenv(env))
	if err == nil {
		t.Fatalf("Load(%v) error = nil, want one", env)
	}
	wantVars := []string{EnvBaseURL, EnvSessionSecret, EnvApplicationID, EnvApplicationSecret, EnvAllowedMerchants}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(wantVars) {
		t.Fatalf("Load(%v) error has %d lines, want %d:\n%v", env, len(lines), len(wantVars), err)
	}
	for _, name := range wantVars {
		if !strings.Contains(err.Error(), name+": required") {
			t.Errorf("Load(%v) error = %q, want a line %q", env, err, name+": required")
		}
	}
}

func TestLoadNeverShowsASecretInAnError(t *testing.T) {
	short := "hunter2-is-my-password"
	env := with(productionEnv, EnvSessionSecret, secretA+","+short, EnvBaseURL, "https://admin:"+short+"@example.com")
	_, err := Load(getenv(env))
	if err == nil {
		t.Fatalf("Load(%v) error = nil, want one", env)
	}
	if strings.Contains(err.Error(), short) {
		t.Errorf("Load(%v) error = %q, want no secret in it", env, err)
	}
}

func TestTheDatabaseIsSQLiteUnlessAPostgresURLIsGiven(t *testing.T) {
	cfg, err := Load(getenv(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UsesPostgres() || cfg.DatabaseWhere() != "sqlite in "+DefaultDataDir {
		t.Errorf("without %s: UsesPostgres() = %v, DatabaseWhere() = %q; want SQLite in %s", EnvDatabaseURL, cfg.UsesPostgres(), cfg.DatabaseWhere(), DefaultDataDir)
	}
	for _, raw := range []string{
		"postgres://tessera:hunter2@db:5432/tessera?sslmode=disable",
		"postgresql://tessera:hunter2@10.0.0.5/tessera",
		"postgres:///tessera?host=/run/postgresql",
	} {
		cfg, err := Load(getenv(map[string]string{EnvDatabaseURL: raw}))
		if err != nil {
			t.Fatalf("Load(%s=%q) error = %v", EnvDatabaseURL, raw, err)
		}
		if !cfg.UsesPostgres() || cfg.DatabaseURL != raw {
			t.Errorf("Load(%s=%q): UsesPostgres() = %v, DatabaseURL = %q; want the URL as given", EnvDatabaseURL, raw, cfg.UsesPostgres(), cfg.DatabaseURL)
		}
		var b strings.Builder
		slog.New(slog.NewTextHandler(&b, nil)).Info("config", "config", cfg)
		if strings.Contains(b.String(), "hunter2") || strings.Contains(cfg.DatabaseWhere(), "hunter2") {
			t.Errorf("logged config = %q, DatabaseWhere() = %q; want no password in either", b.String(), cfg.DatabaseWhere())
		}
	}
	// Every rejection leaves the password out of the message.
	_, err = Load(getenv(map[string]string{EnvDatabaseURL: "mysql://u:hunter2@db/tessera"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Load(a mysql URL) error = %v, want one without the password", err)
	}
}

func TestLoadReadsFileTwins(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	secretFile := write("secret", secretA+","+secretB+"\n")
	appSecretFile := write("app-secret", "sq0csp-from-file\r\n")
	appIDFile := write("app-id", "sq0idp-from-file")
	blankFile := write("blank", "\n")
	fromFiles := with(productionEnv,
		EnvSessionSecret, "", EnvSessionSecret+FileSuffix, secretFile,
		EnvApplicationSecret, "", EnvApplicationSecret+FileSuffix, appSecretFile,
		EnvApplicationID, "", EnvApplicationID+FileSuffix, appIDFile,
	)

	t.Run("values come from the files without their trailing newline", func(t *testing.T) {
		cfg, err := Load(getenv(fromFiles))
		if err != nil {
			t.Fatalf("Load(%v) error = %v, want nil", fromFiles, err)
		}
		wantSecrets := [][]byte{[]byte(secretA), []byte(secretB)}
		if !reflect.DeepEqual(cfg.SessionSecrets, wantSecrets) {
			t.Errorf("Load(%v).SessionSecrets = %q, want %q", fromFiles, cfg.SessionSecrets, wantSecrets)
		}
		if cfg.ApplicationSecret != "sq0csp-from-file" {
			t.Errorf("Load(%v).ApplicationSecret = %q, want %q", fromFiles, cfg.ApplicationSecret, "sq0csp-from-file")
		}
		if cfg.ApplicationID != "sq0idp-from-file" {
			t.Errorf("Load(%v).ApplicationID = %q, want %q", fromFiles, cfg.ApplicationID, "sq0idp-from-file")
		}
	})

	errTests := []struct {
		name    string
		env     map[string]string
		wantVar string
		wantMsg string
	}{
		{
			name:    "setting a variable and its file twin is an error",
			env:     with(fromFiles, EnvSessionSecret, secretA),
			wantVar: EnvSessionSecret,
			wantMsg: "set either TESSERA_SESSION_SECRET or TESSERA_SESSION_SECRET_FILE, not both",
		},
		{
			name:    "an unreadable file is an error naming the file variable",
			env:     with(fromFiles, EnvApplicationSecret+FileSuffix, filepath.Join(dir, "missing")),
			wantVar: EnvApplicationSecret + FileSuffix,
			wantMsg: "cannot read the file",
		},
		{
			name:    "an empty file is an error",
			env:     with(fromFiles, EnvApplicationID+FileSuffix, blankFile),
			wantVar: EnvApplicationID + FileSuffix,
			wantMsg: "is empty",
		},
		{
			name:    "a short secret in a file is reported against the file variable",
			env:     with(fromFiles, EnvSessionSecret+FileSuffix, write("short", "short\n")),
			wantVar: EnvSessionSecret + FileSuffix,
			wantMsg: "shorter than 32 bytes",
		},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(getenv(tt.env))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load(%v) error = %v, want a *Error", tt.env, err)
			}
			if ce.Var != tt.wantVar || !strings.Contains(ce.Msg, tt.wantMsg) {
				t.Errorf("Load(%v) error = %q, want %s: …%s…", tt.env, err, tt.wantVar, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Load(%v) error = %q, want one problem only", tt.env, err)
			}
		})
	}
}

func TestConfigDerivedValues(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		baseURL      string
		wantSecure   bool
		wantRedirect string
		wantLocal    bool
	}{
		{"http is not secure", map[string]string{}, "http://localhost:8080", false, "http://localhost:8080/auth/callback", true},
		{"https is secure", sandboxEnv, "https://dash.example.com/", true, "https://dash.example.com/auth/callback", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(getenv(with(tt.env, EnvBaseURL, tt.baseURL)))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Secure(); got != tt.wantSecure {
				t.Errorf("Secure() for %s = %v, want %v", tt.baseURL, got, tt.wantSecure)
			}
			if got := cfg.RedirectURL(); got != tt.wantRedirect {
				t.Errorf("RedirectURL() for %s = %q, want %q", tt.baseURL, got, tt.wantRedirect)
			}
			if got := cfg.IsLocal(); got != tt.wantLocal {
				t.Errorf("IsLocal() = %v, want %v", got, tt.wantLocal)
			}
		})
	}
}

func TestMerchantAllowed(t *testing.T) {
	listed := &Config{AllowedMerchants: []string{"M1", "M2"}}
	anyone := &Config{AllowAnyMerchant: true}
	tests := []struct {
		name string
		cfg  *Config
		id   string
		want bool
	}{
		{"a listed merchant is allowed", listed, "M2", true},
		{"an unlisted merchant is refused", listed, "M3", false},
		{"an empty id is refused", listed, "", false},
		{"any merchant is allowed when configured so", anyone, "M3", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.MerchantAllowed(tt.id); got != tt.want {
				t.Errorf("MerchantAllowed(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}

func TestLogValueLeavesSecretsOut(t *testing.T) {
	cfg, err := Load(getenv(productionEnv))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("config", "config", cfg)
	for _, secret := range []string{secretA, productionEnv[EnvApplicationSecret]} {
		if strings.Contains(b.String(), secret) {
			t.Errorf("logged config = %q, want no %q in it", b.String(), secret)
		}
	}
	if !strings.Contains(b.String(), "MERCHANT1") {
		t.Errorf("logged config = %q, want the merchant list in it", b.String())
	}
}

func TestUsageListsEveryVariable(t *testing.T) {
	var b strings.Builder
	Usage(&b)
	for _, v := range Vars() {
		if !strings.Contains(b.String(), v.Name) || !strings.Contains(b.String(), v.Default) {
			t.Errorf("Usage() = %q, want %s with its default %q", b.String(), v.Name, v.Default)
		}
	}
}

func TestVarsMatchWhatLoadReads(t *testing.T) {
	read := map[string]bool{}
	_, _ = Load(func(name string) string {
		read[name] = true
		return ""
	})
	listed := map[string]bool{}
	for _, v := range Vars() {
		listed[v.Name] = true
		if v.File {
			listed[v.Name+FileSuffix] = true
		}
	}
	if !reflect.DeepEqual(read, listed) {
		t.Errorf("Load reads %v, Vars lists %v; want the same", keys(read), keys(listed))
	}
}

func keys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestEnsureLocalSecretCreatesOnceAndReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	first, err := EnsureLocalSecret(dir)
	if err != nil {
		t.Fatalf("EnsureLocalSecret(%q) error = %v", dir, err)
	}
	if len(first) < MinSecretLen {
		t.Errorf("EnsureLocalSecret(%q) = %d bytes, want at least %d", dir, len(first), MinSecretLen)
	}
	info, err := os.Stat(filepath.Join(dir, LocalSecretFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("session key mode = %v, want 0600", perm)
	}
	dirInfo, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := dirInfo.Mode().Perm(); perm != 0o700 {
		t.Errorf("data dir mode = %v, want 0700", perm)
	}

	second, err := EnsureLocalSecret(dir)
	if err != nil {
		t.Fatalf("EnsureLocalSecret(%q) second call error = %v", dir, err)
	}
	if string(second) != string(first) {
		t.Errorf("EnsureLocalSecret(%q) second call = %q, want the first key %q", dir, second, first)
	}
}

func TestEnsureLocalSecretRejectsAShortKeyFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, LocalSecretFile), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := EnsureLocalSecret(dir)
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != EnvDataDir || !strings.Contains(ce.Msg, "delete it") {
		t.Errorf("EnsureLocalSecret(%q) error = %v, want a TESSERA_DATA_DIR error telling to delete the key", dir, err)
	}
}

func TestEnsureLocalSecretFailsClearlyWhenTheDirCannotBeWritten(t *testing.T) {
	// A path below a regular file cannot be created even by root, which the
	// permission bits alone would not stop.
	parent := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(parent, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := t.TempDir()
	if err := os.Chmod(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		dir      string
		skipRoot bool
	}{
		{"a data dir below a file", filepath.Join(parent, "data"), false},
		{"a read-only data dir", readOnly, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skipRoot && os.Geteuid() == 0 {
				t.Skip("root ignores permission bits")
			}
			_, err := EnsureLocalSecret(tt.dir)
			var ce *Error
			if !errors.As(err, &ce) || ce.Var != EnvDataDir {
				t.Fatalf("EnsureLocalSecret(%q) error = %v, want a TESSERA_DATA_DIR error", tt.dir, err)
			}
			if !strings.Contains(err.Error(), tt.dir) {
				t.Errorf("EnsureLocalSecret(%q) error = %q, want the path in it", tt.dir, err)
			}
		})
	}
}

func TestLocalBaseURLCannotBeDerivedFromAZonedAddress(t *testing.T) {
	env := map[string]string{EnvAddr: "[fe80::1%lo]:8080"}
	_, err := Load(func(k string) string { return env[k] })
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != EnvBaseURL {
		t.Fatalf("Load(TESSERA_ADDR=[fe80::1%%lo]:8080) = %v, want an error naming %s", err, EnvBaseURL)
	}
}

func TestLocalModeRefusesSettingsThatOnlyMakeSenseAgainstSquare(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	idFile := filepath.Join(dir, "app-id")
	if err := os.WriteFile(idFile, []byte("sq0idp-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		// wantNames are the variables the one line must name.
		wantNames []string
	}{
		{"an https base URL on loopback", map[string]string{EnvBaseURL: "https://localhost:8443"}, []string{EnvBaseURL}},
		{"a public base URL over http", map[string]string{EnvBaseURL: "http://tessera.example.com"}, []string{EnvBaseURL}},
		{"a base URL on a LAN address", map[string]string{EnvBaseURL: "http://192.168.1.20:8080"}, []string{EnvBaseURL}},
		{"an application id", map[string]string{EnvApplicationID: "sq0idp-app"}, []string{EnvApplicationID}},
		{"an application id in a file", map[string]string{EnvApplicationID + FileSuffix: idFile}, []string{EnvApplicationID + FileSuffix}},
		{"an application secret", map[string]string{EnvApplicationSecret: "sq0csp-secret"}, []string{EnvApplicationSecret}},
		{"an application secret in a file", map[string]string{EnvApplicationSecret + FileSuffix: idFile}, []string{EnvApplicationSecret + FileSuffix}},
		{"a merchant allow-list", map[string]string{EnvAllowedMerchants: "M1"}, []string{EnvAllowedMerchants}},
		{"trusted proxies", map[string]string{EnvTrustedProxies: "127.0.0.1"}, []string{EnvTrustedProxies}},
		{
			name:      "a production-style deployment that forgot SQUARE_ENVIRONMENT",
			env:       with(productionEnv, EnvEnvironment, "", EnvSessionSecret, "", EnvTrustedProxies, "10.0.0.0/8"),
			wantNames: []string{EnvBaseURL, EnvApplicationID, EnvApplicationSecret, EnvAllowedMerchants, EnvTrustedProxies},
		},
		{
			name:      "an explicit local mode",
			env:       map[string]string{EnvEnvironment: "local", EnvTrustedProxies: "::1"},
			wantNames: []string{EnvTrustedProxies},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(getenv(tt.env))
			if cfg != nil || err == nil {
				t.Fatalf("Load(%v) = %+v, %v, want an error", tt.env, cfg, err)
			}
			ce, ok := errors.AsType[*Error](err)
			if !ok || ce.Var != EnvEnvironment {
				t.Fatalf("Load(%v) error = %q, want a *Error on %s", tt.env, err, EnvEnvironment)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("Load(%v) error = %q, want one line", tt.env, msg)
			}
			for _, name := range tt.wantNames {
				if !strings.Contains(msg, name) {
					t.Errorf("Load(%v) error = %q, want it to name %s", tt.env, msg, name)
				}
			}
			if !strings.Contains(msg, "sandbox or production") {
				t.Errorf("Load(%v) error = %q, want it to say what to set", tt.env, msg)
			}
		})
	}
}

func TestLocalModeStillStartsWithLocalSettings(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{
		{},
		{EnvBaseURL: "http://localhost:9090", EnvAddr: "localhost:9090"},
		{EnvBaseURL: "http://[::1]:8080"},
		{EnvEnvironment: "local", EnvSessionSecret: secretA, EnvAllowAnyMerchant: "true", EnvLocationID: "L1"},
	} {
		if _, err := Load(getenv(env)); err != nil {
			t.Errorf("Load(%v) error = %v, want nil", env, err)
		}
	}
}

func TestTheIndexIsOnUnlessTurnedOff(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"": false, "on": false, "ON": false, "off": true, "Off": true} {
		cfg, err := Load(func(k string) string {
			if k == EnvIndex {
				return v
			}
			return ""
		})
		if err != nil || cfg.IndexOff != want {
			t.Errorf("Load(%s=%q).IndexOff = %v, %v; want %v", EnvIndex, v, cfg != nil && cfg.IndexOff, err, want)
		}
	}
	_, err := Load(func(k string) string {
		if k == EnvIndex {
			return "maybe"
		}
		return ""
	})
	if err == nil || !strings.HasPrefix(err.Error(), EnvIndex+": ") {
		t.Errorf("Load(%s=maybe) = %v, want an error naming %s", EnvIndex, err, EnvIndex)
	}
}

func TestHistoryDays(t *testing.T) {
	t.Parallel()
	load := func(v string) (*Config, error) {
		return Load(func(k string) string {
			if k == EnvHistoryDays {
				return v
			}
			return ""
		})
	}
	for v, want := range map[string]int{"": DefaultHistoryDays, "1": 1, "30": 30, "36500": 36500} {
		cfg, err := load(v)
		if err != nil {
			t.Errorf("Load(%s=%q) = %v, %v; want %d days", EnvHistoryDays, v, cfg, err, want)
			continue
		}
		if got := cfg.HistoryRetention(); got != time.Duration(want)*24*time.Hour {
			t.Errorf("Load(%s=%q).HistoryRetention() = %v", EnvHistoryDays, v, got)
		}
	}
	for _, v := range []string{"0", "-3", "36501", "a year", "1.5"} {
		_, err := load(v)
		if err == nil || !strings.HasPrefix(err.Error(), EnvHistoryDays+": must be a whole number of days from 1 to 36500") {
			t.Errorf("Load(%s=%q) = %v, want an error naming %s and the range", EnvHistoryDays, v, err, EnvHistoryDays)
		}
	}
	if got := (&Config{}).HistoryRetention(); got != DefaultHistoryDays*24*time.Hour {
		t.Errorf("zero Config's HistoryRetention() = %v, want the default", got)
	}
}
