// Package pgindex is the customer index (see internal/index) kept in
// PostgreSQL, for Tessera running as several replicas: the same methods,
// with the same meaning, as *index.Index, over the tables of the store's
// migrations 0006_index.sql and 0007_index_speed.sql.
//
// Every key a search matches or the directory sorts by is folded in Go by
// internal/index (index.KeysOf, index.Prepare), so both engines fold
// alike; a search word is then found as a fragment of the folded keys with
// LIKE, which pg_trgm's GIN index serves for words of three characters or
// more. Ranking, highlighting and the bounds of a Query are internal/index's
// own. Every statement names the merchant, so no query reads another
// merchant's row.
//
// Writes of one customer take turns across replicas: a write holds a
// transaction-scoped advisory lock per customer it may change, so that two
// replicas applying two states of one customer at once still keep the
// newer (see index.Index.Put for the rules).
package pgindex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/store"
	"github.com/tessera-dashboard/tessera/internal/store/postgres"
)

// Index is the customer index on PostgreSQL. It is safe for concurrent use.
type Index struct {
	pool     *pgxpool.Pool
	watchers *watchers
	// rankAllUpTo is how many matches a search ranks all at once; above
	// it the tiers serve the page (see ranked). Tests lower it to
	// exercise the tiers on small data.
	rankAllUpTo int
}

// defaultRankAllUpTo is every search whose matches are counted exactly
// (index.MaxCounted). PostgreSQL ranks them in one statement, on rows its
// trigram index has already found, where the tiers are three or four
// statements that each find them again: at 100,000 customers, `mar gar`
// (610 matches) took 12.8 ms by the tiers and 4.9 ranked at once, and
// `(360) 555` (624) 13.8 and 7.0, the same pages. (index.Index ranks at
// once only up to 200: SQLite's tiers read rows in an index's order and
// stop early, which its one statement cannot.)
const defaultRankAllUpTo = index.MaxCounted

// New returns the index kept in db, whose migrations created its tables.
func New(db *postgres.DB) *Index {
	return &Index{pool: db.Pool(), watchers: &watchers{}, rankAllUpTo: defaultRankAllUpTo}
}

// customerCols are the columns scanCustomer reads, from index_customers c.
const customerCols = `c.seq, c.merchant_id, c.id, c.version, c.created_at, c.updated_at,
	c.given_name, c.family_name, c.nickname, c.company, c.email, c.phone, c.reference_id, c.note,
	c.creation_source, c.group_ids`

func scanCustomer(s pgx.Row) (index.Customer, int64, error) {
	var c index.Customer
	var seq, created, updated int64
	err := s.Scan(&seq, &c.MerchantID, &c.ID, &c.Version, &created, &updated,
		&c.GivenName, &c.FamilyName, &c.Nickname, &c.CompanyName, &c.EmailAddress, &c.PhoneNumber, &c.ReferenceID, &c.Note,
		&c.CreationSource, &c.GroupIDs)
	if err != nil {
		return index.Customer{}, 0, err
	}
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	if len(c.GroupIDs) == 0 {
		// As SQLite gives it: no groups is nil.
		c.GroupIDs = nil
	}
	return c, seq, nil
}

// ms and fromMS keep times as Unix milliseconds, zero for the zero time,
// as the SQLite index does.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// tx runs fn in a transaction.
func (x *Index) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, x.pool, fn)
}

// lockKey is the advisory lock of one thing a write changes: a customer,
// or a merchant's sync state. It is an FNV hash of a name no other lock
// of Tessera's uses.
func lockKey(kind, merchantID, id string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("tessera/index/" + kind + "\x00" + merchantID + "\x00" + id))
	return int64(h.Sum64())
}

// lock holds the keys' advisory locks until tx ends. They are taken in
// ascending order, so two writes that share some customers cannot
// deadlock.
func lock(ctx context.Context, tx pgx.Tx, keys []int64) error {
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k", keys); err != nil {
		return fmt.Errorf("index: lock: %w", err)
	}
	return nil
}

// Put stores c as the merchant's current state of that customer, unless
// the index already knows a state at least as new, by the rules of
// index.Index.Put. It reports whether c was stored.
func (x *Index) Put(ctx context.Context, merchantID string, c index.Customer) (applied bool, err error) {
	n, err := x.PutAll(ctx, merchantID, []index.Customer{c}, nil)
	return n == 1, err
}

type tombstone struct {
	version   int64
	exact     bool
	deletedAt int64
}

// PutAll is Put for a page of customers in one transaction, with sync
// applied to the merchant's SyncState in the same transaction if it is not
// nil (see index.Index.PutAll). It reports how many customers were stored.
func (x *Index) PutAll(ctx context.Context, merchantID string, cs []index.Customer, sync func(*index.SyncState) error) (applied int, err error) {
	if merchantID == "" {
		return 0, fmt.Errorf("%w: empty merchant id", index.ErrInvalid)
	}
	for _, c := range cs {
		if c.ID == "" {
			return 0, fmt.Errorf("%w: customer without an id", index.ErrInvalid)
		}
		if c.MerchantID != "" && c.MerchantID != merchantID {
			return 0, fmt.Errorf("%w: customer %s belongs to another merchant", index.ErrInvalid, c.ID)
		}
	}
	cs = storable(cs)
	watched := x.watched(ctx)
	var changes []index.Change
	err = x.tx(ctx, func(tx pgx.Tx) error {
		applied, changes = 0, nil
		ids := make([]string, 0, len(cs))
		keys := make([]int64, 0, len(cs)+1)
		for _, c := range cs {
			ids = append(ids, c.ID)
			keys = append(keys, lockKey("customer", merchantID, c.ID))
		}
		if sync != nil {
			keys = append(keys, lockKey("sync", merchantID, ""))
		}
		if err := lock(ctx, tx, keys); err != nil {
			return err
		}
		tombs, err := readTombstones(ctx, tx, merchantID, ids)
		if err != nil {
			return err
		}
		current, err := readCustomers(ctx, tx, merchantID, ids)
		if err != nil {
			return err
		}
		batch := &pgx.Batch{}
		tally := counts{}
		for _, c := range cs {
			if t, ok := tombs[c.ID]; ok {
				newer := c.Version > t.version && (t.exact || ms(c.UpdatedAt) > t.deletedAt)
				if !newer {
					continue
				}
				delete(tombs, c.ID)
				batch.Queue("DELETE FROM index_tombstones WHERE merchant_id = $1 AND id = $2", merchantID, c.ID)
			}
			old, exists := current[c.ID]
			if exists && !(c.Version > old.Version || (c.Version == old.Version && ms(c.UpdatedAt) > ms(old.UpdatedAt))) {
				continue
			}
			queueUpsert(batch, merchantID, c)
			if exists {
				tally.add(old, -1)
			}
			tally.add(c, 1)
			after := c
			after.MerchantID = merchantID
			current[c.ID] = after
			applied++
			if watched {
				ch := index.Change{MerchantID: merchantID, Origin: index.OriginOf(ctx), After: &after}
				if exists {
					ch.Before = &old
				}
				changes = append(changes, ch)
			}
		}
		tally.queue(batch, merchantID)
		if batch.Len() > 0 {
			if err := tx.SendBatch(ctx, batch).Close(); err != nil {
				return fmt.Errorf("index: put: %w", err)
			}
		}
		if sync != nil {
			return updateSync(ctx, tx, merchantID, sync)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	x.notify(ctx, changes)
	return applied, nil
}

func readTombstones(ctx context.Context, tx pgx.Tx, merchantID string, ids []string) (map[string]tombstone, error) {
	rows, err := tx.Query(ctx, "SELECT id, version, exact, deleted_at FROM index_tombstones WHERE merchant_id = $1 AND id = ANY($2)", merchantID, ids)
	if err != nil {
		return nil, fmt.Errorf("index: put: %w", err)
	}
	defer rows.Close()
	out := map[string]tombstone{}
	for rows.Next() {
		var id string
		var t tombstone
		if err := rows.Scan(&id, &t.version, &t.exact, &t.deletedAt); err != nil {
			return nil, fmt.Errorf("index: put: %w", err)
		}
		out[id] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index: put: %w", err)
	}
	return out, nil
}

func readCustomers(ctx context.Context, tx pgx.Tx, merchantID string, ids []string) (map[string]index.Customer, error) {
	rows, err := tx.Query(ctx, "SELECT "+customerCols+" FROM index_customers c WHERE c.merchant_id = $1 AND c.id = ANY($2)", merchantID, ids)
	if err != nil {
		return nil, fmt.Errorf("index: put: %w", err)
	}
	defer rows.Close()
	out := map[string]index.Customer{}
	for rows.Next() {
		c, _, err := scanCustomer(rows)
		if err != nil {
			return nil, fmt.Errorf("index: put: %w", err)
		}
		out[c.ID] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index: put: %w", err)
	}
	return out, nil
}

// storable returns the customers with text PostgreSQL can store: it
// refuses a NUL character and invalid UTF-8 in text, where SQLite keeps
// them, so each is replaced by U+FFFD rather than a customer failing every
// sync. Square's JSON gives neither in practice.
func storable(cs []index.Customer) []index.Customer {
	var out []index.Customer
	for i, c := range cs {
		fields := []*string{&c.GivenName, &c.FamilyName, &c.Nickname, &c.CompanyName, &c.EmailAddress, &c.PhoneNumber,
			&c.ReferenceID, &c.Note, &c.CreationSource}
		changed := false
		for _, f := range fields {
			if clean := cleanText(*f); clean != *f {
				*f, changed = clean, true
			}
		}
		if slices.ContainsFunc(c.GroupIDs, func(g string) bool { return cleanText(g) != g }) {
			groups := make([]string, len(c.GroupIDs))
			for j, g := range c.GroupIDs {
				groups[j] = cleanText(g)
			}
			c.GroupIDs, changed = groups, true
		}
		if changed && out == nil {
			out = slices.Clone(cs)
		}
		if out != nil {
			out[i] = c
		}
	}
	if out == nil {
		return cs
	}
	return out
}

func cleanText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// queueUpsert adds the statement that stores c, replacing the row of the
// same id: the row keeps its seq, as a SQLite row keeps its rowid.
func queueUpsert(b *pgx.Batch, merchantID string, c index.Customer) {
	k := index.KeysOf(c)
	groups, words, frags := c.GroupIDs, k.NameWords, k.Fragments
	for _, list := range []*[]string{&groups, &words, &frags} {
		if *list == nil {
			*list = []string{}
		}
	}
	// One statement stores the row and its name words: those it no longer
	// has go, new ones come, the ones it keeps stay.
	b.Queue(`WITH up AS (INSERT INTO index_customers (merchant_id, id, version, created_at, updated_at,
			given_name, family_name, nickname, company, email, phone, reference_id, note,
			creation_source, group_ids, names_key, other_key, note_key, name_words,
			sort_name, sort_company, sort_email, sort_phone, frags)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
		ON CONFLICT (merchant_id, id) DO UPDATE SET version = excluded.version, created_at = excluded.created_at,
			updated_at = excluded.updated_at, given_name = excluded.given_name, family_name = excluded.family_name,
			nickname = excluded.nickname, company = excluded.company, email = excluded.email, phone = excluded.phone,
			reference_id = excluded.reference_id, note = excluded.note, creation_source = excluded.creation_source,
			group_ids = excluded.group_ids, names_key = excluded.names_key, other_key = excluded.other_key,
			note_key = excluded.note_key, name_words = excluded.name_words, sort_name = excluded.sort_name,
			sort_company = excluded.sort_company, sort_email = excluded.sort_email, sort_phone = excluded.sort_phone,
			frags = excluded.frags
		RETURNING seq),
		gone AS (DELETE FROM index_name_words w USING up WHERE w.merchant_id = $1 AND w.seq = up.seq AND w.word <> ALL($19::text[]))
		INSERT INTO index_name_words (merchant_id, word, seq) SELECT $1, w, up.seq FROM up, unnest($19::text[]) AS w
		ON CONFLICT DO NOTHING`,
		merchantID, c.ID, c.Version, ms(c.CreatedAt), ms(c.UpdatedAt),
		c.GivenName, c.FamilyName, c.Nickname, c.CompanyName, c.EmailAddress, c.PhoneNumber, c.ReferenceID, c.Note,
		c.CreationSource, groups, k.Names, k.Other, k.Note, words,
		k.SortName, k.SortCompany, k.SortEmail, k.SortPhone, frags)
}

// Delete removes the customer and leaves a tombstone, so that an update of
// it delivered later does not bring it back, by the rules of
// index.Index.Delete. It reports whether anything changed.
func (x *Index) Delete(ctx context.Context, merchantID, customerID string, version int64, at time.Time) (applied bool, err error) {
	if merchantID == "" || customerID == "" {
		return false, fmt.Errorf("%w: empty merchant or customer id", index.ErrInvalid)
	}
	if at.IsZero() {
		at = time.Now()
	}
	watched := x.watched(ctx)
	var before *index.Customer
	err = x.tx(ctx, func(tx pgx.Tx) error {
		applied, before = false, nil
		if err := lock(ctx, tx, []int64{lockKey("customer", merchantID, customerID)}); err != nil {
			return err
		}
		var stored int64
		c, _, err := scanCustomer(tx.QueryRow(ctx, "SELECT "+customerCols+" FROM index_customers c WHERE c.merchant_id = $1 AND c.id = $2", merchantID, customerID))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return fmt.Errorf("index: delete: %w", err)
		default:
			stored = c.Version
			if version != 0 && version < stored {
				return nil
			}
			if _, err := tx.Exec(ctx, "DELETE FROM index_customers WHERE merchant_id = $1 AND id = $2", merchantID, customerID); err != nil {
				return fmt.Errorf("index: delete: %w", err)
			}
			b := &pgx.Batch{}
			tally := counts{}
			tally.add(c, -1)
			tally.queue(b, merchantID)
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return fmt.Errorf("index: delete: %w", err)
			}
			if watched {
				before = &c
			}
			applied = true
		}
		tag, err := tx.Exec(ctx, `INSERT INTO index_tombstones AS t (merchant_id, id, version, exact, deleted_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (merchant_id, id) DO UPDATE SET version = greatest(t.version, excluded.version),
				exact = t.exact OR excluded.exact, deleted_at = greatest(t.deleted_at, excluded.deleted_at)
			WHERE excluded.version > t.version OR (excluded.exact AND NOT t.exact) OR excluded.deleted_at > t.deleted_at`,
			merchantID, customerID, max(version, stored), version != 0, ms(at))
		if err != nil {
			return fmt.Errorf("index: delete: %w", err)
		}
		if tag.RowsAffected() > 0 {
			applied = true
		}
		return nil
	})
	if err == nil && before != nil {
		x.notify(ctx, []index.Change{{MerchantID: merchantID, Origin: index.OriginOf(ctx), Before: before}})
	}
	return applied, err
}

// Get returns the merchant's customer with the id, or store.ErrNotFound.
func (x *Index) Get(ctx context.Context, merchantID, customerID string) (index.Customer, error) {
	c, _, err := scanCustomer(x.pool.QueryRow(ctx, "SELECT "+customerCols+" FROM index_customers c WHERE c.merchant_id = $1 AND c.id = $2", merchantID, customerID))
	if errors.Is(err, pgx.ErrNoRows) {
		return index.Customer{}, store.ErrNotFound
	}
	if err != nil {
		return index.Customer{}, fmt.Errorf("index: get: %w", err)
	}
	return c, nil
}

// Count returns how many customers the index holds for the merchant: the
// sum of its kept counts per source (index_counts).
func (x *Index) Count(ctx context.Context, merchantID string) (int, error) {
	return x.keptCount(ctx, merchantID, "", "")
}

// IDs returns every customer id the index holds for the merchant, in
// order, for the sync's reconcile of deletions that no webhook reported.
func (x *Index) IDs(ctx context.Context, merchantID string) ([]string, error) {
	rows, _ := x.pool.Query(ctx, "SELECT id FROM index_customers WHERE merchant_id = $1 ORDER BY id", merchantID)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("index: ids: %w", err)
	}
	return ids, nil
}

// DropMerchant deletes everything the index keeps of the merchant: its
// customers with their name words, tombstones, seen webhook events and
// sync state. Call it when the merchant disconnects or revokes Tessera's
// access.
func (x *Index) DropMerchant(ctx context.Context, merchantID string) error {
	return x.tx(ctx, func(tx pgx.Tx) error {
		for _, table := range []string{"index_name_words", "index_customers", "index_counts", "index_tombstones", "index_seen_events", "index_sync"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE merchant_id = $1", merchantID); err != nil {
				return fmt.Errorf("index: drop merchant: %w", err)
			}
		}
		return nil
	})
}

// SeenEvent records a webhook event's id and reports whether it was
// already recorded, so that a repeated delivery is acknowledged and
// skipped, whichever replica it reaches. If applying a new event fails,
// ForgetEvent lets Square's retry apply it.
func (x *Index) SeenEvent(ctx context.Context, merchantID, eventID string) (alreadySeen bool, err error) {
	if merchantID == "" || eventID == "" {
		return false, fmt.Errorf("%w: empty merchant or event id", index.ErrInvalid)
	}
	tag, err := x.pool.Exec(ctx, "INSERT INTO index_seen_events (merchant_id, event_id, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
		merchantID, eventID, time.Now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("index: seen event: %w", err)
	}
	return tag.RowsAffected() == 0, nil
}

// ForgetEvent removes an event's id recorded by SeenEvent.
func (x *Index) ForgetEvent(ctx context.Context, merchantID, eventID string) error {
	if _, err := x.pool.Exec(ctx, "DELETE FROM index_seen_events WHERE merchant_id = $1 AND event_id = $2", merchantID, eventID); err != nil {
		return fmt.Errorf("index: forget event: %w", err)
	}
	return nil
}

// Sweep deletes seen event ids and tombstones recorded before the time
// (see index.Index.Sweep).
func (x *Index) Sweep(ctx context.Context, before time.Time) (removed int64, err error) {
	err = x.tx(ctx, func(tx pgx.Tx) error {
		removed = 0
		for _, s := range []string{
			"DELETE FROM index_seen_events WHERE seen_at < $1",
			"DELETE FROM index_tombstones WHERE deleted_at < $1",
		} {
			tag, err := tx.Exec(ctx, s, before.UnixMilli())
			if err != nil {
				return fmt.Errorf("index: sweep: %w", err)
			}
			removed += tag.RowsAffected()
		}
		return nil
	})
	return removed, err
}

// SyncState returns the merchant's sync state, zero if it has none.
func (x *Index) SyncState(ctx context.Context, merchantID string) (index.SyncState, error) {
	return readSync(ctx, x.pool, merchantID)
}

// UpdateSyncState applies fn to the merchant's sync state and stores the
// result in one transaction, holding the state's lock, so that workers on
// any replica each advancing their own range cannot lose each other's
// progress. If fn fails nothing is stored.
func (x *Index) UpdateSyncState(ctx context.Context, merchantID string, fn func(*index.SyncState) error) error {
	if merchantID == "" {
		return fmt.Errorf("%w: empty merchant id", index.ErrInvalid)
	}
	return x.tx(ctx, func(tx pgx.Tx) error {
		if err := lock(ctx, tx, []int64{lockKey("sync", merchantID, "")}); err != nil {
			return err
		}
		return updateSync(ctx, tx, merchantID, fn)
	})
}

type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func readSync(ctx context.Context, q queryRower, merchantID string) (index.SyncState, error) {
	var raw string
	err := q.QueryRow(ctx, "SELECT state FROM index_sync WHERE merchant_id = $1", merchantID).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return index.SyncState{}, nil
	}
	if err != nil {
		return index.SyncState{}, fmt.Errorf("index: sync state: %w", err)
	}
	var s index.SyncState
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		// As in SQLite: a state this program cannot read is as good as
		// none, and the sync starts over.
		return index.SyncState{}, nil
	}
	return s, nil
}

// updateSync applies fn to the state; the caller holds its lock.
func updateSync(ctx context.Context, tx pgx.Tx, merchantID string, fn func(*index.SyncState) error) error {
	s, err := readSync(ctx, tx, merchantID)
	if err != nil {
		return err
	}
	if err := fn(&s); err != nil {
		return err
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("index: sync state: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO index_sync (merchant_id, state) VALUES ($1, $2)
		ON CONFLICT (merchant_id) DO UPDATE SET state = excluded.state`, merchantID, string(raw)); err != nil {
		return fmt.Errorf("index: sync state: %w", err)
	}
	return nil
}

// watchers is the list of Watchers, safe for concurrent use.
type watchers struct {
	mu   sync.RWMutex
	list []index.Watcher
}

// Watch adds w to the watchers told of every change this process writes
// (see index.Watcher). Changes written by other replicas reach their own
// watchers, not this one's.
func (x *Index) Watch(w index.Watcher) {
	x.watchers.mu.Lock()
	defer x.watchers.mu.Unlock()
	x.watchers.list = append(x.watchers.list, w)
}

func (x *Index) watched(ctx context.Context) bool {
	if index.OriginOf(ctx) == index.OriginFullSync {
		return false
	}
	x.watchers.mu.RLock()
	defer x.watchers.mu.RUnlock()
	return len(x.watchers.list) > 0
}

func (x *Index) notify(ctx context.Context, changes []index.Change) {
	if len(changes) == 0 {
		return
	}
	x.watchers.mu.RLock()
	list := x.watchers.list
	x.watchers.mu.RUnlock()
	for _, w := range list {
		w(ctx, changes)
	}
}
