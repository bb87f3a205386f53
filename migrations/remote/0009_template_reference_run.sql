-- The reference run of a template version, for those who may see the template: its audience
-- (once approved, the version they see), a reviewer (a submitted version) and its educator.
-- The run stays its requester's (backtest_runs_visible); this answers only with the run the
-- automatic checks accept (0007: the latest completed run of the version; costs on means
-- commissions paid), its metrics and its equity curve decimated here to at most 301 points.

-- Returns NULL for anyone else, for a version the caller may not see through this template,
-- and when no such run is on the server. Otherwise a JSON object: `run_id`, `metrics`,
-- `parameters`, `completed_at`, `equity_points_full` and `equity`, the decimated curve as
-- base64 of the local store's blob format (16 bytes a point: i64 ms + f64, little endian;
-- empty when the educator's device does not sync run details).
CREATE OR REPLACE FUNCTION sg_template_reference_run(p_template uuid, p_version uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_me uuid := sg_session_user_id();
  v_t template_shares;
  v_version uuid;
  v_run record;
  v_blob bytea;
  v_full bigint;
  v_n integer;
  v_step integer;
  v_curve bytea := ''::bytea;
BEGIN
  IF v_me IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT * INTO v_t FROM template_shares t WHERE t.id = p_template;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  v_version := COALESCE(p_version, v_t.strategy_version_id);
  IF NOT (
    -- The educator: the template's version or any version submitted for it.
    (v_t.educator_id = v_me
     AND (v_version = v_t.strategy_version_id
          OR EXISTS (SELECT 1 FROM compliance_events e WHERE e.event_type = 'template_review'
                     AND e.entity_id = p_template
                     AND (e.payload ->> 'strategy_version_id')::uuid = v_version)))
    -- Its audience: the approved version only (the rule of 0007).
    OR (v_version = v_t.strategy_version_id AND v_t.approved_hash IS NOT NULL
        AND sg_template_reaches(p_template, v_me))
    -- A reviewer: a version submitted for this template.
    OR sg_under_review(p_template, v_version, v_me)
  ) THEN
    RETURN NULL;
  END IF;
  -- The run sg_template_checks accepts: the latest completed run of the version with
  -- commissions paid.
  SELECT r.id, r.created_at, r.metrics, r.parameters, r.completed_at INTO v_run
  FROM backtest_runs r
  WHERE r.strategy_version_id = v_version AND r.status = 'completed'
    AND jsonb_typeof(r.metrics -> 'commissions') = 'number'
    AND (r.metrics ->> 'commissions')::numeric > 0
  ORDER BY r.created_at DESC LIMIT 1;
  IF v_run.id IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT d.equity, d.equity_points_full INTO v_blob, v_full FROM backtest_run_details d
  WHERE d.run_id = v_run.id;
  v_n := COALESCE(octet_length(v_blob), 0) / 16;
  IF v_n > 0 THEN
    v_step := GREATEST(1, ceil((v_n - 1) / 299.0)::integer);
    SELECT string_agg(substring(v_blob FROM i * 16 + 1 FOR 16), ''::bytea ORDER BY i)
    INTO v_curve
    FROM (SELECT generate_series(0, v_n - 1, v_step) AS i UNION SELECT v_n - 1) AS picks;
  END IF;
  RETURN jsonb_build_object('run_id', v_run.id, 'metrics', v_run.metrics,
    'parameters', v_run.parameters, 'completed_at', v_run.completed_at,
    'equity_points_full', COALESCE(v_full, 0),
    'equity', encode(COALESCE(v_curve, ''::bytea), 'base64'));
END $$;
REVOKE ALL ON FUNCTION sg_template_reference_run(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sg_template_reference_run(uuid, uuid) TO stratagraph_user;

INSERT INTO sg_meta (key, value) VALUES ('schema_version', '9')
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
