-- CSV imports of customers. An uploaded file is kept whole (personal data:
-- names, emails, phones, addresses) so that the mapping, check and report
-- pages read it again and the report can give back the failed rows as they
-- were written. A file belongs to one merchant and is read only with that
-- merchant's session. It is deleted a day after its upload when no import
-- was started from it, and with its job (7 days) otherwise.
CREATE TABLE imports (
	id          TEXT PRIMARY KEY NOT NULL,
	merchant_id TEXT NOT NULL,
	file_name   TEXT NOT NULL,
	sha256      TEXT NOT NULL,      -- hex, of the bytes as uploaded
	size        INTEGER NOT NULL,
	bytes       BLOB NOT NULL,
	uploaded_at INTEGER NOT NULL,   -- Unix milliseconds
	choices     TEXT NOT NULL DEFAULT '', -- JSON: the mapping and the person's choices
	job_id      TEXT NOT NULL DEFAULT ''  -- the import's job once started
);
CREATE INDEX imports_merchant ON imports (merchant_id, sha256);
CREATE INDEX imports_sweep ON imports (job_id, uploaded_at);

-- A job's run key: at most one unfinished job per key and merchant, so
-- that two starts of the same file's import find one job.
ALTER TABLE jobs ADD COLUMN run_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX jobs_run_key ON jobs (merchant_id, run_key) WHERE run_key != '' AND finished_at = 0;

-- An import's row: its line in the file, create or update, the request to
-- send (JSON), and whether it was added to the import's group (0 not yet,
-- 1 added, 2 failed).
ALTER TABLE job_items ADD COLUMN line INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_items ADD COLUMN action TEXT NOT NULL DEFAULT '';
ALTER TABLE job_items ADD COLUMN payload TEXT NOT NULL DEFAULT '';
ALTER TABLE job_items ADD COLUMN grouped INTEGER NOT NULL DEFAULT 0;
