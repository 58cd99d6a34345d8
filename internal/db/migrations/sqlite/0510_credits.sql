-- ECM credits: the ledger of every credit a professional earns (participations as each role,
-- individual training, self-training, exemptions, dossier bonuses, credits moved between
-- trienni), the stored balance per professional and triennium (so the compliance pages
-- aggregate one row per professional, not the ledger), and the versioned rule data.
-- Keep in step with ../postgres/0510_credits.sql: only id columns and types differ.
--
-- region_id and organisation_id are copied at write time, for scope checks without a join.
-- triennium is the start year (2020, 2023, 2026…). kind: participation, individual,
-- self_training, exemption (reduces the obligation, in credits), dossier_bonus, moved
-- (negative in the triennium the credits leave, positive where they go; linked_id pairs
-- them). role: P/D/T/R for participations. status: pending or certified.
CREATE TABLE credit_entries (
	id INTEGER PRIMARY KEY,
	professional_id INTEGER NOT NULL REFERENCES professionals(id) ON DELETE CASCADE,
	region_id INTEGER NOT NULL,
	organisation_id INTEGER,
	triennium INTEGER NOT NULL,
	kind TEXT NOT NULL,
	role TEXT NOT NULL DEFAULT '',
	credits REAL NOT NULL,
	status TEXT NOT NULL,
	earned_on TEXT NOT NULL,
	participation_id INTEGER,
	event_id INTEGER,
	linked_id INTEGER,
	title TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);
-- One entry per participation.
CREATE UNIQUE INDEX credit_entries_participation ON credit_entries(participation_id) WHERE participation_id IS NOT NULL;
CREATE INDEX credit_entries_professional ON credit_entries(professional_id, triennium);
-- The balance of one professional in one triennium, recomputed in the transaction of every
-- write to their ledger and by the recompute job after a rule change. obligation is the
-- triennium's base obligation; reduction comes from the previous triennium; exemption is
-- the sum of exemption entries; counted is what counts after the caps (certified +
-- pending); missing = max(0, obligation - reduction - exemption - counted); compliant when
-- the certified credits alone cover the obligation; on_track is the linear forecast.
CREATE TABLE credit_balances (
	professional_id INTEGER NOT NULL REFERENCES professionals(id) ON DELETE CASCADE,
	triennium INTEGER NOT NULL,
	region_id INTEGER NOT NULL,
	organisation_id INTEGER,
	profession_code INTEGER NOT NULL DEFAULT 0,
	rules_version TEXT NOT NULL,
	earned REAL NOT NULL,
	certified REAL NOT NULL,
	pending REAL NOT NULL,
	obligation REAL NOT NULL,
	reduction REAL NOT NULL,
	exemption REAL NOT NULL,
	counted REAL NOT NULL,
	missing REAL NOT NULL,
	compliant BOOLEAN NOT NULL,
	on_track BOOLEAN NOT NULL,
	computed_at TIMESTAMP NOT NULL,
	PRIMARY KEY (professional_id, triennium)
);
-- Covering index of the compliance aggregates: an organisation's or a region's rows are
-- one index range, counted without touching the table.
CREATE INDEX credit_balances_scope ON credit_balances(triennium, region_id, organisation_id, profession_code, compliant, on_track);
-- Published credit rule data (JSON); the newest published_at is in force.
CREATE TABLE credit_rule_versions (
	version TEXT PRIMARY KEY,
	rules_json TEXT NOT NULL,
	published_at TIMESTAMP NOT NULL,
	published_by TEXT NOT NULL DEFAULT ''
);
