//! Opening the database: location, connection settings, migrations, start-up recovery.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::clock::{Clock, SystemClock};
use crate::db::fmt_time;
use crate::error::{Result, StoreError};

/// The migrations of `migrations/local/`, embedded at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/local");

/// Local migrations corrected after release, with the SHA-384 of the text first released:
/// `0001_init.sql` lost a comment that named a file outside the project. Databases made with
/// the released text get the corrected checksum recorded, so the migrator accepts them.
const CORRECTED: [(i64, &str); 1] = [(
    1,
    "786ecfd35497c85ad75090f886f82bcb84e9b46d53d55031800125b8c4c5b246\
     03945555f72fc784acb8122e29b110b1",
)];

/// Records the corrected checksums of [`CORRECTED`] migrations where the released text was
/// applied (a no-op on new databases).
async fn repair_checksums(pool: &SqlitePool) -> Result<()> {
    let recorded: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
    .await?;
    if recorded.is_none() {
        return Ok(());
    }
    for (version, released) in CORRECTED {
        let Some(current) = MIGRATOR.iter().find(|m| m.version == version) else {
            continue;
        };
        sqlx::query(
            "UPDATE _sqlx_migrations SET checksum = ? WHERE version = ? \
             AND lower(hex(checksum)) = ?",
        )
        .bind(current.checksum.as_ref())
        .bind(version)
        .bind(released)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Environment variable naming the database file (read by [`resolve_db_path`]).
pub const DB_ENV_VAR: &str = "STRATAGRAPH_DB";

/// The database file in the platform's app-data directory
/// (e.g. `~/.local/share/stratagraph/stratagraph.db` on Linux).
///
/// # Errors
///
/// `Storage` when the platform has no home directory.
pub fn default_db_path() -> Result<PathBuf> {
    let dirs =
        directories::ProjectDirs::from("dev", "Stratagraph", "Stratagraph").ok_or_else(|| {
            StoreError::storage(std::io::Error::other(
                "no home directory to hold the database",
            ))
        })?;
    Ok(dirs.data_dir().join("stratagraph.db"))
}

/// The database path to use: `explicit` if given, else `$STRATAGRAPH_DB` if set and not
/// empty, else [`default_db_path`].
///
/// # Errors
///
/// As [`default_db_path`].
pub fn resolve_db_path(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    match std::env::var_os(DB_ENV_VAR) {
        Some(path) if !path.is_empty() => Ok(PathBuf::from(path)),
        _ => default_db_path(),
    }
}

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous = NORMAL` with WAL: a committed write survives the process being killed
    /// (tested); a power cut may lose the last commits but never corrupts the file.
    #[default]
    Normal,
    /// `synchronous = FULL`: every commit is on disk before it returns; slower.
    Full,
}

/// How to open a store.
#[derive(Clone)]
pub struct StoreOptions {
    /// The database file; created (with its directory) if missing.
    pub path: PathBuf,
    /// Commit durability.
    pub durability: Durability,
    /// Connections in the pool (SQLite still has one writer at a time).
    pub max_connections: u32,
    /// How long a writer waits for the lock before failing.
    pub busy_timeout: Duration,
    /// Mark runs left `running` by a previous process as `interrupted` at open. The app
    /// sets this; a second process opening the same file while the app runs should not.
    pub mark_interrupted_runs: bool,
    /// The source of "now".
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreOptions")
            .field("path", &self.path)
            .field("durability", &self.durability)
            .field("max_connections", &self.max_connections)
            .field("busy_timeout", &self.busy_timeout)
            .field("mark_interrupted_runs", &self.mark_interrupted_runs)
            .finish_non_exhaustive()
    }
}

impl StoreOptions {
    /// Defaults for a file: normal durability, 4 connections, 30 s busy timeout, interrupted
    /// runs marked, the system clock.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            durability: Durability::Normal,
            max_connections: 4,
            busy_timeout: Duration::from_secs(30),
            mark_interrupted_runs: true,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same options with another clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// The embedded store: a pool of SQLite connections and a clock. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: SqlitePool,
    pub(crate) clock: Arc<dyn Clock>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` with default options.
    ///
    /// # Errors
    ///
    /// `Storage` when the file cannot be created or opened, or a migration fails.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(StoreOptions::new(path.as_ref())).await
    }

    /// Opens the database at [`resolve_db_path`]`(None)`.
    ///
    /// # Errors
    ///
    /// As [`Store::open`], and when there is no app-data directory.
    pub async fn open_default() -> Result<Self> {
        Self::open(resolve_db_path(None)?).await
    }

    /// Opens with explicit options: WAL, foreign keys, busy timeout, migrations, and (if
    /// asked) marks runs left `running` as `interrupted`.
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    pub async fn open_with(options: StoreOptions) -> Result<Self> {
        if let Some(dir) = options.path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
        let connect = SqliteConnectOptions::new()
            .filename(&options.path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout)
            .synchronous(match options.durability {
                Durability::Normal => SqliteSynchronous::Normal,
                Durability::Full => SqliteSynchronous::Full,
            });
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.busy_timeout + Duration::from_secs(30))
            .connect_with(connect)
            .await?;
        repair_checksums(&pool).await?;
        MIGRATOR.run(&pool).await?;
        let store = Self {
            pool,
            clock: options.clock,
            path: options.path,
        };
        if options.mark_interrupted_runs {
            store.mark_interrupted_runs().await?;
        }
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Runs `PRAGMA integrity_check` and returns its lines (`["ok"]` when healthy).
    ///
    /// # Errors
    ///
    /// `Storage` when the check cannot run.
    pub async fn integrity_check(&self) -> Result<Vec<String>> {
        let lines: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await?;
        Ok(lines.into_iter().map(|(l,)| l).collect())
    }

    /// The current time from the store's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn now_text(&self) -> String {
        fmt_time(self.clock.now())
    }

    /// Begins a write transaction holding the write lock from the start.
    pub(crate) async fn write_tx(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}
