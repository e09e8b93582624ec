-- Bulk jobs: a group change or a delete on many selected customers, run in
-- the background so that it survives a restart and resumes where it
-- stopped. A job belongs to one merchant and is read only with that
-- merchant's session. Finished jobs are deleted after 7 days; items hold
-- the customer's id and display name (personal data) for the summary.
CREATE TABLE jobs (
	id          TEXT PRIMARY KEY NOT NULL,
	merchant_id TEXT NOT NULL,
	kind        TEXT NOT NULL,      -- add, remove or delete
	group_id    TEXT NOT NULL,      -- "" for delete
	group_name  TEXT NOT NULL,
	total       INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,   -- Unix milliseconds
	finished_at INTEGER NOT NULL DEFAULT 0 -- 0 while it runs
);
CREATE INDEX jobs_unfinished ON jobs (finished_at, created_at);

-- One customer of a job. state: 0 pending, 1 done, 2 failed, with the
-- reason in words for the summary.
CREATE TABLE job_items (
	job_id      TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	customer_id TEXT NOT NULL,
	name        TEXT NOT NULL,
	state       INTEGER NOT NULL DEFAULT 0,
	reason      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE INDEX job_items_state ON job_items (job_id, state, seq);
