-- Foundation: reference tables, registry, accounts, audit trail, jobs (SQLite dialect).
-- Keep in step with ../postgres/0001_foundation.sql: only id columns and types differ.
CREATE TABLE regions (
	id INTEGER PRIMARY KEY,
	istat_code TEXT NOT NULL UNIQUE,
	minsal_code TEXT NOT NULL UNIQUE,
	iso_code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL
);
CREATE TABLE professions (
	code INTEGER PRIMARY KEY,
	name TEXT NOT NULL
);
CREATE TABLE disciplines (
	code INTEGER PRIMARY KEY,
	profession_code INTEGER NOT NULL REFERENCES professions(code),
	name TEXT NOT NULL
);
CREATE TABLE ecm_objectives (
	list_version INTEGER NOT NULL,
	code INTEGER NOT NULL,
	national BOOLEAN NOT NULL,
	category TEXT NOT NULL,
	name TEXT NOT NULL,
	PRIMARY KEY (list_version, code)
);
CREATE TABLE comuni (
	istat_code TEXT PRIMARY KEY,
	belfiore_code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	province TEXT NOT NULL,
	region_name TEXT NOT NULL
);
CREATE TABLE organisations (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	code TEXT NOT NULL,
	name TEXT NOT NULL,
	search_name TEXT NOT NULL,
	region_id INTEGER REFERENCES regions(id),
	parent_id INTEGER REFERENCES organisations(id),
	structure_type TEXT NOT NULL DEFAULT '',
	public BOOLEAN NOT NULL DEFAULT TRUE,
	comune_istat TEXT NOT NULL DEFAULT '',
	valid_from DATE,
	valid_to DATE,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	UNIQUE (kind, code)
);
CREATE INDEX organisations_region ON organisations(region_id, kind);
CREATE TABLE professionals (
	id INTEGER PRIMARY KEY,
	cf TEXT NOT NULL UNIQUE,
	cf_display TEXT NOT NULL,
	given_name TEXT NOT NULL,
	family_name TEXT NOT NULL,
	search_name TEXT NOT NULL,
	birth_date DATE,
	sex TEXT NOT NULL DEFAULT '',
	birthplace_code TEXT NOT NULL DEFAULT '',
	region_id INTEGER NOT NULL REFERENCES regions(id),
	organisation_id INTEGER REFERENCES organisations(id),
	employment TEXT NOT NULL,
	care_setting TEXT NOT NULL,
	job_role TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX professionals_org ON professionals(organisation_id);
CREATE INDEX professionals_region ON professionals(region_id);
CREATE INDEX professionals_search ON professionals(search_name);
CREATE TABLE professional_disciplines (
	professional_id INTEGER NOT NULL REFERENCES professionals(id) ON DELETE CASCADE,
	profession_code INTEGER NOT NULL REFERENCES professions(code),
	discipline_code INTEGER NOT NULL REFERENCES disciplines(code),
	PRIMARY KEY (professional_id, profession_code, discipline_code)
);
CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	username TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	role TEXT NOT NULL,
	region_id INTEGER REFERENCES regions(id),
	organisation_id INTEGER REFERENCES organisations(id),
	professional_id INTEGER REFERENCES professionals(id),
	must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
	disabled BOOLEAN NOT NULL DEFAULT FALSE,
	lang TEXT NOT NULL DEFAULT 'it',
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at TIMESTAMP NOT NULL,
	last_seen_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_tokens (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created_at TIMESTAMP NOT NULL,
	last_used_at TIMESTAMP,
	revoked_at TIMESTAMP
);
CREATE TABLE login_attempts (
	id INTEGER PRIMARY KEY,
	username TEXT NOT NULL,
	remote TEXT NOT NULL,
	ok BOOLEAN NOT NULL,
	at TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_user ON login_attempts(username, at);
CREATE TABLE audit_log (
	id INTEGER PRIMARY KEY,
	at TIMESTAMP NOT NULL,
	actor_user_id INTEGER,
	actor_name TEXT NOT NULL,
	actor_role TEXT NOT NULL,
	request_id TEXT NOT NULL,
	action TEXT NOT NULL,
	entity TEXT NOT NULL,
	entity_id TEXT NOT NULL,
	region_id INTEGER,
	before_json TEXT NOT NULL DEFAULT '',
	after_json TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_region ON audit_log(region_id, id);
-- The audit trail is append-only: the database itself refuses changes and deletions.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TABLE jobs (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	state TEXT NOT NULL,
	owner_user_id INTEGER,
	done INTEGER NOT NULL DEFAULT 0,
	total INTEGER NOT NULL DEFAULT 0,
	message TEXT NOT NULL DEFAULT '',
	result_json TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
