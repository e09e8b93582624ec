package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/testutil"
)

// A secret long enough for config (32 bytes); never a real one.
const testSecret = "test-secret-0123456789abcdef0123456789abcdef"

// sandboxEnv is a complete sandbox configuration but for what a case
// removes, so that each case has exactly one problem.
func sandboxEnv(t *testing.T) env {
	return env{
		config.EnvEnvironment:       "sandbox",
		config.EnvBaseURL:           "https://tessera.example.com",
		config.EnvSessionSecret:     testSecret,
		config.EnvApplicationID:     "sandbox-sq0idb-test",
		config.EnvApplicationSecret: "sandbox-sq0csb-test",
		config.EnvAllowAnyMerchant:  "true",
		config.EnvAddr:              freeAddr(t),
		config.EnvDataDir:           t.TempDir(),
	}
}

// regularFile creates an empty file and returns its path: a data directory
// below it cannot be created, even by root, which ignores permissions.
func regularFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunStartupErrorsAreOneLineNamingTheVariable(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	tests := []struct {
		name    string
		env     func(t *testing.T) env
		wantVar string
		// wantText is a part of the message that says what is wrong.
		wantText string
		// secret must not appear in the message.
		secret string
	}{
		{
			name: "a missing session secret outside local mode",
			env: func(t *testing.T) env {
				e := sandboxEnv(t)
				delete(e, config.EnvSessionSecret)
				return e
			},
			wantVar: config.EnvSessionSecret, wantText: "required when SQUARE_ENVIRONMENT is sandbox",
		},
		{
			name: "a session secret file that does not exist",
			env: func(t *testing.T) env {
				e := sandboxEnv(t)
				delete(e, config.EnvSessionSecret)
				e[config.EnvSessionSecret+config.FileSuffix] = filepath.Join(t.TempDir(), "missing")
				return e
			},
			wantVar: config.EnvSessionSecret + config.FileSuffix, wantText: "cannot read the file",
		},
		{
			name: "a session secret that is too short is not echoed",
			env: func(t *testing.T) env {
				e := sandboxEnv(t)
				e[config.EnvSessionSecret] = "hunter2-hunter2"
				return e
			},
			wantVar: config.EnvSessionSecret, wantText: "shorter than 32 bytes", secret: "hunter2",
		},
		{
			name: "a base URL without a scheme",
			env: func(t *testing.T) env {
				return env{config.EnvBaseURL: "tessera.example.com:8080", config.EnvDataDir: t.TempDir()}
			},
			wantVar: config.EnvBaseURL, wantText: "must be an absolute http or https URL",
		},
		{
			name: "a base URL with a path",
			env: func(t *testing.T) env {
				return env{config.EnvBaseURL: "https://example.com/tessera", config.EnvDataDir: t.TempDir()}
			},
			wantVar: config.EnvBaseURL, wantText: "must not have a path",
		},
		{
			name: "a plain-http base URL in production",
			env: func(t *testing.T) env {
				e := sandboxEnv(t)
				e[config.EnvEnvironment] = "production"
				e[config.EnvBaseURL] = "http://tessera.example.com"
				return e
			},
			wantVar: config.EnvBaseURL, wantText: "must be https",
		},
		{
			name: "a base URL with a password is not echoed",
			env: func(t *testing.T) env {
				return env{config.EnvBaseURL: "https://admin:s3cr3t-pw@tessera.example.com", config.EnvDataDir: t.TempDir()}
			},
			wantVar: config.EnvBaseURL, wantText: "must not contain a user name or password", secret: "s3cr3t-pw",
		},
		{
			name: "a deployment that forgot SQUARE_ENVIRONMENT does not start on the emulator",
			env: func(t *testing.T) env {
				e := sandboxEnv(t)
				delete(e, config.EnvEnvironment)
				e[config.EnvTrustedProxies] = "127.0.0.1"
				return e
			},
			wantVar: config.EnvEnvironment,
			wantText: "refuses TESSERA_BASE_URL (https://tessera.example.com), SQUARE_APPLICATION_ID, SQUARE_APPLICATION_SECRET, " +
				"TESSERA_TRUSTED_PROXIES, which only make sense against Square; set it to sandbox or production",
		},
		{
			name: "local mode with a public http base URL",
			env: func(t *testing.T) env {
				return env{config.EnvBaseURL: "http://203.0.113.7:8080", config.EnvDataDir: t.TempDir(), config.EnvAddr: freeAddr(t)}
			},
			wantVar: config.EnvEnvironment, wantText: "local mode (the default: the built-in Square emulator) refuses TESSERA_BASE_URL",
		},
		{
			name: "emulator mode without the emulator's URL",
			env: func(t *testing.T) env {
				return env{config.EnvEnvironment: "emulator", config.EnvDataDir: t.TempDir(), config.EnvAddr: freeAddr(t)}
			},
			wantVar: config.EnvEmulatorURL, wantText: "required when SQUARE_ENVIRONMENT is emulator",
		},
		{
			name: "an emulator URL in local mode, which would be ignored",
			env: func(t *testing.T) env {
				return env{config.EnvEmulatorURL: "http://127.0.0.1:8081", config.EnvDataDir: t.TempDir(), config.EnvAddr: freeAddr(t)}
			},
			wantVar: config.EnvEmulatorURL, wantText: "set SQUARE_ENVIRONMENT=emulator",
		},
		{
			name: "a data directory that cannot be created, in local mode",
			env: func(t *testing.T) env {
				return env{config.EnvDataDir: filepath.Join(regularFile(t), "data"), config.EnvAddr: freeAddr(t)}
			},
			wantVar: config.EnvDataDir, wantText: "not a directory",
		},
		{
			// With a secret set, local mode skips the session key, so the
			// database is the first to meet the directory.
			name: "a data directory that cannot be created, with a session secret",
			env: func(t *testing.T) env {
				return env{
					config.EnvDataDir: filepath.Join(regularFile(t), "data"), config.EnvAddr: freeAddr(t),
					config.EnvSessionSecret: testSecret,
				}
			},
			wantVar: config.EnvDataDir, wantText: "not a directory",
		},
		{
			name: "a data directory that is a file",
			env: func(t *testing.T) env {
				return env{config.EnvDataDir: regularFile(t), config.EnvAddr: freeAddr(t), config.EnvSessionSecret: testSecret}
			},
			wantVar: config.EnvDataDir, wantText: "not a directory",
		},
		{
			name:    "a listen address without a port",
			env:     func(t *testing.T) env { return env{config.EnvAddr: "8080", config.EnvDataDir: t.TempDir()} },
			wantVar: config.EnvAddr, wantText: "must be host:port",
		},
		{
			name: "a port in use",
			env: func(t *testing.T) env {
				return env{config.EnvAddr: busy.Addr().String(), config.EnvDataDir: t.TempDir()}
			},
			wantVar: config.EnvAddr, wantText: "address already in use",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			var stdout bytes.Buffer
			stderr := &testutil.SyncBuffer{}
			err := run(ctx, nil, tt.env(t).get, &stdout, stderr)
			if err == nil {
				t.Fatal("run() = nil, want a start-up error")
			}
			msg := err.Error()
			if got := exitCode(err); got != 2 {
				t.Errorf("exit code of run() = %d (%q), want 2", got, msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("run() = %q, want one line", msg)
			}
			if !strings.HasPrefix(msg, tt.wantVar+": ") {
				t.Errorf("run() = %q, want it to start with %q", msg, tt.wantVar+": ")
			}
			if n := strings.Count(msg, tt.wantVar); n != 1 {
				t.Errorf("run() = %q names %s %d times, want once", msg, tt.wantVar, n)
			}
			if !strings.Contains(msg, tt.wantText) {
				t.Errorf("run() = %q, want it to say %q", msg, tt.wantText)
			}
			if tt.secret != "" && strings.Contains(msg+stderr.String(), tt.secret) {
				t.Errorf("run() = %q (stderr %q) shows the secret %q", msg, stderr, tt.secret)
			}
			if stdout.Len() != 0 {
				t.Errorf("run() wrote %q to stdout, want nothing: it must not have started serving", stdout.String())
			}
		})
	}
}

// TestBinaryUnwritableDataDirectory runs the real binary as an unprivileged
// user, so that the kernel refuses the writes that root would be allowed,
// and checks what main prints and how it exits.
func TestBinaryUnwritableDataDirectory(t *testing.T) {
	bin := sharedBinary(t)
	const nobody = 65534
	dir := sharedTempDir(t)

	tests := []struct {
		name string
		// dataDir returns the data directory, below dir.
		dataDir func(t *testing.T) string
		secret  bool
	}{
		{
			name:    "an existing directory the user cannot write, in local mode",
			dataDir: func(t *testing.T) string { return readOnlyDir(t, dir, "ro-local") },
		},
		{
			name:    "an existing directory the user cannot write, with a session secret",
			dataDir: func(t *testing.T) string { return readOnlyDir(t, dir, "ro-secret") },
			secret:  true,
		},
		{
			name:    "a directory the user cannot create",
			dataDir: func(t *testing.T) string { return filepath.Join(readOnlyDir(t, dir, "ro-parent"), "data") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := tt.dataDir(t)
			cmd := exec.Command(bin)
			cmd.Dir = dir
			cmd.Env = []string{config.EnvDataDir + "=" + dataDir, config.EnvAddr + "=" + freeAddr(t)}
			if tt.secret {
				cmd.Env = append(cmd.Env, config.EnvSessionSecret+"="+testSecret)
			}
			if os.Geteuid() == 0 {
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := runWithTimeout(t, cmd, 20*time.Second)
			if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) {
				t.Skipf("cannot start the binary as uid %d here: %v", nobody, err)
			}
			exitErr, ok := errors.AsType[*exec.ExitError](err)
			if !ok {
				t.Fatalf("running the binary: %v, want exit code 2; stderr:\n%s", err, &stderr)
			}
			if got := exitErr.ExitCode(); got != 2 {
				t.Errorf("exit code = %d, want 2", got)
			}
			got := lines(stderr.String())
			if len(got) != 1 || !strings.HasPrefix(got[0], "tessera: "+config.EnvDataDir+": ") || strings.Count(got[0], config.EnvDataDir) != 1 {
				t.Errorf("stderr = %q, want exactly one line \"tessera: %s: …\"", stderr.String(), config.EnvDataDir)
			}
			if !strings.Contains(stderr.String(), "permission denied") {
				t.Errorf("stderr = %q, want it to say permission denied", stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}

// readOnlyDir makes a directory below parent that the user the binary runs
// as cannot write: owned by root with mode 0755 when the test runs as root
// (the binary then runs as nobody), else the current user's with mode 0555.
// It skips the test if the directory turns out to be writable anyway, as
// it is for a non-root user with CAP_DAC_OVERRIDE.
func readOnlyDir(t *testing.T, parent, name string) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		return dir
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	f, err := os.CreateTemp(dir, "probe")
	if err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skipf("not root, and %s is writable despite mode 0555 (the process can override permissions), so there is no user to make it unwritable for", dir)
	}
	t.Logf("not root: running the binary as uid %d against a mode 0555 directory instead of as nobody", os.Geteuid())
	return dir
}

// runWithTimeout runs cmd, killing it if it has not finished within d.
func runWithTimeout(t *testing.T, cmd *exec.Cmd, d time.Duration) error {
	t.Helper()
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not exit within %s", cmd.Path, d)
		return nil
	}
}

func TestRunHelpListsEveryVariableWithItsDefault(t *testing.T) {
	for _, arg := range []string{"-help", "-h", "--help", "help"} {
		t.Run(arg, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(t.Context(), []string{arg}, env{}.get, &stdout, &stderr); err != nil {
				t.Fatalf("run(%q) = %v, want nil (exit 0)", arg, err)
			}
			if stderr.Len() != 0 {
				t.Errorf("run(%q) wrote %q to stderr, want nothing", arg, stderr.String())
			}
			out := lines(stdout.String())
			for _, v := range config.Vars() {
				found := false
				for _, l := range out {
					if strings.HasPrefix(l, v.Name+" ") && strings.Contains(l, v.Default) {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("run(%q) output has no line for %s with its default %q:\n%s", arg, v.Name, v.Default, stdout.String())
				}
			}
		})
	}
}

func TestRunRefusesAnUnknownArgument(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"--port=9090"}, env{}.get, &stdout, &stderr)
	if got := exitCode(err); got != 2 {
		t.Fatalf("exit code of run(--port=9090) = %d (%v), want 2", got, err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, `"--port=9090"`) {
		t.Errorf("run(--port=9090) = %q, want one line quoting the argument", msg)
	}
	if !strings.Contains(stderr.String(), "Usage:") {
		t.Errorf("run(--port=9090) stderr = %q, want the usage", stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("run(--port=9090) stdout = %q, want nothing", stdout.String())
	}
}

// TestListenCause covers the causes a test cannot provoke reliably: a host
// name that does not resolve needs DNS, which CI may not have.
func TestListenCause(t *testing.T) {
	dnsErr := &net.DNSError{Err: "no such host", Name: "tessera.invalid", IsNotFound: true}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{
			name: "a syscall error gives its errno",
			err:  &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EADDRINUSE)},
			want: syscall.EADDRINUSE,
		},
		{
			name: "a failed lookup gives the DNS error",
			err:  &net.OpError{Op: "listen", Net: "tcp", Err: dnsErr},
			want: dnsErr,
		},
		{
			name: "an error of another kind is kept whole",
			err:  errors.New("something else"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == nil {
				want = tt.err
			}
			if got := listenCause(tt.err); got != want {
				t.Errorf("listenCause(%v) = %v, want %v", tt.err, got, want)
			}
		})
	}
}
