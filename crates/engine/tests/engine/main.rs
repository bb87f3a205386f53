//! The engine's integration tests: one binary, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod backtest_rules;
mod breakdown;
mod calendar_golden;
mod every_kind;
mod gen;
mod import_data;
mod indicators_golden;
mod lesson;
mod lookahead;
mod paper;
mod parity;
mod position_state;
mod robust;
mod shards;
mod streaming;
mod sweeps;
mod validation;
mod walkforward;
