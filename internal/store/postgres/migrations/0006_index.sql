-- The customer index (internal/index/pgindex), as in the SQLite store: a
-- copy of each merchant's customers with the folded keys a search matches
-- and the directory sorts by, tombstones of deleted customers, seen webhook
-- event ids and the sync state. It holds personal data (see
-- internal/index). Every key is folded in Go (internal/index.KeysOf), so
-- both engines fold alike; pg_trgm indexes the folded text for fragment
-- searches. Text compares bytewise (COLLATE "C"), as SQLite's does, so
-- that sorts and ranking ties come out in the same order on both engines.
-- pg_trgm is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE index_customers (
	merchant_id     text COLLATE "C" NOT NULL,
	id              text COLLATE "C" NOT NULL,
	-- seq orders rows as SQLite's rowid does: by first insertion, kept
	-- through updates. Ranking ties and sort ties fall back on it.
	seq             bigint GENERATED ALWAYS AS IDENTITY,
	version         bigint NOT NULL,
	created_at      bigint NOT NULL,   -- Unix milliseconds, 0 when unknown
	updated_at      bigint NOT NULL,
	given_name      text NOT NULL,
	family_name     text NOT NULL,
	nickname        text NOT NULL,
	company         text NOT NULL,
	email           text NOT NULL,
	phone           text NOT NULL,
	reference_id    text NOT NULL,
	note            text NOT NULL,
	creation_source text COLLATE "C" NOT NULL,
	group_ids       text[] COLLATE "C" NOT NULL,
	names_key       text COLLATE "C" NOT NULL,
	other_key       text COLLATE "C" NOT NULL,
	note_key        text COLLATE "C" NOT NULL,
	name_words      text[] COLLATE "C" NOT NULL,
	sort_name       text COLLATE "C" NOT NULL,
	sort_company    text COLLATE "C" NOT NULL,
	sort_email      text COLLATE "C" NOT NULL,
	sort_phone      text COLLATE "C" NOT NULL,
	-- Every searched key, separated by a newline, which no search word
	-- holds, so that no word matches across two fields.
	search_key      text COLLATE "C" GENERATED ALWAYS AS (names_key || E'\n' || other_key || E'\n' || note_key) STORED,
	PRIMARY KEY (merchant_id, id)
);
CREATE UNIQUE INDEX index_customers_seq ON index_customers (merchant_id, seq);
CREATE INDEX index_customers_name ON index_customers (merchant_id, sort_name, seq);
CREATE INDEX index_customers_company ON index_customers (merchant_id, sort_company, seq);
CREATE INDEX index_customers_email ON index_customers (merchant_id, sort_email, seq);
CREATE INDEX index_customers_phone ON index_customers (merchant_id, sort_phone, seq);
CREATE INDEX index_customers_created ON index_customers (merchant_id, created_at, seq);
CREATE INDEX index_customers_updated ON index_customers (merchant_id, updated_at, seq);
CREATE INDEX index_customers_groups ON index_customers USING gin (group_ids);
CREATE INDEX index_customers_search ON index_customers USING gin (search_key gin_trgm_ops);

-- A deleted customer's last known version, so that an update delivered
-- after the delete does not bring it back (see index.Index.Put).
CREATE TABLE index_tombstones (
	merchant_id text COLLATE "C" NOT NULL,
	id          text COLLATE "C" NOT NULL,
	version     bigint NOT NULL,
	exact       boolean NOT NULL,   -- the delete named its version
	deleted_at  bigint NOT NULL,    -- Unix milliseconds
	PRIMARY KEY (merchant_id, id)
);
CREATE INDEX index_tombstones_sweep ON index_tombstones (deleted_at);

-- Webhook event ids already applied, per merchant.
CREATE TABLE index_seen_events (
	merchant_id text COLLATE "C" NOT NULL,
	event_id    text COLLATE "C" NOT NULL,
	seen_at     bigint NOT NULL,    -- Unix milliseconds
	PRIMARY KEY (merchant_id, event_id)
);
CREATE INDEX index_seen_events_sweep ON index_seen_events (seen_at);

-- The sync's bookkeeping (index.SyncState as JSON), which the index stores
-- and never reads.
CREATE TABLE index_sync (
	merchant_id text COLLATE "C" PRIMARY KEY,
	state       text NOT NULL
);
