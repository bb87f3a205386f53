-- Educators: roles with teeth, cohorts, templates published to an audience through a compliance
-- review pinned to the version's content hash, clones with attribution, and plans that limit
-- only what uses this server. Idempotent like every file here; run after 0001-0005.
--
-- Everything an educator, reviewer or student does here goes through the SECURITY DEFINER
-- functions below, which check the caller's roles (by `session_user`, since inside them
-- `current_user` is the schema owner); user roles get no write grant on the new tables.

-- 1. Roles: trader, educator, reviewer, admin ---------------------------------------------------

-- The role that decides compliance reviews is called `reviewer` (it was `compliance`).
UPDATE users SET roles = array_replace(roles, 'compliance', 'reviewer')
WHERE 'compliance' = ANY (roles);

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'users_roles_known'
                 AND conrelid = 'public.users'::regclass) THEN
    ALTER TABLE users ADD CONSTRAINT users_roles_known
      CHECK (cardinality(roles) > 0
             AND roles <@ ARRAY['trader', 'educator', 'reviewer', 'admin']::text[]);
  END IF;
END $$;

-- The user the session logged in as (usable inside SECURITY DEFINER functions).
CREATE OR REPLACE FUNCTION sg_session_user_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT r.user_id FROM sg_role_users r WHERE r.role_name = session_user
$$;
REVOKE ALL ON FUNCTION sg_session_user_id() FROM PUBLIC;

-- Whether the session is the schema owner or an administrator.
CREATE OR REPLACE FUNCTION sg_session_is_admin() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT pg_has_role(session_user,
           (SELECT relowner FROM pg_class WHERE oid = 'public.users'::regclass), 'MEMBER')
      OR EXISTS (SELECT 1 FROM users u WHERE u.id = sg_session_user_id()
                 AND 'admin' = ANY (u.roles))
$$;
REVOKE ALL ON FUNCTION sg_session_is_admin() FROM PUBLIC;

-- The session's user, who must hold p_role (an administrator holds every role). Raises
-- insufficient_privilege otherwise.
CREATE OR REPLACE FUNCTION sg_require_role(p_role text) RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_me uuid := sg_session_user_id();
BEGIN
  IF v_me IS NULL THEN
    RAISE EXCEPTION 'this login is not mapped to a user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = v_me
                 AND (p_role = ANY (u.roles) OR 'admin' = ANY (u.roles))) THEN
    RAISE EXCEPTION 'this needs the % role', p_role USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN v_me;
END $$;
REVOKE ALL ON FUNCTION sg_require_role(text) FROM PUBLIC;

-- Grants (p_grant) or takes away a role; administrators only. A user keeps at least one role.
-- Returns the user's roles after the change.
CREATE OR REPLACE FUNCTION sg_grant_role(p_user uuid, p_role text, p_grant boolean)
RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_roles text[];
BEGIN
  IF NOT sg_session_is_admin() THEN
    RAISE EXCEPTION 'only an administrator grants roles' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_role IS NULL OR p_role NOT IN ('trader', 'educator', 'reviewer', 'admin') THEN
    RAISE EXCEPTION 'unknown role %: use trader, educator, reviewer or admin', p_role
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE users SET roles = CASE
      WHEN p_grant AND NOT (p_role = ANY (roles)) THEN roles || p_role
      WHEN NOT p_grant THEN array_remove(roles, p_role)
      ELSE roles END
  WHERE id = p_user RETURNING roles INTO v_roles;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no user %', p_user USING ERRCODE = 'no_data_found';
  END IF;
  RETURN v_roles;
END $$;
REVOKE ALL ON FUNCTION sg_grant_role(uuid, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sg_grant_role(uuid, text, boolean) TO stratagraph_user;

-- Reviewers read and decide compliance events (the policies of 0005 named `compliance`).
DROP POLICY IF EXISTS compliance_events_read ON compliance_events;
DROP POLICY IF EXISTS compliance_events_write ON compliance_events;
DROP POLICY IF EXISTS compliance_events_decide ON compliance_events;
CREATE POLICY compliance_events_read ON compliance_events FOR SELECT TO stratagraph_user
  USING (created_by = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin())
         OR (SELECT sg_user_has_role(sg_current_user_id(), 'reviewer')));
-- Devices record (and update) their own audit events; reviews, their automatic checks and
-- decisions are written only by the functions below.
CREATE POLICY compliance_events_write ON compliance_events FOR INSERT TO stratagraph_user
  WITH CHECK ((created_by = (SELECT sg_current_user_id())
               AND event_type NOT IN ('template_review', 'automatic_check', 'review_decision'))
              OR (SELECT sg_is_admin()));
CREATE POLICY compliance_events_decide ON compliance_events FOR UPDATE TO stratagraph_user
  USING ((created_by = (SELECT sg_current_user_id())
          AND event_type NOT IN ('template_review', 'automatic_check', 'review_decision'))
         OR (SELECT sg_is_admin()))
  WITH CHECK ((created_by = (SELECT sg_current_user_id())
               AND event_type NOT IN ('template_review', 'automatic_check', 'review_decision'))
              OR (SELECT sg_is_admin()));

-- 2. Plans limit only what uses this server -------------------------------------------------
--
-- Local computation (backtests, sweeps, walk-forward) is never counted. A plan without a
-- quota falls back to the free one: 3 published templates, 30 members per cohort.

CREATE OR REPLACE FUNCTION sg_free_quota() RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"templates_published": 3, "cohort_size": 30}'::jsonb
$$;

-- The quota in force for p_user (the latest plan if active or trialing, else the free one).
CREATE OR REPLACE FUNCTION sg_quota_of(p_user uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT COALESCE((SELECT CASE WHEN p.status IN ('active', 'trialing') THEN p.quota END
                   FROM subscription_plans p WHERE p.user_id = p_user
                   ORDER BY p.created_at DESC, p.id DESC LIMIT 1), sg_free_quota())
$$;
REVOKE ALL ON FUNCTION sg_quota_of(uuid) FROM PUBLIC;

-- Same contract as 0002 (one upsert whose update applies only while used + n <= limit); the
-- free fallback no longer meters local computation, and a cohort's size is a per-request limit.
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
  IF p_metric = 'cohort_size' OR p_metric LIKE '%\_per\_request' THEN
    RAISE EXCEPTION '% is a per-request limit', p_metric USING ERRCODE = 'invalid_parameter_value';
  END IF;
  v_quota := sg_quota_of(p_user);
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

-- Usage rows of metrics that metered local computation are gone.
DELETE FROM plan_usage
WHERE metric IN ('backtests_per_day', 'sweep_combinations', 'active_paper_runs');

-- 3. Cohorts ------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS cohorts (
  id UUID PRIMARY KEY,
  educator_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (educator_id, name)
);
CREATE TABLE IF NOT EXISTS cohort_members (
  cohort_id UUID NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (cohort_id, user_id)
);
CREATE INDEX IF NOT EXISTS cohort_members_user_idx ON cohort_members (user_id);
ALTER TABLE cohorts ENABLE ROW LEVEL SECURITY;
ALTER TABLE cohort_members ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON cohorts, cohort_members FROM PUBLIC, stratagraph_user;
GRANT SELECT ON cohorts, cohort_members TO stratagraph_user;

-- Whether p_user leads cohort p_cohort (answers only about the caller).
CREATE OR REPLACE FUNCTION sg_leads_cohort(p_cohort uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT sg_may_ask_for(p_user)
     AND EXISTS (SELECT 1 FROM cohorts c WHERE c.id = p_cohort AND c.educator_id = p_user)
$$;

-- Whether p_user is in cohort p_cohort (answers only about the caller).
CREATE OR REPLACE FUNCTION sg_in_cohort(p_cohort uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT sg_may_ask_for(p_user)
     AND EXISTS (SELECT 1 FROM cohort_members m WHERE m.cohort_id = p_cohort
                 AND m.user_id = p_user)
$$;

DROP POLICY IF EXISTS cohorts_read ON cohorts;
CREATE POLICY cohorts_read ON cohorts FOR SELECT TO stratagraph_user
  USING (educator_id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin())
         OR sg_in_cohort(id, (SELECT sg_current_user_id())));
-- Members see their own membership; the educator sees the whole list.
DROP POLICY IF EXISTS cohort_members_read ON cohort_members;
CREATE POLICY cohort_members_read ON cohort_members FOR SELECT TO stratagraph_user
  USING (user_id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin())
         OR sg_leads_cohort(cohort_id, (SELECT sg_current_user_id())));

-- Creates a cohort led by the calling educator.
CREATE OR REPLACE FUNCTION sg_cohort_create(p_id uuid, p_name text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_me uuid := sg_require_role('educator');
BEGIN
  IF p_name IS NULL OR length(btrim(p_name)) = 0 OR length(btrim(p_name)) > 200 THEN
    RAISE EXCEPTION 'a cohort name must be 1 to 200 characters'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO cohorts (id, educator_id, name) VALUES (p_id, v_me, btrim(p_name));
  RETURN p_id;
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION 'you already have a cohort named "%"', btrim(p_name)
    USING ERRCODE = 'unique_violation';
END $$;
REVOKE ALL ON FUNCTION sg_cohort_create(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sg_cohort_create(uuid, text) TO stratagraph_user;

-- Adds a member, named by user id or e-mail address, to a cohort the caller leads, within the
-- plan's `cohort_size`: the cohort row is locked, so concurrent additions never exceed it.
-- Returns the member's user id. Adding a member again changes nothing.
CREATE OR REPLACE FUNCTION sg_cohort_add(p_cohort uuid, p_member text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_me uuid := sg_require_role('educator');
  v_educator uuid;
  v_user uuid;
  v_limit integer;
  v_size integer;
BEGIN
  SELECT c.educator_id INTO v_educator FROM cohorts c WHERE c.id = p_cohort FOR UPDATE;
  IF NOT FOUND OR (v_educator <> v_me AND NOT sg_session_is_admin()) THEN
    RAISE EXCEPTION 'no cohort % of yours', p_cohort USING ERRCODE = 'no_data_found';
  END IF;
  IF p_member ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    SELECT u.id INTO v_user FROM users u WHERE u.id = p_member::uuid;
  ELSE
    SELECT u.id INTO v_user FROM users u WHERE lower(u.email) = lower(btrim(p_member));
  END IF;
  IF v_user IS NULL THEN
    RAISE EXCEPTION 'no user with the id or e-mail address "%"', p_member
      USING ERRCODE = 'no_data_found';
  END IF;
  IF EXISTS (SELECT 1 FROM cohort_members m WHERE m.cohort_id = p_cohort
             AND m.user_id = v_user) THEN
    RETURN v_user;
  END IF;
  v_limit := (sg_quota_of(v_educator) ->> 'cohort_size')::integer;
  SELECT count(*) INTO v_size FROM cohort_members m WHERE m.cohort_id = p_cohort;
  IF v_limit IS NOT NULL AND v_size + 1 > v_limit THEN
    RAISE EXCEPTION 'quota exceeded for cohort_size: limit %', v_limit
      USING ERRCODE = 'check_violation', HINT = 'quota_exceeded';
  END IF;
  INSERT INTO cohort_members (cohort_id, user_id) VALUES (p_cohort, v_user);
  -- The member may now see the cohort's templates: their devices pull again.
  PERFORM sg_note_access_change(v_user);
  RETURN v_user;
END $$;
REVOKE ALL ON FUNCTION sg_cohort_add(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sg_cohort_add(uuid, text) TO stratagraph_user;

-- 4. Templates: audience, approval pinned to the content hash ---------------------------------
--
-- `strategy_version_id` is the version the audience sees; it changes only when a reviewer
-- approves a submission (the submitted version and its hash wait in the open review event).
-- `approved_hash` is the content hash of that version's graph at approval; a template without
-- one, or withdrawn, is seen by its educator, reviewers and administrators only.

-- The content hash of a version's graph: SHA-256 of its canonical JSONB text.
CREATE OR REPLACE FUNCTION sg_graph_hash(p_graph jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(p_graph::text, 'UTF8')), 'hex')
$$;

-- Templates shared before reviews existed were published under the old rules: they keep
-- their audience, approved as they are. This happens once, when the columns are added (a
-- manual re-run must not approve what devices pushed since).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'public'
                 AND table_name = 'template_shares' AND column_name = 'approved_hash') THEN
    ALTER TABLE template_shares ADD COLUMN approved_hash TEXT;
    ALTER TABLE template_shares ADD COLUMN approved_at TIMESTAMPTZ;
    UPDATE template_shares t SET approved_hash = sg_graph_hash(v.graph_json),
      approved_at = t.created_at
    FROM strategy_versions v WHERE v.id = t.strategy_version_id;
  END IF;
END $$;
ALTER TABLE template_shares ADD COLUMN IF NOT EXISTS cohort_id UUID REFERENCES cohorts(id);
ALTER TABLE template_shares ADD COLUMN IF NOT EXISTS withdrawn_at TIMESTAMPTZ;
ALTER TABLE template_shares DROP CONSTRAINT IF EXISTS template_shares_audience_scope_check;
ALTER TABLE template_shares ADD CONSTRAINT template_shares_audience_scope_check
  CHECK (audience_scope IN ('private', 'students', 'public', 'cohort', 'organisation'));
ALTER TABLE template_shares DROP CONSTRAINT IF EXISTS template_shares_cohort_check;
ALTER TABLE template_shares ADD CONSTRAINT template_shares_cohort_check
  CHECK ((audience_scope = 'cohort') = (cohort_id IS NOT NULL));
CREATE INDEX IF NOT EXISTS template_shares_cohort_idx ON template_shares (cohort_id)
  WHERE cohort_id IS NOT NULL;

-- Who a template reaches: its educator always; others only once approved and not withdrawn:
-- everyone for `public`, every user of this server for `organisation` (and the older
-- `students`), the cohort's members for `cohort`. Answers only about the caller.
CREATE OR REPLACE FUNCTION sg_template_reaches(p_template uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT sg_may_ask_for(p_user) AND EXISTS (
    SELECT 1 FROM template_shares t WHERE t.id = p_template AND (
      t.educator_id = p_user
      OR (t.approved_hash IS NOT NULL AND t.withdrawn_at IS NULL AND (
            t.audience_scope = 'public'
            OR (t.audience_scope IN ('organisation', 'students')
                AND EXISTS (SELECT 1 FROM users u WHERE u.id = p_user))
            OR (t.audience_scope = 'cohort'
                AND EXISTS (SELECT 1 FROM cohort_members m WHERE m.cohort_id = t.cohort_id
                            AND m.user_id = p_user))))))
$$;

-- A reviewer reads what was submitted for review (open or decided): the templates and the
-- submitted versions.
CREATE OR REPLACE FUNCTION sg_under_review(p_template uuid, p_version uuid, p_user uuid)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT sg_may_ask_for(p_user)
     AND EXISTS (SELECT 1 FROM users u WHERE u.id = p_user AND 'reviewer' = ANY (u.roles))
     AND EXISTS (SELECT 1 FROM compliance_events e WHERE e.event_type = 'template_review'
                 AND (p_template IS NULL OR e.entity_id = p_template)
                 AND (p_version IS NULL
                      OR (e.payload ->> 'strategy_version_id')::uuid = p_version))
$$;

-- The helpers of 0002/0005 that policies use now follow the template's audience rule.
CREATE OR REPLACE FUNCTION sg_version_shared(p_version uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM template_shares t WHERE t.strategy_version_id = p_version
                 AND sg_template_reaches(t.id, p_user))
      OR sg_under_review(NULL, p_version, p_user)
$$;

CREATE OR REPLACE FUNCTION sg_strategy_shared(p_strategy uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM strategy_versions v
                 WHERE v.strategy_id = p_strategy AND sg_version_shared(v.id, p_user))
$$;

CREATE OR REPLACE FUNCTION sg_educator_visible(p_educator uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM template_shares t WHERE t.educator_id = p_educator
                 AND (sg_template_reaches(t.id, p_user) OR sg_under_review(t.id, NULL, p_user)))
$$;

DROP POLICY IF EXISTS template_shares_read ON template_shares;
CREATE POLICY template_shares_read ON template_shares FOR SELECT TO stratagraph_user
  USING ((SELECT sg_is_admin()) OR educator_id = (SELECT sg_current_user_id())
         OR sg_template_reaches(id, (SELECT sg_current_user_id()))
         OR sg_under_review(id, NULL, (SELECT sg_current_user_id())));

-- What only the server decides about a template: a change by anyone but an administrator (or
-- the functions below) keeps the clone count, the approval and the withdrawal as they are, and
-- a change of what the audience sees (version, audience, cohort) drops the approval.
CREATE OR REPLACE FUNCTION sg_template_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF sg_is_admin() THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    NEW.clone_count := 0;
    NEW.approved_hash := NULL;
    NEW.approved_at := NULL;
    NEW.withdrawn_at := NULL;
    NEW.cohort_id := NULL;
    IF NEW.audience_scope = 'cohort' THEN
      RAISE EXCEPTION 'cohort templates are published with sg_publish_template'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END IF;
  NEW.clone_count := OLD.clone_count;
  NEW.withdrawn_at := OLD.withdrawn_at;
  NEW.cohort_id := OLD.cohort_id;
  IF NEW.audience_scope = 'cohort' AND OLD.audience_scope <> 'cohort' THEN
    RAISE EXCEPTION 'cohort templates are published with sg_publish_template'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF (NEW.strategy_version_id, NEW.audience_scope)
     IS DISTINCT FROM (OLD.strategy_version_id, OLD.audience_scope) THEN
    NEW.approved_hash := NULL;
    NEW.approved_at := NULL;
  ELSE
    NEW.approved_hash := OLD.approved_hash;
    NEW.approved_at := OLD.approved_at;
  END IF;
  RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER template_shares_guard BEFORE INSERT OR UPDATE ON template_shares
  FOR EACH ROW EXECUTE FUNCTION sg_template_guard();

-- An approval or withdrawal changes who sees the template: re-stamp like a new share.
CREATE OR REPLACE TRIGGER template_shares_touch
  AFTER INSERT OR UPDATE OF strategy_version_id, educator_id, audience_scope, cohort_id,
    approved_hash, withdrawn_at ON template_shares
  FOR EACH ROW EXECUTE FUNCTION sg_touch_template();

-- Who cloned what: the educator sees which students cloned their templates.
CREATE TABLE IF NOT EXISTS template_clones (
  template_id UUID NOT NULL REFERENCES template_shares(id) ON DELETE CASCADE,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  strategy_id UUID NOT NULL,
  strategy_version_id UUID NOT NULL,
  cloned_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (template_id, strategy_id)
);
CREATE INDEX IF NOT EXISTS template_clones_user_idx ON template_clones (user_id);
ALTER TABLE template_clones ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON template_clones FROM PUBLIC, stratagraph_user;
GRANT SELECT ON template_clones TO stratagraph_user;

CREATE OR REPLACE FUNCTION sg_template_of(p_template uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT sg_may_ask_for(p_user)
     AND EXISTS (SELECT 1 FROM template_shares t WHERE t.id = p_template
                 AND t.educator_id = p_user)
$$;

DROP POLICY IF EXISTS template_clones_read ON template_clones;
CREATE POLICY template_clones_read ON template_clones FOR SELECT TO stratagraph_user
  USING (user_id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin())
         OR sg_template_of(template_id, (SELECT sg_current_user_id())));

-- 5. Publishing, automatic checks, review -----------------------------------------------------

-- Words that promise performance: a published strategy may not use them.
CREATE OR REPLACE FUNCTION sg_promises_performance(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT (regexp_match(lower(COALESCE(p_text, '')),
    '(guarantee[sd]?|risk[- ]free|no[- ]risk|can''t lose|cannot lose|sure profit|'
    '(safe|certain|assured|easy) (profit|returns?|money)|never loses?)'))[1]
$$;

-- Records the automatic checks of a submission (a version with its reference run) as
-- `automatic_check` events and returns how many failed with severity `error`.
CREATE OR REPLACE FUNCTION sg_template_checks(p_template uuid, p_review uuid, p_me uuid,
  p_version uuid, p_run uuid, p_title text, p_description text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_run record;
  v_trades numeric;
  v_costs numeric;
  v_word text;
  v_errors integer := 0;
  v_checks jsonb := '[]'::jsonb;
  c jsonb;
BEGIN
  SELECT r.id, r.status, r.metrics, r.parameters INTO v_run FROM backtest_runs r
  WHERE r.strategy_version_id = p_version AND (p_run IS NULL OR r.id = p_run)
    AND r.status = 'completed'
  ORDER BY r.created_at DESC LIMIT 1;
  v_trades := CASE WHEN jsonb_typeof(v_run.metrics -> 'trades') = 'number'
                   THEN (v_run.metrics ->> 'trades')::numeric END;
  v_costs := CASE WHEN jsonb_typeof(v_run.metrics -> 'commissions') = 'number'
                  THEN (v_run.metrics ->> 'commissions')::numeric END;
  v_checks := v_checks || jsonb_build_object('check', 'reference_run',
    'passed', v_run.id IS NOT NULL, 'severity', 'error',
    'detail', CASE WHEN v_run.id IS NULL
      THEN 'no completed backtest of this version on the server: run one and sync it'
      ELSE 'reference run ' || v_run.id END);
  v_checks := v_checks || jsonb_build_object('check', 'costs_on',
    'passed', COALESCE(v_costs > 0, false), 'severity', 'error',
    'detail', CASE WHEN v_costs > 0 THEN 'commissions paid: ' || v_costs
      ELSE 'the reference run paid no commissions: switch costs on' END);
  v_checks := v_checks || jsonb_build_object('check', 'min_trades',
    'passed', COALESCE(v_trades >= 100, false), 'severity', 'error',
    'detail', COALESCE(v_trades::text, 'no') || ' trades; at least 100 are needed');
  v_word := COALESCE(sg_promises_performance(p_title), sg_promises_performance(p_description));
  IF v_word IS NULL AND p_title ~ '[0-9]+([.,][0-9]+)?\s*%' THEN
    v_word := substring(p_title from '[0-9]+(?:[.,][0-9]+)?\s*%');
  END IF;
  v_checks := v_checks || jsonb_build_object('check', 'no_performance_promises',
    'passed', v_word IS NULL, 'severity', 'error',
    'detail', CASE WHEN v_word IS NULL THEN 'no promise found'
      ELSE 'the text promises performance: "' || v_word || '"' END);
  v_checks := v_checks || jsonb_build_object('check', 'reproducible',
    'passed', v_run.id IS NOT NULL
      AND (v_run.parameters ? 'dataHash' OR v_run.parameters ? 'data_hash'),
    'severity', 'error',
    'detail', CASE WHEN v_run.id IS NOT NULL
      AND (v_run.parameters ? 'dataHash' OR v_run.parameters ? 'data_hash')
      THEN 'version hash ' || (SELECT sg_graph_hash(v.graph_json) FROM strategy_versions v
                              WHERE v.id = p_version)
           || ' on data ' || COALESCE(v_run.parameters ->> 'dataHash',
                                      v_run.parameters ->> 'data_hash')
      ELSE 'the reference run does not record the hash of its data' END);
  FOR c IN SELECT * FROM jsonb_array_elements(v_checks) LOOP
    INSERT INTO compliance_events (id, entity_type, entity_id, event_type, payload, status,
                                   created_by, resolved_at)
    VALUES (gen_random_uuid(), 'template_share', p_template, 'automatic_check',
            c || jsonb_build_object('review_id', p_review), 'recorded', p_me, now());
    IF NOT (c ->> 'passed')::boolean AND c ->> 'severity' = 'error' THEN
      v_errors := v_errors + 1;
    END IF;
  END LOOP;
  RETURN v_errors;
END $$;
REVOKE ALL ON FUNCTION sg_template_checks(uuid, uuid, uuid, uuid, uuid, text, text) FROM PUBLIC;

-- Publishes (p_template new) or submits a new version of (p_template existing, yours) a
-- template: title and description, audience `public`, `organisation` or `cohort` (p_cohort,
-- one of yours), the version and optionally its reference run. Runs the automatic checks and
-- opens a review (`template_review`, status open) that a reviewer decides; until then the
-- audience sees nothing new. A new template counts against `templates_published`.
-- Returns the review event's id.
CREATE OR REPLACE FUNCTION sg_publish_template(p_template uuid, p_version uuid,
  p_title text, p_description text, p_audience text, p_cohort uuid, p_reference_run uuid)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_me uuid := sg_require_role('educator');
  v_existing template_shares;
  v_hash text;
  v_review uuid := gen_random_uuid();
  v_errors integer;
  v_counted boolean;
BEGIN
  IF p_title IS NULL OR length(btrim(p_title)) = 0 OR length(p_title) > 200 THEN
    RAISE EXCEPTION 'a template title must be 1 to 200 characters'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF length(COALESCE(p_description, '')) > 20000 THEN
    RAISE EXCEPTION 'a template description must be at most 20000 characters'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_audience IS NULL OR p_audience NOT IN ('public', 'organisation', 'cohort') THEN
    RAISE EXCEPTION 'unknown audience %: use public, organisation or cohort', p_audience
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF (p_audience = 'cohort') <> (p_cohort IS NOT NULL) THEN
    RAISE EXCEPTION 'a cohort is named exactly when the audience is cohort'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_cohort IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cohorts c WHERE c.id = p_cohort
                                          AND c.educator_id = v_me) THEN
    RAISE EXCEPTION 'no cohort % of yours', p_cohort USING ERRCODE = 'no_data_found';
  END IF;
  SELECT sg_graph_hash(v.graph_json) INTO v_hash FROM strategy_versions v
  JOIN strategies s ON s.id = v.strategy_id WHERE v.id = p_version AND s.owner_id = v_me;
  IF v_hash IS NULL THEN
    RAISE EXCEPTION 'no version % of yours on the server (sync first)', p_version
      USING ERRCODE = 'no_data_found';
  END IF;
  SELECT * INTO v_existing FROM template_shares t WHERE t.id = p_template FOR UPDATE;
  IF FOUND AND v_existing.educator_id IS DISTINCT FROM v_me THEN
    RAISE EXCEPTION 'template % is not yours', p_template USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT FOUND THEN
    SELECT count(*) > 0 INTO v_counted
    FROM sg_consume(gen_random_uuid(), v_me, 'templates_published', 1, now());
    IF NOT v_counted THEN
      RAISE EXCEPTION 'quota exceeded for templates_published: limit %',
        (sg_quota_of(v_me) ->> 'templates_published')
        USING ERRCODE = 'check_violation', HINT = 'quota_exceeded';
    END IF;
    INSERT INTO template_shares (id, strategy_version_id, educator_id, audience_scope,
                                 cohort_id, metadata, clone_count)
    VALUES (p_template, p_version, v_me, p_audience, p_cohort,
            jsonb_build_object('title', btrim(p_title), 'description',
                               COALESCE(p_description, '')), 0);
  ELSIF v_existing.withdrawn_at IS NOT NULL THEN
    RAISE EXCEPTION 'template % was withdrawn', p_template USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  -- A newer submission replaces an open one.
  UPDATE compliance_events SET status = 'rejected', resolved_at = now(),
    payload = payload || jsonb_build_object('reason', 'replaced by a newer submission')
  WHERE entity_id = p_template AND event_type = 'template_review' AND status = 'open';
  v_errors := sg_template_checks(p_template, v_review, v_me, p_version, p_reference_run,
                                 p_title, p_description);
  INSERT INTO compliance_events (id, entity_type, entity_id, event_type, payload, status,
                                 created_by)
  VALUES (v_review, 'template_share', p_template, 'template_review',
          jsonb_build_object('strategy_version_id', p_version, 'content_hash', v_hash,
            'title', btrim(p_title), 'description', COALESCE(p_description, ''),
            'audience_scope', p_audience, 'cohort_id', p_cohort,
            'approved_version_id', v_existing.strategy_version_id,
            'failed_checks', v_errors),
          'open', v_me);
  RETURN v_review;
END $$;
REVOKE ALL ON FUNCTION sg_publish_template(uuid, uuid, text, text, text, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sg_publish_template(uuid, uuid, text, text, text, uuid, uuid)
  TO stratagraph_user;

-- A reviewer approves or rejects an open review with a reason. Approval needs every automatic
-- check of the submission passed, a reviewer who is not the educator, and the version still
-- hashing to what was submitted; it pins that hash and shows the version to the audience.
-- Every decision notifies the educator. Returns the template's id.
CREATE OR REPLACE FUNCTION sg_review_decide(p_review uuid, p_approve boolean, p_reason text)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_me uuid := sg_require_role('reviewer');
  v_event compliance_events;
  v_version uuid;
  v_hash text;
BEGIN
  IF p_reason IS NULL OR length(btrim(p_reason)) = 0 THEN
    RAISE EXCEPTION 'a decision needs a reason' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO v_event FROM compliance_events e WHERE e.id = p_review
    AND e.event_type = 'template_review' FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no review %', p_review USING ERRCODE = 'no_data_found';
  END IF;
  IF v_event.status <> 'open' THEN
    RAISE EXCEPTION 'review % is already %', p_review, v_event.status
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF v_event.created_by = v_me THEN
    RAISE EXCEPTION 'you may not review your own template' USING ERRCODE = 'insufficient_privilege';
  END IF;
  v_version := (v_event.payload ->> 'strategy_version_id')::uuid;
  IF p_approve THEN
    IF COALESCE((v_event.payload ->> 'failed_checks')::integer, 0) > 0 THEN
      RAISE EXCEPTION 'review % failed % automatic check(s): it can only be rejected',
        p_review, v_event.payload ->> 'failed_checks'
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT sg_graph_hash(v.graph_json) INTO v_hash FROM strategy_versions v
    WHERE v.id = v_version;
    IF v_hash IS DISTINCT FROM v_event.payload ->> 'content_hash' THEN
      RAISE EXCEPTION 'the submitted version no longer hashes to %',
        v_event.payload ->> 'content_hash' USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE template_shares SET strategy_version_id = v_version, approved_hash = v_hash,
      approved_at = now(), audience_scope = v_event.payload ->> 'audience_scope',
      cohort_id = (v_event.payload ->> 'cohort_id')::uuid,
      metadata = metadata || jsonb_build_object('title', v_event.payload ->> 'title',
        'description', v_event.payload ->> 'description')
    WHERE id = v_event.entity_id;
  END IF;
  UPDATE compliance_events SET status = CASE WHEN p_approve THEN 'approved' ELSE 'rejected' END,
    resolved_at = now(),
    payload = payload || jsonb_build_object('reason', btrim(p_reason), 'reviewer_id', v_me)
  WHERE id = p_review;
  INSERT INTO notifications (id, user_id, type, payload, channel)
  VALUES (gen_random_uuid(), v_event.created_by, 'compliance_decision',
          jsonb_build_object('template_id', v_event.entity_id, 'review_id', p_review,
            'decision', CASE WHEN p_approve THEN 'approved' ELSE 'rejected' END,
            'reason', btrim(p_reason), 'title', v_event.payload ->> 'title',
            'strategy_version_id', v_version),
          'in_app');
  RETURN v_event.entity_id;
END $$;
REVOKE ALL ON FUNCTION sg_review_decide(uuid, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sg_review_decide(uuid, boolean, text) TO stratagraph_user;

-- The educator (or an administrator) withdraws a template: its audience stops seeing it.
CREATE OR REPLACE FUNCTION sg_withdraw_template(p_template uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_me uuid := sg_session_user_id();
  v_educator uuid;
BEGIN
  SELECT t.educator_id INTO v_educator FROM template_shares t WHERE t.id = p_template FOR UPDATE;
  IF NOT FOUND OR (v_educator IS DISTINCT FROM v_me AND NOT sg_session_is_admin()) THEN
    RAISE EXCEPTION 'no template % of yours', p_template USING ERRCODE = 'no_data_found';
  END IF;
  UPDATE template_shares SET withdrawn_at = COALESCE(withdrawn_at, now()) WHERE id = p_template;
  UPDATE compliance_events SET status = 'rejected', resolved_at = now(),
    payload = payload || jsonb_build_object('reason', 'withdrawn by the educator')
  WHERE entity_id = p_template AND event_type = 'template_review' AND status = 'open';
  -- The withdrawal does not count against the plan any more.
  UPDATE plan_usage SET used = GREATEST(used - 1, 0), updated_at = now(), sync_stamp = now()
  WHERE user_id = v_educator AND metric = 'templates_published'
    AND window_start = '1970-01-01T00:00:00Z';
END $$;
REVOKE ALL ON FUNCTION sg_withdraw_template(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sg_withdraw_template(uuid) TO stratagraph_user;

-- 6. Clone with attribution -----------------------------------------------------------------

-- Clones the version a template shows to the caller into a new strategy of theirs (ids chosen
-- by the device), recording where it came from (template, version, author, content hash);
-- `clone_count` rises in the same statement as the check, so concurrent clones all count.
-- Notifies the educator. Returns the new strategy's id.
CREATE OR REPLACE FUNCTION sg_clone_template(p_template uuid, p_strategy uuid, p_version uuid)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_me uuid := sg_session_user_id();
  v_t template_shares;
  v_graph jsonb;
  v_title text;
  v_slug text;
BEGIN
  IF v_me IS NULL THEN
    RAISE EXCEPTION 'this login is not mapped to a user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT sg_template_reaches(p_template, v_me) THEN
    RAISE EXCEPTION 'no template % for you', p_template USING ERRCODE = 'no_data_found';
  END IF;
  UPDATE template_shares SET clone_count = clone_count + 1 WHERE id = p_template
  RETURNING * INTO v_t;
  SELECT v.graph_json INTO v_graph FROM strategy_versions v WHERE v.id = v_t.strategy_version_id;
  v_title := left(COALESCE(NULLIF(v_t.metadata ->> 'title', ''), 'Template'), 180);
  v_slug := left(trim(BOTH '-' FROM regexp_replace(lower(v_title), '[^a-z0-9]+', '-', 'g')), 60);
  -- The id's last (random) digits keep the slug unique among the student's strategies.
  v_slug := COALESCE(NULLIF(v_slug, ''), 'template') || '-'
            || right(replace(p_strategy::text, '-', ''), 12);
  INSERT INTO strategies (id, owner_id, title, slug, status, visibility, tags)
  VALUES (p_strategy, v_me, v_title, v_slug, 'draft', 'private', ARRAY['cloned']);
  INSERT INTO strategy_versions (id, strategy_id, version, graph_json, notes, created_by)
  VALUES (p_version, p_strategy, 1, v_graph,
          format('Cloned from template "%s" (template %s, version %s, author %s, hash %s)',
                 v_title, p_template, v_t.strategy_version_id, v_t.educator_id,
                 v_t.approved_hash),
          v_me);
  INSERT INTO template_clones (template_id, user_id, strategy_id, strategy_version_id)
  VALUES (p_template, v_me, p_strategy, v_t.strategy_version_id);
  IF v_t.educator_id IS NOT NULL AND v_t.educator_id <> v_me THEN
    INSERT INTO notifications (id, user_id, type, payload, channel)
    VALUES (gen_random_uuid(), v_t.educator_id, 'template_cloned',
            jsonb_build_object('template_id', p_template, 'title', v_title,
                               'cloned_by', v_me, 'clone_count', v_t.clone_count),
            'in_app');
  END IF;
  RETURN p_strategy;
END $$;
REVOKE ALL ON FUNCTION sg_clone_template(uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sg_clone_template(uuid, uuid, uuid) TO stratagraph_user;

INSERT INTO sg_meta (key, value) VALUES ('schema_version', '7')
ON CONFLICT (key) DO UPDATE SET value = GREATEST(sg_meta.value::int, 7)::text;
