// Package index is Tessera's local copy of each merchant's customers, kept
// so that the directory can find anyone by any fragment of anything, sort by
// any column and count exactly, without a round trip to Square.
//
// The index lives in the store's SQLite database (see internal/store). It
// holds personal data: customers' names, nicknames, companies, email
// addresses, phone numbers, reference ids and notes, so the database file is
// as sensitive as Square's own copy. The data directory is created 0700,
// DropMerchant deletes everything the index keeps of a merchant (call it on
// disconnect and on a revocation), and a seller who must keep no copy turns
// the index off altogether.
//
// Every method takes the merchant's id and every query is bounded by it:
// each merchant owns a contiguous range of rowids (slot << 32 | n) that
// full-text queries are limited to before any row is read, and rows read
// are checked against the merchant id as well.
//
// Matching: the search text is split into words, and every word must occur
// as a fragment of some field: names, nickname, company, email, phone,
// reference id or note. Both sides are folded first (lower case, accents
// and other combining marks removed, ß as ss, ø as o), so fernandez finds
// Fernández, in any script. A word that looks like a phone number also
// searches the phone numbers' digits, so 5550155 finds +1 (360) 555-0155.
// Words of three characters or more go through a trigram full-text index
// (SQLite FTS5), quoted so that whatever was typed is searched as text;
// shorter words (a Chinese name of one or two characters) are found by
// reading the merchant's folded rows. See Search for the ranking.
//
// Writes go through the store's single writer connection, reads through its
// read-only pool, so searches never wait for the sync. DropMerchant and large
// PutAll pages hold the writer for their whole transaction.
package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// ErrInvalid is returned, wrapped with the reason, for a call the index
// cannot serve as asked: an empty merchant or customer id, or a Query out of
// bounds. It is the caller's mistake, never the database's.
var ErrInvalid = errors.New("index: invalid argument")

// Index is the customer index. It is safe for concurrent use.
type Index struct {
	writer *sql.DB
	reader *preparedReader
	// rankAllUpTo is how many matches a search ranks all at once; above it
	// the tiers serve the page (see ranked). Tests lower it to exercise the
	// tiers on small data.
	rankAllUpTo int
	// watchers is shared by copies of the Index (tests copy it).
	watchers *watchers
	// trigrams remembers how rare each trigram is (see wordExpr); shared
	// by copies like watchers.
	trigrams *trigramCounts
}

// rankAllUpTo's value: ranking 200 matches reads 200 short rows, about what
// the tiers cost.
const defaultRankAllUpTo = 200

// New returns the index kept in db, whose migrations created its tables.
func New(db *store.DB) *Index {
	return &Index{writer: db.Writer(), reader: newPreparedReader(db.Reader()), rankAllUpTo: defaultRankAllUpTo, watchers: &watchers{}, trigrams: &trigramCounts{}}
}

// Customer is what the index keeps of one customer: the directory's columns,
// what its filters need, and every field a search matches.
type Customer struct {
	// MerchantID is filled in on the way out; Put takes the merchant as an
	// argument and refuses a Customer naming another one.
	MerchantID     string
	ID             string
	Version        int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	GivenName      string
	FamilyName     string
	Nickname       string
	CompanyName    string
	EmailAddress   string
	PhoneNumber    string
	ReferenceID    string
	Note           string
	CreationSource string
	GroupIDs       []string
}

// FromSquare converts Square's customer into what the index keeps.
func FromSquare(c *square.Customer) Customer {
	return Customer{
		ID:             c.ID,
		Version:        c.Version,
		CreatedAt:      c.CreatedAt.Time,
		UpdatedAt:      c.UpdatedAt.Time,
		GivenName:      c.GivenName,
		FamilyName:     c.FamilyName,
		Nickname:       c.Nickname,
		CompanyName:    c.CompanyName,
		EmailAddress:   c.EmailAddress,
		PhoneNumber:    c.PhoneNumber,
		ReferenceID:    c.ReferenceID,
		Note:           c.Note,
		CreationSource: c.CreationSource,
		GroupIDs:       c.GroupIDs,
	}
}

// groupSep joins group ids in one column; Square's ids never contain it.
const groupSep = "\x1f"

// keySep separates fields inside one folded key. It is whitespace, which a
// query word never contains, so no word can match across two fields.
const keySep = "\n"

// rowBits is how many low bits of a rowid number a merchant's customers;
// the bits above are the merchant's slot.
const rowBits = 32

// slotRange is the rowid range of a slot's customers, both ends included.
func slotRange(slot int64) (lo, hi int64) {
	return slot << rowBits, slot<<rowBits | (1<<rowBits - 1)
}

// keys are the folded columns a customer is searched and sorted by.
type keys struct {
	names, other, note               string
	sortName, sortCompany, sortEmail string
	sortPhone                        string
	nameWords                        []string
}

// emptyLast replaces an empty sort key so that customers without the value
// sort after those with it (in ascending order).
const emptyLast = "\U0010FFFF"

func sortKey(s string) string {
	if s == "" {
		return emptyLast
	}
	return s
}

func keysOf(c Customer) keys {
	given, family, nick := fold(c.GivenName), fold(c.FamilyName), fold(c.Nickname)
	company, email := fold(c.CompanyName), fold(c.EmailAddress)
	var words []string
	for _, f := range []string{given, family, nick} {
		words = append(words, nameWords(f)...)
	}
	// The Name column shows the display name (customers.DisplayName): the
	// given and family name, else the company, else the email or phone.
	// It sorts by the same, so that no row sorts by a name it does not show.
	display := strings.TrimSpace(given + " " + family)
	for _, alt := range []string{company, email, digits(c.PhoneNumber)} {
		if display != "" {
			break
		}
		display = alt
	}
	return keys{
		names: strings.Join([]string{given, family, nick}, keySep),
		// The phone is kept as its digits only, and also as typed, so that
		// both 5550155 and 555-0155 find it.
		other:       strings.Join([]string{company, email, fold(c.PhoneNumber), digits(c.PhoneNumber), fold(c.ReferenceID)}, keySep),
		note:        fold(c.Note),
		sortName:    sortKey(display),
		sortCompany: sortKey(company),
		sortEmail:   sortKey(email),
		sortPhone:   sortKey(digits(c.PhoneNumber)),
		nameWords:   words,
	}
}

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

// tx runs fn in a write transaction on the single writer connection.
func (x *Index) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := x.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("index: commit: %w", err)
	}
	return nil
}

// slotOf returns the merchant's slot; ok is false when it has none.
func slotOf(ctx context.Context, q queryRower, merchantID string) (slot int64, ok bool, err error) {
	err = q.QueryRowContext(ctx, "SELECT slot FROM index_merchants WHERE merchant_id = ?", merchantID).Scan(&slot)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("index: merchant slot: %w", err)
	}
	return slot, true, nil
}

func ensureSlot(ctx context.Context, tx *sql.Tx, merchantID string) (int64, error) {
	slot, ok, err := slotOf(ctx, tx, merchantID)
	if err != nil || ok {
		return slot, err
	}
	// Slot numbers start at 1 and stay below 2^31, so every rowid fits in
	// an int64. A dropped merchant's slot may be handed out again: its rows
	// went with it.
	err = tx.QueryRowContext(ctx, `INSERT INTO index_merchants (merchant_id, slot)
		SELECT ?, coalesce(max(slot), 0) + 1 FROM index_merchants RETURNING slot`, merchantID).Scan(&slot)
	if err != nil {
		return 0, fmt.Errorf("index: add merchant: %w", err)
	}
	if slot >= 1<<31 {
		return 0, fmt.Errorf("index: add merchant: out of slots")
	}
	return slot, nil
}

// Put stores c as the merchant's current state of that customer, unless the
// index already knows a state at least as new. It reports whether c was
// stored. The rules, so that deliveries that repeat or arrive out of order
// converge on Square's latest state:
//
//   - Over a stored customer, c wins if its Version is higher, or if the
//     versions are equal and its UpdatedAt is later. An equal state is not
//     stored again.
//   - Over a deleted customer (see Delete), c wins only if it is provably
//     newer than the deleted state: its Version is higher than the deleted
//     state's and, when the delete did not name its version (so the index
//     knows only the last version it had stored), its UpdatedAt is also
//     after the moment of the delete. Otherwise the delete wins: c is an
//     update that was delivered after the delete.
func (x *Index) Put(ctx context.Context, merchantID string, c Customer) (applied bool, err error) {
	n, err := x.PutAll(ctx, merchantID, []Customer{c}, nil)
	return n == 1, err
}

// PutAll is Put for a page of customers in one transaction. If sync is not
// nil it is applied to the merchant's SyncState in the same transaction, so
// that a sync's cursor advances exactly when the page it read is stored and
// a restart neither skips nor repeats a page. It reports how many customers
// were stored.
func (x *Index) PutAll(ctx context.Context, merchantID string, cs []Customer, sync func(*SyncState) error) (applied int, err error) {
	if merchantID == "" {
		return 0, fmt.Errorf("%w: empty merchant id", ErrInvalid)
	}
	for _, c := range cs {
		if c.ID == "" {
			return 0, fmt.Errorf("%w: customer without an id", ErrInvalid)
		}
		if c.MerchantID != "" && c.MerchantID != merchantID {
			return 0, fmt.Errorf("%w: customer %s belongs to another merchant", ErrInvalid, c.ID)
		}
	}
	watched := x.watched(ctx)
	var changes []Change
	err = x.tx(ctx, func(tx *sql.Tx) error {
		applied, changes = 0, changes[:0]
		slot, err := ensureSlot(ctx, tx, merchantID)
		if err != nil {
			return err
		}
		var rows []int64
		counts := tally{}
		st := newStmts(tx)
		defer st.close()
		for _, c := range cs {
			row, before, err := put(ctx, st, merchantID, slot, c, watched, counts)
			if err != nil {
				return err
			}
			if row != 0 {
				rows = append(rows, row)
				applied++
				if watched {
					after := c
					after.MerchantID = merchantID
					changes = append(changes, Change{MerchantID: merchantID, Origin: OriginOf(ctx), Before: before, After: &after})
				}
			}
		}
		if err := ftsAdd(ctx, tx, rows); err != nil {
			return err
		}
		if err := counts.apply(ctx, tx, slot); err != nil {
			return err
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

// put stores c if it is newer (see Put) and returns its rowid, or 0 if it
// was not stored. The caller adds the stored rows to the full-text tables.
// With wantBefore, it also returns the state c replaced, if any.
func put(ctx context.Context, st *stmts, merchantID string, slot int64, c Customer, wantBefore bool, counts tally) (int64, *Customer, error) {
	var tombVersion, deletedAt int64
	var exact bool
	err := st.queryRow(ctx, "SELECT version, exact, deleted_at FROM index_tombstones WHERE merchant_id = ? AND id = ?", merchantID, c.ID).Scan(&tombVersion, &exact, &deletedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return 0, nil, fmt.Errorf("index: put: %w", err)
	default:
		newer := c.Version > tombVersion && (exact || ms(c.UpdatedAt) > deletedAt)
		if !newer {
			return 0, nil, nil
		}
		if _, err := st.exec(ctx, "DELETE FROM index_tombstones WHERE merchant_id = ? AND id = ?", merchantID, c.ID); err != nil {
			return 0, nil, fmt.Errorf("index: put: %w", err)
		}
	}

	var row, version, updatedAt, oldCreated int64
	var old keys
	var oldSource, oldGroups string
	err = st.queryRow(ctx, `SELECT rowid, version, updated_at, names_key, other_key, note_key, created_at, creation_source, group_ids
		FROM index_customers WHERE merchant_id = ? AND id = ?`,
		merchantID, c.ID).Scan(&row, &version, &updatedAt, &old.names, &old.other, &old.note, &oldCreated, &oldSource, &oldGroups)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, fmt.Errorf("index: put: %w", err)
	}
	if exists && !(c.Version > version || (c.Version == version && ms(c.UpdatedAt) > updatedAt)) {
		return 0, nil, nil
	}
	var before *Customer
	if exists && wantBefore {
		b, _, err := scanCustomer(st.queryRow(ctx, "SELECT "+customerCols+" FROM index_customers c WHERE rowid = ?", row))
		if err != nil {
			return 0, nil, fmt.Errorf("index: put: %w", err)
		}
		before = &b
	}

	k := keysOf(c)
	args := []any{c.Version, ms(c.CreatedAt), ms(c.UpdatedAt),
		c.GivenName, c.FamilyName, c.Nickname, c.CompanyName, c.EmailAddress, c.PhoneNumber, c.ReferenceID, c.Note,
		c.CreationSource, strings.Join(c.GroupIDs, groupSep),
		k.names, k.other, k.note, k.sortName, k.sortCompany, k.sortEmail, k.sortPhone}
	if exists {
		counts.add(oldSource, oldCreated, splitGroups(oldGroups), -1)
		if err := ftsRemove(ctx, st.tx, row, old); err != nil {
			return 0, nil, err
		}
		_, err = st.exec(ctx, `UPDATE index_customers SET version = ?, created_at = ?, updated_at = ?,
			given_name = ?, family_name = ?, nickname = ?, company = ?, email = ?, phone = ?, reference_id = ?, note = ?,
			creation_source = ?, group_ids = ?, names_key = ?, other_key = ?, note_key = ?,
			sort_name = ?, sort_company = ?, sort_email = ?, sort_phone = ? WHERE rowid = ?`, append(args, row)...)
		if err == nil {
			err = deleteSide(ctx, st.tx, row)
		}
	} else {
		lo, _ := slotRange(slot)
		var n int64
		if err = st.queryRow(ctx, "UPDATE index_merchants SET next_row = next_row + 1, live = live + 1 WHERE slot = ? RETURNING next_row - 1", slot).Scan(&n); err != nil {
			return 0, nil, fmt.Errorf("index: put: %w", err)
		}
		if n >= 1<<rowBits {
			return 0, nil, fmt.Errorf("index: put: merchant %s has used every row number", merchantID)
		}
		row = lo | n
		_, err = st.exec(ctx, `INSERT INTO index_customers (rowid, merchant_id, id, version, created_at, updated_at,
			given_name, family_name, nickname, company, email, phone, reference_id, note,
			creation_source, group_ids, names_key, other_key, note_key,
			sort_name, sort_company, sort_email, sort_phone)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append([]any{row, merchantID, c.ID}, args...)...)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("index: put: %w", err)
	}
	counts.add(c.CreationSource, ms(c.CreatedAt), c.GroupIDs, 1)
	if err := addFragments(ctx, st.tx, slot, row, k); err != nil {
		return 0, nil, err
	}
	for _, w := range k.nameWords {
		if _, err := st.exec(ctx, "INSERT OR IGNORE INTO index_name_words (slot, word, row) VALUES (?, ?, ?)", slot, w, row); err != nil {
			return 0, nil, fmt.Errorf("index: put: %w", err)
		}
	}
	for _, g := range c.GroupIDs {
		if _, err := st.exec(ctx, "INSERT OR IGNORE INTO index_groups (slot, group_id, row) VALUES (?, ?, ?)", slot, g, row); err != nil {
			return 0, nil, fmt.Errorf("index: put: %w", err)
		}
	}
	return row, before, nil
}

// stmts prepares each statement of a transaction once, however many
// customers it stores: preparing is a good part of a small statement's
// cost, and a full sync stores thousands of customers per transaction.
type stmts struct {
	tx *sql.Tx
	m  map[string]*sql.Stmt
}

func newStmts(tx *sql.Tx) *stmts { return &stmts{tx: tx, m: map[string]*sql.Stmt{}} }

func (s *stmts) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.m[query]; ok {
		return st, nil
	}
	st, err := s.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.m[query] = st
	return st, nil
}

func (s *stmts) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (s *stmts) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.prepared(ctx, query)
	if err != nil {
		// A *sql.Row carrying the error: Scan reports it.
		return s.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// close releases the statements; the transaction's end would too.
func (s *stmts) close() {
	for _, st := range s.m {
		_ = st.Close()
	}
}

// ftsAdd indexes the rows' keys in both full-text tables, a page at a time:
// FTS5 writes its pending changes to disk at the end of every statement, so
// one statement per row would write the index once per customer.
func ftsAdd(ctx context.Context, tx *sql.Tx, rows []int64) error {
	for len(rows) > 0 {
		n := min(len(rows), 500)
		marks := strings.Repeat(",?", n)[1:]
		args := make([]any, n)
		for i, r := range rows[:n] {
			args[i] = r
		}
		rows = rows[n:]
		if _, err := tx.ExecContext(ctx, `INSERT INTO index_fts (rowid, names_key, other_key, note_key)
			SELECT rowid, names_key, other_key, note_key FROM index_customers WHERE rowid IN (`+marks+`)`, args...); err != nil {
			return fmt.Errorf("index: full-text insert: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO index_fts_top (rowid, names_key, other_key)
			SELECT rowid, names_key, other_key FROM index_customers WHERE rowid IN (`+marks+`)`, args...); err != nil {
			return fmt.Errorf("index: full-text insert: %w", err)
		}
	}
	return nil
}

// ftsRemove takes a row out of both full-text tables. They hold no copy of
// the text (their content is index_customers), so the delete names the
// values that were indexed.
func ftsRemove(ctx context.Context, tx *sql.Tx, row int64, old keys) error {
	if _, err := tx.ExecContext(ctx, "INSERT INTO index_fts (index_fts, rowid, names_key, other_key, note_key) VALUES ('delete', ?, ?, ?, ?)", row, old.names, old.other, old.note); err != nil {
		return fmt.Errorf("index: full-text delete: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO index_fts_top (index_fts_top, rowid, names_key, other_key) VALUES ('delete', ?, ?, ?)", row, old.names, old.other); err != nil {
		return fmt.Errorf("index: full-text delete: %w", err)
	}
	return nil
}

// deleteSide removes a row's name words, fragments and group memberships.
func deleteSide(ctx context.Context, tx *sql.Tx, row int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM index_name_words WHERE row = ?", row); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM index_frags WHERE row = ?", row); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "DELETE FROM index_groups WHERE row = ?", row)
	return err
}

// Delete removes the customer and leaves a tombstone, so that an update of
// it delivered later does not bring it back (see Put). version is the
// deleted state's version as Square reported it, or 0 if unknown; at is when
// the delete happened (the event's time; zero means now). A delete naming a version lower
// than the stored customer's is older than that state (the customer was
// re-created since) and is not applied. Deleting a customer the index does
// not have still records the tombstone. It reports whether anything changed.
func (x *Index) Delete(ctx context.Context, merchantID, customerID string, version int64, at time.Time) (applied bool, err error) {
	if merchantID == "" || customerID == "" {
		return false, fmt.Errorf("%w: empty merchant or customer id", ErrInvalid)
	}
	if at.IsZero() {
		at = time.Now()
	}
	watched := x.watched(ctx)
	var before *Customer
	err = x.tx(ctx, func(tx *sql.Tx) error {
		applied, before = false, nil
		exact := version != 0
		var row, stored, created int64
		var old keys
		var source, groups string
		err := tx.QueryRowContext(ctx, `SELECT rowid, version, names_key, other_key, note_key, created_at, creation_source, group_ids
			FROM index_customers WHERE merchant_id = ? AND id = ?`,
			merchantID, customerID).Scan(&row, &stored, &old.names, &old.other, &old.note, &created, &source, &groups)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("index: delete: %w", err)
		default:
			if version != 0 && version < stored {
				return nil
			}
			if watched {
				b, _, err := scanCustomer(tx.QueryRowContext(ctx, "SELECT "+customerCols+" FROM index_customers c WHERE rowid = ?", row))
				if err != nil {
					return fmt.Errorf("index: delete: %w", err)
				}
				before = &b
			}
			if err := ftsRemove(ctx, tx, row, old); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM index_customers WHERE rowid = ?", row); err != nil {
				return fmt.Errorf("index: delete: %w", err)
			}
			if err := deleteSide(ctx, tx, row); err != nil {
				return fmt.Errorf("index: delete: %w", err)
			}
			if _, err := tx.ExecContext(ctx, "UPDATE index_merchants SET live = live - 1 WHERE merchant_id = ?", merchantID); err != nil {
				return fmt.Errorf("index: delete: %w", err)
			}
			counts := tally{}
			counts.add(source, created, splitGroups(groups), -1)
			if err := counts.apply(ctx, tx, row>>rowBits); err != nil {
				return err
			}
			applied = true
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO index_tombstones (merchant_id, id, version, exact, deleted_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (merchant_id, id) DO UPDATE SET version = max(version, excluded.version),
				exact = max(exact, excluded.exact), deleted_at = max(deleted_at, excluded.deleted_at)
			WHERE excluded.version > version OR excluded.exact > exact OR excluded.deleted_at > deleted_at`,
			merchantID, customerID, max(version, stored), exact, ms(at))
		if err != nil {
			return fmt.Errorf("index: delete: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			applied = true
		}
		return nil
	})
	if err == nil && before != nil {
		x.notify(ctx, []Change{{MerchantID: merchantID, Origin: OriginOf(ctx), Before: before}})
	}
	return applied, err
}

// Get returns the merchant's customer with the id, or store.ErrNotFound.
func (x *Index) Get(ctx context.Context, merchantID, customerID string) (Customer, error) {
	row := x.reader.QueryRowContext(ctx, "SELECT "+customerCols+" FROM index_customers c WHERE merchant_id = ? AND id = ?", merchantID, customerID)
	c, _, err := scanCustomer(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, store.ErrNotFound
	}
	if err != nil {
		return Customer{}, fmt.Errorf("index: get: %w", err)
	}
	return c, nil
}

// Count returns how many customers the index holds for the merchant.
func (x *Index) Count(ctx context.Context, merchantID string) (int, error) {
	var n int
	err := x.reader.QueryRowContext(ctx, "SELECT live FROM index_merchants WHERE merchant_id = ?", merchantID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("index: count: %w", err)
	}
	return n, nil
}

// IDs returns every customer id the index holds for the merchant, for the
// sync's reconcile of deletions that no webhook reported.
func (x *Index) IDs(ctx context.Context, merchantID string) ([]string, error) {
	rows, err := x.reader.QueryContext(ctx, "SELECT id FROM index_customers WHERE merchant_id = ? ORDER BY id", merchantID)
	if err != nil {
		return nil, fmt.Errorf("index: ids: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("index: ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index: ids: %w", err)
	}
	return ids, nil
}

// DropMerchant deletes everything the index keeps of the merchant: its
// customers with what is derived from them (full-text entries, name words,
// groups, counts, fragments), tombstones, seen webhook events and sync state. Call it when the
// merchant disconnects or revokes Tessera's access.
func (x *Index) DropMerchant(ctx context.Context, merchantID string) error {
	return x.tx(ctx, func(tx *sql.Tx) error {
		slot, ok, err := slotOf(ctx, tx, merchantID)
		if err != nil {
			return err
		}
		stmts := []string{
			"DELETE FROM index_tombstones WHERE merchant_id = ?",
			"DELETE FROM index_seen_events WHERE merchant_id = ?",
			"DELETE FROM index_sync WHERE merchant_id = ?",
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s, merchantID); err != nil {
				return fmt.Errorf("index: drop merchant: %w", err)
			}
		}
		if !ok {
			return nil
		}
		lo, hi := slotRange(slot)
		for _, s := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO index_fts (index_fts, rowid, names_key, other_key, note_key)
				SELECT 'delete', rowid, names_key, other_key, note_key FROM index_customers WHERE rowid BETWEEN ? AND ?`, []any{lo, hi}},
			{`INSERT INTO index_fts_top (index_fts_top, rowid, names_key, other_key)
				SELECT 'delete', rowid, names_key, other_key FROM index_customers WHERE rowid BETWEEN ? AND ?`, []any{lo, hi}},
			{"DELETE FROM index_customers WHERE rowid BETWEEN ? AND ?", []any{lo, hi}},
			{"DELETE FROM index_name_words WHERE slot = ?", []any{slot}},
			{"DELETE FROM index_groups WHERE slot = ?", []any{slot}},
			{"DELETE FROM index_counts WHERE slot = ?", []any{slot}},
			{"DELETE FROM index_frags WHERE slot = ?", []any{slot}},
			{"DELETE FROM index_merchants WHERE slot = ?", []any{slot}},
		} {
			if _, err := tx.ExecContext(ctx, s.sql, s.args...); err != nil {
				return fmt.Errorf("index: drop merchant: %w", err)
			}
		}
		return nil
	})
}

// SeenEvent records a webhook event's id and reports whether it was already
// recorded, so that a repeated delivery is acknowledged and skipped. If
// applying a new event fails, ForgetEvent lets Square's retry apply it.
func (x *Index) SeenEvent(ctx context.Context, merchantID, eventID string) (alreadySeen bool, err error) {
	if merchantID == "" || eventID == "" {
		return false, fmt.Errorf("%w: empty merchant or event id", ErrInvalid)
	}
	res, err := x.writer.ExecContext(ctx, "INSERT OR IGNORE INTO index_seen_events (merchant_id, event_id, seen_at) VALUES (?, ?, ?)",
		merchantID, eventID, time.Now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("index: seen event: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("index: seen event: %w", err)
	}
	return n == 0, nil
}

// ForgetEvent removes an event's id recorded by SeenEvent.
func (x *Index) ForgetEvent(ctx context.Context, merchantID, eventID string) error {
	if _, err := x.writer.ExecContext(ctx, "DELETE FROM index_seen_events WHERE merchant_id = ? AND event_id = ?", merchantID, eventID); err != nil {
		return fmt.Errorf("index: forget event: %w", err)
	}
	return nil
}

// Sweep deletes seen event ids and tombstones recorded before the time. Both
// exist to absorb late and repeated deliveries, which Square stops retrying
// after a few days, so a week is a safe retention.
func (x *Index) Sweep(ctx context.Context, before time.Time) (removed int64, err error) {
	err = x.tx(ctx, func(tx *sql.Tx) error {
		removed = 0
		for _, s := range []string{
			"DELETE FROM index_seen_events WHERE seen_at < ?",
			"DELETE FROM index_tombstones WHERE deleted_at < ?",
		} {
			res, err := tx.ExecContext(ctx, s, before.UnixMilli())
			if err != nil {
				return fmt.Errorf("index: sweep: %w", err)
			}
			n, _ := res.RowsAffected()
			removed += n
		}
		return nil
	})
	return removed, err
}
