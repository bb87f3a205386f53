//! Streaming execution: the same compiled plan fed one bar at a time (the paper-trading
//! path), with a state that serialises between bars. Over the same bars it gives the same
//! signals, trades and equity as the batch backtest, bit for bit: every node and the account
//! use the same arithmetic in both paths.

use serde::{Deserialize, Serialize};

use crate::backtest::{
    BarPrices, Book, Side, Trade, ENTER_LONG, ENTER_SHORT, EXIT_LONG, EXIT_SHORT,
};
use crate::bars::{check_bar, Column};
use crate::compile::{Op, Plan};
use crate::eval::{beyond, compare, cross_step, logic, math, not};
use crate::indicators::{
    AtrState, BollingerState, EmaState, HighestState, LowestState, MacdState, ObvState, RocState,
    RsiState, SmaState, StdDevState, StochState, VwapState, WmaState,
};

/// One bar fed to a stream.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// Time, ms UTC; strictly after the previous bar's.
    pub time: i64,
    /// Opening price.
    pub open: f64,
    /// Highest price.
    pub high: f64,
    /// Lowest price.
    pub low: f64,
    /// Closing price.
    pub close: f64,
    /// Volume.
    pub volume: f64,
}

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
enum NodeState {
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
}

fn initial_state(op: &Op) -> NodeState {
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
        self.evaluate(bar);
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
        let b = BarPrices {
            time: bar.time,
            open: bar.open,
            high: bar.high,
            low: bar.low,
            close: bar.close,
        };
        let book = &mut self.state.book;
        let mut closed: Vec<Trade> = book.on_open(t, &b).into_iter().collect();
        closed.extend(book.on_range(t, &b));
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

    fn evaluate(&mut self, bar: &Bar) {
        let v = &mut self.values;
        let get = |v: &[f64], slot: usize| v.get(slot).copied().unwrap_or(f64::NAN);
        for (step, node) in self.plan.steps.iter().zip(self.state.nodes.iter_mut()) {
            let out: [f64; 3] = match (&step.op, node) {
                (Op::Column(c), _) => [column(bar, *c), 0.0, 0.0],
                (Op::Const(c), _) => [*c, 0.0, 0.0],
                (Op::Sma(x, _), NodeState::Sma(s)) => [s.update(get(v, *x)), 0.0, 0.0],
                (Op::Ema(x, _), NodeState::Ema(s)) => [s.update(get(v, *x)), 0.0, 0.0],
                (Op::Wma(x, _), NodeState::Wma(s)) => [s.update(get(v, *x)), 0.0, 0.0],
                (Op::Rsi(x, _), NodeState::Rsi(s)) => [s.update(get(v, *x)), 0.0, 0.0],
                (Op::Macd(x, ..), NodeState::Macd(s)) => {
                    let m = s.update(get(v, *x));
                    [m.line, m.signal, m.hist]
                }
                (Op::Bollinger(x, ..), NodeState::Bollinger(s)) => {
                    let b = s.update(get(v, *x));
                    [b.upper, b.middle, b.lower]
                }
                (Op::Atr(_), NodeState::Atr(s)) => {
                    [s.update(bar.high, bar.low, bar.close), 0.0, 0.0]
                }
                (Op::Stochastic(..), NodeState::Stochastic(s)) => {
                    let st = s.update(bar.high, bar.low, bar.close);
                    [st.k, st.d, 0.0]
                }
                (Op::Roc(x, _), NodeState::Roc(s)) => [s.update(get(v, *x)), 0.0, 0.0],
                (Op::Stddev(x, _), NodeState::Stddev(s)) => [s.update(get(v, *x)), 0.0, 0.0],
                (Op::Highest(x, _), NodeState::Highest(s)) => [s.update(get(v, *x)), 0.0, 0.0],
                (Op::Lowest(x, _), NodeState::Lowest(s)) => [s.update(get(v, *x)), 0.0, 0.0],
                (Op::Obv, NodeState::Obv(s)) => [s.update(bar.close, bar.volume), 0.0, 0.0],
                (Op::Vwap(_), NodeState::Vwap(s)) => {
                    [s.update(bar.high, bar.low, bar.close, bar.volume), 0.0, 0.0]
                }
                (Op::Math(m, a, b), _) => [math(*m, get(v, *a), get(v, *b)), 0.0, 0.0],
                (Op::Abs(x), _) => [get(v, *x).abs(), 0.0, 0.0],
                (Op::Cmp(c, a, b), _) => [compare(*c, get(v, *a), get(v, *b)), 0.0, 0.0],
                (Op::CrossAbove(a, b), NodeState::Cross(last)) => {
                    [cross_step(get(v, *a), get(v, *b), last, 1.0), 0.0, 0.0]
                }
                (Op::CrossBelow(a, b), NodeState::Cross(last)) => {
                    [cross_step(get(v, *a), get(v, *b), last, -1.0), 0.0, 0.0]
                }
                (Op::Rising(x, _), NodeState::Rising(s, prev)) => {
                    let x = get(v, *x);
                    let out = beyond(true, x, prev.unwrap_or(f64::NAN));
                    *prev = Some(s.update(x)).filter(|e| !e.is_nan());
                    [out, 0.0, 0.0]
                }
                (Op::Falling(x, _), NodeState::Falling(s, prev)) => {
                    let x = get(v, *x);
                    let out = beyond(false, x, prev.unwrap_or(f64::NAN));
                    *prev = Some(s.update(x)).filter(|e| !e.is_nan());
                    [out, 0.0, 0.0]
                }
                (Op::BarsSince(x), NodeState::BarsSince(since)) => {
                    *since = if get(v, *x) == 1.0 {
                        Some(0)
                    } else {
                        since.map(|k| k + 1)
                    };
                    [since.map_or(f64::NAN, |k| k as f64), 0.0, 0.0]
                }
                (Op::And(a, b), _) => [logic(true, get(v, *a), get(v, *b)), 0.0, 0.0],
                (Op::Or(a, b), _) => [logic(false, get(v, *a), get(v, *b)), 0.0, 0.0],
                (Op::Not(x), _) => [not(get(v, *x)), 0.0, 0.0],
                // A state of the wrong kind cannot come from `new` or `resume`.
                _ => [f64::NAN; 3],
            };
            for (slot, value) in step.outputs.iter().zip(out) {
                if let Some(s) = v.get_mut(*slot) {
                    *s = value;
                }
            }
        }
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
