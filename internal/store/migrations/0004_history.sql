-- The history of changes to customers, per merchant: Tessera's own writes
-- (with the name the staff member gave at sign-in, their browser and
-- address) and the changes the index saw arrive from Square. It holds
-- personal data (names and the values of changed fields, a card's brand and
-- last four digits, never more); entries older than TESSERA_HISTORY_DAYS
-- are deleted by the sweeper, and a merchant's entries when it disconnects
-- Tessera. Times are Unix milliseconds.
CREATE TABLE history (
	id            INTEGER PRIMARY KEY,
	merchant_id   TEXT NOT NULL,
	customer_id   TEXT NOT NULL,
	customer_name TEXT NOT NULL,
	kind          TEXT NOT NULL,
	detail        TEXT NOT NULL,
	changes       TEXT NOT NULL,
	card_brand    TEXT NOT NULL,
	card_last4    TEXT NOT NULL,
	actor         TEXT NOT NULL,
	user_agent    TEXT NOT NULL,
	remote_addr   TEXT NOT NULL,
	at            INTEGER NOT NULL,
	-- dedupe names the state a change produced ("v<version>", or "deleted"),
	-- so that a change Tessera made and Square's webhook also reports, in
	-- either order, is recorded once, as Tessera's.
	dedupe        TEXT NOT NULL
);

-- A merchant's entries newest first, and one customer's.
CREATE INDEX history_merchant_at ON history (merchant_id, at, id);
CREATE INDEX history_customer_at ON history (merchant_id, customer_id, at, id);
CREATE INDEX history_dedupe ON history (merchant_id, customer_id, dedupe);
-- The sweeper deletes by age.
CREATE INDEX history_at ON history (at);
