-- FSE 2.0 and telemedicine adoption indicators (internal/indicators): one value per
-- indicator, region, organisation (0 = the whole region) and period. A period is a quarter
-- (2025-Q1) or a month (2025-03); first_month and last_month (year*12 + month - 1) let the
-- importer refuse a month inside a quarter already given for the same key. The catalogue of
-- indicators is Go code (indicators.Catalogue): the codes are checked there.
-- Keep in step with ../postgres/0620_indicators.sql: only types differ.
CREATE TABLE indicator_values (
	id INTEGER PRIMARY KEY,
	indicator TEXT NOT NULL,
	region_id INTEGER NOT NULL REFERENCES regions(id),
	organisation_id INTEGER NOT NULL DEFAULT 0,
	period TEXT NOT NULL,
	first_month INTEGER NOT NULL,
	last_month INTEGER NOT NULL,
	value REAL NOT NULL,
	source TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	updated_at TIMESTAMP NOT NULL,
	UNIQUE (indicator, region_id, organisation_id, period)
);
CREATE INDEX indicator_values_period ON indicator_values (period, indicator);
