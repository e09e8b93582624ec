package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestBuildWritesTheIndexesGovulncheckReads(t *testing.T) {
	src := t.TempDir()
	reports := map[string]string{
		// Fixed twice: the latest fix counts.
		"GO-2024-0001": `{"id":"GO-2024-0001","modified":"0001-01-01T00:00:00Z","aliases":["CVE-1"],"affected":[{"package":{"name":"example.com/a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"},{"introduced":"1.3.0"},{"fixed":"1.3.5"}]}]}]}`,
		// Back after the fix: no fix.
		"GO-2024-0002": `{"id":"GO-2024-0002","modified":"0001-01-01T00:00:00Z","affected":[{"package":{"name":"example.com/a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"},{"introduced":"2.0.0"}]}]},{"package":{"name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.26.9"}]}]}]}`,
	}
	for id, body := range reports {
		if err := os.WriteFile(filepath.Join(src, id+".json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	stamp := time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC)
	if err := build(src, out, stamp); err != nil {
		t.Fatal(err)
	}

	var modules []module
	read(t, filepath.Join(out, "index", "modules.json"), &modules)
	want := map[string][]moduleVuln{
		"example.com/a": {{ID: "GO-2024-0001", Modified: stamp, Fixed: "1.3.5"}, {ID: "GO-2024-0002", Modified: stamp}},
		"stdlib":        {{ID: "GO-2024-0002", Modified: stamp, Fixed: "1.26.9"}},
	}
	if len(modules) != 2 || modules[0].Path != "example.com/a" || modules[1].Path != "stdlib" {
		t.Fatalf("modules.json = %+v, want example.com/a then stdlib", modules)
	}
	for _, m := range modules {
		got := m.Vulns
		if len(got) != len(want[m.Path]) {
			t.Fatalf("%s: %+v, want %+v", m.Path, got, want[m.Path])
		}
		for i := range got {
			if got[i].ID != want[m.Path][i].ID || got[i].Fixed != want[m.Path][i].Fixed || !got[i].Modified.Equal(stamp) {
				t.Errorf("%s: %+v, want %+v", m.Path, got[i], want[m.Path][i])
			}
		}
	}
	var db map[string]time.Time
	read(t, filepath.Join(out, "index", "db.json"), &db)
	if !db["modified"].Equal(stamp) {
		t.Errorf("db.json = %v, want modified %v", db, stamp)
	}
	var entry map[string]any
	read(t, filepath.Join(out, "ID", "GO-2024-0001.json"), &entry)
	if entry["modified"] != "2026-11-05T23:49:57Z" || entry["aliases"] == nil {
		t.Errorf("ID/GO-2024-0001.json = %v, want the report with the database's modified time", entry)
	}

	if err := build(t.TempDir(), out, stamp); err == nil {
		t.Error("build of a folder without reports succeeded")
	}
}

func read(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
