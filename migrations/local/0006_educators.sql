-- Educators. The reviewing role is `reviewer` (it was `compliance`), and templates may reach
-- one of the educator's cohorts or the whole organisation (decided by the shared server, see
-- remote 0007). The server makes the same changes to its rows, so nothing here is queued for
-- sync (applying_remote is set for the duration).
UPDATE sync_state SET applying_remote = 1 WHERE id = 1;

UPDATE users SET roles = (
  SELECT json_group_array(CASE r.value WHEN 'compliance' THEN 'reviewer' ELSE r.value END)
  FROM json_each(users.roles) r)
WHERE EXISTS (SELECT 1 FROM json_each(users.roles) r WHERE r.value = 'compliance');

-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with its index and
-- outbox triggers.
CREATE TABLE template_shares_new (
  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
  strategy_version_id TEXT NOT NULL REFERENCES strategy_versions(id) ON DELETE CASCADE,
  educator_id TEXT REFERENCES users(id),
  audience_scope TEXT NOT NULL
    CHECK (audience_scope IN ('private', 'students', 'public', 'cohort', 'organisation')),
  metadata TEXT NOT NULL CHECK (json_valid(metadata) AND json_type(metadata) = 'object'),
  clone_count INTEGER NOT NULL DEFAULT 0 CHECK (clone_count >= 0),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')
);
INSERT INTO template_shares_new (id, strategy_version_id, educator_id, audience_scope, metadata,
                                 clone_count, created_at)
SELECT id, strategy_version_id, educator_id, audience_scope, metadata, clone_count, created_at
FROM template_shares;
DROP TABLE template_shares;
ALTER TABLE template_shares_new RENAME TO template_shares;
CREATE INDEX template_shares_version_idx ON template_shares (strategy_version_id);

CREATE TRIGGER template_shares_outbox_insert AFTER INSERT ON template_shares
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('template_shares', NEW.id, 'insert');
END;

CREATE TRIGGER template_shares_outbox_update AFTER UPDATE ON template_shares
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('template_shares', NEW.id, 'update');
END;

CREATE TRIGGER template_shares_outbox_delete AFTER DELETE ON template_shares
WHEN (SELECT applying_remote FROM sync_state WHERE id = 1) = 0
BEGIN
  INSERT INTO sync_outbox (table_name, row_id, op) VALUES ('template_shares', OLD.id, 'delete');
END;

UPDATE sync_state SET applying_remote = 0 WHERE id = 1;
