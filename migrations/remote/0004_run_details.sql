-- Bulky run details (the trade list and the decimated equity curve of a completed backtest),
-- synced only by devices whose configuration says `include_run_details`. One row per run,
-- written once (details never change after the run completes) and removed with the run.
--
-- `trades` is `json`, not `jsonb`: the trade table must come back exactly as the engine wrote
-- it (jsonb would reorder keys and renormalise numbers). `equity` is the local store's blob
-- as is: 16 bytes per point (i64 milliseconds + f64 value, little endian).
--
-- The foreign key into `backtest_runs` names both columns of its primary key (a hypertable's
-- unique keys must contain `created_at`, see 0001/0003); `ON DELETE CASCADE` removes the
-- details with their run (the run's tombstone tells other devices, whose local details
-- cascade the same way).

CREATE TABLE IF NOT EXISTS backtest_run_details (
  run_id UUID PRIMARY KEY,
  run_created_at TIMESTAMPTZ NOT NULL,
  result_hash TEXT,
  trades JSON NOT NULL CHECK (json_typeof(trades) = 'array'),
  equity BYTEA NOT NULL CHECK (octet_length(equity) % 16 = 0),
  equity_points_full BIGINT NOT NULL CHECK (equity_points_full >= 0),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  FOREIGN KEY (run_id, run_created_at) REFERENCES backtest_runs (id, created_at)
    ON DELETE CASCADE
);

-- Whether p_user may see run p_run: the same rule as the backtest_runs policy (the runs you
-- requested, and unattributed runs of versions of your own strategies).
CREATE OR REPLACE FUNCTION sg_run_visible(p_run uuid, p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM backtest_runs r WHERE r.id = p_run
                 AND (r.requested_by = p_user
                      OR (r.requested_by IS NULL
                          AND sg_owns_version(r.strategy_version_id, p_user))))
$$;

ALTER TABLE backtest_run_details ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON backtest_run_details TO stratagraph_user;
DROP POLICY IF EXISTS backtest_run_details_own ON backtest_run_details;
CREATE POLICY backtest_run_details_own ON backtest_run_details FOR ALL TO stratagraph_user
  USING (sg_is_admin() OR sg_run_visible(run_id, sg_current_user_id()))
  WITH CHECK (sg_is_admin() OR sg_run_visible(run_id, sg_current_user_id()));

INSERT INTO sg_meta (key, value) VALUES ('schema_version', '4')
ON CONFLICT (key) DO UPDATE SET value = GREATEST(sg_meta.value::int, 4)::text;
