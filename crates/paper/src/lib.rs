//! Paper trading: a run pinned to one immutable strategy version, driven bar by bar by the
//! streaming engine from a feed of closed bars, committing every processed bar (state, fills,
//! trades, events, notifications) in one transaction of the store.
//!
//! * [`start`] checks a request (version, parameters, costs, window, feed) and creates the run.
//! * [`RunDriver`] drives one run while it holds the run's lease: it polls the feed, retries
//!   feed errors with backoff, notices gaps and bars revised after close, catches up after
//!   downtime under the run's policy, and stops when the run is paused or stopped.
//! * [`serve`] drives every running run of a database until cancelled (the app and
//!   `stratagraph paper serve`); the lease makes sure only one process drives a run.
//! * [`reconcile`] backtests the version on the bars the run saw and names the first
//!   difference and its cause.
//!
//! Depends on the engine and the store (and the exchange feeds); the engine knows no SQL and
//! the store knows no engine.

mod driver;
mod error;
mod reconcile;
mod serve;
mod spec;

pub use driver::{RunDriver, StepReport};
pub use error::{PaperError, PaperResult};
pub use reconcile::{reconcile, Difference, Reconciliation};
pub use serve::{serve, ServeEvent};
pub use spec::{
    build_feed, build_plan, start, AlertConfig, DriverConfig, Market, StartRequest, Window,
};
