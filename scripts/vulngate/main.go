// Command vulngate reads govulncheck's JSON (-format json) on standard
// input and decides what fails the build. Only vulnerabilities our code
// reaches (a finding whose trace names a function) count:
//
//   - in a module we require, with a fixed version: fails, naming the
//     upgrade, which is ours to make;
//   - in a module we require, with no fix, and not in the reviewed list:
//     fails, until someone reads the advisory and records why Tessera is
//     or is not exposed (-reviewed, one "ID reason" per line);
//   - in the standard library: reported with the Go release that fixes
//     it, without failing, as the Go version of the machine that runs the
//     build is not ours to pick (release builds take the newest patch
//     release, as the Dockerfile's golang:1.26 image does).
//
// Exit status: 0 when nothing fails, 1 when something does, 2 when the
// input cannot be read.
package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// message is one object of govulncheck's JSON stream; only the parts
// read here are declared.
type message struct {
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string `json:"osv"`
		FixedVersion string `json:"fixed_version"`
		Trace        []struct {
			Module   string `json:"module"`
			Version  string `json:"version"`
			Function string `json:"function"`
		} `json:"trace"`
	} `json:"finding"`
}

// vuln is a vulnerability our code reaches.
type vuln struct {
	id, summary, module, version, fixed string
}

func main() {
	reviewedPath := flag.String("reviewed", "", "file of reviewed advisories without a fix: one `ID reason` per line, # comments")
	flag.Parse()
	reviewed, err := readReviewed(*reviewedPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(2)
	}
	vulns, err := read(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(2)
	}
	if !report(os.Stdout, vulns, reviewed) {
		os.Exit(1)
	}
}

// read collects the vulnerabilities the code reaches, one per advisory.
func read(r io.Reader) ([]vuln, error) {
	dec := json.NewDecoder(bufio.NewReader(r))
	summaries := map[string]string{}
	found := map[string]vuln{}
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading govulncheck's JSON: %w", err)
		}
		if m.OSV != nil {
			summaries[m.OSV.ID] = m.OSV.Summary
		}
		if f := m.Finding; f != nil && len(f.Trace) > 0 && f.Trace[0].Function != "" {
			found[f.OSV] = vuln{id: f.OSV, module: f.Trace[0].Module, version: f.Trace[0].Version, fixed: f.FixedVersion}
		}
	}
	out := slices.Collect(maps.Values(found))
	for i := range out {
		out[i].summary = summaries[out[i].id]
	}
	slices.SortFunc(out, func(a, b vuln) int { return cmp.Or(cmp.Compare(a.module, b.module), cmp.Compare(a.id, b.id)) })
	return out, nil
}

// report prints each vulnerability with its verdict and says whether the
// build may pass.
func report(w io.Writer, vulns []vuln, reviewed map[string]string) bool {
	pass := true
	for _, v := range vulns {
		var verdict string
		switch {
		case v.module == "stdlib":
			verdict = "standard library: build with Go " + strings.TrimPrefix(v.fixed, "v") + " or newer"
		case v.fixed != "":
			verdict = "FAIL: upgrade " + v.module + " to " + v.fixed
			pass = false
		case reviewed[v.id] != "":
			verdict = "reviewed, no fix: " + reviewed[v.id]
		default:
			verdict = "FAIL: no fix; read the advisory and record in the reviewed list why Tessera is or is not exposed"
			pass = false
		}
		fmt.Fprintf(w, "%s  %s %s: %s\n    %s\n", v.id, v.module, v.version, v.summary, verdict)
	}
	if len(vulns) == 0 {
		fmt.Fprintln(w, "No vulnerability that Tessera's code reaches.")
	}
	return pass
}

// readReviewed reads the reviewed list; no path means an empty list.
func readReviewed(path string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(id, "GO-") || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s:%d: want `GO-YYYY-NNNN reason`, got %q", path, n+1, line)
		}
		out[id] = strings.TrimSpace(reason)
	}
	return out, nil
}
