-- Paper runs, their fills, closed trades and events sync like the other tables (issue 11;
-- remote side: migrations/remote/0006_paper_sync.sql).
--
-- Which device drives a run: `paper_trade_runs.driver_device` (synced) names the device
-- whose app or `paper serve` processes the run's bars; `local_device` (local only) is this
-- installation's id. A run pulled from another device is shown here but never driven here
-- until it is started or resumed here, which makes this device its driver (the other device
-- then stops at its next bar). The lease (`paper_run_leases`) stays local: it decides
-- between processes on one machine. The bars a run saw (`paper_bars`) and a replay run's
-- data (`paper_replay_data`) stay on the driving device: they are its feed's input, needed
-- only where the run is driven and reconciled.

CREATE TABLE local_device (
  id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
  device_id TEXT NOT NULL CHECK (length(device_id) = 36)
);
INSERT INTO local_device (id, device_id)
SELECT 1, lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-'
  || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(h, 18, 3) || '-' || substr(h, 21, 12))
FROM (SELECT hex(randomblob(16)) AS h);

-- A driven run is updated at every bar: its queued update replaces the one before, so the
-- outbox holds one entry per run however long the device stays offline (the push reads the
-- row's current state; an entry a push in flight already read is kept until that push ends,
-- and the new one, queued after it, is sent next).
DROP TRIGGER paper_trade_runs_outbox_update;
CREATE TRIGGER paper_trade_runs_outbox_update AFTER UPDATE ON paper_trade_runs
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  DELETE FROM sync_outbox WHERE table_name = 'paper_trade_runs' AND row_id = NEW.id
    AND op = 'update';
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('paper_trade_runs', NEW.id, 'update');
END;

ALTER TABLE paper_trade_runs ADD COLUMN driver_device TEXT
  CHECK (driver_device IS NULL OR length(driver_device) = 36);
-- Runs made before this migration were made (and are driven) here. The update queues every
-- run for the next push (the outbox trigger), which servers before remote 0006 may have
-- refused (their statuses).
UPDATE paper_trade_runs SET driver_device = (SELECT device_id FROM local_device WHERE id = 1);

-- Fills, trades and events were never queued: queue them once.
INSERT INTO sync_outbox (table_name, row_id, op) SELECT 'paper_fills', id, 'insert'
FROM paper_fills;
INSERT INTO sync_outbox (table_name, row_id, op) SELECT 'paper_trades', id, 'insert'
FROM paper_trades;
INSERT INTO sync_outbox (table_name, row_id, op) SELECT 'paper_events', id, 'insert'
FROM paper_events;

CREATE TRIGGER paper_fills_outbox_insert AFTER INSERT ON paper_fills
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('paper_fills', NEW.id, 'insert');
END;
CREATE TRIGGER paper_fills_outbox_update AFTER UPDATE ON paper_fills
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('paper_fills', NEW.id, 'update');
END;
CREATE TRIGGER paper_fills_outbox_delete AFTER DELETE ON paper_fills
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('paper_fills', OLD.id, 'delete');
END;

CREATE TRIGGER paper_trades_outbox_insert AFTER INSERT ON paper_trades
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('paper_trades', NEW.id, 'insert');
END;
CREATE TRIGGER paper_trades_outbox_update AFTER UPDATE ON paper_trades
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('paper_trades', NEW.id, 'update');
END;
CREATE TRIGGER paper_trades_outbox_delete AFTER DELETE ON paper_trades
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('paper_trades', OLD.id, 'delete');
END;

CREATE TRIGGER paper_events_outbox_insert AFTER INSERT ON paper_events
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('paper_events', NEW.id, 'insert');
END;
CREATE TRIGGER paper_events_outbox_update AFTER UPDATE ON paper_events
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('paper_events', NEW.id, 'update');
END;
CREATE TRIGGER paper_events_outbox_delete AFTER DELETE ON paper_events
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('paper_events', OLD.id, 'delete');
END;
