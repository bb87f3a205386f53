-- Pulled rows that could not be applied yet because a row they require (their strategy,
-- version or user) is not on this device: kept here, with the pull cursor moving on, and
-- applied by a later pull once the parent arrives. Dropped when the server deletes the row
-- or stops showing it to this user. Local only, never synced.
CREATE TABLE sync_parked (
  table_name TEXT NOT NULL,
  row_id TEXT NOT NULL,
  row_json TEXT NOT NULL CHECK (json_valid(row_json)),
  parked_at TEXT NOT NULL,
  PRIMARY KEY (table_name, row_id)
);
