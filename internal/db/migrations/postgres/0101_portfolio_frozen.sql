-- Portfolio, second step: where an imported item came from, and the database's own guard
-- that a published or retired framework version never changes (the services check first
-- and answer with a clear error; these triggers are the backstop for any other writer).
-- Keep in step with ../sqlite/0101_portfolio_frozen.sql.
ALTER TABLE framework_items ADD COLUMN source_ref TEXT NOT NULL DEFAULT '';

CREATE FUNCTION portfolio_version_state(fid BIGINT) RETURNS TEXT LANGUAGE sql STABLE AS $$
	SELECT state FROM framework_versions WHERE id = fid $$;
CREATE FUNCTION portfolio_item_state(iid BIGINT) RETURNS TEXT LANGUAGE sql STABLE AS $$
	SELECT v.state FROM framework_items i JOIN framework_versions v ON v.id = i.framework_id WHERE i.id = iid $$;

CREATE FUNCTION framework_versions_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		IF OLD.state <> 'draft' THEN
			RAISE EXCEPTION 'framework version is not a draft: published versions are immutable';
		END IF;
		RETURN OLD;
	END IF;
	IF OLD.state <> 'draft' AND (NEW.code IS DISTINCT FROM OLD.code OR NEW.version IS DISTINCT FROM OLD.version
		OR NEW.title_it IS DISTINCT FROM OLD.title_it OR NEW.title_en IS DISTINCT FROM OLD.title_en
		OR NEW.description_it IS DISTINCT FROM OLD.description_it OR NEW.description_en IS DISTINCT FROM OLD.description_en
		OR NEW.illustrative IS DISTINCT FROM OLD.illustrative OR NEW.based_on_id IS DISTINCT FROM OLD.based_on_id
		OR NEW.source IS DISTINCT FROM OLD.source OR NEW.created_at IS DISTINCT FROM OLD.created_at
		OR NEW.published_at IS DISTINCT FROM OLD.published_at OR (OLD.state = 'retired' AND NEW.state <> 'retired')
		OR (OLD.state = 'published' AND NEW.state NOT IN ('published', 'retired'))) THEN
		RAISE EXCEPTION 'framework version is not a draft: published versions are immutable';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER framework_versions_frozen BEFORE UPDATE OR DELETE ON framework_versions
	FOR EACH ROW EXECUTE FUNCTION framework_versions_frozen();

CREATE FUNCTION scale_levels_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (TG_OP IN ('UPDATE', 'DELETE') AND portfolio_version_state(OLD.framework_id) <> 'draft')
		OR (TG_OP IN ('INSERT', 'UPDATE') AND portfolio_version_state(NEW.framework_id) <> 'draft') THEN
		RAISE EXCEPTION 'framework version is not a draft: published versions are immutable';
	END IF;
	IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER scale_levels_frozen BEFORE INSERT OR UPDATE OR DELETE ON scale_levels
	FOR EACH ROW EXECUTE FUNCTION scale_levels_frozen();

CREATE FUNCTION framework_items_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (TG_OP IN ('UPDATE', 'DELETE') AND portfolio_version_state(OLD.framework_id) <> 'draft')
		OR (TG_OP IN ('INSERT', 'UPDATE') AND portfolio_version_state(NEW.framework_id) <> 'draft') THEN
		RAISE EXCEPTION 'framework version is not a draft: published versions are immutable';
	END IF;
	IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER framework_items_frozen BEFORE INSERT OR UPDATE OR DELETE ON framework_items
	FOR EACH ROW EXECUTE FUNCTION framework_items_frozen();

CREATE FUNCTION portfolio_line_rows_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (TG_OP IN ('UPDATE', 'DELETE') AND portfolio_item_state(OLD.item_id) <> 'draft')
		OR (TG_OP IN ('INSERT', 'UPDATE') AND portfolio_item_state(NEW.item_id) <> 'draft') THEN
		RAISE EXCEPTION 'framework version is not a draft: published versions are immutable';
	END IF;
	IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER line_levels_frozen BEFORE INSERT OR UPDATE OR DELETE ON line_levels
	FOR EACH ROW EXECUTE FUNCTION portfolio_line_rows_frozen();
CREATE TRIGGER crosswalks_frozen BEFORE INSERT OR UPDATE OR DELETE ON crosswalks
	FOR EACH ROW EXECUTE FUNCTION portfolio_line_rows_frozen();
