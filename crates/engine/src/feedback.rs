//! Runs a plan's account over the bars, together with the nodes that read the account's
//! position (`position.*` and everything downstream of them), which can only be computed bar
//! by bar: at bar t they see the position after t's open fill and stops, and their signals
//! fill at t + 1. Plans without such nodes take the series path of `backtest`.

use std::sync::atomic::AtomicBool;

use crate::backtest::{self, signal_flags, BarPrices, Book, Side, Simulation};
use crate::bars::Bars;
use crate::compile::{Plan, Size};
use crate::eval::{evaluate, Cancelled, Evaluation, SlotValue};
use crate::kernels::position::dependent_steps;
use crate::stream::{initial_state, step_value};

/// Order signals of bar `t` after the caller's adjustment (walk-forward windows mask them).
pub(crate) type Mask<'m> = &'m dyn Fn(usize, u8) -> u8;

/// Simulates `plan` over `bars` from the series in `ev`, computing position-dependent steps
/// bar by bar and storing their series in `ev`. Returns the simulation and the signal bits
/// per bar (after `mask`, when there is one).
pub(crate) fn simulate(
    plan: &Plan,
    bars: &Bars,
    ev: &mut Evaluation<'_>,
    mask: Option<Mask<'_>>,
) -> (Simulation, Vec<u8>) {
    let dependent = dependent_steps(plan);
    if dependent.is_empty() {
        let mut flags = signal_flags(plan, ev);
        if let Some(mask) = mask {
            for (t, f) in flags.iter_mut().enumerate() {
                *f = mask(t, *f);
            }
        }
        let size_of = |side: Side, i: usize| backtest::entry_size(plan, ev, side, i);
        let sim = backtest::simulate_core(plan, bars, &flags, &size_of);
        return (sim, flags);
    }
    let n = bars.len().min(ev.len());
    let steps: Vec<usize> = (0..plan.steps.len()).filter(|&k| dependent[k]).collect();
    let mut states: Vec<_> = steps
        .iter()
        .map(|&k| initial_state(&plan.steps[k].op))
        .collect();
    let mut is_dep = vec![false; plan.slots];
    for &k in &steps {
        for &s in &plan.steps[k].outputs {
            if let Some(d) = is_dep.get_mut(s) {
                *d = true;
            }
        }
    }
    let mut current = vec![f64::NAN; plan.slots];
    let mut series: Vec<Vec<f64>> = vec![Vec::new(); plan.slots];
    let mut book = Book::new(plan);
    let mut trades = Vec::new();
    let mut equity = vec![plan.settings.initial_cash; bars.len()];
    let mut all_flags = vec![0u8; bars.len()];
    for t in 0..n {
        let b = BarPrices::of(bars, t);
        let bar = bars.bar(t);
        trades.extend(book.on_open(t, &b));
        trades.extend(book.on_range(t, &b));
        for (&k, state) in steps.iter().zip(&mut states) {
            let step = &plan.steps[k];
            let out = {
                let get = |s: usize| {
                    if is_dep.get(s).copied().unwrap_or(false) {
                        current[s]
                    } else {
                        ev.at(s, t)
                    }
                };
                step_value(&step.op, state, &get, &bar, &book, t)
            };
            for (&s, v) in step.outputs.iter().zip(out) {
                if let Some(c) = current.get_mut(s) {
                    *c = v;
                }
            }
        }
        let value = |s: usize| {
            if is_dep.get(s).copied().unwrap_or(false) {
                current[s]
            } else {
                ev.at(s, t)
            }
        };
        let fired = |s: usize| value(s) == 1.0;
        let mut flags = 0u8;
        for (bit, hit) in [
            (
                backtest::ENTER_LONG,
                plan.enter_long.iter().any(|e| fired(e.when)),
            ),
            (
                backtest::EXIT_LONG,
                plan.exit_long.iter().any(|&s| fired(s)),
            ),
            (
                backtest::ENTER_SHORT,
                plan.enter_short.iter().any(|e| fired(e.when)),
            ),
            (
                backtest::EXIT_SHORT,
                plan.exit_short.iter().any(|&s| fired(s)),
            ),
        ] {
            if hit {
                flags |= bit;
            }
        }
        let flags = mask.map_or(flags, |m| m(t, flags));
        all_flags[t] = flags;
        let size_of = |side: Side, _: usize| -> Option<Size> {
            let entries = match side {
                Side::Long => &plan.enter_long,
                Side::Short => &plan.enter_short,
            };
            entries.iter().find(|e| fired(e.when)).map(|e| e.size)
        };
        book.on_close(t, flags, &size_of);
        equity[t] = book.mark(b.close);
        for (s, d) in is_dep.iter().enumerate() {
            if *d {
                series[s].push(current[s]);
            }
        }
    }
    for (s, d) in is_dep.iter().enumerate() {
        if *d {
            if let Some(slot) = ev.slots.get_mut(s) {
                let mut v = std::mem::take(&mut series[s]);
                v.resize(ev.len, f64::NAN);
                *slot = SlotValue::Series(v);
            }
        }
    }
    let open_trade = if n > 0 {
        book.open_trade(n - 1, &BarPrices::of(bars, n - 1))
    } else {
        None
    };
    (
        Simulation {
            book,
            trades,
            open_trade,
            equity,
        },
        all_flags,
    )
}

/// Every node's series over `bars`, position-dependent ones included (they need the account,
/// so the backtest is run to get them).
///
/// # Errors
/// [`Cancelled`] when `cancel` is set.
pub fn evaluate_all<'a>(
    plan: &Plan,
    bars: &'a Bars,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(f64),
) -> Result<Evaluation<'a>, Cancelled> {
    let mut ev = evaluate(plan, bars, cancel, progress)?;
    if !dependent_steps(plan).is_empty() {
        simulate(plan, bars, &mut ev, None);
    }
    Ok(ev)
}
