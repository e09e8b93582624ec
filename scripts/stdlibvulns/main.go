// Command stdlibvulns says whether a Go release has known vulnerabilities
// in its standard library, from the OSV reports of the golang.org/x/vulndb
// module (the offline database scripts/vulncheck.sh builds from). It is
// what `make build` runs after building: govulncheck reports a standard
// library finding only where our code reaches it and takes 20 s, while a
// release build must simply not use a Go release with known holes, which
// this answers in well under a second from the version alone.
//
//	go run ./scripts/stdlibvulns -osv <vulndb module>/data/osv -go go1.26.8
//
// It prints nothing when the release has no known vulnerability, and
// otherwise a warning naming the advisories and the release that fixes
// them all. It never fails a build: every exit status is 0 but for a
// mistake in its own flags (2).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"golang.org/x/mod/semver"
)

// report is the part of an OSV report read here.
type report struct {
	ID        string `json:"id"`
	Withdrawn string `json:"withdrawn,omitempty"`
	Affected  []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string `json:"type"`
			Events []struct {
				Introduced string `json:"introduced,omitempty"`
				Fixed      string `json:"fixed,omitempty"`
			} `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
}

// stdlib is the package name the database gives the standard library.
const stdlib = "stdlib"

// finding is one advisory that affects the release, with the release that
// fixes it ("" when none does yet).
type finding struct {
	id, fixed string
}

func main() {
	osvDir := flag.String("osv", "", "the data/osv folder of the golang.org/x/vulndb module")
	goVersion := flag.String("go", "", "the Go release to check, as `go env GOVERSION` prints it (go1.26.8)")
	flag.Parse()
	if *osvDir == "" || *goVersion == "" {
		flag.Usage()
		os.Exit(2)
	}
	findings, err := check(os.DirFS(*osvDir), *goVersion)
	if err != nil {
		// The build goes on: a warning that cannot be computed is no
		// reason to stop it, but it is said.
		fmt.Fprintf(os.Stderr, "stdlibvulns: cannot check %s for known vulnerabilities: %v\n", *goVersion, err)
		return
	}
	warn(os.Stderr, *goVersion, findings)
}

// semverOf turns "go1.26.8" into "v1.26.8", and "go1.26" (a first
// release) into "v1.26.0". Development and pre-release toolchains such as
// "devel go1.27-abcdef" or "go1.27rc1" are not in the database's terms.
func semverOf(goVersion string) (string, bool) {
	v, ok := strings.CutPrefix(goVersion, "go")
	if !ok {
		return "", false
	}
	// A toolchain may carry a suffix after a space or "+" (X:nocoverageredesign).
	v, _, _ = strings.Cut(v, " ")
	v, _, _ = strings.Cut(v, "+")
	v = "v" + v
	if !semver.IsValid(v) || semver.Prerelease(v) != "" {
		return "", false
	}
	if strings.Count(v, ".") == 1 {
		v += ".0"
	}
	return v, true
}

// check reads every report in fsys and returns the standard library
// advisories that affect goVersion, sorted by id.
func check(fsys fs.FS, goVersion string) ([]finding, error) {
	v, ok := semverOf(goVersion)
	if !ok {
		return nil, fmt.Errorf("%q is not a Go release", goVersion)
	}
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no OSV reports found")
	}
	var out []finding
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		// Most reports are about other modules; skip them unparsed.
		if !bytes.Contains(data, []byte(`"`+stdlib+`"`)) {
			continue
		}
		var r report
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if r.Withdrawn != "" {
			continue
		}
		if fixed, hit := affects(&r, v); hit {
			out = append(out, finding{id: r.ID, fixed: fixed})
		}
	}
	slices.SortFunc(out, func(a, b finding) int { return strings.Compare(a.id, b.id) })
	return out, nil
}

// affects reports whether the standard library at v is inside one of the
// report's ranges, and the first release after v that fixes it.
func affects(r *report, v string) (fixed string, hit bool) {
	for _, a := range r.Affected {
		if a.Package.Name != stdlib {
			continue
		}
		for _, rg := range a.Ranges {
			if rg.Type != "SEMVER" {
				continue
			}
			// Events come in order: introduced, then the release that
			// fixes it, possibly again and again for each release line.
			in := false
			for _, e := range rg.Events {
				switch {
				case e.Introduced != "":
					in = semver.Compare(canonical(e.Introduced), v) <= 0
				case e.Fixed != "" && in:
					if semver.Compare(v, canonical(e.Fixed)) < 0 {
						return "go" + strings.TrimPrefix(canonical(e.Fixed), "v"), true
					}
					in = false
				}
			}
			if in {
				return "", true
			}
		}
	}
	return "", false
}

// canonical writes a database version ("0", "1.26.9") as semver.
func canonical(s string) string {
	if !strings.HasPrefix(s, "v") {
		s = "v" + s
	}
	return s
}

// warn prints the warning, or nothing when there are no findings.
func warn(w io.Writer, goVersion string, findings []finding) {
	if len(findings) == 0 {
		return
	}
	ids := make([]string, len(findings))
	upgrade := ""
	unfixed := 0
	for i, f := range findings {
		ids[i] = f.id
		switch {
		case f.fixed == "":
			unfixed++
		case upgrade == "" || semver.Compare(canonical(strings.TrimPrefix(f.fixed, "go")), canonical(strings.TrimPrefix(upgrade, "go"))) > 0:
			upgrade = f.fixed
		}
	}
	fmt.Fprintf(w, "WARNING: %s has %d known standard-library vulnerabilities (%s).\n", goVersion, len(findings), strings.Join(ids, ", "))
	if upgrade != "" {
		fmt.Fprintf(w, "WARNING: build releases with %s or newer (make build went on; the binaries are in ./bin).\n", upgrade)
	}
	if unfixed > 0 {
		fmt.Fprintf(w, "WARNING: %d of them have no fixed release yet.\n", unfixed)
	}
}
