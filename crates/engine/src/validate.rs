//! Graph validation: every problem in a graph document, each tied to its node (and port or
//! param), all reported at once. Never panics, whatever JSON it is given.

use std::collections::HashMap;
use std::fmt;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Dfs, Reversed};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::{node_spec, NodeSpec, ParamSpec, ParamType};
use crate::graph::{
    Comment, DeclType, Edge, Graph, Node, ParamDecl, Settings, MAX_COMMENTS, MAX_NOTE_CHARS,
    SCHEMA_VERSION,
};

/// What kind of problem a [`Problem`] is; the editor switches on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// The document is not shaped like a graph (wrong JSON types, missing fields).
    Malformed,
    /// `schema` is missing or not a version this build reads.
    Schema,
    /// Two nodes share an id, or an id is empty.
    DuplicateId,
    /// A node's kind is not in the catalog.
    UnknownKind,
    /// An edge names a node that does not exist.
    UnknownNode,
    /// An edge names a port the node does not have.
    UnknownPort,
    /// An edge joins ports of incompatible types.
    TypeMismatch,
    /// A required input has no edge.
    DanglingInput,
    /// An input has more than one edge.
    MultipleInputs,
    /// The node is part of a cycle.
    Cycle,
    /// A param is not one the node kind has.
    UnknownParam,
    /// A param has the wrong type.
    InvalidParam,
    /// A param is outside its allowed range.
    OutOfRange,
    /// A `$param` binding (or parameter node) names no declared parameter.
    UnboundParam,
    /// The node's output reaches no order node.
    Unused,
    /// The graph has no entry order.
    NoEntry,
    /// A strategy parameter declaration is invalid.
    BadParameter,
    /// A setting is invalid.
    BadSetting,
    /// The graph has more nodes or edges than a graph may have ([`MAX_NODES`], [`MAX_EDGES`]).
    TooLarge,
    /// A node note or comment frame is invalid (too long, a duplicate id, a place that is
    /// not a finite number).
    BadComment,
}

/// The most nodes a graph may have. Every node's series is a column as long as the data, so
/// a larger graph would need more memory than a desktop has for ordinary data sets.
pub const MAX_NODES: usize = 100_000;
/// The most edges a graph may have.
pub const MAX_EDGES: usize = 400_000;
/// The largest starting cash. An `f64` holds 15 to 16 significant digits, so equity up to
/// 1e12 (and the gains on it) stays exact to the cent.
pub const MAX_CASH: f64 = 1e12;

/// One problem, located at a node (and port or param) wherever it belongs to one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// What kind of problem.
    pub code: ProblemCode,
    /// The node it belongs to; `None` for problems of the whole graph.
    pub node: Option<String>,
    /// The port, for wiring problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// The node param (or strategy parameter / setting), for value problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            self.node.as_deref().unwrap_or("graph"),
            self.message
        )
    }
}

impl Problem {
    fn at(code: ProblemCode, node: &str, message: String) -> Self {
        Problem {
            code,
            node: Some(node.to_string()),
            port: None,
            param: None,
            message,
        }
    }
    fn graph(code: ProblemCode, message: String) -> Self {
        Problem {
            code,
            node: None,
            port: None,
            param: None,
            message,
        }
    }
    fn port(mut self, port: &str) -> Self {
        self.port = Some(port.to_string());
        self
    }
    fn param(mut self, param: &str) -> Self {
        self.param = Some(param.to_string());
        self
    }
}

/// A numeric param value: a literal or a binding to a strategy parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NumValue {
    Lit(f64),
    Param(String),
}

/// Reads `5`, `5.0` or `{"$param": "name"}`.
pub(crate) fn num_value(v: &Value) -> Option<NumValue> {
    if let Some(x) = v.as_f64() {
        return Some(NumValue::Lit(x));
    }
    let obj = v.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    obj.get("$param")?
        .as_str()
        .map(|s| NumValue::Param(s.to_string()))
}

/// An order size with its amount possibly bound to a parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SizeValue {
    EquityFraction(NumValue),
    Units(NumValue),
}

pub(crate) fn size_value(v: &Value) -> Option<SizeValue> {
    let obj = v.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    if let Some(f) = obj.get("equity_fraction") {
        return num_value(f).map(SizeValue::EquityFraction);
    }
    obj.get("units").and_then(num_value).map(SizeValue::Units)
}

/// The amount of a size as a float param with its range: (0, 1] for fractions, (0, 1e12]
/// for units; and the amount itself.
pub(crate) fn size_amount(size: &SizeValue) -> (ParamSpec, &NumValue) {
    let (name, max, amount) = match size {
        SizeValue::EquityFraction(n) => ("equity_fraction", 1.0, n),
        SizeValue::Units(n) => ("units", 1e12, n),
    };
    let spec = ParamSpec {
        name,
        ty: ParamType::Float,
        default: Value::Null,
        min: Some(f64::MIN_POSITIVE),
        max: Some(max),
        help: "",
    };
    (spec, amount)
}

/// Checks a number against a node param's type and range; the reason when it fails.
pub(crate) fn check_number(spec: &ParamSpec, x: f64) -> Result<(), (ProblemCode, String)> {
    use crate::numfmt::human;
    if !x.is_finite() {
        return Err((
            ProblemCode::InvalidParam,
            format!("must be a finite number, got {x}"),
        ));
    }
    if spec.ty == ParamType::Int && x.fract() != 0.0 {
        return Err((
            ProblemCode::InvalidParam,
            format!("must be a whole number, got {}", human(x)),
        ));
    }
    if let Some(min) = spec.min {
        // Sizes are "above zero": their minimum is the smallest positive double, which
        // would print as 300 digits.
        if min == f64::MIN_POSITIVE && x < min {
            return Err((
                ProblemCode::OutOfRange,
                format!("must be greater than 0, got {}", human(x)),
            ));
        }
        if x < min {
            return Err((
                ProblemCode::OutOfRange,
                format!("{} is below the minimum {}", human(x), human(min)),
            ));
        }
    }
    if let Some(max) = spec.max {
        if x > max {
            return Err((
                ProblemCode::OutOfRange,
                format!("{} is above the maximum {}", human(x), human(max)),
            ));
        }
    }
    Ok(())
}

/// The outcome of validating a document: the graph as far as it could be read, and every
/// problem found. The graph is ready to compile exactly when `problems` is empty.
#[derive(Debug, Clone)]
pub struct Validation {
    /// The graph, with unreadable nodes, edges and parameters left out.
    pub graph: Graph,
    /// Every problem found, in document order.
    pub problems: Vec<Problem>,
}

impl Validation {
    /// True when there are no problems.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Validates any JSON document as a strategy graph.
pub fn validate(doc: &Value) -> Validation {
    let mut problems = Vec::new();
    let graph = read_lenient(doc, &mut problems);
    if !problems.iter().any(|x| x.code == ProblemCode::TooLarge) {
        problems.extend(check(&graph));
    }
    Validation { graph, problems }
}

/// Validates an already typed graph.
pub fn check(graph: &Graph) -> Vec<Problem> {
    let mut p = Vec::new();
    if graph.schema != SCHEMA_VERSION {
        p.push(Problem::graph(
            ProblemCode::Schema,
            format!(
                "schema {} is not supported (expected {SCHEMA_VERSION})",
                graph.schema
            ),
        ));
    }
    for (what, n, limit) in [
        ("nodes", graph.nodes.len(), MAX_NODES),
        ("edges", graph.edges.len(), MAX_EDGES),
    ] {
        if n > limit {
            p.push(too_large(what, n, limit));
            return p;
        }
    }
    check_settings(&graph.settings, &mut p);
    check_lesson(graph, &mut p);
    let decls = check_decls(&graph.parameters, &mut p);

    // Nodes: ids, kinds, params.
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut specs: Vec<Option<&'static NodeSpec>> = Vec::with_capacity(graph.nodes.len());
    for (i, node) in graph.nodes.iter().enumerate() {
        if node.id.trim().is_empty() {
            p.push(Problem::graph(
                ProblemCode::DuplicateId,
                format!("node #{i} has an empty id"),
            ));
        } else if index.insert(&node.id, i).is_some() {
            p.push(Problem::at(
                ProblemCode::DuplicateId,
                &node.id,
                format!("id \"{}\" is used by more than one node", node.id),
            ));
        }
        let spec = node_spec(&node.kind);
        if spec.is_none() {
            p.push(Problem::at(
                ProblemCode::UnknownKind,
                &node.id,
                format!("unknown node kind \"{}\"", node.kind),
            ));
        }
        specs.push(spec);
        if let Some(spec) = spec {
            check_params(node, spec, &decls, &mut p);
        }
    }

    // Edges: endpoints, ports, types, one edge per input.
    let mut g: DiGraph<usize, ()> = DiGraph::with_capacity(graph.nodes.len(), graph.edges.len());
    let ix: Vec<NodeIndex> = (0..graph.nodes.len()).map(|i| g.add_node(i)).collect();
    let mut fed: HashMap<(usize, &str), usize> = HashMap::new();
    for e in &graph.edges {
        let (from, to) = (
            index.get(e.from.as_str()).copied(),
            index.get(e.to.as_str()).copied(),
        );
        // Blame the endpoint that exists, so the editor can mark it.
        for (end, id, other, other_port) in [
            (from, &e.from, &e.to, &e.to_port),
            (to, &e.to, &e.from, &e.from_port),
        ] {
            if end.is_none() {
                let other_exists = index.contains_key(other.as_str());
                let msg = format!(
                    "edge {} refers to node \"{id}\", which does not exist",
                    edge_text(e)
                );
                let problem = Problem::at(
                    ProblemCode::UnknownNode,
                    if other_exists { other } else { id },
                    msg,
                );
                p.push(if other_exists {
                    problem.port(other_port)
                } else {
                    problem
                });
            }
        }
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        let out = specs[from].map(|s| s.output(&e.from_port));
        let inp = specs[to].map(|s| s.input(&e.to_port));
        if let Some(None) = out {
            p.push(
                Problem::at(
                    ProblemCode::UnknownPort,
                    &e.from,
                    format!(
                        "has no output port \"{}\" (edge {})",
                        e.from_port,
                        edge_text(e)
                    ),
                )
                .port(&e.from_port),
            );
        }
        if let Some(None) = inp {
            p.push(
                Problem::at(
                    ProblemCode::UnknownPort,
                    &e.to,
                    format!(
                        "has no input port \"{}\" (edge {})",
                        e.to_port,
                        edge_text(e)
                    ),
                )
                .port(&e.to_port),
            );
        }
        if let (Some(Some(o)), Some(Some(i))) = (out, inp) {
            if !o.ty.feeds(i.ty) {
                p.push(
                    Problem::at(
                        ProblemCode::TypeMismatch,
                        &e.to,
                        format!(
                            "input \"{}\" takes {} but {}.{} gives {}",
                            e.to_port,
                            i.ty.name(),
                            e.from,
                            e.from_port,
                            o.ty.name()
                        ),
                    )
                    .port(&e.to_port),
                );
            }
            let n = fed.entry((to, e.to_port.as_str())).or_insert(0);
            *n += 1;
            if *n == 2 {
                p.push(
                    Problem::at(
                        ProblemCode::MultipleInputs,
                        &e.to,
                        format!("input \"{}\" has more than one edge", e.to_port),
                    )
                    .port(&e.to_port),
                );
            }
        }
        g.add_edge(ix[from], ix[to], ());
    }

    // Dangling inputs.
    for (i, node) in graph.nodes.iter().enumerate() {
        if let Some(spec) = specs[i] {
            for input in &spec.inputs {
                if !fed.contains_key(&(i, input.name)) {
                    p.push(
                        Problem::at(
                            ProblemCode::DanglingInput,
                            &node.id,
                            format!("input \"{}\" is not connected", input.name),
                        )
                        .port(input.name),
                    );
                }
            }
        }
    }

    // Cycles. Kosaraju's algorithm walks the graph with explicit stacks, so a chain of any
    // length cannot overflow the call stack (petgraph's tarjan_scc recurses once per node).
    for scc in petgraph::algo::kosaraju_scc(&g) {
        let cyclic = scc.len() > 1 || scc.first().is_some_and(|&n| g.contains_edge(n, n));
        if !cyclic {
            continue;
        }
        let mut members: Vec<usize> = scc.iter().map(|&n| g[n]).collect();
        members.sort_unstable();
        let names: Vec<&str> = members
            .iter()
            .map(|&i| graph.nodes[i].id.as_str())
            .collect();
        for &i in &members {
            p.push(Problem::at(
                ProblemCode::Cycle,
                &graph.nodes[i].id,
                format!("is part of a cycle ({})", names.join(", ")),
            ));
        }
    }

    // Nodes that reach no order.
    let mut reaches = vec![false; graph.nodes.len()];
    let rev = Reversed(&g);
    for (i, spec) in specs.iter().enumerate() {
        if spec.is_some_and(NodeSpec::is_sink) {
            let mut dfs = Dfs::new(rev, ix[i]);
            while let Some(n) = dfs.next(rev) {
                reaches[g[n]] = true;
            }
        }
    }
    for (i, node) in graph.nodes.iter().enumerate() {
        if specs[i].is_some() && !reaches[i] {
            p.push(Problem::at(
                ProblemCode::Unused,
                &node.id,
                "its output reaches no order node".to_string(),
            ));
        }
    }

    let has_entry = graph
        .nodes
        .iter()
        .any(|n| n.kind == "order.enter_long" || n.kind == "order.enter_short");
    if !has_entry {
        p.push(Problem::graph(
            ProblemCode::NoEntry,
            "the graph has no entry order (order.enter_long or order.enter_short)".into(),
        ));
    }
    p
}

fn too_large(what: &str, n: usize, limit: usize) -> Problem {
    Problem::graph(
        ProblemCode::TooLarge,
        format!(
            "the graph has {} {what}; the limit is {}",
            crate::numfmt::grouped(n as u64),
            crate::numfmt::grouped(limit as u64)
        ),
    )
}

fn edge_text(e: &Edge) -> String {
    format!("{}.{} -> {}.{}", e.from, e.from_port, e.to, e.to_port)
}

fn check_settings(s: &Settings, p: &mut Vec<Problem>) {
    use crate::numfmt::human;
    let mut bad = |name: &str, msg: String| {
        p.push(
            Problem::graph(ProblemCode::BadSetting, format!("settings.{name}: {msg}")).param(name),
        )
    };
    if !(s.initial_cash.is_finite() && s.initial_cash > 0.0 && s.initial_cash <= MAX_CASH) {
        bad(
            "initial_cash",
            format!(
                "must be greater than 0 and at most {} (results are kept to the cent), got {}",
                human(MAX_CASH),
                human(s.initial_cash)
            ),
        );
    }
    if !(s.commission.is_finite() && (0.0..0.5).contains(&s.commission)) {
        bad(
            "commission",
            format!("must be in [0, 0.5), got {}", human(s.commission)),
        );
    }
    if !(s.slippage_bps.is_finite() && (0.0..5000.0).contains(&s.slippage_bps)) {
        bad(
            "slippage_bps",
            format!("must be in [0, 5000), got {}", human(s.slippage_bps)),
        );
    }
    if !(s.periods_per_year.is_finite() && s.periods_per_year > 0.0 && s.periods_per_year <= 1e8) {
        bad(
            "periods_per_year",
            format!(
                "must be greater than 0 and at most 1e8, got {}",
                human(s.periods_per_year)
            ),
        );
    }
}

fn check_decls<'g>(
    decls: &'g [ParamDecl],
    p: &mut Vec<Problem>,
) -> HashMap<&'g str, &'g ParamDecl> {
    let mut map = HashMap::new();
    for d in decls {
        let mut bad = |msg: String| {
            p.push(
                Problem::graph(
                    ProblemCode::BadParameter,
                    format!("parameter \"{}\": {msg}", d.name),
                )
                .param(&d.name),
            )
        };
        if d.name.trim().is_empty() {
            bad("the name is empty".into());
        } else if map.insert(d.name.as_str(), d).is_some() {
            bad("is declared more than once".into());
        }
        for (what, v) in [("default", Some(d.default)), ("min", d.min), ("max", d.max)] {
            let Some(v) = v else { continue };
            if !v.is_finite() {
                bad(format!("{what} must be a finite number"));
            } else if d.ty == DeclType::Int && v.fract() != 0.0 {
                bad(format!(
                    "{what} {} is not a whole number",
                    crate::numfmt::human(v)
                ));
            }
        }
        if let (Some(lo), Some(hi)) = (d.min, d.max) {
            if lo > hi {
                bad(format!(
                    "min {} is above max {}",
                    crate::numfmt::human(lo),
                    crate::numfmt::human(hi)
                ));
            }
        }
        if d.min.is_some_and(|lo| d.default < lo) || d.max.is_some_and(|hi| d.default > hi) {
            bad(format!(
                "default {} is outside [min, max]",
                crate::numfmt::human(d.default)
            ));
        }
    }
    map
}

fn check_params(
    node: &Node,
    spec: &NodeSpec,
    decls: &HashMap<&str, &ParamDecl>,
    p: &mut Vec<Problem>,
) {
    for key in node.params.keys() {
        if spec.param(key).is_none() {
            p.push(
                Problem::at(
                    ProblemCode::UnknownParam,
                    &node.id,
                    format!("{} has no param \"{key}\"", spec.kind),
                )
                .param(key),
            );
        }
    }
    for ps in &spec.params {
        let value = node.params.get(ps.name).unwrap_or(&ps.default);
        let mut fail = |code: ProblemCode, msg: String| {
            p.push(
                Problem::at(code, &node.id, format!("param \"{}\": {msg}", ps.name)).param(ps.name),
            )
        };
        match ps.ty {
            ParamType::Int | ParamType::Float => match num_value(value) {
                Some(n) => check_num_binding(ps, &n, decls, &mut fail),
                None => fail(
                    ProblemCode::InvalidParam,
                    format!("expected a number or {{\"$param\": name}}, got {value}"),
                ),
            },
            ParamType::Enum { values } => match value.as_str() {
                Some(s) if values.contains(&s) => {}
                _ => fail(
                    ProblemCode::InvalidParam,
                    format!("expected one of {}, got {value}", values.join(", ")),
                ),
            },
            ParamType::ParamName => match value.as_str() {
                Some(name) if decls.contains_key(name) => {}
                Some(name) => fail(
                    ProblemCode::UnboundParam,
                    format!("no strategy parameter is named \"{name}\""),
                ),
                None => fail(
                    ProblemCode::InvalidParam,
                    format!("expected a parameter name, got {value}"),
                ),
            },
            ParamType::Size => match size_value(value) {
                Some(size) => {
                    let (range, amount) = size_amount(&size);
                    check_num_binding(&range, amount, decls, &mut fail);
                }
                None => fail(
                    ProblemCode::InvalidParam,
                    format!("expected {{\"equity_fraction\": f}} or {{\"units\": n}}, got {value}"),
                ),
            },
        }
    }
}

fn check_num_binding(
    ps: &ParamSpec,
    n: &NumValue,
    decls: &HashMap<&str, &ParamDecl>,
    fail: &mut dyn FnMut(ProblemCode, String),
) {
    match n {
        NumValue::Lit(x) => {
            if let Err((code, msg)) = check_number(ps, *x) {
                fail(code, msg);
            }
        }
        NumValue::Param(name) => match decls.get(name.as_str()) {
            None => fail(
                ProblemCode::UnboundParam,
                format!("$param \"{name}\" is not declared"),
            ),
            Some(d) => {
                if ps.ty == ParamType::Int && d.ty == DeclType::Float {
                    fail(
                        ProblemCode::TypeMismatch,
                        format!("takes a whole number but parameter \"{name}\" is a float"),
                    );
                }
                for v in [Some(d.default), d.min, d.max].into_iter().flatten() {
                    if let Err((code, msg)) = check_number(ps, v) {
                        fail(
                            code,
                            format!("parameter \"{name}\" allows a value where {msg}"),
                        );
                        break;
                    }
                }
            }
        },
    }
}

/// Reads a document element by element, so one bad node does not hide the others' problems.
fn read_lenient(doc: &Value, p: &mut Vec<Problem>) -> Graph {
    let mut graph = Graph {
        schema: SCHEMA_VERSION,
        nodes: vec![],
        edges: vec![],
        parameters: vec![],
        settings: Settings::default(),
        comments: vec![],
    };
    let Some(obj) = doc.as_object() else {
        p.push(Problem::graph(
            ProblemCode::Malformed,
            "the document must be a JSON object".into(),
        ));
        return graph;
    };
    match obj.get("schema").map(Value::as_u64) {
        Some(Some(v)) => graph.schema = v,
        _ => p.push(Problem::graph(
            ProblemCode::Schema,
            format!("\"schema\" must be {SCHEMA_VERSION}"),
        )),
    }
    // Too many nodes or edges: refused before reading any of them.
    for (key, limit) in [("nodes", MAX_NODES), ("edges", MAX_EDGES)] {
        if let Some(n) = obj.get(key).and_then(Value::as_array).map(Vec::len) {
            if n > limit {
                p.push(too_large(key, n, limit));
            }
        }
    }
    if p.iter().any(|x| x.code == ProblemCode::TooLarge) {
        return graph;
    }
    let empty: &[Value] = &[];
    let list = |key: &str, p: &mut Vec<Problem>, required: bool| -> &[Value] {
        match obj.get(key) {
            Some(Value::Array(items)) => items,
            None if !required => empty,
            other => {
                let got = other.map_or("nothing".to_string(), |v| kind_of(v).to_string());
                p.push(Problem::graph(
                    ProblemCode::Malformed,
                    format!("\"{key}\" must be an array, got {got}"),
                ));
                empty
            }
        }
    };
    for (i, v) in list("nodes", p, true).iter().enumerate() {
        let id = v.get("id").and_then(Value::as_str).map(str::to_string);
        match Node::deserialize(v) {
            Ok(n) => graph.nodes.push(n),
            Err(e) => p.push(Problem {
                code: ProblemCode::Malformed,
                node: Some(id.unwrap_or_else(|| format!("nodes[{i}]"))),
                port: None,
                param: None,
                message: format!("node #{i} is malformed: {e}"),
            }),
        }
    }
    for (i, v) in list("edges", p, false).iter().enumerate() {
        let to = v.get("to").and_then(Value::as_str).map(str::to_string);
        match Edge::deserialize(v) {
            Ok(e) => graph.edges.push(e),
            Err(e) => p.push(Problem {
                code: ProblemCode::Malformed,
                node: Some(to.unwrap_or_else(|| format!("edges[{i}]"))),
                port: None,
                param: None,
                message: format!("edge #{i} is malformed: {e}"),
            }),
        }
    }
    for (i, v) in list("parameters", p, false).iter().enumerate() {
        let name = v
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        match ParamDecl::deserialize(v) {
            Ok(d) => graph.parameters.push(d),
            Err(e) => p.push(
                Problem::graph(
                    ProblemCode::BadParameter,
                    format!("parameter #{i} (\"{name}\") is malformed: {e}"),
                )
                .param(&name),
            ),
        }
    }
    for (i, v) in list("comments", p, false).iter().enumerate() {
        match Comment::deserialize(v) {
            Ok(c) => graph.comments.push(c),
            Err(e) => p.push(Problem::graph(
                ProblemCode::BadComment,
                format!("comment #{i} is malformed: {e}"),
            )),
        }
    }
    if let Some(s) = obj.get("settings") {
        match serde_json::from_value::<Settings>(s.clone()) {
            Ok(s) => graph.settings = s,
            Err(e) => p.push(Problem::graph(
                ProblemCode::BadSetting,
                format!("settings are malformed: {e}"),
            )),
        }
    }
    graph
}

/// Notes and comment frames: lesson text within its limits, frames with unique ids and
/// finite places. They carry no meaning, so nothing else about them is checked.
fn check_lesson(graph: &Graph, p: &mut Vec<Problem>) {
    let too_long = |text: &str| text.chars().count() > MAX_NOTE_CHARS;
    for node in &graph.nodes {
        if node.note.as_deref().is_some_and(too_long) {
            p.push(Problem::at(
                ProblemCode::BadComment,
                &node.id,
                format!("the note is longer than {MAX_NOTE_CHARS} characters"),
            ));
        }
    }
    if graph.comments.len() > MAX_COMMENTS {
        p.push(Problem::graph(
            ProblemCode::BadComment,
            format!(
                "{} comment frames; a graph may have at most {MAX_COMMENTS}",
                graph.comments.len()
            ),
        ));
        return;
    }
    let mut ids = std::collections::HashSet::new();
    for (i, c) in graph.comments.iter().enumerate() {
        let name = if c.id.trim().is_empty() {
            format!("comment #{i}")
        } else {
            format!("comment \"{}\"", c.id)
        };
        if c.id.trim().is_empty() || !ids.insert(c.id.as_str()) {
            p.push(Problem::graph(
                ProblemCode::BadComment,
                format!("{name} needs an id of its own"),
            ));
        }
        if too_long(&c.text) {
            p.push(Problem::graph(
                ProblemCode::BadComment,
                format!("{name} is longer than {MAX_NOTE_CHARS} characters"),
            ));
        }
        let place_ok = [c.x, c.y, c.width, c.height].iter().all(|v| v.is_finite())
            && c.width > 0.0
            && c.height > 0.0;
        if !place_ok {
            p.push(Problem::graph(
                ProblemCode::BadComment,
                format!("{name} needs a finite place and a size above 0"),
            ));
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
