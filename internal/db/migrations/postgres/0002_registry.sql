-- Registry: versions of the embedded reference tables, organisation details, and indexes
-- for browsing professionals (PostgreSQL dialect). Keep in step with ../sqlite/0002_registry.sql.
CREATE TABLE reference_versions (
	name TEXT PRIMARY KEY,
	hash TEXT NOT NULL,
	rows_loaded BIGINT NOT NULL,
	loaded_at TIMESTAMPTZ NOT NULL
);
-- legal_nature is the Ministry's text (Pubblico, Privato, Privato (Equiparato a pubblico));
-- source is 'reference' for organisations loaded from the embedded lists, '' otherwise.
ALTER TABLE organisations ADD COLUMN legal_nature TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN source TEXT NOT NULL DEFAULT '';
CREATE INDEX organisations_search ON organisations(search_name);
CREATE INDEX organisations_parent ON organisations(parent_id);
-- Professionals are listed by id (newest first) when browsing, and by name only among the
-- matches of a search, so no index on the folded name; and one (region, organisation) index
-- serves both scopes (an organisation's query also names its region). Every index costs a
-- bulk import dearly: on modernc SQLite each one adds ~8 µs per row.
DROP INDEX professionals_search;
DROP INDEX professionals_org;
DROP INDEX professionals_region;
CREATE INDEX professionals_scope ON professionals(region_id, organisation_id);
CREATE INDEX professional_disciplines_profession ON professional_disciplines(profession_code, professional_id);
