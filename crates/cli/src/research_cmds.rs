//! `stratagraph montecarlo`: Monte Carlo of a stored run's closed trades.

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::{json, Value};
use stratagraph_engine::robust::montecarlo::{self, Method};
use uuid::Uuid;

use crate::engine_cmds::write_stdout;
use crate::store_cmds::{runtime, store_err, with_store};

/// How the trades are resampled.
#[derive(Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// Every trade once, in a random order (the final P&L never changes).
    Shuffle,
    /// As many trades, drawn with replacement.
    Bootstrap,
}

/// `stratagraph montecarlo`.
#[derive(Args)]
pub struct MonteCarloArgs {
    /// The stored run (`stratagraph runs list`).
    run_id: String,
    /// Shuffle the order, or bootstrap (draw with replacement).
    #[arg(long, value_enum, default_value = "shuffle")]
    method: MethodArg,
    /// Simulated runs (1 to 1,000,000).
    #[arg(long, default_value_t = 1000)]
    runs: usize,
    /// Seed of the random draws (the same seed gives the same result).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `stratagraph montecarlo`.
pub fn montecarlo(db: Option<&Path>, a: &MonteCarloArgs) -> Result<ExitCode, String> {
    let id = Uuid::parse_str(a.run_id.trim()).map_err(|_| {
        format!(
            "\"{}\" is not a run id (see `stratagraph runs list`)",
            a.run_id
        )
    })?;
    let (metrics, trades) = with_store(&runtime()?, db, |store| async move {
        let run = store.get_run(id).await.map_err(store_err)?;
        let text = store.run_trades_json(id).await.map_err(store_err)?;
        Ok((run.metrics, text))
    })?;
    let initial = metrics
        .as_ref()
        .and_then(|m| m.get("initial_equity"))
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("run {id} has no results"))?;
    // Only each closed trade's profit is needed: read it from the stored list whichever way
    // its times are written (the app stores ms, the CLI ISO 8601 text).
    let list: Vec<Value> = serde_json::from_str(&trades)
        .map_err(|e| format!("run {id}: the stored trades cannot be read: {e}"))?;
    let mut pnl = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        if t.get("exit_reason").and_then(Value::as_str) == Some("open") {
            continue;
        }
        pnl.push(
            t.get("pnl")
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("run {id}: trade {} has no profit", i + 1))?,
        );
    }
    let method = match a.method {
        MethodArg::Shuffle => Method::Shuffle,
        MethodArg::Bootstrap => Method::Bootstrap,
    };
    let mc = montecarlo::run(&pnl, initial, method, a.runs, a.seed)
        .map_err(|e| format!("run {id}: {e}"))?;
    if a.json {
        let doc = json!({ "run_id": id.to_string(), "montecarlo": mc });
        return write_stdout(&format!("{doc}\n")).map(|_| ExitCode::SUCCESS);
    }
    let row = |name: &str, v: &[f64; 5], actual: f64, unit: &str| {
        let cells: Vec<String> = v.iter().map(|x| format!("{x:>12.2}")).collect();
        format!("{name:<16}{}{actual:>12.2}{unit}\n", cells.join(""))
    };
    let mut out = format!(
        "{} {} runs of {} trades (seed {})\n{:<16}{:>12}{:>12}{:>12}{:>12}{:>12}{:>12}\n",
        mc.runs,
        match method {
            Method::Shuffle => "shuffle",
            Method::Bootstrap => "bootstrap",
        },
        mc.trades,
        mc.seed,
        "",
        "5%",
        "25%",
        "median",
        "75%",
        "95%",
        "actual"
    );
    out.push_str(&row("final equity", &mc.final_equity, mc.actual_final, ""));
    out.push_str(&row(
        "max drawdown %",
        &mc.max_drawdown_pct,
        mc.actual_max_drawdown_pct,
        "",
    ));
    out.push_str(&format!(
        "{:.1}% of runs end below the starting cash of {initial:.2}\n",
        mc.prob_loss * 100.0
    ));
    write_stdout(&out).map(|_| ExitCode::SUCCESS)
}
