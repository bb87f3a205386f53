//! Stratagraph's engine: strategy graphs, the node catalog, validation, the compiler, the
//! backtest engine, metrics, market-data import and the paper-trading path (feeds, broker).
//! No UI, no SQL, no Tauri.

pub mod bars;
pub mod columnar;
pub mod import;
pub mod indicators;
pub mod synth;

pub use bars::{BarError, Bars, CanonicalError, Column};
pub mod backtest;
pub mod breakdown;
pub mod catalog;
pub mod compile;
pub mod eval;
pub mod feedback;
mod fused;
pub mod graph;
pub mod kernels;
pub mod launch;
pub mod metrics;
pub mod numfmt;
pub mod paper;
pub mod robust;
pub mod shard;
pub mod stream;
mod swar;
pub mod sweep;
pub mod validate;
pub mod walkforward;
