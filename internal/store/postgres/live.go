package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tessera-dashboard/tessera/internal/live"
)

// The log of live events that replicas share: internal/live's Bus on
// PostgreSQL (see docs/live.md, "Several replicas"). Events are rows of
// live_events, with ids from live_clock (migrations/0002_live.sql says why
// not a sequence); an append notifies the channel tessera_live with the
// event's id only, and each replica reads the rows after the last one it
// delivered. The notification is a wake-up, never the event itself, so
// PostgreSQL's 8000-byte limit on a payload cannot cut one, and a
// notification lost while a replica was disconnected costs nothing: the
// rows are still there. They are pruned after Keep.

// liveChannel is the channel of the notifications.
const liveChannel = "tessera_live"

// Defaults of LiveOptions.
const (
	// DefaultLiveKeep is how long events stay in the log: a replica that
	// was disconnected longer, or a stream that resumes later, resets.
	DefaultLiveKeep = 10 * time.Minute
	// DefaultLiveHeartbeat is how often a listening connection that heard
	// nothing is checked, the log read again, and old events pruned.
	DefaultLiveHeartbeat = 30 * time.Second
)

// liveCheckWait bounds the check of a listening connection, its pruning,
// and its closing.
const liveCheckWait = 10 * time.Second

// LiveOptions tune a LiveBus; the zero value takes the defaults.
type LiveOptions struct {
	Keep, Heartbeat time.Duration
}

// LiveBus is the log of live events in PostgreSQL; it implements
// live.Bus. It is safe for concurrent use.
type LiveBus struct {
	db              *DB
	keep, heartbeat time.Duration

	// For tests: called before each listening connection is made, and the
	// backend process id of the current one.
	beforeListen func(context.Context) error
	listenPID    atomic.Uint32
}

var _ live.Bus = (*LiveBus)(nil)

// LiveBus returns the log of live events in the database.
func (d *DB) LiveBus(o LiveOptions) *LiveBus {
	l := &LiveBus{db: d, keep: o.Keep, heartbeat: o.Heartbeat}
	if l.keep <= 0 {
		l.keep = DefaultLiveKeep
	}
	if l.heartbeat <= 0 {
		l.heartbeat = DefaultLiveHeartbeat
	}
	return l
}

// nowMicros is the database's clock in microseconds: one clock for every
// replica.
const nowMicros = "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"

// appendSQL appends one event and notifies the replicas. Its id is taken
// under live_clock's row lock, which the transaction holds to its commit,
// so that ids commit in their order.
const appendSQL = `WITH c AS (
		UPDATE live_clock SET last = GREATEST(last + 1, ` + nowMicros + `) RETURNING last
	), e AS (
		INSERT INTO live_events (id, merchant_id, kind, customer_id, fields, version, elsewhere)
		SELECT last, $1, $2, $3, $4, $5, $6 FROM c RETURNING id
	)
	SELECT pg_notify('` + liveChannel + `', id::text)::text FROM e`

// Append adds the events to the log, in one transaction and one round
// trip: a batch sent at once runs as one implicit transaction.
func (l *LiveBus) Append(ctx context.Context, entries ...live.Entry) error {
	var batch pgx.Batch
	for _, en := range entries {
		fields := en.Event.Fields
		if fields == nil {
			fields = []string{}
		}
		e := en.Event
		batch.Queue(appendSQL, en.MerchantID, string(e.Kind), e.CustomerID, fields, e.Version, e.Elsewhere)
	}
	if err := l.db.pool.SendBatch(ctx, &batch).Close(); err != nil {
		return fmt.Errorf("store: live: append to %s: %w", l.db.where, err)
	}
	return nil
}

// Read returns up to limit events after the id, of one merchant or of all
// ("" ), oldest first. The clock and the rows are read in one statement,
// so in one snapshot: ok is true when no event after after was pruned
// (after is at least pruned) and after is an id the log gave (at most
// last).
func (l *LiveBus) Read(ctx context.Context, merchantID string, after int64, limit int) ([]live.Entry, bool, error) {
	where, args := "id > $1", []any{after, limit}
	if merchantID != "" {
		where, args = "merchant_id = $3 AND id > $1", append(args, merchantID)
	}
	rows, err := l.db.pool.Query(ctx, `SELECT c.last, c.pruned, e.id, e.merchant_id, e.kind, e.customer_id, e.fields, e.version, e.elsewhere
		FROM live_clock c LEFT JOIN LATERAL (
			SELECT * FROM live_events WHERE `+where+` ORDER BY id LIMIT $2
		) e ON true ORDER BY e.id`, args...)
	if err != nil {
		return nil, false, fmt.Errorf("store: live: read %s: %w", l.db.where, err)
	}
	defer rows.Close()
	var last, pruned int64
	var out []live.Entry
	for rows.Next() {
		var (
			id, version            *int64
			merchant, kind, custID *string
			fields                 []string
			elsewhere              *bool
		)
		if err := rows.Scan(&last, &pruned, &id, &merchant, &kind, &custID, &fields, &version, &elsewhere); err != nil {
			return nil, false, fmt.Errorf("store: live: read %s: %w", l.db.where, err)
		}
		if id == nil {
			continue // no event: the row of the clock alone
		}
		out = append(out, live.Entry{MerchantID: *merchant, Event: live.Event{
			ID: *id, Kind: live.Kind(*kind), CustomerID: *custID, Fields: fields, Version: *version, Elsewhere: *elsewhere,
		}})
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("store: live: read %s: %w", l.db.where, err)
	}
	if after < pruned || after > last {
		return nil, false, nil
	}
	return out, true, nil
}

// Head is the last id the log gave.
func (l *LiveBus) Head(ctx context.Context) (int64, error) {
	var last int64
	if err := l.db.pool.QueryRow(ctx, "SELECT last FROM live_clock").Scan(&last); err != nil {
		return 0, fmt.Errorf("store: live: read %s: %w", l.db.where, err)
	}
	return last, nil
}

// Listen listens on a connection of its own, outside the pool, and wakes
// the broker at each notification. Every Heartbeat it checks the
// connection (a silent network can leave it open but dead), wakes the
// broker anyway, and prunes the log.
func (l *LiveBus) Listen(ctx context.Context, ready, wake func()) error {
	if l.beforeListen != nil {
		if err := l.beforeListen(ctx); err != nil {
			return err
		}
	}
	conn, err := pgx.ConnectConfig(ctx, l.db.pool.Config().ConnConfig)
	if err != nil {
		return fmt.Errorf("store: live: connect to %s: %w", l.db.where, err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), liveCheckWait)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+liveChannel); err != nil {
		return fmt.Errorf("store: live: listen on %s: %w", l.db.where, err)
	}
	l.listenPID.Store(conn.PgConn().PID())
	ready()
	next := time.Now().Add(l.heartbeat)
	for {
		wctx, cancel := context.WithDeadline(ctx, next)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			wake()
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !pgconn.Timeout(err):
			return fmt.Errorf("store: live: listen on %s: %w", l.db.where, err)
		}
		// Both are bounded: a connection cut without a word can hang.
		pctx, cancel := context.WithTimeout(ctx, liveCheckWait)
		_, err = conn.Exec(pctx, "SELECT 1")
		if err == nil {
			// A failed pruning is tried again at the next heartbeat.
			_ = l.Prune(pctx)
		}
		cancel()
		if err != nil {
			return fmt.Errorf("store: live: listen on %s: %w", l.db.where, err)
		}
		wake()
		next = time.Now().Add(l.heartbeat)
	}
}

// Prune deletes the events older than Keep, and records the largest id
// it deleted: a reader after that id has missed none of them, however
// long ago it read (a quiet log vouches for a stream that saw its last
// event an hour ago).
func (l *LiveBus) Prune(ctx context.Context) error {
	_, err := l.db.pool.Exec(ctx, `WITH d AS (
			DELETE FROM live_events WHERE id <= `+nowMicros+` - $1 RETURNING id
		)
		UPDATE live_clock SET pruned = GREATEST(pruned, (SELECT max(id) FROM d))
		WHERE EXISTS (SELECT 1 FROM d)`, l.keep.Microseconds())
	if err != nil {
		return fmt.Errorf("store: live: prune %s: %w", l.db.where, err)
	}
	return nil
}
