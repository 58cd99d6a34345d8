-- The required lines of a sitting and its scored results move from one row per line
-- (assessment_lines, assessment_results: 280 rows per assessment, 364 M rows at national
-- scale) into two packed text columns of the assessment, written once and always read
-- whole (see internal/assess/packed_sitting.go for the format: one entry per line, entries
-- separated by a newline, fields by a space; portfolio codes contain no white space).
-- Keep in step with ../postgres/0202_assess_packed_sittings.sql.
ALTER TABLE assessments ADD COLUMN lines TEXT NOT NULL DEFAULT '';
ALTER TABLE assessments ADD COLUMN results TEXT NOT NULL DEFAULT '';
UPDATE assessments SET lines = COALESCE((SELECT group_concat(l.line_id || ' ' || COALESCE(l.area_id, 0) || ' ' || l.target_level, char(10))
	FROM assessment_lines l WHERE l.assessment_id = assessments.id), '');
UPDATE assessments SET results = COALESCE((SELECT group_concat(r.line_id || ' ' || r.line_code || ' ' || r.self_level || ' ' ||
	(CASE WHEN r.from_area THEN 1 ELSE 0 END) || ' ' || r.knowledge_asked || ' ' || r.knowledge_correct || ' ' ||
	r.max_correct_level || ' ' || r.min_wrong_level || ' ' || r.level || ' ' || COALESCE(r.previous_level, -1), char(10))
	FROM assessment_results r WHERE r.assessment_id = assessments.id), '');
DROP TABLE assessment_lines;
DROP TABLE assessment_results;
