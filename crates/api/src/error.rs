//! The one error type that crosses IPC: a stable `code` the UI switches on, a message in
//! words, and the data some codes carry (validation problems, quota limit and reset time).

use serde::Serialize;
use stratagraph_engine::compile::CompileError;
use stratagraph_engine::import::ImportError;
use stratagraph_store::StoreError;
use ts_rs::TS;

use crate::dto::Problem;

/// What went wrong, for the UI to branch on (never on the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The addressed strategy, version, run or dataset does not exist.
    NotFound,
    /// The request clashes with the current state (duplicate name, finished run).
    Conflict,
    /// A plan limit is reached; `limit` and `resetsAt` say which and until when.
    QuotaExceeded,
    /// An argument is malformed or out of range; the message names it.
    Invalid,
    /// The graph has validation problems; `problems` lists them by node.
    InvalidGraph,
    /// The user cancelled the job.
    Cancelled,
    /// The user lacks the role the request needs (educator, reviewer, admin).
    Forbidden,
    /// The local database failed (details are logged, not shown).
    Storage,
    /// A file could not be read or written; the message names it.
    Io,
    /// Sync: no remote server is configured yet.
    NotConfigured,
    /// Sync: the server refused the user name or password (or none is saved).
    Auth,
    /// Sync: the server cannot be reached or the connection was lost (try again later).
    Unreachable,
    /// Sync: the OS keyring is unavailable; the password could not be saved or read.
    Keyring,
    /// Sync: the server reported an error (schema, permission, other).
    Remote,
}

/// An error as the UI receives it.
#[derive(Debug, Clone, PartialEq, Serialize, TS, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct IpcError {
    /// The machine-readable kind.
    pub code: ErrorCode,
    /// One sentence for the user.
    pub message: String,
    /// Validation problems, for `invalid_graph`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub problems: Option<Vec<Problem>>,
    /// The plan's limit, for `quota_exceeded`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub limit: Option<i64>,
    /// When the quota window resets (RFC 3339, UTC), for `quota_exceeded`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub resets_at: Option<String>,
}

/// The result type of every API function.
pub type ApiResult<T> = Result<T, IpcError>;

impl IpcError {
    /// An error with a code and a message and nothing else.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            problems: None,
            limit: None,
            resets_at: None,
        }
    }

    /// `invalid`: an argument is not acceptable.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Invalid, message)
    }

    /// `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// `io`, naming what was being done.
    pub fn io(context: impl std::fmt::Display, err: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Io, format!("{context}: {err}"))
    }

    /// `cancelled`.
    pub fn cancelled(what: &str) -> Self {
        Self::new(ErrorCode::Cancelled, format!("{what} was cancelled"))
    }

    /// `invalid_graph` with the validator's problems.
    pub fn invalid_graph(problems: Vec<Problem>) -> Self {
        let n = problems.len();
        let first = problems
            .first()
            .map(|p| p.message.clone())
            .unwrap_or_default();
        let message = if n == 1 {
            format!("The graph has a problem: {first}")
        } else {
            format!("The graph has {n} problems; the first: {first}")
        };
        Self {
            problems: Some(problems),
            ..Self::new(ErrorCode::InvalidGraph, message)
        }
    }
}

/// Human names of quota metrics, for messages.
fn metric_words(metric: &str) -> &str {
    match metric {
        "templates_published" => "published templates",
        "cohort_size" => "members per cohort",
        other => other,
    }
}

impl From<StoreError> for IpcError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { entity, id } => {
                Self::not_found(format!("The {entity} {id} does not exist"))
            }
            StoreError::Conflict { reason } => Self::new(ErrorCode::Conflict, reason),
            StoreError::QuotaExceeded {
                metric,
                limit,
                resets_at,
            } => {
                let when = resets_at
                    .map(|t| format!("; it resets at {}", t.format("%Y-%m-%d %H:%M UTC")))
                    .unwrap_or_default();
                Self {
                    limit: Some(limit),
                    resets_at: resets_at.map(|t| t.to_rfc3339()),
                    ..Self::new(
                        ErrorCode::QuotaExceeded,
                        format!(
                            "Your plan allows {limit} {} and that limit is reached{when}.",
                            metric_words(&metric)
                        ),
                    )
                }
            }
            StoreError::Invalid { field, reason } => Self::invalid(format!("{field}: {reason}")),
            StoreError::Forbidden { reason } => Self::new(ErrorCode::Forbidden, reason),
            StoreError::Storage(source) => {
                eprintln!("stratagraph: storage error: {source}");
                Self::new(ErrorCode::Storage, "An internal database error occurred")
            }
        }
    }
}

impl From<ImportError> for IpcError {
    fn from(err: ImportError) -> Self {
        match err {
            ImportError::Cancelled => Self::cancelled("The import"),
            ImportError::Open { .. } | ImportError::Io(_) => {
                Self::new(ErrorCode::Io, err.to_string())
            }
            other => Self::invalid(other.to_string()),
        }
    }
}

impl From<CompileError> for IpcError {
    fn from(err: CompileError) -> Self {
        match err {
            CompileError::Invalid(problems) => {
                Self::invalid_graph(problems.iter().map(Problem::from).collect())
            }
            other => Self::invalid(other.to_string()),
        }
    }
}
