package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/tessera-dashboard/tessera/internal/testutil"
)

// startProcess runs bin with args and env on top of the test's cleaned
// environment, waits until ready reports success, and stops it (SIGINT)
// when the test ends. Its output goes to the test log if the test fails.
func startProcess(t *testing.T, name string, cmd *exec.Cmd, ready func(exited <-chan error) error) {
	t.Helper()
	out := &testutil.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = appProcAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := ready(exited); err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("%s: %v\nits output:\n%s", name, err, out)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s's output:\n%s", name, out)
		}
	})
}

// waitListening polls url until anything answers it.
func waitListening(url string, exited <-chan error) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("exited before it listened: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %s", url, readyTimeout)
		}
	}
}

// In emulator mode a person signs in on the standalone emulator's consent
// page, sees its customers under a banner naming it, and a change made in
// the emulator shows on the open directory (a signed webhook into the
// index, then a live update).
func TestEmulatorModeSignInAndDirectory(t *testing.T) {
	t.Parallel()
	shared(t)
	squarelocal := filepath.Join(t.TempDir(), "squarelocal")
	build := exec.Command("go", "build", "-o", squarelocal, "./cmd/squarelocal")
	build.Dir = env.repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/squarelocal: %v\n%s", err, out)
	}
	tesseraPort, err := freePort()
	check(t, err, "a free port for Tessera")
	emulatorPort, err := freePort()
	check(t, err, "a free port for the emulator")
	tessera := fmt.Sprintf("http://127.0.0.1:%d", tesseraPort)
	emulator := fmt.Sprintf("http://127.0.0.1:%d", emulatorPort)
	const webhookKey = "e2e-shared-emulator-key"

	startProcess(t, "squarelocal", exec.Command(squarelocal,
		"-addr", fmt.Sprintf("127.0.0.1:%d", emulatorPort), "-customers", "30",
		"-redirect-uri", tessera+"/auth/callback",
		"-webhook-url", tessera+"/webhooks/square", "-webhook-signature-key", webhookKey,
	), func(exited <-chan error) error { return waitListening(emulator+"/v1/square.js", exited) })

	web := exec.Command(env.webBinary)
	web.Env = append(cleanEnv(),
		fmt.Sprintf("TESSERA_ADDR=127.0.0.1:%d", tesseraPort), "TESSERA_DATA_DIR="+t.TempDir(),
		"SQUARE_ENVIRONMENT=emulator", "SQUARE_EMULATOR_URL="+emulator, "SQUARE_WEBHOOK_SIGNATURE_KEY="+webhookKey,
	)
	startProcess(t, "Tessera", web, func(exited <-chan error) error { return waitReady(tessera, exited) })

	page := newPage(t, &webApp{URL: tessera})
	openConsent(t, page)
	if !strings.HasPrefix(page.URL(), emulator+"/oauth2/authorize?") {
		t.Errorf("the consent page is at %s, want the emulator's %s/oauth2/authorize", page.URL(), emulator)
	}
	check(t, byRole(page, *playwright.AriaRoleRadio, merchantHarbor).Check(), "choosing "+merchantHarbor)
	check(t, byRole(page, *playwright.AriaRoleButton, "Allow").Click(), `clicking "Allow"`)
	check(t, expect.Page(page).ToHaveURL(urlPath("/customers")), "landing on /customers")
	check(t, expect.Locator(page.GetByTestId("business-name")).ToHaveText(merchantHarbor), "the header names the merchant")
	check(t, expect.Locator(page.GetByTestId("emulator-banner")).ToContainText("emulator at "+emulator), "the banner names the emulator")
	check(t, expect.Locator(page.GetByTestId("local-banner")).ToHaveCount(0), "no local demo banner")
	ids, _ := listedCustomers(t, page)

	openLive(t, page, "/customers")
	resp, err := http.Post(emulator+"/_squarelocal/customers/"+ids[0], "application/json", strings.NewReader(`{"family_name":"Vandermolen"}`))
	check(t, err, "changing a customer in the emulator")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("changing a customer in the emulator = %d, want 200", resp.StatusCode)
	}
	row := page.Locator(`#customer-rows tr[data-customer-id="` + ids[0] + `"]`)
	check(t, expect.Locator(row).ToContainText("Vandermolen"), "the open directory shows the change made in the emulator")
}
