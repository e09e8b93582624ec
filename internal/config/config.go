// Package config reads Tessera's configuration from environment variables.
//
// Load validates every variable and reports each bad or missing one as a
// *Error naming it, so that start-up stops with a message an operator can act
// on. In local mode (the default) nothing is required, and settings that
// only make sense against Square are refused; in emulator mode only the
// standalone emulator's URL is required; in sandbox and
// production mode the Square credentials, the session secret, the public base
// URL and the merchant allow-list must be set. Secrets may instead be read
// from files named by NAME_FILE, the convention of Docker and systemd
// credentials.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Environment is the Square environment Tessera talks to.
type Environment string

// The environments of SQUARE_ENVIRONMENT.
const (
	// Local runs the in-process Square emulator; no credentials are needed.
	Local Environment = "local"
	// Emulator talks to a standalone squarelocal (cmd/squarelocal) at
	// SQUARE_EMULATOR_URL, which several processes and tools can share.
	Emulator   Environment = "emulator"
	Sandbox    Environment = "sandbox"
	Production Environment = "production"
)

// LogFormat is the output format of the log.
type LogFormat string

// The formats of TESSERA_LOG_FORMAT.
const (
	LogText LogFormat = "text"
	LogJSON LogFormat = "json"
)

// Config is Tessera's validated configuration. Load is the only way to build
// one that holds together; tests may fill the fields they need.
type Config struct {
	// Addr is the listen address, host:port.
	Addr string
	// BaseURL is the public URL with an empty path. It is the only source of
	// absolute URLs: never build one from the request's Host.
	BaseURL *url.URL
	// DataDir holds the SQLite database and, in local mode, the session key.
	DataDir string
	// DatabaseURL is the PostgreSQL database every piece of state lives in
	// (TESSERA_DATABASE_URL); empty means the SQLite file in DataDir. It
	// holds the password: log DatabaseWhere instead.
	DatabaseURL string
	// SessionSecrets are the session keys, newest first. They are empty in
	// local mode unless set; see EnsureLocalSecret.
	SessionSecrets [][]byte
	// AllowedMerchants lists the merchant ids that may sign in, unless
	// AllowAnyMerchant is true. Use MerchantAllowed rather than reading both.
	AllowedMerchants []string
	AllowAnyMerchant bool
	// TrustedProxies are the networks whose X-Forwarded-* headers are believed.
	TrustedProxies []netip.Prefix
	LogLevel       slog.Level
	LogFormat      LogFormat
	Environment    Environment
	// EmulatorURL is the standalone emulator's root URL, with an empty
	// path, in emulator mode; nil otherwise.
	EmulatorURL *url.URL
	// ApplicationID and ApplicationSecret are the Square app's credentials.
	// They are empty in local mode, and in emulator mode unless set: the
	// emulator's built-in ones are not configuration.
	ApplicationID     string
	ApplicationSecret string
	// LocationID is the location for the card form; empty means the
	// merchant's main location.
	LocationID string
	// SquareVersion is sent as the Square-Version header, YYYY-MM-DD.
	SquareVersion string
	// OAuthPKCE selects Square's PKCE flow (no client secret, single-use
	// refresh tokens) instead of the code flow with the secret.
	OAuthPKCE bool
	// WebhookSignatureKey is the signature key of the webhook subscription
	// whose notification URL is BaseURL + /webhooks/square. Empty outside
	// local mode means no webhooks; local mode makes one for the emulator.
	WebhookSignatureKey string
	// IndexOff turns the local customer index off (TESSERA_INDEX=off), for
	// sellers who must not keep a copy of their customers: the directory
	// then asks Square for every page.
	IndexOff bool
	// HistoryDays is how many days the history of changes keeps an entry
	// (TESSERA_HISTORY_DAYS); 0 means DefaultHistoryDays.
	HistoryDays int
}

// HistoryRetention is how long the history keeps an entry.
func (c *Config) HistoryRetention() time.Duration {
	days := c.HistoryDays
	if days <= 0 {
		days = DefaultHistoryDays
	}
	return time.Duration(days) * 24 * time.Hour
}

// WebhookURL is the notification URL Square signs deliveries with: the
// base URL and /webhooks/square, byte for byte as registered with Square.
func (c *Config) WebhookURL() string {
	return strings.TrimSuffix(c.BaseURL.String(), "/") + "/webhooks/square"
}

// Secure reports whether the public URL is https, which decides the cookie
// names and flags and whether to send HSTS.
func (c *Config) Secure() bool {
	return c.BaseURL != nil && c.BaseURL.Scheme == "https"
}

// IsLocal reports whether Tessera runs against the in-process emulator.
func (c *Config) IsLocal() bool {
	return c.Environment == Local
}

// IsEmulator reports whether Tessera runs against a standalone emulator
// at EmulatorURL.
func (c *Config) IsEmulator() bool {
	return c.Environment == Emulator
}

// UsesEmulator reports whether the data comes from an emulator, in
// process or standalone, rather than from Square: what the developer
// defaults (a generated session key, any merchant) are safe for.
func (c *Config) UsesEmulator() bool {
	return c.Environment.emulated()
}

// emulated reports whether the environment is an emulator's.
func (e Environment) emulated() bool {
	return e == Local || e == Emulator
}

// RedirectURL is the OAuth redirect URL registered with Square.
func (c *Config) RedirectURL() string {
	u := *c.BaseURL
	u.Path = "/auth/callback"
	return u.String()
}

// MerchantAllowed reports whether the merchant may sign in.
func (c *Config) MerchantAllowed(merchantID string) bool {
	return c.AllowAnyMerchant || slices.Contains(c.AllowedMerchants, merchantID)
}

// LogValue logs the configuration without its secrets, so that the effective
// settings can be logged at start-up.
func (c *Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("base_url", urlString(c.BaseURL)),
		slog.String("data_dir", c.DataDir),
		slog.String("database", c.DatabaseWhere()),
		slog.Int("session_secrets", len(c.SessionSecrets)),
		slog.Any("allowed_merchants", c.AllowedMerchants),
		slog.Bool("allow_any_merchant", c.AllowAnyMerchant),
		slog.Any("trusted_proxies", c.TrustedProxies),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("log_format", string(c.LogFormat)),
		slog.String("environment", string(c.Environment)),
		slog.String("emulator_url", urlString(c.EmulatorURL)),
		slog.String("application_id", c.ApplicationID),
		slog.Bool("application_secret_set", c.ApplicationSecret != ""),
		slog.String("location_id", c.LocationID),
		slog.String("square_version", c.SquareVersion),
		slog.Bool("oauth_pkce", c.OAuthPKCE),
		slog.Bool("webhook_signature_key_set", c.WebhookSignatureKey != ""),
		slog.Bool("index", !c.IndexOff),
		slog.Int("history_days", c.HistoryDays),
	)
}

// UsesPostgres reports that the state lives in PostgreSQL.
func (c *Config) UsesPostgres() bool { return c.DatabaseURL != "" }

// DatabaseWhere names the database for logs and messages, without the
// password: "sqlite in DIR", or the PostgreSQL URL with the password
// replaced by xxxxx.
func (c *Config) DatabaseWhere() string {
	if !c.UsesPostgres() {
		return "sqlite in " + c.DataDir
	}
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return "postgresql"
	}
	return u.Redacted()
}

// urlString is u as text, or "" for nil.
func urlString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

// Error is a problem with one variable. Its text is one line that names the
// variable and never contains a secret.
type Error struct {
	Var string
	Msg string
}

// Error returns "VAR: message".
func (e *Error) Error() string {
	return e.Var + ": " + e.Msg
}

// Load reads and validates the configuration through getenv (os.Getenv in
// production, a map in tests). An empty value means unset.
//
// Load reports every problem it finds, so that an operator can fix them in
// one go. With one problem the error is a *Error; with several it joins them,
// one per line, and errors.As finds the first.
func Load(getenv func(string) string) (*Config, error) {
	l := &loader{getenv: getenv}
	// The environment comes first because it decides what is required; the
	// rest follow the order of Vars so that problems are listed in that order.
	env := l.environment()
	c := &Config{Environment: env}
	c.Addr = l.addr()
	c.BaseURL = l.baseURL(env, c.Addr)
	c.DataDir = l.stringOr(EnvDataDir, DefaultDataDir)
	c.DatabaseURL = l.databaseURL()
	c.SessionSecrets = l.sessionSecrets()
	l.require(EnvSessionSecret, len(c.SessionSecrets) > 0, env)
	if env == Emulator && c.DatabaseURL != "" && len(c.SessionSecrets) == 0 && !l.failed[EnvSessionSecret] {
		// The key emulator mode would make lives in one replica's data
		// directory; the others could not open its sessions.
		l.fail(EnvSessionSecret, "required when %s is set: every replica must seal sessions with the same keys", EnvDatabaseURL)
	}
	c.AllowedMerchants, c.AllowAnyMerchant = l.merchants(env)
	c.TrustedProxies = l.trustedProxies()
	c.LogLevel = l.logLevel()
	c.LogFormat = l.logFormat()
	c.EmulatorURL = l.emulatorURL(env)
	c.ApplicationID = l.valueOrFile(EnvApplicationID)
	l.require(EnvApplicationID, c.ApplicationID != "", env)
	c.ApplicationSecret = l.valueOrFile(EnvApplicationSecret)
	c.LocationID = l.locationID()
	c.SquareVersion = l.squareVersion()
	c.OAuthPKCE = l.boolean(EnvOAuthPKCE)
	c.WebhookSignatureKey = l.valueOrFile(EnvWebhookSignatureKey)
	c.IndexOff = l.indexOff()
	c.HistoryDays = l.historyDays()
	// Square's PKCE flow is the one that works without the secret.
	l.require(EnvApplicationSecret, c.ApplicationSecret != "" || c.OAuthPKCE, env)
	switch env {
	case Local:
		l.refuseSquareSettings(c)
	case Emulator:
		l.emulatorApp(c)
	}

	switch len(l.errs) {
	case 0:
		return c, nil
	case 1:
		return nil, l.errs[0]
	}
	errs := make([]error, len(l.errs))
	for i, e := range l.errs {
		errs[i] = e
	}
	return nil, errors.Join(errs...)
}

// loader reads variables and collects the problems it meets, so that each
// parser can return a usable zero value and Load can report them all.
type loader struct {
	getenv func(string) string
	errs   []*Error
	// failed records variables already reported, so that a bad value is not
	// also reported as missing.
	failed map[string]bool
}

func (l *loader) fail(name, format string, args ...any) {
	l.errs = append(l.errs, &Error{Var: name, Msg: fmt.Sprintf(format, args...)})
	if l.failed == nil {
		l.failed = make(map[string]bool)
	}
	l.failed[name] = true
}

// require reports a variable that is missing against Square (sandbox or
// production), unless it was already reported as bad.
func (l *loader) require(name string, ok bool, env Environment) {
	if ok || env.emulated() || l.failed[name] || l.failed[name+FileSuffix] {
		return
	}
	l.fail(name, "required when %s is %s", EnvEnvironment, env)
}

func (l *loader) stringOr(name, def string) string {
	if v := l.getenv(name); v != "" {
		return v
	}
	return def
}

// valueOrFile reads a variable that may instead be given as a file, as Docker
// and systemd hand secrets over. Only trailing newlines are dropped: editors add
// them, but other white space could be part of the value.
func (l *loader) valueOrFile(name string) string {
	fileVar := name + FileSuffix
	v, path := l.getenv(name), l.getenv(fileVar)
	if v != "" && path != "" {
		l.fail(name, "set either %s or %s, not both", name, fileVar)
		return ""
	}
	if path == "" {
		return v
	}
	b, err := os.ReadFile(path)
	if err != nil {
		l.fail(fileVar, "cannot read the file: %v", err)
		return ""
	}
	v = strings.TrimRight(string(b), "\r\n")
	if v == "" {
		l.fail(fileVar, "the file %s is empty", path)
	}
	return v
}

func (l *loader) boolean(name string) bool {
	v, _ := l.optionalBool(name)
	return v
}

// optionalBool also reports whether the variable was set at all, for rules
// that treat an explicit false differently from a default.
func (l *loader) optionalBool(name string) (value, set bool) {
	v := l.getenv(name)
	switch strings.ToLower(v) {
	case "":
		return false, false
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	l.fail(name, "must be true, false, 1 or 0, got %q", v)
	return false, false
}

func (l *loader) environment() Environment {
	v := l.getenv(EnvEnvironment)
	if v == "" {
		return Local
	}
	switch e := Environment(strings.ToLower(v)); e {
	case Local, Emulator, Sandbox, Production:
		return e
	}
	l.fail(EnvEnvironment, "must be local, emulator, sandbox or production, got %q", v)
	return Local
}

// indexOff reads TESSERA_INDEX: on (the default) or off.
func (l *loader) indexOff() bool {
	switch v := strings.ToLower(l.getenv(EnvIndex)); v {
	case "", "on":
		return false
	case "off":
		return true
	default:
		l.fail(EnvIndex, "must be on or off, got %q", v)
		return false
	}
}

// historyDays reads TESSERA_HISTORY_DAYS: a whole number of days.
func (l *loader) historyDays() int {
	v := strings.TrimSpace(l.getenv(EnvHistoryDays))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxHistoryDays {
		l.fail(EnvHistoryDays, "must be a whole number of days from 1 to %d, got %q", MaxHistoryDays, v)
		return 0
	}
	return n
}

func (l *loader) addr() string {
	v := l.getenv(EnvAddr)
	if v == "" {
		return DefaultAddr
	}
	_, port, err := net.SplitHostPort(v)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		l.fail(EnvAddr, "must be host:port with a numeric port, got %q", v)
		return DefaultAddr
	}
	return v
}

// baseURL parses TESSERA_BASE_URL. In local mode it defaults to the listen
// address, so that TESSERA_ADDR=:9090 alone still gives a working OAuth
// redirect.
func (l *loader) baseURL(env Environment, addr string) *url.URL {
	raw := l.getenv(EnvBaseURL)
	if raw == "" {
		if !env.emulated() {
			l.fail(EnvBaseURL, "required when %s is %s", EnvEnvironment, env)
			return nil
		}
		u, err := url.Parse(localBaseURL(addr))
		if err != nil {
			// An address such as [fe80::1%eth0]:8080 has no URL form a
			// browser could use; say which variable fixes it.
			l.fail(EnvBaseURL, "cannot be derived from %s %q; set it", EnvAddr, addr)
			return nil
		}
		return u
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil, u.Scheme != "http" && u.Scheme != "https", u.Opaque != "", u.Hostname() == "":
		l.fail(EnvBaseURL, "must be an absolute http or https URL, got %q", raw)
		return nil
	case u.User != nil:
		// The value is not echoed: it may hold a password.
		l.fail(EnvBaseURL, "must not contain a user name or password")
		return nil
	case u.Path != "" && u.Path != "/":
		l.fail(EnvBaseURL, "must not have a path (Tessera is served from the root), got %q", raw)
		return nil
	case u.RawQuery != "" || u.ForceQuery || strings.Contains(raw, "#"):
		l.fail(EnvBaseURL, "must not have a query or fragment, got %q", raw)
		return nil
	case env == Production && u.Scheme != "https":
		l.fail(EnvBaseURL, "must be https when %s is production, got %q", EnvEnvironment, raw)
		return nil
	}
	u.Path = ""
	return u
}

// refuseSquareSettings stops local mode from starting with settings that
// only make sense against Square. Local mode is the default, so a
// deployment that forgot SQUARE_ENVIRONMENT would otherwise come up on the
// emulator, whose consent page signs anyone in as a demo merchant and whose
// controls change its answers, behind a public URL. The problem is one line
// naming every such variable, reported against SQUARE_ENVIRONMENT, the one
// variable that fixes all of them.
func (l *loader) refuseSquareSettings(c *Config) {
	var names []string
	if l.getenv(EnvBaseURL) != "" && c.BaseURL != nil && (c.BaseURL.Scheme == "https" || !isLoopbackHost(c.BaseURL.Hostname())) {
		names = append(names, EnvBaseURL+" ("+c.BaseURL.String()+")")
	}
	for _, name := range []string{EnvApplicationID, EnvApplicationSecret} {
		for _, v := range []string{name, name + FileSuffix} {
			if l.getenv(v) != "" {
				names = append(names, v)
			}
		}
	}
	for _, name := range []string{EnvAllowedMerchants, EnvTrustedProxies} {
		// A bad value is already reported; naming it twice would not help.
		if l.getenv(name) != "" && !l.failed[name] {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return
	}
	l.fail(EnvEnvironment, "local mode (the default: the built-in Square emulator) refuses %s, which only make sense against Square; set it to sandbox or production, or unset them",
		strings.Join(names, ", "))
}

// databaseURL reads TESSERA_DATABASE_URL (or its _FILE twin): a
// postgres:// or postgresql:// URL with a database name. Whether the
// server answers is for start-up to find out; the message never repeats
// the value, which holds a password.
func (l *loader) databaseURL() string {
	raw := l.valueOrFile(EnvDatabaseURL)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil, u.Scheme != "postgres" && u.Scheme != "postgresql", u.Opaque != "":
		l.fail(EnvDatabaseURL, "must be a postgres:// URL, e.g. postgres://tessera:PASSWORD@db:5432/tessera (the value is not shown: it may hold a password)")
		return ""
	case strings.Trim(u.Path, "/") == "":
		l.fail(EnvDatabaseURL, "must name the database after the host, e.g. postgres://tessera:PASSWORD@db:5432/tessera")
		return ""
	case u.Host == "" && u.Query().Get("host") == "":
		l.fail(EnvDatabaseURL, "must name the server: a host (postgres://user@db:5432/tessera) or a socket directory (postgres:///tessera?host=/run/postgresql)")
		return ""
	}
	return raw
}

// emulatorURL reads SQUARE_EMULATOR_URL: the root of a standalone
// cmd/squarelocal, required in emulator mode and refused elsewhere, where
// it would be silently ignored (a deployment meant for the emulator that
// forgot SQUARE_ENVIRONMENT=emulator).
func (l *loader) emulatorURL(env Environment) *url.URL {
	raw := l.getenv(EnvEmulatorURL)
	if env != Emulator {
		if raw != "" {
			l.fail(EnvEmulatorURL, "is only used when %s is emulator, and it is %s; set %s=emulator or unset it", EnvEnvironment, env, EnvEnvironment)
		}
		return nil
	}
	if raw == "" {
		l.fail(EnvEmulatorURL, "required when %s is emulator: the URL of cmd/squarelocal, e.g. http://127.0.0.1:8081", EnvEnvironment)
		return nil
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil, u.Scheme != "http" && u.Scheme != "https", u.Opaque != "", u.Hostname() == "":
		l.fail(EnvEmulatorURL, "must be an absolute http or https URL, got %q", raw)
		return nil
	case u.User != nil:
		l.fail(EnvEmulatorURL, "must not contain a user name or password")
		return nil
	case u.Path != "" && u.Path != "/", u.RawQuery != "" || u.ForceQuery || strings.Contains(raw, "#"):
		l.fail(EnvEmulatorURL, "must be the emulator's root URL, without a path, query or fragment (cmd/squarelocal serves at the root), got %q", raw)
		return nil
	}
	u.Path = ""
	return u
}

// emulatorApp checks the application's credentials in emulator mode: none
// means the emulator's built-in app (cmd/squarelocal's default -client-id
// and -client-secret); an application id needs its secret, unless PKCE.
func (l *loader) emulatorApp(c *Config) {
	idSet := c.ApplicationID != "" || l.failed[EnvApplicationID] || l.failed[EnvApplicationID+FileSuffix]
	secretSet := c.ApplicationSecret != "" || l.failed[EnvApplicationSecret] || l.failed[EnvApplicationSecret+FileSuffix]
	switch {
	case idSet && !secretSet && !c.OAuthPKCE:
		l.fail(EnvApplicationSecret, "required with %s when %s is emulator (the emulator's -client-secret), unless %s=true", EnvApplicationID, EnvEnvironment, EnvOAuthPKCE)
	case secretSet && !idSet:
		l.fail(EnvApplicationID, "required with %s when %s is emulator (the emulator's -client-id)", EnvApplicationSecret, EnvEnvironment)
	}
}

// isLoopbackHost reports whether a URL's host names this machine only:
// "localhost" or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// localBaseURL is the URL a browser on the same machine uses to reach addr.
func localBaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return DefaultLocalBaseURL
	}
	if ip, err := netip.ParseAddr(host); host == "" || err == nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func (l *loader) sessionSecrets() [][]byte {
	v := l.valueOrFile(EnvSessionSecret)
	if v == "" {
		return nil
	}
	// Problems are reported against the variable that was actually set.
	name := EnvSessionSecret
	if l.getenv(EnvSessionSecret) == "" {
		name += FileSuffix
	}
	parts := strings.Split(v, ",")
	secrets := make([][]byte, 0, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			l.fail(name, "secret %d of %d is empty", i+1, len(parts))
			continue
		}
		if len(p) < MinSecretLen {
			// Neither the secret nor its length is shown: a short secret
			// would be half disclosed by its length alone.
			l.fail(name, "secret %d of %d is shorter than %d bytes", i+1, len(parts), MinSecretLen)
			continue
		}
		secrets = append(secrets, []byte(p))
	}
	return secrets
}

// merchants reads the allow-list. Local mode lets any of the emulator's demo
// merchants in unless a list is given; elsewhere an empty list must be made
// explicit with TESSERA_ALLOW_ANY_MERCHANT=true, so that forgetting the list
// cannot open the dashboard to every Square seller.
func (l *loader) merchants(env Environment) ([]string, bool) {
	var list []string
	for p := range strings.SplitSeq(l.getenv(EnvAllowedMerchants), ",") {
		p = strings.TrimSpace(p)
		if p != "" && l.validID(EnvAllowedMerchants, p) {
			list = append(list, p)
		}
	}
	anyMerchant, set := l.optionalBool(EnvAllowAnyMerchant)
	if l.failed[EnvAllowedMerchants] || l.failed[EnvAllowAnyMerchant] {
		return list, anyMerchant
	}
	if len(list) > 0 {
		if anyMerchant {
			l.fail(EnvAllowAnyMerchant, "must not be true while %s is set", EnvAllowedMerchants)
		}
		return list, anyMerchant
	}
	switch {
	case anyMerchant:
		return nil, true
	case set:
		l.fail(EnvAllowedMerchants, "required when %s is false", EnvAllowAnyMerchant)
	case env.emulated():
		return nil, true
	default:
		l.fail(EnvAllowedMerchants, "required when %s is %s, unless %s=true", EnvEnvironment, env, EnvAllowAnyMerchant)
	}
	return nil, false
}

// locationID reads the optional SQUARE_LOCATION_ID.
func (l *loader) locationID() string {
	v := l.getenv(EnvLocationID)
	if v == "" || !l.validID(EnvLocationID, v) {
		return ""
	}
	return v
}

// validID checks a Square id (merchant, location). Square's ids are letters,
// digits, '-' and '_'; anything else is a quoting or copy-paste mistake.
func (l *loader) validID(name, v string) bool {
	valid := len(v) <= 255 && strings.IndexFunc(v, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_')
	}) < 0
	if !valid {
		l.fail(name, "%q is not a Square id (letters, digits, '-' and '_')", v)
	}
	return valid
}

func (l *loader) trustedProxies() []netip.Prefix {
	var prefixes []netip.Prefix
	for p := range strings.SplitSeq(l.getenv(EnvTrustedProxies), ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		prefix, err := parsePrefix(p)
		if err != nil {
			l.fail(EnvTrustedProxies, "%q is not a CIDR or IP address", p)
			continue
		}
		prefixes = append(prefixes, prefix)
	}
	return prefixes
}

// parsePrefix reads a CIDR, or a bare address as the network of that one
// address. Host bits are cleared so that 10.1.2.3/8 means 10.0.0.0/8.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("zone in %q", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (l *loader) logLevel() slog.Level {
	v := l.getenv(EnvLogLevel)
	switch strings.ToLower(v) {
	case "", "info":
		return slog.LevelInfo
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	l.fail(EnvLogLevel, "must be debug, info, warn or error, got %q", v)
	return slog.LevelInfo
}

func (l *loader) logFormat() LogFormat {
	v := l.getenv(EnvLogFormat)
	if v == "" {
		return LogText
	}
	switch f := LogFormat(strings.ToLower(v)); f {
	case LogText, LogJSON:
		return f
	}
	l.fail(EnvLogFormat, "must be text or json, got %q", v)
	return LogText
}

func (l *loader) squareVersion() string {
	v := l.getenv(EnvSquareVersion)
	if v == "" {
		return DefaultSquareVersion
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		l.fail(EnvSquareVersion, "must be a date as YYYY-MM-DD, got %q", v)
		return DefaultSquareVersion
	}
	return v
}
