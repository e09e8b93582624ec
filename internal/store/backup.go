package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Errors of Backup that are the operator's to fix, not failures of the copy.
var (
	// ErrNoDatabase: the data directory holds no database to back up.
	ErrNoDatabase = errors.New("store: no database")
	// ErrBackupExists: the destination exists and overwriting was not asked.
	ErrBackupExists = errors.New("store: the backup file already exists")
	// ErrBadDestination: the destination cannot be a backup file (its
	// directory is missing, it is a directory, or it is the database).
	ErrBadDestination = errors.New("store: the backup cannot be written there")
)

// BackupInfo describes a finished backup.
type BackupInfo struct {
	// Source is the database's absolute path, Dest the backup's.
	Source, Dest string
	// Size is the backup's size in bytes.
	Size int64
	// SchemaVersion is the last migration the copy holds; a Tessera that
	// knows it (this one or a newer one) can start from the copy.
	SchemaVersion int
	Duration      time.Duration
}

// Backup writes a consistent copy of the database in dataDir to dest with
// SQLite's VACUUM INTO, while Tessera may be running and writing: the copy
// is the database as one read transaction sees it, compacted, without the
// WAL, and without the free pages where deleted rows were. Backup never
// migrates nor creates the database.
//
// The copy is written to a temporary file beside dest, checked with
// PRAGMA quick_check, made readable by its owner only (0600: it holds
// customer data and encrypted tokens), synced, and only then put in
// place, so dest is never a half-written file. An existing dest is
// replaced only when overwrite is true.
func Backup(ctx context.Context, dataDir, dest string, overwrite bool) (BackupInfo, error) {
	start := time.Now()
	src, err := filepath.Abs(filepath.Join(dataDir, FileName))
	if err != nil {
		return BackupInfo{}, fmt.Errorf("store: %w", err)
	}
	info := BackupInfo{Source: src}
	if st, err := os.Stat(src); err != nil || !st.Mode().IsRegular() {
		return info, fmt.Errorf("%w at %s", ErrNoDatabase, src)
	}
	if info.Dest, err = filepath.Abs(dest); err != nil {
		return info, fmt.Errorf("store: %w", err)
	}
	dest = info.Dest
	if err := checkDestination(src, dest, overwrite); err != nil {
		return info, err
	}

	tmp, err := tempName(dest)
	if err != nil {
		return info, err
	}
	defer os.Remove(tmp) // gone already once renamed
	if err := vacuumInto(ctx, src, tmp); err != nil {
		return info, err
	}
	if info.SchemaVersion, err = checkCopy(ctx, tmp); err != nil {
		return info, err
	}
	if err := syncFile(tmp); err != nil {
		return info, err
	}
	if err := place(tmp, dest, overwrite); err != nil {
		return info, err
	}
	st, err := os.Stat(dest)
	if err != nil {
		return info, fmt.Errorf("store: backup: %w", err)
	}
	info.Size = st.Size()
	info.Duration = time.Since(start)
	return info, nil
}

// checkDestination refuses a destination that cannot work, before any
// copying: the database itself or one of its WAL files, a directory, a
// directory that does not exist, or an existing file without overwrite.
func checkDestination(src, dest string, overwrite bool) error {
	for _, f := range []string{src, src + "-wal", src + "-shm"} {
		if dest == f {
			return fmt.Errorf("%w: %s is the database itself", ErrBadDestination, dest)
		}
	}
	if st, err := os.Stat(filepath.Dir(dest)); err != nil || !st.IsDir() {
		return fmt.Errorf("%w: the directory %s does not exist", ErrBadDestination, filepath.Dir(dest))
	}
	st, err := os.Stat(dest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("store: backup: %w", err)
	case st.IsDir():
		return fmt.Errorf("%w: %s is a directory; name the backup file", ErrBadDestination, dest)
	case !overwrite:
		return fmt.Errorf("%w: %s", ErrBackupExists, dest)
	}
	return nil
}

// tempName is a name beside dest that nothing else uses.
func tempName(dest string) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("store: backup: %w", err)
	}
	return filepath.Join(filepath.Dir(dest), "."+filepath.Base(dest)+".partial-"+hex.EncodeToString(b[:])), nil
}

// vacuumInto copies src into the new file tmp. Its own connection waits
// for the writer as every connection does (busy_timeout); it takes only a
// read transaction, so Tessera keeps writing meanwhile.
func vacuumInto(ctx context.Context, src, tmp string) error {
	db, err := sql.Open("sqlite", dsn(src))
	if err != nil {
		return fmt.Errorf("store: backup: open %s: %w", src, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// VACUUM INTO creates the file with the process's umask; making it
	// first, empty and 0600, keeps the data private from the start
	// (SQLite writes into an existing empty file).
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	f.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return fmt.Errorf("store: backup: VACUUM INTO %s: %w", tmp, err)
	}
	return nil
}

// checkCopy opens the copy read-only, checks its structure and returns
// the schema version it holds.
func checkCopy(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("sqlite", dsn(path, "mode=ro"))
	if err != nil {
		return 0, fmt.Errorf("store: backup: open the copy: %w", err)
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&result); err != nil {
		return 0, fmt.Errorf("store: backup: checking the copy: %w", err)
	}
	if result != "ok" {
		return 0, fmt.Errorf("store: backup: the copy failed its check: %s", result)
	}
	var version sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&version); err != nil {
		return 0, fmt.Errorf("store: backup: reading the copy's schema version: %w", err)
	}
	return int(version.Int64), nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: backup: sync: %w", err)
	}
	return nil
}

// place moves the finished copy to dest. Without overwrite a hard link
// puts it there only if nothing took the name since checkDestination;
// where the file system has no hard links, the check has to do.
func place(tmp, dest string, overwrite bool) error {
	if !overwrite {
		err := os.Link(tmp, dest)
		if err == nil {
			return nil
		}
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrBackupExists, dest)
		}
	}
	if err := os.Rename(tmp, dest); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}
