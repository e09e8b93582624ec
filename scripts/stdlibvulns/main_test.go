package main

import (
	"bytes"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// osv writes a report of one package with the given SEMVER events, each
// "introduced:X" or "fixed:X".
func osv(id, pkg string, events ...string) *fstest.MapFile {
	var evs []string
	for _, e := range events {
		kind, v, _ := strings.Cut(e, ":")
		evs = append(evs, `{"`+kind+`":"`+v+`"}`)
	}
	return &fstest.MapFile{Data: []byte(`{"id":"` + id + `","affected":[{"package":{"name":"` + pkg + `"},` +
		`"ranges":[{"type":"SEMVER","events":[` + strings.Join(evs, ",") + `]}]}]}`)}
}

// db is a small database: two holes in 1.26.8 fixed in 1.26.9 and 1.26.10,
// one fixed long ago, one in a module, and one withdrawn.
var db = fstest.MapFS{
	"GO-2026-0001.json": osv("GO-2026-0001", "stdlib", "introduced:0", "fixed:1.25.9", "introduced:1.26.0-0", "fixed:1.26.9"),
	"GO-2026-0002.json": osv("GO-2026-0002", "stdlib", "introduced:1.26.0-0", "fixed:1.26.10"),
	"GO-2024-0003.json": osv("GO-2024-0003", "stdlib", "introduced:0", "fixed:1.22.3"),
	"GO-2026-0004.json": osv("GO-2026-0004", "golang.org/x/net", "introduced:0", "fixed:0.62.0"),
	"GO-2026-0005.json": {Data: []byte(`{"id":"GO-2026-0005","withdrawn":"2026-01-01T00:00:00Z","affected":[{"package":{"name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`)},
}

func TestCheckFindsTheStandardLibrarysHolesOfARelease(t *testing.T) {
	t.Parallel()
	tests := []struct {
		goVersion string
		want      []finding
	}{
		{"go1.26.8", []finding{{"GO-2026-0001", "go1.26.9"}, {"GO-2026-0002", "go1.26.10"}}},
		{"go1.26.9", []finding{{"GO-2026-0002", "go1.26.10"}}},
		{"go1.26.10", nil},
		{"go1.26", []finding{{"GO-2026-0001", "go1.26.9"}, {"GO-2026-0002", "go1.26.10"}}},
		{"go1.25.4", []finding{{"GO-2026-0001", "go1.25.9"}}},
		{"go1.22.0", []finding{{"GO-2024-0003", "go1.22.3"}, {"GO-2026-0001", "go1.25.9"}}},
	}
	for _, tt := range tests {
		got, err := check(db, tt.goVersion)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("check(db, %s) = %v, %v, want %v", tt.goVersion, got, err, tt.want)
		}
	}
}

func TestCheckRefusesWhatItCannotJudge(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"devel go1.27-abcdef", "go1.27rc1", "1.26.8", ""} {
		if got, err := check(db, v); err == nil {
			t.Errorf("check(db, %q) = %v, nil, want an error", v, got)
		}
	}
	if got, err := check(fstest.MapFS{}, "go1.26.8"); err == nil {
		t.Errorf("check(empty, go1.26.8) = %v, nil, want an error", got)
	}
}

func TestWarnNamesTheAdvisoriesAndTheReleaseThatFixesThemAll(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	warn(&buf, "go1.26.8", []finding{{"GO-2026-0001", "go1.26.9"}, {"GO-2026-0002", "go1.26.10"}})
	want := "WARNING: go1.26.8 has 2 known standard-library vulnerabilities (GO-2026-0001, GO-2026-0002).\n" +
		"WARNING: build releases with go1.26.10 or newer (make build went on; the binaries are in ./bin).\n"
	if buf.String() != want {
		t.Errorf("warn(go1.26.8, two findings) =\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	warn(&buf, "go1.26.10", nil)
	if buf.Len() != 0 {
		t.Errorf("warn(go1.26.10, none) = %q, want nothing", buf.String())
	}
}

func TestMakeBuildWarnsAndNeverFailsBecauseOfTheWarning(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	_, recipe, ok := strings.Cut(string(data), "\nbuild:\n")
	if !ok {
		t.Fatal("the Makefile has no build target")
	}
	recipe, _, _ = strings.Cut(recipe, "\n\n")
	var warning string
	for line := range strings.SplitSeq(recipe, "\n") {
		if strings.Contains(line, "scripts/stdlib-warning.sh") {
			warning = strings.TrimSpace(line)
		}
	}
	// "-" makes make go on whatever the command's exit status.
	if !strings.HasPrefix(warning, "-") {
		t.Errorf("make build's recipe:\n%s\nwant a line running scripts/stdlib-warning.sh whose failure is ignored (a leading -)", recipe)
	}

	// Without a usable go command the script says so and exits 0.
	cmd := exec.CommandContext(t.Context(), "../stdlib-warning.sh")
	cmd.Env = append(os.Environ(), "GO=false")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "cannot check the Go toolchain") {
		t.Errorf("GO=false scripts/stdlib-warning.sh = %v, %q, want exit 0 saying it cannot check", err, out)
	}
}
