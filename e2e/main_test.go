package e2e

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
)

// chromiumPath is Debian's chromium package; Playwright's own browser
// downloads are not reachable from our machines.
const chromiumPath = "/usr/bin/chromium"

// chromiumArgs keep the browser off the network (it would otherwise keep
// trying to reach Google's services) and working as root in a container.
var chromiumArgs = []string{
	"--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
}

const setupHint = "run scripts/e2e-setup.sh first (it installs Debian's chromium, " +
	"the pinned playwright-core driver and axe-core from npm)"

var updateScreenshot = flag.Bool("update-screenshot", false,
	"write docs/screenshot.png from TestSignInShowsDirectory (also written when missing)")

// The environment shared by the package's tests, set up once, by the first
// test that needs it, so that go test -run '^$' -bench . costs nothing.
var (
	setupOnce sync.Once
	setupErr  error
	env       struct {
		repoRoot   string // the module root
		axeScript  string // e2e/node_modules/axe-core/axe.min.js
		webBinary  string // cmd/web, built for these tests
		playwright *playwright.Playwright
		browser    playwright.Browser
	}
	tmpDir string
)

func TestMain(m *testing.M) {
	flag.Parse()
	// pgtest.Main stops the PostgreSQL cluster of the run on PostgreSQL
	// (envPostgres), if it started one.
	code := pgtest.Main(m)
	teardown()
	os.Exit(code)
}

// shared makes sure env is set up (the built binary, Playwright and the
// browser), doing it on the first call; when that failed, the test fails
// with the reason and what to run.
func shared(t *testing.T) {
	t.Helper()
	setupOnce.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("browser tests cannot start: %v", setupErr)
	}
}

func setup() error {
	pkgDir, err := os.Getwd() // go test runs in the package's directory
	if err != nil {
		return err
	}
	env.repoRoot = filepath.Dir(pkgDir)

	// The variables playwright-go reads, unless the caller set them.
	if os.Getenv("PLAYWRIGHT_DRIVER_PATH") == "" {
		os.Setenv("PLAYWRIGHT_DRIVER_PATH", filepath.Join(pkgDir, ".driver"))
	}
	if os.Getenv("PLAYWRIGHT_NODEJS_PATH") == "" {
		node, err := exec.LookPath("node")
		if err != nil {
			return fmt.Errorf("node is not on PATH; install Node.js 18 or later, then %s", setupHint)
		}
		os.Setenv("PLAYWRIGHT_NODEJS_PATH", node)
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		return fmt.Errorf("no Chromium at %s; %s", chromiumPath, setupHint)
	}
	cli := filepath.Join(os.Getenv("PLAYWRIGHT_DRIVER_PATH"), "package", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		return fmt.Errorf("no Playwright driver at %s; %s", cli, setupHint)
	}
	env.axeScript = filepath.Join(pkgDir, "node_modules", "axe-core", "axe.min.js")
	if _, err := os.Stat(env.axeScript); err != nil {
		return fmt.Errorf("no axe-core at %s; %s", env.axeScript, setupHint)
	}

	tmpDir, err = os.MkdirTemp("", "tessera-e2e-")
	if err != nil {
		return err
	}
	// TESSERA_E2E_BINARY tests a binary built elsewhere (a release build,
	// say) instead of building cmd/web here.
	if bin := os.Getenv("TESSERA_E2E_BINARY"); bin != "" {
		if env.webBinary, err = filepath.Abs(bin); err != nil {
			return err
		}
	} else {
		env.webBinary = filepath.Join(tmpDir, "web")
		build := exec.Command("go", "build", "-o", env.webBinary, "./cmd/web")
		build.Dir = env.repoRoot
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/web: %v\n%s", err, out)
		}
	}

	env.playwright, err = playwright.Run(&playwright.RunOptions{SkipInstallBrowsers: true, Stderr: os.Stderr})
	if err != nil {
		return fmt.Errorf("starting the Playwright driver: %w; %s", err, setupHint)
	}
	env.browser, err = env.playwright.Chromium.Launch(playwright.BrowserTypeLaunchOptions{
		ExecutablePath: playwright.String(chromiumPath),
		Headless:       playwright.Bool(true),
		Args:           chromiumArgs,
	})
	if err != nil {
		return fmt.Errorf("launching %s: %w; %s", chromiumPath, err, setupHint)
	}
	return nil
}

func teardown() {
	var errs []error
	if env.browser != nil {
		errs = append(errs, env.browser.Close())
	}
	if env.playwright != nil {
		errs = append(errs, env.playwright.Stop())
	}
	if tmpDir != "" {
		errs = append(errs, os.RemoveAll(tmpDir))
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: teardown:", err)
	}
}
