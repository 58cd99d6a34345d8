-- Achievement rules of an organisation: "an objective in line L is achieved when the
-- professional completes an event mapped to L (this event, at least N credits)", for
-- organisations that recognise a course as meeting the objective whatever the level the
-- evidence weights give. Applied to completions recorded after the rule is created.
-- Keep in step with ../postgres/0204_objective_rules.sql.
CREATE TABLE objective_rules (
	id INTEGER PRIMARY KEY,
	organisation_id INTEGER NOT NULL REFERENCES organisations(id),
	line_code TEXT NOT NULL DEFAULT '',
	event_code TEXT NOT NULL DEFAULT '',
	min_credits REAL NOT NULL DEFAULT 0,
	note TEXT NOT NULL DEFAULT '',
	active BOOLEAN NOT NULL DEFAULT 1,
	created_by TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	retired_at TIMESTAMP
);
CREATE INDEX objective_rules_org ON objective_rules(organisation_id, active);

-- Which rule achieved an objective (NULL: the level was reached, or a person marked it).
ALTER TABLE objectives ADD COLUMN achieved_rule_id INTEGER REFERENCES objective_rules(id);
