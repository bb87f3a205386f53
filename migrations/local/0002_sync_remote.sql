-- The remote server this installation syncs with (one row; local only, never synced).
-- The password or token is NOT here: it lives in the OS keyring (crates/store/src/remote).
CREATE TABLE sync_remote (
  id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
  host TEXT NOT NULL CHECK (length(host) > 0),
  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
  database TEXT NOT NULL CHECK (length(database) > 0),
  user_name TEXT NOT NULL CHECK (length(user_name) > 0),
  tls_mode TEXT NOT NULL CHECK (tls_mode IN ('disable', 'prefer', 'require', 'verify-full')),
  -- The account this device syncs as when the server does not map the role to a user.
  account_id TEXT CHECK (account_id IS NULL OR length(account_id) = 36),
  include_run_details INTEGER NOT NULL DEFAULT 0 CHECK (include_run_details IN (0, 1)),
  last_push_at TEXT,
  last_pull_at TEXT,
  last_error TEXT,
  updated_at TEXT NOT NULL
);
