package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/store"
	"github.com/tessera-dashboard/tessera/internal/testutil"
)

// The image as the Dockerfile must describe it.
const (
	wantBuildImage = "golang:1.26"
	wantBaseImage  = "gcr.io/distroless/static-debian12:nonroot"
	wantBinary     = "/web"
	wantDataDir    = "/data"
	wantPort       = "8080"
)

func TestDockerfileDescribesTheImage(t *testing.T) {
	d := readDockerfile(t)
	build, final := d.stages[0], d.final()

	if !strings.HasPrefix(build.from, wantBuildImage) {
		t.Errorf("build stage FROM %s, want %s", build.from, wantBuildImage)
	}
	if build.name == "" {
		t.Fatal("the build stage has no name (FROM … AS build)")
	}
	b, err := findGoBuild(build)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.env["CGO_ENABLED"]; got != "0" {
		t.Errorf("go build runs with CGO_ENABLED=%q, want 0 (a static binary for distroless/static)", got)
	}
	if !slices.Contains(b.args, "-trimpath") {
		t.Errorf("go build %q, want -trimpath", b.args)
	}
	if got := b.ldflags(); !slices.Contains(got, "-s") || !slices.Contains(got, "-w") {
		t.Errorf("go build -ldflags %q, want -s -w", got)
	}
	if b.args[len(b.args)-1] != "./cmd/web" {
		t.Errorf("go build %q, want it to build ./cmd/web", b.args)
	}
	if copies := build.all("COPY"); !slices.ContainsFunc(copies, func(in instruction) bool { return in.args == ". ." }) {
		t.Errorf("the build stage does not COPY . . (the test builds from the whole build context)")
	}

	if final.from != wantBaseImage {
		t.Errorf("image FROM %s, want %s", final.from, wantBaseImage)
	}
	user := lastArgs(t, final, "USER")
	uid, gid := parseUser(t, user)
	if uid == 0 || gid == 0 {
		t.Errorf("USER %s, want a non-root user and group", user)
	}
	copyBinary := "--from=" + build.name + " " + b.output + " " + wantBinary
	var copiesBinary, copiesData bool
	for _, in := range final.all("COPY") {
		words := strings.Fields(in.args)
		copiesBinary = copiesBinary || in.args == copyBinary
		// The volume's mount point must belong to the user, or a new named
		// volume would be root's and the database could not be created.
		if words[len(words)-1] == wantDataDir {
			copiesData = true
			if !slices.Contains(words, "--chown="+user) {
				t.Errorf("COPY %s, want --chown=%s (the USER)", in.args, user)
			}
		}
	}
	if !copiesBinary {
		t.Errorf("the image has no COPY %s", copyBinary)
	}
	if !copiesData {
		t.Errorf("the image has no COPY --chown=%s … %s", user, wantDataDir)
	}

	env, err := final.env()
	if err != nil {
		t.Fatal(err)
	}
	if got := env[config.EnvAddr]; got != ":"+wantPort {
		t.Errorf("ENV %s=%q, want :%s", config.EnvAddr, got, wantPort)
	}
	if got := env[config.EnvDataDir]; got != wantDataDir {
		t.Errorf("ENV %s=%q, want %s", config.EnvDataDir, got, wantDataDir)
	}
	// In local mode the base URL comes from the address; for
	// `docker run -p 8080:8080` it must be what the browser uses.
	cfg, err := config.Load(func(name string) string { return env[name] })
	if err != nil {
		t.Fatalf("config.Load(the image's ENV) = %v", err)
	}
	if got := cfg.BaseURL.String(); got != "http://localhost:"+wantPort {
		t.Errorf("the image's base URL = %s, want http://localhost:%s", got, wantPort)
	}

	if got := jsonArg(t, lastArgs(t, final, "VOLUME")); !slices.Equal(got, []string{wantDataDir}) {
		t.Errorf("VOLUME %q, want [%q]", got, wantDataDir)
	}
	if got := strings.Fields(lastArgs(t, final, "EXPOSE")); !slices.Contains(got, wantPort) {
		t.Errorf("EXPOSE %q, want %s", got, wantPort)
	}
	if got := jsonArg(t, lastArgs(t, final, "ENTRYPOINT")); !slices.Equal(got, []string{wantBinary}) {
		t.Errorf("ENTRYPOINT %q, want [%q]", got, wantBinary)
	}
	opts, cmd := healthcheckOf(t, final)
	if !slices.Equal(cmd, []string{wantBinary, "healthcheck"}) {
		t.Errorf("HEALTHCHECK CMD %q, want [%q, \"healthcheck\"] (exec form: the image has no shell)", cmd, wantBinary)
	}
	for _, o := range []string{"--interval=30s", "--timeout=5s"} {
		if !slices.Contains(opts, o) {
			t.Errorf("HEALTHCHECK %q, want %s", opts, o)
		}
	}
}

// minGoPatch is the first Go 1.26 patch release without a standard-library
// vulnerability known to the pinned database (scripts/vulndb.env);
// scripts/stdlib-warning.sh names it when a toolchain is older.
const minGoPatch = 10

func TestDockerfileBuildsWithTheNewestGo126Patch(t *testing.T) {
	t.Parallel()
	build := readDockerfile(t).stages[0]
	image, _, _ := strings.Cut(build.from, " ")
	tag, ok := strings.CutPrefix(image, "golang:")
	if !ok {
		t.Fatalf("build stage FROM %s, want a golang image", build.from)
	}
	// golang:1.26 (or a variant such as 1.26-bookworm) moves to each new
	// patch release; a pinned patch must be one without known holes.
	version, _, _ := strings.Cut(tag, "-")
	if version != "1.26" {
		patch, found := strings.CutPrefix(version, "1.26.")
		n, err := strconv.Atoi(patch)
		if !found || err != nil || n < minGoPatch {
			t.Errorf("build stage FROM %s: pinned to Go %s, want golang:1.26 (the newest patch) or 1.26.%d or later", build.from, version, minGoPatch)
		}
	}
	text, err := os.ReadFile(filepath.Join(moduleRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "docker build --pull") {
		t.Errorf("the Dockerfile's usage says to build without --pull, which reuses an older golang:1.26 image Docker already has")
	}
}

func TestDockerignoreKeepsTheBuildContextToTheSources(t *testing.T) {
	patterns, err := readDockerignore(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{".git/HEAD", "data/tessera.db", "data/session.key", "bin/web", "e2e/node_modules/x/y.js", "e2e/login_test.go", "web", "cmd/web/web.test"} {
		if !ignored(patterns, p) {
			t.Errorf("ignored(.dockerignore, %q) = false, want true", p)
		}
	}
	for _, p := range []string{"go.mod", "go.sum", "cmd/web/main.go", "static/app.css", "static/vendor/htmx-LICENSE", "views/layout_templ.go", "internal/store/migrations/0001.sql"} {
		if ignored(patterns, p) {
			t.Errorf("ignored(.dockerignore, %q) = true, want false: the build needs it", p)
		}
	}
}

// TestBinaryRunsAsInTheImage builds the binary as the Dockerfile does and
// runs it as the image would: the image's user, only the image's
// environment, an empty working directory.
func TestBinaryRunsAsInTheImage(t *testing.T) {
	d := readDockerfile(t)
	final := d.final()
	bin := sharedBinary(t)

	t.Run("the binary is static and stripped", func(t *testing.T) {
		checkStatic(t, bin)
	})

	imageEnv, err := final.env()
	if err != nil {
		t.Fatal(err)
	}
	uid, gid := parseUser(t, lastArgs(t, final, "USER"))
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	} else {
		t.Logf("not root: running the binary as uid %d, not the image's %d", os.Geteuid(), uid)
		uid, gid = os.Geteuid(), os.Getegid()
	}

	dir := sharedTempDir(t)
	work := filepath.Join(dir, "work") // the working directory: empty, and not the user's
	dataDir := filepath.Join(dir, "data")
	for _, p := range []string{work, dataDir} {
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// As the image's /data: the user's own, private.
	if err := os.Chmod(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(dataDir, uid, gid); err != nil {
		t.Fatal(err)
	}

	// The image's environment and nothing else, but on a loopback port.
	addr := freeAddr(t)
	imageEnv[config.EnvAddr] = addr
	imageEnv[config.EnvDataDir] = dataDir
	var environ []string
	for k, v := range imageEnv {
		environ = append(environ, k+"="+v)
	}
	command := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Dir = work
		cmd.Env = environ
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		return cmd
	}

	srv := command(jsonArg(t, lastArgs(t, final, "ENTRYPOINT"))[1:]...)
	stdout, stderr := &testutil.SyncBuffer{}, &testutil.SyncBuffer{}
	srv.Stdout, srv.Stderr = stdout, stderr
	if err := srv.Start(); err != nil {
		t.Fatalf("starting %s as uid %d: %v", bin, uid, err)
	}
	// exited is closed when the binary has exited, with waitErr set.
	var waitErr error
	exited := make(chan struct{})
	go func() {
		waitErr = srv.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			srv.Process.Kill()
			<-exited
		}
	})
	base := "http://" + addr
	waitForBinary(t, base, exited, stderr)

	t.Run("the embedded assets are served", func(t *testing.T) {
		checkAssets(t, base)
	})

	_, health := healthcheckOf(t, final)
	healthcheck := health[1:]
	t.Run("the health check passes", func(t *testing.T) {
		out, err := command(healthcheck...).CombinedOutput()
		if err != nil {
			t.Errorf("web %s = %v (%s), want exit 0", strings.Join(healthcheck, " "), err, out)
		}
	})

	t.Run("the data directory holds the database and the key, owned by the user", func(t *testing.T) {
		for _, name := range []string{store.FileName, config.LocalSecretFile} {
			info, err := os.Stat(filepath.Join(dataDir, name))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
				t.Errorf("%s is owned by uid %d, want %d", name, st.Uid, uid)
			}
		}
		if entries, err := os.ReadDir(work); err != nil || len(entries) != 0 {
			t.Errorf("the working directory holds %v (%v), want nothing", entries, err)
		}
	})

	t.Run("SIGTERM stops it cleanly", func(t *testing.T) {
		if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-exited:
			if waitErr != nil {
				t.Errorf("the binary exited with %v after SIGTERM, want 0; stderr:\n%s", waitErr, stderr)
			}
		case <-time.After(25 * time.Second):
			t.Fatalf("the binary did not exit within 25 s of SIGTERM")
		}
		if !strings.Contains(stderr.String(), "shutting down") {
			t.Errorf("stderr = %q, want the shutdown logged", stderr)
		}
	})

	t.Run("the health check fails with 1 once it is gone", func(t *testing.T) {
		err := command(healthcheck...).Run()
		exitErr, ok := errors.AsType[*exec.ExitError](err)
		// Docker reserves exit code 2 of a health check; 1 means unhealthy.
		if !ok || exitErr.ExitCode() != 1 {
			t.Errorf("web %s with nothing listening = %v, want exit code 1", strings.Join(healthcheck, " "), err)
		}
	})
}

// checkStatic checks what distroless/static needs, a binary without a
// dynamic loader or shared libraries, and what the build's flags promise:
// stripped (-s -w), no cgo, no build paths (-trimpath).
func checkStatic(t *testing.T, bin string) {
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary has a %v program header, want none: it would need a dynamic loader", p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary imports libraries %q (%v), want none", libs, err)
	}
	for _, s := range f.Sections {
		if s.Name == ".symtab" || strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			t.Errorf("the binary has a %s section, want it stripped (-ldflags=\"-s -w\")", s.Name)
		}
	}

	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	// The toolchain records these; it leaves -ldflags out under -trimpath.
	for k, want := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true", "GOOS": "linux"} {
		if settings[k] != want {
			t.Errorf("build setting %s = %q, want %q", k, settings[k], want)
		}
	}
	t.Logf("built with %s for %s/%s", info.GoVersion, settings["GOOS"], settings["GOARCH"])

	// -trimpath leaves no path of the build machine in the binary.
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), filepath.Dir(bin)) {
		t.Errorf("the binary contains the build directory %s, want none (-trimpath)", filepath.Dir(bin))
	}
}

// checkAssets fetches the sign-in page and every /static/ file it links to:
// each must come from the binary, under a URL that carries the hash of its
// content, with a year-long immutable cache.
func checkAssets(t *testing.T, base string) {
	resp, body := get(t, http.DefaultClient, base+"/login")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /login = %d, want 200", resp.StatusCode)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	doc.Find(`link[rel="stylesheet"][href], script[src]`).Each(func(_ int, s *goquery.Selection) {
		ref := s.AttrOr("href", s.AttrOr("src", ""))
		if strings.HasPrefix(ref, "/static/") {
			refs = append(refs, ref)
		}
	})
	kinds := map[string]int{}
	for _, ref := range refs {
		kinds[path.Ext(ref)]++
		resp, body := get(t, http.DefaultClient, base+ref)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", ref, resp.StatusCode)
			continue
		}
		if got := resp.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control = %q, want a year, immutable", ref, got)
		}
		if len(body) == 0 {
			t.Errorf("GET %s: empty body", ref)
		}
		sum := sha256.Sum256([]byte(body))
		if !strings.Contains(ref, "."+hex.EncodeToString(sum[:])[:12]+".") {
			t.Errorf("GET %s: the URL does not carry the hash of the %d bytes served", ref, len(body))
		}
	}
	if kinds[".css"] == 0 || kinds[".js"] == 0 {
		t.Errorf("/login links to %q, want at least one stylesheet and one script under /static/", refs)
	}
}

// waitForBinary polls /readyz until it answers 200.
func waitForBinary(t *testing.T, base string, exited <-chan struct{}, stderr *testutil.SyncBuffer) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("the binary exited before it was ready; stderr:\n%s", stderr)
		default:
		}
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("GET /readyz did not answer 200 within 15 s; stderr:\n%s", stderr)
}

// lastArgs returns the arguments of the stage's last instruction of a kind,
// the one that takes effect.
func lastArgs(t *testing.T, s *stage, cmd string) string {
	t.Helper()
	all := s.all(cmd)
	if len(all) == 0 {
		t.Fatalf("the image has no %s", cmd)
	}
	return all[len(all)-1].args
}

// healthcheckOf returns the options and the exec-form command of the
// stage's HEALTHCHECK.
func healthcheckOf(t *testing.T, s *stage) (opts, cmd []string) {
	t.Helper()
	health := lastArgs(t, s, "HEALTHCHECK")
	before, after, ok := strings.Cut(health, "CMD ")
	if !ok {
		t.Fatalf("HEALTHCHECK %s, want a CMD", health)
	}
	return strings.Fields(before), jsonArg(t, strings.TrimSpace(after))
}

func jsonArg(t *testing.T, s string) []string {
	t.Helper()
	out, err := jsonArray(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// parseUser reads USER uid:gid; names cannot be resolved without the
// image's /etc/passwd, so the Dockerfile must use numbers.
func parseUser(t *testing.T, user string) (uid, gid int) {
	t.Helper()
	u, g, ok := strings.Cut(user, ":")
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if !ok || err1 != nil || err2 != nil {
		t.Fatalf("USER %s, want numeric uid:gid (Kubernetes' runAsNonRoot cannot check a name)", user)
	}
	return uid, gid
}
