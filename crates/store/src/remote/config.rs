//! The remote connection: where the server is (saved in the local store) and how to log in
//! (the password from a [`SecretStore`], never saved anywhere else).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use sqlx::ConnectOptions;
use uuid::Uuid;

use super::error::{SyncError, SyncResult};
use super::secret::SecretStore;
use crate::db::id_text;
use crate::error::StoreError;
use crate::Store;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How the connection uses TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Never TLS (a server on this machine or a private network).
    Disable,
    /// TLS when the server offers it, else plain.
    #[default]
    Prefer,
    /// TLS always; the certificate is not verified.
    Require,
    /// TLS always, with the certificate verified against the host name.
    VerifyFull,
}

impl TlsMode {
    /// The text stored and accepted on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyFull => "verify-full",
        }
    }

    fn pg(self) -> PgSslMode {
        match self {
            Self::Disable => PgSslMode::Disable,
            Self::Prefer => PgSslMode::Prefer,
            Self::Require => PgSslMode::Require,
            Self::VerifyFull => PgSslMode::VerifyFull,
        }
    }
}

impl std::str::FromStr for TlsMode {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, StoreError> {
        match s {
            "disable" => Ok(Self::Disable),
            "prefer" => Ok(Self::Prefer),
            "require" => Ok(Self::Require),
            "verify-full" => Ok(Self::VerifyFull),
            _ => Err(StoreError::invalid(
                "tls_mode",
                "must be disable, prefer, require or verify-full",
            )),
        }
    }
}

/// Where the remote server is. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteConfig {
    /// Host name or address.
    pub host: String,
    /// TCP port (5432 by default).
    pub port: u16,
    /// Database name.
    pub database: String,
    /// Login role.
    pub user: String,
    /// TLS use.
    pub tls: TlsMode,
    /// The account this device syncs as when the server does not map the role to a user
    /// (an owner connection); `None`: this device's profile.
    pub account_id: Option<Uuid>,
    /// Whether bulky run details (equity curves, trades) sync too; off by default.
    pub include_run_details: bool,
}

impl RemoteConfig {
    /// A configuration with the defaults: TLS preferred, profile account, no run details.
    pub fn new(host: &str, port: u16, database: &str, user: &str) -> Self {
        Self {
            host: host.to_owned(),
            port,
            database: database.to_owned(),
            user: user.to_owned(),
            tls: TlsMode::Prefer,
            account_id: None,
            include_run_details: false,
        }
    }

    /// The keyring key of this server's password: `user@host:port/database`.
    pub fn secret_key(&self) -> String {
        format!(
            "{}@{}:{}/{}",
            self.user, self.host, self.port, self.database
        )
    }

    fn validate(&self) -> Result<(), StoreError> {
        for (field, value) in [
            ("host", &self.host),
            ("database", &self.database),
            ("user", &self.user),
        ] {
            if value.trim().is_empty() || value.len() > 255 {
                return Err(StoreError::invalid(field, "must be 1 to 255 characters"));
            }
        }
        if self.port == 0 {
            return Err(StoreError::invalid("port", "must be 1 to 65535"));
        }
        Ok(())
    }

    /// Opens a small pool to the server with `password` (nothing is logged).
    ///
    /// # Errors
    ///
    /// `Auth` for a refused login, `Unreachable` when the server cannot be reached or the
    /// database does not exist, `Remote` otherwise.
    pub async fn connect(&self, password: Option<&str>) -> SyncResult<PgPool> {
        let mut options = PgConnectOptions::new()
            .host(&self.host)
            .port(self.port)
            .database(&self.database)
            .username(&self.user)
            .ssl_mode(self.tls.pg())
            .application_name("stratagraph-sync")
            .options([("timezone", "UTC")])
            .disable_statement_logging();
        if let Some(password) = password {
            options = options.password(password);
        }
        // One direct connection first: the pool retries a refused connection until its
        // timeout and then reports only "timed out", where the user needs the real reason.
        match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
            Ok(Ok(conn)) => {
                let _ = sqlx::Connection::close(conn).await;
            }
            Ok(Err(e)) => return Err(self.connect_error(e)),
            Err(_) => return Err(self.connect_error(sqlx::Error::PoolTimedOut)),
        }
        PgPoolOptions::new()
            .max_connections(2)
            .min_connections(0)
            .acquire_timeout(CONNECT_TIMEOUT)
            .test_before_acquire(true)
            .connect_with(options)
            .await
            .map_err(|e| self.connect_error(e))
    }

    fn connect_error(&self, err: sqlx::Error) -> SyncError {
        let unreachable = |reason: String| SyncError::Unreachable {
            host: self.host.clone(),
            port: self.port,
            reason,
        };
        match &err {
            sqlx::Error::Database(db) => match db.code().as_deref() {
                Some("28P01" | "28000") => SyncError::Auth {
                    host: self.host.clone(),
                    port: self.port,
                    user: self.user.clone(),
                },
                Some("3D000") => unreachable(format!("database {} does not exist", self.database)),
                Some("57P03") => unreachable("the server is starting up or shutting down".into()),
                _ => SyncError::Remote(err),
            },
            sqlx::Error::Io(io) => unreachable(io.to_string()),
            sqlx::Error::Tls(tls) => unreachable(format!("TLS failed: {tls}")),
            sqlx::Error::PoolTimedOut => unreachable("timed out".into()),
            sqlx::Error::Configuration(c) => unreachable(c.to_string()),
            _ => SyncError::Remote(err),
        }
    }

    /// As [`RemoteConfig::connect`] with the password from `secrets`.
    ///
    /// # Errors
    ///
    /// As [`RemoteConfig::connect`]; `Keyring` when the secret store fails.
    pub async fn connect_with(&self, secrets: &dyn SecretStore) -> SyncResult<PgPool> {
        let password = secrets.get(&self.secret_key())?;
        self.connect(password.as_deref()).await
    }
}

/// The sync's own record of its last results (see [`Store::sync_status`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRecord {
    /// Last completed push (UTC text).
    pub last_push_at: Option<String>,
    /// Last completed pull (UTC text).
    pub last_pull_at: Option<String>,
    /// The last error's message, cleared by a successful sync.
    pub last_error: Option<String>,
}

impl Store {
    /// Saves the remote server's address (replacing any previous one). The password goes to
    /// the keyring with [`SecretStore::set`] under [`RemoteConfig::secret_key`], never here.
    ///
    /// # Errors
    ///
    /// `Invalid` for an empty host, database or user; `Storage`.
    pub async fn save_remote_config(&self, config: &RemoteConfig) -> Result<(), StoreError> {
        config.validate()?;
        sqlx::query(
            "INSERT INTO sync_remote (id, host, port, database, user_name, tls_mode, account_id, \
             include_run_details, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET host = excluded.host, port = excluded.port, \
             database = excluded.database, user_name = excluded.user_name, \
             tls_mode = excluded.tls_mode, account_id = excluded.account_id, \
             include_run_details = excluded.include_run_details, updated_at = excluded.updated_at",
        )
        .bind(&config.host)
        .bind(i64::from(config.port))
        .bind(&config.database)
        .bind(&config.user)
        .bind(config.tls.as_str())
        .bind(config.account_id.map(id_text))
        .bind(config.include_run_details)
        .bind(self.now_text())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The saved remote server, if any.
    ///
    /// # Errors
    ///
    /// `Storage`; `Invalid` when the stored row cannot be read.
    pub async fn remote_config(&self) -> Result<Option<RemoteConfig>, StoreError> {
        type Row = (String, i64, String, String, String, Option<String>, bool);
        let row: Option<Row> = sqlx::query_as(
            "SELECT host, port, database, user_name, tls_mode, account_id, include_run_details \
             FROM sync_remote WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some((host, port, database, user, tls, account, details)) = row else {
            return Ok(None);
        };
        Ok(Some(RemoteConfig {
            host,
            port: u16::try_from(port).map_err(|_| StoreError::invalid("port", "out of range"))?,
            database,
            user,
            tls: tls.parse()?,
            account_id: account
                .map(|a| Uuid::parse_str(&a))
                .transpose()
                .map_err(|e| StoreError::invalid("account_id", e.to_string()))?,
            include_run_details: details,
        }))
    }

    /// Forgets the remote server (the caller removes the keyring entry).
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn clear_remote_config(&self) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sync_remote WHERE id = 1")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The last sync results recorded on this device.
    ///
    /// # Errors
    ///
    /// `Storage`.
    pub async fn sync_record(&self) -> Result<SyncRecord, StoreError> {
        let row: Option<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT last_push_at, last_pull_at, last_error FROM sync_remote WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let (last_push_at, last_pull_at, last_error) = row.unwrap_or((None, None, None));
        Ok(SyncRecord {
            last_push_at,
            last_pull_at,
            last_error,
        })
    }

    pub(crate) async fn record_sync(
        &self,
        push: bool,
        pull: bool,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = self.now_text();
        sqlx::query(
            "UPDATE sync_remote SET \
             last_push_at = CASE WHEN ?1 THEN ?3 ELSE last_push_at END, \
             last_pull_at = CASE WHEN ?2 THEN ?3 ELSE last_pull_at END, \
             last_error = ?4 WHERE id = 1",
        )
        .bind(push)
        .bind(pull)
        .bind(now)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
