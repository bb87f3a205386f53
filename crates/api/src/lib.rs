//! The desktop app's command bodies, free of Tauri: every IPC command of
//! `docs/ipc-contract.md` is a function here taking a [`Ctx`], checking its arguments and
//! returning `Result<T, IpcError>`. The app crate wraps each in a one-line Tauri command;
//! tests call them directly with a temporary data directory.
//!
//! # The data directory
//!
//! ```text
//! <data dir>/stratagraph.db        the SQLite store (profile, strategies, versions, runs …)
//! <data dir>/datasets/<id>.bars    imported bars (see [`datasets`] for the format)
//! <data dir>/datasets/<id>.json    the dataset's name, symbol, timeframe, range, hash
//! <data dir>/drafts/<id>.json      unsaved editor state per strategy
//! <data dir>/settings.json         app settings (theme)
//! <data dir>/app-state.json        first-start bookkeeping
//! <data dir>/sync.json             background sync on/off and interval (see [`sync`])
//! ```
//!
//! The directory is `$STRATAGRAPH_DATA_DIR` when set (tests), else the platform's app-data
//! directory (the same one the CLI's database lives in).

pub mod app;
pub mod charts;
pub mod cluster;
pub mod datasets;
pub mod dto;
pub mod educators;
pub mod error;
pub mod examples;
mod files;
pub mod indicators;
pub mod jobs;
pub mod paper;
pub mod research;
pub mod runs;
pub mod strategies;
pub mod sync;

#[cfg(test)]
mod bindings;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use stratagraph_store::{Clock, Store, StoreOptions, SystemClock};
use uuid::Uuid;

pub use error::{ApiResult, ErrorCode, IpcError};
pub use jobs::JobRegistry;

/// Environment variable that moves the whole data directory (used by the e2e tests).
pub const DATA_DIR_ENV_VAR: &str = "STRATAGRAPH_DATA_DIR";

/// The data directory: `$STRATAGRAPH_DATA_DIR` if set and not empty, else the platform's
/// app-data directory (`~/.local/share/stratagraph` on Linux).
///
/// # Errors
///
/// `io` when the platform has no home directory.
pub fn resolve_data_dir() -> ApiResult<PathBuf> {
    match std::env::var_os(DATA_DIR_ENV_VAR) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => directories::ProjectDirs::from("dev", "Stratagraph", "Stratagraph")
            .map(|d| d.data_dir().to_path_buf())
            .ok_or_else(|| {
                IpcError::new(ErrorCode::Io, "There is no home directory to keep data in")
            }),
    }
}

/// Everything a command needs: the store, the data directory, the running jobs, the local
/// user. Shared by all commands (wrap it in an `Arc`).
pub struct Ctx {
    pub(crate) store: Store,
    pub(crate) data_dir: PathBuf,
    pub(crate) jobs: JobRegistry,
    pub(crate) start: app::StartInfo,
    pub(crate) sync: sync::SyncRuntime,
    pub(crate) paper: paper::PaperRuntime,
    pub(crate) series: Arc<indicators::SeriesCache>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    /// Opens the data directory with the system clock: creates it and the database if
    /// needed, makes sure the local profile exists and, on the very first start, creates the
    /// example strategy and imports the bundled sample data.
    ///
    /// # Errors
    ///
    /// `storage` or `io` when the directory or database cannot be opened.
    pub async fn open(data_dir: impl AsRef<Path>) -> ApiResult<Arc<Self>> {
        Self::open_with_clock(data_dir, Arc::new(SystemClock)).await
    }

    /// As [`Ctx::open`] with a given clock (tests).
    ///
    /// # Errors
    ///
    /// As [`Ctx::open`].
    pub async fn open_with_clock(
        data_dir: impl AsRef<Path>,
        clock: Arc<dyn Clock>,
    ) -> ApiResult<Arc<Self>> {
        Self::open_with_sync(data_dir, clock, sync::SyncRuntime::os_keyring()).await
    }

    /// As [`Ctx::open_with_clock`] with the sync's passwords in `secrets` instead of the OS
    /// keyring (tests, or a session that must not touch the keyring).
    ///
    /// # Errors
    ///
    /// As [`Ctx::open`].
    pub async fn open_with_secrets(
        data_dir: impl AsRef<Path>,
        clock: Arc<dyn Clock>,
        secrets: Arc<dyn stratagraph_store::remote::SecretStore>,
    ) -> ApiResult<Arc<Self>> {
        Self::open_with_sync(data_dir, clock, sync::SyncRuntime::with_secrets(secrets)).await
    }

    async fn open_with_sync(
        data_dir: impl AsRef<Path>,
        clock: Arc<dyn Clock>,
        sync: sync::SyncRuntime,
    ) -> ApiResult<Arc<Self>> {
        let data_dir = data_dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| IpcError::io(format!("Cannot create {}", data_dir.display()), e))?;
        let options = StoreOptions::new(data_dir.join("stratagraph.db")).with_clock(clock);
        let store = Store::open_with(options).await?;
        store.ensure_profile().await?;
        let mut ctx = Self {
            store,
            data_dir,
            jobs: JobRegistry::default(),
            start: app::StartInfo::default(),
            sync,
            paper: paper::PaperRuntime::default(),
            series: Arc::default(),
        };
        ctx.start = app::first_start(&ctx).await?;
        Ok(Arc::new(ctx))
    }

    /// The local user commands act as, read at each call: a sync (in the foreground or the
    /// background) may move the device to its account on the server.
    pub(crate) async fn user_id(&self) -> ApiResult<Uuid> {
        match self.store.profile_id().await? {
            Some(id) => Ok(id),
            None => Ok(self.store.ensure_profile().await?.id),
        }
    }

    /// The store (for tests and tools).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The running jobs.
    pub fn jobs(&self) -> &JobRegistry {
        &self.jobs
    }

    /// "Now" from the store's clock as RFC 3339.
    pub(crate) fn now_text(&self) -> String {
        self.store
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

/// Parses an id argument.
pub(crate) fn parse_uuid(what: &str, id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id.trim())
        .map_err(|_| IpcError::invalid(format!("\"{id}\" is not a {what} id")))
}

/// RFC 3339 text of a store time.
pub(crate) fn time_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
