-- The required lines of a sitting and its scored results move from one row per line
-- (assessment_lines, assessment_results: 280 rows per assessment, 364 M rows at national
-- scale) into two packed text columns of the assessment, written once and always read
-- whole (see internal/assess/packed_sitting.go for the format: one entry per line, entries
-- separated by a newline, fields by a space; portfolio codes contain no white space).
-- Keep in step with ../sqlite/0202_assess_packed_sittings.sql.
ALTER TABLE assessments ADD COLUMN lines TEXT NOT NULL DEFAULT '';
ALTER TABLE assessments ADD COLUMN results TEXT NOT NULL DEFAULT '';
UPDATE assessments SET lines = COALESCE((SELECT string_agg(l.line_id::text || ' ' || COALESCE(l.area_id, 0)::text || ' ' || l.target_level::text, E'\n' ORDER BY l.line_id)
	FROM assessment_lines l WHERE l.assessment_id = assessments.id), '');
UPDATE assessments SET results = COALESCE((SELECT string_agg(r.line_id::text || ' ' || r.line_code || ' ' || r.self_level::text || ' ' ||
	(CASE WHEN r.from_area THEN 1 ELSE 0 END)::text || ' ' || r.knowledge_asked::text || ' ' || r.knowledge_correct::text || ' ' ||
	r.max_correct_level::text || ' ' || r.min_wrong_level::text || ' ' || r.level::text || ' ' || COALESCE(r.previous_level, -1)::text, E'\n' ORDER BY r.line_id)
	FROM assessment_results r WHERE r.assessment_id = assessments.id), '');
DROP TABLE assessment_lines;
DROP TABLE assessment_results;
