-- Portfolio of digital competences (Disegno): versioned frameworks, their scales and the
-- tree Dimension → Ambito (area) → Linea (line), level descriptors and crosswalks.
-- Keep in step with ../postgres/0100_portfolio.sql.
CREATE TABLE framework_versions (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL,
	version TEXT NOT NULL,
	title_it TEXT NOT NULL,
	title_en TEXT NOT NULL DEFAULT '',
	description_it TEXT NOT NULL DEFAULT '',
	description_en TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	illustrative BOOLEAN NOT NULL DEFAULT FALSE,
	based_on_id INTEGER REFERENCES framework_versions(id),
	source TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	published_at TIMESTAMP,
	retired_at TIMESTAMP,
	UNIQUE (code, version)
);
CREATE TABLE scale_levels (
	framework_id INTEGER NOT NULL REFERENCES framework_versions(id) ON DELETE CASCADE,
	level INTEGER NOT NULL,
	code TEXT NOT NULL,
	label_it TEXT NOT NULL,
	label_en TEXT NOT NULL DEFAULT '',
	descriptor_it TEXT NOT NULL DEFAULT '',
	descriptor_en TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (framework_id, level)
);
CREATE TABLE framework_items (
	id INTEGER PRIMARY KEY,
	framework_id INTEGER NOT NULL REFERENCES framework_versions(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	code TEXT NOT NULL,
	parent_id INTEGER REFERENCES framework_items(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	title_it TEXT NOT NULL,
	title_en TEXT NOT NULL DEFAULT '',
	description_it TEXT NOT NULL DEFAULT '',
	description_en TEXT NOT NULL DEFAULT '',
	search_text TEXT NOT NULL DEFAULT '',
	UNIQUE (framework_id, code)
);
CREATE INDEX framework_items_parent ON framework_items(parent_id, position);
CREATE INDEX framework_items_kind ON framework_items(framework_id, kind, position);
CREATE TABLE line_levels (
	item_id INTEGER NOT NULL REFERENCES framework_items(id) ON DELETE CASCADE,
	level INTEGER NOT NULL,
	descriptor_it TEXT NOT NULL,
	descriptor_en TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (item_id, level)
);
CREATE TABLE crosswalks (
	id INTEGER PRIMARY KEY,
	item_id INTEGER NOT NULL REFERENCES framework_items(id) ON DELETE CASCADE,
	scheme TEXT NOT NULL,
	target_code TEXT NOT NULL,
	target_label TEXT NOT NULL DEFAULT '',
	relation TEXT NOT NULL,
	UNIQUE (item_id, scheme, target_code)
);
