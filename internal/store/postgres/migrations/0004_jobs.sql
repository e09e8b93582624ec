-- Bulk jobs and CSV imports' rows (internal/jobs), as in the SQLite store
-- (its migrations 0005, 0007 and 0008 say what they hold and why): a job
-- belongs to one merchant; its items hold customers' ids and names
-- (personal data) for the summary, and an import's rows their requests.
-- Finished jobs are deleted after 7 days. Times are Unix milliseconds.
--
-- Several replicas share the table: owner is the replica that holds the
-- job's lease ("" when none does) and lease_until when it runs out; the
-- holder renews it while it works, and once it has run out another
-- replica may claim the job.
CREATE TABLE jobs (
	id          text PRIMARY KEY,
	merchant_id text NOT NULL,
	kind        text NOT NULL,      -- add, remove, delete or import
	group_id    text NOT NULL,      -- "" for delete
	group_name  text NOT NULL,
	total       integer NOT NULL,
	created_at  bigint NOT NULL,
	finished_at bigint NOT NULL DEFAULT 0, -- 0 while it runs
	-- At most one unfinished job per run key and merchant, so that two
	-- starts of the same file's import find one job.
	run_key     text NOT NULL DEFAULT '',
	owner       text NOT NULL DEFAULT '',
	lease_until bigint NOT NULL DEFAULT 0
);
CREATE INDEX jobs_unfinished ON jobs (finished_at, created_at);
CREATE UNIQUE INDEX jobs_run_key ON jobs (merchant_id, run_key) WHERE run_key <> '' AND finished_at = 0;

-- One customer, or one row of an import, of a job. state: 0 pending,
-- 1 done, 2 failed, 3 skipped, with the reason in words for the summary.
-- An import's row has its line in the file, create or update, the request
-- to send (JSON), and whether it was added to the import's group (0 not
-- yet, 1 added, 2 failed).
CREATE TABLE job_items (
	job_id      text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	seq         integer NOT NULL,
	customer_id text NOT NULL,
	name        text NOT NULL,
	state       integer NOT NULL DEFAULT 0,
	reason      text NOT NULL DEFAULT '',
	line        integer NOT NULL DEFAULT 0,
	action      text NOT NULL DEFAULT '',
	payload     text NOT NULL DEFAULT '',
	grouped     integer NOT NULL DEFAULT 0,
	PRIMARY KEY (job_id, seq)
);
CREATE INDEX job_items_state ON job_items (job_id, state, seq);
