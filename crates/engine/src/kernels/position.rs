//! Position-state nodes: what the account holds at a bar's close, after that bar's open fill
//! and intrabar stops and before the orders decided at this close (which fill at the next
//! open). The value at bar t depends only on orders decided at bars before t, so a graph may
//! feed it into its own orders without a cycle or look-ahead; such nodes, and every node
//! downstream of them, are evaluated bar by bar together with the account.

use super::{flag, one, Out, NONE};
use crate::backtest::{Book, Side};
use crate::compile::{Op, Plan};

/// Which side a position-state node looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideFilter {
    /// Long or short.
    Any,
    /// Long only.
    Long,
    /// Short only.
    Short,
}

/// What a position-state node reads from the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionField {
    /// 1 while a position (on the side) is open.
    InPosition(SideFilter),
    /// Bars since the entry fill (0 on the fill bar).
    BarsInTrade,
    /// The entry fill price.
    EntryPrice,
    /// Open profit at the close, after the entry commission, in money and percent.
    OpenPnl,
}

impl PositionField {
    /// The node's outputs at bar `t` with close `close`.
    pub(crate) fn value(self, book: &Book, t: usize, close: f64) -> Out {
        let p = book.position.as_ref();
        match self {
            PositionField::InPosition(side) => one(flag(p.is_some_and(|p| match side {
                SideFilter::Any => true,
                SideFilter::Long => p.side == Side::Long,
                SideFilter::Short => p.side == Side::Short,
            }))),
            PositionField::BarsInTrade => {
                one(p.map_or(f64::NAN, |p| t.saturating_sub(p.entry_bar) as f64))
            }
            PositionField::EntryPrice => one(p.map_or(f64::NAN, |p| p.entry_price)),
            PositionField::OpenPnl => match p {
                None => NONE,
                Some(p) => {
                    let dir = if p.side == Side::Long { 1.0 } else { -1.0 };
                    let pnl = dir * p.units * (close - p.entry_price) - p.entry_commission;
                    let pct = pnl / (p.units * p.entry_price) * 100.0;
                    [pnl, pct, f64::NAN, f64::NAN, f64::NAN]
                }
            },
        }
    }
}

/// Per step of `plan`: true when it reads the position, directly or through its inputs.
/// Empty when no step does (the plan then runs as plain series).
pub(crate) fn dependent_steps(plan: &Plan) -> Vec<bool> {
    if !plan.steps.iter().any(|s| matches!(s.op, Op::Position(_))) {
        return Vec::new();
    }
    let mut slot_dep = vec![false; plan.slots];
    let mut out = Vec::with_capacity(plan.steps.len());
    for step in &plan.steps {
        let dep = matches!(step.op, Op::Position(_))
            || step
                .op
                .inputs()
                .iter()
                .any(|&s| slot_dep.get(s).copied().unwrap_or(false));
        if dep {
            for &s in &step.outputs {
                if let Some(d) = slot_dep.get_mut(s) {
                    *d = true;
                }
            }
        }
        out.push(dep);
    }
    out
}
