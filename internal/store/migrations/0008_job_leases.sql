-- Leases on jobs (internal/jobs), so that with several replicas on one
-- database exactly one runs each job, and another takes it over when the
-- one running it dies: owner is the replica that holds the job ("" when
-- none does), lease_until when its lease runs out (Unix milliseconds; the
-- holder renews it while it works). With one process on SQLite the owner
-- is always that process.
ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
