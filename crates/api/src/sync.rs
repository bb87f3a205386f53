//! Remote sync from the desktop app: the connection form (`syncConfigure`), a connection
//! check (`syncTest`), where the device stands (`syncStatus`), a sync on demand with progress
//! and cancel (`syncNow`) and the background sync on an interval (`syncSetAuto`).
//!
//! The server's address lives in the local store (as with `stratagraph sync configure`); its
//! password only in the OS keyring (or the [`SecretStore`] the [`Ctx`] was opened with).
//! Nothing here logs, stores elsewhere or returns a password: errors are built from
//! [`SyncError`]'s messages, which name the saved address and never a connection string.
//!
//! Configuring is offline-first like the CLI: the address is saved even when the server
//! cannot be reached (the UI runs `syncTest` right after and shows the result). A password
//! that cannot be put in the keyring is an error and nothing is saved.
//!
//! The background sync is the engine's [`BackgroundSync`]; the auto-sync setting is kept in
//! `<data dir>/sync.json` and the sync starts with the app ([`autostart`]) and stops when it
//! exits ([`shutdown`]). A failing background sync only records its error (shown by
//! `syncStatus`) and tries again at the next tick. Only one sync runs at a time: `syncNow`
//! pauses the background sync (waiting for a sync in flight) and resumes it afterwards.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use stratagraph_store::remote::{
    schema_state, BackgroundSync, RemoteConfig, SchemaState, SecretStore, SyncError, SyncOptions,
    SyncPhase, SyncProgress, SyncResult, Syncer, TimedKeyring, TlsMode, REMOTE_SCHEMA_VERSION,
};
use stratagraph_store::NotificationType;
use ts_rs::TS;
use uuid::Uuid;

use crate::dto::Progress;
use crate::error::{ApiResult, ErrorCode, IpcError};
use crate::files::write_atomic;
use crate::Ctx;

/// Background interval when none was chosen.
pub const DEFAULT_INTERVAL_SECS: u32 = 300;
/// Shortest background interval (a failing server is retried at most this often).
pub const MIN_INTERVAL_SECS: u32 = 60;
/// Longest background interval (a day).
pub const MAX_INTERVAL_SECS: u32 = 86_400;
/// How long stopping the background sync may wait for a sync in flight.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// At most this many unread conflict notifications are listed in the status.
const MAX_CONFLICTS: usize = 20;
const SETTINGS_FILE: &str = "sync.json";

// DTOs ---------------------------------------------------------------------------------------

/// How the connection uses TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum SyncTls {
    /// Never TLS (a server on this machine or a private network).
    Disable,
    /// TLS when the server offers it, else plain.
    Prefer,
    /// TLS always; the certificate is not verified.
    Require,
    /// TLS always, the certificate verified against the host name.
    VerifyFull,
}

impl From<SyncTls> for TlsMode {
    fn from(t: SyncTls) -> Self {
        match t {
            SyncTls::Disable => Self::Disable,
            SyncTls::Prefer => Self::Prefer,
            SyncTls::Require => Self::Require,
            SyncTls::VerifyFull => Self::VerifyFull,
        }
    }
}

impl From<TlsMode> for SyncTls {
    fn from(t: TlsMode) -> Self {
        match t {
            TlsMode::Disable => Self::Disable,
            TlsMode::Prefer => Self::Prefer,
            TlsMode::Require => Self::Require,
            TlsMode::VerifyFull => Self::VerifyFull,
        }
    }
}

/// The connection form of `syncConfigure`. `password` is write-only: it goes to the OS
/// keyring and is never returned, logged or stored anywhere else; leave it out (or empty)
/// to keep the saved one (or for a server that needs none).
#[derive(Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncConfigInput {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Database name.
    pub database: String,
    /// Login role.
    pub user: String,
    /// TLS use.
    pub tls: SyncTls,
    /// Also sync the bulky run details (trades, equity curves).
    #[serde(default)]
    pub include_run_details: bool,
    /// The password, for the keyring only.
    #[serde(default)]
    #[ts(optional)]
    pub password: Option<String>,
}

impl std::fmt::Debug for SyncConfigInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncConfigInput")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("tls", &self.tls)
            .field("include_run_details", &self.include_run_details)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The configured server, without any secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncServer {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Database name.
    pub database: String,
    /// Login role.
    pub user: String,
    /// TLS use.
    pub tls: SyncTls,
    /// Whether run details sync too.
    pub include_run_details: bool,
}

/// An unread `sync_conflict` notification, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncConflict {
    /// The notification's id.
    pub id: String,
    /// The strategy concerned, if known.
    pub strategy_id: Option<String>,
    /// What happened, one sentence.
    pub message: String,
    /// When (RFC 3339, UTC).
    pub created_at: String,
}

/// Where this device stands with its sync server (`syncStatus`); never contacts the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// Whether a server is configured.
    pub configured: bool,
    /// The server (no password).
    pub server: Option<SyncServer>,
    /// Last completed push (RFC 3339, UTC).
    pub last_push_at: Option<String>,
    /// Last completed pull (RFC 3339, UTC).
    pub last_pull_at: Option<String>,
    /// The later of the two: when this device last synced.
    pub last_sync_at: Option<String>,
    /// Local changes waiting to be pushed.
    #[ts(type = "number")]
    pub pending: i64,
    /// Unread `sync_conflict` notifications.
    #[ts(type = "number")]
    pub unread_conflicts: i64,
    /// The newest of them (at most 20), in words.
    pub conflicts: Vec<SyncConflict>,
    /// Whether the background sync is switched on.
    pub auto_sync: bool,
    /// Its interval in seconds.
    pub interval_secs: u32,
    /// Whether the background sync is running now (on, and a server is configured).
    pub background_active: bool,
    /// The `syncNow` job in flight, if any.
    pub running_job_id: Option<String>,
    /// The last sync's error, cleared by a successful sync.
    pub last_error: Option<String>,
}

/// What `syncTest` found: the server answered and let this role in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncTestResult {
    /// `user@host:port/database`.
    pub server: String,
    /// The role logged in as.
    pub role: String,
    /// The user the server maps the role to (`null`: an owner connection, which syncs as
    /// this device's profile).
    pub mapped_user_id: Option<String>,
    /// The server's Stratagraph schema version (`null`: none yet).
    #[ts(type = "number | null")]
    pub schema_version: Option<i64>,
    /// The version this app expects.
    #[ts(type = "number")]
    pub app_schema_version: i64,
    /// `ok`, `missing` (the first sync creates it if the role may), `older` or `newer`.
    pub schema: String,
    /// The result in words.
    pub message: String,
}

/// What a `syncNow` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncSummary {
    /// Rows sent.
    #[ts(type = "number")]
    pub pushed: u64,
    /// Rows received.
    #[ts(type = "number")]
    pub pulled: u64,
    /// Deletes received.
    #[ts(type = "number")]
    pub pulled_deletes: u64,
    /// Rows the server did not take (the next pull brings its state).
    #[ts(type = "number")]
    pub not_taken: u64,
    /// Versions renumbered because another device saved the number first.
    pub conflicts: u32,
    /// Run details sent and received.
    #[ts(type = "number")]
    pub details_pushed: u64,
    /// Run details received.
    #[ts(type = "number")]
    pub details_pulled: u64,
    /// Wall time.
    #[ts(type = "number")]
    pub elapsed_ms: u64,
    /// The result in words.
    pub message: String,
}

/// The auto-sync setting (`<data dir>/sync.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct AutoSettings {
    auto_sync: bool,
    interval_secs: u32,
}

impl Default for AutoSettings {
    fn default() -> Self {
        Self {
            auto_sync: false,
            interval_secs: DEFAULT_INTERVAL_SECS,
        }
    }
}

// Secrets ------------------------------------------------------------------------------------

/// One password read once, for the background sync (so the keyring is not asked at every
/// reconnect; a new configuration restarts the background sync).
struct FixedSecret {
    key: String,
    password: Option<String>,
}

impl SecretStore for FixedSecret {
    fn get(&self, key: &str) -> SyncResult<Option<String>> {
        Ok(if key == self.key {
            self.password.clone()
        } else {
            None
        })
    }

    fn set(&self, _key: &str, _secret: &str) -> SyncResult<()> {
        Err(SyncError::Keyring("read-only".into()))
    }

    fn delete(&self, _key: &str) -> SyncResult<()> {
        Err(SyncError::Keyring("read-only".into()))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

// Runtime state ------------------------------------------------------------------------------

/// The sync's part of the [`Ctx`]: the secret store, the background sync, the job in flight
/// and the last outcome of a sync started here.
pub struct SyncRuntime {
    secrets: Arc<dyn SecretStore>,
    os_keyring: Option<Arc<TimedKeyring>>,
    background: tokio::sync::Mutex<Option<BackgroundSync>>,
    last_error: Mutex<Option<Option<String>>>,
    job: Mutex<Option<String>>,
}

impl std::fmt::Debug for SyncRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncRuntime").finish_non_exhaustive()
    }
}

impl SyncRuntime {
    /// The production runtime: passwords in the OS keyring.
    pub fn os_keyring() -> Self {
        let os = Arc::new(TimedKeyring::default());
        let mut rt = Self::with_secrets(os.clone());
        rt.os_keyring = Some(os);
        rt
    }

    /// A runtime over another secret store (tests, or a session that must not touch the OS
    /// keyring).
    pub fn with_secrets(secrets: Arc<dyn SecretStore>) -> Self {
        Self {
            secrets,
            os_keyring: None,
            background: tokio::sync::Mutex::new(None),
            last_error: Mutex::new(None),
            job: Mutex::new(None),
        }
    }

    /// Reads the password off the async threads.
    async fn password(&self, config: &RemoteConfig) -> SyncResult<Option<String>> {
        let secrets = Arc::clone(&self.secrets);
        let key = config.secret_key();
        tokio::task::spawn_blocking(move || secrets.get(&key))
            .await
            .unwrap_or_else(|e| Err(SyncError::Keyring(e.to_string())))
    }

    /// A sync error for the UI; a refused login says when the keyring could not be read.
    fn error(&self, e: SyncError) -> IpcError {
        let mut err = sync_error(e);
        if err.code == ErrorCode::Auth {
            if let Some(reason) = self.os_keyring.as_ref().and_then(|k| k.unavailable()) {
                err.message = format!(
                    "{} The OS keyring is unavailable ({}), so no saved password was used.",
                    err.message,
                    one_line(&reason)
                );
            }
        }
        err
    }
}

/// Connects to the configured server as this device's user (for the educator commands).
///
/// # Errors
///
/// `not_configured`, `auth`, `unreachable`, `remote`.
pub(crate) async fn connect(ctx: &Ctx) -> ApiResult<Syncer> {
    let config = ctx
        .store
        .remote_config()
        .await?
        .ok_or_else(|| sync_error(SyncError::NotConfigured))?;
    let rt = &ctx.sync;
    Syncer::connect(
        &ctx.store,
        &config,
        rt.secrets.as_ref(),
        SyncOptions::default(),
    )
    .await
    .map_err(|e| rt.error(e))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A sentence: first letter capitalised, one line, a final period.
fn sentence(text: &str) -> String {
    let text = one_line(text);
    let mut chars = text.chars();
    let mut out = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect::<String>(),
        None => return text,
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// Maps an engine error to the IPC error the UI switches on.
pub fn sync_error(e: SyncError) -> IpcError {
    let code = match &e {
        SyncError::NotConfigured => {
            return IpcError::new(
                ErrorCode::NotConfigured,
                "No sync server is set up yet: fill in the connection in Settings → Sync.",
            )
        }
        SyncError::Auth { .. } | SyncError::MissingSecret(_) => ErrorCode::Auth,
        SyncError::Unreachable { .. } | SyncError::Interrupted(_) => ErrorCode::Unreachable,
        SyncError::Keyring(_) => ErrorCode::Keyring,
        SyncError::Permission(_) => ErrorCode::Forbidden,
        SyncError::Refused(_) => ErrorCode::Invalid,
        SyncError::QuotaExceeded { limit, .. } => {
            return IpcError {
                limit: Some(*limit),
                ..IpcError::new(ErrorCode::QuotaExceeded, sentence(&e.to_string()))
            }
        }
        SyncError::Local(_) => match e {
            SyncError::Local(s) => return IpcError::from(s),
            _ => ErrorCode::Storage,
        },
        SyncError::Remote(_) => {
            let text = match std::error::Error::source(&e) {
                Some(source) => format!("{e}: {source}"),
                None => e.to_string(),
            };
            return IpcError::new(ErrorCode::Remote, sentence(&text));
        }
        _ => ErrorCode::Remote,
    };
    IpcError::new(code, sentence(&e.to_string()))
}

fn server_text(c: &RemoteConfig) -> String {
    format!("{}@{}:{}/{}", c.user, c.host, c.port, c.database)
}

fn settings_path(ctx: &Ctx) -> std::path::PathBuf {
    ctx.data_dir.join(SETTINGS_FILE)
}

fn read_settings(ctx: &Ctx) -> AutoSettings {
    std::fs::read(settings_path(ctx))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn write_settings(ctx: &Ctx, s: AutoSettings) -> ApiResult<()> {
    let json = serde_json::to_vec_pretty(&s)
        .map_err(|e| IpcError::io("Cannot save the sync settings", e))?;
    write_atomic(&settings_path(ctx), &json)
        .map_err(|e| IpcError::io("Cannot save the sync settings", e))
}

async fn stop_background(bg: BackgroundSync) {
    let _ = tokio::time::timeout(STOP_TIMEOUT, bg.stop()).await;
}

/// Starts the background sync if it is switched on and a server is configured (the slot
/// must be empty). A password that cannot be read is treated as none; the sync then records
/// the refused login as its error.
async fn start_background(ctx: &Ctx, slot: &mut Option<BackgroundSync>) -> ApiResult<()> {
    let settings = read_settings(ctx);
    if !settings.auto_sync {
        return Ok(());
    }
    let Some(config) = ctx.store.remote_config().await? else {
        return Ok(());
    };
    let password = ctx.sync.password(&config).await.unwrap_or(None);
    let secrets = Arc::new(FixedSecret {
        key: config.secret_key(),
        password,
    });
    *slot = Some(BackgroundSync::spawn(
        ctx.store.clone(),
        secrets,
        SyncOptions::default(),
        Duration::from_secs(u64::from(settings.interval_secs)),
        // Template submissions queued while the server was out of reach, as `syncNow` does.
        Some(Arc::new(|store, pool| {
            Box::pin(async move { crate::educators::send_pending(&store, &pool).await })
        })),
    ));
    Ok(())
}

/// Stops and (if switched on) starts the background sync again, e.g. after a new
/// configuration.
async fn restart_background(ctx: &Ctx) -> ApiResult<()> {
    let mut slot = ctx.sync.background.lock().await;
    if let Some(bg) = slot.take() {
        stop_background(bg).await;
    }
    start_background(ctx, &mut slot).await
}

/// Starts the background sync at app start when it is switched on and a server is
/// configured. Never fails: a problem shows up in `syncStatus`.
pub async fn autostart(ctx: &Ctx) {
    let mut slot = ctx.sync.background.lock().await;
    if slot.is_none() {
        if let Err(e) = start_background(ctx, &mut slot).await {
            *lock(&ctx.sync.last_error) = Some(Some(e.message));
        }
    }
}

/// Stops the background sync when the app exits (waiting up to 5 s for a sync in flight;
/// what it committed stays and the next sync resumes from there).
pub async fn shutdown(ctx: &Ctx) {
    let bg = ctx.sync.background.lock().await.take();
    if let Some(bg) = bg {
        stop_background(bg).await;
    }
}

// Commands -----------------------------------------------------------------------------------

/// `syncConfigure`: saves the server's address (replacing any previous one) and, when a
/// password is given, puts it in the OS keyring. The server is not contacted (call
/// `syncTest`); a running background sync restarts with the new server.
///
/// # Errors
///
/// `invalid` for an empty host, database or user or port 0; `keyring` when the password
/// cannot be saved (then nothing is saved); `storage`.
pub async fn configure(ctx: &Ctx, input: SyncConfigInput) -> ApiResult<SyncStatus> {
    let previous = ctx.store.remote_config().await?;
    let mut config = RemoteConfig::new(
        input.host.trim(),
        input.port,
        input.database.trim(),
        input.user.trim(),
    );
    config.tls = input.tls.into();
    config.include_run_details = input.include_run_details;
    // Keep the account chosen with the CLI while the server stays the same.
    if let Some(p) = &previous {
        if (p.host.as_str(), p.port, p.database.as_str())
            == (config.host.as_str(), config.port, config.database.as_str())
        {
            config.account_id = p.account_id;
        }
    }
    // Saving validates the address before the keyring is touched.
    ctx.store.save_remote_config(&config).await?;
    if let Some(password) = input.password.filter(|p| !p.is_empty()) {
        let secrets = Arc::clone(&ctx.sync.secrets);
        let key = config.secret_key();
        let saved = tokio::task::spawn_blocking(move || secrets.set(&key, &password))
            .await
            .unwrap_or_else(|e| Err(SyncError::Keyring(e.to_string())));
        if let Err(e) = saved {
            // Nothing changes without the password: put the previous configuration back.
            let _ = match &previous {
                Some(p) => ctx.store.save_remote_config(p).await,
                None => ctx.store.clear_remote_config().await,
            };
            let reason = match e {
                SyncError::Keyring(r) => r,
                other => other.to_string(),
            };
            return Err(IpcError::new(
                ErrorCode::Keyring,
                format!(
                    "The OS keyring is unavailable ({}): the password was not saved and \
                     nothing was changed.",
                    one_line(&reason)
                ),
            ));
        }
    }
    restart_background(ctx).await?;
    status(ctx).await
}

/// `syncTest`: connects to the configured server and reports who we are there and the
/// state of its schema. Changes nothing, locally or remotely.
///
/// # Errors
///
/// `not_configured`, `auth`, `unreachable`, `remote`.
pub async fn test(ctx: &Ctx) -> ApiResult<SyncTestResult> {
    let config = ctx
        .store
        .remote_config()
        .await?
        .ok_or_else(|| sync_error(SyncError::NotConfigured))?;
    let rt = &ctx.sync;
    let password = rt.password(&config).await.map_err(|e| rt.error(e))?;
    let pool = config
        .connect(password.as_deref())
        .await
        .map_err(|e| rt.error(e))?;
    let checked = async {
        let state = schema_state(&pool).await?;
        let role: String = sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&pool)
            .await
            .map_err(SyncError::Remote)?;
        let mapped: Option<String> = match state {
            SchemaState::At(_) => sqlx::query_scalar("SELECT sg_current_user_id()::text")
                .fetch_one(&pool)
                .await
                .unwrap_or(None),
            SchemaState::Missing => None,
        };
        Ok::<_, SyncError>((state, role, mapped))
    }
    .await;
    pool.close().await;
    let (state, role, mapped) = checked.map_err(|e| rt.error(e))?;
    let server = server_text(&config);
    let app = REMOTE_SCHEMA_VERSION;
    let (schema, version, tail) = match state {
        SchemaState::Missing => (
            "missing",
            None,
            "the database has no Stratagraph schema yet; the first sync creates it if this \
             role may (its owner can also run `stratagraph sync migrate`)"
                .to_owned(),
        ),
        SchemaState::At(v) if v > app => (
            "newer",
            Some(v),
            format!("the server's schema is version {v}, newer than this app's {app}: update Stratagraph"),
        ),
        SchemaState::At(v) if v < app => (
            "older",
            Some(v),
            format!("the server's schema is version {v}; the first sync upgrades it to {app} if this role may"),
        ),
        SchemaState::At(v) => ("ok", Some(v), format!("schema version {v}, up to date")),
    };
    let who = match &mapped {
        Some(user) => format!("{role} (user {user})"),
        None => role.clone(),
    };
    Ok(SyncTestResult {
        message: sentence(&format!(
            "The server is reachable; logged in as {who}; {tail}"
        )),
        server,
        role,
        mapped_user_id: mapped,
        schema_version: version,
        app_schema_version: app,
        schema: schema.to_owned(),
    })
}

fn conflict_text(payload: &serde_json::Value, title: Option<&str>) -> String {
    let from = payload.get("saved_as").and_then(serde_json::Value::as_i64);
    let to = payload
        .get("renumbered_to")
        .and_then(serde_json::Value::as_i64);
    let what = title.map_or_else(|| "a strategy".to_owned(), |t| format!("“{t}”"));
    match (from, to) {
        (Some(from), Some(to)) => format!(
            "Version {from} of {what} is now version {to}: another device saved version \
             {from} first."
        ),
        _ => format!("A sync conflict on {what} was resolved."),
    }
}

async fn conflicts(ctx: &Ctx) -> ApiResult<Vec<SyncConflict>> {
    let list = ctx
        .store
        .list_notifications(ctx.user_id().await?, None)
        .await?;
    let mut out = Vec::new();
    for n in list
        .iter()
        .filter(|n| n.kind == NotificationType::SyncConflict && n.read_at.is_none())
        .take(MAX_CONFLICTS)
    {
        let strategy = n
            .payload
            .get("strategy_id")
            .and_then(serde_json::Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok());
        let title = match strategy {
            Some(id) => ctx.store.get_strategy(id).await.ok().map(|s| s.title),
            None => None,
        };
        out.push(SyncConflict {
            id: n.id.to_string(),
            strategy_id: strategy.map(|s| s.to_string()),
            message: conflict_text(&n.payload, title.as_deref()),
            created_at: crate::time_text(n.created_at),
        });
    }
    Ok(out)
}

/// `syncStatus`: the server (no password), last push and pull, pending changes, unread
/// conflicts, the background sync and the last error. Does not contact the server.
///
/// # Errors
///
/// `storage`.
pub async fn status(ctx: &Ctx) -> ApiResult<SyncStatus> {
    let st = ctx.store.sync_status().await?;
    let settings = read_settings(ctx);
    // The background sync's outcome is the newest when it runs (a sync started here pauses
    // it and starts it again afterwards); else this session's, else the stored one.
    let (background_active, bg_outcome) = match ctx.sync.background.try_lock() {
        Ok(slot) => (
            slot.is_some(),
            slot.as_ref()
                .and_then(BackgroundSync::last_outcome)
                .map(|o| o.err()),
        ),
        // Being changed right now (a sync on demand or a restart).
        Err(_) => (settings.auto_sync && st.remote.is_some(), None),
    };
    let last_error = bg_outcome
        .or_else(|| lock(&ctx.sync.last_error).clone())
        .unwrap_or_else(|| st.record.last_error.clone())
        .map(|e| sentence(&e));
    let last_sync_at = match (&st.record.last_push_at, &st.record.last_pull_at) {
        (Some(a), Some(b)) => Some(if a > b { a.clone() } else { b.clone() }),
        (a, b) => a.clone().or_else(|| b.clone()),
    };
    let conflicts = if st.unread_conflicts > 0 {
        conflicts(ctx).await?
    } else {
        Vec::new()
    };
    Ok(SyncStatus {
        configured: st.remote.is_some(),
        server: st.remote.map(|c| SyncServer {
            tls: c.tls.into(),
            include_run_details: c.include_run_details,
            host: c.host,
            port: c.port,
            database: c.database,
            user: c.user,
        }),
        last_push_at: st.record.last_push_at,
        last_pull_at: st.record.last_pull_at,
        last_sync_at,
        pending: st.pending,
        unread_conflicts: st.unread_conflicts,
        conflicts,
        auto_sync: settings.auto_sync,
        interval_secs: settings.interval_secs,
        background_active,
        running_job_id: lock(&ctx.sync.job).clone(),
        last_error,
    })
}

/// `syncConflictsRead`: marks the unread sync-conflict notifications read.
///
/// # Errors
///
/// `storage`.
pub async fn conflicts_read(ctx: &Ctx) -> ApiResult<SyncStatus> {
    let list = ctx
        .store
        .list_notifications(ctx.user_id().await?, None)
        .await?;
    for n in list
        .iter()
        .filter(|n| n.kind == NotificationType::SyncConflict && n.read_at.is_none())
    {
        ctx.store.mark_read(n.id).await?;
    }
    status(ctx).await
}

/// `syncSetAuto`: switches the background sync on or off and sets its interval (60 s to a
/// day). When on and a server is configured it starts at once (and with every app start).
///
/// # Errors
///
/// `invalid` for an interval out of range; `io` when the setting cannot be saved.
pub async fn set_auto(ctx: &Ctx, enabled: bool, interval_secs: u32) -> ApiResult<SyncStatus> {
    if !(MIN_INTERVAL_SECS..=MAX_INTERVAL_SECS).contains(&interval_secs) {
        return Err(IpcError::invalid(format!(
            "The sync interval must be {MIN_INTERVAL_SECS} s to {MAX_INTERVAL_SECS} s"
        )));
    }
    write_settings(
        ctx,
        AutoSettings {
            auto_sync: enabled,
            interval_secs,
        },
    )?;
    restart_background(ctx).await?;
    status(ctx).await
}

/// Clears the job slot when the sync ends however it ends.
struct JobSlot<'a>(&'a Mutex<Option<String>>);

impl Drop for JobSlot<'_> {
    fn drop(&mut self) {
        *lock(self.0) = None;
    }
}

/// `syncNow`: pushes then pulls, streaming progress (stages `queued`, `connecting`,
/// `pushing` with `done`/`total` changes, `pulling` with `done` rows and `total` 0, `done`).
/// The first message carries the job id for `jobCancel`; a cancelled sync keeps what it
/// committed and the next one resumes from there. The background sync pauses meanwhile.
///
/// # Errors
///
/// `not_configured`, `conflict` when a sync is already running here, `auth`,
/// `unreachable`, `remote`, `cancelled`, `storage`.
pub async fn sync_now(
    ctx: &Ctx,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> ApiResult<SyncSummary> {
    let config = ctx
        .store
        .remote_config()
        .await?
        .ok_or_else(|| sync_error(SyncError::NotConfigured))?;
    let job_id = Uuid::now_v7().to_string();
    {
        let mut slot = lock(&ctx.sync.job);
        if slot.is_some() {
            return Err(IpcError::new(
                ErrorCode::Conflict,
                "A sync is already running.",
            ));
        }
        *slot = Some(job_id.clone());
    }
    let _slot = JobSlot(&ctx.sync.job);
    let job = ctx.jobs.start(job_id.clone());
    let on_progress = Arc::new(on_progress);
    let send = {
        let on_progress = Arc::clone(&on_progress);
        let job_id = job_id.clone();
        move |done: u64, total: u64, stage: &str| {
            on_progress(Progress {
                job_id: job_id.clone(),
                done,
                total,
                stage: stage.to_owned(),
            });
        }
    };
    send(0, 0, "queued");

    // One sync at a time: pause the background sync (it finishes the sync in flight).
    let mut background = ctx.sync.background.lock().await;
    if let Some(bg) = background.take() {
        stop_background(bg).await;
    }
    // (No early return from here until the background sync is resumed.)
    let pending = ctx
        .store
        .sync_status()
        .await
        .map_or(0, |s| u64::try_from(s.pending).unwrap_or(0));
    send(0, pending, "connecting");
    let rt = &ctx.sync;
    let progress = {
        let send = send.clone();
        move |p: &SyncProgress| match p.phase {
            SyncPhase::Push => {
                let left = p.pending.unwrap_or(0);
                send(pending.saturating_sub(left), pending, "pushing");
            }
            SyncPhase::Pull => send(p.rows, 0, "pulling"),
        }
    };
    let flag = job.flag();
    let cancelled = async move {
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let work = async {
        let password = rt.password(&config).await?;
        let pool = config.connect(password.as_deref()).await?;
        let result = async {
            let syncer =
                Syncer::with_pool(&ctx.store, pool.clone(), &config, SyncOptions::default())
                    .await?;
            let report = syncer.sync(Some(&progress)).await?;
            // Template submissions queued while the server was out of reach.
            crate::educators::send_pending(&ctx.store, &pool).await?;
            Ok(report)
        }
        .await;
        pool.close().await;
        result
    };
    let outcome = tokio::select! {
        r = work => Some(r),
        () = cancelled => None,
    };
    let result = match outcome {
        None => Err(IpcError::cancelled("The sync")),
        Some(Ok(report)) => {
            *lock(&rt.last_error) = Some(None);
            let conflicts = u32::try_from(report.renumbered.len()).unwrap_or(u32::MAX);
            let mut message = format!(
                "Sent {} change{}, received {} and {} delete{}",
                report.pushed,
                if report.pushed == 1 { "" } else { "s" },
                report.pulled,
                report.pulled_deletes,
                if report.pulled_deletes == 1 { "" } else { "s" },
            );
            if conflicts > 0 {
                message.push_str(&format!(
                    "; {conflicts} version{} renumbered (see the conflicts)",
                    if conflicts == 1 { "" } else { "s" }
                ));
            }
            message.push('.');
            Ok(SyncSummary {
                pushed: report.pushed,
                pulled: report.pulled,
                pulled_deletes: report.pulled_deletes,
                not_taken: report.not_taken,
                conflicts,
                details_pushed: report.details_pushed,
                details_pulled: report.details_pulled,
                elapsed_ms: u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
                message,
            })
        }
        Some(Err(e)) => {
            let err = rt.error(e);
            *lock(&rt.last_error) = Some(Some(err.message.clone()));
            Err(err)
        }
    };
    // Resume the background sync (it syncs once at start, which finds nothing to do).
    if let Err(e) = start_background(ctx, &mut background).await {
        *lock(&rt.last_error) = Some(Some(e.message));
    }
    drop(background);
    drop(job);
    if result.is_ok() {
        let left = u64::try_from(ctx.store.sync_status().await?.pending).unwrap_or(0);
        send(pending.saturating_sub(left), pending, "done");
    }
    result
}
