-- Registry: versions of the embedded reference tables, organisation details, and indexes
-- for browsing professionals (SQLite dialect). Keep in step with ../postgres/0002_registry.sql.
CREATE TABLE reference_versions (
	name TEXT PRIMARY KEY,
	hash TEXT NOT NULL,
	rows_loaded INTEGER NOT NULL,
	loaded_at TIMESTAMP NOT NULL
);
-- legal_nature is the Ministry's text (Pubblico, Privato, Privato (Equiparato a pubblico));
-- source is 'reference' for organisations loaded from the embedded lists, '' otherwise.
ALTER TABLE organisations ADD COLUMN legal_nature TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN source TEXT NOT NULL DEFAULT '';
CREATE INDEX organisations_search ON organisations(search_name);
CREATE INDEX organisations_parent ON organisations(parent_id);
-- Browsing a region's or an organisation's professionals is ordered by name: composite
-- indexes serve both the filter and the order (and replace the single-column ones).
DROP INDEX professionals_org;
DROP INDEX professionals_region;
CREATE INDEX professionals_org_name ON professionals(organisation_id, search_name);
CREATE INDEX professionals_region_name ON professionals(region_id, search_name);
CREATE INDEX professional_disciplines_profession ON professional_disciplines(profession_code, professional_id);
