package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/store"
	"github.com/tessera-dashboard/tessera/internal/store/postgres"
)

// migrateToPostgres is `web migrate-to-postgres`: it copies the sessions
// and the history from the SQLite database in TESSERA_DATA_DIR to the
// PostgreSQL database at TESSERA_DATABASE_URL (postgres.CopyFromSQLite),
// with the configuration the replicas will run with. Run it with Tessera
// stopped; it can run again after a failure. Mistakes exit 2, a copy that
// fails exits 1.
func migrateToPostgres(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate-to-postgres", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `Usage: web migrate-to-postgres

Copies the sessions and the history of changes from the SQLite database in
TESSERA_DATA_DIR to the PostgreSQL database at TESSERA_DATABASE_URL, in one
transaction; rows PostgreSQL already has are kept, so it can run again.
Stop Tessera first, and let running bulk changes and imports finish. The
customer index is not copied: it fills from Square at the first sign-in.
Sessions stay signed in if the replicas use the same TESSERA_SESSION_SECRET.
See docs/operations.md.`)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return startupError(fmt.Errorf("migrate-to-postgres: %w", err))
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return startupError(fmt.Errorf("migrate-to-postgres: unexpected argument %q", fs.Arg(0)))
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return startupError(err)
	}
	if !cfg.UsesPostgres() {
		return startupError(fmt.Errorf("%s: required: the PostgreSQL database to copy to", config.EnvDatabaseURL))
	}
	// store.Open would make an empty database where there is none.
	path := filepath.Join(cfg.DataDir, store.FileName)
	if _, err := os.Stat(path); err != nil {
		return startupError(fmt.Errorf("%s: no SQLite database to copy at %s", config.EnvDataDir, path))
	}
	sqlite, err := store.Open(ctx, cfg.DataDir)
	if err != nil {
		return startupError(fmt.Errorf("%s: %w", config.EnvDataDir, err))
	}
	defer sqlite.Close()
	pg, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return startupError(fmt.Errorf("%s: %w", config.EnvDatabaseURL, err))
	}
	defer pg.Close()
	report, err := pg.CopyFromSQLite(ctx, sqlite.Reader())
	if errors.Is(err, postgres.ErrUnfinishedJobs) {
		return startupError(fmt.Errorf("migrate-to-postgres: %w", err))
	}
	if err != nil {
		return fmt.Errorf("migrate-to-postgres: %w (nothing was copied)", err)
	}
	fmt.Fprintf(stdout, "Copied %d sessions and %d history entries from %s to %s.\n"+
		"The customer index fills from Square at the first sign-in on PostgreSQL.\n",
		report.Sessions, report.History, path, cfg.DatabaseWhere())
	return nil
}
