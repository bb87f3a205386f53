//! The node catalog: every node kind described once, with its ports, params and help.
//!
//! The CLI prints it (`stratagraph catalog --json`) and the editor builds its palette and
//! inspector from it, so nothing about a node kind is written twice.

use serde::Serialize;

mod library;

/// What flows along a wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortType {
    /// One number per bar; missing values are NaN.
    Number,
    /// One true/false per bar; missing values are neither and never trigger an order.
    Bool,
    /// One number for the whole run (a constant or a strategy parameter).
    Scalar,
}

impl PortType {
    /// True when an output of type `self` may feed an input of type `input`.
    /// A scalar feeds a number input by repeating its value on every bar.
    pub fn feeds(self, input: PortType) -> bool {
        self == input || (self == PortType::Scalar && input == PortType::Number)
    }

    /// The type's lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            PortType::Number => "number",
            PortType::Bool => "bool",
            PortType::Scalar => "scalar",
        }
    }
}

/// Where a node sits in the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Price and volume columns, constants, parameters.
    Source,
    /// Technical indicators.
    Indicator,
    /// Arithmetic on series.
    Math,
    /// Comparisons giving boolean series.
    Compare,
    /// Event detection: crosses, rising, falling, bars since.
    Signal,
    /// Boolean logic.
    Logic,
    /// Orders: the sinks every strategy needs.
    Order,
    /// Protective exits applied to open positions.
    Risk,
    /// Bars of a higher timeframe, visible once they have closed.
    Timeframe,
    /// Candlestick patterns.
    Pattern,
    /// Calendar and session filters on the bar's time.
    Time,
    /// The account's open position, as it stands at each bar's close.
    Position,
}

impl Category {
    /// Every category in palette order.
    pub const ALL: [Category; 12] = [
        Category::Source,
        Category::Timeframe,
        Category::Indicator,
        Category::Pattern,
        Category::Math,
        Category::Compare,
        Category::Signal,
        Category::Logic,
        Category::Time,
        Category::Position,
        Category::Order,
        Category::Risk,
    ];

    /// The lower-case name, as in kinds (`indicator.sma`) and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Category::Source => "source",
            Category::Indicator => "indicator",
            Category::Math => "math",
            Category::Compare => "compare",
            Category::Signal => "signal",
            Category::Logic => "logic",
            Category::Order => "order",
            Category::Risk => "risk",
            Category::Timeframe => "timeframe",
            Category::Pattern => "pattern",
            Category::Time => "time",
            Category::Position => "position",
        }
    }
}

/// A node's input or output.
#[derive(Debug, Clone, Serialize)]
pub struct PortSpec {
    /// Port name, unique among the node's inputs (or outputs).
    pub name: &'static str,
    /// What the port carries.
    #[serde(rename = "type")]
    pub ty: PortType,
    /// One line for the editor's tooltip.
    pub help: &'static str,
}

/// The type of a node parameter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParamType {
    /// A whole number.
    Int,
    /// Any finite number.
    Float,
    /// One of a fixed set of strings.
    Enum {
        /// The allowed values.
        values: &'static [&'static str],
    },
    /// The name of a declared strategy parameter.
    ParamName,
    /// Order size: `{"equity_fraction": f}` (0 < f <= 1) or `{"units": n}` (n > 0).
    Size,
}

/// A node parameter with its range and default.
#[derive(Debug, Clone, Serialize)]
pub struct ParamSpec {
    /// Key in the node's `params` object.
    pub name: &'static str,
    /// Its type.
    #[serde(flatten)]
    pub ty: ParamType,
    /// The value used when the node does not set it (JSON).
    pub default: serde_json::Value,
    /// Smallest allowed value, for numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest allowed value, for numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// One line for the inspector.
    pub help: &'static str,
}

/// One node kind.
#[derive(Debug, Clone, Serialize)]
pub struct NodeSpec {
    /// The kind string used in `graph_json`, e.g. `indicator.sma`.
    pub kind: &'static str,
    /// Palette group.
    pub category: Category,
    /// Short human name.
    pub label: &'static str,
    /// One-line help.
    pub help: &'static str,
    /// The formula or rule, in plain notation (shown with the help).
    pub formula: &'static str,
    /// Where the definition comes from (a TA-Lib function, a published source); empty for
    /// plain arithmetic and logic.
    pub reference: &'static str,
    /// Inputs, each fed by exactly one edge.
    pub inputs: Vec<PortSpec>,
    /// Outputs, each may feed any number of edges.
    pub outputs: Vec<PortSpec>,
    /// Parameters.
    pub params: Vec<ParamSpec>,
}

impl NodeSpec {
    /// The input port called `name`.
    pub fn input(&self, name: &str) -> Option<&PortSpec> {
        self.inputs.iter().find(|p| p.name == name)
    }
    /// The output port called `name`.
    pub fn output(&self, name: &str) -> Option<&PortSpec> {
        self.outputs.iter().find(|p| p.name == name)
    }
    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
    /// True for nodes that act on the account (orders and risk exits).
    pub fn is_sink(&self) -> bool {
        matches!(self.category, Category::Order | Category::Risk)
    }

    /// The same spec with its formula and reference set.
    fn doc(mut self, formula: &'static str, reference: &'static str) -> Self {
        self.formula = formula;
        self.reference = reference;
        self
    }
}

fn port(name: &'static str, ty: PortType, help: &'static str) -> PortSpec {
    PortSpec { name, ty, help }
}

fn num(name: &'static str, help: &'static str) -> PortSpec {
    port(name, PortType::Number, help)
}

fn boolean(name: &'static str, help: &'static str) -> PortSpec {
    port(name, PortType::Bool, help)
}

fn int(name: &'static str, default: i64, min: i64, max: i64, help: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        ty: ParamType::Int,
        default: default.into(),
        min: Some(min as f64),
        max: Some(max as f64),
        help,
    }
}

fn float(name: &'static str, default: f64, min: f64, max: f64, help: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        ty: ParamType::Float,
        default: default.into(),
        min: Some(min),
        max: Some(max),
        help,
    }
}

fn period(default: i64) -> ParamSpec {
    int("period", default, 1, 1_000_000, "Bars in the window")
}

/// Largest percentage accepted by risk nodes.
const MAX_RISK_PCT: f64 = 1000.0;

fn risk_params() -> Vec<ParamSpec> {
    vec![
        float(
            "pct",
            5.0,
            0.0001,
            MAX_RISK_PCT,
            "Distance from the entry (or peak) in percent",
        ),
        ParamSpec {
            name: "side",
            ty: ParamType::Enum {
                values: &["both", "long", "short"],
            },
            default: "both".into(),
            min: None,
            max: None,
            help: "Which positions it protects",
        },
    ]
}

fn size_param() -> ParamSpec {
    ParamSpec {
        name: "size",
        ty: ParamType::Size,
        default: serde_json::json!({"equity_fraction": 1.0}),
        min: None,
        max: None,
        help: "Equity fraction (0-1] of available cash, or a fixed number of units",
    }
}

fn spec(
    kind: &'static str,
    category: Category,
    label: &'static str,
    help: &'static str,
    inputs: Vec<PortSpec>,
    outputs: Vec<PortSpec>,
    params: Vec<ParamSpec>,
) -> NodeSpec {
    NodeSpec {
        kind,
        category,
        label,
        help,
        formula: "",
        reference: "",
        inputs,
        outputs,
        params,
    }
}

fn source(kind: &'static str, label: &'static str, help: &'static str) -> NodeSpec {
    spec(
        kind,
        Category::Source,
        label,
        help,
        vec![],
        vec![num("out", help)],
        vec![],
    )
}

fn series_indicator(
    kind: &'static str,
    label: &'static str,
    help: &'static str,
    default_period: i64,
) -> NodeSpec {
    spec(
        kind,
        Category::Indicator,
        label,
        help,
        vec![num("in", "Input series")],
        vec![num("out", help)],
        vec![period(default_period)],
    )
}

fn binary(
    kind: &'static str,
    category: Category,
    label: &'static str,
    help: &'static str,
    input: PortType,
    output: PortType,
) -> NodeSpec {
    spec(
        kind,
        category,
        label,
        help,
        vec![
            port("a", input, "Left operand"),
            port("b", input, "Right operand"),
        ],
        vec![port("out", output, help)],
        vec![],
    )
}

fn order(kind: &'static str, label: &'static str, help: &'static str, sized: bool) -> NodeSpec {
    spec(
        kind,
        Category::Order,
        label,
        help,
        vec![boolean(
            "when",
            "Acts at the close of every bar where this is true",
        )],
        vec![],
        if sized { vec![size_param()] } else { vec![] },
    )
}

/// Formula and reference of each core kind, by kind.
const CORE_DOCS: &[(&str, &str, &str)] = &[
    ("source.open", "open[t]", ""),
    ("source.high", "high[t]", ""),
    ("source.low", "low[t]", ""),
    ("source.close", "close[t]", ""),
    ("source.volume", "volume[t]", ""),
    ("source.constant", "value", ""),
    ("source.param", "the parameter's value for this run", ""),
    ("indicator.sma", "SMA[t] = (x[t-n+1] + ... + x[t]) / n", "TA-Lib SMA"),
    (
        "indicator.ema",
        "EMA = mean of the first n values, then EMA[t] = a*x[t] + (1-a)*EMA[t-1], a = 2/(n+1)",
        "TA-Lib EMA",
    ),
    (
        "indicator.wma",
        "WMA[t] = sum(j * x[t-n+j], j = 1..n) / (n(n+1)/2)",
        "TA-Lib WMA",
    ),
    (
        "indicator.rsi",
        "RSI = 100 * G / (G + L); G, L = Wilder averages (a = 1/n) of gains and losses, seeded with their first n-change means",
        "TA-Lib RSI; J. Welles Wilder, New Concepts in Technical Trading Systems (1978)",
    ),
    (
        "indicator.macd",
        "line = EMA(fast) - EMA(slow) (both started on the slow EMA's first bar); signal = EMA(signal) of line; hist = line - signal",
        "TA-Lib MACD; Gerald Appel",
    ),
    (
        "indicator.bollinger",
        "middle = SMA(n); upper/lower = middle +/- k * population std dev over n",
        "TA-Lib BBANDS; John Bollinger",
    ),
    (
        "indicator.atr",
        "TR = max(h-l, |h-c[t-1]|, |l-c[t-1]|); ATR = mean of the first n TRs, then (ATR[t-1]*(n-1) + TR)/n",
        "TA-Lib ATR; Wilder (1978)",
    ),
    (
        "indicator.stochastic",
        "raw %K = 100*(c - LL)/(HH - LL) over k_period; %K = SMA(k_smooth) of raw; %D = SMA(d_period) of %K",
        "TA-Lib STOCH; George Lane",
    ),
    ("indicator.roc", "ROC = 100 * (x[t] / x[t-n] - 1)", "TA-Lib ROC"),
    (
        "indicator.stddev",
        "sqrt(sum((x - mean)^2) / n) over the last n values",
        "TA-Lib STDDEV (nbdev 1)",
    ),
    ("indicator.highest", "max(x[t-n+1..t])", "TA-Lib MAX"),
    ("indicator.lowest", "min(x[t-n+1..t])", "TA-Lib MIN"),
    (
        "indicator.obv",
        "OBV = 0 on the first bar, then OBV[t-1] + sign(c[t] - c[t-1]) * volume[t]",
        "TA-Lib OBV (which starts at volume[0]); Joe Granville",
    ),
    (
        "indicator.vwap",
        "sum(tp * v) / sum(v) over n bars, tp = (h + l + c)/3",
        "rolling volume-weighted average price",
    ),
    ("math.add", "a + b", ""),
    ("math.subtract", "a - b", ""),
    ("math.multiply", "a * b", ""),
    ("math.divide", "a / b, missing where b = 0", ""),
    ("math.min", "min(a, b)", ""),
    ("math.max", "max(a, b)", ""),
    ("math.abs", "|x|", ""),
    ("compare.gt", "a > b", ""),
    ("compare.lt", "a < b", ""),
    ("compare.ge", "a >= b", ""),
    ("compare.le", "a <= b", ""),
    (
        "signal.cross_above",
        "a[t] > b[t] and a < b at the last earlier bar where they differed (a touch then a break is one cross)",
        "docs/backtest-semantics.md",
    ),
    (
        "signal.cross_below",
        "a[t] < b[t] and a > b at the last earlier bar where they differed",
        "docs/backtest-semantics.md",
    ),
    ("signal.rising", "x[t] > max(x[t-n..t-1])", ""),
    ("signal.falling", "x[t] < min(x[t-n..t-1])", ""),
    ("signal.bars_since", "t - (last bar where in was true)", ""),
    ("logic.and", "a and b", ""),
    ("logic.or", "a or b", ""),
    ("logic.not", "not x", ""),
    (
        "order.enter_long",
        "when[t] and flat: buy at open[t+1]",
        "docs/backtest-semantics.md",
    ),
    (
        "order.exit_long",
        "when[t] and long: sell at open[t+1]",
        "docs/backtest-semantics.md",
    ),
    (
        "order.enter_short",
        "when[t] and flat (or long: reverse): sell short at open[t+1]",
        "docs/backtest-semantics.md",
    ),
    (
        "order.exit_short",
        "when[t] and short: buy back at open[t+1]",
        "docs/backtest-semantics.md",
    ),
    (
        "risk.stop_loss",
        "long: exit at entry * (1 - pct/100) when low reaches it; short mirrored",
        "docs/backtest-semantics.md",
    ),
    (
        "risk.take_profit",
        "long: exit at entry * (1 + pct/100) when high reaches it; short mirrored",
        "docs/backtest-semantics.md",
    ),
    (
        "risk.trailing_stop",
        "long: exit at best * (1 - pct/100), best = highest high since entry; short mirrored",
        "docs/backtest-semantics.md",
    ),
];

fn build() -> Vec<NodeSpec> {
    let mut all = core();
    for s in &mut all {
        if let Some((_, f, r)) = CORE_DOCS.iter().find(|(k, _, _)| *k == s.kind) {
            s.formula = f;
            s.reference = r;
        }
    }
    all.extend(library::kinds());
    all
}

fn core() -> Vec<NodeSpec> {
    use Category::*;
    use PortType::{Bool, Number};
    vec![
        source("source.open", "Open", "Opening price of each bar"),
        source("source.high", "High", "Highest price of each bar"),
        source("source.low", "Low", "Lowest price of each bar"),
        source("source.close", "Close", "Closing price of each bar"),
        source("source.volume", "Volume", "Traded volume of each bar"),
        spec(
            "source.constant",
            Source,
            "Constant",
            "A fixed number",
            vec![],
            vec![port("out", PortType::Scalar, "The value")],
            vec![float("value", 0.0, -1e15, 1e15, "The value")],
        ),
        spec(
            "source.param",
            Source,
            "Parameter",
            "The value of a strategy parameter (swept in a sweep)",
            vec![],
            vec![port("out", PortType::Scalar, "The parameter's value")],
            vec![ParamSpec {
                name: "name",
                ty: ParamType::ParamName,
                default: "".into(),
                min: None,
                max: None,
                help: "Name of a declared strategy parameter",
            }],
        ),
        series_indicator("indicator.sma", "SMA", "Simple moving average", 20),
        series_indicator(
            "indicator.ema",
            "EMA",
            "Exponential moving average, alpha 2/(n+1)",
            20,
        ),
        series_indicator(
            "indicator.wma",
            "WMA",
            "Linearly weighted moving average",
            20,
        ),
        series_indicator(
            "indicator.rsi",
            "RSI",
            "Relative strength index (Wilder), 0-100",
            14,
        ),
        spec(
            "indicator.macd",
            Indicator,
            "MACD",
            "Moving average convergence/divergence",
            vec![num("in", "Input series")],
            vec![
                num("line", "EMA(fast) - EMA(slow)"),
                num("signal", "EMA(signal) of the line"),
                num("hist", "Line minus signal"),
            ],
            vec![
                int("fast", 12, 1, 100_000, "Fast EMA period"),
                int("slow", 26, 1, 100_000, "Slow EMA period"),
                int("signal", 9, 1, 100_000, "Signal EMA period"),
            ],
        ),
        spec(
            "indicator.bollinger",
            Indicator,
            "Bollinger Bands",
            "SMA with bands k population standard deviations away",
            vec![num("in", "Input series")],
            vec![
                num("upper", "Middle + k * std"),
                num("middle", "SMA of the input"),
                num("lower", "Middle - k * std"),
            ],
            vec![
                period(20),
                float("k", 2.0, 0.0, 100.0, "Band width in standard deviations"),
            ],
        ),
        spec(
            "indicator.atr",
            Indicator,
            "ATR",
            "Average true range (Wilder) of the bars",
            vec![],
            vec![num("out", "Average true range")],
            vec![period(14)],
        ),
        spec(
            "indicator.stochastic",
            Indicator,
            "Stochastic",
            "Slow stochastic oscillator of the bars, 0-100",
            vec![],
            vec![num("k", "Smoothed %K"), num("d", "%D: SMA of %K")],
            vec![
                int("k_period", 14, 1, 100_000, "Bars in the high/low window"),
                int("k_smooth", 3, 1, 100_000, "SMA smoothing of %K"),
                int("d_period", 3, 1, 100_000, "SMA period of %D"),
            ],
        ),
        series_indicator(
            "indicator.roc",
            "ROC",
            "Rate of change in percent over n bars",
            10,
        ),
        series_indicator(
            "indicator.stddev",
            "Std dev",
            "Rolling population standard deviation",
            20,
        ),
        series_indicator(
            "indicator.highest",
            "Highest",
            "Highest value of the last n bars",
            20,
        ),
        series_indicator(
            "indicator.lowest",
            "Lowest",
            "Lowest value of the last n bars",
            20,
        ),
        spec(
            "indicator.obv",
            Indicator,
            "OBV",
            "On-balance volume of the bars",
            vec![],
            vec![num("out", "On-balance volume")],
            vec![],
        ),
        spec(
            "indicator.vwap",
            Indicator,
            "Rolling VWAP",
            "Volume-weighted average of the typical price over n bars",
            vec![],
            vec![num("out", "Rolling VWAP")],
            vec![period(20)],
        ),
        binary("math.add", Math, "Add", "a + b", Number, Number),
        binary("math.subtract", Math, "Subtract", "a - b", Number, Number),
        binary("math.multiply", Math, "Multiply", "a * b", Number, Number),
        binary(
            "math.divide",
            Math,
            "Divide",
            "a / b (missing where b is 0)",
            Number,
            Number,
        ),
        binary(
            "math.min",
            Math,
            "Min",
            "The smaller of a and b",
            Number,
            Number,
        ),
        binary(
            "math.max",
            Math,
            "Max",
            "The larger of a and b",
            Number,
            Number,
        ),
        spec(
            "math.abs",
            Math,
            "Abs",
            "Absolute value",
            vec![num("in", "Input series")],
            vec![num("out", "|in|")],
            vec![],
        ),
        binary("compare.gt", Compare, ">", "a > b", Number, Bool),
        binary("compare.lt", Compare, "<", "a < b", Number, Bool),
        binary("compare.ge", Compare, ">=", "a >= b", Number, Bool),
        binary("compare.le", Compare, "<=", "a <= b", Number, Bool),
        binary(
            "signal.cross_above",
            Signal,
            "Cross above",
            "a crosses above b",
            Number,
            Bool,
        ),
        binary(
            "signal.cross_below",
            Signal,
            "Cross below",
            "a crosses below b",
            Number,
            Bool,
        ),
        spec(
            "signal.rising",
            Signal,
            "Rising",
            "True when the input is above each of its previous n values",
            vec![num("in", "Input series")],
            vec![boolean("out", "Rising")],
            vec![int("period", 1, 1, 1_000_000, "Bars to look back")],
        ),
        spec(
            "signal.falling",
            Signal,
            "Falling",
            "True when the input is below each of its previous n values",
            vec![num("in", "Input series")],
            vec![boolean("out", "Falling")],
            vec![int("period", 1, 1, 1_000_000, "Bars to look back")],
        ),
        spec(
            "signal.bars_since",
            Signal,
            "Bars since",
            "Bars since the condition was last true (0 on a true bar)",
            vec![boolean("in", "Condition")],
            vec![num("out", "Bar count, missing before the first true")],
            vec![],
        ),
        binary("logic.and", Logic, "And", "a and b", Bool, Bool),
        binary("logic.or", Logic, "Or", "a or b", Bool, Bool),
        spec(
            "logic.not",
            Logic,
            "Not",
            "Negation (missing stays missing)",
            vec![boolean("in", "Condition")],
            vec![boolean("out", "not in")],
            vec![],
        ),
        order(
            "order.enter_long",
            "Enter long",
            "Buy at the next bar's open when flat",
            true,
        ),
        order(
            "order.exit_long",
            "Exit long",
            "Sell the long position at the next open",
            false,
        ),
        order(
            "order.enter_short",
            "Enter short",
            "Sell short at the next bar's open",
            true,
        ),
        order(
            "order.exit_short",
            "Exit short",
            "Buy back the short at the next open",
            false,
        ),
        spec(
            "risk.stop_loss",
            Risk,
            "Stop-loss %",
            "Exit when price moves pct% against the entry price",
            vec![],
            vec![],
            risk_params(),
        ),
        spec(
            "risk.take_profit",
            Risk,
            "Take-profit %",
            "Exit when price moves pct% in favour of the entry price",
            vec![],
            vec![],
            risk_params(),
        ),
        spec(
            "risk.trailing_stop",
            Risk,
            "Trailing stop %",
            "Exit when price falls pct% from its best level since entry",
            vec![],
            vec![],
            risk_params(),
        ),
    ]
}

/// The whole catalog, built once.
pub fn catalog() -> &'static [NodeSpec] {
    static CATALOG: std::sync::OnceLock<Vec<NodeSpec>> = std::sync::OnceLock::new();
    CATALOG.get_or_init(build)
}

/// The command that writes `docs/nodes.md`.
pub const NODES_MD_COMMAND: &str =
    "cargo run -p stratagraph-cli -- catalog --markdown > docs/nodes.md";

/// The node reference, `docs/nodes.md`: every kind with its help, formula, reference, ports
/// and params, grouped as in the palette.
pub fn markdown() -> String {
    let cat = catalog();
    let mut out = String::new();
    out.push_str("# Node reference\n\n");
    out.push_str(&format!(
        "Generated from the engine's catalog (`crates/engine/src/catalog.rs`) by\n`{NODES_MD_COMMAND}`;\na test fails when this file is out of date. The editor's palette and inspector show the same\ntext. {} kinds.\n\n",
        cat.len()
    ));
    out.push_str("Values are series, one per bar; a missing value (warm-up, division by zero) never\ntriggers an order. How values, orders and the account behave over time is in\n[backtest-semantics.md](backtest-semantics.md).\n\n");
    out.push_str("| Group | Kinds |\n|---|---:|\n");
    for c in Category::ALL {
        let n = cat.iter().filter(|s| s.category == c).count();
        out.push_str(&format!("| [{}](#{}) | {n} |\n", c.name(), c.name()));
    }
    let cell = |t: &str| t.replace('|', "\\|");
    for c in Category::ALL {
        out.push_str(&format!("\n## {}\n", c.name()));
        for s in cat.iter().filter(|s| s.category == c) {
            out.push_str(&format!(
                "\n### `{}` — {}\n\n{}.\n\n",
                s.kind, s.label, s.help
            ));
            out.push_str(&format!("Formula: `{}`\n", s.formula));
            if !s.reference.is_empty() {
                out.push_str(&format!("\nReference: {}\n", s.reference));
            }
            if !s.inputs.is_empty() || !s.outputs.is_empty() {
                out.push_str("\n| Port | Type | |\n|---|---|---|\n");
                for (dir, ports) in [("in", &s.inputs), ("out", &s.outputs)] {
                    for p in ports.iter() {
                        out.push_str(&format!(
                            "| {dir} `{}` | {} | {} |\n",
                            p.name,
                            p.ty.name(),
                            cell(p.help)
                        ));
                    }
                }
            }
            if !s.params.is_empty() {
                out.push_str("\n| Param | Type | Default | Range | |\n|---|---|---|---|---|\n");
                for p in &s.params {
                    let ty = match p.ty {
                        ParamType::Int => "int".to_string(),
                        ParamType::Float => "float".to_string(),
                        ParamType::Enum { values } => format!("one of {}", values.join(", ")),
                        ParamType::ParamName => "parameter name".to_string(),
                        ParamType::Size => "size".to_string(),
                    };
                    let range = match (p.min, p.max) {
                        (Some(a), Some(b)) => format!("{a} to {b}"),
                        _ => String::new(),
                    };
                    out.push_str(&format!(
                        "| `{}` | {} | `{}` | {} | {} |\n",
                        p.name,
                        cell(&ty),
                        p.default,
                        range,
                        cell(p.help)
                    ));
                }
            }
        }
    }
    out
}

/// The node kind called `kind`, if there is one.
pub fn node_spec(kind: &str) -> Option<&'static NodeSpec> {
    catalog().iter().find(|s| s.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn kinds_and_ports_are_unique_and_defaults_in_range() {
        let mut kinds = HashSet::new();
        for s in catalog() {
            assert!(kinds.insert(s.kind), "duplicate kind {}", s.kind);
            let cat = serde_json::to_value(s.category).unwrap();
            assert!(
                s.kind.starts_with(cat.as_str().unwrap()),
                "{} not in its category",
                s.kind
            );
            let mut ins = HashSet::new();
            assert!(s.inputs.iter().all(|p| ins.insert(p.name)), "{}", s.kind);
            let mut outs = HashSet::new();
            assert!(s.outputs.iter().all(|p| outs.insert(p.name)), "{}", s.kind);
            for p in &s.params {
                if let Some(v) = p.default.as_f64() {
                    assert!(p.min.is_none_or(|m| v >= m) && p.max.is_none_or(|m| v <= m));
                }
            }
            assert_eq!(s.is_sink(), s.outputs.is_empty(), "{}", s.kind);
            assert!(!s.formula.is_empty(), "{} has no formula", s.kind);
            if matches!(s.category, Category::Indicator | Category::Pattern) {
                assert!(!s.reference.is_empty(), "{} has no reference", s.kind);
            }
            assert!(Category::ALL.contains(&s.category));
            assert_eq!(cat.as_str(), Some(s.category.name()));
        }
        assert!(kinds.len() >= 80, "{} kinds", kinds.len());
        // Every kind the library compiles is in the catalog and the other way round.
        for s in catalog() {
            let kind = s.kind;
            let core = CORE_DOCS.iter().any(|(k, _, _)| *k == kind);
            let library = library::kinds().iter().any(|l| l.kind == kind);
            assert!(core != library, "{kind}: core {core}, library {library}");
        }
        assert_eq!(CORE_DOCS.len(), core().len());
    }

    #[test]
    fn scalar_feeds_number_but_not_bool() {
        assert!(PortType::Scalar.feeds(PortType::Number));
        assert!(!PortType::Scalar.feeds(PortType::Bool));
        assert!(!PortType::Number.feeds(PortType::Bool));
        assert!(!PortType::Bool.feeds(PortType::Number));
    }
}
