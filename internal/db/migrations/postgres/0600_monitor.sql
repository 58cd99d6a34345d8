-- Monitoring (Monitoraggio): aggregates kept current as the data changes. The source tables
-- mark a professional dirty through triggers (an index insert on the write path, nothing
-- else); the background refresher of internal/monitor re-derives the professional's facts and
-- moves the counters by the difference. `esd aggregates rebuild` recomputes everything.
-- Keep in step with ../sqlite/0600_monitor.sql: only types and the trigger language differ.

-- Professionals whose facts may be stale.
CREATE TABLE monitor_dirty (
	professional_id BIGINT PRIMARY KEY
);

-- What each professional contributes to the counters, as last counted: the key columns and
-- the compact facts (internal/monitor/facts.go encodes them). organisation_id 0 = none.
CREATE TABLE monitor_facts (
	professional_id BIGINT PRIMARY KEY,
	region_id BIGINT NOT NULL,
	organisation_id BIGINT NOT NULL,
	profession_code INTEGER NOT NULL,
	persona_id BIGINT NOT NULL,
	facts TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);

-- The counters: how many professionals (n) and a sum (total) per key. organisation_id and
-- profession_code -1 mean "all" (the per-line cells are kept per region and persona only);
-- period '' is the whole time, else a calendar year; item is an ambito or line code or ''.
-- Credits are summed in hundredths so that deltas add up exactly.
CREATE TABLE monitor_cells (
	region_id BIGINT NOT NULL,
	organisation_id BIGINT NOT NULL,
	profession_code INTEGER NOT NULL,
	persona_id BIGINT NOT NULL,
	period TEXT COLLATE "C" NOT NULL,
	metric TEXT COLLATE "C" NOT NULL,
	item TEXT COLLATE "C" NOT NULL,
	n BIGINT NOT NULL,
	total BIGINT NOT NULL,
	PRIMARY KEY (region_id, metric, period, organisation_id, profession_code, persona_id, item)
);

-- Bookkeeping of the refresher and of the last rebuild.
CREATE TABLE monitor_state (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);

-- The triggers: every table a fact is derived from.
CREATE FUNCTION monitor_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'DELETE' AND NEW.professional_id IS NOT NULL THEN
		INSERT INTO monitor_dirty (professional_id) VALUES (NEW.professional_id) ON CONFLICT DO NOTHING;
	END IF;
	IF TG_OP <> 'INSERT' AND OLD.professional_id IS NOT NULL
		AND (TG_OP = 'DELETE' OR OLD.professional_id IS DISTINCT FROM NEW.professional_id) THEN
		INSERT INTO monitor_dirty (professional_id) VALUES (OLD.professional_id) ON CONFLICT DO NOTHING;
	END IF;
	RETURN NULL;
END $$;
CREATE FUNCTION monitor_mark_professional_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		INSERT INTO monitor_dirty (professional_id) VALUES (OLD.id) ON CONFLICT DO NOTHING;
	ELSE
		INSERT INTO monitor_dirty (professional_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER monitor_dirty_professionals AFTER INSERT OR UPDATE OR DELETE ON professionals
	FOR EACH ROW EXECUTE FUNCTION monitor_mark_professional_dirty();
CREATE TRIGGER monitor_dirty_disciplines AFTER INSERT OR DELETE ON professional_disciplines
	FOR EACH ROW EXECUTE FUNCTION monitor_mark_dirty();
CREATE TRIGGER monitor_dirty_profiles AFTER INSERT OR UPDATE OR DELETE ON profiles
	FOR EACH ROW EXECUTE FUNCTION monitor_mark_dirty();
CREATE TRIGGER monitor_dirty_levels AFTER INSERT OR UPDATE OR DELETE ON competence_levels
	FOR EACH ROW EXECUTE FUNCTION monitor_mark_dirty();
CREATE TRIGGER monitor_dirty_objectives AFTER INSERT OR UPDATE OR DELETE ON objectives
	FOR EACH ROW EXECUTE FUNCTION monitor_mark_dirty();
CREATE TRIGGER monitor_dirty_participations AFTER INSERT OR UPDATE OR DELETE ON participations
	FOR EACH ROW EXECUTE FUNCTION monitor_mark_dirty();

-- Professionals stored before this migration are counted by the first full rebuild, which
-- the refresher runs when monitor_state has no 'built' entry.
