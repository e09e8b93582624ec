package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
	"github.com/tessera-dashboard/tessera/internal/testutil"
)

// Timeouts, generous because go test ./... runs other packages' tests on
// the same cores at the same time.
const (
	readyTimeout  = 15 * time.Second
	actionTimeout = 15_000 // ms, for Playwright actions and navigations
	expectTimeout = 10_000 // ms, for the expect-style assertions
)

// expect holds Playwright's web-first assertions: they retry until the page
// shows what they ask for, or the timeout.
var expect = playwright.NewPlaywrightAssertions(expectTimeout)

// The seeded merchants of squarelocal, as the consent page and Tessera's
// header name them.
const (
	merchantHarbor    = "Harbor & Pine Coffee"
	merchantLindenhof = "Lindenhof Bäckerei"
)

// envPostgres, when set, runs every Tessera the tests start on PostgreSQL
// (make e2e runs a subset of the suite so: sign-in, search, edit, live
// updates, a change from Square through its webhook).
const envPostgres = "TESSERA_E2E_POSTGRES"

// webApp is one running Tessera.
type webApp struct {
	URL string // http://127.0.0.1:<port>
}

// startApp runs the built binary in local mode on a free loopback port with
// a fresh data directory, waits for /readyz, and stops it when the test
// ends. Its log goes to the test log when the test fails.
func startApp(t *testing.T) *webApp {
	t.Helper()
	return startAppWith(t)
}

// startAppWith is startApp with more environment variables, such as
// TESSERA_INDEX=off for a test of the directory as Square serves it.
func startAppWith(t *testing.T, extraEnv ...string) *webApp {
	t.Helper()
	shared(t)
	dataDir := t.TempDir()
	if os.Getenv(envPostgres) != "" {
		// The second run of the suite: the same flows with every piece of
		// state in PostgreSQL, a fresh database for each Tessera.
		extraEnv = append([]string{"TESSERA_DATABASE_URL=" + pgtest.Database(t)}, extraEnv...)
	}
	var lastErr error
	for range 3 { // the free port may be taken before the app listens
		app, err := tryStartApp(t, dataDir, extraEnv...)
		if err == nil {
			return app
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	t.Fatalf("starting Tessera: %v", lastErr)
	return nil
}

var errPortTaken = errors.New("port taken")

func tryStartApp(t *testing.T, dataDir string, extraEnv ...string) (*webApp, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	out := &testutil.SyncBuffer{}
	cmd := exec.Command(env.webBinary)
	cmd.Env = append(append(cleanEnv(), "TESSERA_ADDR="+addr, "TESSERA_DATA_DIR="+dataDir), extraEnv...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = appProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	url := "http://" + addr
	if err := waitReady(url, exited); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		if strings.Contains(out.String(), "cannot listen") {
			return nil, fmt.Errorf("%w: %v\n%s", errPortTaken, err, out)
		}
		return nil, fmt.Errorf("%v\nits output:\n%s", err, out)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("Tessera exited with %v after SIGINT", err)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("Tessera did not stop within 10s of SIGINT")
		}
		if t.Failed() {
			t.Logf("Tessera's output (%s):\n%s", url, out)
		}
	})
	return &webApp{URL: url}, nil
}

// waitReady polls /readyz until it answers 200, the process exits or
// readyTimeout passes.
func waitReady(url string, exited <-chan error) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyTimeout)
	for {
		resp, err := client.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("Tessera exited before it was ready: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s/readyz did not answer 200 within %s", url, readyTimeout)
		}
	}
}

// cleanEnv is the test's environment without Tessera's and Square's
// variables, so a developer's shell cannot change the mode under test.
func cleanEnv() []string {
	var kept []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TESSERA_") || strings.HasPrefix(kv, "SQUARE_") {
			continue
		}
		kept = append(kept, kv)
	}
	return kept
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// contextOptions tune newPage.
type contextOptions struct {
	// axe injects axe-core into every document of the context, before the
	// page's own scripts, so axe.run is there whatever the page's CSP.
	axe bool
	// noJS turns JavaScript off, as some people (and some screen readers'
	// settings) have it: every flow must work without it.
	noJS bool
}

// newPage opens a page in a fresh browser context (its own cookies) of
// 1280x800, with relative URLs resolved against app. When the test fails it
// saves a screenshot and prints its path; it also fails the test on a CSP
// violation or an uncaught script error in the page.
func newPage(t *testing.T, app *webApp, opts ...contextOptions) playwright.Page {
	t.Helper()
	shared(t)
	var o contextOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	ctxOpts := playwright.BrowserNewContextOptions{
		BaseURL:  playwright.String(app.URL),
		Viewport: &playwright.Size{Width: 1280, Height: 800},
		Locale:   playwright.String("en-US"),
	}
	if o.noJS {
		ctxOpts.JavaScriptEnabled = playwright.Bool(false)
	}
	bctx, err := env.browser.NewContext(ctxOpts)
	if err != nil {
		t.Fatalf("new browser context: %v", err)
	}
	t.Cleanup(func() {
		if err := bctx.Close(); err != nil {
			t.Errorf("closing the browser context: %v", err)
		}
	})
	bctx.SetDefaultTimeout(actionTimeout)
	bctx.SetDefaultNavigationTimeout(actionTimeout)
	if o.axe {
		if err := bctx.AddInitScript(playwright.Script{Path: playwright.String(env.axeScript)}); err != nil {
			t.Fatalf("adding axe-core: %v", err)
		}
	}
	page, err := bctx.NewPage()
	if err != nil {
		t.Fatalf("new page: %v", err)
	}

	var mu sync.Mutex
	var problems []string
	page.OnConsole(func(m playwright.ConsoleMessage) {
		if m.Type() == "error" && strings.Contains(m.Text(), "Content Security Policy") {
			mu.Lock()
			problems = append(problems, fmt.Sprintf("CSP violation on %s: %s", page.URL(), m.Text()))
			mu.Unlock()
		}
	})
	page.OnPageError(func(err error) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf("uncaught error on %s: %v", page.URL(), err))
		mu.Unlock()
	})

	// Registered after the context's Close, so it runs before it.
	t.Cleanup(func() {
		mu.Lock()
		for _, p := range problems {
			t.Error(p)
		}
		mu.Unlock()
		if t.Failed() {
			saveFailureScreenshot(t, page)
		}
	})
	return page
}

// saveFailureScreenshot keeps a full-page screenshot of a failed test where
// it outlives the test (t.TempDir would be removed with it).
func saveFailureScreenshot(t *testing.T, page playwright.Page) {
	dir := os.Getenv("E2E_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "tessera-e2e-failures")
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
	path := filepath.Join(dir, fmt.Sprintf("%s-%s.png", name, time.Now().Format("20060102-150405.000")))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("failure screenshot: %v", err)
		return
	}
	if _, err := page.Screenshot(playwright.PageScreenshotOptions{Path: playwright.String(path), FullPage: playwright.Bool(true)}); err != nil {
		t.Logf("failure screenshot: %v", err)
		return
	}
	t.Logf("failure screenshot of %s: %s", page.URL(), path)
}

// check fails the test now when an assertion or action failed.
func check(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// urlPath matches a page URL whose path is p, with or without a query.
func urlPath(p string) *regexp.Regexp {
	return regexp.MustCompile(`^https?://[^/]+` + regexp.QuoteMeta(p) + `(\?.*)?$`)
}

// byRole finds an element as assistive technology would: its role and
// accessible name (a case-insensitive substring unless exact).
func byRole(page playwright.Page, role playwright.AriaRole, name string) playwright.Locator {
	return page.GetByRole(role, playwright.PageGetByRoleOptions{Name: name})
}

// openConsent goes from "/" to Square's consent page: "/" sends a signed-out
// person to sign in, where they click "Sign in with Square".
func openConsent(t *testing.T, page playwright.Page) {
	t.Helper()
	_, err := page.Goto("/")
	check(t, err, "opening /")
	check(t, expect.Page(page).ToHaveURL(urlPath("/login")), "/ sends a signed-out person to /login")
	check(t, byRole(page, *playwright.AriaRoleButton, "Sign in with Square").Click(), `clicking "Sign in with Square"`)
	check(t, expect.Locator(page.GetByTestId("consent")).ToBeVisible(), "Square's consent page")
}

// signIn signs in through the consent page as merchant (one of the seeded
// business names) and waits for the directory.
func signIn(t *testing.T, page playwright.Page, merchant string) {
	t.Helper()
	openConsent(t, page)
	radio := byRole(page, *playwright.AriaRoleRadio, merchant)
	check(t, radio.Check(), "choosing "+merchant)
	check(t, byRole(page, *playwright.AriaRoleButton, "Allow").Click(), `clicking "Allow"`)
	check(t, expect.Page(page).ToHaveURL(urlPath("/customers")), "landing on /customers")
	check(t, expect.Locator(page.GetByTestId("business-name")).ToHaveText(merchant), "the header names "+merchant)
}

// customerRows are the directory's rows.
func customerRows(page playwright.Page) playwright.Locator {
	return page.GetByTestId("customer-row")
}

// listedCustomers waits for the directory to show rows and returns their
// customer ids and names, in order.
func listedCustomers(t *testing.T, page playwright.Page) (ids, names []string) {
	t.Helper()
	rows := customerRows(page)
	check(t, expect.Locator(rows.First()).ToBeVisible(), "customer rows")
	n, err := rows.Count()
	check(t, err, "counting customer rows")
	for i := range n {
		row := rows.Nth(i)
		id, err := row.GetAttribute("data-customer-id")
		check(t, err, "a row's customer id")
		name, err := row.GetByRole(*playwright.AriaRoleRowheader).InnerText()
		check(t, err, "a row's customer name")
		ids = append(ids, id)
		names = append(names, strings.TrimSpace(name))
	}
	return ids, names
}

// withAndWithoutJS runs a flow twice, in parallel, each in a Tessera of
// its own: with JavaScript, where axe checks each page the flow names, and
// without, where axe does nothing.
func withAndWithoutJS(t *testing.T, flow func(t *testing.T, app *webApp, page playwright.Page, noJS bool, axe func(what string))) {
	t.Helper()
	for _, noJS := range []bool{false, true} {
		name := "with JavaScript"
		if noJS {
			name = "without JavaScript"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			app := startApp(t)
			page := newPage(t, app, contextOptions{noJS: noJS, axe: !noJS})
			flow(t, app, page, noJS, func(what string) {
				if !noJS {
					checkAxe(t, page, what)
				}
			})
		})
	}
}
