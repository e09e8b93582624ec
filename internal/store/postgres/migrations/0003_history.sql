-- The history of changes to customers, as in the SQLite store (its
-- migration 0004 says what it holds and why): per merchant, Tessera's own
-- writes and the changes seen arriving from Square, swept after
-- TESSERA_HISTORY_DAYS. Times are Unix milliseconds. (0002 is the live
-- events table.)
CREATE TABLE history (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	merchant_id   text NOT NULL,
	customer_id   text NOT NULL,
	customer_name text NOT NULL,
	kind          text NOT NULL,
	detail        text NOT NULL,
	changes       text NOT NULL,
	card_brand    text NOT NULL,
	card_last4    text NOT NULL,
	actor         text NOT NULL,
	user_agent    text NOT NULL,
	remote_addr   text NOT NULL,
	at            bigint NOT NULL,
	dedupe        text NOT NULL
);

CREATE INDEX history_merchant_at ON history (merchant_id, at, id);
CREATE INDEX history_customer_at ON history (merchant_id, customer_id, at, id);
CREATE INDEX history_dedupe ON history (merchant_id, customer_id, dedupe);
CREATE INDEX history_at ON history (at);
