-- Isolation on a shared server: one login role per user (members of the group role
-- `stratagraph_user`), mapped to a `users` row by `sg_role_users`, and row-level security on
-- every table. The role that owns the tables (the one running the migrations) bypasses RLS
-- and acts as administrator. Idempotent like every file here.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'stratagraph_user') THEN
    BEGIN
      CREATE ROLE stratagraph_user NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- another session created it concurrently
    END;
  END IF;
END $$;

-- Which login role is which user. A role sees only its own mapping.
CREATE TABLE IF NOT EXISTS sg_role_users (
  role_name NAME PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE
);
ALTER TABLE sg_role_users ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS sg_role_users_own ON sg_role_users;
CREATE POLICY sg_role_users_own ON sg_role_users FOR SELECT TO stratagraph_user
  USING (role_name = current_user);

-- Identity helpers ---------------------------------------------------------------------------

-- The user the connected role is mapped to (NULL for the owner and unmapped roles).
CREATE OR REPLACE FUNCTION sg_current_user_id() RETURNS uuid
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT user_id FROM sg_role_users WHERE role_name = current_user
$$;

-- Whether the connected role owns the schema (or is a superuser): it bypasses RLS anyway.
CREATE OR REPLACE FUNCTION sg_is_owner() RETURNS boolean
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT pg_has_role(current_user,
    (SELECT relowner FROM pg_class WHERE oid = 'public.users'::regclass), 'MEMBER')
$$;

-- The helpers below read across tables without RLS (SECURITY DEFINER) so that policies can
-- refer to each other without recursion; each takes the caller's user id explicitly.
CREATE OR REPLACE FUNCTION sg_user_has_role(p_user uuid, p_role text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM users WHERE id = p_user AND p_role = ANY (roles))
$$;

CREATE OR REPLACE FUNCTION sg_is_admin() RETURNS boolean
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT sg_is_owner() OR sg_user_has_role(sg_current_user_id(), 'admin')
$$;

CREATE OR REPLACE FUNCTION sg_owns_strategy(p_strategy uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM strategies WHERE id = p_strategy AND owner_id = p_user)
$$;

CREATE OR REPLACE FUNCTION sg_owns_version(p_version uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM strategy_versions v JOIN strategies s ON s.id = v.strategy_id
                 WHERE v.id = p_version AND s.owner_id = p_user)
$$;

-- A template is visible to its educator, to everyone when public, and to traders (students)
-- when shared with students.
CREATE OR REPLACE FUNCTION sg_audience_includes(p_scope text, p_educator uuid, p_user uuid)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT p_user IS NOT NULL AND (p_educator = p_user OR p_scope = 'public'
    OR (p_scope = 'students' AND sg_user_has_role(p_user, 'trader')))
$$;

CREATE OR REPLACE FUNCTION sg_version_shared(p_version uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM template_shares t WHERE t.strategy_version_id = p_version
                 AND sg_audience_includes(t.audience_scope, t.educator_id, p_user))
$$;

CREATE OR REPLACE FUNCTION sg_strategy_shared(p_strategy uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM strategy_versions v
                 JOIN template_shares t ON t.strategy_version_id = v.id
                 WHERE v.strategy_id = p_strategy
                 AND sg_audience_includes(t.audience_scope, t.educator_id, p_user))
$$;

CREATE OR REPLACE FUNCTION sg_educator_visible(p_educator uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM template_shares t WHERE t.educator_id = p_educator
                 AND sg_audience_includes(t.audience_scope, t.educator_id, p_user))
$$;

-- Nobody but an administrator changes ids, roles or plan tiers of users.
CREATE OR REPLACE FUNCTION sg_users_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT sg_is_admin() AND (NEW.id, NEW.roles, NEW.plan_tier)
      IS DISTINCT FROM (OLD.id, OLD.roles, OLD.plan_tier) THEN
    RAISE EXCEPTION 'only an administrator changes roles and plans'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER users_guard BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION sg_users_guard();

-- Policies -----------------------------------------------------------------------------------

DO $$
DECLARE t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'subscription_plans', 'plan_usage', 'strategies',
    'strategy_versions', 'backtest_runs', 'paper_trade_runs', 'notifications',
    'template_shares', 'compliance_events']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS %I ON %I', t || '_read', t);
    EXECUTE format('DROP POLICY IF EXISTS %I ON %I', t || '_write', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO stratagraph_user', t);
  END LOOP;
END $$;

-- users: your own row (you may edit name, e-mail and activity, not roles or plan), and the
-- educators of templates you can see; only administrators add or remove users.
CREATE POLICY users_read ON users FOR SELECT TO stratagraph_user
  USING (id = sg_current_user_id() OR sg_is_admin()
         OR sg_educator_visible(id, sg_current_user_id()));
CREATE POLICY users_write ON users FOR UPDATE TO stratagraph_user
  USING (id = sg_current_user_id() OR sg_is_admin())
  WITH CHECK (id = sg_current_user_id() OR sg_is_admin());
DROP POLICY IF EXISTS users_admin ON users;
CREATE POLICY users_admin ON users FOR ALL TO stratagraph_user
  USING (sg_is_admin()) WITH CHECK (sg_is_admin());

-- Plans and usage: read your own; only administrators (and sg_consume) change them.
CREATE POLICY subscription_plans_read ON subscription_plans FOR SELECT TO stratagraph_user
  USING (user_id = sg_current_user_id() OR sg_is_admin());
CREATE POLICY subscription_plans_write ON subscription_plans FOR ALL TO stratagraph_user
  USING (sg_is_admin()) WITH CHECK (sg_is_admin());
CREATE POLICY plan_usage_read ON plan_usage FOR SELECT TO stratagraph_user
  USING (user_id = sg_current_user_id() OR sg_is_admin());
CREATE POLICY plan_usage_write ON plan_usage FOR ALL TO stratagraph_user
  USING (sg_is_admin()) WITH CHECK (sg_is_admin());

-- Strategies and versions: your own, plus those behind templates shared with you (read only).
CREATE POLICY strategies_read ON strategies FOR SELECT TO stratagraph_user
  USING (owner_id = sg_current_user_id() OR sg_is_admin()
         OR sg_strategy_shared(id, sg_current_user_id()));
CREATE POLICY strategies_write ON strategies FOR ALL TO stratagraph_user
  USING (owner_id = sg_current_user_id() OR sg_is_admin())
  WITH CHECK (owner_id = sg_current_user_id() OR sg_is_admin());
CREATE POLICY strategy_versions_read ON strategy_versions FOR SELECT TO stratagraph_user
  USING (sg_owns_strategy(strategy_id, sg_current_user_id()) OR sg_is_admin()
         OR sg_version_shared(id, sg_current_user_id()));
CREATE POLICY strategy_versions_write ON strategy_versions FOR ALL TO stratagraph_user
  USING (sg_owns_strategy(strategy_id, sg_current_user_id()) OR sg_is_admin())
  WITH CHECK (sg_owns_strategy(strategy_id, sg_current_user_id()) OR sg_is_admin());

-- Runs: the runs you requested, and unattributed runs of your own versions.
CREATE POLICY backtest_runs_read ON backtest_runs FOR ALL TO stratagraph_user
  USING (requested_by = sg_current_user_id() OR sg_is_admin()
         OR (requested_by IS NULL AND sg_owns_version(strategy_version_id, sg_current_user_id())))
  WITH CHECK (requested_by = sg_current_user_id() OR sg_is_admin()
         OR (requested_by IS NULL AND sg_owns_version(strategy_version_id, sg_current_user_id())));
CREATE POLICY paper_trade_runs_read ON paper_trade_runs FOR ALL TO stratagraph_user
  USING (sg_owns_version(strategy_version_id, sg_current_user_id()) OR sg_is_admin())
  WITH CHECK (sg_owns_version(strategy_version_id, sg_current_user_id()) OR sg_is_admin());

-- Notifications: your own inbox only.
CREATE POLICY notifications_read ON notifications FOR ALL TO stratagraph_user
  USING (user_id = sg_current_user_id() OR sg_is_admin())
  WITH CHECK (user_id = sg_current_user_id() OR sg_is_admin());

-- Templates: read those shared with an audience you belong to; write your own.
CREATE POLICY template_shares_read ON template_shares FOR SELECT TO stratagraph_user
  USING (sg_is_admin()
         OR sg_audience_includes(audience_scope, educator_id, sg_current_user_id()));
CREATE POLICY template_shares_write ON template_shares FOR ALL TO stratagraph_user
  USING ((educator_id = sg_current_user_id()
          AND sg_owns_version(strategy_version_id, sg_current_user_id())) OR sg_is_admin())
  WITH CHECK ((educator_id = sg_current_user_id()
          AND sg_owns_version(strategy_version_id, sg_current_user_id())) OR sg_is_admin());

-- Compliance: you file and read your own events; compliance users read and decide all.
CREATE POLICY compliance_events_read ON compliance_events FOR SELECT TO stratagraph_user
  USING (created_by = sg_current_user_id() OR sg_is_admin()
         OR sg_user_has_role(sg_current_user_id(), 'compliance'));
CREATE POLICY compliance_events_write ON compliance_events FOR INSERT TO stratagraph_user
  WITH CHECK (created_by = sg_current_user_id() OR sg_is_admin()
              OR sg_user_has_role(sg_current_user_id(), 'compliance'));
DROP POLICY IF EXISTS compliance_events_decide ON compliance_events;
CREATE POLICY compliance_events_decide ON compliance_events FOR UPDATE TO stratagraph_user
  USING (sg_is_admin() OR sg_user_has_role(sg_current_user_id(), 'compliance'))
  WITH CHECK (sg_is_admin() OR sg_user_has_role(sg_current_user_id(), 'compliance'));

GRANT SELECT ON sg_meta, sg_role_users, sync_tombstones TO stratagraph_user;

-- Quotas: the same atomic consume as the embedded store -------------------------------------

-- Counts p_n uses of p_metric for p_user if, and only if, the plan allows them: one upsert
-- whose update applies only while used + p_n <= limit. Returns the row after counting, no
-- row when the limit would be exceeded, and (NULL, NULL, window end) for an unlimited
-- metric. Callers may only count for themselves (the owner for anyone).
CREATE OR REPLACE FUNCTION sg_consume(p_id uuid, p_user uuid, p_metric text, p_n integer,
                                      p_now timestamptz)
RETURNS TABLE (used integer, plan_limit integer, window_end timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_owner boolean := pg_has_role(session_user,
    (SELECT relowner FROM pg_class WHERE oid = 'public.users'::regclass), 'MEMBER');
  v_me uuid := (SELECT r.user_id FROM sg_role_users r WHERE r.role_name = session_user);
  v_quota jsonb;
  v_limit integer;
  v_start timestamptz;
  v_end timestamptz;
BEGIN
  IF NOT v_owner AND v_me IS DISTINCT FROM p_user
     AND NOT sg_user_has_role(v_me, 'admin') THEN
    RAISE EXCEPTION 'you may only count your own use' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_n IS NULL OR p_n < 1 THEN
    RAISE EXCEPTION 'n must be at least 1' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_metric = 'sweep_combinations' OR p_metric LIKE '%\_per\_request' THEN
    RAISE EXCEPTION '% is a per-request limit', p_metric USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT CASE WHEN p.status IN ('active', 'trialing') THEN p.quota END INTO v_quota
  FROM subscription_plans p WHERE p.user_id = p_user
  ORDER BY p.created_at DESC, p.id DESC LIMIT 1;
  v_quota := COALESCE(v_quota, '{"backtests_per_day": 20, "sweep_combinations": 200,
    "active_paper_runs": 1, "templates_published": 0}'::jsonb);
  IF p_metric LIKE '%\_per\_day' THEN
    v_start := date_trunc('day', p_now AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    v_end := v_start + interval '1 day';
  ELSIF p_metric LIKE '%\_per\_month' THEN
    v_start := date_trunc('month', p_now AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    v_end := v_start + interval '1 month';
  ELSE
    v_start := '1970-01-01T00:00:00Z';
    v_end := '9999-12-31T23:59:59.999999Z';
  END IF;
  IF v_quota -> p_metric IS NULL OR jsonb_typeof(v_quota -> p_metric) = 'null' THEN
    RETURN QUERY SELECT NULL::integer, NULL::integer, v_end;
    RETURN;
  END IF;
  v_limit := (v_quota ->> p_metric)::integer;
  RETURN QUERY
  INSERT INTO plan_usage AS u (id, user_id, metric, window_start, window_end, used, plan_limit,
                               updated_at, sync_stamp)
  SELECT p_id, p_user, p_metric, v_start, v_end, p_n, v_limit, p_now, p_now WHERE p_n <= v_limit
  ON CONFLICT (user_id, metric, window_start) DO UPDATE SET
    used = u.used + EXCLUDED.used, plan_limit = EXCLUDED.plan_limit,
    updated_at = EXCLUDED.updated_at, sync_stamp = EXCLUDED.sync_stamp
  WHERE u.used + EXCLUDED.used <= EXCLUDED.plan_limit
  RETURNING u.used, u.plan_limit, u.window_end;
END $$;
REVOKE ALL ON FUNCTION sg_consume(uuid, uuid, text, integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sg_consume(uuid, uuid, text, integer, timestamptz) TO stratagraph_user;

-- Provisioning (run by a role with CREATEROLE, e.g. the owner) -------------------------------

-- Creates (or updates) the login role p_role with p_password, makes it a member of
-- stratagraph_user, creates the users row if missing, and maps the role to it.
CREATE OR REPLACE FUNCTION sg_provision_user(p_role name, p_password text, p_user uuid,
  p_email text, p_display_name text, p_roles text[] DEFAULT ARRAY['trader'],
  p_plan_tier text DEFAULT 'free')
RETURNS void LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_role) THEN
    EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', p_role, p_password);
  ELSE
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', p_role, p_password);
  END IF;
  EXECUTE format('GRANT stratagraph_user TO %I', p_role);
  INSERT INTO users (id, email, display_name, roles, plan_tier)
  VALUES (p_user, p_email, p_display_name, p_roles, p_plan_tier)
  ON CONFLICT (id) DO NOTHING;
  INSERT INTO sg_role_users (role_name, user_id) VALUES (p_role, p_user)
  ON CONFLICT (role_name) DO UPDATE SET user_id = EXCLUDED.user_id;
END $$;
REVOKE ALL ON FUNCTION sg_provision_user(name, text, uuid, text, text, text[], text) FROM PUBLIC;

-- Pushes re-announce tombstones of rows a device still holds (SECURITY DEFINER: users have
-- no write access to the tombstones themselves).
CREATE OR REPLACE FUNCTION sg_touch_tombstones(p_table text, p_ids uuid[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE sync_tombstones SET sync_txid = pg_current_xact_id()
  WHERE table_name = p_table AND row_id = ANY (p_ids)
$$;
GRANT EXECUTE ON FUNCTION sg_touch_tombstones(text, uuid[]) TO stratagraph_user;

INSERT INTO sg_meta (key, value) VALUES ('schema_version', '2')
ON CONFLICT (key) DO UPDATE SET value = GREATEST(sg_meta.value::int, 2)::text;
