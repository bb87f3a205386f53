//! Stratagraph's engine: strategy graphs, the node catalog, validation, the compiler, the
//! backtest engine, metrics and market-data import. No UI, no SQL, no Tauri.

pub mod bars;
pub mod indicators;
pub mod import;
pub mod synth;

pub use bars::{BarError, Bars, Column};
pub mod catalog;
pub mod graph;
pub mod validate;
pub mod backtest;
pub mod compile;
pub mod eval;
pub mod metrics;
