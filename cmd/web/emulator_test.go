package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/testutil"
)

// standaloneEmulator is cmd/squarelocal running as its own process.
type standaloneEmulator struct {
	t    *testing.T
	base string
}

// startSquarelocal builds cmd/squarelocal and runs it on addr with args,
// waiting until it says it listens. It is stopped when the test ends.
func startSquarelocal(t *testing.T, addr string, args ...string) *standaloneEmulator {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "squarelocal")
	build := exec.Command("go", "build", "-o", bin, "./cmd/squarelocal")
	build.Dir = moduleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/squarelocal: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{"-addr", addr}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &testutil.SyncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "squarelocal listening on ") {
				close(listening)
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case <-listening:
	case <-time.After(30 * time.Second):
		t.Fatalf("squarelocal did not start listening within 30 s; stderr:\n%s", stderr)
	}
	return &standaloneEmulator{t: t, base: "http://" + addr}
}

// control sends a request to the emulator's controls, as a program on
// its machine does, and decodes the JSON answer into out (when not nil).
func (e *standaloneEmulator) control(method, path, body string, out any) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.base+"/_squarelocal/"+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s /_squarelocal/%s = %d %s, want 200", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s /_squarelocal/%s: %v in %s", method, path, err, b)
		}
	}
}

// TestEmulatorModeAgainstAStandaloneSquarelocal runs cmd/squarelocal as
// its own process, with an application, a redirect URI and a webhook
// subscription of its own, and Tessera in emulator mode against it: staff
// sign in on the emulator's consent page, see its customers, and a change
// made in the emulator reaches Tessera's index through a signed webhook.
func TestEmulatorModeAgainstAStandaloneSquarelocal(t *testing.T) {
	const (
		clientID     = "sandbox-sq0idb-shared-team-app"
		clientSecret = "sandbox-sq0csb-shared-team-secret"
		webhookKey   = "shared-emulator-webhook-key"
	)
	tesseraAddr, emuAddr := freeAddr(t), freeAddr(t)
	tesseraBase := "http://" + tesseraAddr
	emu := startSquarelocal(t, emuAddr,
		"-customers", "12",
		"-client-id", clientID, "-client-secret", clientSecret,
		"-redirect-uri", tesseraBase+"/auth/callback",
		"-webhook-url", tesseraBase+"/webhooks/square", "-webhook-signature-key", webhookKey,
	)
	s := startServer(t, env{
		config.EnvAddr:                tesseraAddr,
		config.EnvEnvironment:         "emulator",
		config.EnvEmulatorURL:         emu.base,
		config.EnvApplicationID:       clientID,
		config.EnvApplicationSecret:   clientSecret,
		config.EnvWebhookSignatureKey: webhookKey,
	})
	if want := "(emulator mode)"; !strings.Contains(s.stdout.String(), want) {
		t.Errorf("stdout = %q, want it to say %s", s.stdout.String(), want)
	}

	b := newBrowser(t, s.base)
	// "Sign in with Square" goes to the standalone emulator's consent page.
	login := b.page(b.follow.Get(s.base + "/login"))
	token, _ := login.Find(`form[action="/login"] input[name="_csrf"]`).Attr("value")
	resp, err := b.noFollow.PostForm(s.base+"/login", url.Values{"_csrf": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	authorize, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || authorize == nil || "http://"+authorize.Host != emu.base || authorize.Path != "/oauth2/authorize" ||
		authorize.Query().Get("client_id") != clientID {
		t.Fatalf("POST /login = %d to %q, want 303 to %s/oauth2/authorize with client_id %s", resp.StatusCode, resp.Header.Get("Location"), emu.base, clientID)
	}
	// The code is exchanged with the emulator's -client-secret.
	b.signIn()

	directory := b.page(b.follow.Get(s.base + "/customers"))
	banner := strings.Join(strings.Fields(directory.Find(`[data-testid="emulator-banner"]`).Text()), " ")
	if !strings.Contains(banner, "emulator at "+emu.base) {
		t.Errorf("banner = %q, want it to name the emulator at %s", banner, emu.base)
	}
	if n := directory.Find(`[data-testid="local-banner"]`).Length(); n != 0 {
		t.Error("emulator mode shows the local demo banner, want the emulator's")
	}
	rows := directory.Find(`[data-testid="customer-row"]`)
	if rows.Length() == 0 {
		t.Fatalf("the directory lists no customers, want the emulator's 12")
	}
	id := rows.First().AttrOr("data-customer-id", "")

	// Wait for the first sync, so that what follows is the index's answer.
	deadline := time.Now().Add(30 * time.Second)
	for b.page(b.follow.Get(s.base+"/customers")).Find(`[data-testid="index-progress"]`).Length() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the index was not ready within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The seller renames the customer "elsewhere" (Square's dashboard).
	emu.control(http.MethodPost, "customers/"+id, `{"given_name":"Quintessa","family_name":"Vandermolen"}`, nil)
	var delivered bool
	for deadline := time.Now().Add(15 * time.Second); !delivered && time.Now().Before(deadline); {
		var log struct {
			Deliveries []squarelocal.Delivery `json:"deliveries"`
		}
		emu.control(http.MethodGet, "deliveries", "", &log)
		for _, d := range log.Deliveries {
			if d.EventType != "customer.updated" || d.URL != tesseraBase+"/webhooks/square" {
				continue
			}
			if d.Status != 0 && !d.Delivered() {
				t.Fatalf("Tessera answered the emulator's signed customer.updated with %d, want 2xx", d.Status)
			}
			delivered = delivered || d.Delivered()
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !delivered {
		t.Fatal("the emulator's customer.updated did not reach Tessera within 15 s")
	}
	found := b.page(b.follow.Get(s.base + "/customers?q=Vandermolen"))
	if found.Find(`[data-testid="index-progress"]`).Length() > 0 {
		t.Fatal("the search was not answered from the index")
	}
	hits := found.Find(`[data-testid="customer-row"]`)
	if hits.Length() != 1 || hits.AttrOr("data-customer-id", "") != id || !strings.Contains(hits.Text(), "Quintessa") {
		t.Errorf("searching the index for the new name gives %d rows (%q), want the renamed customer %s", hits.Length(), strings.Join(strings.Fields(hits.Text()), " "), id)
	}
}
