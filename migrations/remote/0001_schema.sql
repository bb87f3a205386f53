-- Stratagraph remote store (PostgreSQL 15+, TimescaleDB optional): the ten tables of the
-- product's schema plus the sync bookkeeping.
--
-- Every statement is idempotent, so this file applies the same way through sqlx's migrator
-- (`stratagraph sync migrate`) and through `psql -v ON_ERROR_STOP=1 -f` in filename order,
-- and re-applying it (e.g. the migrator after an operator's psql run) changes nothing.
-- Departures from the seed, and why: migrations/README.md.

-- Schema version marker (read by the app to refuse servers newer than itself) ---------------

CREATE TABLE IF NOT EXISTS sg_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Users and plans ----------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS users (
  id UUID PRIMARY KEY,
  email TEXT UNIQUE NOT NULL CHECK (length(email) > 0),
  display_name TEXT NOT NULL,
  roles TEXT[] NOT NULL,
  plan_tier TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_active_at TIMESTAMPTZ,
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  sync_stamp TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS subscription_plans (
  id UUID PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  stripe_customer_id TEXT,
  plan_code TEXT NOT NULL,
  quota JSONB NOT NULL CHECK (jsonb_typeof(quota) = 'object'),
  status TEXT NOT NULL CHECK (status IN ('active', 'trialing', 'past_due', 'cancelled', 'expired')),
  renewal_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  sync_stamp TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS subscription_plans_user_idx ON subscription_plans (user_id, created_at DESC);

CREATE TABLE IF NOT EXISTS plan_usage (
  id UUID PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  metric TEXT NOT NULL,
  window_start TIMESTAMPTZ NOT NULL,
  window_end TIMESTAMPTZ NOT NULL,
  used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
  plan_limit INTEGER NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  sync_stamp TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (user_id, metric, window_start)
);
CREATE INDEX IF NOT EXISTS plan_usage_lookup_idx ON plan_usage (user_id, metric, window_start DESC);

-- Strategies and versions --------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS strategies (
  id UUID PRIMARY KEY,
  owner_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  slug TEXT UNIQUE NOT NULL CHECK (length(slug) > 0),
  status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
  visibility TEXT NOT NULL CHECK (visibility IN ('private', 'unlisted', 'public')),
  tags TEXT[] NOT NULL DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  sync_stamp TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS strategies_owner_updated_idx ON strategies (owner_id, updated_at DESC);

CREATE TABLE IF NOT EXISTS strategy_versions (
  id UUID PRIMARY KEY,
  strategy_id UUID NOT NULL REFERENCES strategies(id) ON DELETE CASCADE,
  version INTEGER NOT NULL CHECK (version >= 1),
  graph_json JSONB NOT NULL,
  notes TEXT,
  created_by UUID REFERENCES users(id),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  sync_stamp TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (strategy_id, version)
);

-- Runs ---------------------------------------------------------------------------------------

-- The primary key holds the partitioning column because TimescaleDB requires every unique
-- index of a hypertable to (TS103). Ids stay unique by construction (client UUIDv7).
CREATE TABLE IF NOT EXISTS backtest_runs (
  id UUID NOT NULL,
  strategy_version_id UUID NOT NULL REFERENCES strategy_versions(id) ON DELETE CASCADE,
  requested_by UUID REFERENCES users(id),
  parameters JSONB NOT NULL,
  status TEXT NOT NULL
    CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')),
  metrics JSONB,
  started_at TIMESTAMPTZ,
  completed_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  sync_stamp TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (id, created_at)
);
CREATE INDEX IF NOT EXISTS backtest_runs_version_idx ON backtest_runs (strategy_version_id, created_at DESC);
CREATE INDEX IF NOT EXISTS backtest_runs_id_idx ON backtest_runs (id);

CREATE TABLE IF NOT EXISTS paper_trade_runs (
  id UUID PRIMARY KEY,
  strategy_version_id UUID NOT NULL REFERENCES strategy_versions(id) ON DELETE CASCADE,
  schedule JSONB NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('scheduled', 'running', 'paused', 'stopped', 'failed')),
  last_execution_at TIMESTAMPTZ,
  performance_snapshot JSONB,
  alert_config JSONB,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  sync_stamp TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS paper_trade_runs_version_idx ON paper_trade_runs (strategy_version_id);

-- Notifications, templates, compliance -------------------------------------------------------

CREATE TABLE IF NOT EXISTS notifications (
  id UUID PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  type TEXT NOT NULL CHECK (type IN ('backtest_done', 'sweep_done', 'paper_fill', 'paper_alert',
    'template_cloned', 'compliance_decision', 'quota_near_limit', 'sync_conflict')),
  payload JSONB NOT NULL,
  channel TEXT NOT NULL CHECK (channel IN ('in_app', 'os', 'email')),
  read_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  sync_stamp TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX IF NOT EXISTS notifications_user_created_idx ON notifications (user_id, created_at DESC);

CREATE TABLE IF NOT EXISTS template_shares (
  id UUID PRIMARY KEY,
  strategy_version_id UUID NOT NULL REFERENCES strategy_versions(id) ON DELETE CASCADE,
  educator_id UUID REFERENCES users(id),
  audience_scope TEXT NOT NULL CHECK (audience_scope IN ('private', 'students', 'public')),
  metadata JSONB NOT NULL CHECK (jsonb_typeof(metadata) = 'object'),
  clone_count INTEGER NOT NULL DEFAULT 0 CHECK (clone_count >= 0),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  sync_stamp TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS template_shares_version_idx ON template_shares (strategy_version_id);

CREATE TABLE IF NOT EXISTS compliance_events (
  id UUID PRIMARY KEY,
  entity_type TEXT NOT NULL CHECK (length(entity_type) > 0),
  entity_id UUID NOT NULL,
  event_type TEXT NOT NULL CHECK (length(event_type) > 0),
  payload JSONB NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'approved', 'rejected', 'recorded')),
  created_by UUID REFERENCES users(id),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  resolved_at TIMESTAMPTZ,
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  sync_stamp TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_compliance_entity ON compliance_events (entity_type, entity_id);
CREATE INDEX IF NOT EXISTS compliance_events_status_idx ON compliance_events (status, created_at);

-- Sync bookkeeping ---------------------------------------------------------------------------

-- Deleted rows, so that other devices learn of deletes (ids only; ids are never reused).
CREATE TABLE IF NOT EXISTS sync_tombstones (
  table_name TEXT NOT NULL,
  row_id UUID NOT NULL,
  deleted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sync_txid XID8 NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (table_name, row_id)
);
CREATE INDEX IF NOT EXISTS sync_tombstones_cursor_idx ON sync_tombstones (sync_txid, row_id);

-- Every write stamps the row with the writing transaction's id: pulls page by
-- (sync_txid, id) below the oldest transaction still running, so no commit is ever skipped.
CREATE OR REPLACE FUNCTION sg_stamp_txid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.sync_txid := pg_current_xact_id();
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION sg_record_tombstone() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO sync_tombstones (table_name, row_id) VALUES (TG_TABLE_NAME, OLD.id)
  ON CONFLICT (table_name, row_id) DO UPDATE SET sync_txid = pg_current_xact_id(),
    deleted_at = now();
  RETURN OLD;
END $$;

CREATE OR REPLACE FUNCTION sg_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.id, NEW.strategy_id, NEW.version, NEW.graph_json, NEW.notes, NEW.created_by,
      NEW.created_at) IS DISTINCT FROM (OLD.id, OLD.strategy_id, OLD.version, OLD.graph_json,
      OLD.notes, OLD.created_by, OLD.created_at) THEN
    RAISE EXCEPTION 'strategy versions are immutable' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER strategy_versions_immutable BEFORE UPDATE ON strategy_versions
  FOR EACH ROW EXECUTE FUNCTION sg_versions_immutable();

DO $$
DECLARE t TEXT;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'subscription_plans', 'plan_usage', 'strategies',
    'strategy_versions', 'backtest_runs', 'paper_trade_runs', 'notifications',
    'template_shares', 'compliance_events']
  LOOP
    EXECUTE format('CREATE OR REPLACE TRIGGER %I BEFORE INSERT OR UPDATE ON %I '
      'FOR EACH ROW EXECUTE FUNCTION sg_stamp_txid()', t || '_sync_txid', t);
    EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON %I '
      'FOR EACH ROW EXECUTE FUNCTION sg_record_tombstone()', t || '_tombstone', t);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I (sync_txid, id)', t || '_sync_idx', t);
  END LOOP;
END $$;

INSERT INTO sg_meta (key, value) VALUES ('schema_version', '1')
ON CONFLICT (key) DO UPDATE SET value = GREATEST(sg_meta.value::int, 1)::text;
