//! Integration tests of `stratagraph-store`, one module per repository, each test on its own
//! temporary database.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod bad_input;
mod common;
mod compliance;
mod crash;
mod notifications;
mod quotas;
mod research;
mod runs;
mod strategies;
mod sync;
mod templates;
mod users;
mod versions;
