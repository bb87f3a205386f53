-- Paper trading (issue 11): runs pinned to a version with their market, costs, trading window,
-- catch-up policy and engine state; the bars each run saw, its fills, closed trades and events;
-- the replayed data of replay runs; and the lease that lets one process drive a run.
--
-- paper_trade_runs is rebuilt (SQLite cannot change a CHECK list): the status values become
-- pending -> running <-> paused -> stopped, or error (with status_reason). Existing rows keep
-- their data ('scheduled' becomes 'pending', 'failed' becomes 'error').

CREATE TABLE paper_trade_runs_v2 (
  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
  strategy_version_id TEXT NOT NULL REFERENCES strategy_versions(id) ON DELETE CASCADE,
  schedule TEXT NOT NULL CHECK (json_valid(schedule)),
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'paused', 'stopped', 'error')),
  last_execution_at TEXT,
  performance_snapshot TEXT CHECK (performance_snapshot IS NULL OR json_valid(performance_snapshot)),
  alert_config TEXT CHECK (alert_config IS NULL OR json_valid(alert_config)),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'),
  name TEXT NOT NULL DEFAULT '',
  parameters TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(parameters) AND json_type(parameters) = 'object'),
  feed TEXT NOT NULL DEFAULT 'replay' CHECK (feed IN ('replay', 'binance', 'kraken')),
  symbol TEXT NOT NULL DEFAULT '',
  bar_interval TEXT NOT NULL DEFAULT '1m',
  feed_config TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(feed_config) AND json_type(feed_config) = 'object'),
  initial_cash REAL NOT NULL DEFAULT 10000 CHECK (initial_cash > 0),
  commission REAL NOT NULL DEFAULT 0 CHECK (commission >= 0 AND commission < 1),
  slippage_bps REAL NOT NULL DEFAULT 0 CHECK (slippage_bps >= 0 AND slippage_bps < 10000),
  schedule_cron TEXT,
  catch_up_policy TEXT NOT NULL DEFAULT 'trade' CHECK (catch_up_policy IN ('trade', 'trade_and_flag', 'pause')),
  start_after INTEGER,
  status_reason TEXT,
  feed_status TEXT,
  late_decision TEXT CHECK (late_decision IS NULL OR late_decision IN ('fill', 'skip')),
  state_snapshot TEXT CHECK (state_snapshot IS NULL OR json_valid(state_snapshot)),
  bars_processed INTEGER NOT NULL DEFAULT 0 CHECK (bars_processed >= 0),
  last_bar_time INTEGER,
  fills_count INTEGER NOT NULL DEFAULT 0,
  notifications_held INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
);

INSERT INTO paper_trade_runs_v2 (id, strategy_version_id, schedule, status, last_execution_at,
  performance_snapshot, alert_config, created_at, updated_at)
SELECT id, strategy_version_id, schedule,
  CASE status WHEN 'scheduled' THEN 'pending' WHEN 'failed' THEN 'error' ELSE status END,
  last_execution_at, performance_snapshot, alert_config, created_at, created_at
FROM paper_trade_runs;

DROP TABLE paper_trade_runs;
ALTER TABLE paper_trade_runs_v2 RENAME TO paper_trade_runs;
CREATE INDEX paper_trade_runs_version_idx ON paper_trade_runs (strategy_version_id);
CREATE INDEX paper_trade_runs_status_idx ON paper_trade_runs (status);

CREATE TRIGGER paper_trade_runs_outbox_insert AFTER INSERT ON paper_trade_runs
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('paper_trade_runs', NEW.id, 'insert');
END;

CREATE TRIGGER paper_trade_runs_outbox_update AFTER UPDATE ON paper_trade_runs
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('paper_trade_runs', NEW.id, 'update');
END;

CREATE TRIGGER paper_trade_runs_outbox_delete AFTER DELETE ON paper_trade_runs
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('paper_trade_runs', OLD.id, 'delete');
END;

-- Every bar a run processed, as it saw it: reconciliation backtests these.
CREATE TABLE paper_bars (
  run_id TEXT NOT NULL REFERENCES paper_trade_runs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL CHECK (seq >= 0),
  time INTEGER NOT NULL,
  open REAL NOT NULL,
  high REAL NOT NULL,
  low REAL NOT NULL,
  close REAL NOT NULL,
  volume REAL NOT NULL,
  equity REAL NOT NULL,
  -- The bar was processed after the next one had already closed (catch-up).
  late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
  -- Bars the feed never delivered between the previous bar and this one.
  gap_before INTEGER NOT NULL DEFAULT 0 CHECK (gap_before >= 0),
  processed_at TEXT NOT NULL,
  PRIMARY KEY (run_id, seq),
  UNIQUE (run_id, time)
) WITHOUT ROWID;

CREATE TABLE paper_fills (
  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
  run_id TEXT NOT NULL REFERENCES paper_trade_runs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL CHECK (seq >= 0),
  bar_seq INTEGER NOT NULL,
  time INTEGER NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('long', 'short')),
  action TEXT NOT NULL CHECK (action IN ('entry', 'exit')),
  price REAL NOT NULL,
  units REAL NOT NULL,
  commission REAL NOT NULL,
  reason TEXT,
  late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
  created_at TEXT NOT NULL,
  UNIQUE (run_id, seq)
);

CREATE TABLE paper_trades (
  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
  run_id TEXT NOT NULL REFERENCES paper_trade_runs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL CHECK (seq >= 0),
  -- The engine's Trade as JSON (sides, bars, times, prices, size, pnl, reason).
  trade TEXT NOT NULL CHECK (json_valid(trade)),
  pnl REAL NOT NULL,
  exit_time INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (run_id, seq)
);

CREATE TABLE paper_events (
  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
  run_id TEXT NOT NULL REFERENCES paper_trade_runs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('status', 'late_order', 'gap', 'revision', 'feed_error',
    'feed_ok', 'flood_limited', 'order_skipped')),
  message TEXT NOT NULL,
  bar_time INTEGER,
  detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
  created_at TEXT NOT NULL
);
CREATE INDEX paper_events_run_idx ON paper_events (run_id, created_at);

-- The bars a replay run plays (canonical bytes of the engine's Bars and their BLAKE3), so any
-- process that opens the database can drive it.
CREATE TABLE paper_replay_data (
  run_id TEXT PRIMARY KEY NOT NULL REFERENCES paper_trade_runs(id) ON DELETE CASCADE,
  bars BLOB NOT NULL,
  checksum BLOB NOT NULL CHECK (length(checksum) = 32)
);

-- Which process drives a run (local only: a lease is about processes on this machine).
CREATE TABLE paper_run_leases (
  run_id TEXT PRIMARY KEY NOT NULL REFERENCES paper_trade_runs(id) ON DELETE CASCADE,
  holder TEXT NOT NULL,
  token TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  acquired_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
