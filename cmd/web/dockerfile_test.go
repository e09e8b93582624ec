package main

// Helpers that read the Dockerfile and .dockerignore and build the binary
// the way the image's build stage does, for the tests that run the binary.
// There is no container engine on the machines that run these tests, so
// this is the closest we come to the image: same build context, same
// environment and flags, a static binary run as the image's user with the
// image's environment from an empty directory.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	cmd  string // upper case, e.g. "RUN"
	args string
	line int
}

// stage is one FROM and what follows it.
type stage struct {
	from, name string
	instrs     []instruction
}

// all returns the stage's instructions of one kind.
func (s *stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.instrs {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// env returns what the stage's ENV instructions set.
func (s *stage) env() (map[string]string, error) {
	out := map[string]string{}
	for _, in := range s.all("ENV") {
		words, err := shellWords(in.args)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", in.line, err)
		}
		if len(words) > 0 && !strings.Contains(words[0], "=") {
			// The legacy form, ENV NAME value.
			out[words[0]] = strings.Join(words[1:], " ")
			continue
		}
		for _, w := range words {
			k, v, ok := strings.Cut(w, "=")
			if !ok {
				return nil, fmt.Errorf("line %d: ENV %q is not NAME=value", in.line, w)
			}
			out[k] = v
		}
	}
	return out, nil
}

// dockerfile is a parsed Dockerfile: enough of the syntax for ours.
type dockerfile struct {
	stages []*stage
}

// parseDockerfile reads instructions, joining lines that end in a
// backslash and dropping comments and blank lines, as Docker does.
func parseDockerfile(r io.Reader) (*dockerfile, error) {
	d := &dockerfile{}
	sc := bufio.NewScanner(r)
	var (
		buf   strings.Builder
		start int
	)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if buf.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			buf.WriteString(cont + " ")
			continue
		}
		buf.WriteString(line)
		cmd, args, _ := strings.Cut(buf.String(), " ")
		buf.Reset()
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start}
		if in.cmd == "FROM" {
			words := strings.Fields(in.args)
			s := &stage{from: words[0]}
			if len(words) == 3 && strings.EqualFold(words[1], "AS") {
				s.name = words[2]
			}
			d.stages = append(d.stages, s)
			continue
		}
		if len(d.stages) == 0 {
			if in.cmd == "ARG" {
				continue
			}
			return nil, fmt.Errorf("line %d: %s before FROM", start, in.cmd)
		}
		last := d.stages[len(d.stages)-1]
		last.instrs = append(last.instrs, in)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if buf.Len() > 0 {
		return nil, fmt.Errorf("line %d: continuation at the end of the file", start)
	}
	return d, nil
}

// final is the last stage: the image.
func (d *dockerfile) final() *stage {
	return d.stages[len(d.stages)-1]
}

// shellWords splits a command line as sh would split words: quotes and
// backslashes, no expansion. Operators such as && must stand alone.
func shellWords(s string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf(`unterminated " in %q`, s)
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// goBuild is the `go build` of the Dockerfile's build stage.
type goBuild struct {
	// env is the stage's ENV and the assignments before `go build`.
	env map[string]string
	// args are the arguments after `go build`.
	args []string
	// output is the -o argument.
	output string
}

var envAssignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// findGoBuild finds the one RUN of the stage that runs `go build`.
func findGoBuild(s *stage) (*goBuild, error) {
	env, err := s.env()
	if err != nil {
		return nil, err
	}
	var found *goBuild
	for _, in := range s.all("RUN") {
		words, err := shellWords(in.args)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", in.line, err)
		}
		// RUN's own flags (--mount=…) come first.
		for len(words) > 0 && strings.HasPrefix(words[0], "--") {
			words = words[1:]
		}
		var segment []string
		for i := 0; i <= len(words); i++ {
			if i < len(words) && words[i] != "&&" && words[i] != ";" && words[i] != "||" {
				segment = append(segment, words[i])
				continue
			}
			b, err := parseGoBuild(segment, env)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", in.line, err)
			}
			if b != nil {
				if found != nil {
					return nil, fmt.Errorf("line %d: a second go build", in.line)
				}
				found = b
			}
			segment = nil
		}
	}
	if found == nil {
		return nil, fmt.Errorf("no RUN with go build in stage %q", s.name)
	}
	return found, nil
}

// parseGoBuild reads one simple command; it returns nil if the command is
// not `go build`.
func parseGoBuild(words []string, stageEnv map[string]string) (*goBuild, error) {
	env := map[string]string{}
	for k, v := range stageEnv {
		env[k] = v
	}
	for len(words) > 0 && envAssignment.MatchString(words[0]) {
		k, v, _ := strings.Cut(words[0], "=")
		env[k] = v
		words = words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		return nil, nil
	}
	b := &goBuild{env: env, args: words[2:]}
	for i, a := range b.args {
		switch {
		case a == "-o" && i+1 < len(b.args):
			b.output = b.args[i+1]
		case strings.HasPrefix(a, "-o="):
			b.output = strings.TrimPrefix(a, "-o=")
		}
	}
	if b.output == "" {
		return nil, fmt.Errorf("go build without -o")
	}
	return b, nil
}

// withOutput returns the build's arguments with -o replaced by path.
func (b *goBuild) withOutput(path string) []string {
	out := make([]string, 0, len(b.args))
	for i := 0; i < len(b.args); i++ {
		switch a := b.args[i]; {
		case a == "-o":
			out = append(out, "-o", path)
			i++
		case strings.HasPrefix(a, "-o="):
			out = append(out, "-o="+path)
		default:
			out = append(out, a)
		}
	}
	return out
}

// ldflags returns the value of -ldflags, split into words as the go
// command splits it.
func (b *goBuild) ldflags() []string {
	for i, a := range b.args {
		if v, ok := strings.CutPrefix(a, "-ldflags="); ok {
			return strings.Fields(v)
		}
		if a == "-ldflags" && i+1 < len(b.args) {
			return strings.Fields(b.args[i+1])
		}
	}
	return nil
}

// moduleRoot is the repository root, where the Dockerfile and the build
// context are; tests run in cmd/web.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at the module root %s: %v", root, err)
	}
	return root
}

func readDockerfile(t *testing.T) *dockerfile {
	t.Helper()
	f, err := os.Open(filepath.Join(moduleRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := parseDockerfile(f)
	if err != nil {
		t.Fatalf("parsing the Dockerfile: %v", err)
	}
	if len(d.stages) < 2 {
		t.Fatalf("the Dockerfile has %d stages, want a build stage and the image", len(d.stages))
	}
	return d
}

// ignorePattern is one line of .dockerignore.
type ignorePattern struct {
	re        *regexp.Regexp
	exclusion bool // the line starts with "!"
}

// readDockerignore reads .dockerignore with Docker's rules (moby's
// patternmatcher): paths are relative to the context root, "*" and "?"
// stay within a path element, "**" spans any number of them, and a pattern
// matching a directory matches everything below it. Character classes are
// refused rather than half implemented.
func readDockerignore(root string) ([]ignorePattern, error) {
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		return nil, err
	}
	var out []ignorePattern
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := ignorePattern{}
		if rest, ok := strings.CutPrefix(line, "!"); ok {
			p.exclusion, line = true, strings.TrimSpace(rest)
		}
		line = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(line)), "/")
		if strings.ContainsAny(line, "[]") {
			return nil, fmt.Errorf(".dockerignore: the test does not implement character classes: %q", line)
		}
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case c == '*' && strings.HasPrefix(line[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case c == '*' && strings.HasPrefix(line[i:], "**"):
				re.WriteString(".*")
				i++
			case c == '*':
				re.WriteString("[^/]*")
			case c == '?':
				re.WriteString("[^/]")
			case c == '\\' && i+1 < len(line):
				i++
				re.WriteString(regexp.QuoteMeta(line[i : i+1]))
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("$")
		if p.re, err = regexp.Compile(re.String()); err != nil {
			return nil, fmt.Errorf(".dockerignore %q: %w", line, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// ignored reports whether .dockerignore leaves the slash-separated path out
// of the build context: the last pattern matching it or a parent wins.
func ignored(patterns []ignorePattern, path string) bool {
	matched := false
	for _, p := range patterns {
		if p.exclusion != matched {
			// An exclusion can only re-include, a pattern only exclude.
			continue
		}
		for prefix := path; ; {
			if p.re.MatchString(prefix) {
				matched = !p.exclusion
				break
			}
			i := strings.LastIndexByte(prefix, '/')
			if i < 0 {
				break
			}
			prefix = prefix[:i]
		}
	}
	return matched
}

// copyBuildContext copies what Docker would send as the build context of
// root into dst.
func copyBuildContext(root, dst string) error {
	patterns, err := readDockerignore(root)
	if err != nil {
		return err
	}
	hasExclusions := false
	for _, p := range patterns {
		hasExclusions = hasExclusions || p.exclusion
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if ignored(patterns, rel) {
			if d.IsDir() && !hasExclusions {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, filepath.FromSlash(rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			return os.WriteFile(target, b, info.Mode().Perm())
		}
		return nil
	})
}

// sharedBin is the binary built as the Dockerfile builds it, once for all
// the tests that need it.
var sharedBin struct {
	once sync.Once
	dir  string
	path string
	err  error
	log  string
}

// sharedBinary returns the path of the binary built as the Dockerfile's
// build stage builds it: its build context (the repository less what
// .dockerignore leaves out) copied to a directory of its own, and its
// `go build` run there with the same environment and arguments, but the
// output in a temporary directory. The directory is world-readable so that
// an unprivileged user can run the binary; TestMain removes it.
func sharedBinary(t *testing.T) string {
	t.Helper()
	root := moduleRoot(t)
	d := readDockerfile(t)
	sharedBin.once.Do(func() {
		sharedBin.path, sharedBin.log, sharedBin.err = buildAsDockerfile(root, d)
	})
	if sharedBin.err != nil {
		t.Fatalf("building the binary as the Dockerfile does: %v\n%s", sharedBin.err, sharedBin.log)
	}
	return sharedBin.path
}

func buildAsDockerfile(root string, d *dockerfile) (path, log string, err error) {
	build := d.stages[0]
	b, err := findGoBuild(build)
	if err != nil {
		return "", "", err
	}
	dir, err := os.MkdirTemp("", "tessera-web-bin-")
	if err != nil {
		return "", "", err
	}
	sharedBin.dir = dir
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", "", err
	}
	src := filepath.Join(dir, "src")
	if err := copyBuildContext(root, src); err != nil {
		return "", "", fmt.Errorf("copying the build context: %w", err)
	}
	path = filepath.Join(dir, filepath.Base(b.output))
	cmd := exec.Command("go", append([]string{"build"}, b.withOutput(path)...)...)
	cmd.Dir = src
	cmd.Env = os.Environ()
	for k, v := range b.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", out.String(), fmt.Errorf("%s (in %s): %w", strings.Join(cmd.Args, " "), src, err)
	}
	// The sources are not needed any more; the binary stays.
	os.RemoveAll(src)
	return path, out.String(), nil
}

// jsonArray reads an exec-form argument such as ["/web", "healthcheck"].
func jsonArray(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("%q is not a JSON array of strings: %w", s, err)
	}
	return out, nil
}

// sharedTempDir makes a temporary directory that other users can enter
// (t.TempDir's parent is private to the user running the tests).
func sharedTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tessera-web-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
