//! The engine's integration tests: one binary, one module per area.

mod import_data;
mod indicators_golden;
