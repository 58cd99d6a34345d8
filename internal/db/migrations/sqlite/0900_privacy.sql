-- Requests to erase or pseudonymise a professional's data (GDPR art. 17), reviewed and
-- executed by national governance. Keep in step with ../postgres/0900_privacy.sql: only id
-- columns and types differ. result_json holds counts only, never personal data, so the row
-- can outlive the erasure it records.
CREATE TABLE privacy_requests (
	id INTEGER PRIMARY KEY,
	professional_id INTEGER NOT NULL REFERENCES professionals(id),
	state TEXT NOT NULL CHECK (state IN ('requested', 'rejected', 'executed')),
	reason TEXT NOT NULL,
	requested_by TEXT NOT NULL,
	requested_at TIMESTAMP NOT NULL,
	reviewed_by TEXT NOT NULL DEFAULT '',
	reviewed_at TIMESTAMP,
	review_note TEXT NOT NULL DEFAULT '',
	pseudonym TEXT NOT NULL DEFAULT '',
	result_json TEXT NOT NULL DEFAULT ''
);
CREATE INDEX privacy_requests_professional ON privacy_requests(professional_id);
CREATE INDEX privacy_requests_state ON privacy_requests(state, id);
