//! A run's node outputs as series over its data, for the price chart's overlays and the
//! indicator panes below it: which outputs can be drawn, where each belongs by default
//! (over the prices or in a pane) and the levels the strategy compares it with.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use stratagraph_engine::catalog::{node_spec, Category, PortType};
use stratagraph_engine::compile::Plan;
use stratagraph_engine::eval::Evaluation;
use stratagraph_engine::graph::Graph;
use stratagraph_engine::Bars;

use crate::dto::IndicatorInfo;
use crate::error::{ApiResult, IpcError};
use crate::{datasets, parse_uuid, runs, Ctx};

/// Share of bars an output must lie within 20 % of the bar's range to go over the prices.
const OVERLAY_SHARE: f64 = 0.9;

/// What evaluating a run's graph needs: the graph, its plan with the run's parameters and
/// where the run's bars are.
pub(crate) struct RunGraph {
    pub graph: Graph,
    pub plan: Plan,
    pub bars_path: std::path::PathBuf,
}

/// A node output's values per bar and its levels, as drawn.
#[derive(Debug, Clone)]
pub(crate) struct Drawn {
    /// Legend label.
    pub label: String,
    /// One value per bar.
    pub values: Arc<Vec<f64>>,
    /// The constants the strategy compares it with.
    pub levels: Vec<f64>,
}

/// The node outputs drawn last, for one run at a time: zooming the price chart and its panes
/// reuses them instead of evaluating the graph again (a run never changes; holding one run's
/// few drawn series costs 8 bytes a bar each).
#[derive(Debug, Default)]
pub(crate) struct SeriesCache(Mutex<Option<(String, BTreeMap<String, Drawn>)>>);

impl SeriesCache {
    /// The outputs `keys` of `run`, when all of them are held.
    pub(crate) fn get(&self, run: &str, keys: &[String]) -> Option<Vec<Drawn>> {
        let held = self.0.lock().ok()?;
        let (id, map) = held.as_ref()?;
        if id != run {
            return None;
        }
        keys.iter().map(|k| map.get(k).cloned()).collect()
    }

    /// Keeps `drawn` for `run` (forgetting another run's).
    pub(crate) fn put(&self, run: &str, drawn: &[(String, Drawn)]) {
        let Ok(mut held) = self.0.lock() else {
            return;
        };
        if held.as_ref().is_none_or(|(id, _)| id != run) {
            *held = Some((run.to_owned(), BTreeMap::new()));
        }
        if let Some((_, map)) = held.as_mut() {
            for (k, d) in drawn {
                map.insert(k.clone(), d.clone());
            }
        }
    }
}

/// Loads the graph, plan and dataset path of `run_id`.
///
/// # Errors
///
/// `invalid` for a malformed id or graph, `not_found` for an unknown run or one that does
/// not name its dataset.
pub(crate) async fn run_graph(ctx: &Ctx, run_id: &str) -> ApiResult<RunGraph> {
    let id = parse_uuid("run", run_id)?;
    let run = ctx.store.get_run(id).await?;
    let version = ctx.store.get_version(run.strategy_version_id).await?;
    let summary = runs::detail(ctx, run_id, false).await?.summary;
    let dataset_id = summary
        .dataset_id
        .ok_or_else(|| IpcError::not_found("The run does not name its dataset"))?;
    let graph: Graph = serde_json::from_value(version.graph_json)
        .map_err(|e| IpcError::invalid(format!("The graph cannot be read: {e}")))?;
    let plan = stratagraph_engine::compile::compile(&graph, &summary.parameters)?;
    let bars_path = datasets::bars_file(ctx, &dataset_id)?;
    Ok(RunGraph {
        graph,
        plan,
        bars_path,
    })
}

/// Every node output of `plan` over `bars` (position-dependent ones included).
///
/// # Errors
///
/// `cancelled` never in practice (nothing sets the flag).
pub(crate) fn evaluate<'a>(plan: &Plan, bars: &'a Bars) -> ApiResult<Evaluation<'a>> {
    stratagraph_engine::feedback::evaluate_all(plan, bars, &AtomicBool::new(false), &mut |_| {})
        .map_err(|_| IpcError::cancelled("The evaluation"))
}

/// The key of an output in requests: `node.port`.
pub(crate) fn key(node: &str, port: &str) -> String {
    format!("{node}.{port}")
}

/// The name of an output in a legend: the node id, with the port when it is not `out`.
pub(crate) fn label(node: &str, port: &str) -> String {
    if port == "out" {
        node.to_owned()
    } else {
        key(node, port)
    }
}

/// The series of the output named `key` (`node.port`).
///
/// # Errors
///
/// `invalid` when the graph has no such output.
fn series(plan: &Plan, ev: &Evaluation<'_>, key: &str) -> ApiResult<Vec<f64>> {
    let (node, port) = key
        .rsplit_once('.')
        .ok_or_else(|| IpcError::invalid(format!("\"{key}\" is not a node output (node.port)")))?;
    plan.outputs
        .get(&(node.to_owned(), port.to_owned()))
        .and_then(|slot| ev.series(*slot))
        .map(|s| s.into_owned())
        .ok_or_else(|| IpcError::invalid(format!("The strategy has no output \"{key}\"")))
}

/// The numeric outputs worth drawing: not prices or parameters themselves, not true/false
/// signals and not orders, sorted by key.
fn drawable(graph: &Graph) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for node in &graph.nodes {
        let Some(spec) = node_spec(&node.kind) else {
            continue;
        };
        if spec.category == Category::Source || spec.is_sink() {
            continue;
        }
        for port in spec.outputs.iter().filter(|p| p.ty == PortType::Number) {
            out.push((node.id.clone(), port.name.to_owned()));
        }
    }
    out.sort();
    out
}

/// The single value of a series that never changes (a constant or a parameter on a wire),
/// or `None` when it changes or has no value.
fn constant(values: &[f64]) -> Option<f64> {
    let mut it = values.iter().copied().filter(|v| v.is_finite());
    let first = it.next()?;
    it.all(|v| v == first).then_some(first)
}

/// True when most of `values` lie within 20 % of each bar's low–high range: the series is
/// in price units (a moving average, a band) and belongs over the prices.
pub(crate) fn is_price_like(values: &[f64], low: &[f64], high: &[f64]) -> bool {
    let (mut inside, mut seen) = (0usize, 0usize);
    for ((&v, &lo), &hi) in values.iter().zip(low).zip(high) {
        if !(v.is_finite() && lo.is_finite() && hi.is_finite()) {
            continue;
        }
        seen += 1;
        if v >= lo * 0.8 && v <= hi * 1.2 {
            inside += 1;
        }
    }
    seen > 0 && inside as f64 >= OVERLAY_SHARE * seen as f64
}

/// The constants `node.port` is compared with: for each node it feeds, the values of that
/// node's other inputs that never change (RSI against 30 and 70). Sorted, without repeats.
fn levels(graph: &Graph, plan: &Plan, ev: &Evaluation<'_>, node: &str, port: &str) -> Vec<f64> {
    let mut found: Vec<f64> = Vec::new();
    for e in graph
        .edges
        .iter()
        .filter(|e| e.from == node && e.from_port == port)
    {
        for other in graph
            .edges
            .iter()
            .filter(|o| o.to == e.to && o.to_port != e.to_port && o.from != node)
        {
            let value = plan
                .outputs
                .get(&(other.from.clone(), other.from_port.clone()))
                .and_then(|slot| ev.series(*slot))
                .and_then(|s| constant(&s));
            if let Some(v) = value {
                if !found.contains(&v) {
                    found.push(v);
                }
            }
        }
    }
    found.sort_by(f64::total_cmp);
    found
}

/// What [`list`] says about each output, worked out from an evaluation.
fn describe(graph: &Graph, plan: &Plan, ev: &Evaluation<'_>, bars: &Bars) -> Vec<IndicatorInfo> {
    let mut out = Vec::new();
    for (node, port) in drawable(graph) {
        let Some(values) = plan
            .outputs
            .get(&(node.clone(), port.clone()))
            .and_then(|slot| ev.series(*slot))
        else {
            continue;
        };
        if !values.iter().any(|v| v.is_finite()) {
            continue;
        }
        out.push(IndicatorInfo {
            key: key(&node, &port),
            label: label(&node, &port),
            kind: graph
                .nodes
                .iter()
                .find(|n| n.id == node)
                .map(|n| n.kind.clone())
                .unwrap_or_default(),
            overlay: is_price_like(&values, bars.low(), bars.high()),
            levels: levels(graph, plan, ev, &node, &port),
        });
    }
    out
}

/// `runIndicators`: the node outputs of a run that the price chart can draw, each with where
/// it goes by default (`overlay`: over the prices, otherwise in a pane below) and its levels,
/// recomputed from the run's version, data and parameters.
///
/// # Errors
///
/// `invalid` for a malformed id, `not_found` for an unknown run or a deleted dataset.
pub async fn list(ctx: &Ctx, run_id: &str) -> ApiResult<Vec<IndicatorInfo>> {
    let rg = run_graph(ctx, run_id).await?;
    tokio::task::spawn_blocking(move || {
        let bars = datasets::load_file(&rg.bars_path)?;
        let ev = evaluate(&rg.plan, &bars)?;
        Ok(describe(&rg.graph, &rg.plan, &ev, &bars))
    })
    .await
    .unwrap_or_else(|e| Err(IpcError::io("The evaluation stopped unexpectedly", e)))
}

/// The requested outputs of an evaluation with their levels, once each, in the order asked.
///
/// # Errors
///
/// `invalid` for an output the graph does not have.
pub(crate) fn picked(
    rg: &RunGraph,
    ev: &Evaluation<'_>,
    keys: &[String],
) -> ApiResult<Vec<(String, Drawn)>> {
    let mut out: Vec<(String, Drawn)> = Vec::new();
    for k in keys {
        if out.iter().any(|(seen, _)| seen == k) {
            continue;
        }
        let values = series(&rg.plan, ev, k)?;
        let (node, port) = k.rsplit_once('.').unwrap_or((k.as_str(), "out"));
        out.push((
            k.clone(),
            Drawn {
                label: label(node, port),
                values: Arc::new(values),
                levels: levels(&rg.graph, &rg.plan, ev, node, port),
            },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_holds_one_run_and_answers_only_when_it_has_everything() {
        let cache = SeriesCache::default();
        let d = |v: f64| Drawn {
            label: "x".into(),
            values: Arc::new(vec![v]),
            levels: vec![],
        };
        let keys = |k: &[&str]| k.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(cache.get("r1", &keys(&["a.out"])).is_none());
        cache.put("r1", &[("a.out".into(), d(1.0))]);
        cache.put("r1", &[("b.out".into(), d(2.0))]);
        let both = cache.get("r1", &keys(&["b.out", "a.out"])).unwrap();
        assert_eq!((both[0].values[0], both[1].values[0]), (2.0, 1.0));
        assert!(cache.get("r1", &keys(&["a.out", "c.out"])).is_none());
        assert!(cache.get("r2", &keys(&["a.out"])).is_none());
        // Another run replaces the first.
        cache.put("r2", &[("a.out".into(), d(3.0))]);
        assert!(cache.get("r1", &keys(&["a.out"])).is_none());
        assert_eq!(
            cache.get("r2", &keys(&["a.out"])).unwrap()[0].values[0],
            3.0
        );
    }

    #[test]
    fn constants_and_price_units_are_recognised() {
        assert_eq!(constant(&[f64::NAN, 30.0, 30.0]), Some(30.0));
        assert_eq!(constant(&[30.0, 31.0]), None);
        assert_eq!(constant(&[f64::NAN]), None);
        let low = [99.0, 100.0, 101.0];
        let high = [101.0, 102.0, 103.0];
        // An SMA near the prices goes over them; an RSI around 50 does not.
        assert!(is_price_like(&[f64::NAN, 100.5, 101.0], &low, &high));
        assert!(!is_price_like(&[45.0, 50.0, 55.0], &low, &high));
        assert!(!is_price_like(&[f64::NAN; 3], &low, &high));
    }
}
