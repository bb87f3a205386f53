//! Sweeps split into shards for a cluster scheduler: the combination list of a sweep cut into
//! N disjoint parts of about equal expected cost, each run on its own (a Slurm array task, a
//! Kubernetes indexed pod), their rows joined again afterwards.
//!
//! The split is a pure function of the sweep (graph, grid, constraints, random draw) and N, so
//! every task computes the same split without talking to the others. Combinations are taken in
//! the order a whole sweep runs them ([`crate::sweep`]: the parameter with the most values
//! varies slowest), so those sharing cached nodes sit next to each other; the order is cut into
//! N contiguous runs of equal estimated cost, and at most N - 1 groups of cache-sharing
//! combinations are split between two shards. A row's metrics do not depend on which other
//! combinations run beside it, so the union of the shards' rows equals the whole sweep's rows
//! bit for bit.

use std::sync::atomic::AtomicBool;

use crate::bars::Bars;
use crate::compile::{Op, Plan};
use crate::graph::Graph;
use crate::kernels::position::dependent_steps;
use crate::sweep::{
    compile_all, execution_order, node_uses, run_plans, SweepConfig, SweepError, SweepProgress,
    SweepResult, SweepSpec,
};

/// The most shards a sweep may be cut into.
pub const MAX_SHARDS: usize = 100_000;

/// Estimated cost of one node computation (a kernel pass over the bars).
const NODE_COST: u64 = 1 << 20;
/// Estimated cost of one combination's simulation and metrics, in the same unit: about three
/// kernel passes (the bar loop, the equity curve, the metrics).
const SIMULATION_COST: u64 = 3 * NODE_COST;

/// Which part of a sweep to run: shard `k` (from 0) of `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 0 ≤ k < n.
    pub k: usize,
    /// How many shards the sweep is cut into.
    pub n: usize,
}

impl Shard {
    /// Reads `K/N` (K counts from 0, as Slurm array indices and Kubernetes completion indices
    /// do).
    ///
    /// # Errors
    /// A message saying what is wrong with the text.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = |why: &str| format!("--shard {text}: {why}");
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| bad("expected K/N, e.g. 0/4 (K counts from 0)"))?;
        let k: usize = k
            .trim()
            .parse()
            .map_err(|_| bad(&format!("\"{k}\" is not a whole number")))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| bad(&format!("\"{n}\" is not a whole number")))?;
        if n == 0 || n > MAX_SHARDS {
            return Err(bad(&format!("N must be between 1 and {MAX_SHARDS}")));
        }
        if k >= n {
            return Err(bad(&format!(
                "K must be below N (K counts from 0: 0..{})",
                n - 1
            )));
        }
        Ok(Shard { k, n })
    }
}

/// A sweep cut into shards: its identity and which combinations each shard runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardPlan {
    /// Hex BLAKE3 of the graph, the settings and every combination's parameters in the sweep's
    /// order: equal for two sweeps exactly when they run the same backtests.
    pub sweep_hash: String,
    /// Combinations in the whole sweep.
    pub total: usize,
    /// Per shard, the positions (in the sweep's own order) of its combinations, ascending.
    pub parts: Vec<Vec<usize>>,
    /// Per shard, its estimated cost (arbitrary units; the parts are balanced on it).
    pub costs: Vec<u64>,
}

/// Estimated cost of each plan when all of `plans` run together: every computed node counts
/// in full when only this plan uses it, and shared among the plans that use it otherwise.
fn costs(plans: &[Plan]) -> Vec<u64> {
    let (keys, uses) = node_uses(plans);
    plans
        .iter()
        .zip(&keys)
        .map(|(plan, ks)| {
            let dependent = dependent_steps(plan);
            let mut cost = SIMULATION_COST;
            for (i, (step, k)) in plan.steps.iter().zip(ks).enumerate() {
                if matches!(step.op, Op::Column(_) | Op::Const(_)) {
                    continue;
                }
                let users = if dependent.get(i).copied().unwrap_or(false) {
                    1
                } else {
                    uses.get(k).copied().unwrap_or(1).max(1) as u64
                };
                cost += NODE_COST / users;
            }
            cost
        })
        .collect()
}

/// Identity of a sweep: its plans (graph hash, parameters, settings) in order.
fn sweep_hash(plans: &[Plan]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"stratagraph sweep 1");
    h.update(&(plans.len() as u64).to_le_bytes());
    for p in plans {
        crate::backtest::hash_plan(&mut h, p);
    }
    h.finalize().to_hex().to_string()
}

/// Cuts `plans` (the whole sweep) into `n` parts.
fn cut(plans: &[Plan], n: usize) -> (Vec<Vec<usize>>, Vec<u64>) {
    let cost = costs(plans);
    let order = execution_order(plans);
    let total: u128 = cost.iter().map(|&c| u128::from(c)).sum::<u128>().max(1);
    let mut parts = vec![Vec::new(); n];
    let mut part_costs = vec![0u64; n];
    let mut before: u128 = 0;
    for &i in &order {
        let c = u128::from(cost[i]);
        // The shard whose share of the cumulative cost holds this combination's midpoint.
        let mid = 2 * before + c;
        let k = ((mid * n as u128) / (2 * total)).min(n as u128 - 1) as usize;
        parts[k].push(i);
        part_costs[k] += cost[i];
        before += c;
    }
    for p in &mut parts {
        p.sort_unstable();
    }
    (parts, part_costs)
}

/// The split of the sweep into `n` shards.
///
/// # Errors
/// Spec and compile errors, as [`crate::sweep::run`] gives them.
pub fn plan(graph: &Graph, spec: &SweepSpec, n: usize) -> Result<ShardPlan, SweepError> {
    let plans = compile_all(graph, spec)?;
    let (parts, costs) = cut(&plans, n.max(1));
    Ok(ShardPlan {
        sweep_hash: sweep_hash(&plans),
        total: plans.len(),
        parts,
        costs,
    })
}

/// Runs one shard of a sweep. The result's rows carry their positions in the whole sweep;
/// its `total` counts the shard's combinations.
///
/// # Errors
/// Spec and compile errors, before any work.
pub fn run(
    graph: &Graph,
    bars: &Bars,
    spec: &SweepSpec,
    shard: Shard,
    config: &SweepConfig,
    cancel: &AtomicBool,
    progress: &(dyn Fn(SweepProgress) + Sync),
) -> Result<(ShardPlan, SweepResult), SweepError> {
    let plans = compile_all(graph, spec)?;
    let (parts, costs) = cut(&plans, shard.n.max(1));
    let mine = parts.get(shard.k).cloned().unwrap_or_default();
    let info = ShardPlan {
        sweep_hash: sweep_hash(&plans),
        total: plans.len(),
        parts,
        costs,
    };
    let mut slots: Vec<Option<Plan>> = plans.into_iter().map(Some).collect();
    let chosen: Vec<Plan> = mine
        .iter()
        .filter_map(|&i| slots.get_mut(i).and_then(Option::take))
        .collect();
    let result = run_plans(bars, chosen, mine, config, cancel, progress)?;
    Ok((info, result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_text_is_checked() {
        assert_eq!(Shard::parse("0/4"), Ok(Shard { k: 0, n: 4 }));
        assert_eq!(Shard::parse(" 3 / 4 "), Ok(Shard { k: 3, n: 4 }));
        for (bad, why) in [
            ("4/4", "K must be below N"),
            ("1/0", "N must be between"),
            ("a/4", "\"a\" is not a whole number"),
            ("3", "expected K/N"),
            ("-1/4", "is not a whole number"),
        ] {
            let e = Shard::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
