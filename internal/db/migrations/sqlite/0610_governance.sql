-- Governance cycle (Sistema di Governo) and planning targets (Pianificazione), with the
-- in-platform notifications and the e-mail queue. Keep in step with
-- ../postgres/0610_governance.sql: only id columns and types differ.

-- A cycle (e.g. the ECM triennium 2026–2028) and its phases in order: the order is data,
-- since the programme's documents list the phases in two orders.
CREATE TABLE governance_cycles (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	title_it TEXT NOT NULL,
	title_en TEXT NOT NULL,
	starts_on DATE NOT NULL,
	ends_on DATE NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE TABLE governance_phases (
	cycle_id INTEGER NOT NULL REFERENCES governance_cycles(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	code TEXT NOT NULL,
	owner TEXT NOT NULL,
	PRIMARY KEY (cycle_id, position),
	UNIQUE (cycle_id, code)
);
-- Where each track stands: the nation (region_id 0) and each region. position is the phase
-- the track is in; one past the last phase means the track's cycle is closed.
CREATE TABLE governance_tracks (
	cycle_id INTEGER NOT NULL REFERENCES governance_cycles(id) ON DELETE CASCADE,
	region_id INTEGER NOT NULL,
	position INTEGER NOT NULL,
	since TIMESTAMP NOT NULL,
	PRIMARY KEY (cycle_id, region_id)
);
-- Approvals: who closed which phase of which track, when, with a note and the artefacts
-- as they were (JSON).
CREATE TABLE governance_approvals (
	id INTEGER PRIMARY KEY,
	cycle_id INTEGER NOT NULL REFERENCES governance_cycles(id) ON DELETE CASCADE,
	region_id INTEGER NOT NULL,
	phase TEXT NOT NULL,
	user_id INTEGER,
	username TEXT NOT NULL,
	role TEXT NOT NULL,
	note TEXT NOT NULL,
	artefacts TEXT NOT NULL DEFAULT '',
	approved_at TIMESTAMP NOT NULL
);
CREATE INDEX governance_approvals_track ON governance_approvals(cycle_id, region_id, id);

-- Targets: a population filter (0 / '' = any), a measure, a threshold and a deadline.
-- parent_id is the target a regional or organisational target refines (only upwards).
-- level and item apply to the level measure. owner_region_id / owner_organisation_id say who
-- set it (both 0: national governance).
CREATE TABLE governance_targets (
	id INTEGER PRIMARY KEY,
	cycle_id INTEGER REFERENCES governance_cycles(id),
	parent_id INTEGER REFERENCES governance_targets(id),
	title TEXT NOT NULL,
	owner_region_id INTEGER NOT NULL DEFAULT 0,
	owner_organisation_id INTEGER NOT NULL DEFAULT 0,
	region_id INTEGER NOT NULL DEFAULT 0,
	organisation_id INTEGER NOT NULL DEFAULT 0,
	organisation_kind TEXT NOT NULL DEFAULT '',
	profession_code INTEGER NOT NULL DEFAULT 0,
	persona_id INTEGER NOT NULL DEFAULT 0,
	care_setting TEXT NOT NULL DEFAULT '',
	measure TEXT NOT NULL,
	item TEXT NOT NULL DEFAULT '',
	level INTEGER NOT NULL DEFAULT 0,
	threshold REAL NOT NULL,
	deadline DATE NOT NULL,
	state TEXT NOT NULL DEFAULT '',
	state_at TIMESTAMP,
	created_by TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX governance_targets_parent ON governance_targets(parent_id);
-- Measurements over time: one row per target, day and cell. region_id -1 is the whole
-- target population; organisation_id -1 a region's total, 0 professionals with no
-- organisation. source: 'snapshot' (current levels) or 'evidence' (recomputed back in time
-- from the dated evidence).
CREATE TABLE governance_measurements (
	target_id INTEGER NOT NULL REFERENCES governance_targets(id) ON DELETE CASCADE,
	day DATE NOT NULL,
	region_id INTEGER NOT NULL,
	organisation_id INTEGER NOT NULL,
	population INTEGER NOT NULL,
	reached INTEGER NOT NULL,
	source TEXT NOT NULL,
	PRIMARY KEY (target_id, region_id, organisation_id, day)
);

-- In-platform notifications per account, and where to e-mail them.
CREATE TABLE notifications (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	subject_it TEXT NOT NULL,
	subject_en TEXT NOT NULL,
	body_it TEXT NOT NULL,
	body_en TEXT NOT NULL,
	link TEXT NOT NULL DEFAULT '',
	dedup TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	read_at TIMESTAMP,
	UNIQUE (user_id, dedup)
);
CREATE INDEX notifications_user ON notifications(user_id, read_at, id);
CREATE TABLE notification_settings (
	user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	email TEXT NOT NULL DEFAULT '',
	updated_at TIMESTAMP NOT NULL
);
-- E-mail queue: written in the transaction that creates the notification, sent by a
-- background loop, so the request never waits for an SMTP server.
CREATE TABLE mail_queue (
	id INTEGER PRIMARY KEY,
	notification_id INTEGER REFERENCES notifications(id) ON DELETE SET NULL,
	to_addr TEXT NOT NULL,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_at TIMESTAMP NOT NULL,
	sent_at TIMESTAMP,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_queue_pending ON mail_queue(sent_at, next_at);
