//! The strategy graph document (`graph_json`): nodes, edges, parameters and settings.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The only `schema` version this build reads and writes.
pub const SCHEMA_VERSION: u64 = 1;

/// A strategy graph as saved by the editor and stored in `strategy_versions.graph_json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// Document version, always [`SCHEMA_VERSION`].
    pub schema: u64,
    /// The nodes, in the order the editor wrote them.
    pub nodes: Vec<Node>,
    /// Wires from an output port to an input port.
    #[serde(default)]
    pub edges: Vec<Edge>,
    /// Strategy parameters that node params can bind with `{"$param": name}`.
    #[serde(default)]
    pub parameters: Vec<ParamDecl>,
    /// Account and cost settings.
    #[serde(default)]
    pub settings: Settings,
    /// Free comment frames on the canvas (lesson text); not meaning: ignored by validation
    /// apart from their limits, by the compiler and by result hashes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<Comment>,
}

/// One node of the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Unique id, referenced by edges and by every validation problem.
    pub id: String,
    /// Catalog kind, e.g. `indicator.sma`.
    pub kind: String,
    /// Parameter values; numbers, strings, size objects or `{"$param": name}` bindings.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// Editor-only data (position); ignored by validation, the compiler and result hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui: Option<Value>,
    /// A note shown with the node (lesson text); ignored by the compiler and result hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A free comment frame on the canvas: lesson text in a box at a place of the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    /// Unique among the graph's comments.
    pub id: String,
    /// The text (plain, at most [`MAX_NOTE_CHARS`] characters).
    pub text: String,
    /// Left edge on the canvas.
    pub x: f64,
    /// Top edge on the canvas.
    pub y: f64,
    /// Width on the canvas.
    #[serde(default = "default_comment_width")]
    pub width: f64,
    /// Height on the canvas.
    #[serde(default = "default_comment_height")]
    pub height: f64,
}

fn default_comment_width() -> f64 {
    240.0
}

fn default_comment_height() -> f64 {
    120.0
}

/// The longest note or comment text, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// The most comment frames a graph may hold.
pub const MAX_COMMENTS: usize = 1_000;

/// How a lesson treats a strategy parameter in a clone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lesson {
    /// The student may not change it (the inspector shows it read-only).
    Locked,
    /// The student is asked to change it (the editor highlights it).
    Exercise,
}

/// A wire from `from.from_port` (an output) to `to.to_port` (an input).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// Source node id.
    pub from: String,
    /// Output port of the source node.
    pub from_port: String,
    /// Target node id.
    pub to: String,
    /// Input port of the target node.
    pub to_port: String,
}

/// Type of a strategy parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeclType {
    /// Whole numbers.
    Int,
    /// Any finite number.
    Float,
}

/// A strategy parameter: a named number that backtests may override and sweeps vary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamDecl {
    /// Name used by `{"$param": name}` and `--param name=value`.
    pub name: String,
    /// Int or float.
    #[serde(rename = "type")]
    pub ty: DeclType,
    /// Value used when a run does not set it.
    pub default: f64,
    /// Smallest allowed value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest allowed value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Locked or an exercise in a lesson; ignored by the compiler and result hashes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<Lesson>,
}

/// Account and cost settings of a strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Starting cash.
    pub initial_cash: f64,
    /// Commission as a fraction of traded value, charged on entry and on exit.
    pub commission: f64,
    /// Slippage in basis points, moving every fill against the trader.
    pub slippage_bps: f64,
    /// Allow fractional units (otherwise whole units only).
    pub fractional: bool,
    /// Trading days per year used to annualise daily volatility, Sharpe and Sortino.
    pub periods_per_year: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            initial_cash: 10_000.0,
            commission: 0.0,
            slippage_bps: 0.0,
            fractional: false,
            periods_per_year: 252.0,
        }
    }
}

impl Graph {
    /// The node with id `id`.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The parameter declared as `name`.
    pub fn parameter(&self, name: &str) -> Option<&ParamDecl> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// The same graph with its lists in canonical order: nodes by id, edges by (from,
    /// from_port, to, to_port), parameters by name. The order of the lists carries no
    /// meaning, so compiling and hashing work on this form.
    pub fn canonical(&self) -> Graph {
        let mut g = self.clone();
        g.nodes.sort_by(|a, b| a.id.cmp(&b.id));
        g.edges.sort_by(|a, b| {
            (&a.from, &a.from_port, &a.to, &a.to_port).cmp(&(
                &b.from,
                &b.from_port,
                &b.to,
                &b.to_port,
            ))
        });
        g.parameters.sort_by(|a, b| a.name.cmp(&b.name));
        g
    }

    /// True when the lists are already in [`Graph::canonical`] order.
    pub fn is_canonical(&self) -> bool {
        self.nodes.windows(2).all(|w| w[0].id <= w[1].id)
            && self.edges.windows(2).all(|w| {
                (&w[0].from, &w[0].from_port, &w[0].to, &w[0].to_port)
                    <= (&w[1].from, &w[1].from_port, &w[1].to, &w[1].to_port)
            })
            && self.parameters.windows(2).all(|w| w[0].name <= w[1].name)
    }

    /// The graph as canonical JSON without editor-only data and lesson content (positions,
    /// notes, comment frames, locked/exercise marks), the input of result hashes: the same
    /// nodes, edges and parameters listed in any order give the same text, and a graph
    /// without lesson content hashes as it did before lessons existed.
    pub fn canonical_json(&self) -> Vec<u8> {
        let mut g = self.canonical();
        for n in &mut g.nodes {
            n.ui = None;
            n.note = None;
        }
        for p in &mut g.parameters {
            p.lesson = None;
        }
        g.comments.clear();
        // serde_json's Map is ordered by key, so this text is canonical.
        serde_json::to_value(&g)
            .and_then(|v| serde_json::to_vec(&v))
            .unwrap_or_default()
    }
}
