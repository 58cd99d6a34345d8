-- Monitoring (Monitoraggio): aggregates kept current as the data changes. The source tables
-- mark a professional dirty through triggers (an index insert on the write path, nothing
-- else); the background refresher of internal/monitor re-derives the professional's facts and
-- moves the counters by the difference. `esd aggregates rebuild` recomputes everything.
-- Keep in step with ../postgres/0600_monitor.sql: only types and the trigger language differ.

-- Professionals whose facts may be stale.
CREATE TABLE monitor_dirty (
	professional_id INTEGER PRIMARY KEY
) WITHOUT ROWID;

-- What each professional contributes to the counters, as last counted: the key columns and
-- the compact facts (internal/monitor/facts.go encodes them). organisation_id 0 = none.
CREATE TABLE monitor_facts (
	professional_id INTEGER PRIMARY KEY,
	region_id INTEGER NOT NULL,
	organisation_id INTEGER NOT NULL,
	profession_code INTEGER NOT NULL,
	persona_id INTEGER NOT NULL,
	facts TEXT NOT NULL,
	updated_at TIMESTAMP NOT NULL
);

-- The counters: how many professionals (n) and a sum (total) per key. organisation_id and
-- profession_code -1 mean "all" (the per-line cells are kept per region and persona only);
-- period '' is the whole time, else a calendar year; item is an ambito or line code or ''.
-- Credits are summed in hundredths so that deltas add up exactly.
CREATE TABLE monitor_cells (
	region_id INTEGER NOT NULL,
	organisation_id INTEGER NOT NULL,
	profession_code INTEGER NOT NULL,
	persona_id INTEGER NOT NULL,
	period TEXT NOT NULL,
	metric TEXT NOT NULL,
	item TEXT NOT NULL,
	n INTEGER NOT NULL,
	total INTEGER NOT NULL,
	PRIMARY KEY (region_id, metric, period, organisation_id, profession_code, persona_id, item)
) WITHOUT ROWID;

-- Bookkeeping of the refresher and of the last rebuild.
CREATE TABLE monitor_state (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	updated_at TIMESTAMP NOT NULL
);

-- The triggers: every table a fact is derived from.
CREATE TRIGGER monitor_dirty_professionals_i AFTER INSERT ON professionals BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (NEW.id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_professionals_u AFTER UPDATE ON professionals BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (NEW.id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_professionals_d AFTER DELETE ON professionals BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (OLD.id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_disciplines_i AFTER INSERT ON professional_disciplines BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (NEW.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_disciplines_d AFTER DELETE ON professional_disciplines BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (OLD.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_profiles_i AFTER INSERT ON profiles BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (NEW.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_profiles_u AFTER UPDATE ON profiles BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (NEW.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_profiles_d AFTER DELETE ON profiles BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (OLD.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_levels_i AFTER INSERT ON competence_levels BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (NEW.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_levels_u AFTER UPDATE ON competence_levels BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (NEW.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_levels_d AFTER DELETE ON competence_levels BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (OLD.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_objectives_i AFTER INSERT ON objectives WHEN NEW.professional_id IS NOT NULL BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (NEW.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_objectives_u AFTER UPDATE ON objectives WHEN NEW.professional_id IS NOT NULL BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (NEW.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_objectives_d AFTER DELETE ON objectives WHEN OLD.professional_id IS NOT NULL BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (OLD.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_participations_i AFTER INSERT ON participations BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (NEW.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_participations_u AFTER UPDATE ON participations BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (NEW.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_participations_d AFTER DELETE ON participations BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (OLD.professional_id) ON CONFLICT DO NOTHING; END;
-- A row moved to another professional (only by hand) marks the old one too.
CREATE TRIGGER monitor_dirty_objectives_moved AFTER UPDATE OF professional_id ON objectives WHEN OLD.professional_id IS NOT NULL BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (OLD.professional_id) ON CONFLICT DO NOTHING; END;
CREATE TRIGGER monitor_dirty_participations_moved AFTER UPDATE OF professional_id ON participations BEGIN
	INSERT INTO monitor_dirty (professional_id) VALUES (OLD.professional_id) ON CONFLICT DO NOTHING; END;

-- Professionals stored before this migration are counted by the first full rebuild, which
-- the refresher runs when monitor_state has no 'built' entry.
