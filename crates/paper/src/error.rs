//! The crate's error: what went wrong, in words a user can act on.

use stratagraph_engine::paper::FeedError;
use stratagraph_store::StoreError;

/// A paper-trading failure.
#[derive(Debug, thiserror::Error)]
pub enum PaperError {
    /// A request field is not acceptable.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// Why.
        reason: String,
    },
    /// Another process holds the run (the message names it), or the run changed under us.
    #[error("{0}")]
    Conflict(String),
    /// The store failed or refused.
    #[error(transparent)]
    Store(StoreError),
    /// The feed failed.
    #[error(transparent)]
    Feed(#[from] FeedError),
    /// The strategy version cannot be compiled or its saved state does not fit it.
    #[error("{0}")]
    Engine(String),
}

impl From<StoreError> for PaperError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { reason } => PaperError::Conflict(reason),
            other => PaperError::Store(other),
        }
    }
}

impl PaperError {
    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Self {
        PaperError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The crate's result type.
pub type PaperResult<T> = Result<T, PaperError>;
