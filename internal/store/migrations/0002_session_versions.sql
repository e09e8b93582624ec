-- version counts the writes of a session's data. A write names the version it
-- read and fails if another request wrote in between, so that a request that
-- loaded a session before a token refresh cannot put the old tokens back.
ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- Signed-out sessions (a sign-in in progress, a message for the next page)
-- are capped in number; this finds the oldest of them.
CREATE INDEX sessions_signed_out ON sessions (merchant_id, last_seen);
