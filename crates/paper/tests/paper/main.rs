//! Paper trading end to end on a temporary database: the replay lifecycle, paper equal to
//! backtest over random graphs and kill points, catch-up after downtime under each policy,
//! feed errors against a local server speaking the exchanges' documented formats, and two
//! processes racing for one run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod catch_up;
mod common;
mod feeds;
#[path = "../../../engine/tests/engine/gen.rs"]
#[allow(dead_code)]
mod gen;
mod lifecycle;
mod parity;
mod race;
