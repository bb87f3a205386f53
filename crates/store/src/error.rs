//! The crate's one error type, with variants a UI can act on.

use chrono::{DateTime, Utc};
use sqlx::error::ErrorKind;

/// The result type of every fallible store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything that can go wrong in the store. The UI branches on [`StoreError::code`], never
/// on the message; `Storage` hides database internals behind a fixed message (the cause stays
/// reachable through `source()` for logs).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The addressed row does not exist.
    #[error("{entity} not found: {id}")]
    NotFound {
        /// What was looked up ("strategy", "run", ...).
        entity: &'static str,
        /// The id, slug or key that was looked up.
        id: String,
    },
    /// The operation clashes with the current state (duplicate, wrong status, immutable row).
    #[error("conflict: {reason}")]
    Conflict {
        /// What clashed, in words.
        reason: String,
    },
    /// A quota would be exceeded; nothing was counted.
    #[error("quota exceeded for {metric}: limit {limit}")]
    QuotaExceeded {
        /// The quota metric, e.g. `templates_published`.
        metric: String,
        /// The plan's limit for this metric.
        limit: i64,
        /// When the window resets; `None` for counts without a window.
        resets_at: Option<DateTime<Utc>>,
    },
    /// An input (or a stored value) is not acceptable.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field or column at fault.
        field: String,
        /// Why it is not acceptable.
        reason: String,
    },
    /// The user lacks the role the operation needs (e.g. only reviewers decide reviews).
    #[error("forbidden: {reason}")]
    Forbidden {
        /// What is missing, in words.
        reason: String,
    },
    /// The database or the file system failed.
    #[error("an internal storage error occurred")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl StoreError {
    /// A stable machine-readable code for the IPC edge: `not_found`, `conflict`,
    /// `quota_exceeded`, `invalid`, `forbidden` or `storage`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::Invalid { .. } => "invalid",
            Self::Forbidden { .. } => "forbidden",
            Self::Storage(_) => "storage",
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub(crate) fn conflict(reason: impl Into<String>) -> Self {
        Self::Conflict {
            reason: reason.into(),
        }
    }

    pub(crate) fn storage(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Storage(Box::new(err))
    }

    /// Maps a foreign-key failure of a write to `NotFound` of the row it referenced.
    pub(crate) fn fk_as_not_found(self, entity: &'static str, id: impl ToString) -> Self {
        match self {
            Self::NotFound {
                entity: "referenced row",
                ..
            } => Self::not_found(entity, id),
            other => other,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::RowNotFound = err {
            return Self::not_found("row", "");
        }
        if let sqlx::Error::Database(db) = &err {
            let message = db.message();
            // SQLite says e.g. "UNIQUE constraint failed: users.email".
            let detail = message.rsplit(": ").next().unwrap_or(message).to_owned();
            match db.kind() {
                ErrorKind::UniqueViolation => {
                    return Self::conflict(format!("{detail} already exists"));
                }
                ErrorKind::ForeignKeyViolation => {
                    return Self::not_found("referenced row", "");
                }
                ErrorKind::CheckViolation => {
                    return Self::invalid(detail, "rejected by a schema check");
                }
                ErrorKind::NotNullViolation => {
                    return Self::invalid(detail, "must not be null");
                }
                _ if message.contains("immutable") => return Self::conflict(message.to_owned()),
                _ => {}
            }
        }
        Self::storage(err)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        Self::storage(err)
    }
}

impl From<std::io::Error> for StoreError {
    fn from(err: std::io::Error) -> Self {
        Self::storage(err)
    }
}
