-- Name search of professionals through an index (SQLite dialect). Keep in step with
-- ../postgres/0003_professional_search.sql.
-- professional_search_tokens holds each word of professionals.search_name (already folded:
-- lower case, accents removed, words separated by one space) under the professional's region,
-- so a search word w within a region is one range of the primary key,
-- (region, [w, w || U+10FFFF)): its cost follows the matches in the caller's scope, not the
-- size of the scope nor the matches of other regions (a national search seeks each region).
-- WITHOUT ROWID makes the key the table itself: one B-tree written per token, not two (each
-- index costs a bulk import ~8 µs per row). No foreign key: its check would cost a lookup per
-- token, and professionals are never deleted. The registry rewrites a professional's tokens in
-- the transactions that change their search_name or region.
CREATE TABLE professional_search_tokens (
	region_id INTEGER NOT NULL,
	token TEXT NOT NULL,
	professional_id INTEGER NOT NULL,
	PRIMARY KEY (region_id, token, professional_id)
) WITHOUT ROWID;
-- Backfill: split every stored search_name on its spaces (SQLite has no split function, hence
-- the recursive CTE), sorted so the B-tree is written in key order.
WITH RECURSIVE split(id, region_id, tok, rest) AS (
	SELECT id, region_id, '', search_name || ' ' FROM professionals
	UNION ALL
	SELECT id, region_id, substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1) FROM split WHERE rest <> ''
)
INSERT OR IGNORE INTO professional_search_tokens (region_id, token, professional_id)
SELECT region_id, tok, id FROM split WHERE tok <> '' ORDER BY region_id, tok, id;
