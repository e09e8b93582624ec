// Command lighthouse measures the signed-in customer directory with
// Lighthouse, as `make lighthouse` (scripts/lighthouse.sh) runs it: it
// starts Tessera in local mode (the built cmd/web given by -web, with its
// in-process Square emulator and demo data) on a free loopback port with a
// temporary data directory, signs in through the OAuth flow as a person
// does (the sign-in button, the emulator's consent page, the callback),
// waits until the customer index has finished its first sync, then runs
// Lighthouse with its mobile defaults on /customers with the session
// cookie, -runs times. It prints each run's scores and main metrics,
// checks that Lighthouse audited the signed-in directory (not the sign-in
// page it would be sent to without the cookie), and exits 1 when the
// median of a score is under its budget, 2 when it cannot measure.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/squarelocal/consentform"
)

// The budgets of issue #13: Lighthouse 12, mobile defaults.
var budgets = []struct {
	category string
	min      float64
}{
	{"performance", 0.98},
	{"accessibility", 1},
	{"best-practices", 1},
}

// metrics are the audits printed with each run, in Lighthouse's order.
var metrics = []struct{ id, label string }{
	{"first-contentful-paint", "FCP"},
	{"largest-contentful-paint", "LCP"},
	{"total-blocking-time", "TBT"},
	{"cumulative-layout-shift", "CLS"},
	{"speed-index", "SI"},
}

const (
	// indexHint is how the directory's search hint reads once the customer
	// index serves it (as e2e/index_search_test.go waits for it).
	indexHint = "any part of a name"
	// indexWithin bounds the first sync of the demo merchant.
	indexWithin = 2 * time.Minute
)

func main() {
	var o options
	flag.StringVar(&o.web, "web", "", "the built cmd/web to start (required)")
	flag.StringVar(&o.lighthouse, "lighthouse", "", "the lighthouse command (required)")
	flag.StringVar(&o.out, "out", "", "directory for the JSON reports (required)")
	flag.StringVar(&o.path, "path", "/customers", "the signed-in page to audit")
	flag.IntVar(&o.runs, "runs", 1, "Lighthouse runs; the budgets apply to the median of each score")
	flag.BoolVar(&o.serve, "serve", false, "run no Lighthouse: print the page's URL and the Cookie header and serve until interrupted (to run Lighthouse or a browser by hand)")
	flag.StringVar(&o.from, "from", "", "a signed-in page of Tessera (a path) each run starts from in the same tab, as staff reach the audited page, instead of about:blank; run with -flow")
	flag.StringVar(&o.flow, "flow", "", "flow.mjs in Lighthouse's installation directory, run by node for -from")
	flag.Parse()
	if err := o.check(); err != nil {
		fmt.Fprintln(os.Stderr, "lighthouse:", err)
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	met, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lighthouse:", err)
		os.Exit(2)
	}
	if !met {
		os.Exit(1)
	}
}

type options struct {
	web, lighthouse, out, path string
	runs                       int
	serve                      bool
	from, flow                 string
}

func (o options) check() error {
	switch {
	case o.web == "" || o.lighthouse == "" || o.out == "":
		return errors.New("-web, -lighthouse and -out are required")
	case o.runs < 1:
		return errors.New("-runs must be at least 1")
	case o.from != "" && !strings.HasPrefix(o.from, "/"):
		return fmt.Errorf("-from %q: want a path of Tessera's, such as /settings/connection", o.from)
	case o.from != "" && o.flow == "":
		return errors.New("-from needs -flow (flow.mjs)")
	}
	return nil
}

func run(ctx context.Context, o options, w io.Writer) (met bool, err error) {
	srv, err := startTessera(ctx, o.web, o.out)
	if err != nil {
		return false, err
	}
	defer func() {
		if cerr := srv.stop(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	fmt.Fprintf(w, "lighthouse: Tessera (local mode) on %s; signing in\n", srv.base)
	c, err := newClient(srv.base)
	if err != nil {
		return false, err
	}
	if err := c.signIn(ctx); err != nil {
		return false, fmt.Errorf("signing in: %w", err)
	}
	fmt.Fprintln(w, "lighthouse: signed in; waiting for the customer index's first sync")
	if err := c.waitIndexed(ctx, o.path); err != nil {
		return false, err
	}
	cookie := c.cookieHeader()
	target := srv.base.JoinPath(o.path).String()
	if o.serve {
		fmt.Fprintf(w, "URL: %s\nCookie: %s\n", target, cookie)
		<-ctx.Done()
		return true, nil
	}

	var results []*result
	for i := 1; i <= o.runs; i++ {
		file := filepath.Join(o.out, fmt.Sprintf("lighthouse-%d.json", i))
		audit := func() error { return lighthouse(ctx, o.lighthouse, target, cookie, file) }
		if o.from != "" {
			audit = func() error {
				return lighthouseFrom(ctx, o.flow, target, cookie, srv.base.JoinPath(o.from).String(), file)
			}
		}
		if err := audit(); err != nil {
			return false, err
		}
		r, err := readReport(file)
		if err != nil {
			return false, err
		}
		if err := r.auditedSignedIn(target); err != nil {
			return false, fmt.Errorf("%s: %w", file, err)
		}
		fmt.Fprintf(w, "run %d (%s, load average %s): %s\n", i, file, loadavg(), r.summary())
		if m, err := readMainThread(strings.TrimSuffix(file, ".json")+"-0.trace.json", target); err == nil {
			fmt.Fprintf(w, "  %s\n", m)
		} else {
			fmt.Fprintf(w, "  the run's trace: %v\n", err)
		}
		r.printShortfalls(w)
		results = append(results, r)
	}
	return checkBudgets(w, results), nil
}

// tessera is the started cmd/web.
type tessera struct {
	cmd  *exec.Cmd
	base *url.URL
	done chan error
}

// startTessera runs the built cmd/web in local mode on a free loopback
// port, with its data directory and log under dir, and waits for /healthz.
func startTessera(ctx context.Context, web, dir string) (*tessera, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", port)
	logFile, err := os.Create(filepath.Join(dir, "tessera.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(web)
	// Local mode whatever the caller's shell has set: no TESSERA_ or
	// SQUARE_ variable but ours.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TESSERA_") && !strings.HasPrefix(kv, "SQUARE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "TESSERA_ADDR="+addr, "TESSERA_DATA_DIR="+filepath.Join(dir, "data"), "TESSERA_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", web, err)
	}
	t := &tessera{cmd: cmd, base: &url.URL{Scheme: "http", Host: addr}, done: make(chan error, 1)}
	go func() { t.done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, t.base.JoinPath("/healthz").String(), nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return t, nil
			}
		}
		select {
		case err := <-t.done:
			return nil, fmt.Errorf("tessera exited before serving (%v); its log: %s", err, logFile.Name())
		case <-ctx.Done():
			_ = t.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = t.stop()
			return nil, fmt.Errorf("tessera did not answer /healthz within 30 s; its log: %s", logFile.Name())
		}
	}
}

// stop ends Tessera with SIGTERM (it shuts down gracefully), then SIGKILL.
func (t *tessera) stop() error {
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.done:
		return nil
	case <-time.After(10 * time.Second):
		_ = t.cmd.Process.Kill()
		<-t.done
		return errors.New("tessera did not stop within 10 s of SIGTERM")
	}
}

// freePort is a loopback port nothing listens on now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

// client is one person's browser as far as cookies and redirects go.
type client struct {
	base *url.URL
	jar  *cookiejar.Jar
	http *http.Client
}

func newClient(base *url.URL) (*client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	return &client{base: base, jar: jar, http: &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		// Each redirect of the OAuth flow is checked, not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

// do sends the request and wants the status; it returns the document and
// the Location header.
func (c *client) do(ctx context.Context, method, target string, form url.Values, want int) (*goquery.Document, string, error) {
	u, err := c.base.Parse(target)
	if err != nil {
		return nil, "", err
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return nil, "", fmt.Errorf("%s %s: status %d, want %d", method, u.Path, resp.StatusCode, want)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", method, u.Path, err)
	}
	return doc, resp.Header.Get("Location"), nil
}

// signIn walks the sign-in as cmd/loadtest does: the sign-in page and its
// button, the emulator's consent page with the first merchant picked and
// Allow pressed, and the callback, which lands on the directory.
func (c *client) signIn(ctx context.Context) error {
	doc, _, err := c.do(ctx, http.MethodGet, "/login", nil, http.StatusOK)
	if err != nil {
		return err
	}
	token, _ := doc.Find(`form[action="/login"] input[name="_csrf"]`).Attr("value")
	if token == "" {
		return errors.New("the sign-in page has no form with a CSRF token")
	}
	_, location, err := c.do(ctx, http.MethodPost, "/login", url.Values{"_csrf": {token}, "return_to": {""}}, http.StatusSeeOther)
	if err != nil {
		return err
	}
	authorize, err := c.base.Parse(location)
	if err != nil || authorize.Path != "/squarelocal/oauth2/authorize" {
		return fmt.Errorf("the sign-in button redirected to %q, want the emulator's consent page", location)
	}
	if doc, _, err = c.do(ctx, http.MethodGet, authorize.String(), nil, http.StatusOK); err != nil {
		return err
	}
	consent, values, err := consentform.Answer(doc, authorize, 0, consentform.Allow)
	if err != nil {
		return err
	}
	_, callback, err := c.do(ctx, http.MethodPost, consent.String(), values, http.StatusFound)
	if err != nil {
		return err
	}
	_, landing, err := c.do(ctx, http.MethodGet, callback, nil, http.StatusSeeOther)
	if err != nil {
		return err
	}
	if landing != "/customers" {
		return fmt.Errorf("the callback redirected to %q, want /customers", landing)
	}
	return nil
}

// waitIndexed asks for the directory until the customer index serves it:
// no progress banner and the index's search hint.
func (c *client) waitIndexed(ctx context.Context, path string) error {
	deadline := time.Now().Add(indexWithin)
	for {
		doc, _, err := c.do(ctx, http.MethodGet, path, nil, http.StatusOK)
		if err != nil {
			return err
		}
		if doc.Find(`[data-testid="index-progress"]`).Length() == 0 &&
			strings.Contains(doc.Find(`[data-testid="search-hint"]`).Text(), indexHint) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the customer index does not serve %s %v after sign-in", path, indexWithin)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// cookieHeader is the Cookie header the signed-in browser sends.
func (c *client) cookieHeader() string {
	var parts []string
	for _, k := range c.jar.Cookies(c.base) {
		parts = append(parts, k.Name+"="+k.Value)
	}
	return strings.Join(parts, "; ")
}

// lighthouse runs Lighthouse once on target with its mobile defaults.
// Lighthouse finds the browser through CHROME_PATH.
func lighthouse(ctx context.Context, command, target, cookie, file string) error {
	headers, err := json.Marshal(map[string]string{"Cookie": cookie})
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, command, target,
		"--only-categories=performance,accessibility,best-practices",
		"--chrome-flags=--headless=new --no-sandbox",
		"--extra-headers="+string(headers),
		// --save-assets keeps the trace (and DevTools log) beside the
		// report, for reading what a long task was: the report itself
		// calls the largest one "Unattributable".
		"--output=json", "--output-path="+file, "--quiet", "--save-assets")
	return runQuiet(cmd, "lighthouse "+target)
}

// lighthouseFrom runs Lighthouse once on target, with its defaults as
// lighthouse does, through flow.mjs: the tab first loads from, a page of
// Tessera, and the audited navigation goes on from there. Coming from
// about:blank, the lighthouse command's start, Chromium starts a renderer
// process for a page that sends Cross-Origin-Opener-Policy, which staff
// moving between Tessera's pages never wait for (docs/performance.md).
func lighthouseFrom(ctx context.Context, flow, target, cookie, from, file string) error {
	cmd := exec.CommandContext(ctx, "node", filepath.Base(flow), target, from, file)
	cmd.Dir = filepath.Dir(flow)
	// The session's cookie goes in the environment, which other users of
	// the machine cannot list as they can a command's arguments.
	cmd.Env = append(os.Environ(), "TESSERA_COOKIE="+cookie)
	return runQuiet(cmd, "node "+flow+" "+target+" from "+from)
}

// runQuiet runs cmd, and on failure returns its error with what it was and
// what it wrote to stderr.
func runQuiet(cmd *exec.Cmd, what string) error {
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", what, err, stderr.String())
	}
	return nil
}

// result is the part of a Lighthouse JSON report read here.
type result struct {
	LighthouseVersion string `json:"lighthouseVersion"`
	RequestedURL      string `json:"requestedUrl"`
	MainDocumentURL   string `json:"mainDocumentUrl"`
	FinalDisplayedURL string `json:"finalDisplayedUrl"`
	RuntimeError      *struct{ Code, Message string }
	Categories        map[string]*category        `json:"categories"`
	Audits            map[string]*audit           `json:"audits"`
	ConfigSettings    struct{ FormFactor string } `json:"configSettings"`
}

type category struct {
	Title     string   `json:"title"`
	Score     *float64 `json:"score"`
	AuditRefs []struct {
		ID     string  `json:"id"`
		Weight float64 `json:"weight"`
	} `json:"auditRefs"`
}

type audit struct {
	Title            string   `json:"title"`
	Score            *float64 `json:"score"`
	ScoreDisplayMode string   `json:"scoreDisplayMode"`
	DisplayValue     string   `json:"displayValue"`
	NumericValue     float64  `json:"numericValue"`
	// Details differ from one audit to another; network-requests' are read.
	Details json.RawMessage `json:"details"`
}

func readReport(file string) (*result, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var r result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if r.RuntimeError != nil && r.RuntimeError.Code != "" {
		return nil, fmt.Errorf("%s: Lighthouse: %s: %s", file, r.RuntimeError.Code, r.RuntimeError.Message)
	}
	return &r, nil
}

// auditedSignedIn checks that Lighthouse stayed on the page it was asked
// for: signed out, /customers redirects to the sign-in page. The main
// document must also be one that only a signed-in person gets: the
// network record of the document is a 200 for the target itself.
func (r *result) auditedSignedIn(target string) error {
	for _, u := range []string{r.MainDocumentURL, r.FinalDisplayedURL} {
		if u != target {
			return fmt.Errorf("lighthouse audited %s, not %s: was the session cookie refused?", u, target)
		}
	}
	requests := r.Audits["network-requests"]
	if requests == nil {
		return errors.New("the report has no network-requests audit")
	}
	var details struct {
		Items []struct {
			URL          string `json:"url"`
			StatusCode   int    `json:"statusCode"`
			ResourceType string `json:"resourceType"`
		} `json:"items"`
	}
	if err := json.Unmarshal(requests.Details, &details); err != nil {
		return fmt.Errorf("the network-requests audit: %w", err)
	}
	for _, item := range details.Items {
		if item.ResourceType == "Document" && item.URL == target {
			if item.StatusCode != http.StatusOK {
				return fmt.Errorf("the audited document %s answered %d", target, item.StatusCode)
			}
			return nil
		}
	}
	return fmt.Errorf("the report has no request for the document %s", target)
}

func (r *result) score(name string) float64 {
	if c := r.Categories[name]; c != nil && c.Score != nil {
		return *c.Score
	}
	return 0
}

func (r *result) summary() string {
	var b strings.Builder
	for i, bu := range budgets {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %.2f", bu.category, r.score(bu.category))
	}
	for _, m := range metrics {
		if a := r.Audits[m.id]; a != nil {
			fmt.Fprintf(&b, "; %s %s", m.label, strings.ReplaceAll(a.DisplayValue, "\u00a0", " "))
		}
	}
	return b.String()
}

// printShortfalls names the audits that cost a category its points: a
// failed accessibility or best-practices audit, a performance metric that
// did not score full marks, with its value.
func (r *result) printShortfalls(w io.Writer) {
	for _, bu := range budgets {
		c := r.Categories[bu.category]
		if c == nil {
			continue
		}
		for _, ref := range c.AuditRefs {
			a := r.Audits[ref.ID]
			if a == nil || a.Score == nil || *a.Score >= 1 || ref.Weight == 0 {
				continue
			}
			fmt.Fprintf(w, "  %s: %s (score %.2f", bu.category, a.Title, *a.Score)
			if a.DisplayValue != "" {
				fmt.Fprintf(w, ", %s", strings.ReplaceAll(a.DisplayValue, "\u00a0", " "))
			}
			fmt.Fprintln(w, ")")
		}
	}
}

// checkBudgets prints each score's median against its budget.
func checkBudgets(w io.Writer, results []*result) bool {
	met := true
	fmt.Fprintf(w, "Lighthouse %s, %s, %d run(s): median scores\n", results[0].LighthouseVersion, results[0].ConfigSettings.FormFactor, len(results))
	for _, bu := range budgets {
		scores := make([]float64, len(results))
		for i, r := range results {
			scores[i] = r.score(bu.category)
		}
		slices.Sort(scores)
		median := scores[len(scores)/2]
		if len(scores)%2 == 0 {
			median = (scores[len(scores)/2-1] + median) / 2
		}
		verdict := "PASS"
		if median < bu.min {
			verdict, met = "FAIL", false
		}
		fmt.Fprintf(w, "  %-15s %.2f (budget ≥ %.2f) %s\n", bu.category, median, bu.min, verdict)
	}
	return met
}

// loadavg is the first three fields of /proc/loadavg, or "unknown".
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
