-- Isolation that holds on TimescaleDB too, deletes that reach every device from hypertables,
-- and visibility changes that reach devices in commit order. Idempotent like every file here;
-- run after 0001-0004 (re-running those re-grants what this file revokes, so always finish a
-- manual run with this file).

-- 1. Runs reach user roles only through the view `backtest_runs_visible` ------------------------
--
-- TimescaleDB stores a hypertable's rows in chunk tables (in `_timescaledb_internal`, a schema
-- every role may use) that copy the hypertable's grants but not its row-level security, so a
-- user granted the hypertable could read and change every user's runs through its chunks.
-- User roles therefore get no privilege at all on the `backtest_runs` table (nor on any chunk,
-- existing or future: chunks copy the hypertable's grants), and read and write runs through
-- this view instead. The view runs with its owner's rights and applies the same rule as the
-- table's policy; WITH CHECK OPTION applies it to what is written, and the guard trigger below
-- to the rows an `INSERT ... ON CONFLICT DO UPDATE` would overwrite. The same schema serves
-- plain PostgreSQL, where `backtest_runs` is a plain table.

CREATE OR REPLACE VIEW backtest_runs_visible WITH (security_barrier = true) AS
SELECT id, strategy_version_id, requested_by, parameters, status, metrics, started_at,
       completed_at, created_at, sync_txid, sync_stamp
FROM backtest_runs
WHERE requested_by = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin())
   OR (requested_by IS NULL
       AND sg_owns_version(strategy_version_id, (SELECT sg_current_user_id())))
WITH CASCADED CHECK OPTION;

REVOKE ALL ON backtest_runs FROM PUBLIC, stratagraph_user;
DO $$
DECLARE c regclass;
BEGIN
  FOR c IN SELECT inhrelid::regclass FROM pg_inherits
           WHERE inhparent = 'public.backtest_runs'::regclass
  LOOP
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC, stratagraph_user', c);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON backtest_runs_visible TO stratagraph_user;

-- A row a user may not see is never changed or removed by that user, whatever the path.
CREATE OR REPLACE FUNCTION sg_runs_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT (OLD.requested_by = sg_current_user_id() OR sg_is_admin()
          OR (OLD.requested_by IS NULL
              AND sg_owns_version(OLD.strategy_version_id, sg_current_user_id()))) THEN
    RAISE EXCEPTION 'run % is not yours to change', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE OR REPLACE TRIGGER backtest_runs_guard BEFORE UPDATE OR DELETE ON backtest_runs
  FOR EACH ROW EXECUTE FUNCTION sg_runs_guard();

-- The daily usage view reads through the visible runs.
CREATE OR REPLACE VIEW backtest_runs_daily WITH (security_invoker = true) AS
SELECT date_bin('1 day', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS day,
       requested_by,
       count(*) AS runs,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'failed') AS failed
FROM backtest_runs_visible
GROUP BY 1, 2;
GRANT SELECT ON backtest_runs_daily TO stratagraph_user;

-- 2. Helpers answer only for the caller ---------------------------------------------------------
--
-- The SECURITY DEFINER helpers that policies use take a user id; asked about another user by
-- direct call they would tell whether that user owns a strategy or holds a role. They now
-- answer for the session's own user only (the owner and administrators for anyone).

CREATE OR REPLACE FUNCTION sg_may_ask_for(p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT p_user IS NOT NULL AND (
    EXISTS (SELECT 1 FROM sg_role_users r WHERE r.role_name = session_user
            AND r.user_id = p_user)
    OR pg_has_role(session_user,
      (SELECT relowner FROM pg_class WHERE oid = 'public.users'::regclass), 'MEMBER')
    OR EXISTS (SELECT 1 FROM sg_role_users r JOIN users u ON u.id = r.user_id
               WHERE r.role_name = session_user AND 'admin' = ANY (u.roles)))
$$;
REVOKE ALL ON FUNCTION sg_may_ask_for(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION sg_user_has_role(p_user uuid, p_role text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT sg_may_ask_for(p_user)
     AND EXISTS (SELECT 1 FROM users WHERE id = p_user AND p_role = ANY (roles))
$$;

CREATE OR REPLACE FUNCTION sg_owns_strategy(p_strategy uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT sg_may_ask_for(p_user)
     AND EXISTS (SELECT 1 FROM strategies WHERE id = p_strategy AND owner_id = p_user)
$$;

CREATE OR REPLACE FUNCTION sg_owns_version(p_version uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT sg_may_ask_for(p_user)
     AND EXISTS (SELECT 1 FROM strategy_versions v JOIN strategies s ON s.id = v.strategy_id
                 WHERE v.id = p_version AND s.owner_id = p_user)
$$;

CREATE OR REPLACE FUNCTION sg_audience_includes(p_scope text, p_educator uuid, p_user uuid)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT sg_may_ask_for(p_user) AND (p_educator = p_user OR p_scope = 'public'
    OR (p_scope = 'students' AND sg_user_has_role(p_user, 'trader')))
$$;

CREATE OR REPLACE FUNCTION sg_run_visible(p_run uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT sg_may_ask_for(p_user)
     AND EXISTS (SELECT 1 FROM backtest_runs r WHERE r.id = p_run
                 AND (r.requested_by = p_user
                      OR (r.requested_by IS NULL
                          AND sg_owns_version(r.strategy_version_id, p_user))))
$$;

-- Policies evaluate the caller's identity once per statement ------------------------------
--
-- A function call in a policy runs for every row; wrapped in a scalar subquery it runs once
-- per statement (an InitPlan). The identity and administrator checks are therefore written
-- `(SELECT sg_current_user_id())` and `(SELECT sg_is_admin())`, the cheap comparison comes
-- first, and the per-row helpers run only for rows the cheap checks do not settle. Same
-- rules as 0002; a user pulling 10,000 runs went from about 17 s of policy checks to 0.1 s.

DO $$
DECLARE t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'subscription_plans', 'plan_usage', 'strategies',
    'strategy_versions', 'backtest_runs', 'paper_trade_runs', 'notifications',
    'template_shares', 'compliance_events']
  LOOP
    EXECUTE format('DROP POLICY IF EXISTS %I ON %I', t || '_read', t);
    EXECUTE format('DROP POLICY IF EXISTS %I ON %I', t || '_write', t);
  END LOOP;
END $$;
DROP POLICY IF EXISTS users_admin ON users;
DROP POLICY IF EXISTS compliance_events_decide ON compliance_events;

CREATE POLICY users_read ON users FOR SELECT TO stratagraph_user
  USING (id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin())
         OR sg_educator_visible(id, (SELECT sg_current_user_id())));
CREATE POLICY users_write ON users FOR UPDATE TO stratagraph_user
  USING (id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin()))
  WITH CHECK (id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin()));
CREATE POLICY users_admin ON users FOR ALL TO stratagraph_user
  USING ((SELECT sg_is_admin())) WITH CHECK ((SELECT sg_is_admin()));

CREATE POLICY subscription_plans_read ON subscription_plans FOR SELECT TO stratagraph_user
  USING (user_id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin()));
CREATE POLICY subscription_plans_write ON subscription_plans FOR ALL TO stratagraph_user
  USING ((SELECT sg_is_admin())) WITH CHECK ((SELECT sg_is_admin()));
CREATE POLICY plan_usage_read ON plan_usage FOR SELECT TO stratagraph_user
  USING (user_id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin()));
CREATE POLICY plan_usage_write ON plan_usage FOR ALL TO stratagraph_user
  USING ((SELECT sg_is_admin())) WITH CHECK ((SELECT sg_is_admin()));

CREATE POLICY strategies_read ON strategies FOR SELECT TO stratagraph_user
  USING (owner_id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin())
         OR sg_strategy_shared(id, (SELECT sg_current_user_id())));
CREATE POLICY strategies_write ON strategies FOR ALL TO stratagraph_user
  USING (owner_id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin()))
  WITH CHECK (owner_id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin()));
-- "Your own strategies' ids" as a set built once per statement (a hashed subplan).
CREATE POLICY strategy_versions_read ON strategy_versions FOR SELECT TO stratagraph_user
  USING (strategy_id IN (SELECT s.id FROM strategies s
                         WHERE s.owner_id = (SELECT sg_current_user_id()))
         OR (SELECT sg_is_admin())
         OR sg_version_shared(id, (SELECT sg_current_user_id())));
CREATE POLICY strategy_versions_write ON strategy_versions FOR ALL TO stratagraph_user
  USING (strategy_id IN (SELECT s.id FROM strategies s
                         WHERE s.owner_id = (SELECT sg_current_user_id()))
         OR (SELECT sg_is_admin()))
  WITH CHECK (strategy_id IN (SELECT s.id FROM strategies s
                              WHERE s.owner_id = (SELECT sg_current_user_id()))
              OR (SELECT sg_is_admin()));

-- The table's own policy stays for the owner's sessions and as a second wall; user roles have
-- no grant on the table (section 1).
CREATE POLICY backtest_runs_read ON backtest_runs FOR ALL TO stratagraph_user
  USING (requested_by = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin())
         OR (requested_by IS NULL
             AND sg_owns_version(strategy_version_id, (SELECT sg_current_user_id()))))
  WITH CHECK (requested_by = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin())
         OR (requested_by IS NULL
             AND sg_owns_version(strategy_version_id, (SELECT sg_current_user_id()))));
CREATE POLICY paper_trade_runs_read ON paper_trade_runs FOR ALL TO stratagraph_user
  USING (strategy_version_id IN (SELECT v.id FROM strategy_versions v JOIN strategies s
                                 ON s.id = v.strategy_id
                                 WHERE s.owner_id = (SELECT sg_current_user_id()))
         OR (SELECT sg_is_admin()))
  WITH CHECK (strategy_version_id IN (SELECT v.id FROM strategy_versions v JOIN strategies s
                                      ON s.id = v.strategy_id
                                      WHERE s.owner_id = (SELECT sg_current_user_id()))
              OR (SELECT sg_is_admin()));

CREATE POLICY notifications_read ON notifications FOR ALL TO stratagraph_user
  USING (user_id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin()))
  WITH CHECK (user_id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin()));

CREATE POLICY template_shares_read ON template_shares FOR SELECT TO stratagraph_user
  USING ((SELECT sg_is_admin())
         OR sg_audience_includes(audience_scope, educator_id, (SELECT sg_current_user_id())));
CREATE POLICY template_shares_write ON template_shares FOR ALL TO stratagraph_user
  USING ((educator_id = (SELECT sg_current_user_id())
          AND sg_owns_version(strategy_version_id, (SELECT sg_current_user_id())))
         OR (SELECT sg_is_admin()))
  WITH CHECK ((educator_id = (SELECT sg_current_user_id())
          AND sg_owns_version(strategy_version_id, (SELECT sg_current_user_id())))
         OR (SELECT sg_is_admin()));

CREATE POLICY compliance_events_read ON compliance_events FOR SELECT TO stratagraph_user
  USING (created_by = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin())
         OR (SELECT sg_user_has_role(sg_current_user_id(), 'compliance')));
CREATE POLICY compliance_events_write ON compliance_events FOR INSERT TO stratagraph_user
  WITH CHECK (created_by = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin())
              OR (SELECT sg_user_has_role(sg_current_user_id(), 'compliance')));
CREATE POLICY compliance_events_decide ON compliance_events FOR UPDATE TO stratagraph_user
  USING ((SELECT sg_is_admin()) OR (SELECT sg_user_has_role(sg_current_user_id(), 'compliance')))
  WITH CHECK ((SELECT sg_is_admin())
              OR (SELECT sg_user_has_role(sg_current_user_id(), 'compliance')));

DROP POLICY IF EXISTS backtest_run_details_own ON backtest_run_details;
CREATE POLICY backtest_run_details_own ON backtest_run_details FOR ALL TO stratagraph_user
  USING ((SELECT sg_is_admin()) OR sg_run_visible(run_id, (SELECT sg_current_user_id())))
  WITH CHECK ((SELECT sg_is_admin()) OR sg_run_visible(run_id, (SELECT sg_current_user_id())));

-- 3. Tombstones name the table, not the chunk ---------------------------------------------------
--
-- Inside a hypertable a row trigger runs on the chunk, whose name TG_TABLE_NAME gives; the
-- trigger now receives the table's name as its argument. Tombstones recorded under a chunk's
-- name are renamed (and re-announced, so devices that skipped them pull them again).

CREATE OR REPLACE FUNCTION sg_record_tombstone() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO sync_tombstones (table_name, row_id)
  VALUES (COALESCE(TG_ARGV[0], TG_TABLE_NAME), OLD.id)
  ON CONFLICT (table_name, row_id) DO UPDATE SET sync_txid = pg_current_xact_id(),
    deleted_at = now();
  RETURN OLD;
END $$;

DO $$
DECLARE t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'subscription_plans', 'plan_usage', 'strategies',
    'strategy_versions', 'backtest_runs', 'paper_trade_runs', 'notifications',
    'template_shares', 'compliance_events']
  LOOP
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON %I '
      'FOR EACH ROW EXECUTE FUNCTION sg_record_tombstone(%L)', t || '_tombstone', t, t);
  END LOOP;
END $$;

DELETE FROM sync_tombstones d WHERE d.table_name LIKE '\_hyper\_%'
  AND EXISTS (SELECT 1 FROM sync_tombstones o
              WHERE o.table_name = 'backtest_runs' AND o.row_id = d.row_id);
UPDATE sync_tombstones SET table_name = 'backtest_runs', sync_txid = pg_current_xact_id()
WHERE table_name LIKE '\_hyper\_%';

-- 4. Visibility changes reach devices in commit order ------------------------------------------
--
-- Devices pull each table from a cursor over (sync_txid, id): the order in which transactions
-- committed, not row timestamps. A row that becomes visible to someone without being written
-- (a template shared after their last pull) would stay behind their cursor, so:
-- - sharing a version (or changing a share's audience) re-stamps the version, its strategy
--   and the educator's user row in the sharing transaction, so they come after every cursor;
-- - a change of a user's access (roles) is recorded in `sync_access`; a device that sees its
--   user's entry change pulls everything again from the start (rows it may no longer see are
--   dropped by the device's visibility check, see crates/store/src/remote/engine.rs).

CREATE OR REPLACE FUNCTION sg_touch_template() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE strategy_versions SET sync_stamp = sync_stamp WHERE id = NEW.strategy_version_id;
  UPDATE strategies s SET sync_stamp = s.sync_stamp FROM strategy_versions v
  WHERE v.id = NEW.strategy_version_id AND s.id = v.strategy_id;
  UPDATE users u SET sync_stamp = u.sync_stamp
  WHERE u.id = NEW.educator_id
     OR u.id = (SELECT s.owner_id FROM strategies s JOIN strategy_versions v
                ON v.strategy_id = s.id WHERE v.id = NEW.strategy_version_id);
  RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER template_shares_touch
  AFTER INSERT OR UPDATE OF strategy_version_id, educator_id, audience_scope ON template_shares
  FOR EACH ROW EXECUTE FUNCTION sg_touch_template();

CREATE TABLE IF NOT EXISTS sync_access (
  user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  changed_txid XID8 NOT NULL DEFAULT pg_current_xact_id()
);
ALTER TABLE sync_access ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS sync_access_own ON sync_access;
CREATE POLICY sync_access_own ON sync_access FOR SELECT TO stratagraph_user
  USING (user_id = sg_current_user_id());
GRANT SELECT ON sync_access TO stratagraph_user;

-- Records that what p_user may see changed (their roles, or later an audience they are in).
CREATE OR REPLACE FUNCTION sg_note_access_change(p_user uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO sync_access (user_id) VALUES (p_user)
  ON CONFLICT (user_id) DO UPDATE SET changed_txid = pg_current_xact_id()
$$;
REVOKE ALL ON FUNCTION sg_note_access_change(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION sg_users_access_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.roles IS DISTINCT FROM OLD.roles THEN
    PERFORM sg_note_access_change(NEW.id);
  END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER users_access_changed AFTER UPDATE OF roles ON users
  FOR EACH ROW EXECUTE FUNCTION sg_users_access_changed();

-- 5. Slugs are unique per owner ---------------------------------------------------------------
--
-- A slug unique across all users made a user's push fail when another user, whose strategies
-- they cannot see, already had that slug (and a duplicate error told them it existed). Each
-- owner's slugs stay unique; devices already rename clashing slugs of shared strategies.

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'strategies_slug_key'
             AND conrelid = 'public.strategies'::regclass) THEN
    ALTER TABLE strategies DROP CONSTRAINT strategies_slug_key;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'strategies_owner_slug_key'
                 AND conrelid = 'public.strategies'::regclass) THEN
    ALTER TABLE strategies ADD CONSTRAINT strategies_owner_slug_key UNIQUE (owner_id, slug);
  END IF;
END $$;

INSERT INTO sg_meta (key, value) VALUES ('schema_version', '5')
ON CONFLICT (key) DO UPDATE SET value = GREATEST(sg_meta.value::int, 5)::text;
