-- Paper trading syncs (issue 11): paper runs carry their market, costs, window, engine state
-- and the device that drives them; their fills, closed trades and events become synced
-- tables. Idempotent like every file here; run after 0001-0005.
--
-- These tables are plain tables, never hypertables: TimescaleDB's chunks would not carry
-- their row-level security (see 0005, section 1).

-- 1. paper_trade_runs: the local store's statuses and columns ---------------------------------
--
-- The local store's statuses are pending -> running <-> paused -> stopped, or error (with
-- status_reason); the first schema's CHECK allowed scheduled/failed instead, so pushes of
-- pending and error runs were refused. Rows written under the old names are renamed the way
-- the local store renamed its own (migrations/local/0003_paper_trading.sql).

ALTER TABLE paper_trade_runs DROP CONSTRAINT IF EXISTS paper_trade_runs_status_check;
UPDATE paper_trade_runs SET status = CASE status WHEN 'scheduled' THEN 'pending'
  WHEN 'failed' THEN 'error' END
WHERE status IN ('scheduled', 'failed');
ALTER TABLE paper_trade_runs ADD CONSTRAINT paper_trade_runs_status_check
  CHECK (status IN ('pending', 'running', 'paused', 'stopped', 'error'));

ALTER TABLE paper_trade_runs
  ADD COLUMN IF NOT EXISTS name TEXT NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS parameters JSONB NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(parameters) = 'object'),
  ADD COLUMN IF NOT EXISTS feed TEXT NOT NULL DEFAULT 'replay'
    CHECK (feed IN ('replay', 'binance', 'kraken')),
  ADD COLUMN IF NOT EXISTS symbol TEXT NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS bar_interval TEXT NOT NULL DEFAULT '1m',
  ADD COLUMN IF NOT EXISTS feed_config JSONB NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(feed_config) = 'object'),
  ADD COLUMN IF NOT EXISTS initial_cash DOUBLE PRECISION NOT NULL DEFAULT 10000
    CHECK (initial_cash > 0),
  ADD COLUMN IF NOT EXISTS commission DOUBLE PRECISION NOT NULL DEFAULT 0
    CHECK (commission >= 0 AND commission < 1),
  ADD COLUMN IF NOT EXISTS slippage_bps DOUBLE PRECISION NOT NULL DEFAULT 0
    CHECK (slippage_bps >= 0 AND slippage_bps < 10000),
  ADD COLUMN IF NOT EXISTS schedule_cron TEXT,
  ADD COLUMN IF NOT EXISTS catch_up_policy TEXT NOT NULL DEFAULT 'trade'
    CHECK (catch_up_policy IN ('trade', 'trade_and_flag', 'pause')),
  ADD COLUMN IF NOT EXISTS start_after BIGINT,
  ADD COLUMN IF NOT EXISTS status_reason TEXT,
  ADD COLUMN IF NOT EXISTS feed_status TEXT,
  ADD COLUMN IF NOT EXISTS late_decision TEXT
    CHECK (late_decision IS NULL OR late_decision IN ('fill', 'skip')),
  ADD COLUMN IF NOT EXISTS state_snapshot JSONB,
  ADD COLUMN IF NOT EXISTS bars_processed BIGINT NOT NULL DEFAULT 0 CHECK (bars_processed >= 0),
  ADD COLUMN IF NOT EXISTS last_bar_time BIGINT,
  ADD COLUMN IF NOT EXISTS fills_count BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS notifications_held INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- The device whose app or `paper serve` processes the run's bars; other devices show the
  -- run and never drive it until it is started or resumed there.
  ADD COLUMN IF NOT EXISTS driver_device UUID;

-- 2. Fills, closed trades and events of a run -------------------------------------------------
--
-- Written once by the driving device, removed with their run. (run_id, seq) is indexed but
-- not unique here: two devices that drove one run at the same moment (a resume on one before
-- the other's last bars arrived) must not stop each other's pushes; each device keeps its
-- own rows where they clash (crates/store/src/remote/engine.rs).

CREATE TABLE IF NOT EXISTS paper_fills (
  id UUID PRIMARY KEY,
  run_id UUID NOT NULL REFERENCES paper_trade_runs(id) ON DELETE CASCADE,
  seq BIGINT NOT NULL CHECK (seq >= 0),
  bar_seq BIGINT NOT NULL,
  time BIGINT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('long', 'short')),
  action TEXT NOT NULL CHECK (action IN ('entry', 'exit')),
  price DOUBLE PRECISION NOT NULL,
  units DOUBLE PRECISION NOT NULL,
  commission DOUBLE PRECISION NOT NULL,
  reason TEXT,
  late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  sync_stamp TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS paper_fills_run_idx ON paper_fills (run_id, seq);

CREATE TABLE IF NOT EXISTS paper_trades (
  id UUID PRIMARY KEY,
  run_id UUID NOT NULL REFERENCES paper_trade_runs(id) ON DELETE CASCADE,
  seq BIGINT NOT NULL CHECK (seq >= 0),
  trade JSONB NOT NULL,
  pnl DOUBLE PRECISION NOT NULL,
  exit_time BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  sync_stamp TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS paper_trades_run_idx ON paper_trades (run_id, seq);

CREATE TABLE IF NOT EXISTS paper_events (
  id UUID PRIMARY KEY,
  run_id UUID NOT NULL REFERENCES paper_trade_runs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('status', 'late_order', 'gap', 'revision', 'feed_error',
    'feed_ok', 'flood_limited', 'order_skipped')),
  message TEXT NOT NULL,
  bar_time BIGINT,
  detail JSONB NOT NULL DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  sync_stamp TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS paper_events_run_idx ON paper_events (run_id, created_at);

-- Sync stamps and tombstones, as for every synced table (0001, and 0005 section 3).
DO $$
DECLARE t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['paper_fills', 'paper_trades', 'paper_events']
  LOOP
    EXECUTE format('CREATE OR REPLACE TRIGGER %I BEFORE INSERT OR UPDATE ON %I '
      'FOR EACH ROW EXECUTE FUNCTION sg_stamp_txid()', t || '_sync_txid', t);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON %I '
      'FOR EACH ROW EXECUTE FUNCTION sg_record_tombstone(%L)', t || '_tombstone', t, t);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I (sync_txid, id)', t || '_sync_idx', t);
  END LOOP;
END $$;

-- 3. Access: a run's rows are its owner's --------------------------------------------------
--
-- Like paper_trade_runs (0005): the rows of runs of your own strategies' versions, as a set
-- built once per statement; the caller's identity is evaluated once per statement.

DO $$
DECLARE t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['paper_fills', 'paper_trades', 'paper_events']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
    EXECUTE format('DROP POLICY IF EXISTS %I ON %I', t || '_own', t);
    EXECUTE format($p$CREATE POLICY %I ON %I FOR ALL TO stratagraph_user
      USING (run_id IN (SELECT p.id FROM paper_trade_runs p
                        JOIN strategy_versions v ON v.id = p.strategy_version_id
                        JOIN strategies s ON s.id = v.strategy_id
                        WHERE s.owner_id = (SELECT sg_current_user_id()))
             OR (SELECT sg_is_admin()))
      WITH CHECK (run_id IN (SELECT p.id FROM paper_trade_runs p
                             JOIN strategy_versions v ON v.id = p.strategy_version_id
                             JOIN strategies s ON s.id = v.strategy_id
                             WHERE s.owner_id = (SELECT sg_current_user_id()))
                  OR (SELECT sg_is_admin()))$p$, t || '_own', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO stratagraph_user', t);
  END LOOP;
END $$;

INSERT INTO sg_meta (key, value) VALUES ('schema_version', '6')
ON CONFLICT (key) DO UPDATE SET value = GREATEST(sg_meta.value::int, 6)::text;
