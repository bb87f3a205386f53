//! Robustness of a result: how much of it could be luck or overfitting. The Probabilistic and
//! Deflated Sharpe Ratio with the number of trials a strategy went through, the Probability
//! of Backtest Overfitting of a sweep by CSCV, Monte Carlo of a trade list, parameter
//! stability on a grid, and warnings with their reasons. `docs/robustness.md` gives every
//! formula and its source; `scripts/robustness/reference.py` prints the reference values
//! the tests hold.

pub mod assess;
pub mod montecarlo;
pub mod pbo;
pub mod returns;
pub mod sharpe;
pub mod stability;
pub mod stats;
pub mod warnings;

pub use montecarlo::{Method, MonteCarlo, MonteCarloError};
pub use pbo::{Pbo, PboError};
pub use sharpe::{deflated_sharpe, probabilistic_sharpe, Deflated, Trials};
pub use stability::Stability;
pub use stats::{Moments, ReturnStats};
pub use warnings::Warning;

/// Blocks S of the PBO a sweep computes (the paper's suggestion).
pub const PBO_BLOCKS: usize = 16;
