//! Charts and reports of stored runs: the price chart with and without its dataset, PNG/SVG
//! chart export and the HTML report, written atomically, with typed errors.

use std::collections::BTreeMap;

use stratagraph_api::charts::{self, ChartRequest, ExportRequest};
use stratagraph_api::runs::{self, RunRequest};
use stratagraph_api::{app, datasets, ErrorCode};

use crate::{fresh, recorder};

async fn one_run(ctx: &stratagraph_api::Ctx) -> stratagraph_api::dto::RunDetail {
    let info = app::app_info(ctx);
    let req = RunRequest {
        strategy_id: info.example_strategy_id.unwrap(),
        version: 1,
        dataset_id: info.sample_dataset_id.unwrap(),
        params: BTreeMap::new(),
    };
    let (_, sink) = recorder();
    runs::run_backtest(ctx, req, sink).await.unwrap()
}

fn chart(run_id: &str, kind: &str) -> ChartRequest {
    ChartRequest {
        run_id: run_id.to_owned(),
        kind: kind.to_owned(),
        width: Some(640),
        height: Some(300),
        ..Default::default()
    }
}

/// Names in `dir` (to check that no temporary file is left behind).
fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn price_chart_draws_prices_and_keeps_the_trades_when_the_dataset_is_gone() {
    let (_dir, ctx, _) = fresh().await;
    let run = one_run(&ctx).await;
    let with_prices = charts::run_chart(&ctx, chart(&run.summary.id, "price"))
        .await
        .unwrap()
        .svg;
    assert!(with_prices.contains("<svg"));
    assert!(!with_prices.contains("no price data"));

    // Zoomed to the first trade: a different picture of the same run.
    let t = &run.trades[0];
    let mut zoom = chart(&run.summary.id, "price");
    zoom.from = Some(t.entry_time - 86_400_000 * 10);
    zoom.to = Some(t.exit_time + 86_400_000 * 10);
    let zoomed = charts::run_chart(&ctx, zoom).await.unwrap().svg;
    assert_ne!(zoomed, with_prices);

    datasets::delete(&ctx, run.summary.dataset_id.as_deref().unwrap()).unwrap();
    let trades_only = charts::run_chart(&ctx, chart(&run.summary.id, "price"))
        .await
        .unwrap()
        .svg;
    assert!(trades_only.contains("<svg"));
    assert!(
        trades_only.contains("no price data: trades only"),
        "the chart says why it has no prices"
    );
}

#[tokio::test]
async fn equity_has_buy_and_hold_and_the_crosshair_reads_every_column() {
    let (_dir, ctx, _) = fresh().await;
    let run = one_run(&ctx).await;
    // Zoomed to the first weeks, each pixel column is a fraction of a (daily) bar.
    let t0 = run.equity[0].t;
    let zoomed = |kind: &str| {
        let mut r = chart(&run.summary.id, kind);
        r.from = Some(t0);
        r.to = Some(t0 + 20 * 86_400_000);
        r
    };
    let v = charts::run_chart(&ctx, zoomed("equity")).await.unwrap();
    assert!(
        v.svg.contains("Buy and hold") && v.svg.contains("Strategy"),
        "legend"
    );
    let f = v.frame;
    assert!(f.left > 0 && f.right <= 640 && f.left < f.right && f.top < f.bottom);
    assert_eq!(
        v.times.len(),
        (f.right - f.left) as usize,
        "a time per column"
    );
    let labels: Vec<&str> = v.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["Equity", "Buy and hold"]);
    // Both start from the example's 10,000 of cash.
    let first = |k: usize| v.series[k].values.iter().flatten().next().copied().unwrap();
    assert!((first(0) - 10_000.0).abs() < 1e-6);
    assert!((first(1) - 10_000.0).abs() < 1e-6);
    // The read-out follows the times: increasing, never before the data.
    let times: Vec<i64> = v.times.iter().flatten().copied().collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(times[0], t0);
    // Buy and hold moves with the close: its value at a bar is 10,000 × close / first close,
    // the closes read from the price chart's crosshair.
    let p = charts::run_chart(&ctx, zoomed("price")).await.unwrap();
    let close_at = |t: i64| {
        let c = p.times.iter().position(|x| *x == Some(t)).unwrap();
        p.series[3].values[c].unwrap()
    };
    let (c0, last) = (close_at(t0), *times.last().unwrap());
    let c = v.times.iter().position(|x| *x == Some(last)).unwrap();
    let bh = v.series[1].values[c].unwrap();
    assert!((bh - 10_000.0 * close_at(last) / c0).abs() < 1e-6, "{bh}");
}

#[tokio::test]
async fn price_chart_points_at_each_trade_and_draws_indicators() {
    let (_dir, ctx, _) = fresh().await;
    let run = one_run(&ctx).await;
    let id = &run.summary.id;
    let list = stratagraph_api::indicators::list(&ctx, id).await.unwrap();
    let keys: Vec<(&str, bool)> = list.iter().map(|i| (i.key.as_str(), i.overlay)).collect();
    // The example's two moving averages, both in price units; no signal or order output.
    assert_eq!(keys, [("fast.out", true), ("slow.out", true)]);

    let mut req = chart(id, "price");
    req.indicators = vec!["fast.out".into(), "slow.out".into()];
    let v = charts::run_chart(&ctx, req).await.unwrap();
    let legend = |name: &str| {
        v.svg.contains(&format!(">\n{name}\n</text>")) || v.svg.contains(&format!(">{name}</text>"))
    };
    assert!(legend("fast") && legend("slow"), "legend");
    let labels: Vec<&str> = v.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["Open", "High", "Low", "Close", "fast", "slow"]);
    let t = &run.trades[0];
    let entry = v
        .markers
        .iter()
        .find(|m| m.trade == 1 && m.at == "entry")
        .expect("the first trade's entry is pointed at");
    assert_eq!(entry.t, t.entry_time);
    assert_eq!(entry.price, t.entry_price);
    assert_eq!(entry.pnl, t.pnl);
    assert_eq!(entry.exit_price, Some(t.exit_price));

    let mut bad = chart(id, "price");
    bad.indicators = vec!["nothing.out".into()];
    let e = charts::run_chart(&ctx, bad).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Invalid);
    assert!(e.message.contains("nothing.out"), "{}", e.message);
}

#[tokio::test]
async fn an_oscillator_gets_a_pane_with_the_levels_it_is_compared_with() {
    let (_dir, ctx, _) = fresh().await;
    let info = app::app_info(&ctx);
    let created = stratagraph_api::strategies::create(&ctx, "RSI", Some("rsi_mean_reversion"))
        .await
        .unwrap();
    let req = RunRequest {
        strategy_id: created.strategy.id.clone(),
        version: 1,
        dataset_id: info.sample_dataset_id.unwrap(),
        params: BTreeMap::from([("lower".to_owned(), 25.0)]),
    };
    let (_, sink) = recorder();
    let run = runs::run_backtest(&ctx, req, sink).await.unwrap();
    let list = stratagraph_api::indicators::list(&ctx, &run.summary.id)
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].key, "rsi.out");
    assert!(!list[0].overlay, "RSI goes in a pane");
    // The run's own parameters: 25 (changed) and 70 (default).
    assert_eq!(list[0].levels, [25.0, 70.0]);

    let mut req = chart(&run.summary.id, "indicator");
    req.series = Some("rsi.out".into());
    let v = charts::run_chart(&ctx, req).await.unwrap();
    assert_eq!(v.series.len(), 1);
    let values: Vec<f64> = v.series[0].values.iter().flatten().copied().collect();
    assert!(!values.is_empty() && values.iter().all(|x| (0.0..=100.0).contains(x)));
    assert!(
        v.frame.y0 < 25.0 && v.frame.y1 > 70.0,
        "the levels are in view"
    );

    let none = chart(&run.summary.id, "indicator");
    assert_eq!(
        charts::run_chart(&ctx, none).await.unwrap_err().code,
        ErrorCode::Invalid
    );
}

#[tokio::test]
async fn chart_export_writes_png_and_svg_files_atomically() {
    let (dir, ctx, _) = fresh().await;
    let run = one_run(&ctx).await;
    let out = dir.path().join("exports");
    for (kind, format) in [("equity", "png"), ("drawdown", "svg"), ("price", "PNG")] {
        let path = out.join(format!("{kind}.{}", format.to_ascii_lowercase()));
        charts::chart_export(
            &ctx,
            ExportRequest {
                chart: chart(&run.summary.id, kind),
                format: format.to_owned(),
                path: path.to_string_lossy().into_owned(),
            },
        )
        .await
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        if format.eq_ignore_ascii_case("png") {
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{kind}");
        } else {
            assert!(String::from_utf8(bytes).unwrap().contains("<svg"), "{kind}");
        }
    }
    assert_eq!(names(&out), ["drawdown.svg", "equity.png", "price.png"]);

    // Exporting again replaces the file in one step.
    let path = out.join("equity.png");
    let before = std::fs::read(&path).unwrap();
    let mut zoom = chart(&run.summary.id, "equity");
    zoom.from = Some(run.trades[0].entry_time);
    charts::chart_export(
        &ctx,
        ExportRequest {
            chart: zoom,
            format: "png".into(),
            path: path.to_string_lossy().into_owned(),
        },
    )
    .await
    .unwrap();
    assert_ne!(std::fs::read(&path).unwrap(), before);
    assert_eq!(names(&out).len(), 3, "no temporary file left");
}

#[tokio::test]
async fn html_report_is_one_self_contained_file() {
    let (dir, ctx, _) = fresh().await;
    let run = one_run(&ctx).await;
    let path = dir.path().join("report.html");
    charts::run_export_html(&ctx, &run.summary.id, &path.to_string_lossy())
        .await
        .unwrap();
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(&run.summary.strategy_title));
    assert!(html.contains("Metrics") && html.contains("Total return"));
    assert_eq!(
        html.matches("<svg").count(),
        4,
        "equity, drawdown, price and the strategy's rules"
    );
    assert!(html.contains("Strategy rules"));
    assert!(html.contains(&format!(
        "Trades ({})",
        run.trades.len() + usize::from(run.open_trade.is_some())
    )));
    assert!(html.contains("Data range"));
    for name in run.summary.parameters.keys() {
        assert!(html.contains(name.as_str()), "parameter {name}");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external URL"
    );
    assert!(!html.contains("no price data"));

    // Without its dataset the report still comes out, saying so.
    datasets::delete(&ctx, run.summary.dataset_id.as_deref().unwrap()).unwrap();
    charts::run_export_html(&ctx, &run.summary.id, &path.to_string_lossy())
        .await
        .unwrap();
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.contains("(deleted)"));
    assert!(html.contains("no price data: trades only"));
    assert_eq!(
        names(dir.path())
            .iter()
            .filter(|n| n.ends_with(".tmp"))
            .count(),
        0
    );
}

#[tokio::test]
async fn export_errors_are_typed_and_leave_files_alone() {
    let (dir, ctx, _) = fresh().await;
    let run = one_run(&ctx).await;
    let id = run.summary.id.clone();
    let export = |kind: &str, format: &str, path: String| ExportRequest {
        chart: chart(&id, kind),
        format: format.to_owned(),
        path,
    };
    let file = dir.path().join("x.png").to_string_lossy().into_owned();
    let code = |r: Result<(), stratagraph_api::IpcError>| r.unwrap_err().code;

    assert_eq!(
        code(charts::chart_export(&ctx, export("equity", "gif", file.clone())).await),
        ErrorCode::Invalid
    );
    assert_eq!(
        code(charts::chart_export(&ctx, export("pie", "png", file.clone())).await),
        ErrorCode::Invalid
    );
    assert_eq!(
        code(charts::chart_export(&ctx, export("equity", "png", "  ".into())).await),
        ErrorCode::Invalid
    );
    let mut huge = export("equity", "png", file.clone());
    huge.chart.width = Some(100_000);
    assert_eq!(
        code(charts::chart_export(&ctx, huge).await),
        ErrorCode::Invalid
    );
    let mut unknown = export("equity", "png", file.clone());
    unknown.chart.run_id = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        code(charts::chart_export(&ctx, unknown).await),
        ErrorCode::NotFound
    );
    let mut malformed = export("equity", "png", file.clone());
    malformed.chart.run_id = "not-a-run".into();
    assert_eq!(
        code(charts::chart_export(&ctx, malformed).await),
        ErrorCode::Invalid
    );
    assert!(
        !std::path::Path::new(&file).exists(),
        "nothing written on errors"
    );

    // A directory where the file should go: `io`, and the directory is untouched.
    let blocked = dir.path().join("blocked");
    std::fs::create_dir(&blocked).unwrap();
    std::fs::write(blocked.join("keep"), b"keep").unwrap();
    let target = blocked.to_string_lossy().into_owned();
    assert_eq!(
        code(charts::chart_export(&ctx, export("equity", "svg", target.clone())).await),
        ErrorCode::Io
    );
    assert_eq!(
        code(charts::run_export_html(&ctx, &id, &target).await),
        ErrorCode::Io
    );
    assert_eq!(names(&blocked), ["keep"]);
    assert!(names(dir.path()).iter().all(|n| !n.ends_with(".tmp")));

    assert_eq!(
        code(charts::run_export_html(&ctx, &id, "").await),
        ErrorCode::Invalid
    );
    assert_eq!(
        code(charts::run_export_html(&ctx, &uuid::Uuid::new_v4().to_string(), &file).await),
        ErrorCode::NotFound
    );
}
