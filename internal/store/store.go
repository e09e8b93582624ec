// Package store is Tessera's embedded database: one SQLite file in the data
// directory, reached through the pure-Go modernc.org/sqlite driver so that
// the binary stays static. It holds the server-side sessions.
//
// SQLite allows one writer at a time. Rather than let concurrent writers
// collide and wait on SQLITE_BUSY, a DB keeps two pools over the same file:
// a writer pool of exactly one connection, so that writes queue in Go, and a
// reader pool of several read-only connections, which WAL mode lets read
// while the writer writes.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the database's name inside the data directory.
const FileName = "tessera.db"

// busyTimeoutMS bounds how long a connection waits for a lock held by
// another process (a backup, the sqlite3 shell) before failing.
const busyTimeoutMS = 5000

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("store: not found")

// DB is the open database. It is safe for concurrent use.
type DB struct {
	path   string
	writer *sql.DB
	reader *sql.DB
	// getSession is prepared once: every request reads its session, and
	// preparing the statement each time was most of that read's cost.
	getSession *sql.Stmt
}

// Open opens the database in dataDir, creating the directory (mode 0700) and
// the file if needed, and brings its schema up to date.
func Open(ctx context.Context, dataDir string) (*DB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data directory %s: %w", dataDir, err)
	}
	if err := checkWritable(dataDir); err != nil {
		return nil, err
	}
	path, err := filepath.Abs(filepath.Join(dataDir, FileName))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	d, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := d.migrate(ctx, migrationFiles); err != nil {
		d.Close()
		return nil, err
	}
	// Prepared after the migrations, which create the table it reads.
	if d.getSession, err = d.reader.PrepareContext(ctx, getSessionSQL); err != nil {
		d.Close()
		return nil, fmt.Errorf("store: prepare: %w", err)
	}
	return d, nil
}

// checkWritable fails early, with the directory in the message, where SQLite
// would fail later with "unable to open database file": WAL mode needs to
// create files beside the database.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".tessera-write-check-*")
	if err != nil {
		return fmt.Errorf("store: data directory %s is not writable: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func open(ctx context.Context, path string) (*DB, error) {
	// Immediate transactions take the write lock at BEGIN, so a transaction
	// never fails half way when it turns from reading to writing.
	writer, err := sql.Open("sqlite", dsn(path,
		"_txlock=immediate", "_journal_mode=WAL", "_synchronous=NORMAL"))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	// The writer connects first so that WAL mode is set before any reader
	// opens the file.
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}

	reader, err := sql.Open("sqlite", dsn(path, "_query_only=1"))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	conns := max(2, runtime.NumCPU())
	reader.SetMaxOpenConns(conns)
	reader.SetMaxIdleConns(conns)
	return &DB{path: path, writer: writer, reader: reader}, nil
}

// dsn builds a file: URI so that any path, even one holding '?' or '#',
// reaches SQLite intact. Every connection waits for locks, enforces foreign
// keys and wipes what it deletes; params add per-pool settings.
func dsn(path string, params ...string) string {
	// secure_delete overwrites deleted rows with zeros, so that an ended
	// session's encrypted tokens do not linger in free pages.
	q := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=1&_pragma=secure_delete(1)", busyTimeoutMS)
	for _, p := range params {
		q += "&" + p
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q}
	return u.String()
}

// Path is the database file's absolute path, for logs.
func (d *DB) Path() string {
	return d.path
}

// Ping checks that the database can be read, for the readiness probe.
func (d *DB) Ping(ctx context.Context) error {
	var version sql.NullInt64
	err := d.reader.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&version)
	if err != nil {
		return fmt.Errorf("store: ping %s: %w", d.path, err)
	}
	return nil
}

// Rebind returns query as it is: SQLite takes the ? placeholders that
// SQL shared with PostgreSQL is written with (see postgres.Rebind).
func (d *DB) Rebind(query string) string { return query }

// Close closes the database. Calls in flight may fail.
func (d *DB) Close() error {
	var stmtErr error
	if d.getSession != nil {
		stmtErr = d.getSession.Close()
	}
	return errors.Join(stmtErr, d.reader.Close(), d.writer.Close())
}

// Writer is the pool of one connection that every write goes through, for
// packages that keep their own tables in this database (the customer index).
// A write transaction holds it until it commits, so keep them short.
func (d *DB) Writer() *sql.DB {
	return d.writer
}

// Reader is the pool of read-only connections, for the same packages' reads.
func (d *DB) Reader() *sql.DB {
	return d.reader
}
