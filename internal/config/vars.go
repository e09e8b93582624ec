package config

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Names of the environment variables Load reads.
const (
	EnvAddr             = "TESSERA_ADDR"
	EnvBaseURL          = "TESSERA_BASE_URL"
	EnvDataDir          = "TESSERA_DATA_DIR"
	EnvSessionSecret    = "TESSERA_SESSION_SECRET"
	EnvAllowedMerchants = "TESSERA_ALLOWED_MERCHANTS"
	EnvAllowAnyMerchant = "TESSERA_ALLOW_ANY_MERCHANT"
	EnvTrustedProxies   = "TESSERA_TRUSTED_PROXIES"
	EnvLogLevel         = "TESSERA_LOG_LEVEL"
	EnvLogFormat        = "TESSERA_LOG_FORMAT"
	EnvEnvironment      = "SQUARE_ENVIRONMENT"
	// EnvEmulatorURL is the standalone emulator's URL in emulator mode.
	EnvEmulatorURL       = "SQUARE_EMULATOR_URL"
	EnvApplicationID     = "SQUARE_APPLICATION_ID"
	EnvApplicationSecret = "SQUARE_APPLICATION_SECRET"
	EnvLocationID        = "SQUARE_LOCATION_ID"
	EnvSquareVersion     = "SQUARE_VERSION"
	EnvOAuthPKCE         = "SQUARE_OAUTH_PKCE"
	// EnvWebhookSignatureKey is the webhook subscription's signature key.
	EnvWebhookSignatureKey = "SQUARE_WEBHOOK_SIGNATURE_KEY"
	// EnvIndex turns the local customer index on or off.
	EnvIndex = "TESSERA_INDEX"
	// EnvHistoryDays is how many days the history of changes keeps entries.
	EnvHistoryDays = "TESSERA_HISTORY_DAYS"
	// EnvDatabaseURL chooses PostgreSQL instead of the embedded SQLite.
	EnvDatabaseURL = "TESSERA_DATABASE_URL"
)

// FileSuffix turns a variable name into the name of its twin that holds a
// path to a file with the value, for secrets mounted by Docker or systemd.
const FileSuffix = "_FILE"

// Defaults of the variables that have one.
const (
	DefaultAddr          = "localhost:8080"
	DefaultLocalBaseURL  = "http://localhost:8080"
	DefaultDataDir       = "./data"
	DefaultSquareVersion = "2025-08-20"
	DefaultHistoryDays   = 365
	// MaxHistoryDays is a hundred years: longer is surely a typo.
	MaxHistoryDays = 36500
)

// MinSecretLen is the shortest session secret accepted, in bytes: 32 bytes
// of key material is what HMAC-SHA256 and AES-256 can use in full.
const MinSecretLen = 32

// Var describes one environment variable for people: `web -help` prints
// these so that the list cannot drift from what Load reads.
type Var struct {
	Name string
	// Default is the default as shown to people, which may be a sentence
	// when it depends on the mode.
	Default     string
	Description string
	// Secret marks values that are never echoed in errors or logs.
	Secret bool
	// File marks variables that may instead be given as Name+"_FILE".
	File bool
}

// Vars lists every variable Load reads, in the order of the design's table.
func Vars() []Var {
	return []Var{
		{Name: EnvAddr, Default: DefaultAddr, Description: "listen address (host:port)"},
		{Name: EnvBaseURL, Default: "local, emulator: http://<TESSERA_ADDR>, else required", Description: "public URL; the only source of absolute URLs and the OAuth redirect"},
		{Name: EnvDataDir, Default: DefaultDataDir, Description: "directory of the SQLite database (and the local session key)"},
		{Name: EnvDatabaseURL, Default: "unset: SQLite in TESSERA_DATA_DIR", Description: "postgres://user:password@host:port/dbname: keep everything in PostgreSQL, for several replicas", Secret: true, File: true},
		{Name: EnvSessionSecret, Default: "local, emulator: generated in the data dir, else required", Description: "session keys, comma-separated, newest first, each at least 32 bytes", Secret: true, File: true},
		{Name: EnvAllowedMerchants, Default: "local, emulator: any, else required", Description: "comma-separated merchant ids allowed to sign in"},
		{Name: EnvAllowAnyMerchant, Default: "false", Description: "allow every merchant to sign in (instead of TESSERA_ALLOWED_MERCHANTS)"},
		{Name: EnvTrustedProxies, Default: "none", Description: "comma-separated CIDRs or IPs whose X-Forwarded-* headers are believed"},
		{Name: EnvLogLevel, Default: "info", Description: "debug, info, warn or error"},
		{Name: EnvLogFormat, Default: "text", Description: "text or json"},
		{Name: EnvEnvironment, Default: string(Local), Description: "local, emulator, sandbox or production"},
		{Name: EnvEmulatorURL, Default: "emulator: required, else unset", Description: "URL of a standalone cmd/squarelocal that emulator mode talks to, e.g. http://127.0.0.1:8081"},
		{Name: EnvApplicationID, Default: "local, emulator: built in, else required", Description: "Square application id (emulator: the emulator's -client-id)", File: true},
		{Name: EnvApplicationSecret, Default: "local, emulator: built in, else required unless SQUARE_OAUTH_PKCE", Description: "Square application secret (emulator: the emulator's -client-secret)", Secret: true, File: true},
		{Name: EnvLocationID, Default: "the merchant's main location", Description: "Square location for the card form"},
		{Name: EnvSquareVersion, Default: DefaultSquareVersion, Description: "Square-Version header (YYYY-MM-DD)"},
		{Name: EnvOAuthPKCE, Default: "false", Description: "use Square's PKCE flow (no secret, single-use refresh tokens)"},
		{Name: EnvIndex, Default: "on", Description: "on or off: keep a local index of customers for search (off: every page asks Square)"},
		{Name: EnvHistoryDays, Default: "365", Description: "days the history of changes to customers keeps an entry (1 to 36500)"},
		{Name: EnvWebhookSignatureKey, Default: "local: generated, else none (no webhooks)", Description: "signature key of the webhook subscription to <TESSERA_BASE_URL>/webhooks/square", Secret: true, File: true},
	}
}

// Usage prints Vars as an aligned table, for `web -help`. Write errors are
// ignored, as with flag.PrintDefaults: there is nowhere better to report them.
func Usage(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tDESCRIPTION")
	for _, v := range Vars() {
		name := v.Name
		if v.File {
			name += " *"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, v.Default, v.Description)
	}
	tw.Flush()
	fmt.Fprintln(w, "\n* may instead be read from the file named by NAME"+FileSuffix+" (a trailing newline is ignored).")
	fmt.Fprintln(w, "\nLocal mode refuses to start with an https or non-loopback "+EnvBaseURL+", "+EnvApplicationID+", "+
		EnvApplicationSecret+", "+EnvAllowedMerchants+" or "+EnvTrustedProxies+": they only make sense against Square.")
	fmt.Fprintln(w, "Emulator mode ("+EnvEnvironment+"=emulator) talks to cmd/squarelocal at "+EnvEmulatorURL+" and accepts them all.")
}
