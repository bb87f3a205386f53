//! The elementwise nodes that only make order signals, computed a chunk of bars at a time:
//! a sweep combination's own nodes, and those of a single backtest.
//!
//! In a sweep the indicators are shared between combinations (the node cache); what is left
//! to each combination is usually elementwise: crosses, comparisons, arithmetic and logic over
//! the shared series (in a backtest, over its indicators). Computed over the whole series,
//! each of them writes a column as long as the data and the order sinks read it back, all
//! from main memory. Here they are computed
//! for [`CHUNK`] bars at a time into buffers that stay in the core's cache, and turned into
//! order signals right away; only the signals (one byte per bar) are kept whole. A cross that
//! only feeds orders sets their signal bits straight from the sides of its two series. Every
//! value is computed with the same functions, in the same order, as the whole-series path, so
//! the signals are the same bits. A single backtest also leaves its simple moving averages
//! here when only such steps read them ([`SmaRun`] carries each from chunk to chunk), so
//! they too never make whole columns; a sweep shares them between combinations instead.

use crate::backtest::{signal_flags, Side, ENTER_LONG, ENTER_SHORT, EXIT_LONG, EXIT_SHORT};
use crate::bars::Bars;
use crate::compile::{Op, Plan, Size, Slot};
use crate::eval::{
    compare, cross_flags, cross_scan, cross_sides, cross_step, logic, math, not, run_op,
    Evaluation, In,
};
use crate::indicators::SmaRun;

/// Bars computed at once: a few columns of them fit in a core's level-1 cache.
const CHUNK: usize = 2048;

/// Where a step reads an operand from.
#[derive(Clone, Copy)]
enum Src<'a> {
    /// A series as long as the data (a column, or a shared node's output).
    Full(&'a [f64]),
    /// One number for every bar.
    Scalar(f64),
    /// The chunk buffer of an earlier step of this combination.
    Chunk(usize),
}

/// A step computed chunk by chunk: its operation, its operands, and the state it carries from
/// one chunk to the next (a cross's last side).
struct ChunkStep<'a> {
    op: Op,
    ins: [Src<'a>; 2],
    last: f64,
    /// For a cross, its operands' pair in the chunk's sides (a cross above and a cross below
    /// of the same two series share them).
    pair: Option<usize>,
    /// For a cross read only by order sinks, their signal bits: it sets them in the flags
    /// straight from the sides, without a column of its own (0 otherwise).
    direct: u8,
    /// For a moving average, its run so far over its whole input.
    sma: Option<(SmaRun, &'a [f64])>,
}

/// The order signals of `plan` over `ev.len()` bars, written to `flags` (its memory reused),
/// when every step left out of `ev` (`deferred[k]` true: computed here, not before) is
/// elementwise or a simple moving average of a whole series, and each side has at most one
/// entry; `None` otherwise, and the caller takes the whole-series path.
pub(crate) fn signals(
    plan: &Plan,
    ev: &Evaluation<'_>,
    deferred: &[bool],
    flags: &mut Vec<u8>,
) -> Option<()> {
    if plan.enter_long.len() > 1 || plan.enter_short.len() > 1 {
        return None;
    }
    let n = ev.len();
    // Chunk buffer of each slot computed here.
    let mut chunk_of: Vec<Option<usize>> = vec![None; plan.slots];
    let mut steps: Vec<ChunkStep<'_>> = Vec::new();
    let mut pairs: Vec<(Slot, Slot)> = Vec::new();
    let src = |slot: Slot, chunk_of: &[Option<usize>]| -> Option<Src<'_>> {
        if let Some(c) = chunk_of.get(slot).copied().flatten() {
            return Some(Src::Chunk(c));
        }
        match ev.input(slot) {
            In::S(s) if s.len() >= n => Some(Src::Full(s)),
            In::S(_) => None,
            In::C(c) => Some(Src::Scalar(c)),
        }
    };
    for (step, _) in plan.steps.iter().zip(deferred).filter(|(_, &d)| d) {
        if let Op::Sma(a, n) = step.op {
            // A moving average of a whole series (one `deferrable` leaves out of `ev`).
            let Some(Src::Full(x)) = src(a, &chunk_of) else {
                return None;
            };
            let [out] = step.outputs.as_slice() else {
                return None;
            };
            *chunk_of.get_mut(*out)? = Some(steps.len());
            steps.push(ChunkStep {
                op: step.op.clone(),
                ins: [Src::Full(x), Src::Full(x)],
                last: 0.0,
                pair: None,
                direct: 0,
                sma: Some((SmaRun::new(n), x)),
            });
            continue;
        }
        // The operations of `elementwise`; any other sends the caller the whole-series way.
        let (a, b) = match step.op {
            Op::CrossAbove(a, b)
            | Op::CrossBelow(a, b)
            | Op::Cmp(_, a, b)
            | Op::Math(_, a, b)
            | Op::And(a, b)
            | Op::Or(a, b) => (a, b),
            Op::Abs(a) | Op::Not(a) => (a, a),
            _ => return None,
        };
        let ins = [src(a, &chunk_of)?, src(b, &chunk_of)?];
        let [out] = step.outputs.as_slice() else {
            return None;
        };
        *chunk_of.get_mut(*out)? = Some(steps.len());
        // A cross of two series goes through their sides (a cross with a constant does not).
        let series = ins.iter().all(|s| !matches!(s, Src::Scalar(_)));
        let cross = matches!(step.op, Op::CrossAbove(..) | Op::CrossBelow(..));
        let pair = (cross && series).then(|| {
            pairs.iter().position(|&p| p == (a, b)).unwrap_or_else(|| {
                pairs.push((a, b));
                pairs.len() - 1
            })
        });
        steps.push(ChunkStep {
            op: step.op.clone(),
            ins,
            last: 0.0,
            pair,
            direct: 0,
            sma: None,
        });
    }
    let mut sinks: Vec<(u8, Src<'_>)> = [
        (ENTER_LONG, plan.enter_long.iter().map(|e| e.when).collect()),
        (EXIT_LONG, plan.exit_long.clone()),
        (
            ENTER_SHORT,
            plan.enter_short.iter().map(|e| e.when).collect(),
        ),
        (EXIT_SHORT, plan.exit_short.clone()),
    ]
    .into_iter()
    .flat_map(|(bit, slots): (u8, Vec<Slot>)| slots.into_iter().map(move |s| (bit, s)))
    .map(|(bit, s)| Some((bit, src(s, &chunk_of)?)))
    .collect::<Option<_>>()?;
    for k in 0..steps.len() {
        let read = |s: &Src<'_>| matches!(s, Src::Chunk(c) if *c == k);
        if steps[k].pair.is_none() || steps.iter().any(|st| st.ins.iter().any(read)) {
            continue;
        }
        steps[k].direct = sinks
            .iter()
            .filter(|(_, s)| read(s))
            .fold(0, |b, (bit, _)| b | bit);
        sinks.retain(|(_, s)| !read(s));
    }

    let mut bufs: Vec<Vec<f64>> = vec![vec![0.0; CHUNK]; steps.len()];
    let mut sides: Vec<Vec<i8>> = vec![vec![0; CHUNK]; pairs.len()];
    flags.clear();
    flags.resize(n, 0);
    let mut from = 0;
    while from < n {
        let len = CHUNK.min(n - from);
        let mut sided = vec![false; pairs.len()];
        for (k, step) in steps.iter_mut().enumerate() {
            let (done, rest) = bufs.split_at_mut(k);
            let out = &mut rest[0][..len];
            if let Some((run, x)) = &mut step.sma {
                run.fill(x, out);
                continue;
            }
            let [a, b] = step.ins.map(|s| match s {
                Src::Full(x) => Operand::S(&x[from..from + len]),
                Src::Scalar(c) => Operand::C(c),
                Src::Chunk(c) => Operand::S(&done[c][..len]),
            });
            match (step.pair, a, b) {
                (Some(p), Operand::S(x), Operand::S(y)) => {
                    let side = &mut sides[p][..len];
                    if !sided[p] {
                        cross_sides(x, y, side);
                        sided[p] = true;
                    }
                    let dir = cross_dir(&step.op);
                    if step.direct != 0 {
                        let fl = &mut flags[from..from + len];
                        cross_flags(side, &mut step.last, dir, step.direct, fl);
                    } else {
                        cross_scan(side, &mut step.last, dir, out);
                    }
                }
                _ => run_chunk(&step.op, a, b, &mut step.last, out),
            }
        }
        let fl = &mut flags[from..from + len];
        for &(bit, s) in &sinks {
            let v: &[f64] = match s {
                Src::Full(x) => &x[from..from + len],
                Src::Chunk(c) => &bufs[c][..len],
                Src::Scalar(c) => {
                    if c == 1.0 {
                        fl.iter_mut().for_each(|f| *f |= bit);
                    }
                    continue;
                }
            };
            for (f, &x) in fl.iter_mut().zip(v) {
                *f |= if x == 1.0 { bit } else { 0 };
            }
        }
        from += len;
    }
    Some(())
}

/// The steps a backtest can leave to [`signals`]: the elementwise ones and the simple moving
/// averages of whole series whose outputs only such steps and the order sinks read (none when
/// a step reads the position).
pub(crate) fn deferrable(plan: &Plan) -> Vec<bool> {
    let mut deferred = vec![false; plan.steps.len()];
    if !crate::kernels::position::dependent_steps(plan).is_empty() {
        return deferred;
    }
    // Slots a step that is not deferred reads; steps are in topological order, so going
    // backwards every reader of a step's outputs has been decided.
    let mut read_kept = vec![false; plan.slots];
    for (k, step) in plan.steps.iter().enumerate().rev() {
        let unread = |s: &Slot| !read_kept.get(*s).copied().unwrap_or(true);
        let sma = matches!(step.op, Op::Sma(..));
        deferred[k] = (elementwise(&step.op) || sma) && step.outputs.iter().all(unread);
        // A moving average left out reads its input whole: that is kept.
        if !deferred[k] || sma {
            for s in step.op.inputs() {
                if let Some(r) = read_kept.get_mut(s) {
                    *r = true;
                }
            }
        }
    }
    deferred
}

/// The order signals into `flags`, with the `deferred` steps (left out of `ev`) computed by
/// [`signals`] when it can; otherwise those steps are computed over the whole series into
/// `ev` and the signals read from it. True when [`signals`] made them: then each side has at
/// most one entry, and an entry signal is that entry's ([`entry_size`]).
pub(crate) fn deferred_signals<'a>(
    plan: &Plan,
    bars: &'a Bars,
    ev: &mut Evaluation<'a>,
    deferred: &[bool],
    flags: &mut Vec<u8>,
) -> bool {
    if deferred.contains(&true) && signals(plan, ev, deferred, flags).is_some() {
        return true;
    }
    for (step, _) in plan.steps.iter().zip(deferred).filter(|(_, &d)| d) {
        let values = run_op(ev, &step.op, bars);
        for (slot, v) in step.outputs.iter().zip(values) {
            if let Some(s) = ev.slots.get_mut(*slot) {
                *s = v;
            }
        }
    }
    *flags = signal_flags(plan, ev);
    false
}

/// The size of the entry on `side` that fired at bar `i`, for signals from
/// [`deferred_signals`] (`fused` is what it returned): with fused signals each side has at
/// most one entry, and a set entry bit is that entry's.
pub(crate) fn entry_size(
    plan: &Plan,
    ev: &Evaluation<'_>,
    fused: bool,
    side: Side,
    i: usize,
) -> Option<Size> {
    if !fused {
        return crate::backtest::entry_size(plan, ev, side, i);
    }
    let entries = match side {
        Side::Long => &plan.enter_long,
        Side::Short => &plan.enter_short,
    };
    entries.first().map(|e| e.size)
}

/// True for the operations [`signals`] computes chunk by chunk.
pub(crate) fn elementwise(op: &Op) -> bool {
    matches!(
        op,
        Op::CrossAbove(..)
            | Op::CrossBelow(..)
            | Op::Cmp(..)
            | Op::Math(..)
            | Op::And(..)
            | Op::Or(..)
            | Op::Abs(..)
            | Op::Not(..)
    )
}

/// A chunk's operand.
#[derive(Clone, Copy)]
enum Operand<'a> {
    S(&'a [f64]),
    C(f64),
}

impl Operand<'_> {
    #[inline(always)]
    fn at(self, i: usize) -> f64 {
        match self {
            Operand::S(s) => s[i],
            Operand::C(c) => c,
        }
    }
}

/// A cross's direction for [`cross_step`]: 1 above, -1 below.
fn cross_dir(op: &Op) -> f64 {
    if matches!(op, Op::CrossAbove(..)) {
        1.0
    } else {
        -1.0
    }
}

/// One step over one chunk, with the whole-series path's arithmetic.
fn run_chunk(op: &Op, a: Operand<'_>, b: Operand<'_>, last: &mut f64, out: &mut [f64]) {
    match *op {
        Op::CrossAbove(..) | Op::CrossBelow(..) => {
            let dir = cross_dir(op);
            for (i, o) in out.iter_mut().enumerate() {
                *o = cross_step(a.at(i), b.at(i), last, dir);
            }
        }
        Op::Cmp(c, ..) => each(out, |i| compare(c, a.at(i), b.at(i))),
        Op::Math(m, ..) => each(out, |i| math(m, a.at(i), b.at(i))),
        Op::And(..) => each(out, |i| logic(true, a.at(i), b.at(i))),
        Op::Or(..) => each(out, |i| logic(false, a.at(i), b.at(i))),
        Op::Abs(..) => each(out, |i| a.at(i).abs()),
        Op::Not(..) => each(out, |i| not(a.at(i))),
        // `signals` takes only the operations above.
        _ => out.fill(f64::NAN),
    }
}

#[inline(always)]
fn each(out: &mut [f64], f: impl Fn(usize) -> f64) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = f(i);
    }
}
