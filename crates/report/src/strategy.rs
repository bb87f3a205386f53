//! The strategy's rules for a report: its graph drawn as a picture (nodes where the editor put
//! them, wires between ports) and what robustness checks found.

use std::fmt::Write;

use stratagraph_engine::graph::Graph;
use stratagraph_engine::robust::montecarlo::MonteCarlo;

use crate::format::escape_html;

/// What a report says about robustness (`docs/robustness.md`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RobustnessReport {
    /// Deflated Sharpe ratio, when known.
    pub deflated_sharpe: Option<f64>,
    /// Probabilistic Sharpe ratio (against 0), when known.
    pub probabilistic_sharpe: Option<f64>,
    /// Trials counted for the strategy.
    pub trials: u64,
    /// Why a figure is missing.
    pub note: Option<String>,
    /// Warnings, each a sentence with its reason.
    pub warnings: Vec<String>,
    /// A Monte Carlo of the trades, when one was run.
    pub monte_carlo: Option<MonteCarlo>,
}

const NODE_W: f64 = 170.0;
const NODE_H: f64 = 46.0;

/// A node's position: the editor's `ui.x`/`ui.y`, else a column by position in the list.
fn position(g: &Graph, i: usize) -> (f64, f64) {
    let ui = g.nodes[i].ui.as_ref();
    let f = |k: &str| {
        ui.and_then(|u| u.get(k))
            .and_then(serde_json::Value::as_f64)
    };
    match (f("x"), f("y")) {
        (Some(x), Some(y)) => (x, y),
        _ => ((i % 4) as f64 * 220.0, (i / 4) as f64 * 90.0),
    }
}

/// A param value as one short text: numbers as written, `$name` bindings, sizes.
fn param_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(p) = m.get("$param").and_then(|p| p.as_str()) {
                return format!("${p}");
            }
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The graph as an SVG document: a box per node (kind, id and params) at its editor position,
/// a curve per wire from the right of its source to the left of its target.
pub fn graph_svg(g: &Graph) -> String {
    let pos: Vec<(f64, f64)> = (0..g.nodes.len()).map(|i| position(g, i)).collect();
    let (mut x0, mut y0, mut x1, mut y1) = (0.0f64, 0.0f64, NODE_W, NODE_H);
    for (i, &(x, y)) in pos.iter().enumerate() {
        if i == 0 {
            (x0, y0, x1, y1) = (x, y, x + NODE_W, y + NODE_H);
        }
        x0 = x0.min(x);
        y0 = y0.min(y);
        x1 = x1.max(x + NODE_W);
        y1 = y1.max(y + NODE_H);
    }
    let pad = 16.0;
    let (w, h) = (x1 - x0 + 2.0 * pad, y1 - y0 + 2.0 * pad);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{:.0} {:.0} {w:.0} {h:.0}\" \
         width=\"{w:.0}\" height=\"{h:.0}\" font-family=\"sans-serif\" font-size=\"11\">",
        x0 - pad,
        y0 - pad
    );
    let index = |id: &str| g.nodes.iter().position(|n| n.id == id);
    for e in &g.edges {
        if let (Some(a), Some(b)) = (index(&e.from), index(&e.to)) {
            let (ax, ay) = (pos[a].0 + NODE_W, pos[a].1 + NODE_H / 2.0);
            let (bx, by) = (pos[b].0, pos[b].1 + NODE_H / 2.0);
            let dx = ((bx - ax).abs() / 2.0).max(30.0);
            let _ = write!(
                out,
                "<path d=\"M{ax:.1},{ay:.1} C{:.1},{ay:.1} {:.1},{by:.1} {bx:.1},{by:.1}\" \
                 fill=\"none\" stroke=\"#7a8699\" stroke-width=\"1.5\"><title>{} → {}</title></path>",
                ax + dx,
                bx - dx,
                escape_html(&format!("{}.{}", e.from, e.from_port)),
                escape_html(&format!("{}.{}", e.to, e.to_port)),
            );
        }
    }
    for (n, &(x, y)) in g.nodes.iter().zip(&pos) {
        let colour = match n.kind.split('.').next().unwrap_or("") {
            "source" => "#4b7bd1",
            "indicator" => "#8b5cf6",
            "signal" | "compare" | "logic" => "#d97706",
            "order" => "#16a34a",
            "risk" => "#dc2626",
            _ => "#64748b",
        };
        let params: Vec<String> = n
            .params
            .iter()
            .map(|(k, v)| format!("{k}: {}", param_text(v)))
            .collect();
        let _ = write!(
            out,
            "<g><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"6\" \
             fill=\"#ffffff\" stroke=\"{colour}\" stroke-width=\"2\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-weight=\"bold\" fill=\"#222\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#555\">{}</text></g>",
            x + 8.0,
            y + 18.0,
            escape_html(&format!("{} ({})", n.kind, n.id)),
            x + 8.0,
            y + 35.0,
            escape_html(&truncate(&params.join(", "), 30)),
        );
    }
    out.push_str("</svg>");
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}
