//! Evaluates a plan's steps over bars: every slot's series, in topological order.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::bars::Bars;
use crate::compile::{CmpOp, MathOp, Op, Plan, Slot};
use crate::indicators as ind;

/// The run was cancelled through its cancel flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

/// A computed slot.
#[derive(Debug, Clone)]
pub enum SlotValue<'a> {
    /// Not computed (never read by a valid plan).
    Empty,
    /// A bar column, borrowed from the bars.
    Column(&'a [f64]),
    /// A computed series, one value per bar.
    Series(Vec<f64>),
    /// One number for every bar.
    Scalar(f64),
    /// A computed series shared between runs (a sweep's node cache).
    Shared(std::sync::Arc<Vec<f64>>),
}

/// Every slot of a plan evaluated over some bars.
#[derive(Debug, Clone)]
pub struct Evaluation<'a> {
    pub(crate) slots: Vec<SlotValue<'a>>,
    pub(crate) len: usize,
}

/// An operand: a series or one number for every bar.
#[derive(Clone, Copy)]
pub(crate) enum In<'b> {
    S(&'b [f64]),
    C(f64),
}

impl In<'_> {
    /// The value at bar `i`, NaN past the end of a series.
    #[inline(always)]
    pub(crate) fn at(self, i: usize) -> f64 {
        match self {
            In::S(s) => s.get(i).copied().unwrap_or(f64::NAN),
            In::C(c) => c,
        }
    }
}

impl<'a> Evaluation<'a> {
    /// Number of bars.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when evaluated over no bars.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The series in `slot`, a scalar repeated on every bar. `None` for an unknown slot.
    pub fn series(&self, slot: Slot) -> Option<Cow<'_, [f64]>> {
        match self.slots.get(slot)? {
            SlotValue::Empty => None,
            SlotValue::Column(c) => Some(Cow::Borrowed(c)),
            SlotValue::Series(s) => Some(Cow::Borrowed(s)),
            SlotValue::Shared(s) => Some(Cow::Borrowed(s.as_slice())),
            SlotValue::Scalar(c) => Some(Cow::Owned(vec![*c; self.len])),
        }
    }

    /// The value of `slot` at bar `i`, NaN when missing or out of range.
    #[inline]
    pub fn at(&self, slot: Slot, i: usize) -> f64 {
        match self.slots.get(slot) {
            Some(SlotValue::Column(c)) => c.get(i).copied().unwrap_or(f64::NAN),
            Some(SlotValue::Series(s)) => s.get(i).copied().unwrap_or(f64::NAN),
            Some(SlotValue::Shared(s)) => s.get(i).copied().unwrap_or(f64::NAN),
            Some(SlotValue::Scalar(c)) => *c,
            _ => f64::NAN,
        }
    }

    pub(crate) fn input(&self, slot: Slot) -> In<'_> {
        match self.slots.get(slot) {
            Some(SlotValue::Column(c)) => In::S(c),
            Some(SlotValue::Series(s)) => In::S(s),
            Some(SlotValue::Shared(s)) => In::S(s),
            Some(SlotValue::Scalar(c)) => In::C(*c),
            _ => In::C(f64::NAN),
        }
    }

    fn slice(&self, slot: Slot) -> Cow<'_, [f64]> {
        self.series(slot)
            .unwrap_or_else(|| Cow::Owned(vec![f64::NAN; self.len]))
    }
}

/// Evaluates every step of `plan` over `bars`, checking `cancel` between steps and reporting
/// the fraction of steps done.
///
/// # Errors
/// [`Cancelled`] when `cancel` is set.
pub fn evaluate<'a>(
    plan: &Plan,
    bars: &'a Bars,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64),
) -> Result<Evaluation<'a>, Cancelled> {
    evaluate_keeping(plan, bars, cancel, progress, None)
}

/// Like [`evaluate`], but keeps only what a backtest reads afterwards: the order signals and
/// the inputs of the steps that run bar by bar with the account or are `deferred` (left out,
/// to be computed later; `deferred` may be shorter than the steps). Every other series is
/// freed after its last reader, so a long chain of nodes holds a few series at a time, not
/// one per node.
///
/// # Errors
/// [`Cancelled`] when `cancel` is set.
pub(crate) fn evaluate_for_orders<'a>(
    plan: &Plan,
    bars: &'a Bars,
    deferred: &[bool],
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64),
) -> Result<Evaluation<'a>, Cancelled> {
    let dependent = crate::kernels::position::dependent_steps(plan);
    let is = |flags: &[bool], k: usize| flags.get(k).copied().unwrap_or(false);
    let mut keep = vec![false; plan.slots];
    let mut mark = |s: Slot| {
        if let Some(k) = keep.get_mut(s) {
            *k = true;
        }
    };
    for e in plan.enter_long.iter().chain(&plan.enter_short) {
        mark(e.when);
    }
    for &s in plan.exit_long.iter().chain(&plan.exit_short) {
        mark(s);
    }
    for (k, step) in plan.steps.iter().enumerate() {
        if is(&dependent, k) || is(deferred, k) {
            step.op.inputs().into_iter().for_each(&mut mark);
            step.outputs.iter().copied().for_each(&mut mark);
        }
    }
    // The last step that reads each slot; a slot nobody reads is freed right after it is made.
    let mut last_read: Vec<Option<usize>> = vec![None; plan.slots];
    for (k, step) in plan.steps.iter().enumerate() {
        for s in step.op.inputs() {
            if let Some(l) = last_read.get_mut(s) {
                *l = Some(k);
            }
        }
    }
    let mut free_after: Vec<Vec<Slot>> = vec![Vec::new(); plan.steps.len()];
    for (k, step) in plan.steps.iter().enumerate() {
        for &s in &step.outputs {
            if keep.get(s).copied().unwrap_or(true) {
                continue;
            }
            let at = last_read.get(s).copied().flatten().unwrap_or(k).max(k);
            if let Some(list) = free_after.get_mut(at) {
                list.push(s);
            }
        }
    }
    let keeping = Keeping {
        free_after: &free_after,
        deferred,
    };
    evaluate_keeping(plan, bars, cancel, progress, Some(keeping))
}

/// What [`evaluate_for_orders`] leaves out: the series freed after each step, and the
/// deferred steps.
#[derive(Clone, Copy)]
struct Keeping<'k> {
    free_after: &'k [Vec<Slot>],
    deferred: &'k [bool],
}

fn evaluate_keeping<'a>(
    plan: &Plan,
    bars: &'a Bars,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64),
    keeping: Option<Keeping<'_>>,
) -> Result<Evaluation<'a>, Cancelled> {
    let n = bars.len();
    let mut ev = Evaluation {
        slots: vec![SlotValue::Empty; plan.slots],
        len: n,
    };
    let total = plan.steps.len().max(1) as f64;
    // Steps that read the position run bar by bar with the account (`feedback`).
    let dependent = crate::kernels::position::dependent_steps(plan);
    for (k, step) in plan.steps.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return Err(Cancelled);
        }
        let deferred = keeping.is_some_and(|w| w.deferred.get(k).copied().unwrap_or(false));
        if dependent.get(k).copied().unwrap_or(false) || deferred {
            continue;
        }
        let values = run_op(&ev, &step.op, bars);
        for (slot, v) in step.outputs.iter().zip(values) {
            if let Some(s) = ev.slots.get_mut(*slot) {
                *s = v;
            }
        }
        let free = keeping.and_then(|w| w.free_after.get(k));
        for &slot in free.into_iter().flatten() {
            if let Some(s) = ev.slots.get_mut(slot) {
                if let SlotValue::Series(v) = std::mem::replace(s, SlotValue::Empty) {
                    recycle(v);
                }
            }
        }
        progress((k + 1) as f64 / total);
    }
    Ok(ev)
}

fn series(v: Vec<f64>) -> Vec<SlotValue<'static>> {
    vec![SlotValue::Series(v)]
}

/// Series buffers a thread may keep for reuse (a sweep hands back each combination's).
const SPARE_BUFFERS: usize = 8;

thread_local! {
    /// Buffers handed back with [`recycle`] while a [`SpareBuffers`] lives on this thread. A
    /// fresh large buffer costs the kernel's zeroing of every page, more than the arithmetic
    /// that fills it.
    static SPARE: RefCell<Option<Vec<Vec<f64>>>> = const { RefCell::new(None) };
}

/// While alive, series buffers this thread frees are kept for its next series; dropped, the
/// thread keeps none (an idle thread holds no memory for reuse).
pub(crate) struct SpareBuffers(());

impl SpareBuffers {
    /// Starts keeping this thread's freed buffers.
    pub(crate) fn keep() -> Self {
        SPARE.with(|s| *s.borrow_mut() = Some(Vec::new()));
        SpareBuffers(())
    }
}

impl Drop for SpareBuffers {
    fn drop(&mut self) {
        SPARE.with(|s| *s.borrow_mut() = None);
    }
}

/// Hands a series buffer back for this thread's next computed series (freed when no
/// [`SpareBuffers`] lives).
pub(crate) fn recycle(mut v: Vec<f64>) {
    v.clear();
    SPARE.with(|s| {
        if let Some(pool) = s.borrow_mut().as_mut() {
            if pool.len() < SPARE_BUFFERS {
                pool.push(v);
            }
        }
    });
}

/// An empty buffer for `n` values: a recycled one when this thread has one large enough.
pub(crate) fn buffer(n: usize) -> Vec<f64> {
    SPARE
        .with(|s| {
            let mut s = s.borrow_mut();
            let pool = s.as_mut()?;
            let k = pool.iter().position(|b| b.capacity() >= n)?;
            Some(pool.swap_remove(k))
        })
        .unwrap_or_else(|| Vec::with_capacity(n))
}

/// `it` collected into a [`buffer`].
#[inline]
fn collected(n: usize, it: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v = buffer(n);
    v.extend(it);
    v
}

#[inline(always)]
fn bool_val(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

pub(crate) fn run_op<'a>(ev: &Evaluation<'a>, op: &Op, bars: &'a Bars) -> Vec<SlotValue<'a>> {
    let n = ev.len;
    match *op {
        Op::Column(c) => vec![bars.column(c).map_or(SlotValue::Empty, SlotValue::Column)],
        Op::Const(c) => vec![SlotValue::Scalar(c)],
        Op::Sma(x, p) => series(ind::sma(&ev.slice(x), p)),
        Op::Ema(x, p) => series(ind::ema(&ev.slice(x), p)),
        Op::Wma(x, p) => series(ind::wma(&ev.slice(x), p)),
        Op::Rsi(x, p) => series(ind::rsi(&ev.slice(x), p)),
        Op::Macd(x, f, s, g) => {
            let m = ind::macd(&ev.slice(x), f, s, g);
            vec![
                SlotValue::Series(m.line),
                SlotValue::Series(m.signal),
                SlotValue::Series(m.hist),
            ]
        }
        Op::Bollinger(x, p, k) => {
            let b = ind::bollinger(&ev.slice(x), p, k);
            vec![
                SlotValue::Series(b.upper),
                SlotValue::Series(b.middle),
                SlotValue::Series(b.lower),
            ]
        }
        Op::Atr(p) => series(ind::atr(bars.high(), bars.low(), bars.close(), p)),
        Op::Stochastic(k, s, d) => {
            let st = ind::stochastic(bars.high(), bars.low(), bars.close(), k, s, d);
            vec![SlotValue::Series(st.k), SlotValue::Series(st.d)]
        }
        Op::Roc(x, p) => series(ind::roc(&ev.slice(x), p)),
        Op::Stddev(x, p) => series(ind::stddev(&ev.slice(x), p)),
        Op::Highest(x, p) => series(ind::highest(&ev.slice(x), p)),
        Op::Lowest(x, p) => series(ind::lowest(&ev.slice(x), p)),
        Op::Obv => series(ind::obv(bars.close(), bars.volume())),
        Op::Vwap(p) => series(ind::vwap(
            bars.high(),
            bars.low(),
            bars.close(),
            bars.volume(),
            p,
        )),
        Op::Math(m, a, b) => {
            let f = |x: f64, y: f64| math(m, x, y);
            match (ev.input(a), ev.input(b)) {
                (In::C(x), In::C(y)) => vec![SlotValue::Scalar(f(x, y))],
                (In::S(x), In::S(y)) => {
                    series(collected(n, x.iter().zip(y).map(|(&x, &y)| f(x, y))))
                }
                (In::S(x), In::C(y)) => series(collected(n, x.iter().map(|&x| f(x, y)))),
                (In::C(x), In::S(y)) => series(collected(n, y.iter().map(|&y| f(x, y)))),
            }
        }
        Op::Abs(x) => match ev.input(x) {
            In::C(c) => vec![SlotValue::Scalar(c.abs())],
            In::S(s) => series(collected(n, s.iter().map(|v| v.abs()))),
        },
        Op::Cmp(c, a, b) => {
            let (a, b) = (ev.input(a), ev.input(b));
            series(collected(n, (0..n).map(|i| compare(c, a.at(i), b.at(i)))))
        }
        Op::CrossAbove(a, b) => series(cross(ev.input(a), ev.input(b), n, 1.0)),
        Op::CrossBelow(a, b) => series(cross(ev.input(a), ev.input(b), n, -1.0)),
        Op::Rising(x, p) | Op::Falling(x, p) => {
            let rising = matches!(op, Op::Rising(..));
            let s = ev.slice(x);
            let edge = if rising {
                ind::highest(&s, p)
            } else {
                ind::lowest(&s, p)
            };
            let mut out = vec![f64::NAN; n];
            for i in 1..n {
                out[i] = beyond(rising, s[i], edge[i - 1]);
            }
            series(out)
        }
        Op::BarsSince(x) => {
            let s = ev.input(x);
            let mut last: Option<usize> = None;
            series(
                (0..n)
                    .map(|i| {
                        if s.at(i) == 1.0 {
                            last = Some(i);
                        }
                        last.map_or(f64::NAN, |l| (i - l) as f64)
                    })
                    .collect(),
            )
        }
        Op::And(a, b) | Op::Or(a, b) => {
            let and = matches!(op, Op::And(..));
            let (a, b) = (ev.input(a), ev.input(b));
            series(collected(n, (0..n).map(|i| logic(and, a.at(i), b.at(i)))))
        }
        Op::Not(x) => {
            let s = ev.input(x);
            series(collected(n, (0..n).map(|i| not(s.at(i)))))
        }
        Op::Kernel(ref k, ref xs) => {
            let ins: Vec<In<'_>> = xs.iter().map(|&x| ev.input(x)).collect();
            crate::kernels::run(k, &ins, bars)
                .into_iter()
                .map(SlotValue::Series)
                .collect()
        }
        // Evaluated bar by bar with the account.
        Op::Position(_) => vec![SlotValue::Empty],
    }
}

/// Arithmetic of math nodes: divide by zero is missing, and a missing operand of min/max
/// gives a missing result.
#[inline(always)]
pub(crate) fn math(op: MathOp, a: f64, b: f64) -> f64 {
    match op {
        MathOp::Add => a + b,
        MathOp::Sub => a - b,
        MathOp::Mul => a * b,
        MathOp::Div => {
            if b == 0.0 {
                f64::NAN
            } else {
                a / b
            }
        }
        MathOp::Min | MathOp::Max if a.is_nan() || b.is_nan() => f64::NAN,
        MathOp::Min => a.min(b),
        MathOp::Max => a.max(b),
    }
}

/// A comparison as a boolean series value: 1, 0, or missing when either side is missing.
#[inline(always)]
pub(crate) fn compare(op: CmpOp, a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    bool_val(match op {
        CmpOp::Gt => a > b,
        CmpOp::Lt => a < b,
        CmpOp::Ge => a >= b,
        CmpOp::Le => a <= b,
    })
}

/// `and` / `or` of two boolean values; missing when either is missing.
#[inline(always)]
pub(crate) fn logic(and: bool, a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if and {
        bool_val(a == 1.0 && b == 1.0)
    } else {
        bool_val(a == 1.0 || b == 1.0)
    }
}

/// Negation; missing stays missing.
#[inline(always)]
pub(crate) fn not(a: f64) -> f64 {
    if a.is_nan() {
        f64::NAN
    } else {
        bool_val(a != 1.0)
    }
}

/// Rising (`v` above the previous window's highest) or falling (below its lowest).
#[inline(always)]
pub(crate) fn beyond(rising: bool, v: f64, edge: f64) -> f64 {
    if v.is_nan() || edge.is_nan() {
        f64::NAN
    } else {
        bool_val(if rising { v > edge } else { v < edge })
    }
}

/// Relative distance under which two values count as equal for crosses: far below any real
/// difference of prices (1e-10 at a price of 100) and far above the rounding of running sums,
/// so a mathematically exact tie is a tie whatever order the sums were added in.
pub const CROSS_TIE_TOLERANCE: f64 = 1e-12;

/// One step of a cross at a bar with values `a` and `b`; `last` is the sign of the last valid
/// non-tied difference (0 when unknown). Returns the output and updates `last`.
#[inline(always)]
pub(crate) fn cross_step(a: f64, b: f64, last: &mut f64, dir: f64) -> f64 {
    let d = a - b;
    if d.is_nan() {
        *last = 0.0;
        return f64::NAN;
    }
    let tie = CROSS_TIE_TOLERANCE * a.abs().max(b.abs());
    let sign = if d > tie {
        1.0
    } else if d < -tie {
        -1.0
    } else {
        0.0
    };
    let out = bool_val(sign == dir && *last == -dir);
    if sign != 0.0 {
        *last = sign;
    }
    out
}

/// A bar's side in [`cross_sides`] where either value is missing.
const SIDE_MISSING: i8 = 2;

/// The side of `x` against `y` at each bar, as [`cross_step`] decides it: 1 above, -1 below,
/// 0 touching, [`SIDE_MISSING`] where either is missing. One pass the compiler vectorises.
pub(crate) fn cross_sides(x: &[f64], y: &[f64], side: &mut [i8]) {
    for ((s, &a), &b) in side.iter_mut().zip(x).zip(y) {
        let diff = a - b;
        // Where `diff` is a number, so are `a` and `b`: a plain max is `f64::max`.
        let (aa, ab) = (a.abs(), b.abs());
        let tie = CROSS_TIE_TOLERANCE * if aa > ab { aa } else { ab };
        let sign = i8::from(diff > tie) - i8::from(diff < -tie);
        *s = if diff.is_nan() { SIDE_MISSING } else { sign };
    }
}

/// The crosses in direction `dir` of bars with sides `side` ([`cross_sides`]) into `out`,
/// `last` carried in and out: the values of [`cross_step`].
pub(crate) fn cross_scan(side: &[i8], last: &mut f64, dir: f64, out: &mut [f64]) {
    let mut prev = *last as i8;
    let d = dir as i8;
    for (o, &s) in out.iter_mut().zip(side) {
        *o = if s == SIDE_MISSING {
            f64::NAN
        } else {
            bool_val(s == d && prev == -d)
        };
        prev = side_after(prev, s);
    }
    *last = f64::from(prev);
}

/// The last known side after a bar of side `s`: a missing value forgets it, a touch keeps it.
#[inline(always)]
fn side_after(prev: i8, s: i8) -> i8 {
    match s {
        SIDE_MISSING => 0,
        0 => prev,
        s => s,
    }
}

/// The crosses in direction `dir` of bars with sides `side` ([`cross_sides`]) as `bit` set in
/// `flags` (where [`cross_scan`] writes 1), `last` carried in and out as there. A cross needs
/// a change of side, so eight equal sides that cannot start one are passed at once.
pub(crate) fn cross_flags(side: &[i8], last: &mut f64, dir: f64, bit: u8, flags: &mut [u8]) {
    let mut prev = *last as i8;
    let d = dir as i8;
    let step = |s: i8, f: &mut u8, prev: &mut i8| {
        if s == d && *prev == -d {
            *f |= bit;
        }
        *prev = side_after(*prev, s);
    };
    let mut eights = side.chunks_exact(8);
    let mut flag_eights = flags.chunks_exact_mut(8);
    for (s8, f8) in (&mut eights).zip(&mut flag_eights) {
        let word = u64::from_le_bytes(std::array::from_fn(|j| s8[j] as u8));
        let b = s8[0];
        if word == u64::from(b as u8) * 0x0101_0101_0101_0101
            && (b == prev || b == 0 || b == SIDE_MISSING)
        {
            // Eight bars the same: no cross, and `prev` as after the first.
            if b == SIDE_MISSING {
                prev = 0;
            }
            continue;
        }
        for (&s, f) in s8.iter().zip(f8) {
            step(s, f, &mut prev);
        }
    }
    for (&s, f) in eights.remainder().iter().zip(flag_eights.into_remainder()) {
        step(s, f, &mut prev);
    }
    *last = f64::from(prev);
}

/// [`cross_step`] over `x` and `y` into `out` (all of one length), `last` carried in and out,
/// in blocks: [`cross_sides`], then [`cross_scan`].
fn cross_into(x: &[f64], y: &[f64], last: &mut f64, dir: f64, out: &mut [f64]) {
    const BLOCK: usize = 1024;
    let mut side = [0i8; BLOCK];
    for ((x, y), out) in x
        .chunks(BLOCK)
        .zip(y.chunks(BLOCK))
        .zip(out.chunks_mut(BLOCK))
    {
        let side = &mut side[..x.len().min(y.len()).min(out.len())];
        cross_sides(x, y, side);
        cross_scan(side, last, dir, out);
    }
}

/// Crosses as `docs/backtest-semantics.md` defines them: `a` crosses above `b` at `t` when `a[t] > b[t]` and the last bar
/// before `t` where they differed had `a < b`, with no missing value since then. A touch
/// followed by a break is one cross; a touch followed by a retreat is none. Values within
/// [`CROSS_TIE_TOLERANCE`] of each other touch. `dir` is 1 for above, -1 for below. Missing
/// where either operand is missing.
fn cross(a: In<'_>, b: In<'_>, n: usize, dir: f64) -> Vec<f64> {
    let mut last = 0.0;
    let mut step = |(a, b): (f64, f64)| cross_step(a, b, &mut last, dir);
    let mut out = match (a, b) {
        (In::S(x), In::S(y)) => {
            let m = x.len().min(y.len()).min(n);
            let mut out = buffer(n);
            out.resize(m, 0.0);
            cross_into(&x[..m], &y[..m], &mut last, dir, &mut out);
            out
        }
        (In::S(x), In::C(c)) => {
            let m = x.len().min(n);
            collected(n, x[..m].iter().map(|&a| step((a, c))))
        }
        (In::C(c), In::S(y)) => {
            let m = y.len().min(n);
            collected(n, y[..m].iter().map(|&b| step((c, b))))
        }
        (In::C(c), In::C(d)) => collected(n, (0..n).map(|_| step((c, d)))),
    };
    // Past the end of a series the operand is missing.
    out.resize(n, f64::NAN);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_flags_set_a_bit_where_the_cross_scan_writes_one() {
        for seed in 0..300u64 {
            let mut rng = crate::synth::SplitMix64::new(seed);
            // Runs of one side (long ones, as between real crosses) and single bars.
            let mut side = Vec::new();
            while side.len() < 700 {
                let s = [1, -1, 0, SIDE_MISSING][(rng.next_u64() % 4) as usize];
                let run = if rng.next_u64() % 2 == 0 {
                    1
                } else {
                    1 + rng.next_u64() % 40
                };
                side.extend(std::iter::repeat_n(s, run as usize));
            }
            for dir in [1.0, -1.0] {
                let start = [1.0, -1.0, 0.0][(rng.next_u64() % 3) as usize];
                let (mut last_scan, mut last_flags) = (start, start);
                let mut out = vec![0.0; side.len()];
                let mut flags: Vec<u8> = (0..side.len()).map(|i| (i % 3 == 0) as u8 * 4).collect();
                let before = flags.clone();
                let mut at = 0;
                while at < side.len() {
                    let k = (1 + (rng.next_u64() % 50) as usize).min(side.len() - at);
                    let part = at..at + k;
                    cross_scan(
                        &side[part.clone()],
                        &mut last_scan,
                        dir,
                        &mut out[part.clone()],
                    );
                    cross_flags(
                        &side[part.clone()],
                        &mut last_flags,
                        dir,
                        16,
                        &mut flags[part],
                    );
                    assert_eq!(last_scan, last_flags, "seed {seed} at {at}");
                    at += k;
                }
                for (i, (&f, &o)) in flags.iter().zip(&out).enumerate() {
                    let want = before[i] | if o == 1.0 { 16 } else { 0 };
                    assert_eq!(f, want, "seed {seed} dir {dir} bar {i}");
                }
            }
        }
    }

    fn cross_of(a: &[f64], b: &[f64], dir: f64) -> Vec<f64> {
        cross(In::S(a), In::S(b), a.len(), dir)
    }

    fn bits(v: &[f64]) -> Vec<String> {
        v.iter()
            .map(|x| {
                if x.is_nan() {
                    "-".into()
                } else {
                    format!("{x}")
                }
            })
            .collect()
    }

    #[test]
    fn rounding_noise_is_a_touch_not_a_cross() {
        // 0.1 + 0.2 != 0.3 in floating point: an exact tie computed two ways is still a tie,
        // so touching from below and breaking up is one cross, on the break.
        let a = [0.2, 0.1 + 0.2, 0.31];
        let b = [0.3, 0.3, 0.3];
        assert_eq!(bits(&cross_of(&a, &b, 1.0)), ["0", "0", "1"]);
        let below = [0.2, 0.30000000000000004 - 1e-16, 0.31];
        assert_eq!(bits(&cross_of(&below, &b, 1.0)), ["0", "0", "1"]);
        // A real difference a thousand times the tolerance still counts.
        assert_eq!(
            bits(&cross_of(&[0.2, 0.3 + 3e-10, 0.2], &b, 1.0)),
            ["0", "1", "0"]
        );
    }

    #[test]
    fn cross_rules_with_ties_and_missing_values() {
        let b = [5.0; 6];
        // Plain cross at bar 2.
        assert_eq!(
            bits(&cross_of(&[4.0, 4.5, 6.0, 7.0, 4.0, 6.0], &b, 1.0)),
            ["0", "0", "1", "0", "0", "1"]
        );
        // Touch then break: one cross, on the break.
        assert_eq!(
            bits(&cross_of(&[4.0, 5.0, 6.0, 6.0, 6.0, 6.0], &b, 1.0)),
            ["0", "0", "1", "0", "0", "0"]
        );
        // Touch then retreat: no cross either way.
        let touch = [4.0, 5.0, 4.0, 4.0, 4.0, 4.0];
        assert_eq!(bits(&cross_of(&touch, &b, 1.0)), ["0"; 6]);
        assert_eq!(bits(&cross_of(&touch, &b, -1.0)), ["0"; 6]);
        // Starting equal is not a cross; a missing value resets history.
        assert_eq!(
            bits(&cross_of(&[5.0, 6.0, f64::NAN, 4.0, 6.0, 6.0], &b, 1.0)),
            ["0", "0", "-", "0", "1", "0"]
        );
        assert_eq!(
            bits(&cross_of(&[6.0, f64::NAN, 4.0, 6.0, 4.0, 4.0], &b, -1.0)),
            ["0", "-", "0", "0", "1", "0"]
        );
    }
}
