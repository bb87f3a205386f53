//! Parameter sweeps over a graph's declared parameters, on all cores.
//!
//! Each distinct node instance (an operation with the same parameters over the same inputs)
//! is computed once for the whole sweep and shared between combinations through a cache with
//! a memory budget; combinations run in an order that keeps shared nodes hot (the parameter
//! with the most distinct values varies slowest), and a node no combination still to run uses
//! is dropped before the next is computed, which reuses its memory. Per combination only
//! metrics are kept, so memory stays bounded however many combinations run. Rows are
//! identical, bit for bit, whatever the thread count.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use serde::Serialize;

use crate::backtest::{self, BacktestResult, Side};
use crate::bars::Bars;
use crate::compile::{compile_checked, CompileError, Op, Plan};
use crate::eval::{recycle, run_op, Cancelled, Evaluation, SlotValue};
use crate::graph::{DeclType, Graph};
use crate::kernels::position::dependent_steps;
use crate::metrics::{self, Metrics};
use crate::robust::returns::{block_moments, daily_returns, day_ends};
use crate::robust::{Moments, Pbo, PboError};
use crate::synth::SplitMix64;
use crate::validate;

/// Why a sweep cannot start. Every check runs before any work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SweepError {
    /// A grid or constraint names a parameter the graph does not declare.
    #[error("unknown parameter \"{0}\" (declared: {1})")]
    UnknownParameter(String, String),
    /// A grid axis could not be read or is empty, reversed or has a zero step.
    #[error("--grid {spec}: {reason}")]
    BadGrid {
        /// The axis as written.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// A constraint could not be read.
    #[error("--where {spec}: {reason}")]
    BadConstraint {
        /// The constraint as written.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// No combination is left after constraints.
    #[error("no combination satisfies the grid and constraints")]
    Empty,
    /// The graph is invalid.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// A metric name that does not exist.
    #[error("unknown metric \"{0}\" (try sharpe, total_return_pct, cagr_pct, sortino, calmar, max_drawdown_pct, profit_factor, win_rate_pct)")]
    UnknownMetric(String),
}

/// The values one parameter takes in a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Parameter name.
    pub name: String,
    /// Values in the order given.
    pub values: Vec<f64>,
}

/// Reads `name=start:stop:step` (stop included when the steps land on it) or `name=a,b,c`.
///
/// # Errors
/// [`SweepError::BadGrid`] for unreadable numbers, an empty or reversed range or a zero step.
pub fn parse_axis(spec: &str) -> Result<Axis, SweepError> {
    let bad = |reason: &str| SweepError::BadGrid {
        spec: spec.to_string(),
        reason: reason.to_string(),
    };
    let (name, rest) = spec
        .split_once('=')
        .ok_or_else(|| bad("expected NAME=START:STOP:STEP or NAME=A,B,C"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(bad("the parameter name is empty"));
    }
    let num = |s: &str| -> Result<f64, SweepError> {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| bad(&format!("\"{s}\" is not a number")))
    };
    let values = if rest.contains(':') {
        let parts: Vec<&str> = rest.split(':').collect();
        let (start, stop, step) = match parts.as_slice() {
            [a, b] => (num(a)?, num(b)?, 1.0),
            [a, b, c] => (num(a)?, num(b)?, num(c)?),
            _ => return Err(bad("expected START:STOP:STEP")),
        };
        if step == 0.0 {
            return Err(bad("the step is zero"));
        }
        if step < 0.0 {
            return Err(bad("the step must be positive"));
        }
        if stop < start {
            return Err(bad(&format!("the range is reversed ({start} > {stop})")));
        }
        let count = ((stop - start) / step + 1e-9).floor() as usize + 1;
        if count > 1_000_000 {
            return Err(bad("more than 1,000,000 values"));
        }
        // Each value from its index, so rounding does not accumulate.
        (0..count).map(|i| start + step * i as f64).collect()
    } else {
        rest.split(',').map(num).collect::<Result<Vec<_>, _>>()?
    };
    if values.is_empty() {
        return Err(bad("no values"));
    }
    Ok(Axis {
        name: name.to_string(),
        values,
    })
}

/// A relation between two parameters (or a parameter and a number) that a combination must
/// satisfy, e.g. `fast<slow`.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    left: Operand,
    op: &'static str,
    right: Operand,
    text: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Param(String),
    Number(f64),
}

/// Reads `a<b`, `a<=b`, `a>b`, `a>=b`, `a!=b` or `a==b`, each side a parameter or a number.
///
/// # Errors
/// [`SweepError::BadConstraint`] when no operator is found or a side is empty.
pub fn parse_constraint(spec: &str) -> Result<Constraint, SweepError> {
    for op in ["<=", ">=", "!=", "==", "<", ">"] {
        if let Some((l, r)) = spec.split_once(op) {
            let side = |s: &str| -> Result<Operand, SweepError> {
                let s = s.trim();
                if s.is_empty() {
                    return Err(SweepError::BadConstraint {
                        spec: spec.into(),
                        reason: "a side is empty".into(),
                    });
                }
                Ok(s.parse::<f64>()
                    .map_or_else(|_| Operand::Param(s.to_string()), Operand::Number))
            };
            return Ok(Constraint {
                left: side(l)?,
                op,
                right: side(r)?,
                text: spec.trim().to_string(),
            });
        }
    }
    Err(SweepError::BadConstraint {
        spec: spec.into(),
        reason: "expected one of < <= > >= == !=".into(),
    })
}

impl Constraint {
    fn holds(&self, p: &BTreeMap<String, f64>) -> bool {
        let v = |o: &Operand| match o {
            Operand::Param(n) => p.get(n).copied().unwrap_or(f64::NAN),
            Operand::Number(x) => *x,
        };
        let (a, b) = (v(&self.left), v(&self.right));
        match self.op {
            "<" => a < b,
            "<=" => a <= b,
            ">" => a > b,
            ">=" => a >= b,
            "==" => a == b,
            _ => a != b,
        }
    }

    fn params(&self) -> impl Iterator<Item = &str> {
        [&self.left, &self.right]
            .into_iter()
            .filter_map(|o| match o {
                Operand::Param(n) => Some(n.as_str()),
                Operand::Number(_) => None,
            })
    }
}

/// What to sweep.
#[derive(Debug, Clone, Default)]
pub struct SweepSpec {
    /// Grid axes; parameters not named keep their defaults.
    pub axes: Vec<Axis>,
    /// Instead of the whole grid, this many distinct combinations drawn with this seed.
    pub random: Option<(usize, u64)>,
    /// Relations every combination must satisfy.
    pub constraints: Vec<Constraint>,
}

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// Worker threads (0 = all cores).
    pub threads: usize,
    /// Memory the shared node cache may hold, in bytes.
    pub cache_bytes: usize,
    /// Keep each combination's daily returns as this many blocks of moments, for the
    /// Probability of Backtest Overfitting ([`pbo`]); 0 keeps none.
    pub pbo_blocks: usize,
}

impl Default for SweepConfig {
    fn default() -> Self {
        SweepConfig {
            threads: 0,
            cache_bytes: 512 << 20,
            pbo_blocks: 0,
        }
    }
}

/// Progress of a running sweep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SweepProgress {
    /// Combinations finished.
    pub done: usize,
    /// Combinations in the sweep.
    pub total: usize,
    /// Estimated seconds left.
    pub eta_secs: f64,
}

/// One combination's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Position of the combination in the sweep's own order (grid order, or draw order).
    pub index: usize,
    /// Every parameter's value.
    pub params: BTreeMap<String, f64>,
    /// Its metrics.
    pub metrics: Metrics,
    /// Its daily returns in [`SweepConfig::pbo_blocks`] blocks (empty when not asked for, or
    /// when the data has fewer days than blocks).
    #[serde(skip)]
    pub blocks: Vec<Moments>,
}

/// Counters of the shared node cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    /// Distinct computed node instances (columns and constants aside) across all combinations.
    pub distinct_nodes: usize,
    /// Distinct instances used by more than one combination (computed through the cache).
    pub shared_nodes: usize,
    /// Computations of shared instances: `shared_nodes` when each was computed once.
    pub shared_computations: usize,
    /// Computations of shared instances that had been evicted and were needed again.
    pub recomputed: usize,
    /// Computations of instances used by one combination only.
    pub unshared_computations: usize,
}

/// The outcome of a sweep: rows in combination order, finished ones only when cancelled.
#[derive(Debug, Clone, Serialize)]
pub struct SweepResult {
    /// One row per finished combination, ordered by `index`.
    pub rows: Vec<Row>,
    /// Combinations planned.
    pub total: usize,
    /// True when cancelled before every combination finished.
    pub cancelled: bool,
    /// Cache counters.
    pub cache: CacheStats,
}

/// Every combination of the spec over the graph's declared parameters, checked before work.
///
/// # Errors
/// Unknown parameters, values outside a declaration's range or type, bad constraints, or
/// nothing left after constraints.
pub fn combinations(
    graph: &Graph,
    spec: &SweepSpec,
) -> Result<Vec<BTreeMap<String, f64>>, SweepError> {
    let declared = || {
        graph
            .parameters
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for axis in &spec.axes {
        let Some(d) = graph.parameter(&axis.name) else {
            return Err(SweepError::UnknownParameter(axis.name.clone(), declared()));
        };
        for &v in &axis.values {
            let reason = if d.ty == DeclType::Int && v.fract() != 0.0 {
                Some(format!("{v} is not a whole number ({} is an int)", d.name))
            } else if d.min.is_some_and(|m| v < m) || d.max.is_some_and(|m| v > m) {
                Some(format!(
                    "{v} is outside {}'s range [{}, {}]",
                    d.name,
                    fmt_bound(d.min),
                    fmt_bound(d.max)
                ))
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(SweepError::BadGrid {
                    spec: axis.name.clone(),
                    reason,
                });
            }
        }
    }
    for c in &spec.constraints {
        for name in c.params() {
            if graph.parameter(name).is_none() {
                return Err(SweepError::BadConstraint {
                    spec: c.text.clone(),
                    reason: format!("unknown parameter \"{name}\" (declared: {})", declared()),
                });
            }
        }
    }
    let base: BTreeMap<String, f64> = graph
        .parameters
        .iter()
        .map(|d| (d.name.clone(), d.default))
        .collect();
    let sizes: Vec<usize> = spec.axes.iter().map(|a| a.values.len()).collect();
    let space: u128 = sizes.iter().map(|&n| n as u128).product();
    let combo = |digits: &[usize]| {
        let mut p = base.clone();
        for (axis, &d) in spec.axes.iter().zip(digits) {
            p.insert(axis.name.clone(), axis.values[d]);
        }
        p
    };
    let ok = |p: &BTreeMap<String, f64>| spec.constraints.iter().all(|c| c.holds(p));
    let mut out = Vec::new();
    match spec.random {
        None => {
            if space > 50_000_000 {
                return Err(SweepError::BadGrid {
                    spec: "grid".into(),
                    reason: format!("{space} combinations is too many"),
                });
            }
            let mut digits = vec![0usize; sizes.len()];
            'all: loop {
                let p = combo(&digits);
                if ok(&p) {
                    out.push(p);
                }
                // Odometer: the last axis varies fastest.
                for k in (0..digits.len()).rev() {
                    digits[k] += 1;
                    if digits[k] < sizes[k] {
                        continue 'all;
                    }
                    digits[k] = 0;
                }
                break;
            }
        }
        Some((count, seed)) => {
            let mut rng = SplitMix64::new(seed);
            let mut seen = std::collections::HashSet::new();
            let attempts = count.saturating_mul(20).max(1000);
            for _ in 0..attempts {
                if out.len() >= count || (seen.len() as u128) >= space {
                    break;
                }
                let digits: Vec<usize> = sizes
                    .iter()
                    .map(|&n| (rng.next_u64() % n as u64) as usize)
                    .collect();
                if seen.insert(digits.clone()) {
                    let p = combo(&digits);
                    if ok(&p) {
                        out.push(p);
                    }
                }
            }
        }
    }
    if out.is_empty() {
        return Err(SweepError::Empty);
    }
    Ok(out)
}

fn fmt_bound(b: Option<f64>) -> String {
    b.map_or("-".into(), |x| x.to_string())
}

/// Content identity of every step's outputs: equal keys compute equal series.
fn step_keys(plan: &Plan, intern: &mut HashMap<String, usize>) -> Vec<usize> {
    let mut slot_id = vec![usize::MAX; plan.slots];
    let mut keys = Vec::with_capacity(plan.steps.len());
    for step in &plan.steps {
        let text = format!(
            "{:?}",
            step.op
                .map_inputs(|s| slot_id.get(s).copied().unwrap_or(usize::MAX))
        );
        let next = intern.len();
        let id = *intern.entry(text.clone()).or_insert(next);
        keys.push(id);
        for (o, &slot) in step.outputs.iter().enumerate() {
            let next = intern.len();
            let out_id = *intern.entry(format!("{text}#{o}")).or_insert(next);
            if let Some(s) = slot_id.get_mut(slot) {
                *s = out_id;
            }
        }
    }
    keys
}

type Shared = Arc<Vec<Arc<Vec<f64>>>>;

struct CacheEntry {
    value: OnceLock<Shared>,
    bytes: AtomicUsize,
}

/// Node outputs shared between combinations. The whole access order is known before the
/// sweep starts, so past the memory budget it evicts the entry whose next use is farthest
/// away (Belady's optimal policy): a least-recently-used cache would miss on every access
/// when the nodes cycle through more entries than fit.
struct NodeCache {
    entries: Mutex<HashMap<usize, Arc<CacheEntry>>>,
    budget: usize,
    /// For each shared key, the positions in the execution order of the combinations using it.
    uses_at: HashMap<usize, Vec<usize>>,
    /// Position in the execution order of the combination being started last.
    position: AtomicUsize,
    /// Positions in the execution order of the combinations running now.
    running: Mutex<Vec<usize>>,
    computed: AtomicUsize,
    recomputed: AtomicUsize,
    unshared: AtomicUsize,
    ever: Mutex<std::collections::HashSet<usize>>,
}

impl NodeCache {
    /// An empty cache of at most `budget` bytes for keys used at the positions `uses_at`.
    fn new(budget: usize, uses_at: HashMap<usize, Vec<usize>>) -> Self {
        NodeCache {
            entries: Mutex::new(HashMap::new()),
            budget,
            uses_at,
            position: AtomicUsize::new(0),
            running: Mutex::new(Vec::new()),
            computed: AtomicUsize::new(0),
            recomputed: AtomicUsize::new(0),
            unshared: AtomicUsize::new(0),
            ever: Mutex::new(Default::default()),
        }
    }

    fn get(&self, key: usize, compute: impl FnOnce() -> Vec<Vec<f64>>) -> Shared {
        let entry = {
            let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(key)
                .or_insert_with(|| {
                    Arc::new(CacheEntry {
                        value: OnceLock::new(),
                        bytes: AtomicUsize::new(0),
                    })
                })
                .clone()
        };
        let mut fresh = false;
        let value = entry
            .value
            .get_or_init(|| {
                fresh = true;
                self.drop_unused(key);
                let v = compute();
                entry
                    .bytes
                    .store(v.iter().map(|s| s.len() * 8).sum(), Ordering::Relaxed);
                Arc::new(v.into_iter().map(Arc::new).collect())
            })
            .clone();
        if fresh {
            self.computed.fetch_add(1, Ordering::Relaxed);
            let first = self
                .ever
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key);
            if !first {
                self.recomputed.fetch_add(1, Ordering::Relaxed);
            }
            self.evict(key);
        }
        value
    }

    /// Takes the next position of the execution order from `next` and marks it running (under
    /// one lock, so [`NodeCache::drop_unused`] never misses a combination about to start);
    /// `None` past the last of `total` positions.
    fn start(&self, next: &AtomicUsize, total: usize) -> Option<usize> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let position = next.fetch_add(1, Ordering::Relaxed);
        if position >= total {
            return None;
        }
        self.position.fetch_max(position, Ordering::Relaxed);
        running.push(position);
        Some(position)
    }

    /// The combination at `position` of the execution order is done.
    fn finish(&self, position: usize) {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|&p| p != position);
    }

    /// Position of the next combination (from the one started last on) that uses `key`.
    fn next_use(&self, key: usize) -> usize {
        self.next_use_from(key, self.position.load(Ordering::Relaxed))
    }

    /// Position of the first combination from position `now` on that uses `key`.
    fn next_use_from(&self, key: usize, now: usize) -> usize {
        let uses = self.uses_at.get(&key).map_or(&[][..], Vec::as_slice);
        let i = uses.partition_point(|&p| p < now);
        uses.get(i).copied().unwrap_or(usize::MAX)
    }

    /// Drops the computed entries (but `keep`) that no combination running or still to run
    /// uses, whatever the budget: the node computed next reuses their memory instead of
    /// touching new pages.
    fn drop_unused(&self, keep: usize) {
        let oldest = {
            let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            running.iter().min().copied()
        };
        let Some(oldest) = oldest else { return };
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|&k, e| {
            k == keep || e.value.get().is_none() || self.next_use_from(k, oldest) != usize::MAX
        });
    }

    fn evict(&self, keep: usize) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let mut total: usize = map.values().map(|e| e.bytes.load(Ordering::Relaxed)).sum();
        while total > self.budget {
            let victim = map
                .iter()
                .filter(|(k, e)| **k != keep && e.value.get().is_some())
                .max_by_key(|(k, _)| (self.next_use(**k), **k))
                .map(|(k, _)| *k);
            let Some(k) = victim else { break };
            if let Some(e) = map.remove(&k) {
                total -= e.bytes.load(Ordering::Relaxed);
            }
        }
    }
}

/// Runs every combination on a pool of threads.
///
/// `progress` is called from worker threads after each combination. Setting `cancel` stops
/// the workers after their current combination (or between its steps) and returns the rows
/// finished so far.
///
/// # Errors
/// Spec errors (before any work) and compile errors of the graph.
pub fn run(
    graph: &Graph,
    bars: &Bars,
    spec: &SweepSpec,
    config: &SweepConfig,
    cancel: &AtomicBool,
    progress: &(dyn Fn(SweepProgress) + Sync),
) -> Result<SweepResult, SweepError> {
    let plans = compile_all(graph, spec)?;
    let indices = (0..plans.len()).collect();
    run_plans(bars, plans, indices, config, cancel, progress)
}

/// Every combination of the spec compiled, in the sweep's own order, after validating the
/// graph.
pub(crate) fn compile_all(graph: &Graph, spec: &SweepSpec) -> Result<Vec<Plan>, SweepError> {
    let problems = validate::check(graph);
    if !problems.is_empty() {
        return Err(CompileError::Invalid(problems).into());
    }
    let combos = combinations(graph, spec)?;
    Ok(combos
        .iter()
        .map(|p| compile_checked(graph, p))
        .collect::<Result<Vec<_>, _>>()?)
}

/// Runs compiled plans (one per combination, all of one graph) with a shared node cache;
/// `indices[i]` is plan `i`'s position in the whole sweep (its rows' `index`).
pub(crate) fn run_plans(
    bars: &Bars,
    plans: Vec<Plan>,
    indices: Vec<usize>,
    config: &SweepConfig,
    cancel: &AtomicBool,
    progress: &(dyn Fn(SweepProgress) + Sync),
) -> Result<SweepResult, SweepError> {
    let total = plans.len();
    let (keys, uses) = node_uses(&plans);
    let distinct = uses.len();
    let shared_nodes = uses.values().filter(|&&n| n > 1).count();
    let order = execution_order(&plans);
    let mut uses_at: HashMap<usize, Vec<usize>> = HashMap::new();
    for (pos, &i) in order.iter().enumerate() {
        for &k in &keys[i] {
            if uses.get(&k).is_some_and(|&n| n > 1) {
                let at = uses_at.entry(k).or_default();
                if at.last() != Some(&pos) {
                    at.push(pos);
                }
            }
        }
    }
    let cache = NodeCache::new(config.cache_bytes, uses_at);
    let threads = match config.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(total.max(1));
    let ends = day_ends(bars.time());
    let daily = Daily {
        ends: &ends,
        pbo_blocks: config.pbo_blocks,
    };
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Row>>> = Mutex::new(vec![None; total]);
    let started = Instant::now();
    let work = || loop {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let Some(k) = cache.start(&next, order.len()) else {
            break;
        };
        let Some(&i) = order.get(k) else { break };
        let shared = |key: usize| uses.get(&key).is_some_and(|&n| n > 1);
        let one = run_one(&plans[i], bars, &keys[i], &shared, &cache, cancel, &daily);
        cache.finish(k);
        let Ok((metrics, blocks)) = one else {
            break;
        };
        let row = Row {
            index: indices.get(i).copied().unwrap_or(i),
            params: plans[i].params.clone(),
            metrics,
            blocks,
        };
        if let Some(slot) = results.lock().unwrap_or_else(|e| e.into_inner()).get_mut(i) {
            *slot = Some(row);
        }
        let d = done.fetch_add(1, Ordering::Relaxed) + 1;
        let secs = started.elapsed().as_secs_f64();
        progress(SweepProgress {
            done: d,
            total,
            eta_secs: secs / d as f64 * (total - d) as f64,
        });
    };
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let _spare = crate::eval::SpareBuffers::keep();
                work()
            });
        }
    });
    let rows: Vec<Row> = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    let cancelled = rows.len() < total;
    Ok(SweepResult {
        rows,
        total,
        cancelled,
        cache: CacheStats {
            distinct_nodes: distinct,
            shared_nodes,
            shared_computations: cache.computed.load(Ordering::Relaxed),
            recomputed: cache.recomputed.load(Ordering::Relaxed),
            unshared_computations: cache.unshared.load(Ordering::Relaxed),
        },
    })
}

/// Each plan's step keys, and for every computed (not column, constant or position-dependent)
/// node instance the number of plans using it.
pub(crate) fn node_uses(plans: &[Plan]) -> (Vec<Vec<usize>>, HashMap<usize, usize>) {
    let mut intern = HashMap::new();
    let keys: Vec<Vec<usize>> = plans.iter().map(|p| step_keys(p, &mut intern)).collect();
    // Nodes used by more than one combination are shared; the rest are computed in place.
    let mut uses: HashMap<usize, usize> = HashMap::new();
    for (plan, ks) in plans.iter().zip(&keys) {
        // Steps that read the position depend on the whole combination: never shared.
        let dependent = dependent_steps(plan);
        for (i, (step, k)) in plan.steps.iter().zip(ks).enumerate() {
            if !matches!(step.op, Op::Column(_) | Op::Const(_))
                && !dependent.get(i).copied().unwrap_or(false)
            {
                *uses.entry(*k).or_insert(0) += 1;
            }
        }
    }
    (keys, uses)
}

/// Combinations ordered so shared nodes stay hot: parameters sorted by how many distinct
/// values they take, most first, so the parameter with the fewest values varies fastest and
/// its nodes are reused by every group.
pub(crate) fn execution_order(plans: &[Plan]) -> Vec<usize> {
    let mut distinct: BTreeMap<&str, std::collections::BTreeSet<u64>> = BTreeMap::new();
    for p in plans {
        for (name, v) in &p.params {
            distinct.entry(name).or_default().insert(v.to_bits());
        }
    }
    let mut names: Vec<&str> = distinct.keys().copied().collect();
    names.sort_by_key(|n| std::cmp::Reverse(distinct.get(n).map_or(0, |s| s.len())));
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by(|&a, &b| {
        for n in &names {
            let (x, y) = (plans[a].params.get(*n), plans[b].params.get(*n));
            match x.partial_cmp(&y) {
                Some(std::cmp::Ordering::Equal) | None => continue,
                Some(o) => return o,
            }
        }
        a.cmp(&b)
    });
    order
}

fn run_one(
    plan: &Plan,
    bars: &Bars,
    keys: &[usize],
    shared: &dyn Fn(usize) -> bool,
    cache: &NodeCache,
    cancel: &AtomicBool,
    daily: &Daily<'_>,
) -> Result<(Metrics, Vec<Moments>), Cancelled> {
    let mut ev = Evaluation {
        slots: vec![SlotValue::Empty; plan.slots],
        len: bars.len(),
    };
    let dependent = dependent_steps(plan);
    // This combination's own steps, when all are elementwise, run chunk by chunk with the
    // order sinks (`fused`) instead of over the whole series here.
    let own = |(step, &key): (&crate::compile::Step, &usize)| {
        !shared(key) && !matches!(step.op, Op::Column(_) | Op::Const(_))
    };
    let deferred: Vec<bool> = if dependent.is_empty()
        && plan
            .steps
            .iter()
            .zip(keys)
            .all(|sk| !own(sk) || crate::fused::elementwise(&sk.0.op))
    {
        plan.steps.iter().zip(keys).map(own).collect()
    } else {
        vec![false; plan.steps.len()]
    };
    for (i, (step, &key)) in plan.steps.iter().zip(keys).enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return Err(Cancelled);
        }
        if dependent.get(i).copied().unwrap_or(false) || deferred[i] {
            continue;
        }
        // Columns and constants borrow or hold no series: they are never in `uses`.
        let cacheable = shared(key);
        let values: Vec<SlotValue<'_>> = if cacheable {
            let computed = cache.get(key, || {
                run_op(&ev, &step.op, bars)
                    .into_iter()
                    .map(|v| match v {
                        SlotValue::Series(s) => s,
                        other => {
                            let one = Evaluation {
                                slots: vec![other],
                                len: bars.len(),
                            };
                            one.series(0).map(|c| c.into_owned()).unwrap_or_default()
                        }
                    })
                    .collect()
            });
            computed
                .iter()
                .map(|s| SlotValue::Shared(s.clone()))
                .collect()
        } else {
            if !matches!(step.op, Op::Column(_) | Op::Const(_)) {
                cache.unshared.fetch_add(1, Ordering::Relaxed);
            }
            run_op(&ev, &step.op, bars)
        };
        for (slot, v) in step.outputs.iter().zip(values) {
            if let Some(s) = ev.slots.get_mut(*slot) {
                *s = v;
            }
        }
    }
    if !dependent.is_empty() {
        let (sim, _) = crate::feedback::simulate(plan, bars, &mut ev, None);
        let rets = daily_returns(&sim.equity, daily.ends);
        return Ok((sim.metrics(plan, bars), daily.blocks(&rets)));
    }
    let (mut flags, trades) = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    cache
        .unshared
        .fetch_add(deferred.iter().filter(|&&d| d).count(), Ordering::Relaxed);
    let is_fused = crate::fused::deferred_signals(plan, bars, &mut ev, &deferred, &mut flags);
    // Plain series: the equity goes through the metrics chunk by chunk and is never held whole.
    let size_of = |side: Side, i: usize| crate::fused::entry_size(plan, &ev, is_fused, side, i);
    let (m, rets, run) =
        backtest::simulate_to_metrics(plan, bars, &flags, &size_of, daily.ends, trades);
    // The next combination on this thread reuses these buffers.
    SCRATCH.with(|s| *s.borrow_mut() = (flags, run.trades));
    for v in ev.slots {
        if let SlotValue::Series(s) = v {
            recycle(s);
        }
    }
    Ok((m, daily.blocks(&rets)))
}

/// The bars' day ends, and how many blocks of daily-return moments a row keeps.
struct Daily<'a> {
    ends: &'a [usize],
    pbo_blocks: usize,
}

impl Daily<'_> {
    /// A row's daily returns as [`SweepConfig::pbo_blocks`] blocks of moments (none when not
    /// asked for).
    fn blocks(&self, rets: &[f64]) -> Vec<Moments> {
        if self.pbo_blocks == 0 {
            return Vec::new();
        }
        block_moments(rets, self.pbo_blocks)
    }
}

thread_local! {
    /// A sweep thread's signals and trades buffers, reused from combination to combination.
    static SCRATCH: std::cell::RefCell<(Vec<u8>, Vec<backtest::Trade>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// The Probability of Backtest Overfitting of a sweep run with [`SweepConfig::pbo_blocks`]
/// set (see [`crate::robust::pbo`]), on `threads` threads (0 = all cores).
///
/// # Errors
/// [`PboError`] when the rows carry no blocks (not asked for, or too little data) or there
/// are fewer than two rows.
pub fn pbo(rows: &[Row], threads: usize) -> Result<Pbo, PboError> {
    let configs: Vec<Vec<Moments>> = rows.iter().map(|r| r.blocks.clone()).collect();
    crate::robust::pbo::pbo(&configs, threads)
}

/// The value of metric `name` in `m` (None when undefined for the run).
///
/// # Errors
/// [`SweepError::UnknownMetric`] for a name that is not a field of [`Metrics`].
pub fn metric(m: &Metrics, name: &str) -> Result<Option<f64>, SweepError> {
    let v = serde_json::to_value(m).map_err(|_| SweepError::UnknownMetric(name.into()))?;
    match v.get(name) {
        Some(serde_json::Value::Null) => Ok(None),
        Some(x) => x
            .as_f64()
            .map(Some)
            .ok_or_else(|| SweepError::UnknownMetric(name.into())),
        None => Err(SweepError::UnknownMetric(name.into())),
    }
}

/// Checks that `name` is a metric, before any work is done.
///
/// # Errors
/// [`SweepError::UnknownMetric`].
pub fn check_metric(name: &str) -> Result<(), SweepError> {
    let inputs = metrics::Inputs {
        time: &[],
        close: &[],
        equity: &[],
        initial: 1.0,
        bars_in_market: 0,
        periods_per_year: 252.0,
    };
    metric(&metrics::compute(&inputs, &[], false, 0.0), name).map(|_| ())
}

/// Sorts rows best first by `metric` (higher is better; undefined values last; ties by index).
///
/// # Errors
/// [`SweepError::UnknownMetric`].
pub fn sort_rows(rows: &mut [Row], name: &str) -> Result<(), SweepError> {
    let mut keyed: Vec<(Option<f64>, usize)> = Vec::with_capacity(rows.len());
    for r in rows.iter() {
        keyed.push((metric(&r.metrics, name)?, r.index));
    }
    let value: HashMap<usize, Option<f64>> = keyed.into_iter().map(|(v, i)| (i, v)).collect();
    rows.sort_by(|a, b| {
        let (x, y) = (
            value.get(&a.index).copied().flatten(),
            value.get(&b.index).copied().flatten(),
        );
        match (x, y) {
            (Some(x), Some(y)) => y.total_cmp(&x).then(a.index.cmp(&b.index)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.index.cmp(&b.index),
        }
    });
    Ok(())
}

/// Re-runs one row in full (trades, equity, drawdown) for a closer look.
///
/// # Errors
/// Compile errors of the graph with these parameters.
pub fn rerun(graph: &Graph, bars: &Bars, row: &Row) -> Result<BacktestResult, SweepError> {
    let plan = crate::compile::compile(graph, &row.params)?;
    Ok(backtest::backtest(&plan, bars))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(uses_at: &[(usize, &[usize])]) -> NodeCache {
        let uses_at = uses_at.iter().map(|&(k, at)| (k, at.to_vec())).collect();
        NodeCache::new(usize::MAX, uses_at)
    }

    fn held(c: &NodeCache) -> Vec<usize> {
        let mut keys: Vec<usize> = c.entries.lock().unwrap().keys().copied().collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn a_node_no_running_or_later_combination_uses_is_dropped_before_the_next_is_computed() {
        // Node 1 serves positions 0 and 1, node 2 positions 1 and 3, node 3 positions 2 and 3.
        let c = cache(&[(1, &[0, 1]), (2, &[1, 3]), (3, &[2, 3])]);
        let next = AtomicUsize::new(0);
        let column = || vec![vec![0.0; 4]];
        assert_eq!(c.start(&next, 4), Some(0));
        c.get(1, column);
        c.finish(0);
        assert_eq!(c.start(&next, 4), Some(1));
        c.get(1, column);
        c.get(2, column);
        // Position 1 still runs on another thread while position 2 starts: node 1 stays.
        assert_eq!(c.start(&next, 4), Some(2));
        c.get(3, column);
        assert_eq!(held(&c), [1, 2, 3]);
        c.finish(1);
        c.finish(2);
        assert_eq!(c.start(&next, 4), Some(3));
        c.get(2, column);
        assert_eq!(held(&c), [1, 2, 3], "nothing new computed, nothing dropped");
        // A node computed now drops node 1, which no combination from position 3 on uses.
        c.get(4, column);
        assert_eq!(held(&c), [2, 3, 4]);
        assert_eq!(c.computed.load(Ordering::Relaxed), 4);
        assert_eq!(c.recomputed.load(Ordering::Relaxed), 0);
        c.finish(3);
        assert_eq!(c.start(&next, 4), None, "past the last position");
        assert!(c.running.lock().unwrap().is_empty());
    }
}
