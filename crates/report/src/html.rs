//! One self-contained HTML file per run: inline CSS, inline SVG charts, the metrics, the
//! parameters and the full trade list. No external URL; a few lines of inline script only
//! make the trade table sortable.

use std::fmt::Write as _;

use stratagraph_engine::backtest::{ExitReason, Side, Trade};
use stratagraph_engine::metrics::Metrics;

use crate::data::{ChartData, ChartOptions, Theme};
use crate::format::{escape_html, number, opt, pct, time_text};
use crate::{drawdown_svg, equity_svg, price_svg};

/// Everything a report shows. Every string is escaped on output, so user text (titles, node
/// ids, notes, parameter names) can be passed as it is.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// The strategy's title (or the graph file's name for an unsaved run).
    pub title: &'a str,
    /// A line under the title, e.g. `version 3 · run 0190…`.
    pub subtitle: Option<&'a str>,
    /// Free text, e.g. the version's notes.
    pub notes: Option<&'a str>,
    /// Parameter names and values as used.
    pub params: &'a [(String, String)],
    /// Other facts worth keeping: run id, status, result hash, data file…
    pub details: &'a [(String, String)],
    /// The run's metrics.
    pub metrics: &'a Metrics,
    /// Equity, trades and (optionally) prices for the charts and the trade table.
    pub data: ChartData<'a>,
    /// Colours of the page and the charts.
    pub theme: Theme,
    /// The strategy's graph, drawn as its rules.
    pub graph: Option<&'a stratagraph_engine::graph::Graph>,
    /// What robustness checks found.
    pub robustness: Option<&'a crate::strategy::RobustnessReport>,
}

/// Every field of [`Metrics`] as a `(label, formatted value)` card, in a fixed order:
/// percentages with `%`, undefined values as `–`.
pub fn metric_cards(m: &Metrics) -> Vec<(&'static str, String)> {
    // Destructured in full so that a new field fails to compile until it has a card.
    let Metrics {
        initial_equity,
        final_equity,
        total_return_pct,
        cagr_pct,
        buy_hold_return_pct,
        max_drawdown_pct,
        max_drawdown_bars,
        max_drawdown_days,
        volatility_ann_pct,
        sharpe,
        sortino,
        calmar,
        trades,
        win_rate_pct,
        profit_factor,
        avg_trade_pct,
        best_trade_pct,
        worst_trade_pct,
        avg_bars_held,
        avg_holding_days,
        exposure_pct,
        commissions,
        open_position,
    } = m;
    let ratio = |v: f64| number(v, 2);
    let days = |v: f64| format!("{} days", number(v, 1));
    vec![
        ("Initial equity", number(*initial_equity, 2)),
        ("Final equity", number(*final_equity, 2)),
        ("Total return", pct(*total_return_pct)),
        ("CAGR", opt(*cagr_pct, pct)),
        ("Buy & hold return", pct(*buy_hold_return_pct)),
        ("Max drawdown", pct(*max_drawdown_pct)),
        ("Max drawdown length", format!("{max_drawdown_bars} bars")),
        ("Max drawdown duration", days(*max_drawdown_days)),
        ("Volatility (annualised)", opt(*volatility_ann_pct, pct)),
        ("Sharpe ratio", opt(*sharpe, ratio)),
        ("Sortino ratio", opt(*sortino, ratio)),
        ("Calmar ratio", opt(*calmar, ratio)),
        ("Trades", trades.to_string()),
        ("Win rate", opt(*win_rate_pct, pct)),
        ("Profit factor", opt(*profit_factor, ratio)),
        ("Average trade", opt(*avg_trade_pct, pct)),
        ("Best trade", opt(*best_trade_pct, pct)),
        ("Worst trade", opt(*worst_trade_pct, pct)),
        ("Average bars held", opt(*avg_bars_held, |v| number(v, 1))),
        ("Average holding time", opt(*avg_holding_days, days)),
        ("Exposure", pct(*exposure_pct)),
        ("Commissions", number(*commissions, 2)),
        (
            "Open position",
            if *open_position { "yes" } else { "no" }.to_owned(),
        ),
    ]
}

const CSS_LIGHT: &str =
    "--bg:#f6f7f9;--card:#fff;--fg:#222;--muted:#667;--line:#dde;--win:#00963c;--loss:#d7191c;";
const CSS_DARK: &str = "--bg:#111318;--card:#181a1f;--fg:#e1e1e1;--muted:#99a;--line:#33363d;--win:#3cdc6e;--loss:#ff5050;";

const CSS: &str = "*{box-sizing:border-box}\
body{margin:0;padding:24px;background:var(--bg);color:var(--fg);\
font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif}\
main{max-width:1040px;margin:0 auto}.warn{color:#c0392b;margin:4px 0}\
h1{margin:0 0 4px;font-size:24px;word-break:break-word}h2{font-size:17px;margin:28px 0 10px}\
.sub,.muted{color:var(--muted)}.notes{white-space:pre-wrap;margin:10px 0 0}\
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:8px}\
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 10px}\
.card .k{font-size:12px;color:var(--muted)}.card .v{font-size:17px;font-weight:600}\
.chart{background:var(--card);border:1px solid var(--line);border-radius:6px;margin:0 0 10px;padding:4px}\
.chart svg{display:block;max-width:100%;height:auto}\
table{border-collapse:collapse;width:100%;background:var(--card)}\
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:right;white-space:nowrap}\
th{cursor:pointer;user-select:none;position:sticky;top:0;background:var(--card)}\
td.l,th.l{text-align:left}.win{color:var(--win)}.loss{color:var(--loss)}\
.kv td{text-align:left;white-space:normal;word-break:break-all}.kv td:first-child{color:var(--muted);width:30%}\
.scroll{overflow-x:auto}";

const SORT_SCRIPT: &str = "document.querySelectorAll('table.sortable th').forEach(function(th,i){\
th.addEventListener('click',function(){var tb=th.closest('table').tBodies[0];\
var rows=Array.prototype.slice.call(tb.rows);var asc=th.getAttribute('data-dir')!=='asc';\
th.setAttribute('data-dir',asc?'asc':'desc');rows.sort(function(a,b){\
var x=a.cells[i].getAttribute('data-v'),y=b.cells[i].getAttribute('data-v');\
var nx=parseFloat(x),ny=parseFloat(y);var c=(isNaN(nx)||isNaN(ny))?x.localeCompare(y):nx-ny;\
return asc?c:-c;});rows.forEach(function(r){tb.appendChild(r);});});});";

/// The width and height of the charts in a report.
const CHART_W: u32 = 1000;
const CHART_H: u32 = 340;

/// An SVG made fit for inlining: without the XML namespace URL (HTML needs none).
fn inline_svg(result: Result<String, crate::ReportError>) -> String {
    match result {
        Ok(svg) => svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1),
        Err(e) => format!("<p class=\"muted\">{}</p>", escape_html(&e.to_string())),
    }
}

fn side_text(s: Side) -> &'static str {
    match s {
        Side::Long => "long",
        Side::Short => "short",
    }
}

fn reason_text(r: ExitReason) -> &'static str {
    match r {
        ExitReason::Signal => "signal",
        ExitReason::Reverse => "reverse",
        ExitReason::StopLoss => "stop-loss",
        ExitReason::TakeProfit => "take-profit",
        ExitReason::TrailingStop => "trailing stop",
        ExitReason::Open => "open",
    }
}

/// A finite number for `data-v` (sort key), else an empty string.
fn key(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

fn trade_row(out: &mut String, n: usize, t: &Trade) {
    let class = if t.exit_reason == ExitReason::Open {
        "trade open"
    } else if t.pnl > 0.0 {
        "trade win"
    } else {
        "trade loss"
    };
    let pnl_class = if t.pnl > 0.0 {
        "win"
    } else if t.pnl < 0.0 {
        "loss"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "<tr class=\"{class}\"><td data-v=\"{n}\">{n}</td>\
         <td class=\"l\" data-v=\"{side}\">{side}</td>\
         <td class=\"l\" data-v=\"{et}\">{ets}</td><td data-v=\"{ep}\">{eps}</td>\
         <td class=\"l\" data-v=\"{xt}\">{xts}</td><td data-v=\"{xp}\">{xps}</td>\
         <td data-v=\"{size}\">{sizes}</td>\
         <td class=\"{pnl_class}\" data-v=\"{pnl}\">{pnls}</td>\
         <td class=\"{pnl_class}\" data-v=\"{pp}\">{pps}</td>\
         <td data-v=\"{bars}\">{bars}</td><td data-v=\"{com}\">{coms}</td>\
         <td class=\"l\" data-v=\"{reason}\">{reason}</td></tr>",
        side = side_text(t.side),
        et = t.entry_time,
        ets = time_text(t.entry_time),
        ep = key(t.entry_price),
        eps = number(t.entry_price, 4),
        xt = t.exit_time,
        xts = time_text(t.exit_time),
        xp = key(t.exit_price),
        xps = number(t.exit_price, 4),
        size = key(t.size),
        sizes = number(t.size, if t.size.fract() == 0.0 { 0 } else { 4 }),
        pnl = key(t.pnl),
        pnls = number(t.pnl, 2),
        pp = key(t.pnl_pct),
        pps = pct(t.pnl_pct),
        bars = t.bars_held,
        com = key(t.commission),
        coms = number(t.commission, 2),
        reason = reason_text(t.exit_reason),
    );
}

fn kv_table(out: &mut String, rows: &[(String, String)]) {
    out.push_str("<table class=\"kv\"><tbody>\n");
    for (k, v) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape_html(k),
            escape_html(v)
        );
    }
    out.push_str("</tbody></table>\n");
}

/// The data range as text: first and last time and the number of bars.
fn data_range(data: &ChartData<'_>) -> String {
    let times = match data.prices {
        Some(p) if !p.is_empty() => &p.times[..p.len()],
        _ => &data.times[..data.len()],
    };
    match (times.first(), times.last()) {
        (Some(&a), Some(&b)) => {
            let what = if data.prices.is_some_and(|p| !p.is_empty()) {
                "bars"
            } else {
                "points"
            };
            format!(
                "{} → {} ({} {what})",
                time_text(a),
                time_text(b),
                number(times.len() as f64, 0)
            )
        }
        _ => "no data".to_owned(),
    }
}

fn prob_pct(v: Option<f64>) -> String {
    v.map_or("–".to_owned(), |x| format!("{}%", number(x * 100.0, 1)))
}

/// The robustness figures, the warnings and the Monte Carlo percentiles.
fn robustness_section(out: &mut String, r: &crate::strategy::RobustnessReport) {
    out.push_str("<h2>Robustness</h2>\n");
    let mut rows = vec![
        (
            "Probabilistic Sharpe ratio".to_owned(),
            prob_pct(r.probabilistic_sharpe),
        ),
        (
            "Deflated Sharpe ratio".to_owned(),
            prob_pct(r.deflated_sharpe),
        ),
        ("Trials counted".to_owned(), number(r.trials as f64, 0)),
    ];
    if let Some(n) = &r.note {
        rows.push(("Note".to_owned(), n.clone()));
    }
    kv_table(out, &rows);
    for w in &r.warnings {
        let _ = writeln!(out, "<p class=\"warn\">⚠ {}</p>", escape_html(w));
    }
    if let Some(mc) = &r.monte_carlo {
        let _ = writeln!(
            out,
            "<p>Monte Carlo: {} {} runs of {} trades. Percentiles 5 / 25 / 50 / 75 / 95.</p>",
            number(mc.runs as f64, 0),
            match mc.method {
                stratagraph_engine::robust::Method::Shuffle => "shuffle",
                stratagraph_engine::robust::Method::Bootstrap => "bootstrap",
            },
            number(mc.trades as f64, 0)
        );
        let line = |v: &[f64; 5], d: usize| {
            v.iter()
                .map(|x| number(*x, d))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        kv_table(
            out,
            &[
                ("Final equity".to_owned(), line(&mc.final_equity, 0)),
                ("Max drawdown %".to_owned(), line(&mc.max_drawdown_pct, 1)),
                (
                    "Runs ending below the start".to_owned(),
                    prob_pct(Some(mc.prob_loss)),
                ),
            ],
        );
    }
}

/// The whole report as one HTML document (UTF-8). Deterministic: the same input gives the
/// same text. A chart that cannot be drawn is replaced by a line saying why.
pub fn html_report(input: &ReportInput<'_>) -> String {
    let title = escape_html(input.title);
    let opts = ChartOptions {
        width: CHART_W,
        height: CHART_H,
        from_ms: None,
        to_ms: None,
        theme: input.theme,
    };
    let vars = match input.theme {
        Theme::Light => CSS_LIGHT,
        Theme::Dark => CSS_DARK,
    };
    let mut out = String::with_capacity(64 * 1024 + input.data.trades.len() * 400);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · backtest report</title>\n<style>:root{{{vars}}}{CSS}</style>\n\
         </head>\n<body>\n<main>\n<h1>{title}</h1>\n"
    );
    if let Some(s) = input.subtitle {
        let _ = writeln!(out, "<div class=\"sub\">{}</div>", escape_html(s));
    }
    let _ = writeln!(
        out,
        "<div class=\"sub\">Data: {}</div>",
        escape_html(&data_range(&input.data))
    );
    if let Some(n) = input.notes.filter(|n| !n.trim().is_empty()) {
        let _ = writeln!(out, "<p class=\"notes\">{}</p>", escape_html(n));
    }

    out.push_str("<h2>Metrics</h2>\n<div class=\"cards\">\n");
    for (label, value) in metric_cards(input.metrics) {
        let _ = writeln!(
            out,
            "<div class=\"card metric\"><div class=\"k\">{}</div><div class=\"v\">{}</div></div>",
            escape_html(label),
            escape_html(&value)
        );
    }
    out.push_str("</div>\n");

    out.push_str("<h2>Charts</h2>\n");
    for svg in [
        equity_svg(&input.data, &opts),
        drawdown_svg(&input.data, &opts),
        price_svg(&input.data, &opts),
    ] {
        let _ = writeln!(out, "<div class=\"chart\">{}</div>", inline_svg(svg));
    }

    if let Some(g) = input.graph {
        out.push_str("<h2>Strategy rules</h2>\n");
        let _ = writeln!(
            out,
            "<div class=\"chart\">{}</div>",
            inline_svg(Ok(crate::strategy::graph_svg(g)))
        );
        if !g.parameters.is_empty() {
            let decl: Vec<(String, String)> = g
                .parameters
                .iter()
                .map(|p| {
                    let range = match (p.min, p.max) {
                        (Some(a), Some(b)) => format!(" (from {a} to {b})"),
                        _ => String::new(),
                    };
                    (
                        format!("${}", p.name),
                        format!("default {}{range}", p.default),
                    )
                })
                .collect();
            kv_table(&mut out, &decl);
        }
        let s = &g.settings;
        kv_table(
            &mut out,
            &[
                ("Starting cash".to_owned(), number(s.initial_cash, 2)),
                (
                    "Commission".to_owned(),
                    format!("{}%", s.commission * 100.0),
                ),
                ("Slippage".to_owned(), format!("{} bps", s.slippage_bps)),
            ],
        );
    }
    if let Some(r) = input.robustness {
        robustness_section(&mut out, r);
    }
    out.push_str("<h2>Parameters</h2>\n");
    if input.params.is_empty() {
        out.push_str("<p class=\"muted\">none</p>\n");
    } else {
        kv_table(&mut out, input.params);
    }
    if !input.details.is_empty() {
        out.push_str("<h2>Run</h2>\n");
        kv_table(&mut out, input.details);
    }

    let trades = input.data.trades;
    let _ = writeln!(
        out,
        "<h2>Trades ({})</h2>\n<div class=\"scroll\"><table class=\"sortable trades\">\
         <thead><tr><th>#</th><th class=\"l\">Side</th><th class=\"l\">Entry time</th>\
         <th>Entry price</th><th class=\"l\">Exit time</th><th>Exit price</th><th>Size</th>\
         <th>P&amp;L</th><th>P&amp;L %</th><th>Bars</th><th>Commission</th>\
         <th class=\"l\">Exit</th></tr></thead>\n<tbody>",
        trades.len()
    );
    for (i, t) in trades.iter().enumerate() {
        trade_row(&mut out, i + 1, t);
    }
    out.push_str("</tbody></table></div>\n");
    if trades.is_empty() {
        out.push_str("<p class=\"muted\">No trades.</p>\n");
    }
    let _ = write!(
        out,
        "</main>\n<script>{SORT_SCRIPT}</script>\n</body>\n</html>\n"
    );
    out
}
