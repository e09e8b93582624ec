// Package pgtest gives tests a PostgreSQL database of their own: a
// throwaway cluster, started once per test binary in a temporary directory
// and reached over a Unix socket only, or the server that
// TESSERA_TEST_POSTGRES_URL names. Each Database call creates a fresh,
// empty database, so tests never see each other's rows.
//
// PostgreSQL comes from Debian's postgresql package (make test installs it
// when missing). Where it cannot be found, tests skip with the reason,
// unless TESSERA_REQUIRE_POSTGRES is set (make test sets it), in which case
// they fail with it: the store's contract must never go untested in CI.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The environment variables the package reads.
const (
	// EnvURL names a running server to use instead of a throwaway cluster;
	// its user must be allowed to create databases.
	EnvURL = "TESSERA_TEST_POSTGRES_URL"
	// EnvRequire turns "PostgreSQL is not installed" from a skip into a
	// failure.
	EnvRequire = "TESSERA_REQUIRE_POSTGRES"
)

var (
	once    sync.Once
	server  *cluster
	admin   string // URL of the maintenance database
	initErr error
	counter atomic.Int64
)

// cluster is a throwaway PostgreSQL cluster.
type cluster struct {
	dir, bin string
	asUser   []string // the runuser prefix when running as root
}

// Main runs the package's tests and stops the cluster, if one was started.
// Call it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if server != nil {
		server.stop()
	}
	return code
}

// Database creates an empty database for the test and returns its URL. It
// is dropped when the test ends.
func Database(t testing.TB) string {
	t.Helper()
	once.Do(start)
	if initErr != nil {
		if os.Getenv(EnvRequire) != "" {
			t.Fatalf("PostgreSQL is required (%s is set) but cannot be used: %v", EnvRequire, initErr)
		}
		t.Skipf("PostgreSQL cannot be used here, so this test of the PostgreSQL store is skipped: %v", initErr)
	}
	name := fmt.Sprintf("tessera_test_%d_%d", os.Getpid(), counter.Add(1))
	ctx := context.Background()
	if err := exec1(ctx, admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		// WITH (FORCE) ends the connections a failed test left open.
		if err := exec1(context.Background(), admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return u.String()
}

func exec1(ctx context.Context, dsn, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func start() {
	if u := os.Getenv(EnvURL); u != "" {
		admin = u
		initErr = exec1(context.Background(), admin, "SELECT 1")
		return
	}
	c, err := newCluster(false)
	if err != nil {
		initErr = err
		return
	}
	server = c
	admin = c.url("postgres")
	initErr = c.waitConnectable()
}

// url is the URL of the cluster's database name, as its superuser.
func (c *cluster) url(name string) string {
	return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + name,
		RawQuery: url.Values{"host": {c.dir}, "sslmode": {"disable"}}.Encode()}).String()
}

// waitConnectable returns once the cluster takes connections. The server
// is up once pg_ctl -w returns; the first connection still may race its
// socket on a loaded machine, so it tries a few times.
func (c *cluster) waitConnectable() error {
	for i := 0; ; i++ {
		err := exec1(context.Background(), c.url("postgres"), "SELECT 1")
		if err == nil || i == 20 {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Cluster is a throwaway cluster for a program rather than a test
// (cmd/loadtest): in a temporary directory, reached over its Unix socket
// only, removed by Stop.
type Cluster struct{ c *cluster }

// StartCluster starts a Cluster. Unlike the tests' cluster it keeps
// PostgreSQL's durable defaults (fsync, synchronous commits), so that what
// is measured on it includes the cost of a commit, as on a real server.
func StartCluster() (*Cluster, error) {
	c, err := newCluster(true)
	if err != nil {
		return nil, err
	}
	if err := c.waitConnectable(); err != nil {
		c.stop()
		return nil, err
	}
	return &Cluster{c: c}, nil
}

// CreateDatabase creates an empty database and returns its URL.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) (string, error) {
	if err := exec1(ctx, c.c.url("postgres"), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: create database: %w", err)
	}
	return c.c.url(name), nil
}

// Stop stops the cluster and removes its files.
func (c *Cluster) Stop() { c.c.stop() }

// binDir finds PostgreSQL's server programs: Debian keeps them out of PATH,
// in /usr/lib/postgresql/<version>/bin; the newest version wins.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no pg_ctl in /usr/lib/postgresql/*/bin or on PATH (install Debian's postgresql package: make test does)")
}

// newCluster initialises and starts a cluster; durable keeps fsync and
// synchronous commits on, which the tests turn off for speed.
func newCluster(durable bool) (*cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tessera-pg-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir, bin: bin}
	// PostgreSQL refuses to run as root; CI runs as root, so the cluster
	// belongs to the postgres user the package creates.
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, and there is no postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		c.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	// Only a Unix socket in the directory: nothing listens on the network.
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories=%s -c max_connections=200", dir)
	if !durable {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	if out, err := c.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		return nil, fmt.Errorf("pg_ctl start: %v: %s %s", err, out, log)
	}
	return c, nil
}

func (c *cluster) run(prog string, args ...string) (string, error) {
	argv := append(slices.Clone(c.asUser), append([]string{filepath.Join(c.bin, prog)}, args...)...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (c *cluster) stop() {
	_, _ = c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	_ = os.RemoveAll(c.dir)
}
