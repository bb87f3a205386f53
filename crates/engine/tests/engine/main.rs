//! The engine's integration tests: one binary, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod backtest_rules;
mod breakdown;
mod gen;
mod import_data;
mod indicators_golden;
mod lookahead;
mod parity;
mod robust;
mod streaming;
mod sweeps;
mod validation;
mod walkforward;
