-- Training catalogue (Esecuzione): ECM events and their editions, the versioned credit rules,
-- national-interest themes, the portfolio lines each event develops, and the state history.
-- Keep in step with ../postgres/0300_catalogue.sql: only id columns and types differ.
-- Dates of editions are TEXT 'YYYY-MM-DD' on both databases: they compare as strings and
-- carry no time zone.
CREATE TABLE credit_rule_sets (
	version TEXT PRIMARY KEY,
	title TEXT NOT NULL,
	source TEXT NOT NULL,
	valid_from TEXT NOT NULL,
	rules_json TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE TABLE ecm_themes (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	name_it TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	scope TEXT NOT NULL,
	list_name TEXT NOT NULL,
	valid_from TEXT NOT NULL,
	valid_to TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	source TEXT NOT NULL DEFAULT ''
);
CREATE TABLE ecm_theme_objectives (
	theme_id INTEGER NOT NULL REFERENCES ecm_themes(id) ON DELETE CASCADE,
	objective_code INTEGER NOT NULL,
	PRIMARY KEY (theme_id, objective_code)
);
-- One row bumped in every catalogue write: the in-memory search index compares it with the
-- value it was built at and reloads only the events whose change_seq is newer.
CREATE TABLE catalogue_version (
	id INTEGER PRIMARY KEY,
	seq INTEGER NOT NULL
);
INSERT INTO catalogue_version (id, seq) VALUES (1, 0);
CREATE TABLE events (
	id INTEGER PRIMARY KEY,
	provider_id INTEGER NOT NULL REFERENCES organisations(id),
	code TEXT NOT NULL,
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	type TEXT NOT NULL,
	subtype INTEGER NOT NULL,
	fad_mode TEXT NOT NULL DEFAULT '',
	modules_json TEXT NOT NULL DEFAULT '',
	module_res BOOLEAN NOT NULL DEFAULT FALSE,
	module_fad BOOLEAN NOT NULL DEFAULT FALSE,
	module_fsc BOOLEAN NOT NULL DEFAULT FALSE,
	hours REAL NOT NULL,
	interactive_hours REAL NOT NULL DEFAULT 0,
	participants INTEGER NOT NULL,
	final_document BOOLEAN NOT NULL DEFAULT FALSE,
	external_validation BOOLEAN NOT NULL DEFAULT FALSE,
	permanent_committee BOOLEAN NOT NULL DEFAULT FALSE,
	research_months INTEGER NOT NULL DEFAULT 0,
	objective_code INTEGER NOT NULL,
	theme_id INTEGER REFERENCES ecm_themes(id),
	audience_all BOOLEAN NOT NULL DEFAULT FALSE,
	cost_cents INTEGER NOT NULL DEFAULT 0,
	credits REAL NOT NULL,
	computed_credits REAL NOT NULL,
	rule_set TEXT NOT NULL REFERENCES credit_rule_sets(version),
	state TEXT NOT NULL,
	rejection_reason TEXT NOT NULL DEFAULT '',
	lines_review TEXT NOT NULL DEFAULT 'pending',
	lines_reviewed_by TEXT NOT NULL DEFAULT '',
	lines_reviewed_at TIMESTAMP,
	first_start TEXT NOT NULL,
	last_end TEXT NOT NULL,
	search_title TEXT NOT NULL DEFAULT '',
	search_body TEXT NOT NULL DEFAULT '',
	analyzer TEXT NOT NULL DEFAULT '',
	content_hash TEXT NOT NULL DEFAULT '',
	change_seq INTEGER NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	UNIQUE (provider_id, code)
);
CREATE INDEX events_state ON events(state, provider_id);
CREATE INDEX events_change ON events(change_seq);
CREATE INDEX events_start ON events(first_start);
CREATE INDEX events_code ON events(code);
CREATE TABLE event_editions (
	id INTEGER PRIMARY KEY,
	event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	number INTEGER NOT NULL,
	start_date TEXT NOT NULL,
	end_date TEXT NOT NULL,
	online BOOLEAN NOT NULL DEFAULT FALSE,
	region_id INTEGER REFERENCES regions(id),
	comune_istat TEXT NOT NULL DEFAULT '',
	venue TEXT NOT NULL DEFAULT '',
	UNIQUE (event_id, number)
);
CREATE TABLE event_audience (
	event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	profession_code INTEGER NOT NULL REFERENCES professions(code),
	discipline_code INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (event_id, profession_code, discipline_code)
);
CREATE TABLE event_lines (
	event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	item_id INTEGER NOT NULL REFERENCES framework_items(id),
	level INTEGER NOT NULL,
	origin TEXT NOT NULL,
	score REAL NOT NULL DEFAULT 0,
	PRIMARY KEY (event_id, item_id)
);
CREATE INDEX event_lines_item ON event_lines(item_id);
CREATE TABLE event_transitions (
	id INTEGER PRIMARY KEY,
	event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	from_state TEXT NOT NULL,
	to_state TEXT NOT NULL,
	at TIMESTAMP NOT NULL,
	actor_user_id INTEGER,
	actor_name TEXT NOT NULL,
	actor_role TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX event_transitions_event ON event_transitions(event_id, id);
