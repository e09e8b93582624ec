-- The log of live events that replicas share (internal/live's Bus, see
-- live.go): each replica appends the changes it sees, and every replica
-- reads what was appended after the last event it delivered, woken by
-- NOTIFY tessera_live. Rows live a few minutes: long enough for a replica
-- that lost its connection, or a stream moved to another replica, to
-- catch up exactly.

-- live_clock is one row. last is the last id given: microseconds of the
-- database's clock, made strictly increasing, so that ids are the same on
-- every replica and keep the meaning they have with one process. Taking
-- an id locks the row until the appending transaction ends, so that ids
-- become visible in their order (a sequence would not: a larger id could
-- commit first, and a reader past it would skip the smaller one). pruned
-- is the largest id pruned: every event above it is kept.
CREATE TABLE live_clock (
	one    boolean PRIMARY KEY DEFAULT true CHECK (one),
	last   bigint NOT NULL,
	pruned bigint NOT NULL
);
INSERT INTO live_clock (last, pruned) VALUES (0, 0);

-- Events name a customer and what happened, never its data.
CREATE TABLE live_events (
	id          bigint PRIMARY KEY,
	merchant_id text NOT NULL,
	kind        text NOT NULL,
	customer_id text NOT NULL,
	fields      text[] NOT NULL DEFAULT '{}',
	version     bigint NOT NULL DEFAULT 0,
	elsewhere   boolean NOT NULL DEFAULT false
);
-- A stream resuming reads its merchant's events after an id.
CREATE INDEX live_events_merchant ON live_events (merchant_id, id);
