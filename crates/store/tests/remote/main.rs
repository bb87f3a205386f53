//! Integration tests of the remote sync against a real PostgreSQL (127.0.0.1:5432, or the port in
//! `STRATAGRAPH_TEST_PG_PORT`: scripts/test.sh runs them against TimescaleDB too).
//! A separate binary from `tests/store` so the embedded-store tests stay hermetic (no
//! server needed) and so these can be run, or skipped, on their own. Each test creates and
//! drops its own database `sg_test_<unix time>_<random>`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod attack;
mod bad_input;
mod cluster;
mod common;
mod converge;
mod details;
mod educators;
mod faults;
mod keyring;
mod migrate;
mod paper;
mod quota;
mod rls;
mod sync;
mod visibility;
