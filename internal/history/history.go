// Package history is the record of changes to a merchant's customers: what
// changed (created, edited with each field from → to, deleted, a card added
// or removed, or changed in Square), when, and for Tessera's own writes who
// made them, as the staff member named themselves at sign-in, with their
// browser and address. It is kept in the database beside the sessions.
//
// Entries are written only for changes Square confirmed: a write Square
// refused or never answered leaves none. A card is recorded by its brand
// and last four digits, and nothing else of it is taken.
package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tessera-dashboard/tessera/internal/textutil"
)

// Kind is what happened to a customer.
type Kind string

// The kinds of entry.
const (
	Created         Kind = "created"
	Edited          Kind = "edited"
	Deleted         Kind = "deleted"
	CardAdded       Kind = "card_added"
	CardRemoved     Kind = "card_removed"
	ChangedInSquare Kind = "changed_in_square"
)

// kinds are every kind, in the order a filter offers them.
var kinds = []Kind{Created, Edited, Deleted, CardAdded, CardRemoved, ChangedInSquare}

// Kinds are every kind, in the order a filter offers them.
func Kinds() []Kind {
	return append([]Kind(nil), kinds...)
}

// Label is the kind as people read it.
func (k Kind) Label() string {
	switch k {
	case Created:
		return "Created"
	case Edited:
		return "Edited"
	case Deleted:
		return "Deleted"
	case CardAdded:
		return "Card added"
	case CardRemoved:
		return "Card removed"
	case ChangedInSquare:
		return "Changed in Square"
	}
	return string(k)
}

// ParseKind reads a kind by its name.
func ParseKind(s string) (Kind, bool) {
	for _, k := range kinds {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

// FieldChange is one field that a change set from one value to another,
// both formatted for reading.
type FieldChange struct {
	Label string `json:"label"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Card is what history keeps of a card: its brand as people read it
// ("Visa") and its last four digits.
type Card struct {
	Brand string
	Last4 string
}

// Limits on what an entry keeps, in characters: enough for any real value,
// and a bound on what one request can make the database hold.
const (
	// MaxActor is the longest name a staff member can give.
	MaxActor        = 60
	maxName         = 300
	maxUserAgent    = 300
	maxRemoteAddr   = 64
	maxDetail       = 200
	maxValue        = 2000
	maxBrand        = 40
	maxCustomerID   = 255
	maxFieldChanges = 50
)

// Entry is one change to one customer.
type Entry struct {
	ID         int64
	MerchantID string
	CustomerID string
	// CustomerName is the customer's name when the change was made.
	CustomerName string
	Kind         Kind
	// Detail adds to the kind where it needs it: "Created in Square".
	Detail  string
	Changes []FieldChange
	// Card is the card added or removed, nil for other kinds.
	Card *Card
	// Actor is the name the staff member gave at sign-in, as given and not
	// verified; "" when they gave none, or for a change made in Square.
	Actor      string
	UserAgent  string
	RemoteAddr string
	At         time.Time
	// Dedupe names the state of the customer the change produced (see
	// StateKey): a change Square reports that Tessera recorded as its own
	// is recorded once, as Tessera's, whichever is recorded first. "" for
	// changes no other route reports (cards).
	Dedupe string
}

// StateKey is the Dedupe of a change that left the customer at version
// (deleted when deleted is true).
func StateKey(version int64, deleted bool) string {
	if deleted {
		return "deleted"
	}
	return "v" + strconv.FormatInt(version, 10)
}

// DB is the database the history is kept in: the embedded SQLite store
// (internal/store) or PostgreSQL (internal/store/postgres). The SQL here
// is written once, with ? placeholders, for both.
type DB interface {
	Writer() *sql.DB
	Reader() *sql.DB
	Rebind(query string) string
}

// txLocker is a DB whose transactions can run concurrently (PostgreSQL):
// LockInTx holds a lock named by key until tx ends, so that two replicas
// recording one change by two routes cannot both find the other absent.
// SQLite has one writer at a time and needs none.
type txLocker interface {
	LockInTx(ctx context.Context, tx *sql.Tx, key string) error
}

// Log is the history in the database. It is safe for concurrent use.
type Log struct {
	db DB
}

// New returns the history kept in db.
func New(db DB) *Log {
	return &Log{db: db}
}

// ErrInvalid is an entry that cannot be recorded: no merchant, customer or
// known kind.
var ErrInvalid = errors.New("history: invalid entry")

// Record adds an entry. Values longer than history keeps are cut short; a
// card's last four is kept only when it is four digits.
func (l *Log) Record(ctx context.Context, e Entry) error {
	return l.RecordAll(ctx, []Entry{e})
}

// RecordAll adds entries in one transaction: all of them or none.
func (l *Log) RecordAll(ctx context.Context, es []Entry) error {
	rows := make([][]any, 0, len(es))
	for _, e := range es {
		row, err := entryRow(e)
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil
	}
	tx, err := l.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: record: %w", err)
	}
	defer tx.Rollback()
	if err := l.lock(ctx, tx, es); err != nil {
		return fmt.Errorf("history: record: %w", err)
	}
	for i, row := range rows {
		if err := l.insert(ctx, tx, es[i], row); err != nil {
			return fmt.Errorf("history: record: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: record: %w", err)
	}
	return nil
}

// lock takes, where the engine needs it, the locks of the customers whose
// changes have a Dedupe, in one order, so that transactions never wait on
// each other in a circle.
func (l *Log) lock(ctx context.Context, tx *sql.Tx, es []Entry) error {
	lk, ok := l.db.(txLocker)
	if !ok {
		return nil
	}
	var keys []string
	for _, e := range es {
		if e.Dedupe != "" {
			keys = append(keys, "history "+e.MerchantID+" "+e.CustomerID)
		}
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if err := lk.LockInTx(ctx, tx, k); err != nil {
			return err
		}
	}
	return nil
}

// insert adds one row, unless it is a change from Square that Tessera
// recorded as its own; an entry of Tessera's replaces one from Square of
// the same change.
func (l *Log) insert(ctx context.Context, tx *sql.Tx, e Entry, row []any) error {
	// The casts let PostgreSQL type the parameters of INSERT … SELECT,
	// which it would otherwise take as text.
	const ins = `INSERT INTO history
		(merchant_id, customer_id, customer_name, kind, detail, changes, card_brand, card_last4, actor, user_agent, remote_addr, at, dedupe)
		SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT),
			CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT)`
	if e.Dedupe == "" {
		_, err := tx.ExecContext(ctx, l.db.Rebind(ins), row...)
		return err
	}
	if e.Kind == ChangedInSquare {
		_, err := tx.ExecContext(ctx, l.db.Rebind(ins+` WHERE NOT EXISTS (SELECT 1 FROM history
			WHERE merchant_id = ? AND customer_id = ? AND dedupe = ? AND kind <> ?)`),
			append(row, e.MerchantID, e.CustomerID, e.Dedupe, string(ChangedInSquare))...)
		return err
	}
	if _, err := tx.ExecContext(ctx, l.db.Rebind(`DELETE FROM history WHERE merchant_id = ? AND customer_id = ? AND dedupe = ? AND kind = ?`),
		e.MerchantID, e.CustomerID, e.Dedupe, string(ChangedInSquare)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, l.db.Rebind(ins), row...)
	return err
}

// entryRow checks an entry and returns the values of its row.
func entryRow(e Entry) ([]any, error) {
	if e.MerchantID == "" || e.CustomerID == "" || len(e.CustomerID) > maxCustomerID {
		return nil, fmt.Errorf("%w: merchant and customer are required", ErrInvalid)
	}
	if _, ok := ParseKind(string(e.Kind)); !ok {
		return nil, fmt.Errorf("%w: kind %q", ErrInvalid, e.Kind)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	changes := e.Changes
	if len(changes) > maxFieldChanges {
		changes = changes[:maxFieldChanges]
	}
	kept := make([]FieldChange, len(changes))
	for i, c := range changes {
		kept[i] = FieldChange{Label: clip(c.Label, maxName), From: clip(c.From, maxValue), To: clip(c.To, maxValue)}
	}
	js, err := json.Marshal(kept)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var brand, last4 string
	if e.Card != nil {
		brand = clip(e.Card.Brand, maxBrand)
		if len(e.Card.Last4) == 4 && textutil.IsDigits(e.Card.Last4) {
			last4 = e.Card.Last4
		}
	}
	return []any{e.MerchantID, e.CustomerID, clip(e.CustomerName, maxName), string(e.Kind), clip(e.Detail, maxDetail), string(js),
		brand, last4, clip(e.Actor, MaxActor), clip(e.UserAgent, maxUserAgent), clip(e.RemoteAddr, maxRemoteAddr), e.At.UnixMilli(),
		e.Dedupe}, nil
}

// Filter narrows a merchant's entries. Its zero value is every entry.
type Filter struct {
	// CustomerID keeps one customer's entries.
	CustomerID string
	// Customer keeps the entries whose customer's name contains it (in any
	// case) or whose customer id is it.
	Customer string
	// Kind keeps one kind.
	Kind Kind
	// From and To keep the entries at or after From and before To, where
	// set.
	From, To time.Time
}

// Page is one page of entries, newest first.
type Page struct {
	Entries []Entry
	// More is true when older entries follow.
	More bool
}

// MaxLimit bounds the entries of one page.
const MaxLimit = 1000

// List returns the merchant's entries that match f, newest first, skipping
// offset and returning at most limit (1 to MaxLimit).
func (l *Log) List(ctx context.Context, merchantID string, f Filter, offset, limit int) (Page, error) {
	limit = min(max(limit, 1), MaxLimit)
	offset = max(offset, 0)
	where := []string{"merchant_id = ?"}
	args := []any{merchantID}
	if f.CustomerID != "" {
		where, args = append(where, "customer_id = ?"), append(args, f.CustomerID)
	}
	if f.Customer != "" {
		// lower() on both sides: SQLite's LIKE ignores case, PostgreSQL's
		// does not.
		where = append(where, `(customer_id = ? OR lower(customer_name) LIKE lower(?) ESCAPE '\')`)
		args = append(args, f.Customer, "%"+escapeLike(f.Customer)+"%")
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	if !f.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, f.To.UnixMilli())
	}
	q := `SELECT id, merchant_id, customer_id, customer_name, kind, detail, changes, card_brand, card_last4,
		actor, user_agent, remote_addr, at FROM history WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`
	args = append(args, limit+1, offset)
	rows, err := l.db.Reader().QueryContext(ctx, l.db.Rebind(q), args...)
	if err != nil {
		return Page{}, fmt.Errorf("history: list: %w", err)
	}
	defer rows.Close()
	var p Page
	for rows.Next() {
		var e Entry
		var kind, changes, brand, last4 string
		var at int64
		if err := rows.Scan(&e.ID, &e.MerchantID, &e.CustomerID, &e.CustomerName, &kind, &e.Detail, &changes,
			&brand, &last4, &e.Actor, &e.UserAgent, &e.RemoteAddr, &at); err != nil {
			return Page{}, fmt.Errorf("history: list: %w", err)
		}
		e.Kind = Kind(kind)
		e.At = time.UnixMilli(at).UTC()
		if err := json.Unmarshal([]byte(changes), &e.Changes); err != nil {
			return Page{}, fmt.Errorf("history: entry %d: %w", e.ID, err)
		}
		if brand != "" || last4 != "" {
			e.Card = &Card{Brand: brand, Last4: last4}
		}
		p.Entries = append(p.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("history: list: %w", err)
	}
	if len(p.Entries) > limit {
		p.Entries, p.More = p.Entries[:limit], true
	}
	return p, nil
}

// Sweep deletes the entries older than before, of every merchant, and
// returns how many.
func (l *Log) Sweep(ctx context.Context, before time.Time) (int64, error) {
	res, err := l.db.Writer().ExecContext(ctx, l.db.Rebind("DELETE FROM history WHERE at < ?"), before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("history: sweep: %w", err)
	}
	return res.RowsAffected()
}

// DropMerchant deletes every entry of a merchant, for a seller that
// disconnected Tessera.
func (l *Log) DropMerchant(ctx context.Context, merchantID string) error {
	if _, err := l.db.Writer().ExecContext(ctx, l.db.Rebind("DELETE FROM history WHERE merchant_id = ?"), merchantID); err != nil {
		return fmt.Errorf("history: drop merchant: %w", err)
	}
	return nil
}

// clip cuts s to at most n characters, at a character boundary, and
// replaces invalid UTF-8.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// escapeLike escapes LIKE's wildcards so that s matches as typed.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
