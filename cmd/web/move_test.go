package main

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
)

func runMove(t *testing.T, e env) (stdout string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), []string{"migrate-to-postgres"}, e.get, &out, &errOut)
	return out.String(), err
}

// Moving a SQLite install to PostgreSQL: the command copies what it has,
// copies nothing twice, and Tessera then serves from PostgreSQL.
func TestMigrateToPostgresThenServeFromIt(t *testing.T) {
	s := startServer(t, nil)
	b := newBrowser(t, s.base)
	b.signIn()
	if err := s.stop(); err != nil {
		t.Fatalf("stopping the SQLite server: %v", err)
	}
	pg := pgtest.Database(t)
	e := env{config.EnvDataDir: s.dataDir, config.EnvDatabaseURL: pg}
	out, err := runMove(t, e)
	if err != nil {
		t.Fatalf("web migrate-to-postgres = %v", err)
	}
	if !regexp.MustCompile(`^Copied [1-9]\d* sessions and \d+ history entries from .*tessera\.db to postgres`).MatchString(out) {
		t.Errorf("web migrate-to-postgres said %q, want how many sessions it copied, from where, to where", out)
	}
	again, err := runMove(t, e)
	if err != nil || !strings.HasPrefix(again, "Copied 0 sessions and 0 history entries") {
		t.Errorf("web migrate-to-postgres again = %q, %v; want nothing copied twice", again, err)
	}

	served := startServer(t, env{config.EnvDatabaseURL: pg})
	resp, body := get(t, http.DefaultClient, served.base+"/login")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Sign in") {
		t.Errorf("GET /login on PostgreSQL = %d, want the sign-in page", resp.StatusCode)
	}
	if !strings.Contains(served.stderr.String(), `database="postgres://`) {
		t.Errorf("the start-up log does not name the PostgreSQL database:\n%s", served.stderr)
	}
}

func TestMigrateToPostgresMistakesExitTwoWithOneLine(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		e    env
		want string
	}{
		{"no database URL", env{config.EnvDataDir: empty}, config.EnvDatabaseURL + ": required"},
		{"a database URL of another kind", env{config.EnvDataDir: empty, config.EnvDatabaseURL: "mysql://u:hunter2@db/x"}, config.EnvDatabaseURL + ": must be a postgres:// URL"},
		{"no SQLite database", env{config.EnvDataDir: empty, config.EnvDatabaseURL: "postgres://u:hunter2@127.0.0.1:1/x"}, "no SQLite database to copy at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runMove(t, tt.e)
			if got := exitCode(err); got != 2 {
				t.Fatalf("web migrate-to-postgres = %v (exit %d), want exit 2", err, got)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, tt.want) || strings.Contains(msg, "hunter2") {
				t.Errorf("web migrate-to-postgres = %q, want one line saying %q, without the password", msg, tt.want)
			}
			if out != "" {
				t.Errorf("web migrate-to-postgres wrote %q to stdout, want nothing", out)
			}
		})
	}
}

func TestBackupOnPostgreSQLPointsAtPgDump(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"backup", "-o", "x.db"}, env{config.EnvDatabaseURL: "postgres://u@db/tessera"}.get, &out, &errOut)
	if got := exitCode(err); got != 2 || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("web backup with %s = %v (exit %d), want exit 2 pointing at pg_dump", config.EnvDatabaseURL, err, got)
	}
}
