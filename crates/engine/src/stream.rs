//! Streaming execution: the same compiled plan fed one bar at a time (the paper-trading
//! path), with a state that serialises between bars. Over the same bars it gives the same
//! signals, trades and equity as the batch backtest, bit for bit: every node and the account
//! use the same arithmetic in both paths.

use serde::{Deserialize, Serialize};

use crate::backtest::{
    BarPrices, Book, Side, Trade, ENTER_LONG, ENTER_SHORT, EXIT_LONG, EXIT_SHORT,
};
pub use crate::bars::Bar;
use crate::bars::{check_bar, Column};
use crate::compile::{Op, Plan, Slot};
use crate::eval::{beyond, compare, cross_step, logic, math, not};
use crate::indicators::{
    AtrState, BollingerState, EmaState, HighestState, LowestState, MacdState, ObvState, RocState,
    RsiState, SmaState, StdDevState, StochState, VwapState, WmaState,
};
use crate::kernels::{KernelState, Out};

/// Why a stream refused a bar or a saved state.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StreamError {
    /// The bar breaks the market-data rules (bad price, time not after the previous bar).
    #[error("bar {index}, column {column}: {reason}")]
    BadBar {
        /// 0-based index the bar would have had.
        index: usize,
        /// The column at fault.
        column: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A saved state belongs to another plan.
    #[error("the saved state does not belong to this strategy version and parameters")]
    StateMismatch,
}

/// Per-step memory of the nodes that have any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum NodeState {
    Stateless,
    Sma(SmaState),
    Ema(EmaState),
    Wma(WmaState),
    Rsi(RsiState),
    Macd(MacdState),
    Bollinger(BollingerState),
    Atr(AtrState),
    Stochastic(StochState),
    Roc(RocState),
    Stddev(StdDevState),
    Highest(HighestState),
    Lowest(LowestState),
    Obv(ObvState),
    Vwap(VwapState),
    /// Sign of the last valid non-zero difference.
    Cross(f64),
    /// The window extreme and its value at the previous bar (`None` when missing, so the
    /// state stays valid JSON).
    Rising(HighestState, Option<f64>),
    Falling(LowestState, Option<f64>),
    /// Bars since the last true value.
    BarsSince(Option<u64>),
    /// A library node.
    Kernel(KernelState),
}

/// The memory a step starts with.
pub(crate) fn initial_state(op: &Op) -> NodeState {
    match *op {
        Op::Sma(_, p) => NodeState::Sma(SmaState::new(p)),
        Op::Ema(_, p) => NodeState::Ema(EmaState::new(p)),
        Op::Wma(_, p) => NodeState::Wma(WmaState::new(p)),
        Op::Rsi(_, p) => NodeState::Rsi(RsiState::new(p)),
        Op::Macd(_, f, s, g) => NodeState::Macd(MacdState::new(f, s, g)),
        Op::Bollinger(_, p, k) => NodeState::Bollinger(BollingerState::new(p, k)),
        Op::Atr(p) => NodeState::Atr(AtrState::new(p)),
        Op::Stochastic(k, s, d) => NodeState::Stochastic(StochState::new(k, s, d)),
        Op::Roc(_, p) => NodeState::Roc(RocState::new(p)),
        Op::Stddev(_, p) => NodeState::Stddev(StdDevState::new(p)),
        Op::Highest(_, p) => NodeState::Highest(HighestState::new(p)),
        Op::Lowest(_, p) => NodeState::Lowest(LowestState::new(p)),
        Op::Obv => NodeState::Obv(ObvState::new()),
        Op::Vwap(p) => NodeState::Vwap(VwapState::new(p)),
        Op::CrossAbove(..) | Op::CrossBelow(..) => NodeState::Cross(0.0),
        Op::Rising(_, p) => NodeState::Rising(HighestState::new(p), None),
        Op::Falling(_, p) => NodeState::Falling(LowestState::new(p), None),
        Op::BarsSince(_) => NodeState::BarsSince(None),
        Op::Kernel(ref k, _) => NodeState::Kernel(k.state()),
        _ => NodeState::Stateless,
    }
}

/// Everything a stream remembers between bars; save it with serde and restore it with
/// [`Stream::resume`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamState {
    /// Hex hash of the plan (graph, parameters, settings) the state belongs to.
    pub plan_hash: String,
    /// Bars consumed so far.
    pub bars: usize,
    /// Time of the last bar consumed.
    pub last_time: Option<i64>,
    nodes: Vec<NodeState>,
    /// The account.
    pub book: Book,
}

/// What one bar produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOutput {
    /// Index of the bar (0 for the first bar the stream ever saw).
    pub bar: usize,
    /// Order signals that fired at this bar's close (`ENTER_LONG`… bits).
    pub signals: u8,
    /// Equity marked at this bar's close.
    pub equity: f64,
    /// Trades closed during this bar.
    pub closed: Vec<Trade>,
}

/// A plan run one bar at a time.
#[derive(Debug, Clone)]
pub struct Stream<'p> {
    plan: &'p Plan,
    state: StreamState,
    values: Vec<f64>,
}

/// Hash identifying a plan for saved states: the graph, parameters and settings.
fn plan_hash(plan: &Plan) -> String {
    let mut h = blake3::Hasher::new();
    crate::backtest::hash_plan(&mut h, plan);
    h.finalize().to_hex().to_string()
}

impl<'p> Stream<'p> {
    /// A fresh stream: flat account, no bars seen.
    pub fn new(plan: &'p Plan) -> Self {
        let state = StreamState {
            plan_hash: plan_hash(plan),
            bars: 0,
            last_time: None,
            nodes: plan.steps.iter().map(|s| initial_state(&s.op)).collect(),
            book: Book::new(plan),
        };
        Stream {
            plan,
            state,
            values: vec![f64::NAN; plan.slots],
        }
    }

    /// Continues from a saved state.
    ///
    /// # Errors
    /// [`StreamError::StateMismatch`] when the state was saved for another plan.
    pub fn resume(plan: &'p Plan, state: StreamState) -> Result<Self, StreamError> {
        let fits = state.plan_hash == plan_hash(plan)
            && state.nodes.len() == plan.steps.len()
            && plan.steps.iter().zip(&state.nodes).all(|(s, n)| {
                std::mem::discriminant(&initial_state(&s.op)) == std::mem::discriminant(n)
            });
        if !fits {
            return Err(StreamError::StateMismatch);
        }
        Ok(Stream {
            plan,
            state,
            values: vec![f64::NAN; plan.slots],
        })
    }

    /// The state to save between bars.
    pub fn state(&self) -> &StreamState {
        &self.state
    }

    /// Drops the order decided at the last close, so the next open fills nothing.
    pub fn cancel_pending_order(&mut self) {
        self.state.book.cancel_pending();
    }

    /// The value of every node output at the last bar, by slot.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Feeds one bar: evaluates every node, fills the order pending from the previous close
    /// at this bar's open, checks stops, decides the next order and marks equity.
    ///
    /// # Errors
    /// [`StreamError::BadBar`] when the bar breaks the market-data rules; the stream is unchanged.
    pub fn push(&mut self, bar: &Bar) -> Result<StepOutput, StreamError> {
        let t = self.state.bars;
        check_bar(
            self.state.last_time,
            bar.time,
            [bar.open, bar.high, bar.low, bar.close, bar.volume],
        )
        .map_err(|(column, reason)| StreamError::BadBar {
            index: t,
            column: column.name(),
            reason,
        })?;
        let b = BarPrices {
            time: bar.time,
            open: bar.open,
            high: bar.high,
            low: bar.low,
            close: bar.close,
        };
        // The order decided at the previous close fills first and stops are checked, so the
        // position nodes see the account as it stands during this bar.
        let mut closed: Vec<Trade> = self.state.book.on_open(t, &b).into_iter().collect();
        closed.extend(self.state.book.on_range(t, &b));
        self.evaluate(bar, t);
        let plan = self.plan;
        let values = &self.values;
        let fired = |slot: usize| values.get(slot).is_some_and(|&v| v == 1.0);
        let mut flags = 0u8;
        for (bit, hit) in [
            (ENTER_LONG, plan.enter_long.iter().any(|e| fired(e.when))),
            (EXIT_LONG, plan.exit_long.iter().any(|&s| fired(s))),
            (ENTER_SHORT, plan.enter_short.iter().any(|e| fired(e.when))),
            (EXIT_SHORT, plan.exit_short.iter().any(|&s| fired(s))),
        ] {
            if hit {
                flags |= bit;
            }
        }
        let size_of = |side: Side, _t: usize| {
            let entries = match side {
                Side::Long => &plan.enter_long,
                Side::Short => &plan.enter_short,
            };
            entries.iter().find(|e| fired(e.when)).map(|e| e.size)
        };
        let book = &mut self.state.book;
        book.on_close(t, flags, &size_of);
        let equity = book.mark(bar.close);
        self.state.bars += 1;
        self.state.last_time = Some(bar.time);
        Ok(StepOutput {
            bar: t,
            signals: flags,
            equity,
            closed,
        })
    }

    fn evaluate(&mut self, bar: &Bar, t: usize) {
        let v = &mut self.values;
        let book = &self.state.book;
        for (step, node) in self.plan.steps.iter().zip(self.state.nodes.iter_mut()) {
            let out = {
                let get = |slot: Slot| v.get(slot).copied().unwrap_or(f64::NAN);
                step_value(&step.op, node, &get, bar, book, t)
            };
            for (slot, value) in step.outputs.iter().zip(out) {
                if let Some(s) = v.get_mut(*slot) {
                    *s = value;
                }
            }
        }
    }
}

/// One step at one bar: `get` gives the current value of any slot, `book` the account after
/// this bar's open fill and stops. Batch runs of position-dependent steps use it too, so the
/// two paths share every operation.
pub(crate) fn step_value(
    op: &Op,
    node: &mut NodeState,
    get: &dyn Fn(Slot) -> f64,
    bar: &Bar,
    book: &Book,
    t: usize,
) -> Out {
    let n = f64::NAN;
    match (op, node) {
        (Op::Column(c), _) => [column(bar, *c), n, n, n, n],
        (Op::Const(c), _) => [*c, n, n, n, n],
        (Op::Sma(x, _), NodeState::Sma(s)) => [s.update(get(*x)), n, n, n, n],
        (Op::Ema(x, _), NodeState::Ema(s)) => [s.update(get(*x)), n, n, n, n],
        (Op::Wma(x, _), NodeState::Wma(s)) => [s.update(get(*x)), n, n, n, n],
        (Op::Rsi(x, _), NodeState::Rsi(s)) => [s.update(get(*x)), n, n, n, n],
        (Op::Macd(x, ..), NodeState::Macd(s)) => {
            let m = s.update(get(*x));
            [m.line, m.signal, m.hist, n, n]
        }
        (Op::Bollinger(x, ..), NodeState::Bollinger(s)) => {
            let b = s.update(get(*x));
            [b.upper, b.middle, b.lower, n, n]
        }
        (Op::Atr(_), NodeState::Atr(s)) => [s.update(bar.high, bar.low, bar.close), n, n, n, n],
        (Op::Stochastic(..), NodeState::Stochastic(s)) => {
            let st = s.update(bar.high, bar.low, bar.close);
            [st.k, st.d, n, n, n]
        }
        (Op::Roc(x, _), NodeState::Roc(s)) => [s.update(get(*x)), n, n, n, n],
        (Op::Stddev(x, _), NodeState::Stddev(s)) => [s.update(get(*x)), n, n, n, n],
        (Op::Highest(x, _), NodeState::Highest(s)) => [s.update(get(*x)), n, n, n, n],
        (Op::Lowest(x, _), NodeState::Lowest(s)) => [s.update(get(*x)), n, n, n, n],
        (Op::Obv, NodeState::Obv(s)) => [s.update(bar.close, bar.volume), n, n, n, n],
        (Op::Vwap(_), NodeState::Vwap(s)) => [
            s.update(bar.high, bar.low, bar.close, bar.volume),
            n,
            n,
            n,
            n,
        ],
        (Op::Math(m, a, b), _) => [math(*m, get(*a), get(*b)), n, n, n, n],
        (Op::Abs(x), _) => [get(*x).abs(), n, n, n, n],
        (Op::Cmp(c, a, b), _) => [compare(*c, get(*a), get(*b)), n, n, n, n],
        (Op::CrossAbove(a, b), NodeState::Cross(last)) => {
            [cross_step(get(*a), get(*b), last, 1.0), n, n, n, n]
        }
        (Op::CrossBelow(a, b), NodeState::Cross(last)) => {
            [cross_step(get(*a), get(*b), last, -1.0), n, n, n, n]
        }
        (Op::Rising(x, _), NodeState::Rising(s, prev)) => {
            let x = get(*x);
            let out = beyond(true, x, prev.unwrap_or(f64::NAN));
            *prev = Some(s.update(x)).filter(|e| !e.is_nan());
            [out, n, n, n, n]
        }
        (Op::Falling(x, _), NodeState::Falling(s, prev)) => {
            let x = get(*x);
            let out = beyond(false, x, prev.unwrap_or(f64::NAN));
            *prev = Some(s.update(x)).filter(|e| !e.is_nan());
            [out, n, n, n, n]
        }
        (Op::BarsSince(x), NodeState::BarsSince(since)) => {
            *since = if get(*x) == 1.0 {
                Some(0)
            } else {
                since.map(|k| k + 1)
            };
            [since.map_or(f64::NAN, |k| k as f64), n, n, n, n]
        }
        (Op::And(a, b), _) => [logic(true, get(*a), get(*b)), n, n, n, n],
        (Op::Or(a, b), _) => [logic(false, get(*a), get(*b)), n, n, n, n],
        (Op::Not(x), _) => [not(get(*x)), n, n, n, n],
        (Op::Kernel(_, xs), NodeState::Kernel(s)) => {
            let mut x = [f64::NAN; 2];
            for (v, &slot) in x.iter_mut().zip(xs) {
                *v = get(slot);
            }
            s.update(&x[..xs.len().min(2)], bar)
        }
        (Op::Position(f), _) => f.value(book, t, bar.close),
        // A state of the wrong kind cannot come from `new` or `resume`.
        _ => [f64::NAN; 5],
    }
}

fn column(bar: &Bar, c: Column) -> f64 {
    match c {
        Column::Time => f64::NAN,
        Column::Open => bar.open,
        Column::High => bar.high,
        Column::Low => bar.low,
        Column::Close => bar.close,
        Column::Volume => bar.volume,
    }
}
