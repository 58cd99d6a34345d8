-- Portfolio, second step: where an imported item came from, and the database's own guard
-- that a published or retired framework version never changes (the services check first
-- and answer with a clear error; these triggers are the backstop for any other writer).
-- Keep in step with ../postgres/0101_portfolio_frozen.sql.
ALTER TABLE framework_items ADD COLUMN source_ref TEXT NOT NULL DEFAULT '';

CREATE TRIGGER framework_versions_frozen BEFORE UPDATE ON framework_versions
WHEN OLD.state <> 'draft' AND (NEW.code IS NOT OLD.code OR NEW.version IS NOT OLD.version
	OR NEW.title_it IS NOT OLD.title_it OR NEW.title_en IS NOT OLD.title_en
	OR NEW.description_it IS NOT OLD.description_it OR NEW.description_en IS NOT OLD.description_en
	OR NEW.illustrative IS NOT OLD.illustrative OR NEW.based_on_id IS NOT OLD.based_on_id
	OR NEW.source IS NOT OLD.source OR NEW.created_at IS NOT OLD.created_at
	OR NEW.published_at IS NOT OLD.published_at OR (OLD.state = 'retired' AND NEW.state <> 'retired')
	OR (OLD.state = 'published' AND NEW.state NOT IN ('published', 'retired')))
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;
CREATE TRIGGER framework_versions_frozen_delete BEFORE DELETE ON framework_versions
WHEN OLD.state <> 'draft'
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;

CREATE TRIGGER scale_levels_frozen_insert BEFORE INSERT ON scale_levels
WHEN (SELECT state FROM framework_versions WHERE id = NEW.framework_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;
CREATE TRIGGER scale_levels_frozen_update BEFORE UPDATE ON scale_levels
WHEN (SELECT state FROM framework_versions WHERE id = OLD.framework_id) <> 'draft'
	OR (SELECT state FROM framework_versions WHERE id = NEW.framework_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;
CREATE TRIGGER scale_levels_frozen_delete BEFORE DELETE ON scale_levels
WHEN (SELECT state FROM framework_versions WHERE id = OLD.framework_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;

CREATE TRIGGER framework_items_frozen_insert BEFORE INSERT ON framework_items
WHEN (SELECT state FROM framework_versions WHERE id = NEW.framework_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;
CREATE TRIGGER framework_items_frozen_update BEFORE UPDATE ON framework_items
WHEN (SELECT state FROM framework_versions WHERE id = OLD.framework_id) <> 'draft'
	OR (SELECT state FROM framework_versions WHERE id = NEW.framework_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;
CREATE TRIGGER framework_items_frozen_delete BEFORE DELETE ON framework_items
WHEN (SELECT state FROM framework_versions WHERE id = OLD.framework_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;

CREATE TRIGGER line_levels_frozen_insert BEFORE INSERT ON line_levels
WHEN (SELECT v.state FROM framework_items i JOIN framework_versions v ON v.id = i.framework_id WHERE i.id = NEW.item_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;
CREATE TRIGGER line_levels_frozen_update BEFORE UPDATE ON line_levels
WHEN (SELECT v.state FROM framework_items i JOIN framework_versions v ON v.id = i.framework_id WHERE i.id = OLD.item_id) <> 'draft'
	OR (SELECT v.state FROM framework_items i JOIN framework_versions v ON v.id = i.framework_id WHERE i.id = NEW.item_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;
CREATE TRIGGER line_levels_frozen_delete BEFORE DELETE ON line_levels
WHEN (SELECT v.state FROM framework_items i JOIN framework_versions v ON v.id = i.framework_id WHERE i.id = OLD.item_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;

CREATE TRIGGER crosswalks_frozen_insert BEFORE INSERT ON crosswalks
WHEN (SELECT v.state FROM framework_items i JOIN framework_versions v ON v.id = i.framework_id WHERE i.id = NEW.item_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;
CREATE TRIGGER crosswalks_frozen_update BEFORE UPDATE ON crosswalks
WHEN (SELECT v.state FROM framework_items i JOIN framework_versions v ON v.id = i.framework_id WHERE i.id = OLD.item_id) <> 'draft'
	OR (SELECT v.state FROM framework_items i JOIN framework_versions v ON v.id = i.framework_id WHERE i.id = NEW.item_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;
CREATE TRIGGER crosswalks_frozen_delete BEFORE DELETE ON crosswalks
WHEN (SELECT v.state FROM framework_items i JOIN framework_versions v ON v.id = i.framework_id WHERE i.id = OLD.item_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, 'framework version is not a draft: published versions are immutable'); END;
