-- Questions and answers are the high-volume rows of assessments (~50 M answers at national
-- scale, performance.md): they are always read by (assessment_id, position), so they are
-- stored clustered on that key (WITHOUT ROWID: one B-tree instead of a table plus its
-- primary-key index, so each insert writes one tree). PostgreSQL keeps heap tables with the
-- primary-key index (../postgres/0203_assess_clustered_answers.sql is a no-op).
CREATE TABLE assessment_questions_new (
	assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	line_id INTEGER NOT NULL REFERENCES framework_items(id),
	kind TEXT NOT NULL,
	item_id INTEGER REFERENCES assess_items(id),
	area_id INTEGER REFERENCES framework_items(id),
	target_level INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (assessment_id, position)
) WITHOUT ROWID;
INSERT INTO assessment_questions_new (assessment_id, position, line_id, kind, item_id, area_id, target_level)
	SELECT assessment_id, position, line_id, kind, item_id, area_id, target_level FROM assessment_questions;
DROP TABLE assessment_questions;
ALTER TABLE assessment_questions_new RENAME TO assessment_questions;
CREATE TABLE assessment_answers_new (
	assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	choice INTEGER NOT NULL,
	correct BOOLEAN,
	revision INTEGER NOT NULL,
	changes INTEGER NOT NULL DEFAULT 0,
	answered_at TIMESTAMP NOT NULL,
	PRIMARY KEY (assessment_id, position)
) WITHOUT ROWID;
INSERT INTO assessment_answers_new (assessment_id, position, choice, correct, revision, changes, answered_at)
	SELECT assessment_id, position, choice, correct, revision, changes, answered_at FROM assessment_answers;
DROP TABLE assessment_answers;
ALTER TABLE assessment_answers_new RENAME TO assessment_answers;
