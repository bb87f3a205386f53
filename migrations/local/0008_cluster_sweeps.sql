-- Sweeps launched on a cluster from this app ("Run on a cluster…"), local only (never synced):
-- the server sweep id the emitted script writes to, with the strategy version, dataset and
-- grid it was planned on, so that the app can follow its progress on the shared server and,
-- once every shard is in, store its rows as a local sweep (`local_sweep_id`) that the Research
-- view opens like any other.

CREATE TABLE cluster_sweep_links (
  sweep_id TEXT PRIMARY KEY NOT NULL CHECK (length(sweep_id) = 36),
  strategy_version_id TEXT NOT NULL REFERENCES strategy_versions(id) ON DELETE CASCADE,
  dataset_id TEXT NOT NULL CHECK (length(dataset_id) > 0),
  data_hash TEXT NOT NULL CHECK (length(data_hash) = 64),
  sweep_hash TEXT NOT NULL CHECK (length(sweep_hash) = 64),
  -- The grid and settings, as a local sweep's spec.
  spec TEXT NOT NULL CHECK (json_valid(spec) AND json_type(spec) = 'object'),
  scheduler TEXT NOT NULL CHECK (scheduler IN ('slurm', 'kubernetes')),
  shards INTEGER NOT NULL CHECK (shards >= 1),
  local_sweep_id TEXT REFERENCES sweeps(id) ON DELETE SET NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
);
