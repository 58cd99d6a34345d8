-- Open Badges 3.0: versioned achievements (one per portfolio line and level, or per ECM
-- event), the credentials issued to professionals with their VC-JWT and their index in the
-- revocation BitstringStatusList. Keep in step with ../postgres/0810_badges.sql: only id
-- columns and types differ.
CREATE TABLE badge_achievements (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	source_key TEXT NOT NULL,
	version INTEGER NOT NULL,
	body TEXT NOT NULL,
	body_hash TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	UNIQUE (kind, source_key, version)
);
CREATE TABLE badge_credentials (
	id INTEGER PRIMARY KEY,
	uuid TEXT NOT NULL UNIQUE,
	professional_id INTEGER NOT NULL REFERENCES professionals(id),
	region_id INTEGER NOT NULL,
	organisation_id INTEGER,
	kind TEXT NOT NULL,
	source_ref TEXT NOT NULL,
	achievement_id INTEGER NOT NULL REFERENCES badge_achievements(id),
	status_index INTEGER NOT NULL UNIQUE,
	name TEXT NOT NULL,
	body TEXT NOT NULL,
	jwt TEXT NOT NULL,
	share_token TEXT NOT NULL UNIQUE,
	issued_at TIMESTAMP NOT NULL,
	revoked_at TIMESTAMP,
	revoke_reason TEXT NOT NULL DEFAULT '',
	UNIQUE (professional_id, kind, source_ref)
);
CREATE INDEX badge_credentials_scope ON badge_credentials(region_id, organisation_id);
