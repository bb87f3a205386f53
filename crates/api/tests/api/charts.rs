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
        .unwrap();
    assert!(with_prices.contains("<svg"));
    assert!(!with_prices.contains("no price data"));

    // Zoomed to the first trade: a different picture of the same run.
    let t = &run.trades[0];
    let mut zoom = chart(&run.summary.id, "price");
    zoom.from = Some(t.entry_time - 86_400_000 * 10);
    zoom.to = Some(t.exit_time + 86_400_000 * 10);
    let zoomed = charts::run_chart(&ctx, zoom).await.unwrap();
    assert_ne!(zoomed, with_prices);

    datasets::delete(&ctx, run.summary.dataset_id.as_deref().unwrap()).unwrap();
    let trades_only = charts::run_chart(&ctx, chart(&run.summary.id, "price"))
        .await
        .unwrap();
    assert!(trades_only.contains("<svg"));
    assert!(
        trades_only.contains("no price data: trades only"),
        "the chart says why it has no prices"
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
