package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// migrationFiles holds the schema changes, named NNNN_what.sql. A file, once
// released, is never edited: a change is a new file with the next number.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ReadMigrations lists the migrations under migrations/ in fsys, in order:
// files named NNNN_what.sql, no two with one number. The PostgreSQL store
// reads its own directory with it.
func ReadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("store: list migrations: %w", err)
	}
	var ms []Migration
	for _, name := range names {
		prefix, _, ok := strings.Cut(path.Base(name), "_")
		version, err := strconv.Atoi(prefix)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("store: migration %s: want a name like 0001_what.sql", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: version, Name: name, SQL: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("store: migrations %s and %s have the same number", ms[i-1].Name, ms[i].Name)
		}
	}
	return ms, nil
}

// migrate applies the migrations in fsys that the database has not seen,
// each in its own transaction with its row in schema_migrations, so that a
// failed one leaves no trace and a restart carries on from it.
func (d *DB) migrate(ctx context.Context, fsys fs.FS) error {
	ms, err := ReadMigrations(fsys)
	if err != nil {
		return err
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY NOT NULL,
		applied_at INTEGER NOT NULL
	)`
	if _, err := d.writer.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("store: migrate %s: %w", d.path, err)
	}
	var newest sql.NullInt64
	if err := d.writer.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&newest); err != nil {
		return fmt.Errorf("store: migrate %s: %w", d.path, err)
	}
	// An older binary must not write to a schema it does not know.
	if len(ms) > 0 && newest.Int64 > int64(ms[len(ms)-1].Version) {
		return fmt.Errorf("store: %s has schema version %d, newer than this program's %d", d.path, newest.Int64, ms[len(ms)-1].Version)
	}
	for _, m := range ms {
		if err := d.apply(ctx, m); err != nil {
			return fmt.Errorf("store: migrate %s: %s: %w", d.path, m.Name, err)
		}
	}
	return nil
}

func (d *DB) apply(ctx context.Context, m Migration) error {
	tx, err := d.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Checked inside the transaction, which holds the write lock, so that two
	// processes starting at once cannot both apply it.
	var applied bool
	err = tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)", m.Version).Scan(&applied)
	if err != nil || applied {
		return err
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", m.Version, time.Now().UnixMilli())
	if err != nil {
		return err
	}
	return tx.Commit()
}
