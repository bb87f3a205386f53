-- Research results, local only (never synced): parameter sweeps with their grid, data identity
-- and every row, and the trial ledger the Deflated Sharpe Ratio counts (docs/robustness.md).

CREATE TABLE sweeps (
  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
  strategy_version_id TEXT NOT NULL REFERENCES strategy_versions(id) ON DELETE CASCADE,
  requested_by TEXT REFERENCES users(id),
  dataset_id TEXT NOT NULL CHECK (length(dataset_id) > 0),
  data_hash TEXT NOT NULL CHECK (length(data_hash) > 0),
  -- The grid (axes, random draw, constraints), the metric, the thread count.
  spec TEXT NOT NULL CHECK (json_valid(spec) AND json_type(spec) = 'object'),
  status TEXT NOT NULL CHECK (status IN ('completed', 'cancelled')),
  -- Combinations planned; sweep_rows holds the finished ones.
  total INTEGER NOT NULL CHECK (total >= 0),
  -- What is worked out once at the end: PBO, timing, cache counters.
  summary TEXT NOT NULL CHECK (json_valid(summary) AND json_type(summary) = 'object'),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
);
CREATE INDEX sweeps_version_idx ON sweeps (strategy_version_id, created_at DESC);

CREATE TABLE sweep_rows (
  sweep_id TEXT NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
  -- The combination's position in the sweep's own order.
  idx INTEGER NOT NULL CHECK (idx >= 0),
  params TEXT NOT NULL CHECK (json_valid(params) AND json_type(params) = 'object'),
  metrics TEXT NOT NULL CHECK (json_valid(metrics) AND json_type(metrics) = 'object'),
  PRIMARY KEY (sweep_id, idx)
) WITHOUT ROWID;

-- One row per finished backtest or sweep: how many trials it added to its strategy and the
-- count, sum and sum of squares of their per-period Sharpe ratios. Deleting a run or a sweep
-- keeps its trials (they were tried); deleting the strategy removes them.
CREATE TABLE research_trials (
  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
  strategy_id TEXT NOT NULL REFERENCES strategies(id) ON DELETE CASCADE,
  source TEXT NOT NULL CHECK (source IN ('backtest', 'sweep')),
  source_id TEXT NOT NULL CHECK (length(source_id) = 36),
  trials INTEGER NOT NULL CHECK (trials >= 1),
  sharpe_count INTEGER NOT NULL CHECK (sharpe_count >= 0 AND sharpe_count <= trials),
  sharpe_sum REAL NOT NULL,
  sharpe_sum_sq REAL NOT NULL CHECK (sharpe_sum_sq >= 0),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'),
  UNIQUE (source, source_id)
);
CREATE INDEX research_trials_strategy_idx ON research_trials (strategy_id);
