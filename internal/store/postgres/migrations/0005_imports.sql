-- CSV imports' uploaded files (internal/imports), as in the SQLite store
-- (its migration 0007 says what they hold and why): a file is personal
-- data, belongs to one merchant, is read only with that merchant's
-- session, and is deleted a day after its upload when no import was
-- started from it, else with its job. Replicas share it, so the mapping,
-- check and report pages read the same file whichever replica serves them.
CREATE TABLE imports (
	id          text PRIMARY KEY,
	merchant_id text NOT NULL,
	file_name   text NOT NULL,
	sha256      text NOT NULL,      -- hex, of the bytes as uploaded
	size        integer NOT NULL,
	bytes       bytea NOT NULL,
	uploaded_at bigint NOT NULL,    -- Unix milliseconds
	choices     text NOT NULL DEFAULT '', -- JSON: the mapping and the person's choices
	job_id      text NOT NULL DEFAULT ''  -- the import's job once started
);
CREATE INDEX imports_merchant ON imports (merchant_id, sha256);
CREATE INDEX imports_sweep ON imports (job_id, uploaded_at);
