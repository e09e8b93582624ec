// Package postgres is Tessera's store on PostgreSQL, for more than one
// replica: the same rows and the same contract as the embedded SQLite store
// in internal/store, reached through pgx. Its schema has its own numbered
// migrations (migrations/), applied at start-up under an advisory lock, so
// that replicas starting together migrate once.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

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
	// sql is the pool seen through database/sql, for the packages whose
	// SQL runs on both engines (see Rebind).
	sql *sql.DB
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
	d.sql = stdlib.OpenDBFromPool(d.pool)
	return d, nil
}

// Writer and Reader are the database through database/sql, for the
// packages that write SQL both engines run (internal/history): on
// PostgreSQL both are the one pool, which takes concurrent writers.
func (d *DB) Writer() *sql.DB { return d.sql }

// Reader: see Writer.
func (d *DB) Reader() *sql.DB { return d.sql }

// Pool is the pool of connections itself, for the packages written for
// PostgreSQL alone (internal/index/pgindex), which use its arrays and
// batches.
func (d *DB) Pool() *pgxpool.Pool { return d.pool }

// Rebind turns the ? placeholders of a query written for both engines
// into PostgreSQL's $1, $2, …; a ? inside a quoted string or identifier
// stays as it is.
func (d *DB) Rebind(query string) string { return Rebind(query) }

// LockInTx holds an advisory lock named by key until tx ends: replicas
// that write the same thing at once take turns (internal/history uses it).
func (d *DB) LockInTx(ctx context.Context, tx *sql.Tx, key string) error {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key); err != nil {
		return fmt.Errorf("store: lock: %w", err)
	}
	return nil
}

// Exclusive runs fn while holding a session-level advisory lock named by
// key, unless another connection holds it: then it returns held false at
// once and fn does not run. The lock lives on a connection of its own for
// fn's whole run, so a replica that dies or loses its database lets
// another take the work over at its next try. What fn writes must stay
// correct if, after such a loss, two runs overlap for a while: the lock
// spares the work, it does not fence the writes.
func (d *DB) Exclusive(ctx context.Context, key string, fn func(context.Context) error) (held bool, err error) {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("store: lock %s: %w", key, err)
	}
	defer conn.Release()
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key).Scan(&held); err != nil {
		return false, fmt.Errorf("store: lock %s: %w", key, err)
	}
	if !held {
		return false, nil
	}
	defer func() {
		// A cancelled ctx must not keep the lock on a pooled connection:
		// unlock on a fresh context, and drop the connection if that fails.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", key); uerr != nil {
			_ = conn.Conn().Close(uctx)
		}
	}()
	return true, fn(ctx)
}

// Rebind: see DB.Rebind.
func Rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
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
func (d *DB) Close() {
	if d.sql != nil {
		_ = d.sql.Close()
	}
	d.pool.Close()
}

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
	rows, _ := conn.Query(ctx, "SELECT version FROM schema_migrations")
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return fmt.Errorf("store: migrate %s: %w", d.where, err)
	}
	// An older binary must not write to a schema it does not know.
	if newest := slices.Max(append(applied, 0)); len(ms) > 0 && newest > ms[len(ms)-1].Version {
		return fmt.Errorf("store: %s has schema version %d, newer than this program's %d", d.where, newest, ms[len(ms)-1].Version)
	}
	for _, m := range ms {
		// Each is applied unless it was: a migration numbered below one
		// applied (from a branch merged later) is not skipped.
		if slices.Contains(applied, m.Version) {
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
