// Package postgres is Tessera's store on PostgreSQL, for more than one
// replica: the same rows and the same contract as the embedded SQLite store
// in internal/store, reached through pgx. Its schema has its own numbered
// migrations (migrations/), applied at start-up under an advisory lock, so
// that replicas starting together migrate once.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tessera-dashboard/tessera/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory lock key that serialises migrations: any
// fixed number, the same in every replica ("TESSERA" in ASCII, trimmed).
const migrationLock int64 = 0x5445535345

// DB is an open PostgreSQL store. It is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
	// where names the server for messages, without the password.
	where string
}

// Open connects to the database at dsn (a postgres:// URL or a key=value
// string, as libpq takes them) and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message can quote the string, password and all.
		return nil, errors.New("store: the PostgreSQL URL cannot be read; see docs/operations.md for its form")
	}
	d := &DB{where: redact(cfg.ConnConfig)}
	if d.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("store: connect to %s: %w", d.where, err)
	}
	if err := d.pool.Ping(ctx); err != nil {
		d.pool.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", d.where, err)
	}
	if err := d.migrate(ctx); err != nil {
		d.pool.Close()
		return nil, err
	}
	return d, nil
}

// redact names the server and database, never the password.
func redact(c *pgx.ConnConfig) string {
	u := url.URL{Scheme: "postgres", Host: fmt.Sprintf("%s:%d", c.Host, c.Port), Path: "/" + c.Database}
	if c.User != "" {
		u.User = url.User(c.User)
	}
	return u.String()
}

// Where names the server and database, for logs.
func (d *DB) Where() string { return d.where }

// Ping checks that the database answers, for the readiness probe.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", d.where, err)
	}
	return nil
}

// Close closes the connections. Calls in flight may fail.
func (d *DB) Close() { d.pool.Close() }

// migrate applies the migrations the database has not seen, each in its
// own transaction with its row in schema_migrations, while holding an
// advisory lock: a replica that starts while another migrates waits, then
// finds the work done.
func (d *DB) migrate(ctx context.Context) error {
	ms, err := store.ReadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate %s: %w", d.where, err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("store: migrate %s: lock: %w", d.where, err)
	}
	defer func() {
		// A cancelled ctx must not keep the lock: the connection goes back
		// to the pool, and the next one to use it would hold it.
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock)
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("store: migrate %s: %w", d.where, err)
	}
	var newest *int64
	if err := conn.QueryRow(ctx, "SELECT max(version) FROM schema_migrations").Scan(&newest); err != nil {
		return fmt.Errorf("store: migrate %s: %w", d.where, err)
	}
	// An older binary must not write to a schema it does not know.
	if newest != nil && len(ms) > 0 && *newest > int64(ms[len(ms)-1].Version) {
		return fmt.Errorf("store: %s has schema version %d, newer than this program's %d", d.where, *newest, ms[len(ms)-1].Version)
	}
	for _, m := range ms {
		if newest != nil && int64(m.Version) <= *newest {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", m.Version)
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migrate %s: %s: %w", d.where, m.Name, err)
		}
	}
	return nil
}
