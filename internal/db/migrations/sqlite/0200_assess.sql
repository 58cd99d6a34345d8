-- Assessment, evidence, gaps and objectives (Indirizzo): the item bank, assessments and their
-- answers, the append-only evidence ledger with the computed levels, individual and group
-- objectives (the dossier formativo) and the privacy policy of organisations.
-- Keep in step with ../postgres/0200_assess.sql: only id columns and types differ.

-- An item bank belongs to one framework version; a published bank never changes (a new
-- version starts as a copy), so an assessment's questions stay what they were.
CREATE TABLE assess_banks (
	id INTEGER PRIMARY KEY,
	framework_id INTEGER NOT NULL REFERENCES framework_versions(id) ON DELETE CASCADE,
	version INTEGER NOT NULL,
	state TEXT NOT NULL,
	based_on_id INTEGER REFERENCES assess_banks(id),
	source TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	published_at TIMESTAMP,
	retired_at TIMESTAMP,
	UNIQUE (framework_id, version)
);
CREATE TABLE assess_items (
	id INTEGER PRIMARY KEY,
	bank_id INTEGER NOT NULL REFERENCES assess_banks(id) ON DELETE CASCADE,
	code TEXT NOT NULL,
	line_id INTEGER NOT NULL REFERENCES framework_items(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	level INTEGER NOT NULL,
	text_it TEXT NOT NULL,
	text_en TEXT NOT NULL DEFAULT '',
	explanation_it TEXT NOT NULL DEFAULT '',
	explanation_en TEXT NOT NULL DEFAULT '',
	position INTEGER NOT NULL DEFAULT 0,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	UNIQUE (bank_id, code)
);
CREATE INDEX assess_items_line ON assess_items(bank_id, line_id, kind, level);
CREATE TABLE assess_item_options (
	item_id INTEGER NOT NULL REFERENCES assess_items(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	text_it TEXT NOT NULL,
	text_en TEXT NOT NULL DEFAULT '',
	correct BOOLEAN NOT NULL DEFAULT FALSE,
	PRIMARY KEY (item_id, position)
);
-- persona_id has no foreign key: personas belong to another capability and may be
-- re-versioned; the code and name are kept as they were when the assessment started.
CREATE TABLE assessments (
	id INTEGER PRIMARY KEY,
	professional_id INTEGER NOT NULL REFERENCES professionals(id),
	framework_id INTEGER NOT NULL REFERENCES framework_versions(id),
	bank_id INTEGER NOT NULL REFERENCES assess_banks(id),
	persona_id INTEGER,
	persona_code TEXT NOT NULL DEFAULT '',
	persona_name TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL,
	previous_id INTEGER REFERENCES assessments(id),
	state TEXT NOT NULL,
	revision INTEGER NOT NULL DEFAULT 0,
	position INTEGER NOT NULL DEFAULT 1,
	questions INTEGER NOT NULL,
	expected_seconds INTEGER NOT NULL,
	superseded_by INTEGER REFERENCES assessments(id),
	started_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	paused_at TIMESTAMP,
	finished_at TIMESTAMP
);
CREATE INDEX assessments_prof ON assessments(professional_id, id);
-- At most one open assessment per professional: a second start resumes the open one.
CREATE UNIQUE INDEX assessments_one_open ON assessments(professional_id) WHERE state = 'in_progress';
-- The questions chosen for one sitting: kind "area" (line_id is then the ambito), "self" or
-- "knowledge".
CREATE TABLE assessment_questions (
	assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	line_id INTEGER NOT NULL REFERENCES framework_items(id),
	kind TEXT NOT NULL,
	item_id INTEGER REFERENCES assess_items(id),
	-- for line and knowledge questions: the ambito, whose overall rating (an "area" question,
	-- asked when the persona has too many lines for the time budget) stands for lines not asked
	area_id INTEGER REFERENCES framework_items(id),
	target_level INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (assessment_id, position)
);
-- The required lines of a sitting with their targets, asked or not: a line without a
-- question of its own takes its ambito's rating.
CREATE TABLE assessment_lines (
	assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
	line_id INTEGER NOT NULL REFERENCES framework_items(id),
	area_id INTEGER REFERENCES framework_items(id),
	target_level INTEGER NOT NULL,
	PRIMARY KEY (assessment_id, line_id)
);
CREATE TABLE assessment_answers (
	assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	choice INTEGER NOT NULL,
	correct BOOLEAN,
	revision INTEGER NOT NULL,
	changes INTEGER NOT NULL DEFAULT 0,
	answered_at TIMESTAMP NOT NULL,
	PRIMARY KEY (assessment_id, position)
);
-- The scored level of each line of a finished assessment, with the inputs of the rule (so the
-- explanation can be rebuilt) and the level of the previous assessment (before/after).
CREATE TABLE assessment_results (
	assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
	line_id INTEGER NOT NULL REFERENCES framework_items(id),
	line_code TEXT NOT NULL,
	self_level INTEGER NOT NULL,
	from_area BOOLEAN NOT NULL DEFAULT FALSE,
	knowledge_asked INTEGER NOT NULL DEFAULT 0,
	knowledge_correct INTEGER NOT NULL DEFAULT 0,
	max_correct_level INTEGER NOT NULL DEFAULT 0,
	min_wrong_level INTEGER NOT NULL DEFAULT 0,
	level INTEGER NOT NULL,
	previous_level INTEGER,
	PRIMARY KEY (assessment_id, line_id)
);
-- The evidence ledger is append-only: the database refuses changes and deletions.
CREATE TABLE competence_evidence (
	id INTEGER PRIMARY KEY,
	professional_id INTEGER NOT NULL REFERENCES professionals(id),
	line_code TEXT NOT NULL,
	line_id INTEGER REFERENCES framework_items(id),
	level INTEGER NOT NULL,
	source TEXT NOT NULL,
	observed_at TIMESTAMP NOT NULL,
	recorded_at TIMESTAMP NOT NULL,
	pointer TEXT NOT NULL DEFAULT '',
	recorded_by TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX competence_evidence_prof ON competence_evidence(professional_id, line_code, id);
CREATE TRIGGER competence_evidence_no_update BEFORE UPDATE ON competence_evidence BEGIN SELECT RAISE(ABORT, 'competence_evidence is append-only'); END;
CREATE TRIGGER competence_evidence_no_delete BEFORE DELETE ON competence_evidence BEGIN SELECT RAISE(ABORT, 'competence_evidence is append-only'); END;
-- The current level per professional and line: a pure function of the evidence under the
-- configured rule, stored with the ids of the evidence it used.
CREATE TABLE competence_levels (
	professional_id INTEGER NOT NULL REFERENCES professionals(id),
	line_code TEXT NOT NULL,
	level INTEGER NOT NULL,
	rule TEXT NOT NULL,
	evidence_ids TEXT NOT NULL,
	computed_at TIMESTAMP NOT NULL,
	PRIMARY KEY (professional_id, line_code)
);
CREATE TABLE assess_settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	updated_by TEXT NOT NULL DEFAULT ''
);
-- What an organisation (or, for professionals without one, a region) may see of its staff
-- beyond completion and objectives.
CREATE TABLE assess_policies (
	id INTEGER PRIMARY KEY,
	organisation_id INTEGER UNIQUE REFERENCES organisations(id),
	region_id INTEGER UNIQUE REFERENCES regions(id),
	show_levels BOOLEAN NOT NULL DEFAULT FALSE,
	updated_at TIMESTAMP NOT NULL,
	updated_by TEXT NOT NULL DEFAULT ''
);
CREATE TABLE objective_groups (
	id INTEGER PRIMARY KEY,
	organisation_id INTEGER NOT NULL REFERENCES organisations(id),
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	triennium TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	UNIQUE (organisation_id, triennium, name)
);
CREATE TABLE objective_group_members (
	group_id INTEGER NOT NULL REFERENCES objective_groups(id) ON DELETE CASCADE,
	professional_id INTEGER NOT NULL REFERENCES professionals(id),
	added_at TIMESTAMP NOT NULL,
	PRIMARY KEY (group_id, professional_id)
);
CREATE INDEX objective_group_members_prof ON objective_group_members(professional_id);
-- Individual objectives (professional_id set) and group objectives (group_id set).
CREATE TABLE objectives (
	id INTEGER PRIMARY KEY,
	professional_id INTEGER REFERENCES professionals(id),
	group_id INTEGER REFERENCES objective_groups(id) ON DELETE CASCADE,
	triennium TEXT NOT NULL,
	framework_id INTEGER NOT NULL REFERENCES framework_versions(id),
	line_id INTEGER NOT NULL REFERENCES framework_items(id),
	line_code TEXT NOT NULL,
	from_level INTEGER NOT NULL DEFAULT 0,
	target_level INTEGER NOT NULL,
	persona_target INTEGER NOT NULL DEFAULT 0,
	due_date TEXT NOT NULL,
	priority INTEGER NOT NULL,
	state TEXT NOT NULL,
	ecm_objective TEXT NOT NULL DEFAULT '',
	ecm_inferred BOOLEAN NOT NULL DEFAULT FALSE,
	source TEXT NOT NULL,
	adjusted BOOLEAN NOT NULL DEFAULT FALSE,
	note TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	agreed_at TIMESTAMP,
	agreed_by TEXT NOT NULL DEFAULT '',
	started_at TIMESTAMP,
	achieved_at TIMESTAMP,
	expired_at TIMESTAMP
);
CREATE INDEX objectives_prof ON objectives(professional_id, triennium, priority);
CREATE INDEX objectives_group ON objectives(group_id) WHERE group_id IS NOT NULL;
CREATE UNIQUE INDEX objectives_one_per_line ON objectives(professional_id, triennium, line_code) WHERE professional_id IS NOT NULL AND state <> 'expired';
