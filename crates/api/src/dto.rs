//! The types that cross IPC, with TypeScript generated from them by ts-rs.
//!
//! Convention: types defined here use camelCase fields; documents owned by the engine (the
//! graph JSON, metrics, trades, the catalog) keep the engine's snake_case JSON, so the same
//! files work in the CLI, the store and the UI.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// Strategy graph document (`graph_json`), as the editor saves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GraphJson {
    /// Document version, 1.
    pub schema: u32,
    /// Nodes.
    pub nodes: Vec<GraphNode>,
    /// Wires.
    pub edges: Vec<GraphEdge>,
    /// Strategy parameters.
    pub parameters: Vec<GraphParameter>,
    /// Account and cost settings.
    pub settings: GraphSettings,
    /// Free comment frames on the canvas (lesson text; not meaning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub comments: Option<Vec<GraphComment>>,
}

/// A free comment frame on the canvas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GraphComment {
    /// Unique among the comments.
    pub id: String,
    /// The text.
    pub text: String,
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width (default 240).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub width: Option<f64>,
    /// Height (default 120).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub height: Option<f64>,
}

/// A node of the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GraphNode {
    /// Unique id.
    pub id: String,
    /// Catalog kind.
    pub kind: String,
    /// Param values: numbers, strings, `{"$param": name}`, size objects.
    pub params: BTreeMap<String, Value>,
    /// Editor position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ui: Option<Value>,
    /// A lesson note shown with the node (not meaning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub note: Option<String>,
}

/// A wire from an output port to an input port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GraphEdge {
    /// Source node.
    pub from: String,
    /// Output port.
    pub from_port: String,
    /// Target node.
    pub to: String,
    /// Input port.
    pub to_port: String,
}

/// A strategy parameter declaration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GraphParameter {
    /// Name.
    pub name: String,
    /// `int` or `float`.
    #[serde(rename = "type")]
    #[ts(type = "'int' | 'float'")]
    pub ty: String,
    /// Default value.
    pub default: f64,
    /// Smallest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub min: Option<f64>,
    /// Largest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max: Option<f64>,
    /// `locked` (a student may not change it) or `exercise` (a student is asked to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub lesson: Option<GraphLesson>,
}

/// How a lesson treats a strategy parameter in a clone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum GraphLesson {
    /// A student may not change it.
    Locked,
    /// A student is asked to change it.
    Exercise,
}

/// Account and cost settings of a graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GraphSettings {
    /// Starting cash.
    pub initial_cash: f64,
    /// Commission, fraction of traded value.
    pub commission: f64,
    /// Slippage in basis points.
    pub slippage_bps: f64,
    /// Fractional units allowed.
    pub fractional: bool,
    /// Periods per year for annualising (default 252).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub periods_per_year: Option<f64>,
}

/// One validation problem, tied to a node (and port or param) where it belongs to one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Problem {
    /// Kind of problem (`dangling_input`, `cycle`, `out_of_range`, ...).
    pub code: String,
    /// The node, or `null` for problems of the whole graph.
    pub node: Option<String>,
    /// The port, for wiring problems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub port: Option<String>,
    /// The param, for value problems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub param: Option<String>,
    /// What is wrong, in words.
    pub message: String,
}

impl From<&stratagraph_engine::validate::Problem> for Problem {
    fn from(p: &stratagraph_engine::validate::Problem) -> Self {
        let code = serde_json::to_value(p.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{:?}", p.code));
        Self {
            code,
            node: p.node.clone(),
            port: p.port.clone(),
            param: p.param.clone(),
            message: p.message.clone(),
        }
    }
}

/// A port of a node kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PortSpec {
    /// Port name.
    pub name: String,
    /// What flows through it.
    #[serde(rename = "type")]
    #[ts(type = "'number' | 'bool' | 'scalar'")]
    pub ty: String,
    /// Tooltip.
    pub help: String,
}

/// A param of a node kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ParamSpec {
    /// Key in the node's params.
    pub name: String,
    /// Value type.
    #[serde(rename = "type")]
    #[ts(type = "'int' | 'float' | 'enum' | 'param_name' | 'size'")]
    pub ty: String,
    /// Allowed values, for `enum`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub values: Option<Vec<String>>,
    /// Default value.
    pub default: Value,
    /// Smallest value, for numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub min: Option<f64>,
    /// Largest value, for numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max: Option<f64>,
    /// Inspector help.
    pub help: String,
}

/// A node kind of the catalog (same JSON as `stratagraph catalog --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NodeSpec {
    /// Kind string, e.g. `indicator.sma`.
    pub kind: String,
    /// Palette group.
    #[ts(
        type = "'source' | 'timeframe' | 'indicator' | 'pattern' | 'math' | 'compare' | 'signal' | 'logic' | 'time' | 'position' | 'order' | 'risk'"
    )]
    pub category: String,
    /// Short name.
    pub label: String,
    /// One-line help.
    pub help: String,
    /// The formula or rule, in plain notation.
    pub formula: String,
    /// Where the definition comes from (empty for plain arithmetic and logic).
    pub reference: String,
    /// Inputs.
    pub inputs: Vec<PortSpec>,
    /// Outputs.
    pub outputs: Vec<PortSpec>,
    /// Params.
    pub params: Vec<ParamSpec>,
}

/// What `appInfo` tells the UI at start.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// App version.
    pub version: String,
    /// The data directory (database, datasets, drafts, settings).
    pub data_dir: String,
    /// The database file.
    pub db_path: String,
    /// True on the very first start of this data directory.
    pub first_start: bool,
    /// The example strategy created on first start (open it in the editor).
    pub example_strategy_id: Option<String>,
    /// The sample dataset imported on first start (preselect it for runs).
    pub sample_dataset_id: Option<String>,
}

/// Life cycle of a strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StrategyStatus {
    /// Being drawn.
    Draft,
    /// In use.
    Active,
    /// Put away.
    Archived,
}

/// Who may see a strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Only the owner.
    Private,
    /// Anyone with the link.
    Unlisted,
    /// Everyone.
    Public,
}

/// A strategy.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Strategy {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Stable URL-safe name.
    pub slug: String,
    /// Life cycle.
    pub status: StrategyStatus,
    /// Visibility.
    pub visibility: Visibility,
    /// Tags.
    pub tags: Vec<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// Filters of the strategy library; all optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct StrategyFilter {
    /// Case-insensitive substring of the title or a tag.
    #[ts(optional)]
    pub search: Option<String>,
    /// Exactly this tag.
    #[ts(optional)]
    pub tag: Option<String>,
    /// Only this status.
    #[ts(optional)]
    pub status: Option<StrategyStatus>,
}

/// A row of the strategy library.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StrategySummary {
    /// The strategy.
    pub strategy: Strategy,
    /// Its latest version number, if any.
    pub latest_version: Option<i32>,
    /// Its most recent run, with headline metrics.
    pub last_run: Option<RunSummary>,
    /// Where a clone came from (template, version, author), from its first version's notes.
    pub origin: Option<String>,
}

/// A version without its graph.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VersionSummary {
    /// Id.
    pub id: String,
    /// Version number (1, 2, ...).
    pub version: i32,
    /// Note given at save.
    pub notes: Option<String>,
    /// Save time (RFC 3339).
    pub created_at: String,
}

/// A version with its graph.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VersionDetail {
    /// Id.
    pub id: String,
    /// Version number.
    pub version: i32,
    /// The graph document.
    #[ts(as = "GraphJson")]
    pub graph: Value,
    /// Note given at save.
    pub notes: Option<String>,
    /// Save time (RFC 3339).
    pub created_at: String,
}

/// A new strategy and its first version.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StrategyCreated {
    /// The strategy.
    pub strategy: Strategy,
    /// Its version 1.
    pub version: VersionSummary,
}

/// An example strategy shipped with the app.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExampleInfo {
    /// File stem, e.g. `sma_crossover`.
    pub name: String,
    /// Title shown in the UI.
    pub title: String,
}

/// An imported dataset of OHLCV bars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Dataset {
    /// Id.
    pub id: String,
    /// Name shown in the UI.
    pub name: String,
    /// Instrument symbol.
    pub symbol: String,
    /// Bar interval, e.g. `1d`, `1h`.
    pub timeframe: String,
    /// First bar time (RFC 3339, UTC).
    pub first: String,
    /// Last bar time (RFC 3339, UTC).
    pub last: String,
    /// Number of bars.
    pub bars: u32,
    /// Import time (RFC 3339).
    pub created_at: String,
    /// BLAKE3 of the bars (hex), the data identity recorded by runs.
    pub data_hash: String,
}

/// A column found in a CSV header, with the role the importer will give it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreviewColumn {
    /// Header text.
    pub name: String,
    /// `time`, `open`, `high`, `low`, `close`, `volume`, or `null` (ignored).
    pub role: Option<String>,
}

/// The first rows of a CSV file and its detected columns.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DatasetPreview {
    /// Columns in file order.
    pub columns: Vec<PreviewColumn>,
    /// Up to 20 data rows as text.
    pub rows: Vec<Vec<String>>,
    /// Missing required roles (empty when the file can be imported).
    pub missing: Vec<String>,
    /// File size in bytes.
    #[ts(type = "number")]
    pub bytes: u64,
    /// A name suggested from the file name.
    pub suggested_name: String,
    /// The layout and delimiter recognised, in words (e.g. `Binance kline dump (no header,
    /// 12 columns), comma-separated`).
    pub layout: String,
}

/// Progress of a long job, streamed over a channel.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// The job, for `jobCancel`.
    pub job_id: String,
    /// Units done.
    #[ts(type = "number")]
    pub done: u64,
    /// Units in all (0 when unknown).
    #[ts(type = "number")]
    pub total: u64,
    /// What is happening: `queued`, `loading`, `running`, `saving`, `importing`, `done`.
    pub stage: String,
}

/// Headline and detailed metrics of a run: the engine's `Metrics` JSON (snake_case keys such
/// as `total_return_pct`, `sharpe`, `max_drawdown_pct`, `trades`, `win_rate_pct`).
pub type MetricsJson = Value;

/// A run in a list.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    /// Id.
    pub id: String,
    /// The strategy.
    pub strategy_id: String,
    /// Its title.
    pub strategy_title: String,
    /// The version number run.
    pub version: i32,
    /// The dataset.
    pub dataset_id: Option<String>,
    /// The dataset's name at run time.
    pub dataset_name: Option<String>,
    /// `queued`, `running`, `completed`, `failed`, `cancelled` or `interrupted`.
    #[ts(type = "'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted'")]
    pub status: String,
    /// Parameter values used.
    pub parameters: BTreeMap<String, f64>,
    /// The costs the run was charged.
    pub costs: RunCosts,
    /// The engine's metrics (null until completed).
    #[ts(type = "Record<string, number | boolean | null> | null")]
    pub metrics: Option<MetricsJson>,
    /// Error message of a failed run.
    pub error: Option<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Completion time (RFC 3339).
    pub completed_at: Option<String>,
}

/// One closed (or the open) trade, as the engine writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Trade {
    /// `long` or `short`.
    #[ts(type = "'long' | 'short'")]
    pub side: String,
    /// Entry bar index.
    pub entry_bar: u32,
    /// Exit bar index.
    pub exit_bar: u32,
    /// Entry time, ms since the epoch (UTC).
    #[ts(type = "number")]
    pub entry_time: i64,
    /// Exit time, ms since the epoch (UTC).
    #[ts(type = "number")]
    pub exit_time: i64,
    /// Entry fill price.
    pub entry_price: f64,
    /// Exit fill price.
    pub exit_price: f64,
    /// Units.
    pub size: f64,
    /// Profit after commissions.
    pub pnl: f64,
    /// Profit in percent of the entry value.
    pub pnl_pct: f64,
    /// Bars held.
    pub bars_held: u32,
    /// Commission paid.
    pub commission: f64,
    /// `signal`, `reverse`, `stop_loss`, `take_profit`, `trailing_stop` or `open`.
    pub exit_reason: String,
}

/// A point of an equity curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
pub struct EquityPoint {
    /// Time, ms since the epoch (UTC).
    #[ts(type = "number")]
    pub t: i64,
    /// Equity.
    pub v: f64,
}

/// A run with everything the results view shows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunDetail {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: RunSummary,
    /// The first closed trades in time order (at most [`TRADES_FIRST_PAGE`]; `runTrades`
    /// pages and sorts all of them).
    pub trades: Vec<Trade>,
    /// How many closed trades the run has.
    #[ts(type = "number")]
    pub trades_total: u64,
    /// The position still open at the end (marked to market).
    pub open_trade: Option<Trade>,
    /// Equity curve, decimated to at most 2,000 points (peaks and troughs kept).
    pub equity: Vec<EquityPoint>,
    /// Points of the full curve (one per bar).
    #[ts(type = "number")]
    pub equity_points_full: u64,
    /// The dataset, if it still exists.
    pub dataset: Option<Dataset>,
    /// Hash of graph, data and parameters (same inputs, same hash).
    pub result_hash: Option<String>,
    /// Wall time of the engine, milliseconds (fresh runs only).
    pub elapsed_ms: Option<f64>,
}

/// Closed trades sent with a run's result; the rest come a page at a time from `runTrades`.
pub const TRADES_FIRST_PAGE: usize = 200;

/// One page of a run's closed trades (`runTrades`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TradePage {
    /// Closed trades of the run in all.
    #[ts(type = "number")]
    pub total: u64,
    /// Position of the first row in the sorted order.
    #[ts(type = "number")]
    pub offset: u64,
    /// The trades of this page, in the requested order.
    pub trades: Vec<Trade>,
    /// For each trade, its index in the run's time-ordered list (trade #`index + 1`).
    #[ts(type = "number[]")]
    pub index: Vec<u64>,
}

/// Two runs side by side.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunCompare {
    /// The first run.
    pub a: RunDetail,
    /// The second run.
    pub b: RunDetail,
    /// Metrics of both: `[name, a, b]` for every metric either has, in engine order.
    pub diff: Vec<MetricDiff>,
    /// Both equity curves in one SVG, once `crates/report` is wired; `null` until then.
    pub equity_svg: Option<String>,
}

/// One metric of two runs.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MetricDiff {
    /// Metric key, e.g. `total_return_pct`.
    pub name: String,
    /// Value in run A.
    #[ts(type = "number | boolean | null")]
    pub a: Value,
    /// Value in run B.
    #[ts(type = "number | boolean | null")]
    pub b: Value,
    /// `b - a` when both are numbers.
    pub delta: Option<f64>,
}

/// The value on one wire at one bar.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NodeValue {
    /// Node id.
    pub node: String,
    /// Output port.
    pub port: String,
    /// The value (`null` when missing, booleans as 0/1).
    pub value: Option<f64>,
}

/// The costs of a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunCosts {
    /// Commission as a fraction of traded value, on entry and on exit (0.001 = 0.1 %).
    pub commission: f64,
    /// Slippage in basis points against every fill.
    pub slippage_bps: f64,
}

/// The value on every wire at one bar (`nodeValues`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BarValues {
    /// The bar, from 0.
    pub bar: u32,
    /// Its time, ms UTC.
    #[ts(type = "number")]
    pub time: i64,
    /// Each node output's value at that bar, sorted by node and port.
    pub values: Vec<NodeValue>,
}

/// The local user.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Id.
    pub id: String,
    /// E-mail address.
    pub email: String,
    /// Name shown in the UI.
    pub display_name: String,
    /// Roles: `trader`, `educator`, `compliance`, `admin`.
    pub roles: Vec<String>,
    /// Plan code, e.g. `free`.
    pub plan_tier: String,
    /// Creation time (RFC 3339).
    pub created_at: String,
}

/// The user's subscription plan.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Plan code.
    pub plan_code: String,
    /// `active`, `trialing`, `past_due`, `cancelled`, `expired`.
    pub status: String,
    /// Next renewal (RFC 3339).
    pub renewal_at: Option<String>,
}

/// Use of one quota metric.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuotaUsage {
    /// Metric, e.g. `backtests_per_day`.
    pub metric: String,
    /// Used in the current window.
    #[ts(type = "number")]
    pub used: i64,
    /// Limit, `null` = unlimited.
    #[ts(type = "number | null")]
    pub limit: Option<i64>,
    /// When the window resets (RFC 3339), `null` for standing counts.
    pub resets_at: Option<String>,
}

/// Profile, plan and usage meters.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The user.
    pub user: User,
    /// The plan in force, if any.
    pub plan: Option<Plan>,
    /// Usage of each metric of the plan.
    pub usage: Vec<QuotaUsage>,
}

/// Light or dark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Light.
    #[default]
    Light,
    /// Dark.
    Dark,
}

/// App settings kept in the data directory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct AppSettings {
    /// Theme.
    pub theme: Theme,
}

/// A node output of a run that the price chart can draw (`runIndicators`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IndicatorInfo {
    /// `node.port`, as `runChart` takes it.
    pub key: String,
    /// Name in the legend: the node id, with the port when it is not `out`.
    pub label: String,
    /// The node's kind, e.g. `indicator.rsi`.
    pub kind: String,
    /// True when the values are in price units (over the prices by default), false for an
    /// oscillator (in a pane below).
    pub overlay: bool,
    /// Constants the strategy compares the output with (RSI's 30 and 70), drawn in its pane.
    pub levels: Vec<f64>,
}

/// Where a chart's plot lies in its picture (pixels from the top left) and what it spans.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChartFrame {
    /// Width of the picture, pixels.
    pub width: u32,
    /// Height of the picture, pixels.
    pub height: u32,
    /// Left edge of the plot.
    pub left: i32,
    /// Right edge of the plot.
    pub right: i32,
    /// Top edge of the plot.
    pub top: i32,
    /// Bottom edge of the plot.
    pub bottom: i32,
    /// Time at the left edge, ms UTC.
    #[ts(type = "number")]
    pub x0: i64,
    /// Time at the right edge, ms UTC.
    #[ts(type = "number")]
    pub x1: i64,
    /// Value at the bottom edge.
    pub y0: f64,
    /// Value at the top edge.
    pub y1: f64,
}

/// One line of the crosshair's read-out.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HoverSeries {
    /// Name, e.g. `Close`, `Equity`, `rsi`.
    pub label: String,
    /// The value under each pixel column of the plot (`null` where there is none).
    pub values: Vec<Option<f64>>,
}

/// A trade marker on the price chart, with what its tooltip shows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChartMarker {
    /// The trade's number in time order, from 1.
    pub trade: u32,
    /// `entry` or `exit`.
    pub at: String,
    /// Where the marker is: time (ms UTC) and price.
    #[ts(type = "number")]
    pub t: i64,
    /// Price at the marker.
    pub price: f64,
    /// `long` or `short`.
    pub side: String,
    /// Entry time, ms UTC.
    #[ts(type = "number")]
    pub entry_time: i64,
    /// Exit time, ms UTC (`null` while open).
    #[ts(type = "number | null")]
    pub exit_time: Option<i64>,
    /// Entry price.
    pub entry_price: f64,
    /// Exit price (`null` while open).
    pub exit_price: Option<f64>,
    /// Profit or loss in account currency, costs included.
    pub pnl: f64,
    /// Profit or loss in percent of the entry value.
    pub pnl_pct: f64,
}

/// A chart of a run (`runChart`): the SVG, where its plot lies, the values under each pixel
/// column for the crosshair, and the trade markers for tooltips.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChartView {
    /// The SVG document.
    pub svg: String,
    /// The plot's place and ranges.
    pub frame: ChartFrame,
    /// Bar time under each pixel column of the plot (`null` outside the data).
    #[ts(type = "(number | null)[]")]
    pub times: Vec<Option<i64>>,
    /// The values the crosshair reads out, per pixel column.
    pub series: Vec<HoverSeries>,
    /// Trade markers in view (price chart; empty when more than `markersOmitted` allows).
    pub markers: Vec<ChartMarker>,
    /// Markers in view but left out (too many to point at: zoom in).
    pub markers_omitted: u32,
}
