-- Server-side sessions. The cookie holds only a signed id; data is the
-- session encrypted with AES-256-GCM, so that a copy of this file reveals no
-- token. merchant_id is kept in the clear for administration and sweeping.
-- Times are Unix milliseconds.
CREATE TABLE sessions (
	id          TEXT PRIMARY KEY NOT NULL,
	merchant_id TEXT NOT NULL DEFAULT '',
	data        BLOB NOT NULL,
	created_at  INTEGER NOT NULL,
	last_seen   INTEGER NOT NULL
);

-- The sweeper deletes by either timeout.
CREATE INDEX sessions_last_seen ON sessions (last_seen);
CREATE INDEX sessions_created_at ON sessions (created_at);
