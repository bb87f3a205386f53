-- TimescaleDB where the server has it: `backtest_runs` becomes a hypertable on `created_at`.
-- The extension is created only when it is both available and preloaded: on a server with
-- the library installed but missing from shared_preload_libraries, CREATE EXTENSION drops the
-- connection with FATAL, which no exception handler can catch. Without the extension the
-- table stays a plain table and everything else works the same.
--
-- Only features of TimescaleDB's Apache-2 build are used: compression, retention policies
-- and continuous aggregates need the community licence, so the daily usage view below is a
-- plain view (date_bin gives the same buckets as time_bucket), served by the hypertable's
-- chunk exclusion on created_at where the extension is present.

DO $$
BEGIN
  -- Whether the library is preloaded, readable by any role: shared_preload_libraries itself
  -- is superuser-only, but the preloaded loader defines integer settings of its own (a
  -- setting merely named in postgresql.conf would be a string placeholder).
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
     AND EXISTS (SELECT 1 FROM pg_settings
                 WHERE name = 'timescaledb.bgw_launcher_poll_time' AND vartype = 'integer') THEN
    CREATE EXTENSION IF NOT EXISTS timescaledb;
    PERFORM create_hypertable('backtest_runs', 'created_at', if_not_exists => TRUE,
                              migrate_data => TRUE);
    RAISE NOTICE 'backtest_runs is a TimescaleDB hypertable';
  ELSE
    RAISE NOTICE 'TimescaleDB is not available (or not preloaded): backtest_runs stays a plain table';
  END IF;
END $$;

-- Backtests per user and UTC day, for the usage screen. security_invoker: row-level security
-- of backtest_runs applies to whoever reads the view.
CREATE OR REPLACE VIEW backtest_runs_daily WITH (security_invoker = true) AS
SELECT date_bin('1 day', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS day,
       requested_by,
       count(*) AS runs,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'failed') AS failed
FROM backtest_runs
GROUP BY 1, 2;
GRANT SELECT ON backtest_runs_daily TO stratagraph_user;

INSERT INTO sg_meta (key, value) VALUES ('schema_version', '3')
ON CONFLICT (key) DO UPDATE SET value = GREATEST(sg_meta.value::int, 3)::text;
