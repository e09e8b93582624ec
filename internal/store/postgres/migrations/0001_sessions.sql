-- Server-side sessions, as in the SQLite store: the cookie holds only a
-- signed id; data is the session sealed with AES-256-GCM, so that a copy of
-- the database reveals no token; merchant_id is in the clear for
-- administration and sweeping. Times are Unix milliseconds, as in SQLite,
-- so both stores hand the same rows to internal/session.
CREATE TABLE sessions (
	id          text PRIMARY KEY,
	merchant_id text NOT NULL DEFAULT '',
	data        bytea NOT NULL,
	created_at  bigint NOT NULL,
	last_seen   bigint NOT NULL,
	-- version counts the writes of data; a write names the version it read.
	version     bigint NOT NULL DEFAULT 0
);

-- The sweeper deletes by either timeout.
CREATE INDEX sessions_last_seen ON sessions (last_seen);
CREATE INDEX sessions_created_at ON sessions (created_at);
-- Signed-out sessions are capped in number; this finds the oldest of them.
CREATE INDEX sessions_signed_out ON sessions (merchant_id, last_seen);
