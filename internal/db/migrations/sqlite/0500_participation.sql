-- Participation (Esecuzione): enrolments, attendance and completions of professionals in event
-- editions, and the providers' participation reports (rapporto evento) they came from.
-- Keep in step with ../postgres/0500_participation.sql: only id columns and types differ.
--
-- One row per professional and edition, from enrolment to completion: the rapporto evento
-- allows a codice fiscale once per event, so a person has one role in an edition. The
-- professional's region and organisation are copied at write time so scope checks and the
-- compliance pages of an organisation need no join (and a move keeps past training where
-- it was done).
CREATE TABLE participations (
	id INTEGER PRIMARY KEY,
	edition_id INTEGER NOT NULL REFERENCES event_editions(id) ON DELETE CASCADE,
	event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	professional_id INTEGER NOT NULL REFERENCES professionals(id),
	region_id INTEGER NOT NULL,
	organisation_id INTEGER,
	-- enrolled, waitlisted, cancelled, completed (credits earned), failed (attended without
	-- the credits: test under 75 %, attendance short), absent
	state TEXT NOT NULL,
	waitlist_seq INTEGER,
	-- P partecipante, D docente, T tutor, R relatore
	role TEXT NOT NULL DEFAULT 'P',
	-- lib_dip of the report: L libero professionista, D dipendente, C convenzionato, P privo di occupazione
	employment TEXT NOT NULL DEFAULT '',
	recruited BOOLEAN NOT NULL DEFAULT FALSE,
	sponsor TEXT NOT NULL DEFAULT '',
	attended_hours REAL NOT NULL DEFAULT 0,
	fad_completed BOOLEAN NOT NULL DEFAULT FALSE,
	-- share of right answers of the learning test, 0..1; NULL = not taken
	test_score REAL,
	questionnaire BOOLEAN NOT NULL DEFAULT FALSE,
	credits REAL NOT NULL DEFAULT 0,
	-- data_acq: the day the credits were earned, YYYY-MM-DD
	completed_on TEXT NOT NULL DEFAULT '',
	-- the lines this participation moved, packed "D4.A1.L03 1 2" (line, from, to) per line
	lines_moved TEXT NOT NULL DEFAULT '',
	-- the profession.discipline groups the provider reported, "1.58:14.85"
	professions TEXT NOT NULL DEFAULT '',
	-- self, organisation, provider, report, api, seed
	source TEXT NOT NULL,
	report_id INTEGER,
	enrolled_by TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	UNIQUE (edition_id, professional_id)
);
CREATE INDEX participations_professional ON participations(professional_id, completed_on);
CREATE INDEX participations_event ON participations(event_id);
CREATE INDEX participations_scope ON participations(region_id, organisation_id);
-- Attendance of RES sessions: one row per participation and day.
CREATE TABLE participation_sessions (
	participation_id INTEGER NOT NULL REFERENCES participations(id) ON DELETE CASCADE,
	session_date TEXT NOT NULL,
	hours REAL NOT NULL,
	recorded_by TEXT NOT NULL DEFAULT '',
	recorded_at TIMESTAMP NOT NULL,
	PRIMARY KEY (participation_id, session_date)
);
-- Each accepted participation report. A corrected report of the same edition supersedes the
-- earlier one (state 'superseded', superseded_by set) and keeps the difference it made.
CREATE TABLE participation_reports (
	id INTEGER PRIMARY KEY,
	event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	edition_id INTEGER NOT NULL REFERENCES event_editions(id) ON DELETE CASCADE,
	provider_id INTEGER NOT NULL REFERENCES organisations(id),
	format TEXT NOT NULL,
	file_name TEXT NOT NULL DEFAULT '',
	sha256 TEXT NOT NULL,
	participants INTEGER NOT NULL,
	created_professionals INTEGER NOT NULL DEFAULT 0,
	created_event BOOLEAN NOT NULL DEFAULT FALSE,
	state TEXT NOT NULL,
	superseded_by INTEGER,
	diff_json TEXT NOT NULL DEFAULT '',
	imported_by TEXT NOT NULL DEFAULT '',
	imported_at TIMESTAMP NOT NULL
);
CREATE INDEX participation_reports_edition ON participation_reports(edition_id, id);
-- A professional created from a report (not yet known to the registry) is 'pending' until an
-- HR import or an edit confirms them; everyone else is 'active'.
ALTER TABLE professionals ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
-- 'report' for an event created from a participation report's own fields.
ALTER TABLE events ADD COLUMN origin TEXT NOT NULL DEFAULT '';
