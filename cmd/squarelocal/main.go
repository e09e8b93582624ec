// Command squarelocal serves Tessera's Square emulator on its own, at the
// root of its listener, for other tools and SDKs to test against.
//
//	go run ./cmd/squarelocal -addr 127.0.0.1:8081 -access-token dev-token
//
// As on Square, the consent page sends the browser only to a registered
// redirect URI (-redirect-uri). The controls under /_squarelocal/ answer
// only requests to localhost, 127.0.0.1 or [::1] on the listener's port
// that send Content-Type: application/json or an X-Squarelocal-Control
// header, so that no web page can use them.
//
// With -webhook-url and -webhook-signature-key it sends Square's webhook
// events (customer.created, customer.updated, customer.deleted and
// oauth.authorization.revoked) for every change to that URL (or to each
// of several), signed with the key and retried on failure as Square does:
//
//	go run ./cmd/squarelocal -webhook-url http://localhost:8080/webhooks/square -webhook-signature-key dev-key
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		var usage usageError
		if errors.As(err, &usage) {
			fmt.Fprintln(os.Stderr, "squarelocal:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "squarelocal:", err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ error }

// config is what the flags say.
type config struct {
	addr         string
	customers    int
	seed         int64
	accessToken  string
	clientID     string
	clientSecret string
	redirectURIs redirectURIs
	faults       []squarelocal.Fault
	verbose      bool
	webhookURLs  httpURLs
	webhookKey   string
}

// parseFlags reads the command line. Bad flags are usage errors.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	var latency time.Duration
	var faultSpec string
	fs := flag.NewFlagSet("squarelocal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8081", "listen address")
	fs.IntVar(&c.customers, "customers", squarelocal.DefaultCustomers, "demo customers seeded for the first merchant (the second gets a third); 0 for none")
	fs.Int64Var(&c.seed, "seed", 1, "seed of the demo data")
	fs.StringVar(&c.accessToken, "access-token", "", "a personal access token with every scope for the first merchant")
	fs.StringVar(&c.clientID, "client-id", squarelocal.LocalClientID, "OAuth client id of the registered app")
	fs.StringVar(&c.clientSecret, "client-secret", squarelocal.LocalClientSecret, "OAuth client secret of the registered app")
	fs.Var(&c.redirectURIs, "redirect-uri", "a registered OAuth redirect URI; repeat the flag or separate them with commas. The consent page sends the browser to no other, as Square does (default "+defaultRedirectURI+", Tessera's in local mode)")
	fs.DurationVar(&latency, "latency", 0, "latency added to every API call, e.g. 50ms")
	fs.StringVar(&faultSpec, "fault", "", "a fault on every call: rate_limit, internal_error, unavailable, hang or drop_after_write, optionally kind@rate such as internal_error@0.1")
	fs.BoolVar(&c.verbose, "v", false, "log every request")
	fs.Var(&c.webhookURLs, "webhook-url", "send Square's webhook events for every change to this notification URL (needs -webhook-signature-key); repeat the flag or separate URLs with commas for one subscription each, as several Tesseras sharing the emulator need")
	fs.StringVar(&c.webhookKey, "webhook-signature-key", "", "the signature key that signs the webhook deliveries, as a subscription's key does on Square")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: squarelocal [flags]\n\nServes an emulator of the Square API endpoints Tessera uses.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, usageError{err}
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return c, usageError{fmt.Errorf("-addr %q: %v", c.addr, err)}
	}
	if len(c.redirectURIs) == 0 {
		c.redirectURIs = redirectURIs{defaultRedirectURI}
	}
	if c.customers < 0 {
		return c, usageError{fmt.Errorf("-customers must not be negative, got %d", c.customers)}
	}
	if latency < 0 {
		return c, usageError{fmt.Errorf("-latency must not be negative, got %s", latency)}
	}
	if latency > 0 {
		c.faults = append(c.faults, squarelocal.Fault{Kind: squarelocal.FaultLatency, Latency: latency})
	}
	if (len(c.webhookURLs) == 0) != (c.webhookKey == "") {
		return c, usageError{errors.New("-webhook-url and -webhook-signature-key go together")}
	}
	if faultSpec != "" {
		f, err := parseFault(faultSpec)
		if err != nil {
			return c, usageError{fmt.Errorf("-fault %q: %v", faultSpec, err)}
		}
		c.faults = append(c.faults, f)
	}
	return c, nil
}

// defaultRedirectURI is the redirect URI registered when -redirect-uri is
// not given: Tessera's callback at its default local address.
const defaultRedirectURI = "http://localhost:8080/auth/callback"

// httpURLs is the -webhook-url flag: it may be repeated, and each value
// may list several absolute http or https URLs separated by commas.
type httpURLs []string

func (h *httpURLs) String() string { return strings.Join(*h, ",") }

func (h *httpURLs) Set(v string) error {
	for raw := range strings.SplitSeq(v, ",") {
		raw = strings.TrimSpace(raw)
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%q is not an absolute http or https URL", raw)
		}
		*h = append(*h, raw)
	}
	return nil
}

// redirectURIs is the -redirect-uri flag: it may be repeated, and each
// value may list several URIs separated by commas.
type redirectURIs []string

func (r *redirectURIs) String() string { return strings.Join(*r, ",") }

// Set adds the URIs of one -redirect-uri. Each must be an absolute http or
// https URL, as Square's developer console requires of a redirect URL.
func (r *redirectURIs) Set(v string) error {
	for raw := range strings.SplitSeq(v, ",") {
		raw = strings.TrimSpace(raw)
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
			return fmt.Errorf("%q is not an absolute http or https URL without a fragment", raw)
		}
		*r = append(*r, raw)
	}
	return nil
}

// loopbackHosts are the Host values the emulator's controls answer on the
// port of addr: its loopback names only, so that neither another machine
// nor a page whose name was re-pointed at this one can use them.
func loopbackHosts(addr net.Addr) []string {
	_, port, _ := net.SplitHostPort(addr.String())
	return []string{
		net.JoinHostPort("localhost", port),
		net.JoinHostPort("127.0.0.1", port),
		net.JoinHostPort("::1", port),
	}
}

// parseFault reads "kind" or "kind@rate".
func parseFault(spec string) (squarelocal.Fault, error) {
	kind, rate, hasRate := strings.Cut(spec, "@")
	f := squarelocal.Fault{Kind: squarelocal.FaultKind(kind), RetryAfter: 1}
	if hasRate {
		if _, err := fmt.Sscanf(rate, "%g", &f.Rate); err != nil {
			return f, fmt.Errorf("rate %q is not a number", rate)
		}
	}
	if f.Kind == squarelocal.FaultLatency {
		return f, errors.New("use -latency for latency")
	}
	return f, f.Validate()
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if c.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	customers := c.customers
	if customers == 0 {
		customers = -1
	}
	// The listener comes first: the controls answer only its port.
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return usageError{fmt.Errorf("cannot listen on %s: %v", c.addr, err)}
	}
	defer ln.Close()
	emu := squarelocal.New(squarelocal.Options{
		CustomersPerMerchant: customers,
		Seed:                 c.seed,
		Apps:                 []squarelocal.App{{ClientID: c.clientID, ClientSecret: c.clientSecret, RedirectURIs: c.redirectURIs}},
		PersonalAccessToken:  c.accessToken,
		Logger:               logger,
		ControlHosts:         loopbackHosts(ln.Addr()),
	})
	defer emu.Close()
	for _, f := range c.faults {
		if err := emu.InjectFault(f); err != nil {
			return usageError{err}
		}
	}
	for _, u := range c.webhookURLs {
		// Every delivery is a real HTTP request, bounded by Square's
		// 10-second timeout and retried on Square's schedule. Each URL is
		// a subscription of its own, as on Square; each delivery is
		// signed for its own URL.
		if _, err := emu.Subscribe(squarelocal.Subscription{
			URL:          u,
			SignatureKey: c.webhookKey,
			Transport:    http.DefaultTransport.(*http.Transport).Clone(),
			Timeout:      squarelocal.DefaultDeliveryTimeout,
		}); err != nil {
			return usageError{err}
		}
	}
	srv := &http.Server{
		Handler:           emu,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Fprintf(stdout, "squarelocal listening on http://%s\n", ln.Addr())
	for _, m := range emu.Merchants() {
		fmt.Fprintf(stdout, "  merchant %s  %s (%s)\n", m.ID, m.BusinessName, m.Country)
	}
	for _, u := range c.redirectURIs {
		fmt.Fprintf(stdout, "  redirect URI %s\n", u)
	}
	for _, u := range c.webhookURLs {
		fmt.Fprintf(stdout, "  webhooks to %s\n", u)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	emu.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
