-- Certificates (attestati di partecipazione) of completed participations, with a public
-- verification code. Keep in step with ../postgres/0520_certificates.sql: only id columns and
-- types differ.
--
-- snapshot_json is what the certificate states, frozen at issue: a later change of the
-- participation revokes it and issues a new one, so a printed certificate always verifies
-- as what it says. region_id and organisation_id are the participation's scope, copied for
-- the scope checks.
CREATE TABLE certificates (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	participation_id INTEGER NOT NULL REFERENCES participations(id),
	professional_id INTEGER NOT NULL REFERENCES professionals(id),
	event_id INTEGER NOT NULL REFERENCES events(id),
	edition_id INTEGER NOT NULL REFERENCES event_editions(id),
	provider_id INTEGER NOT NULL REFERENCES organisations(id),
	region_id INTEGER NOT NULL,
	organisation_id INTEGER,
	issued_at TIMESTAMP NOT NULL,
	issued_by TEXT NOT NULL DEFAULT '',
	revoked_at TIMESTAMP,
	revoke_reason TEXT NOT NULL DEFAULT '',
	revoked_by TEXT NOT NULL DEFAULT '',
	snapshot_json TEXT NOT NULL
);
-- at most one live certificate per participation
CREATE UNIQUE INDEX certificates_live ON certificates(participation_id) WHERE revoked_at IS NULL;
CREATE INDEX certificates_professional ON certificates(professional_id, issued_at);
CREATE INDEX certificates_participation ON certificates(participation_id, id);
