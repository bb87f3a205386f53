-- Sweeps run on a cluster (issue 16): each shard of a sweep (`stratagraph sweep ... --shard K/N
-- --to-server SWEEP_ID`) writes its rows here under its user's own login role, one
-- transaction per batch, idempotent by (sweep, shard, row); the desktop app follows the
-- progress and, once every shard is in, opens the rows like a local sweep. Idempotent like every
-- file here; run after 0001-0007.
--
-- Plain tables, never hypertables (TimescaleDB's chunks would not carry their row-level
-- security, see 0005). Users read their own sweeps through row-level security and write only
-- through sg_cluster_sweep_write (SECURITY DEFINER): it creates the sweep on the first batch,
-- refuses a batch of another sweep (identity: the sweep hash, the data hash, the shard count
-- and the combination count), another user's sweep, rows outside the shard's range, and rows
-- that differ from the ones already stored; it counts new rows against the plan's
-- `server_sweep_rows_per_month` (no limit when the plan does not name it).

CREATE TABLE IF NOT EXISTS cluster_sweeps (
  id UUID PRIMARY KEY,
  owner_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- The sweep's identity: BLAKE3 of its graph, settings and combinations, and of its data.
  sweep_hash TEXT NOT NULL CHECK (sweep_hash ~ '^[0-9a-f]{64}$'),
  data_hash TEXT NOT NULL CHECK (data_hash ~ '^[0-9a-f]{64}$'),
  shards INTEGER NOT NULL CHECK (shards BETWEEN 1 AND 100000),
  total INTEGER NOT NULL CHECK (total >= 1),
  -- The metric the rows are ranked by, and the grid as the shard was given it.
  sort TEXT NOT NULL CHECK (length(sort) BETWEEN 1 AND 64),
  spec JSONB NOT NULL CHECK (jsonb_typeof(spec) = 'object' AND length(spec::text) <= 65536),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS cluster_sweeps_owner_idx ON cluster_sweeps (owner_id, created_at DESC);

-- A shard that has written at least one batch; finished_at once all its rows are in.
CREATE TABLE IF NOT EXISTS cluster_sweep_shards (
  sweep_id UUID NOT NULL REFERENCES cluster_sweeps(id) ON DELETE CASCADE,
  shard INTEGER NOT NULL CHECK (shard >= 0),
  combinations INTEGER NOT NULL CHECK (combinations >= 0),
  finished_at TIMESTAMPTZ,
  PRIMARY KEY (sweep_id, shard)
);

-- One combination's outcome: its position in the sweep, parameters, metrics and the daily
-- return moments in blocks (for the Probability of Backtest Overfitting).
CREATE TABLE IF NOT EXISTS cluster_sweep_rows (
  sweep_id UUID NOT NULL REFERENCES cluster_sweeps(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  shard INTEGER NOT NULL CHECK (shard >= 0),
  params JSONB NOT NULL CHECK (jsonb_typeof(params) = 'object'),
  metrics JSONB NOT NULL CHECK (jsonb_typeof(metrics) = 'object'),
  blocks JSONB NOT NULL CHECK (jsonb_typeof(blocks) = 'array'),
  PRIMARY KEY (sweep_id, idx)
);
CREATE INDEX IF NOT EXISTS cluster_sweep_rows_shard_idx ON cluster_sweep_rows (sweep_id, shard);

ALTER TABLE cluster_sweeps ENABLE ROW LEVEL SECURITY;
ALTER TABLE cluster_sweep_shards ENABLE ROW LEVEL SECURITY;
ALTER TABLE cluster_sweep_rows ENABLE ROW LEVEL SECURITY;

REVOKE ALL ON cluster_sweeps, cluster_sweep_shards, cluster_sweep_rows FROM PUBLIC;
GRANT SELECT, DELETE ON cluster_sweeps TO stratagraph_user;
GRANT SELECT ON cluster_sweep_shards, cluster_sweep_rows TO stratagraph_user;

DROP POLICY IF EXISTS cluster_sweeps_read ON cluster_sweeps;
DROP POLICY IF EXISTS cluster_sweeps_delete ON cluster_sweeps;
DROP POLICY IF EXISTS cluster_sweep_shards_read ON cluster_sweep_shards;
DROP POLICY IF EXISTS cluster_sweep_rows_read ON cluster_sweep_rows;
CREATE POLICY cluster_sweeps_read ON cluster_sweeps FOR SELECT TO stratagraph_user
  USING (owner_id = (SELECT sg_current_user_id()) OR (SELECT sg_is_admin()));
CREATE POLICY cluster_sweeps_delete ON cluster_sweeps FOR DELETE TO stratagraph_user
  USING (owner_id = (SELECT sg_current_user_id()));
CREATE POLICY cluster_sweep_shards_read ON cluster_sweep_shards FOR SELECT TO stratagraph_user
  USING (EXISTS (SELECT 1 FROM cluster_sweeps s WHERE s.id = sweep_id));
CREATE POLICY cluster_sweep_rows_read ON cluster_sweep_rows FOR SELECT TO stratagraph_user
  USING (EXISTS (SELECT 1 FROM cluster_sweeps s WHERE s.id = sweep_id));

-- Writes one batch of a shard's rows (p_rows: a JSON array of {"idx", "params", "metrics",
-- "blocks"}) in the caller's transaction. p_combinations is the shard's row count; the shard
-- is finished once that many of its rows are stored. Returns the rows this call inserted and
-- the shard's rows stored after it.
CREATE OR REPLACE FUNCTION sg_cluster_sweep_write(
  p_sweep uuid, p_sweep_hash text, p_data_hash text, p_shards integer, p_total integer,
  p_sort text, p_spec jsonb, p_shard integer, p_combinations integer, p_rows jsonb)
RETURNS TABLE (inserted integer, stored integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_me uuid := sg_session_user_id();
  v_sweep cluster_sweeps%ROWTYPE;
  v_inserted integer;
  v_stored integer;
  v_bad integer;
BEGIN
  IF v_me IS NULL THEN
    RAISE EXCEPTION 'this login is not mapped to a user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_shard IS NULL OR p_shards IS NULL OR p_shard < 0 OR p_shard >= p_shards THEN
    RAISE EXCEPTION 'shard %/% is out of range', p_shard, p_shards
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_rows IS NULL OR jsonb_typeof(p_rows) <> 'array' OR jsonb_array_length(p_rows) > 10000 THEN
    RAISE EXCEPTION 'rows must be a JSON array of at most 10000 rows'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_combinations IS NULL OR p_combinations < 0 OR p_combinations > p_total THEN
    RAISE EXCEPTION 'a shard of % combinations cannot hold %', p_total, p_combinations
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO cluster_sweeps (id, owner_id, sweep_hash, data_hash, shards, total, sort, spec)
  VALUES (p_sweep, v_me, p_sweep_hash, p_data_hash, p_shards, p_total, p_sort, p_spec)
  ON CONFLICT (id) DO NOTHING;
  SELECT * INTO v_sweep FROM cluster_sweeps WHERE id = p_sweep FOR SHARE;
  IF v_sweep.owner_id IS DISTINCT FROM v_me THEN
    RAISE EXCEPTION 'sweep % is not yours', p_sweep USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF (v_sweep.sweep_hash, v_sweep.data_hash, v_sweep.shards, v_sweep.total)
     IS DISTINCT FROM (p_sweep_hash, p_data_hash, p_shards, p_total) THEN
    RAISE EXCEPTION 'sweep % on the server is another sweep (sweep %, data %, % shards, % combinations)',
      p_sweep, left(v_sweep.sweep_hash, 12), left(v_sweep.data_hash, 12), v_sweep.shards,
      v_sweep.total USING ERRCODE = 'unique_violation';
  END IF;
  INSERT INTO cluster_sweep_shards (sweep_id, shard, combinations)
  VALUES (p_sweep, p_shard, p_combinations)
  ON CONFLICT (sweep_id, shard) DO NOTHING;
  IF (SELECT combinations FROM cluster_sweep_shards WHERE sweep_id = p_sweep AND shard = p_shard)
     <> p_combinations THEN
    RAISE EXCEPTION 'shard %/% of sweep % was written with another combination count',
      p_shard, p_shards, p_sweep USING ERRCODE = 'unique_violation';
  END IF;
  -- The batch is read from p_rows in each statement (no temporary table: one the caller
  -- created beforehand under the same name could carry triggers run with this function's
  -- rights).
  SELECT count(*) FILTER (WHERE b.idx IS NULL OR b.idx < 0 OR b.idx >= p_total
           OR jsonb_typeof(b.params) IS DISTINCT FROM 'object'
           OR jsonb_typeof(b.metrics) IS DISTINCT FROM 'object'
           OR jsonb_typeof(b.blocks) IS DISTINCT FROM 'array'
           OR length(b.params::text) + length(b.metrics::text) + length(b.blocks::text) > 65536)
         + (count(*) - count(DISTINCT b.idx))
  INTO v_bad
  FROM jsonb_to_recordset(p_rows) AS b (idx integer, params jsonb, metrics jsonb, blocks jsonb);
  IF v_bad > 0 THEN
    RAISE EXCEPTION '% rows have no index in 0..% (or one given twice), params or metrics that are not objects, or blocks that are not an array',
      v_bad, p_total - 1 USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- A row already stored must be the same row, from the same shard: a retried shard changes
  -- nothing, a shard of other data or code is refused.
  SELECT count(*) INTO v_bad
  FROM jsonb_to_recordset(p_rows) AS b (idx integer, params jsonb, metrics jsonb, blocks jsonb)
  JOIN cluster_sweep_rows r ON r.sweep_id = p_sweep AND r.idx = b.idx
  WHERE (r.shard, r.params, r.metrics, r.blocks)
        IS DISTINCT FROM (p_shard, b.params, b.metrics, b.blocks);
  IF v_bad > 0 THEN
    RAISE EXCEPTION '% rows of shard %/% differ from the rows stored for sweep %',
      v_bad, p_shard, p_shards, p_sweep USING ERRCODE = 'unique_violation';
  END IF;
  INSERT INTO cluster_sweep_rows (sweep_id, idx, shard, params, metrics, blocks)
  SELECT p_sweep, b.idx, p_shard, b.params, b.metrics, b.blocks
  FROM jsonb_to_recordset(p_rows) AS b (idx integer, params jsonb, metrics jsonb, blocks jsonb)
  ON CONFLICT (sweep_id, idx) DO NOTHING;
  GET DIAGNOSTICS v_inserted = ROW_COUNT;
  IF v_inserted > 0 AND (sg_quota_of(v_me) -> 'server_sweep_rows_per_month') IS NOT NULL
     AND jsonb_typeof(sg_quota_of(v_me) -> 'server_sweep_rows_per_month') <> 'null' THEN
    IF NOT EXISTS (SELECT 1 FROM sg_consume(gen_random_uuid(), v_me, 'server_sweep_rows_per_month',
                                            v_inserted, now())) THEN
      RAISE EXCEPTION 'quota exceeded for server_sweep_rows_per_month: limit %',
        sg_quota_of(v_me) ->> 'server_sweep_rows_per_month' USING ERRCODE = 'program_limit_exceeded';
    END IF;
  END IF;
  SELECT count(*) INTO v_stored FROM cluster_sweep_rows WHERE sweep_id = p_sweep AND shard = p_shard;
  IF v_stored > p_combinations THEN
    RAISE EXCEPTION 'shard %/% of sweep % would hold % rows of %', p_shard, p_shards, p_sweep,
      v_stored, p_combinations USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF v_stored = p_combinations THEN
    UPDATE cluster_sweep_shards SET finished_at = coalesce(finished_at, now())
    WHERE sweep_id = p_sweep AND shard = p_shard;
  END IF;
  RETURN QUERY SELECT v_inserted, v_stored;
END $$;
REVOKE ALL ON FUNCTION sg_cluster_sweep_write(uuid, text, text, integer, integer, text, jsonb,
  integer, integer, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sg_cluster_sweep_write(uuid, text, text, integer, integer, text, jsonb,
  integer, integer, jsonb) TO stratagraph_user;

INSERT INTO sg_meta (key, value) VALUES ('schema_version', '8')
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
