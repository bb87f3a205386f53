//! Rendering speed: the equity SVG and PNG, the price chart and the HTML report for a backtest
//! of the SMA-crossover example over 1,000,000 synthetic minute bars. Prints the best time of
//! a few runs and the output sizes (a typical 2,520-bar daily run is timed first); run with `cargo bench -p stratagraph-report --bench render`.

use std::collections::BTreeMap;
use std::time::Instant;

use stratagraph_engine::backtest::backtest;
use stratagraph_engine::compile::compile_json;
use stratagraph_engine::synth::{random_walk, SynthConfig};
use stratagraph_report::{
    drawdown_svg, equity_png, equity_svg, html_report, price_png, price_svg, ChartData,
    ChartOptions, PriceSeries, ReportInput,
};

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("{msg}");
    std::process::exit(1)
}

/// Best wall time of `runs` calls, in ms, and the last output's length.
fn time<T>(runs: usize, mut f: impl FnMut() -> T, len: impl Fn(&T) -> usize) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut size = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let out = f();
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        size = len(&out);
    }
    (best, size)
}

fn main() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/sma_crossover.json"
    );
    let doc = match std::fs::read_to_string(path).map(|t| serde_json::from_str(&t)) {
        Ok(Ok(doc)) => doc,
        other => fail(format!("cannot read {path}: {other:?}")),
    };
    let plan = compile_json(&doc, &BTreeMap::new()).unwrap_or_else(|e| fail(e));
    // A typical run first (2,520 daily bars), then 1,000,000 minute bars.
    for (n, step_ms) in [(2520, 86_400_000), (1_000_000, 60_000)] {
        bench(&plan, n, step_ms);
    }
}

fn bench(plan: &stratagraph_engine::compile::Plan, n: usize, step_ms: i64) {
    let cfg = SynthConfig {
        seed: 7,
        bars: n,
        step_ms,
        ..Default::default()
    };
    let bars = random_walk(&cfg).unwrap_or_else(|e| fail(e));
    let result = backtest(plan, &bars);
    let data = ChartData {
        times: bars.time(),
        equity: &result.equity,
        trades: &result.trades,
        prices: Some(PriceSeries::from_bars(&bars)),
        ..ChartData::default()
    };
    let opts = ChartOptions::default();
    let runs = 10;
    let report = |name: &str, (ms, bytes): (f64, usize)| {
        println!("{name:<28} {n} bars: {ms:8.2} ms (best of {runs}), {bytes} bytes");
    };
    let svg_len = |r: &Result<String, _>| r.as_ref().map_or(0, String::len);
    let png_len = |r: &Result<Vec<u8>, _>| r.as_ref().map_or(0, Vec::len);
    report(
        "equity SVG 960x360",
        time(runs, || equity_svg(&data, &opts), svg_len),
    );
    report(
        "equity PNG 960x360",
        time(runs, || equity_png(&data, &opts), png_len),
    );
    report(
        "price PNG 960x360",
        time(runs, || price_png(&data, &opts), png_len),
    );
    report(
        "drawdown SVG 960x360",
        time(runs, || drawdown_svg(&data, &opts), svg_len),
    );
    report(
        "price SVG 960x360",
        time(runs, || price_svg(&data, &opts), svg_len),
    );
    let params: Vec<(String, String)> = result
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    let input = ReportInput {
        title: "SMA crossover",
        subtitle: None,
        notes: None,
        params: &params,
        details: &[],
        metrics: &result.metrics,
        data,
        theme: Default::default(),
        graph: None,
        robustness: None,
    };
    println!("({} trades in the report)", result.trades.len());
    report(
        "HTML report",
        time(runs, || html_report(&input), String::len),
    );
}
