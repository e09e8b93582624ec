// Command vulndb writes Go's vulnerability database in the layout that
// govulncheck reads with -db file:// (index/db.json, index/modules.json,
// index/vulns.json and ID/<id>.json), from the OSV reports in the data/osv
// folder of the golang.org/x/vulndb module. vuln.go.dev, which serves that
// database, cannot be reached from our machines; the module proxy, which
// serves the module, can. It builds the indexes as vulndb's own gendb does
// (internal/database/new.go), without gendb's git history and cloud
// dependencies: every entry's modified time is the one given by -modified.
//
//	go run ./scripts/vulndb -osv <vulndb module>/data/osv -modified 2026-11-05T23:49:57Z -out <dir>
package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

// entry is the part of an OSV report the indexes are made of.
type entry struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases,omitempty"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
		Ranges []osvRange `json:"ranges"`
	} `json:"affected"`
}

type osvRange struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced,omitempty"`
		Fixed      string `json:"fixed,omitempty"`
	} `json:"events"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

type module struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

func main() {
	src := flag.String("osv", "", "the data/osv folder of golang.org/x/vulndb")
	out := flag.String("out", "", "the folder to write the database to (created)")
	stamp := flag.String("modified", "", "the modified time of every entry, RFC 3339")
	flag.Parse()
	modified, err := time.Parse(time.RFC3339, *stamp)
	if err == nil && (*src == "" || *out == "") {
		err = errors.New("-osv and -out are required")
	}
	if err == nil {
		err = build(*src, *out, modified.UTC())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
}

func build(src, out string, modified time.Time) error {
	files, err := filepath.Glob(filepath.Join(src, "GO-*.json"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no OSV reports in %s (%v)", src, err)
	}
	if err := os.MkdirAll(filepath.Join(out, "ID"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "index"), 0o755); err != nil {
		return err
	}
	modules := map[string]*module{}
	var vulns []vuln
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var e entry
		var raw map[string]any
		if err := json.Unmarshal(data, &e); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if err := json.Unmarshal(data, &raw); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		// The reports carry no dates of their own (gendb takes them
		// from git); every entry gets the database's.
		raw["modified"] = modified
		if p, _ := raw["published"].(string); p == "" || strings.HasPrefix(p, "0001-") {
			raw["published"] = modified
		}
		if err := writeJSON(filepath.Join(out, "ID", e.ID+".json"), raw); err != nil {
			return err
		}
		vulns = append(vulns, vuln{ID: e.ID, Modified: modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &module{Path: a.Package.Name, Vulns: []moduleVuln{}}
				modules[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: modified, Fixed: latestFixed(a.Ranges)})
		}
	}
	index := slices.SortedFunc(func(yield func(*module) bool) {
		for _, m := range modules {
			if !yield(m) {
				return
			}
		}
	}, func(a, b *module) int { return cmp.Compare(a.Path, b.Path) })
	slices.SortFunc(vulns, func(a, b vuln) int { return cmp.Compare(a.ID, b.ID) })
	return errors.Join(
		writeJSON(filepath.Join(out, "index", "modules.json"), index),
		writeJSON(filepath.Join(out, "index", "vulns.json"), vulns),
		writeJSON(filepath.Join(out, "index", "db.json"), map[string]time.Time{"modified": modified}),
	)
}

// latestFixed is the latest version that fixes the vulnerability in the
// SEMVER ranges, or "" when none does or it came back after that fix, as
// vulndb's osvutils.LatestFixed has it.
func latestFixed(ranges []osvRange) string {
	var latest string
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && before(latest, e.Fixed) {
				latest = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && before(latest, e.Introduced) {
				latest = ""
				break
			}
		}
	}
	return latest
}

// before compares OSV versions, which have no "v".
func before(v, w string) bool { return semver.Compare("v"+v, "v"+w) < 0 }

func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
