//! The example strategies and sample data shipped inside the app binary.

use serde_json::Value;

use crate::dto::ExampleInfo;
use crate::error::{ApiResult, IpcError};

/// The examples: file stem, title, graph JSON text.
const EXAMPLES: &[(&str, &str, &str)] = &[
    (
        "sma_crossover",
        "SMA crossover",
        include_str!("../../../examples/sma_crossover.json"),
    ),
    (
        "rsi_mean_reversion",
        "RSI mean reversion",
        include_str!("../../../examples/rsi_mean_reversion.json"),
    ),
    (
        "macd_trend_stop",
        "MACD trend with stop",
        include_str!("../../../examples/macd_trend_stop.json"),
    ),
    (
        "bollinger_breakout_long_short",
        "Bollinger breakout (long/short)",
        include_str!("../../../examples/bollinger_breakout_long_short.json"),
    ),
];

/// The bundled sample data: a synthetic daily random walk (see `examples/data/README.md`).
pub const SAMPLE_CSV: &str = include_str!("../../../examples/data/synthetic_random_walk_daily.csv");

/// The example opened on first start.
pub const FIRST_EXAMPLE: &str = "sma_crossover";

/// Every example's name and title.
pub fn list() -> Vec<ExampleInfo> {
    EXAMPLES
        .iter()
        .map(|(name, title, _)| ExampleInfo {
            name: (*name).to_owned(),
            title: (*title).to_owned(),
        })
        .collect()
}

/// The title and graph of example `name`.
///
/// # Errors
///
/// `not_found` for an unknown name.
pub fn get(name: &str) -> ApiResult<(&'static str, Value)> {
    let (_, title, text) = EXAMPLES
        .iter()
        .find(|(n, _, _)| *n == name.trim())
        .ok_or_else(|| IpcError::not_found(format!("There is no example called \"{name}\"")))?;
    let graph = serde_json::from_str(text)
        .map_err(|e| IpcError::invalid(format!("The example {name} is not valid JSON: {e}")))?;
    Ok((title, graph))
}

/// A graph with no nodes and default settings.
pub fn blank_graph() -> Value {
    serde_json::json!({
        "schema": 1,
        "nodes": [],
        "edges": [],
        "parameters": [],
        "settings": {"initial_cash": 10000, "commission": 0.0, "slippage_bps": 0, "fractional": false}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_parses_and_validates() {
        for ex in list() {
            let (_, graph) = get(&ex.name).unwrap();
            let v = stratagraph_engine::validate::validate(&graph);
            assert!(v.is_valid(), "{}: {:?}", ex.name, v.problems);
        }
    }

    #[test]
    fn sample_data_imports() {
        let bars = stratagraph_engine::import::import_csv_str(SAMPLE_CSV).unwrap();
        assert!(bars.len() > 1000);
    }
}
