package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tessera-dashboard/tessera/internal/config"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// backup is `web backup -o FILE [-force]`: a consistent copy of the
// database in TESSERA_DATA_DIR, taken while Tessera runs (see
// store.Backup and docs/operations.md). Mistakes in how it was called,
// and a file that exists without -force, exit 2; a copy that fails
// exits 1.
func backup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "the backup `file` to write (required)")
	force := fs.Bool("force", false, "replace the file if it exists")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `Usage: web backup -o FILE [-force]

Writes a consistent copy of the SQLite database in TESSERA_DATA_DIR to FILE
(SQLite's VACUUM INTO), while Tessera runs. FILE is readable by its owner
only. To restore: stop Tessera, replace tessera.db in the data directory with
the copy (removing tessera.db-wal and tessera.db-shm), start it.

Flags:`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return startupError(fmt.Errorf("backup: %w", err))
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return startupError(fmt.Errorf("backup: unexpected argument %q (the file goes after -o)", fs.Arg(0)))
	}
	if *out == "" {
		fs.Usage()
		return startupError(errors.New("backup: -o FILE is required"))
	}
	if getenv(config.EnvDatabaseURL) != "" || getenv(config.EnvDatabaseURL+config.FileSuffix) != "" {
		return startupError(fmt.Errorf("backup: Tessera keeps its data in PostgreSQL (%s); back it up with pg_dump (docs/operations.md)", config.EnvDatabaseURL))
	}
	dataDir := getenv(config.EnvDataDir)
	if dataDir == "" {
		dataDir = config.DefaultDataDir
	}
	info, err := store.Backup(ctx, dataDir, *out, *force)
	switch {
	case errors.Is(err, store.ErrNoDatabase):
		return startupError(fmt.Errorf("%s: no database to back up at %s", config.EnvDataDir, info.Source))
	case errors.Is(err, store.ErrBackupExists):
		return startupError(fmt.Errorf("backup: %s already exists; add -force to replace it", info.Dest))
	case errors.Is(err, store.ErrBadDestination):
		return startupError(fmt.Errorf("backup: %s", strings.TrimPrefix(err.Error(), "store: ")))
	case err != nil:
		return fmt.Errorf("backup of %s failed: %w", info.Source, err)
	}
	fmt.Fprintf(stdout, "Backed up %s to %s (%s, schema version %d) in %s\n",
		info.Source, info.Dest, byteSize(info.Size), info.SchemaVersion, info.Duration.Round(time.Millisecond))
	return nil
}

// byteSize is n in the largest unit that keeps it at least 1.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n), "KMGT"
	i := -1
	for v >= unit && i < len(suffix)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, suffix[i])
}
