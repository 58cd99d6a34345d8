-- Digital Personas and profiling (Indirizzo): personas per framework version with their
-- targets per line, assignment rules, regional and organisational overlays, and the profile
-- (persona) of each professional. Keep in step with ../postgres/0110_personas.sql.
CREATE TABLE personas (
	id INTEGER PRIMARY KEY,
	framework_id INTEGER NOT NULL REFERENCES framework_versions(id) ON DELETE CASCADE,
	code TEXT NOT NULL,
	name_it TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	description_it TEXT NOT NULL DEFAULT '',
	description_en TEXT NOT NULL DEFAULT '',
	-- example roles, one per line
	roles_it TEXT NOT NULL DEFAULT '',
	roles_en TEXT NOT NULL DEFAULT '',
	illustrative BOOLEAN NOT NULL DEFAULT FALSE,
	-- national governance allows overlays to lower any minimum of this persona
	allow_lower BOOLEAN NOT NULL DEFAULT FALSE,
	position INTEGER NOT NULL DEFAULT 0,
	based_on_id INTEGER REFERENCES personas(id) ON DELETE SET NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	UNIQUE (framework_id, code)
);
-- A target per line: a level (min = max), a range (min < max), or not required (levels NULL).
CREATE TABLE persona_targets (
	persona_id INTEGER NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
	line_id INTEGER NOT NULL REFERENCES framework_items(id) ON DELETE CASCADE,
	required BOOLEAN NOT NULL,
	min_level INTEGER,
	max_level INTEGER,
	-- national governance allows overlays to lower this line's minimum
	allow_lower BOOLEAN NOT NULL DEFAULT FALSE,
	PRIMARY KEY (persona_id, line_id)
);
CREATE INDEX persona_targets_line ON persona_targets(line_id);
-- Overlays of a region or of an organisation (exactly one is set) on a persona's targets.
CREATE TABLE persona_overlays (
	id INTEGER PRIMARY KEY,
	persona_id INTEGER NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
	region_id INTEGER REFERENCES regions(id) ON DELETE CASCADE,
	organisation_id INTEGER REFERENCES organisations(id) ON DELETE CASCADE,
	line_id INTEGER NOT NULL REFERENCES framework_items(id) ON DELETE CASCADE,
	required BOOLEAN NOT NULL,
	min_level INTEGER,
	max_level INTEGER,
	note TEXT NOT NULL DEFAULT '',
	author TEXT NOT NULL DEFAULT '',
	updated_at TIMESTAMP NOT NULL,
	CHECK ((region_id IS NULL) <> (organisation_id IS NULL))
);
CREATE UNIQUE INDEX persona_overlays_scope ON persona_overlays(persona_id, COALESCE(region_id, 0), COALESCE(organisation_id, 0), line_id);
CREATE INDEX persona_overlays_region ON persona_overlays(region_id);
CREATE INDEX persona_overlays_org ON persona_overlays(organisation_id);
-- Assignment rules: empty criteria match anything; explicit priority wins, then specificity.
CREATE TABLE assignment_rules (
	id INTEGER PRIMARY KEY,
	framework_id INTEGER NOT NULL REFERENCES framework_versions(id) ON DELETE CASCADE,
	persona_id INTEGER NOT NULL REFERENCES personas(id) ON DELETE CASCADE,
	profession_code INTEGER,
	discipline_code INTEGER,
	care_setting TEXT NOT NULL DEFAULT '',
	job_role TEXT NOT NULL DEFAULT '',
	priority INTEGER NOT NULL DEFAULT 0,
	note TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX assignment_rules_framework ON assignment_rules(framework_id);
CREATE INDEX assignment_rules_persona ON assignment_rules(persona_id);
-- The persona of each professional for a framework version: from a rule (rule_id; kept as a
-- plain number so deleting a rule does not rewrite a million rows before re-assignment) or a
-- manual override with its reason and author. persona_id NULL: no rule matched.
CREATE TABLE profiles (
	professional_id INTEGER NOT NULL REFERENCES professionals(id) ON DELETE CASCADE,
	framework_id INTEGER NOT NULL REFERENCES framework_versions(id) ON DELETE CASCADE,
	persona_id INTEGER REFERENCES personas(id),
	rule_id INTEGER,
	manual BOOLEAN NOT NULL DEFAULT FALSE,
	reason TEXT NOT NULL DEFAULT '',
	author TEXT NOT NULL DEFAULT '',
	assigned_at TIMESTAMP NOT NULL,
	PRIMARY KEY (professional_id, framework_id)
) WITHOUT ROWID;
CREATE INDEX profiles_persona ON profiles(persona_id);
-- Frameworks on which the default illustrative personas were loaded (or copied), so the
-- start-up step never loads them twice, even after national governance deleted some.
CREATE TABLE persona_defaults (
	framework_id INTEGER PRIMARY KEY REFERENCES framework_versions(id) ON DELETE CASCADE,
	source TEXT NOT NULL,
	loaded_at TIMESTAMP NOT NULL
);
