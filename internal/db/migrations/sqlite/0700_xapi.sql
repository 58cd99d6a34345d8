-- The xAPI learning record store. Keep in step with ../postgres/0700_xapi.sql: only id
-- columns and types differ.
--
-- Credentials are per provider: a key and the SHA-256 of a 32-byte random secret (a fast hash
-- is enough for a secret with 256 bits of entropy, as for API tokens, and keeps Moodle's
-- batches cheap), the authority agent stamped on every statement, space-separated scopes, and
-- for cmi5 sessions the actor, registration and activity they are bound to and an expiry.
CREATE TABLE xapi_credentials (
	id INTEGER PRIMARY KEY,
	provider_id INTEGER NOT NULL REFERENCES organisations(id),
	kind TEXT NOT NULL CHECK (kind IN ('basic', 'session')),
	key TEXT NOT NULL UNIQUE,
	secret_sha256 TEXT NOT NULL,
	label TEXT NOT NULL DEFAULT '',
	scopes TEXT NOT NULL,
	authority_json TEXT NOT NULL,
	no_void INTEGER NOT NULL DEFAULT 0,
	session_actor TEXT NOT NULL DEFAULT '',
	session_registration TEXT NOT NULL DEFAULT '',
	session_activity TEXT NOT NULL DEFAULT '',
	expires_at TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL,
	created_at TEXT NOT NULL,
	revoked_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX xapi_credentials_provider ON xapi_credentials(provider_id, kind);

-- Statements are immutable: seq is the stored sequence (since/until/more and the
-- consistent-through header follow it), raw the statement compressed with DEFLATE over a
-- preset dictionary of xAPI vocabulary, without what other columns hold (id, stored, and the
-- authority, which is the credential's). The filtered columns are copied out of it.
CREATE TABLE xapi_statements (
	seq INTEGER PRIMARY KEY,
	id TEXT NOT NULL,
	provider_id INTEGER NOT NULL,
	credential_id INTEGER NOT NULL,
	stored TEXT NOT NULL,
	verb_hash INTEGER NOT NULL,
	registration TEXT NOT NULL DEFAULT '',
	voided INTEGER NOT NULL DEFAULT 0,
	voids TEXT NOT NULL DEFAULT '',
	content_sha TEXT NOT NULL,
	raw BLOB NOT NULL
);
CREATE UNIQUE INDEX xapi_statements_id ON xapi_statements(provider_id, id);
-- verb_hash: keyHash of the verb IRI (8 bytes in the row and the index instead of ~40).
CREATE INDEX xapi_statements_verb ON xapi_statements(provider_id, verb_hash, seq);
-- The agents and activities of a statement for the agent/activity filters: kind 'a' the
-- actor or agent object, 'r' an agent only related (authority, instructor, team, context
-- agents, sub-statement), 'o' the activity object, 'c' a related activity. key_hash is the
-- first 8 bytes of the SHA-256 of the identifier: ~20 bytes a row instead of ~60, and a
-- collision (2^-64 per pair) could only add a statement to a result, never hide one.
CREATE TABLE xapi_statement_keys (
	provider_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	key_hash INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	PRIMARY KEY (provider_id, kind, key_hash, seq)
) WITHOUT ROWID;

-- Attachments stored once by their SHA-2.
CREATE TABLE xapi_attachments (
	sha2 TEXT PRIMARY KEY,
	content_type TEXT NOT NULL,
	length INTEGER NOT NULL,
	content BLOB NOT NULL
);

-- State, activity profile and agent profile documents. Absent parts are ''.
CREATE TABLE xapi_documents (
	id INTEGER PRIMARY KEY,
	provider_id INTEGER NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('state', 'activity', 'agent')),
	activity_id TEXT NOT NULL DEFAULT '',
	agent_key TEXT NOT NULL DEFAULT '',
	registration TEXT NOT NULL DEFAULT '',
	doc_id TEXT NOT NULL,
	content_type TEXT NOT NULL,
	content BLOB NOT NULL,
	etag TEXT NOT NULL,
	updated TEXT NOT NULL,
	UNIQUE (provider_id, kind, activity_id, agent_key, registration, doc_id)
);

-- The latest definition seen of each activity (the Activities resource).
CREATE TABLE xapi_activities (
	provider_id INTEGER NOT NULL,
	id TEXT NOT NULL,
	definition_json TEXT NOT NULL,
	PRIMARY KEY (provider_id, id)
);

-- How a provider's learners are named: an account.homePage whose account.name is the codice
-- fiscale ('cf') or an id the provider registered ('registered').
CREATE TABLE xapi_homepages (
	provider_id INTEGER NOT NULL REFERENCES organisations(id),
	home_page TEXT NOT NULL,
	mode TEXT NOT NULL CHECK (mode IN ('cf', 'registered')),
	PRIMARY KEY (provider_id, home_page)
);
CREATE TABLE xapi_learners (
	provider_id INTEGER NOT NULL REFERENCES organisations(id),
	home_page TEXT NOT NULL,
	name TEXT NOT NULL,
	professional_id INTEGER NOT NULL REFERENCES professionals(id),
	PRIMARY KEY (provider_id, home_page, name)
);

-- Activities that stand for a catalogue edition, with the rule that completes it.
CREATE TABLE xapi_activity_map (
	provider_id INTEGER NOT NULL REFERENCES organisations(id),
	activity_id TEXT NOT NULL,
	edition_id INTEGER NOT NULL REFERENCES event_editions(id),
	verbs TEXT NOT NULL,
	min_score REAL,
	PRIMARY KEY (provider_id, activity_id)
);

-- What each statement wrote into the platform (or why it wrote nothing).
CREATE TABLE xapi_projections (
	statement_seq INTEGER PRIMARY KEY,
	provider_id INTEGER NOT NULL,
	statement_id TEXT NOT NULL,
	outcome TEXT NOT NULL,
	professional_id INTEGER,
	edition_id INTEGER,
	participation_id INTEGER,
	credits REAL NOT NULL DEFAULT 0,
	withdrawn INTEGER NOT NULL DEFAULT 0,
	at TEXT NOT NULL
);
CREATE INDEX xapi_projections_professional ON xapi_projections(professional_id);
