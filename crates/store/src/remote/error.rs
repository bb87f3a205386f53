//! What can go wrong while talking to the remote server, in words a user can act on.

use crate::error::StoreError;

/// A sync, migration or remote quota failure. The UI branches on [`SyncError::code`]; the
/// messages never contain the password, and database internals stay behind `source()`.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No remote server has been configured on this device.
    #[error("no remote server is configured: run `stratagraph sync configure` first")]
    NotConfigured,
    /// The server refused the user name or password.
    #[error(
        "the server at {host}:{port} refused the login of {user}: wrong user name or password"
    )]
    Auth {
        /// Server host.
        host: String,
        /// Server port.
        port: u16,
        /// The role that tried to log in.
        user: String,
    },
    /// The server could not be reached (DNS, refused, timed out, TLS).
    #[error("cannot reach the server at {host}:{port}: {reason}")]
    Unreachable {
        /// Server host.
        host: String,
        /// Server port.
        port: u16,
        /// What failed, in words.
        reason: String,
    },
    /// The server has no Stratagraph schema and this role may not create it.
    #[error("the database {database} has no Stratagraph schema; ask its owner to run `stratagraph sync migrate`")]
    NoSchema {
        /// The database connected to.
        database: String,
    },
    /// The server's schema is newer than this app understands.
    #[error(
        "the server's schema is version {server}, newer than this app's {app}: update Stratagraph"
    )]
    NewerSchema {
        /// Version found on the server.
        server: i64,
        /// Newest version this build knows.
        app: i64,
    },
    /// The server's schema is older and this role may not upgrade it.
    #[error("the server's schema is version {server}, older than this app's {app}; ask its owner to run `stratagraph sync migrate`")]
    OlderSchema {
        /// Version found on the server.
        server: i64,
        /// Newest version this build knows.
        app: i64,
    },
    /// The connected role may not do this.
    #[error("permission denied on the server: {0}")]
    Permission(String),
    /// No password or token for this server in the OS keyring.
    #[error("no password for {0} in the keyring: run `stratagraph sync configure` again")]
    MissingSecret(String),
    /// The OS keyring failed.
    #[error("the OS keyring failed: {0}")]
    Keyring(String),
    /// The connection broke during the sync; what was committed stays, run it again.
    #[error("the connection to the server was lost; the next sync resumes where this one stopped")]
    Interrupted(#[source] sqlx::Error),
    /// A quota would be exceeded on the server; nothing was counted.
    #[error("quota exceeded for {metric}: limit {limit}")]
    QuotaExceeded {
        /// The metric.
        metric: String,
        /// The plan's limit.
        limit: i64,
    },
    /// Another server error.
    #[error("the server reported an error")]
    Remote(#[source] sqlx::Error),
    /// The server refused a request for a reason it names (an unknown cohort, a review
    /// already decided, an invalid title ...).
    #[error("the server refused: {0}")]
    Refused(String),
    /// The local store failed.
    #[error(transparent)]
    Local(#[from] StoreError),
}

impl SyncError {
    /// A stable code for the UI: `not_configured`, `auth`, `unreachable`, `no_schema`,
    /// `newer_schema`, `older_schema`, `permission`, `missing_secret`, `keyring`,
    /// `interrupted`, `quota_exceeded`, `remote`, or the local store's code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotConfigured => "not_configured",
            Self::Auth { .. } => "auth",
            Self::Unreachable { .. } => "unreachable",
            Self::NoSchema { .. } => "no_schema",
            Self::NewerSchema { .. } => "newer_schema",
            Self::OlderSchema { .. } => "older_schema",
            Self::Permission(_) => "permission",
            Self::MissingSecret(_) => "missing_secret",
            Self::Keyring(_) => "keyring",
            Self::Interrupted(_) => "interrupted",
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::Remote(_) => "remote",
            Self::Refused(_) => "refused",
            Self::Local(e) => e.code(),
        }
    }

    /// Whether running the sync again may succeed without the user changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Interrupted(_) | Self::Unreachable { .. })
    }
}

/// Classifies an error of an established session: a dropped connection is `Interrupted`,
/// a privilege error is `Permission`, anything else `Remote`.
pub(crate) fn classify(err: sqlx::Error) -> SyncError {
    match &err {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => SyncError::Interrupted(err),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // admin_shutdown, crash_shutdown, cannot_connect_now, connection failures
            Some("57P01" | "57P02" | "57P03" | "08000" | "08003" | "08006" | "40001") => {
                SyncError::Interrupted(err)
            }
            Some("42501") => SyncError::Permission(db.message().to_owned()),
            _ => SyncError::Remote(err),
        },
        _ => SyncError::Remote(err),
    }
}

/// The result type of remote operations.
pub type SyncResult<T> = std::result::Result<T, SyncError>;
