-- Name search of professionals through an index (PostgreSQL dialect). Keep in step with
-- ../sqlite/0003_professional_search.sql.
-- professional_search_tokens holds each word of professionals.search_name (already folded:
-- lower case, accents removed, words separated by one space) under the professional's region,
-- so a search word w within a region is one range of the primary key,
-- (region, [w, w || U+10FFFF)): its cost follows the matches in the caller's scope, not the
-- size of the scope nor the matches of other regions (a national search seeks each region).
-- The token is compared byte by byte (COLLATE "C") whatever the database's collation, so that
-- range is exactly the words starting with w. No foreign key: its check would cost a lookup
-- per token, and professionals are never deleted. The registry rewrites a professional's
-- tokens in the transactions that change their search_name or region.
CREATE TABLE professional_search_tokens (
	region_id BIGINT NOT NULL,
	token TEXT COLLATE "C" NOT NULL,
	professional_id BIGINT NOT NULL,
	PRIMARY KEY (region_id, token, professional_id)
);
-- Backfill: every word of every stored search_name.
INSERT INTO professional_search_tokens (region_id, token, professional_id)
SELECT DISTINCT p.region_id, w.tok, p.id
FROM professionals p CROSS JOIN LATERAL unnest(string_to_array(p.search_name, ' ')) AS w(tok)
WHERE w.tok <> '';
