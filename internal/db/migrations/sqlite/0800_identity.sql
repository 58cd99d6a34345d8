-- Identity: OIDC brokers (SPID/CIE behind regional brokers), login states, the pairwise
-- subjects per issuer, governance links of staff accounts, and the broker sessions needed to
-- log out at the broker. Keep in step with ../postgres/0800_identity.sql: only id columns and
-- types differ.
CREATE TABLE oidc_brokers (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	issuer TEXT NOT NULL,
	client_id TEXT NOT NULL,
	client_secret TEXT NOT NULL DEFAULT '',
	auth_method TEXT NOT NULL,
	scopes TEXT NOT NULL,
	claim_fiscal TEXT NOT NULL,
	claim_given TEXT NOT NULL,
	claim_family TEXT NOT NULL,
	claim_email TEXT NOT NULL,
	acr_map TEXT NOT NULL,
	min_level INTEGER NOT NULL,
	roles TEXT NOT NULL,
	algs TEXT NOT NULL,
	enabled BOOLEAN NOT NULL DEFAULT TRUE,
	source TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
-- One row per login in flight; the callback deletes it, so a state works once.
CREATE TABLE oidc_states (
	state_hash TEXT PRIMARY KEY,
	broker_id INTEGER NOT NULL REFERENCES oidc_brokers(id) ON DELETE CASCADE,
	nonce TEXT NOT NULL,
	verifier TEXT NOT NULL,
	next TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
-- The pairwise sub of each issuer, kept as a secondary key beside the fiscal code.
CREATE TABLE oidc_identities (
	broker_id INTEGER NOT NULL REFERENCES oidc_brokers(id) ON DELETE CASCADE,
	sub TEXT NOT NULL,
	cf TEXT NOT NULL,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at TIMESTAMP NOT NULL,
	last_login_at TIMESTAMP NOT NULL,
	PRIMARY KEY (broker_id, sub)
);
CREATE INDEX oidc_identities_cf ON oidc_identities(cf);
-- Staff accounts linked once to a fiscal code by national or regional governance.
CREATE TABLE oidc_links (
	cf TEXT PRIMARY KEY,
	user_id INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
	linked_by TEXT NOT NULL,
	linked_at TIMESTAMP NOT NULL
);
-- The broker behind a local session: logout ends it at the broker with the ID token as hint.
CREATE TABLE oidc_sessions (
	session_hash TEXT PRIMARY KEY,
	broker_id INTEGER NOT NULL REFERENCES oidc_brokers(id) ON DELETE CASCADE,
	id_token TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
-- Which roles may not log in with a password (national governance switches them off).
CREATE TABLE password_login_off (
	role TEXT PRIMARY KEY,
	set_by TEXT NOT NULL,
	set_at TIMESTAMP NOT NULL
);
-- Signing and encryption keys of the relying party (private_key_jwt, UserInfo JWE) and of the
-- badge issuer. A retired key stays published so what it signed still verifies.
CREATE TABLE identity_keys (
	kid TEXT PRIMARY KEY,
	purpose TEXT NOT NULL,
	alg TEXT NOT NULL,
	private_der BLOB NOT NULL,
	created_at TIMESTAMP NOT NULL,
	retired_at TIMESTAMP
);
