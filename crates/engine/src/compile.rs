//! The compiler: a validated graph and parameter values become an execution plan of steps in
//! topological order over numbered value slots. Identical sub-graphs share one slot.

use std::collections::{BTreeMap, HashMap};

use petgraph::graph::DiGraph;
use serde_json::Value;

use crate::bars::Column;
use crate::catalog::{node_spec, ParamSpec};
use crate::graph::{DeclType, Graph, Settings};
use crate::kernels::{library_op, Kernel, LibraryOp, PositionField};
use crate::validate::{
    self, check_number, num_value, size_amount, size_value, NumValue, Problem, SizeValue,
};

/// Why a graph could not be compiled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompileError {
    /// The graph has validation problems.
    #[error("the graph is invalid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    /// A value was given for a parameter the graph does not declare.
    #[error("unknown parameter \"{0}\" (declared: {1})")]
    UnknownParameter(String, String),
    /// A parameter value breaks its declaration or the range of a param it is bound to.
    #[error("parameter \"{name}\" = {value}: {reason}")]
    BadParameterValue {
        /// The parameter.
        name: String,
        /// The offending value.
        value: f64,
        /// What is wrong.
        reason: String,
    },
}

/// Index of a value slot in a plan.
pub type Slot = usize;

/// A binary arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathOp {
    /// a + b
    Add,
    /// a - b
    Sub,
    /// a * b
    Mul,
    /// a / b, missing where b is 0
    Div,
    /// min(a, b)
    Min,
    /// max(a, b)
    Max,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// a > b
    Gt,
    /// a < b
    Lt,
    /// a >= b
    Ge,
    /// a <= b
    Le,
}

/// One operation of a plan, reading earlier slots.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A column of the bars.
    Column(Column),
    /// A number for the whole run.
    Const(f64),
    /// Simple moving average.
    Sma(Slot, usize),
    /// Exponential moving average.
    Ema(Slot, usize),
    /// Weighted moving average.
    Wma(Slot, usize),
    /// Wilder RSI.
    Rsi(Slot, usize),
    /// MACD line, signal, histogram.
    Macd(Slot, usize, usize, usize),
    /// Bollinger upper, middle, lower.
    Bollinger(Slot, usize, f64),
    /// Wilder ATR of the bars.
    Atr(usize),
    /// Slow stochastic %K and %D of the bars.
    Stochastic(usize, usize, usize),
    /// Rate of change in percent.
    Roc(Slot, usize),
    /// Rolling population standard deviation.
    Stddev(Slot, usize),
    /// Rolling maximum.
    Highest(Slot, usize),
    /// Rolling minimum.
    Lowest(Slot, usize),
    /// On-balance volume of the bars.
    Obv,
    /// Rolling VWAP of the bars.
    Vwap(usize),
    /// Arithmetic.
    Math(MathOp, Slot, Slot),
    /// Absolute value.
    Abs(Slot),
    /// Comparison.
    Cmp(CmpOp, Slot, Slot),
    /// a crosses above b.
    CrossAbove(Slot, Slot),
    /// a crosses below b.
    CrossBelow(Slot, Slot),
    /// Input above each of its previous n values.
    Rising(Slot, usize),
    /// Input below each of its previous n values.
    Falling(Slot, usize),
    /// Bars since the input was last true.
    BarsSince(Slot),
    /// Logical and.
    And(Slot, Slot),
    /// Logical or.
    Or(Slot, Slot),
    /// Logical not.
    Not(Slot),
    /// A node of the library (indicators, patterns, time filters, higher timeframes) over its
    /// input slots.
    Kernel(Kernel, Vec<Slot>),
    /// The account's position, read bar by bar (see `kernels::position`).
    Position(PositionField),
}

impl Op {
    /// The operation with its input slots replaced through `f`.
    pub fn map_inputs(&self, f: impl Fn(Slot) -> Slot) -> Op {
        let mut op = self.clone();
        match &mut op {
            Op::Column(_)
            | Op::Const(_)
            | Op::Atr(_)
            | Op::Stochastic(..)
            | Op::Obv
            | Op::Vwap(_)
            | Op::Position(_) => {}
            Op::Kernel(_, xs) => xs.iter_mut().for_each(|x| *x = f(*x)),
            Op::Sma(x, _)
            | Op::Ema(x, _)
            | Op::Wma(x, _)
            | Op::Rsi(x, _)
            | Op::Macd(x, ..)
            | Op::Bollinger(x, ..)
            | Op::Roc(x, _)
            | Op::Stddev(x, _)
            | Op::Highest(x, _)
            | Op::Lowest(x, _)
            | Op::Abs(x)
            | Op::Rising(x, _)
            | Op::Falling(x, _)
            | Op::BarsSince(x)
            | Op::Not(x) => *x = f(*x),
            Op::Math(_, a, b)
            | Op::Cmp(_, a, b)
            | Op::CrossAbove(a, b)
            | Op::CrossBelow(a, b)
            | Op::And(a, b)
            | Op::Or(a, b) => {
                *a = f(*a);
                *b = f(*b);
            }
        }
        op
    }

    /// The slots the operation reads.
    pub fn inputs(&self) -> Vec<Slot> {
        let seen = std::cell::RefCell::new(Vec::new());
        self.map_inputs(|s| {
            seen.borrow_mut().push(s);
            s
        });
        seen.into_inner()
    }
}

/// A step: an operation and the slots its outputs go to (in catalog output order).
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What to compute.
    pub op: Op,
    /// Where each output goes.
    pub outputs: Vec<Slot>,
}

/// How big an entry is.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Size {
    /// A fraction (0, 1] of available cash.
    EquityFraction(f64),
    /// A fixed number of units.
    Units(f64),
}

/// An entry order: fires at the close of each bar where `when` is true.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The node id.
    pub node: String,
    /// Boolean slot.
    pub when: Slot,
    /// Order size.
    pub size: Size,
}

/// Protective exits for one side, as fractions (0.05 = 5%).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Stops {
    /// Stop-loss distance below (long) / above (short) the entry price.
    pub stop_loss: Option<f64>,
    /// Take-profit distance above (long) / below (short) the entry price.
    pub take_profit: Option<f64>,
    /// Trailing distance from the best price since entry.
    pub trailing: Option<f64>,
}

/// A compiled strategy: steps in dependency order, orders, stops and settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Steps in topological order.
    pub steps: Vec<Step>,
    /// Number of slots the steps write.
    pub slots: usize,
    /// Long entries, in node id order (the first that fires sizes the order).
    pub enter_long: Vec<Entry>,
    /// Short entries, in node id order.
    pub enter_short: Vec<Entry>,
    /// Long exit signals.
    pub exit_long: Vec<Slot>,
    /// Short exit signals.
    pub exit_short: Vec<Slot>,
    /// Stops for long positions.
    pub long_stops: Stops,
    /// Stops for short positions.
    pub short_stops: Stops,
    /// Account and cost settings.
    pub settings: Settings,
    /// The parameter values this plan was built with, by name.
    pub params: BTreeMap<String, f64>,
    /// BLAKE3 of the graph's canonical JSON (editor layout excluded).
    pub graph_hash: [u8; 32],
    /// Which slot holds each node output, keyed by (node id, port).
    pub outputs: HashMap<(String, String), Slot>,
}

/// Resolves parameter values: declared defaults overridden by `overrides`, each checked
/// against its declaration.
///
/// # Errors
/// An unknown name, a non-integer value for an int parameter, or a value outside [min, max].
pub fn resolve_params(
    graph: &Graph,
    overrides: &BTreeMap<String, f64>,
) -> Result<BTreeMap<String, f64>, CompileError> {
    for name in overrides.keys() {
        if graph.parameter(name).is_none() {
            let declared: Vec<&str> = graph.parameters.iter().map(|d| d.name.as_str()).collect();
            let list = if declared.is_empty() {
                "none".to_string()
            } else {
                declared.join(", ")
            };
            return Err(CompileError::UnknownParameter(name.clone(), list));
        }
    }
    let mut out = BTreeMap::new();
    for d in &graph.parameters {
        let value = overrides.get(&d.name).copied().unwrap_or(d.default);
        let bad = |reason: String| CompileError::BadParameterValue {
            name: d.name.clone(),
            value,
            reason,
        };
        if !value.is_finite() {
            return Err(bad("must be a finite number".into()));
        }
        if d.ty == DeclType::Int && value.fract() != 0.0 {
            return Err(bad("must be a whole number".into()));
        }
        if let Some(min) = d.min.filter(|&m| value < m) {
            return Err(bad(format!("below the declared minimum {min}")));
        }
        if let Some(max) = d.max.filter(|&m| value > m) {
            return Err(bad(format!("above the declared maximum {max}")));
        }
        out.insert(d.name.clone(), value);
    }
    Ok(out)
}

/// Validates `doc` and compiles it with the given parameter overrides.
///
/// # Errors
/// [`CompileError::Invalid`] with every validation problem, or a bad parameter value.
pub fn compile_json(doc: &Value, overrides: &BTreeMap<String, f64>) -> Result<Plan, CompileError> {
    let v = validate::validate(doc);
    if !v.is_valid() {
        return Err(CompileError::Invalid(v.problems));
    }
    compile(&v.graph, overrides)
}

/// Compiles a graph with the given parameter overrides.
///
/// # Errors
/// [`CompileError::Invalid`] with every validation problem, or a bad parameter value.
pub fn compile(graph: &Graph, overrides: &BTreeMap<String, f64>) -> Result<Plan, CompileError> {
    let problems = validate::check(graph);
    if !problems.is_empty() {
        return Err(CompileError::Invalid(problems));
    }
    compile_checked(graph, overrides)
}

/// Compiles a graph that [`validate::check`] already passed (sweeps compile one graph many
/// times and check it once).
pub(crate) fn compile_checked(
    graph: &Graph,
    overrides: &BTreeMap<String, f64>,
) -> Result<Plan, CompileError> {
    // Compile the canonical form, so the order of the lists changes neither the steps nor
    // which of several entries that fire together sizes the order (the smallest id does).
    let sorted;
    let graph = if graph.is_canonical() {
        graph
    } else {
        sorted = graph.canonical();
        &sorted
    };
    let params = resolve_params(graph, overrides)?;

    let index: HashMap<&str, usize> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut dag: DiGraph<usize, ()> = DiGraph::new();
    let ix: Vec<_> = (0..graph.nodes.len()).map(|i| dag.add_node(i)).collect();
    // Input feeds: (node, port) -> (source node, source port).
    let mut feeds: HashMap<(usize, &str), (usize, &str)> = HashMap::new();
    for e in &graph.edges {
        if let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) {
            dag.add_edge(ix[a], ix[b], ());
            feeds.insert((b, e.to_port.as_str()), (a, e.from_port.as_str()));
        }
    }
    let order = petgraph::algo::toposort(&dag, None).map_err(|c| {
        let id = graph.nodes[dag[c.node_id()]].id.clone();
        CompileError::Invalid(vec![Problem {
            code: validate::ProblemCode::Cycle,
            node: Some(id),
            port: None,
            param: None,
            message: "is part of a cycle".into(),
        }])
    })?;

    let mut b = Builder {
        steps: vec![],
        slots: 0,
        memo: HashMap::new(),
    };
    let mut outputs: HashMap<(String, String), Slot> = HashMap::new();
    let mut plan_orders = Orders::default();
    for n in order {
        let i = dag[n];
        let node = &graph.nodes[i];
        let Some(spec) = node_spec(&node.kind) else {
            continue;
        };
        let input = |port: &str| -> Slot {
            feeds
                .get(&(i, port))
                .and_then(|(src, sp)| outputs.get(&(graph.nodes[*src].id.clone(), sp.to_string())))
                .copied()
                .unwrap_or(usize::MAX)
        };
        let num = |name: &str| -> Result<f64, CompileError> { node_num(graph, i, name, &params) };
        let int = |name: &str| -> Result<usize, CompileError> { Ok(num(name)? as usize) };
        let op = match node.kind.as_str() {
            "source.open" => Some(Op::Column(Column::Open)),
            "source.high" => Some(Op::Column(Column::High)),
            "source.low" => Some(Op::Column(Column::Low)),
            "source.close" => Some(Op::Column(Column::Close)),
            "source.volume" => Some(Op::Column(Column::Volume)),
            "source.constant" => Some(Op::Const(num("value")?)),
            "source.param" => {
                let name = node
                    .params
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Some(Op::Const(params.get(name).copied().unwrap_or(f64::NAN)))
            }
            "indicator.sma" => Some(Op::Sma(input("in"), int("period")?)),
            "indicator.ema" => Some(Op::Ema(input("in"), int("period")?)),
            "indicator.wma" => Some(Op::Wma(input("in"), int("period")?)),
            "indicator.rsi" => Some(Op::Rsi(input("in"), int("period")?)),
            "indicator.macd" => Some(Op::Macd(
                input("in"),
                int("fast")?,
                int("slow")?,
                int("signal")?,
            )),
            "indicator.bollinger" => Some(Op::Bollinger(input("in"), int("period")?, num("k")?)),
            "indicator.atr" => Some(Op::Atr(int("period")?)),
            "indicator.stochastic" => Some(Op::Stochastic(
                int("k_period")?,
                int("k_smooth")?,
                int("d_period")?,
            )),
            "indicator.roc" => Some(Op::Roc(input("in"), int("period")?)),
            "indicator.stddev" => Some(Op::Stddev(input("in"), int("period")?)),
            "indicator.highest" => Some(Op::Highest(input("in"), int("period")?)),
            "indicator.lowest" => Some(Op::Lowest(input("in"), int("period")?)),
            "indicator.obv" => Some(Op::Obv),
            "indicator.vwap" => Some(Op::Vwap(int("period")?)),
            "math.add" => Some(Op::Math(MathOp::Add, input("a"), input("b"))),
            "math.subtract" => Some(Op::Math(MathOp::Sub, input("a"), input("b"))),
            "math.multiply" => Some(Op::Math(MathOp::Mul, input("a"), input("b"))),
            "math.divide" => Some(Op::Math(MathOp::Div, input("a"), input("b"))),
            "math.min" => Some(Op::Math(MathOp::Min, input("a"), input("b"))),
            "math.max" => Some(Op::Math(MathOp::Max, input("a"), input("b"))),
            "math.abs" => Some(Op::Abs(input("in"))),
            "compare.gt" => Some(Op::Cmp(CmpOp::Gt, input("a"), input("b"))),
            "compare.lt" => Some(Op::Cmp(CmpOp::Lt, input("a"), input("b"))),
            "compare.ge" => Some(Op::Cmp(CmpOp::Ge, input("a"), input("b"))),
            "compare.le" => Some(Op::Cmp(CmpOp::Le, input("a"), input("b"))),
            "signal.cross_above" => Some(Op::CrossAbove(input("a"), input("b"))),
            "signal.cross_below" => Some(Op::CrossBelow(input("a"), input("b"))),
            "signal.rising" => Some(Op::Rising(input("in"), int("period")?)),
            "signal.falling" => Some(Op::Falling(input("in"), int("period")?)),
            "signal.bars_since" => Some(Op::BarsSince(input("in"))),
            "logic.and" => Some(Op::And(input("a"), input("b"))),
            "logic.or" => Some(Op::Or(input("a"), input("b"))),
            "logic.not" => Some(Op::Not(input("in"))),
            kind => {
                let text = |name: &str| -> String {
                    node.params
                        .get(name)
                        .and_then(Value::as_str)
                        .or_else(|| spec.param(name).and_then(|p| p.default.as_str()))
                        .unwrap_or_default()
                        .to_string()
                };
                match library_op(kind, &num, &text)? {
                    Some(LibraryOp::Kernel(k)) => {
                        let ins = spec.inputs.iter().map(|p| input(p.name)).collect();
                        Some(Op::Kernel(k, ins))
                    }
                    Some(LibraryOp::Position(f)) => Some(Op::Position(f)),
                    None => None,
                }
            }
        };
        if let Some(op) = op {
            let slots = b.push(op, spec.outputs.len());
            for (p, s) in spec.outputs.iter().zip(slots) {
                outputs.insert((node.id.clone(), p.name.to_string()), s);
            }
            continue;
        }
        // Sinks.
        match node.kind.as_str() {
            "order.enter_long" | "order.enter_short" => {
                let entry = Entry {
                    node: node.id.clone(),
                    when: input("when"),
                    size: node_size(graph, i, &params)?,
                };
                if node.kind == "order.enter_long" {
                    plan_orders.enter_long.push(entry);
                } else {
                    plan_orders.enter_short.push(entry);
                }
            }
            "order.exit_long" => plan_orders.exit_long.push(input("when")),
            "order.exit_short" => plan_orders.exit_short.push(input("when")),
            "risk.stop_loss" | "risk.take_profit" | "risk.trailing_stop" => {
                let pct = num("pct")? / 100.0;
                let side = node
                    .params
                    .get("side")
                    .and_then(Value::as_str)
                    .unwrap_or("both");
                for (applies, stops) in [
                    (side != "short", &mut plan_orders.long_stops),
                    (side != "long", &mut plan_orders.short_stops),
                ] {
                    if !applies {
                        continue;
                    }
                    let slot = match node.kind.as_str() {
                        "risk.stop_loss" => &mut stops.stop_loss,
                        "risk.take_profit" => &mut stops.take_profit,
                        _ => &mut stops.trailing,
                    };
                    // Several nodes of one kind: the tightest wins.
                    *slot = Some(slot.map_or(pct, |p: f64| p.min(pct)));
                }
            }
            _ => {}
        }
    }
    // Entries in id order (the graph is canonical here): the smallest id sizes the order
    // when several fire.
    let pos = |id: &str| index.get(id).copied().unwrap_or(usize::MAX);
    plan_orders.enter_long.sort_by_key(|e| pos(&e.node));
    plan_orders.enter_short.sort_by_key(|e| pos(&e.node));

    Ok(Plan {
        steps: b.steps,
        slots: b.slots,
        enter_long: plan_orders.enter_long,
        enter_short: plan_orders.enter_short,
        exit_long: plan_orders.exit_long,
        exit_short: plan_orders.exit_short,
        long_stops: plan_orders.long_stops,
        short_stops: plan_orders.short_stops,
        settings: graph.settings.clone(),
        params,
        graph_hash: *blake3::hash(&graph.canonical_json()).as_bytes(),
        outputs,
    })
}

#[derive(Default)]
struct Orders {
    enter_long: Vec<Entry>,
    enter_short: Vec<Entry>,
    exit_long: Vec<Slot>,
    exit_short: Vec<Slot>,
    long_stops: Stops,
    short_stops: Stops,
}

struct Builder {
    steps: Vec<Step>,
    slots: usize,
    /// Common-subexpression table: an op already planned gives its slots again.
    memo: HashMap<String, Vec<Slot>>,
}

impl Builder {
    fn push(&mut self, op: Op, n_out: usize) -> Vec<Slot> {
        let key = format!("{op:?}");
        if let Some(slots) = self.memo.get(&key) {
            return slots.clone();
        }
        let outputs: Vec<Slot> = (self.slots..self.slots + n_out).collect();
        self.slots += n_out;
        self.memo.insert(key, outputs.clone());
        self.steps.push(Step {
            op,
            outputs: outputs.clone(),
        });
        outputs
    }
}

fn bad_value(graph: &Graph, node: usize, param: &str, msg: String) -> CompileError {
    let id = &graph.nodes[node].id;
    CompileError::Invalid(vec![Problem {
        code: validate::ProblemCode::OutOfRange,
        node: Some(id.clone()),
        port: None,
        param: Some(param.to_string()),
        message: format!("param \"{param}\": {msg}"),
    }])
}

fn resolve_num(
    graph: &Graph,
    node: usize,
    spec: &ParamSpec,
    n: &NumValue,
    params: &BTreeMap<String, f64>,
) -> Result<f64, CompileError> {
    let x = match n {
        NumValue::Lit(x) => *x,
        NumValue::Param(name) => params.get(name).copied().unwrap_or(f64::NAN),
    };
    check_number(spec, x).map_err(|(_, msg)| bad_value(graph, node, spec.name, msg))?;
    Ok(x)
}

fn node_num(
    graph: &Graph,
    node: usize,
    name: &str,
    params: &BTreeMap<String, f64>,
) -> Result<f64, CompileError> {
    let n = &graph.nodes[node];
    let spec = node_spec(&n.kind).and_then(|s| s.param(name));
    let Some(spec) = spec else {
        return Err(bad_value(
            graph,
            node,
            name,
            "is not a param of this node".into(),
        ));
    };
    let raw = n.params.get(name).unwrap_or(&spec.default);
    let Some(v) = num_value(raw) else {
        return Err(bad_value(
            graph,
            node,
            name,
            format!("expected a number, got {raw}"),
        ));
    };
    resolve_num(graph, node, spec, &v, params)
}

fn node_size(
    graph: &Graph,
    node: usize,
    params: &BTreeMap<String, f64>,
) -> Result<Size, CompileError> {
    let n = &graph.nodes[node];
    let default = serde_json::json!({"equity_fraction": 1.0});
    let raw = n.params.get("size").unwrap_or(&default);
    let Some(size) = size_value(raw) else {
        return Err(bad_value(
            graph,
            node,
            "size",
            format!("unreadable size {raw}"),
        ));
    };
    let (spec, amount) = size_amount(&size);
    let x = resolve_num(graph, node, &spec, amount, params)?;
    Ok(match size {
        SizeValue::EquityFraction(_) => Size::EquityFraction(x),
        SizeValue::Units(_) => Size::Units(x),
    })
}
