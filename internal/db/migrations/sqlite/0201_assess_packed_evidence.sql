-- The evidence ledger and the current levels, packed: one ledger row per observation (an
-- assessment's scoring, a validation, a training, an import) listing every line it observed,
-- and one row of current levels per professional. One row per line would be hundreds of
-- millions of rows at national scale. The packed text is one "code level" entry per line
-- (plus the evidence ids for levels: "code level id,id"), entries joined by a newline, in
-- byte order of the code (internal/assess/packed.go reads and writes it).
DROP TRIGGER competence_evidence_no_update;
DROP TRIGGER competence_evidence_no_delete;

-- Old rows written by one observation (same professional, source, times, pointer, author and
-- note) become one row with the smallest of their ids; a line repeated in such a group (only
-- possible by hand) goes to a row of its own, by rank.
CREATE TEMP TABLE evidence_map AS
SELECT id, MIN(id) OVER (PARTITION BY professional_id, source, observed_at, recorded_at, pointer, recorded_by, note, dup) AS new_id,
	professional_id, line_code, level, source, observed_at, recorded_at, pointer, recorded_by, note
FROM (SELECT e.*, ROW_NUMBER() OVER (PARTITION BY professional_id, source, observed_at, recorded_at, pointer, recorded_by, note, line_code ORDER BY id) AS dup
	FROM competence_evidence e);
CREATE INDEX temp.evidence_map_id ON evidence_map(id);

CREATE TABLE competence_evidence_packed (
	id INTEGER PRIMARY KEY,
	professional_id INTEGER NOT NULL REFERENCES professionals(id),
	source TEXT NOT NULL,
	observed_at TIMESTAMP NOT NULL,
	recorded_at TIMESTAMP NOT NULL,
	pointer TEXT NOT NULL DEFAULT '',
	recorded_by TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	lines TEXT NOT NULL
);
INSERT INTO competence_evidence_packed (id, professional_id, source, observed_at, recorded_at, pointer, recorded_by, note, lines)
SELECT new_id, professional_id, source, observed_at, recorded_at, pointer, recorded_by, note,
	group_concat(line_code || ' ' || level, char(10) ORDER BY line_code)
FROM evidence_map
GROUP BY new_id, professional_id, source, observed_at, recorded_at, pointer, recorded_by, note;

-- Current levels: the evidence ids of each line are renumbered to the observation rows.
CREATE TABLE competence_levels_packed (
	professional_id INTEGER PRIMARY KEY REFERENCES professionals(id),
	rule TEXT NOT NULL,
	computed_at TIMESTAMP NOT NULL,
	levels TEXT NOT NULL
);
WITH RECURSIVE split(professional_id, line_code, rest, id) AS (
	SELECT professional_id, line_code, evidence_ids || ',', NULL FROM competence_levels WHERE evidence_ids <> ''
	UNION ALL
	SELECT professional_id, line_code, substr(rest, instr(rest, ',') + 1), CAST(substr(rest, 1, instr(rest, ',') - 1) AS INTEGER)
	FROM split WHERE rest <> ''
), used AS (
	SELECT s.professional_id, s.line_code, group_concat(COALESCE(m.new_id, s.id), ',' ORDER BY COALESCE(m.new_id, s.id)) AS ids
	FROM (SELECT DISTINCT professional_id, line_code, id FROM split WHERE id IS NOT NULL) s LEFT JOIN evidence_map m ON m.id = s.id
	GROUP BY s.professional_id, s.line_code
)
INSERT INTO competence_levels_packed (professional_id, rule, computed_at, levels)
SELECT l.professional_id, MAX(l.rule), MAX(l.computed_at),
	group_concat(l.line_code || ' ' || l.level || COALESCE(' ' || u.ids, ''), char(10) ORDER BY l.line_code)
FROM competence_levels l LEFT JOIN used u ON u.professional_id = l.professional_id AND u.line_code = l.line_code
GROUP BY l.professional_id;

DROP TABLE temp.evidence_map;
DROP TABLE competence_evidence;
DROP TABLE competence_levels;
ALTER TABLE competence_evidence_packed RENAME TO competence_evidence;
ALTER TABLE competence_levels_packed RENAME TO competence_levels;
CREATE INDEX competence_evidence_prof ON competence_evidence(professional_id, id);
-- The ledger stays append-only.
CREATE TRIGGER competence_evidence_no_update BEFORE UPDATE ON competence_evidence BEGIN SELECT RAISE(ABORT, 'competence_evidence is append-only'); END;
CREATE TRIGGER competence_evidence_no_delete BEFORE DELETE ON competence_evidence BEGIN SELECT RAISE(ABORT, 'competence_evidence is append-only'); END;
