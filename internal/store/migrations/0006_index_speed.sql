-- Faster counts and short searches for the customer index (0003). Both
-- tables are derived from index_customers, kept in step by the index package
-- in the transaction that changes a customer, and filled here for the rows
-- already indexed. Like the customers they describe, a merchant's rows are
-- deleted when it disconnects.

-- index_counts counts a merchant's customers per UTC day of creation
-- (created_at in Unix milliseconds, floored to days) and creation source:
-- with grp '' all of them, with a group id that group's members. A
-- directory total under the created, source and group filters is then a sum
-- over at most a few thousand rows, instead of a count over up to every
-- customer; only the partial days at a created range's ends are counted
-- from the customers themselves.
CREATE TABLE index_counts (
	slot   INTEGER NOT NULL,
	grp    TEXT NOT NULL,
	source TEXT NOT NULL,
	day    INTEGER NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (slot, grp, source, day)
) WITHOUT ROWID;

INSERT INTO index_counts (slot, grp, source, day, n)
SELECT c.rowid >> 32, '', c.creation_source,
	(c.created_at - (c.created_at < 0) * 86399999) / 86400000, count(*)
FROM index_customers c
GROUP BY 1, 3, 4;

INSERT INTO index_counts (slot, grp, source, day, n)
SELECT g.slot, g.group_id, c.creation_source,
	(c.created_at - (c.created_at < 0) * 86399999) / 86400000, count(*)
FROM index_groups g JOIN index_customers c ON c.rowid = g.row
WHERE g.group_id != ''
GROUP BY 1, 2, 3, 4;
