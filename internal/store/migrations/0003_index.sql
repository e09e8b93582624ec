-- The customer index: per merchant, a copy of each customer's searchable
-- fields and the columns the directory shows, kept so that the directory can
-- search and sort without asking Square. It holds personal data (names,
-- emails, phones, notes); a merchant's rows are deleted when it disconnects.

-- index_merchants gives each merchant a slot. A customer's rowid is
-- slot << 32 | n, so that every merchant owns one contiguous rowid range and
-- a full-text query is bounded to that range before it reads a single row.
-- live counts the merchant's customers, so that Count needs no scan.
CREATE TABLE index_merchants (
	merchant_id TEXT PRIMARY KEY NOT NULL,
	slot        INTEGER NOT NULL UNIQUE,
	live        INTEGER NOT NULL DEFAULT 0,
	next_row    INTEGER NOT NULL DEFAULT 1
);

-- One live customer. Times are Unix milliseconds. The *_key columns are the
-- folded forms (lower case, accents removed) that searches match; sort_*
-- are the folded forms the directory sorts by.
CREATE TABLE index_customers (
	rowid           INTEGER PRIMARY KEY,
	merchant_id     TEXT NOT NULL,
	id              TEXT NOT NULL,
	version         INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	given_name      TEXT NOT NULL,
	family_name     TEXT NOT NULL,
	nickname        TEXT NOT NULL,
	company         TEXT NOT NULL,
	email           TEXT NOT NULL,
	phone           TEXT NOT NULL,
	reference_id    TEXT NOT NULL,
	note            TEXT NOT NULL,
	creation_source TEXT NOT NULL,
	group_ids       TEXT NOT NULL,
	names_key       TEXT NOT NULL,
	other_key       TEXT NOT NULL,
	note_key        TEXT NOT NULL,
	sort_name       TEXT NOT NULL,
	sort_company    TEXT NOT NULL,
	sort_email      TEXT NOT NULL,
	sort_phone      TEXT NOT NULL,
	UNIQUE (merchant_id, id)
);

-- One index per directory sort, each led by the merchant so that a page is a
-- range scan of that merchant's entries in order.
CREATE INDEX index_customers_name    ON index_customers (merchant_id, sort_name, rowid);
CREATE INDEX index_customers_company ON index_customers (merchant_id, sort_company, rowid);
CREATE INDEX index_customers_email   ON index_customers (merchant_id, sort_email, rowid);
CREATE INDEX index_customers_phone   ON index_customers (merchant_id, sort_phone, rowid);
CREATE INDEX index_customers_created ON index_customers (merchant_id, created_at, rowid);
CREATE INDEX index_customers_updated ON index_customers (merchant_id, updated_at, rowid);
CREATE INDEX index_customers_source  ON index_customers (merchant_id, creation_source, created_at);

-- Trigram full-text indexes over the folded keys, kept in step by the index
-- package in the statements that change a row (not by triggers: a trigger's
-- statement makes FTS5 write its pending changes to disk for every row):
-- index_fts over every field, for matching and counting; index_fts_top over
-- all but the note, for the matches that rank above notes, so that a word
-- every note holds does not make that tier read every note.
CREATE VIRTUAL TABLE index_fts USING fts5 (
	names_key, other_key, note_key,
	content = 'index_customers', content_rowid = 'rowid',
	tokenize = 'trigram'
);
CREATE VIRTUAL TABLE index_fts_top USING fts5 (
	names_key, other_key,
	content = 'index_customers', content_rowid = 'rowid',
	tokenize = 'trigram'
);

-- Each folded word of a customer's names, for whole-word and prefix matches,
-- which rank first. slot bounds every lookup to one merchant.
CREATE TABLE index_name_words (
	slot INTEGER NOT NULL,
	word TEXT NOT NULL,
	row  INTEGER NOT NULL,
	PRIMARY KEY (slot, word, row)
) WITHOUT ROWID;
CREATE INDEX index_name_words_row ON index_name_words (row);

-- Group membership, for the group filter.
CREATE TABLE index_groups (
	slot     INTEGER NOT NULL,
	group_id TEXT NOT NULL,
	row      INTEGER NOT NULL,
	PRIMARY KEY (slot, group_id, row)
) WITHOUT ROWID;
CREATE INDEX index_groups_row ON index_groups (row);

-- A deleted customer, remembered so that an update delivered late cannot
-- bring it back. version is the deleted state's version when exact is 1;
-- when the delete did not say, it is the last version the index had stored.
CREATE TABLE index_tombstones (
	merchant_id TEXT NOT NULL,
	id          TEXT NOT NULL,
	version     INTEGER NOT NULL,
	exact       INTEGER NOT NULL,
	deleted_at  INTEGER NOT NULL,
	PRIMARY KEY (merchant_id, id)
) WITHOUT ROWID;
CREATE INDEX index_tombstones_deleted_at ON index_tombstones (deleted_at);

-- Webhook event ids already handled, for de-duplication.
CREATE TABLE index_seen_events (
	merchant_id TEXT NOT NULL,
	event_id    TEXT NOT NULL,
	seen_at     INTEGER NOT NULL,
	PRIMARY KEY (merchant_id, event_id)
) WITHOUT ROWID;
CREATE INDEX index_seen_events_seen_at ON index_seen_events (seen_at);

-- Sync bookkeeping: one row per merchant, its state as JSON (see
-- index.SyncState), which only the sync reads and writes.
CREATE TABLE index_sync (
	merchant_id TEXT PRIMARY KEY NOT NULL,
	state       TEXT NOT NULL
);
