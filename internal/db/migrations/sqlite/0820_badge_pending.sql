-- Badges pushed on achievement: a trigger writes a pending row in the same transaction that
-- achieves an objective or completes a participation, whatever path wrote it (service,
-- import, rule, SQL), so the work cannot be lost; the badge worker drains the table, issuing
-- the credential and notifying the professional. Only professionals with an account are
-- queued: the others receive theirs at first login, when the wallet issues what is missing
-- (and a seeded registry of millions does not flood the revocation list). Keep in step with
-- ../postgres/0820_badge_pending.sql.
CREATE TABLE badge_pending (
	id INTEGER PRIMARY KEY,
	professional_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	source_ref TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
	UNIQUE (kind, source_ref)
);
CREATE INDEX users_professional ON users(professional_id) WHERE professional_id IS NOT NULL;
CREATE TRIGGER badge_pending_objective_insert AFTER INSERT ON objectives
WHEN NEW.state = 'achieved' AND EXISTS (SELECT 1 FROM users WHERE professional_id = NEW.professional_id)
BEGIN
	INSERT OR IGNORE INTO badge_pending (professional_id, kind, source_ref) VALUES (NEW.professional_id, 'objective', CAST(NEW.id AS TEXT));
END;
CREATE TRIGGER badge_pending_objective_update AFTER UPDATE OF state ON objectives
WHEN NEW.state = 'achieved' AND OLD.state <> 'achieved' AND EXISTS (SELECT 1 FROM users WHERE professional_id = NEW.professional_id)
BEGIN
	INSERT OR IGNORE INTO badge_pending (professional_id, kind, source_ref) VALUES (NEW.professional_id, 'objective', CAST(NEW.id AS TEXT));
END;
CREATE TRIGGER badge_pending_participation_insert AFTER INSERT ON participations
WHEN NEW.state = 'completed' AND EXISTS (SELECT 1 FROM users WHERE professional_id = NEW.professional_id)
BEGIN
	INSERT OR IGNORE INTO badge_pending (professional_id, kind, source_ref) VALUES (NEW.professional_id, 'training', CAST(NEW.id AS TEXT));
END;
CREATE TRIGGER badge_pending_participation_update AFTER UPDATE OF state ON participations
WHEN NEW.state = 'completed' AND OLD.state <> 'completed' AND EXISTS (SELECT 1 FROM users WHERE professional_id = NEW.professional_id)
BEGIN
	INSERT OR IGNORE INTO badge_pending (professional_id, kind, source_ref) VALUES (NEW.professional_id, 'training', CAST(NEW.id AS TEXT));
END;
