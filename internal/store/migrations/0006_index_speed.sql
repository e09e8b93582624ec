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

-- index_frags holds, per customer, each fragment of one or two characters of
-- its folded keys (names_key, other_key, note_key) that holds a character
-- outside ASCII, and never spans a space or control character: the words a
-- trigram cannot find, like a Chinese or Korean name of one or two
-- characters, are looked up here instead of reading every row. Fragments of
-- plain ASCII are not kept (a Latin letter or two matches most customers).
CREATE TABLE index_frags (
	slot INTEGER NOT NULL,
	frag TEXT NOT NULL,
	row  INTEGER NOT NULL,
	PRIMARY KEY (slot, frag, row)
) WITHOUT ROWID;
CREATE INDEX index_frags_row ON index_frags (row);

-- The fill walks, character by character, only the keys that hold a
-- character outside ASCII (the GLOB). brk is 1 for a space or control
-- character, as Go's unicode.IsSpace or unicode.IsControl.
INSERT OR IGNORE INTO index_frags (slot, frag, row)
WITH RECURSIVE
	src (row, k) AS (
		SELECT rowid, names_key FROM index_customers WHERE names_key GLOB '*[^' || char(1) || '-' || char(127) || ']*'
		UNION ALL
		SELECT rowid, other_key FROM index_customers WHERE other_key GLOB '*[^' || char(1) || '-' || char(127) || ']*'
		UNION ALL
		SELECT rowid, note_key FROM index_customers WHERE note_key GLOB '*[^' || char(1) || '-' || char(127) || ']*'
	),
	pos (row, k, i) AS (
		SELECT row, k, 1 FROM src WHERE length(k) > 0
		UNION ALL
		SELECT row, k, i + 1 FROM pos WHERE i < length(k)
	),
	chars (row, i, c, n) AS (
		SELECT row, i, unicode(substr(k, i, 1)), unicode(substr(k, i + 1, 1)) FROM pos
	),
	marked (row, i, c, n, cbrk, nbrk) AS (
		SELECT row, i, c, n,
			c <= 32 OR c BETWEEN 127 AND 160 OR c = 5760 OR c BETWEEN 8192 AND 8202 OR c IN (8232, 8233, 8239, 8287, 12288),
			n IS NULL OR n <= 32 OR n BETWEEN 127 AND 160 OR n = 5760 OR n BETWEEN 8192 AND 8202 OR n IN (8232, 8233, 8239, 8287, 12288)
		FROM chars
	)
SELECT row >> 32, char(c), row FROM marked WHERE c > 127 AND NOT cbrk
UNION ALL
SELECT row >> 32, char(c, n), row FROM marked WHERE NOT cbrk AND NOT nbrk AND (c > 127 OR n > 127);
