//! The synced tables described once, and the SQL both sides run, generated from that.

/// How a column is stored locally (SQLite text/integer) and remotely (PostgreSQL type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `UUID` remotely, lowercase text locally.
    Id,
    /// `TEXT` on both sides.
    Text,
    /// `INTEGER` on both sides.
    Int,
    /// `BIGINT` remotely (bar times in milliseconds, counters), `INTEGER` locally.
    Long,
    /// `DOUBLE PRECISION` remotely, `REAL` locally; sent as 17 significant digits so the
    /// value arrives bit for bit.
    Real,
    /// `TIMESTAMPTZ` remotely, fixed-format UTC text locally.
    Time,
    /// `JSONB` remotely, JSON text locally.
    Json,
    /// `TEXT[]` remotely, a JSON array in text locally.
    Array,
}

impl Kind {
    fn pg_type(self) -> &'static str {
        match self {
            Self::Id => "uuid",
            Self::Text => "text",
            Self::Int => "integer",
            Self::Long => "bigint",
            Self::Real => "double precision",
            Self::Time => "timestamptz",
            Self::Json => "jsonb",
            Self::Array => "text[]",
        }
    }
}

/// A column and, for references, the table it points to (`None`: not a reference).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col {
    pub name: &'static str,
    pub kind: Kind,
    /// Referenced table, and whether the reference is required (`NOT NULL`).
    pub refs: Option<(&'static str, bool)>,
}

const fn c(name: &'static str, kind: Kind) -> Col {
    Col {
        name,
        kind,
        refs: None,
    }
}

const fn r(name: &'static str, table: &'static str, required: bool) -> Col {
    Col {
        name,
        kind: Kind::Id,
        refs: Some((table, required)),
    }
}

/// One synced table.
#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    pub cols: &'static [Col],
    /// The conflict target of the remote upsert (the primary key).
    pub remote_key: &'static str,
    /// Whether the table has `updated_at` (the last-writer-wins stamp); others use the time
    /// of the local change recorded in the outbox.
    pub has_updated_at: bool,
    /// Which incoming rows a non-administrator may write (SQL over the incoming row `i`).
    pub push_allowed: &'static str,
    /// The relation the sync reads and writes on the server: the table itself, or for
    /// `backtest_runs` the view user roles are given instead of the hypertable (see
    /// `migrations/remote/0005_isolation.sql`).
    pub remote: &'static str,
    /// SQLite condition over the local row `t`: the row is another user's (`?1` is this
    /// device's user), so it is here only while the server lets this user see it.
    pub foreign: &'static str,
}

use Kind::{Array, Int, Json, Long, Real, Text, Time};

/// Remote: the incoming row `i` belongs to a paper run of the user's own strategies.
const PAPER_RUN_OWNED: &str = "i.run_id IN (SELECT p.id FROM paper_trade_runs p \
     JOIN strategy_versions v ON v.id = p.strategy_version_id \
     JOIN strategies s ON s.id = v.strategy_id WHERE s.owner_id = (SELECT sg_current_user_id()))";

/// Local: the row `t` belongs to a paper run that is not this device's user's (`?1`).
const PAPER_RUN_FOREIGN: &str = "NOT EXISTS (SELECT 1 FROM paper_trade_runs p \
     JOIN strategy_versions v ON v.id = p.strategy_version_id \
     JOIN strategies s ON s.id = v.strategy_id WHERE p.id = t.run_id AND s.owner_id = ?1)";

/// The synced tables, parents before children.
pub(crate) static TABLES: &[Table] = &[
    Table {
        name: "users",
        cols: &[
            c("id", Kind::Id),
            c("email", Text),
            c("display_name", Text),
            c("roles", Array),
            c("plan_tier", Text),
            c("created_at", Time),
            c("last_active_at", Time),
        ],
        remote_key: "id",
        has_updated_at: false,
        push_allowed: "false",
        remote: "users",
        foreign: "t.id <> ?1",
    },
    Table {
        name: "subscription_plans",
        cols: &[
            c("id", Kind::Id),
            r("user_id", "users", true),
            c("stripe_customer_id", Text),
            c("plan_code", Text),
            c("quota", Json),
            c("status", Text),
            c("renewal_at", Time),
            c("created_at", Time),
            c("updated_at", Time),
        ],
        remote_key: "id",
        has_updated_at: true,
        push_allowed: "false",
        remote: "subscription_plans",
        foreign: "t.user_id <> ?1",
    },
    Table {
        name: "plan_usage",
        cols: &[
            c("id", Kind::Id),
            r("user_id", "users", true),
            c("metric", Text),
            c("window_start", Time),
            c("window_end", Time),
            c("used", Int),
            c("plan_limit", Int),
            c("updated_at", Time),
        ],
        remote_key: "id",
        has_updated_at: true,
        push_allowed: "false",
        remote: "plan_usage",
        foreign: "t.user_id <> ?1",
    },
    Table {
        name: "strategies",
        cols: &[
            c("id", Kind::Id),
            r("owner_id", "users", true),
            c("title", Text),
            c("slug", Text),
            c("status", Text),
            c("visibility", Text),
            c("tags", Array),
            c("created_at", Time),
            c("updated_at", Time),
        ],
        remote_key: "id",
        has_updated_at: true,
        push_allowed: "i.owner_id = (SELECT sg_current_user_id())",
        remote: "strategies",
        foreign: "t.owner_id <> ?1",
    },
    Table {
        name: "strategy_versions",
        cols: &[
            c("id", Kind::Id),
            r("strategy_id", "strategies", true),
            c("version", Int),
            c("graph_json", Json),
            c("notes", Text),
            r("created_by", "users", false),
            c("created_at", Time),
        ],
        remote_key: "id",
        has_updated_at: false,
        push_allowed: "sg_owns_strategy(i.strategy_id, (SELECT sg_current_user_id()))",
        remote: "strategy_versions",
        foreign: "NOT EXISTS (SELECT 1 FROM strategies s WHERE s.id = t.strategy_id \
                  AND s.owner_id = ?1)",
    },
    Table {
        name: "backtest_runs",
        cols: &[
            c("id", Kind::Id),
            r("strategy_version_id", "strategy_versions", true),
            r("requested_by", "users", false),
            c("parameters", Json),
            c("status", Text),
            c("metrics", Json),
            c("started_at", Time),
            c("completed_at", Time),
            c("created_at", Time),
        ],
        remote_key: "id, created_at",
        has_updated_at: false,
        push_allowed: "(i.requested_by = (SELECT sg_current_user_id()) \
                       OR (i.requested_by IS NULL AND sg_owns_version(i.strategy_version_id, \
                       (SELECT sg_current_user_id()))))",
        remote: "backtest_runs_visible",
        foreign: "t.requested_by <> ?1 OR (t.requested_by IS NULL AND NOT EXISTS (SELECT 1 \
                  FROM strategy_versions v JOIN strategies s ON s.id = v.strategy_id \
                  WHERE v.id = t.strategy_version_id AND s.owner_id = ?1))",
    },
    Table {
        name: "paper_trade_runs",
        cols: &[
            c("id", Kind::Id),
            r("strategy_version_id", "strategy_versions", true),
            c("schedule", Json),
            c("status", Text),
            c("last_execution_at", Time),
            c("performance_snapshot", Json),
            c("alert_config", Json),
            c("created_at", Time),
            c("name", Text),
            c("parameters", Json),
            c("feed", Text),
            c("symbol", Text),
            c("bar_interval", Text),
            c("feed_config", Json),
            c("initial_cash", Real),
            c("commission", Real),
            c("slippage_bps", Real),
            c("schedule_cron", Text),
            c("catch_up_policy", Text),
            c("start_after", Long),
            c("status_reason", Text),
            c("feed_status", Text),
            c("late_decision", Text),
            c("state_snapshot", Json),
            c("bars_processed", Long),
            c("last_bar_time", Long),
            c("fills_count", Long),
            c("notifications_held", Int),
            c("updated_at", Time),
            // Which device drives the run; the lease (which process on that device) and the
            // bars and replay data the run reads stay local (migrations/local/0007).
            c("driver_device", Kind::Id),
        ],
        remote_key: "id",
        // Some changes (the feed's condition, held notifications) do not move `updated_at`:
        // the time of the local change orders writes instead.
        has_updated_at: false,
        push_allowed: "sg_owns_version(i.strategy_version_id, (SELECT sg_current_user_id()))",
        remote: "paper_trade_runs",
        foreign: "NOT EXISTS (SELECT 1 FROM strategy_versions v JOIN strategies s \
                  ON s.id = v.strategy_id WHERE v.id = t.strategy_version_id AND s.owner_id = ?1)",
    },
    Table {
        name: "paper_fills",
        cols: &[
            c("id", Kind::Id),
            r("run_id", "paper_trade_runs", true),
            c("seq", Long),
            c("bar_seq", Long),
            c("time", Long),
            c("side", Text),
            c("action", Text),
            c("price", Real),
            c("units", Real),
            c("commission", Real),
            c("reason", Text),
            c("late", Int),
            c("created_at", Time),
        ],
        remote_key: "id",
        has_updated_at: false,
        push_allowed: PAPER_RUN_OWNED,
        remote: "paper_fills",
        foreign: PAPER_RUN_FOREIGN,
    },
    Table {
        name: "paper_trades",
        cols: &[
            c("id", Kind::Id),
            r("run_id", "paper_trade_runs", true),
            c("seq", Long),
            c("trade", Json),
            c("pnl", Real),
            c("exit_time", Long),
            c("created_at", Time),
        ],
        remote_key: "id",
        has_updated_at: false,
        push_allowed: PAPER_RUN_OWNED,
        remote: "paper_trades",
        foreign: PAPER_RUN_FOREIGN,
    },
    Table {
        name: "paper_events",
        cols: &[
            c("id", Kind::Id),
            r("run_id", "paper_trade_runs", true),
            c("kind", Text),
            c("message", Text),
            c("bar_time", Long),
            c("detail", Json),
            c("created_at", Time),
        ],
        remote_key: "id",
        has_updated_at: false,
        push_allowed: PAPER_RUN_OWNED,
        remote: "paper_events",
        foreign: PAPER_RUN_FOREIGN,
    },
    Table {
        name: "notifications",
        cols: &[
            c("id", Kind::Id),
            r("user_id", "users", true),
            c("type", Text),
            c("payload", Json),
            c("channel", Text),
            c("read_at", Time),
            c("created_at", Time),
        ],
        remote_key: "id",
        has_updated_at: false,
        push_allowed: "i.user_id = (SELECT sg_current_user_id())",
        remote: "notifications",
        foreign: "t.user_id <> ?1",
    },
    Table {
        name: "template_shares",
        cols: &[
            c("id", Kind::Id),
            r("strategy_version_id", "strategy_versions", true),
            r("educator_id", "users", false),
            c("audience_scope", Text),
            c("metadata", Json),
            c("clone_count", Int),
            c("created_at", Time),
        ],
        remote_key: "id",
        has_updated_at: false,
        push_allowed: "(i.educator_id = (SELECT sg_current_user_id()) \
                       AND sg_owns_version(i.strategy_version_id, \
                       (SELECT sg_current_user_id())))",
        remote: "template_shares",
        foreign: "t.educator_id IS NULL OR t.educator_id <> ?1",
    },
    Table {
        name: "compliance_events",
        cols: &[
            c("id", Kind::Id),
            c("entity_type", Text),
            c("entity_id", Kind::Id),
            c("event_type", Text),
            c("payload", Json),
            c("status", Text),
            r("created_by", "users", false),
            c("created_at", Time),
            c("resolved_at", Time),
        ],
        remote_key: "id",
        has_updated_at: false,
        // Reviews, their automatic checks and decisions are written on the server only
        // (`sg_publish_template`, `sg_review_decide`); devices push their own audit events.
        push_allowed: "(i.created_by = (SELECT sg_current_user_id()) \
                       AND i.event_type NOT IN ('template_review', 'automatic_check', \
                       'review_decision'))",
        remote: "compliance_events",
        foreign: "t.created_by IS NULL OR t.created_by <> ?1",
    },
];

/// The table named `name`, if synced.
pub(crate) fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

fn names(t: &Table) -> String {
    t.cols.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
}

fn content(t: &Table, alias: &str) -> String {
    let cols: Vec<String> = t
        .cols
        .iter()
        .map(|c| format!("{alias}.{}", c.name))
        .collect();
    format!("md5(jsonb_build_array({})::text)", cols.join(", "))
}

impl Table {
    /// SQLite: the current state of the rows named in `?1` (a JSON object id → time of the
    /// local change), as `(id, row JSON with sync_stamp)`.
    pub(crate) fn local_read_sql(&self) -> String {
        let fields: Vec<String> = self
            .cols
            .iter()
            .map(|c| match c.kind {
                Kind::Json | Kind::Array => format!("'{0}', json(t.{0})", c.name),
                // SQLite's JSON writes reals with 15 digits; 17 give the value back exactly.
                Kind::Real => format!(
                    "'{0}', CASE WHEN t.{0} IS NULL THEN NULL ELSE printf('%!.17g', t.{0}) END",
                    c.name
                ),
                _ => format!("'{0}', t.{0}", c.name),
            })
            .collect();
        let stamp = if self.has_updated_at {
            "t.updated_at"
        } else {
            "j.value"
        };
        format!(
            "SELECT t.id, json_object({}, 'sync_stamp', {stamp}) FROM json_each(?1) j \
             JOIN {} t ON t.id = j.key",
            fields.join(", "),
            self.name
        )
    }

    fn recordset(&self) -> String {
        let defs: Vec<String> = self
            .cols
            .iter()
            .map(|c| format!("{} {}", c.name, c.kind.pg_type()))
            .collect();
        format!(
            "i AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x({}, sync_stamp timestamptz))",
            defs.join(", ")
        )
    }

    /// The conditions an incoming row must meet to be written: not deleted before, allowed,
    /// and its required parents present on the server.
    fn admissible(&self) -> String {
        let mut conds = vec![
            format!(
                "NOT EXISTS (SELECT 1 FROM sync_tombstones d WHERE d.table_name = '{}' \
                 AND d.row_id = i.id)",
                self.name
            ),
            format!("((SELECT sg_is_admin()) OR {})", self.push_allowed),
        ];
        for col in self.cols {
            if let Some((parent, true)) = col.refs {
                conds.push(format!(
                    "EXISTS (SELECT 1 FROM {parent} p WHERE p.id = i.{})",
                    col.name
                ));
            }
        }
        conds.join(" AND ")
    }

    /// The incoming value of each column as written (optional references to users the
    /// server does not have become NULL; a slug the owner already uses for another strategy
    /// and clashing placeholder e-mails are made unique the same way the pull does locally).
    fn incoming_values(&self) -> String {
        self.cols
            .iter()
            .map(|c| match (self.name, c.name, c.refs) {
                (_, name, Some((parent, false))) => format!(
                    "CASE WHEN EXISTS (SELECT 1 FROM {parent} p WHERE p.id = i.{name}) \
                     THEN i.{name} END"
                ),
                ("strategies", "slug", _) => "CASE WHEN EXISTS (SELECT 1 FROM strategies s \
                     WHERE s.owner_id = i.owner_id AND s.slug = i.slug AND s.id <> i.id) \
                     THEN i.slug || '-' || right(i.id::text, 12) ELSE i.slug END"
                    .to_owned(),
                ("users", "email", _) => "CASE WHEN EXISTS (SELECT 1 FROM users u \
                     WHERE u.email = i.email AND u.id <> i.id) \
                     AND i.email LIKE '%@stratagraph.invalid' \
                     THEN i.id::text || '@stratagraph.invalid' ELSE i.email END"
                    .to_owned(),
                (_, name, _) => format!("i.{name}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// PostgreSQL: upsert the rows of `$1` (JSON array) by last writer wins on
    /// `(sync_stamp, content hash)`; returns the ids written. An identical retry writes
    /// nothing.
    pub(crate) fn remote_upsert_sql(&self) -> String {
        let sets: Vec<String> = self
            .cols
            .iter()
            .filter(|c| !self.remote_key.split(", ").any(|k| k == c.name))
            .map(|c| format!("{0} = EXCLUDED.{0}", c.name))
            .collect();
        let extra_unique = match self.name {
            "plan_usage" => {
                " AND NOT EXISTS (SELECT 1 FROM plan_usage q WHERE q.user_id = i.user_id \
                 AND q.metric = i.metric AND q.window_start = i.window_start AND q.id <> i.id)"
            }
            _ => "",
        };
        format!(
            "WITH {rs} INSERT INTO {t} AS t ({cols}, sync_stamp) \
             SELECT {vals}, i.sync_stamp FROM i WHERE {adm}{extra_unique} \
             ON CONFLICT ({key}) DO UPDATE SET {sets}, sync_stamp = EXCLUDED.sync_stamp \
             WHERE (EXCLUDED.sync_stamp, {new}) > (t.sync_stamp, {old}) \
             RETURNING t.id",
            rs = self.recordset(),
            t = self.remote,
            cols = names(self),
            vals = self.incoming_values(),
            adm = self.admissible(),
            key = self.remote_key,
            sets = sets.join(", "),
            new = content(self, "EXCLUDED"),
            old = content(self, "t"),
        )
    }

    /// PostgreSQL: re-announce (bump `sync_txid` of) rows of `$1` that were not written
    /// (`$2` = ids written) and whose server state differs from what the device sent, so
    /// the device pulls the winner; and tombstones of rows the device still holds.
    pub(crate) fn remote_touch_sql(&self) -> String {
        format!(
            "WITH {rs}, rest AS (SELECT * FROM i WHERE NOT (i.id = ANY ($2::uuid[]))) \
             UPDATE {t} AS t SET sync_stamp = t.sync_stamp FROM rest i \
             WHERE t.id = i.id AND {old} <> {new}",
            rs = self.recordset(),
            t = self.remote,
            old = content(self, "t"),
            new = content(self, "i"),
        )
    }

    /// PostgreSQL: rows changed since the cursor `($1 txid, $2 id)` by transactions that
    /// finished before `$3` (the pull snapshot's xmin), in cursor order, at most `$4`.
    pub(crate) fn remote_pull_sql(&self) -> String {
        format!(
            "SELECT sync_txid::text, id::text, {}::text FROM {} \
             WHERE (sync_txid, id) > ($1::xid8, $2::uuid) AND sync_txid < $3::xid8 \
             ORDER BY sync_txid, id LIMIT $4",
            self.remote_json(),
            self.remote
        )
    }

    /// PostgreSQL: the row with id `$1`, in the pull's JSON form, outside any cursor.
    pub(crate) fn remote_row_sql(&self) -> String {
        format!(
            "SELECT {}::text FROM {} WHERE id = $1::uuid",
            self.remote_json(),
            self.remote
        )
    }

    /// The `jsonb_build_object(...)` of a row's columns as pulls send them.
    fn remote_json(&self) -> String {
        let fields: Vec<String> = self
            .cols
            .iter()
            .map(|c| match c.kind {
                Kind::Time => format!(
                    "'{0}', to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
                    c.name
                ),
                Kind::Array => format!("'{0}', to_jsonb({0})", c.name),
                _ => format!("'{0}', {0}", c.name),
            })
            .collect();
        format!("jsonb_build_object({})", fields.join(", "))
    }

    /// SQLite: upsert pulled rows (`?1`, a JSON array), skipping rows with unpushed local
    /// changes and rows whose required parent is missing here (deleted locally, not yet
    /// pushed). Optional references to users this device does not have become NULL.
    pub(crate) fn local_apply_sql(&self) -> String {
        let exprs: Vec<String> = self
            .cols
            .iter()
            .map(|c| {
                let path = format!("'$.{}'", c.name);
                match (c.kind, c.refs) {
                    (Kind::Json | Kind::Array, _) => format!(
                        "CASE WHEN json_type(j.value, {path}) IN ('null') \
                         OR json_type(j.value, {path}) IS NULL THEN NULL \
                         ELSE j.value -> {path} END"
                    ),
                    (_, Some((parent, false))) => format!(
                        "CASE WHEN EXISTS (SELECT 1 FROM {parent} p \
                         WHERE p.id = j.value ->> {path}) THEN j.value ->> {path} END"
                    ),
                    _ => format!("j.value ->> {path}"),
                }
            })
            .collect();
        let mut conds = vec![format!(
            "NOT EXISTS (SELECT 1 FROM sync_outbox o WHERE o.table_name = '{}' \
             AND o.row_id = j.value ->> '$.id')",
            self.name
        )];
        for col in self.cols {
            if let Some((parent, true)) = col.refs {
                conds.push(format!(
                    "EXISTS (SELECT 1 FROM {parent} p WHERE p.id = j.value ->> '$.{}')",
                    col.name
                ));
            }
        }
        let sets: Vec<String> = self
            .cols
            .iter()
            .filter(|c| c.name != "id")
            .map(|c| format!("{0} = excluded.{0}", c.name))
            .collect();
        format!(
            "INSERT INTO {t} ({cols}) SELECT {exprs} FROM json_each(?1) j WHERE {conds} \
             ON CONFLICT (id) DO UPDATE SET {sets}",
            t = self.name,
            cols = names(self),
            exprs = exprs.join(", "),
            conds = conds.join(" AND "),
            sets = sets.join(", "),
        )
    }

    /// SQLite: the rows of `?1` (a pulled page) that [`Table::local_apply_sql`] cannot apply
    /// because a required parent is missing here, as `(id, row JSON)`; rows with unpushed
    /// local changes are not among them (those wait for the push on purpose).
    pub(crate) fn local_orphans_sql(&self) -> String {
        let missing: Vec<String> = self
            .cols
            .iter()
            .filter_map(|col| match col.refs {
                Some((parent, true)) => Some(format!(
                    "NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = j.value ->> '$.{}')",
                    col.name
                )),
                _ => None,
            })
            .collect();
        if missing.is_empty() {
            return "SELECT '', '' WHERE 0".to_owned();
        }
        format!(
            "SELECT j.value ->> '$.id', j.value FROM json_each(?1) j WHERE ({}) \
             AND NOT EXISTS (SELECT 1 FROM sync_outbox o WHERE o.table_name = '{}' \
             AND o.row_id = j.value ->> '$.id')",
            missing.join(" OR "),
            self.name
        )
    }

    /// SQLite: ids of local rows that are another user's (`?1` is this device's user) and
    /// have no unpushed local change: they stay only while the server shows them.
    pub(crate) fn local_foreign_sql(&self) -> String {
        format!(
            "SELECT t.id FROM {} t WHERE ({}) AND NOT EXISTS (SELECT 1 FROM sync_outbox o \
             WHERE o.table_name = '{}' AND o.row_id = t.id)",
            self.name, self.foreign, self.name
        )
    }
}
