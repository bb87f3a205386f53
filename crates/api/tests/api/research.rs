//! Research commands: a sweep counted before it starts, run as a job, stored with every row
//! and reopened; its rows and heatmap; trials counted for the Deflated Sharpe ratio; Monte
//! Carlo of a run; walk-forward; bad input named.

use std::collections::BTreeMap;

use stratagraph_api::research::{self, AxisInput, HeatmapRequest, SweepInput, SweepRequest};
use stratagraph_api::runs::{self, RunRequest};
use stratagraph_api::{app, ErrorCode};

use crate::{fresh, recorder};

fn axis(name: &str, start: f64, stop: f64, step: f64) -> AxisInput {
    AxisInput {
        name: name.into(),
        start: Some(start),
        stop: Some(stop),
        step: Some(step),
        values: None,
    }
}

fn input() -> SweepInput {
    SweepInput {
        axes: vec![axis("fast", 5.0, 25.0, 5.0), axis("slow", 20.0, 60.0, 10.0)],
        random: None,
        seed: None,
        constraints: vec!["fast < slow".into()],
        metric: "sharpe".into(),
    }
}

#[tokio::test]
async fn a_sweep_is_counted_run_stored_and_reopened() {
    let (_dir, ctx, _) = fresh().await;
    let info = app::app_info(&ctx);
    let (sid, did) = (
        info.example_strategy_id.unwrap(),
        info.sample_dataset_id.unwrap(),
    );
    let plan = research::plan(&ctx, &sid, 1, &input()).await.unwrap();
    // fast 5..25 by 5 (5 values) × slow 20..60 by 10 (5 values), fast < slow: 5+4+4+... pairs.
    let expected = [5.0f64, 10.0, 15.0, 20.0, 25.0]
        .iter()
        .map(|f| {
            [20.0f64, 30.0, 40.0, 50.0, 60.0]
                .iter()
                .filter(|s| f < *s)
                .count()
        })
        .sum::<usize>() as u64;
    assert_eq!((plan.combinations, plan.grid), (expected, 25));

    let (seen, sink) = recorder();
    let req = SweepRequest {
        strategy_id: sid.clone(),
        version: 1,
        dataset_id: did.clone(),
        input: input(),
    };
    let sweep = research::start(&ctx, req, sink).await.unwrap();
    assert_eq!((sweep.rows, sweep.total), (expected, expected));
    assert_eq!(sweep.status, "completed");
    let inbox = stratagraph_api::paper::inbox(&ctx, None).await.unwrap();
    let done: Vec<_> = inbox
        .items
        .iter()
        .filter(|n| n.kind == "sweep_done")
        .collect();
    assert_eq!(done.len(), 1, "{inbox:?}");
    assert_eq!(done[0].payload["sweepId"], sweep.id.as_str());
    assert_eq!(
        done[0].message,
        format!(
            "Sweep of \"{}\" v1 done: {expected} combinations",
            sweep.strategy_title
        )
    );
    let progress = seen.lock().unwrap().clone();
    assert_eq!(progress.first().unwrap().stage, "queued");
    assert!(progress.first().unwrap().job_id.starts_with("sweep-"));
    let last = progress.last().unwrap();
    assert_eq!(
        (last.stage.as_str(), last.done, last.total),
        ("done", expected, expected)
    );
    let pbo = sweep.pbo.clone().expect("a PBO on the sample data");
    assert_eq!((pbo.blocks, pbo.splits), (16, 12_870));
    assert!((0.0..=1.0).contains(&pbo.pbo));

    // Reopened offline, rows sorted by the metric over all of them.
    let again = research::get(&ctx, &sweep.id).await.unwrap();
    assert_eq!(again, sweep);
    let page = research::rows(&ctx, &sweep.id, Some("sharpe"), false, 0, Some(5))
        .await
        .unwrap();
    assert_eq!(page.total, expected);
    let s = |r: &research::SweepRowDto| r.metrics["sharpe"].as_f64();
    assert!(page.rows.windows(2).all(|w| s(&w[0]) >= s(&w[1])));
    assert_eq!(page.rows[0], *sweep.best.as_ref().unwrap());
    assert_eq!(research::list(&ctx, Some(&sid)).await.unwrap().len(), 1);

    // The heatmap: one cell per (fast, slow), empty where fast >= slow.
    let h = research::heatmap(
        &ctx,
        HeatmapRequest {
            sweep_id: sweep.id.clone(),
            x: "fast".into(),
            y: "slow".into(),
            metric: None,
            width: None,
            height: None,
        },
    )
    .await
    .unwrap();
    assert!(h.svg.contains("<svg"));
    assert_eq!((h.x_values.len(), h.y_values.len()), (5, 5));
    assert_eq!(h.cells.iter().flatten().count() as u64, expected);
    let (x, y) = (h.x_values.iter().position(|v| *v == 25.0).unwrap(), 0);
    assert!(h.cells[y * 5 + x].is_none(), "fast 25 is not below slow 20");
    assert!(h.plot.left < h.plot.right && h.plot.top < h.plot.bottom);
    let best = sweep.best.as_ref().unwrap();
    let cell = h
        .cells
        .iter()
        .flatten()
        .find(|c| c.row_index == best.index)
        .unwrap();
    assert_eq!(cell.params, best.params);
    let st = h.stability.as_ref().unwrap();
    assert_eq!(st.value, best.metrics["sharpe"].as_f64().unwrap());

    // Running the best cell in full gives the row's metrics.
    let (_, sink) = recorder();
    let run = runs::run_backtest(
        &ctx,
        RunRequest {
            strategy_id: sid.clone(),
            version: 1,
            dataset_id: did.clone(),
            params: cell.params.clone().into_iter().collect::<BTreeMap<_, _>>(),
        },
        sink,
    )
    .await
    .unwrap();
    let m = run.summary.metrics.as_ref().unwrap();
    assert_eq!(m["sharpe"], best.metrics["sharpe"]);
    assert_eq!(m["total_return_pct"], best.metrics["total_return_pct"]);

    // Trials: every sweep row and the backtest.
    let rob = research::robustness(&ctx, &run.summary.id).await.unwrap();
    assert_eq!(rob.trials, expected + 1);
    let dsr = rob.deflated_sharpe.unwrap();
    let psr = rob.probabilistic_sharpe.unwrap();
    assert!(dsr <= psr && (0.0..=1.0).contains(&dsr), "{dsr} {psr}");
    assert!(
        rob.warnings.iter().any(|w| w.code == "no_costs"),
        "{:?}",
        rob.warnings
    );

    // Deleting the sweep keeps its trials.
    research::delete(&ctx, &sweep.id).await.unwrap();
    assert_eq!(
        research::robustness(&ctx, &run.summary.id)
            .await
            .unwrap()
            .trials,
        expected + 1
    );
    let e = research::get(&ctx, &sweep.id).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn bad_sweeps_are_refused_before_any_work_with_the_reason() {
    let (_dir, ctx, _) = fresh().await;
    let sid = app::app_info(&ctx).example_strategy_id.unwrap();
    let mut bad = input();
    bad.axes[0].name = "nope".into();
    let e = research::plan(&ctx, &sid, 1, &bad).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Invalid);
    assert!(e.message.contains("nope"), "{}", e.message);
    let mut bad = input();
    bad.axes[0] = axis("fast", 30.0, 10.0, 5.0);
    let e = research::plan(&ctx, &sid, 1, &bad).await.unwrap_err();
    assert!(e.message.contains("reversed"), "{}", e.message);
    let mut bad = input();
    bad.constraints = vec!["fast > 1000".into()];
    let e = research::plan(&ctx, &sid, 1, &bad).await.unwrap_err();
    assert!(e.message.contains("no combination"), "{}", e.message);
    let mut bad = input();
    bad.metric = "luck".into();
    let e = research::plan(&ctx, &sid, 1, &bad).await.unwrap_err();
    assert!(e.message.contains("luck"), "{}", e.message);
    let mut bad = input();
    bad.axes[1] = axis("fast", 1.0, 3.0, 1.0);
    let e = research::plan(&ctx, &sid, 1, &bad).await.unwrap_err();
    assert!(e.message.contains("twice"), "{}", e.message);
}

#[tokio::test]
async fn monte_carlo_and_walk_forward_of_the_example() {
    let (_dir, ctx, _) = fresh().await;
    let info = app::app_info(&ctx);
    let (sid, did) = (
        info.example_strategy_id.unwrap(),
        info.sample_dataset_id.unwrap(),
    );
    let (_, sink) = recorder();
    let run = runs::run_backtest(
        &ctx,
        RunRequest {
            strategy_id: sid.clone(),
            version: 1,
            dataset_id: did.clone(),
            params: BTreeMap::new(),
        },
        sink,
    )
    .await
    .unwrap();
    let mc = research::monte_carlo(&ctx, &run.summary.id, "shuffle", None, Some(7))
        .await
        .unwrap();
    assert_eq!(mc.runs, 1000);
    assert_eq!(mc.trades as u64, run.trades_total);
    // A shuffle keeps the final P&L: every percentile is the real final equity.
    for v in &mc.final_equity {
        assert!((v - mc.actual_final).abs() < 1e-6);
    }
    assert!(mc.bands_svg.contains("<svg") && mc.final_hist_svg.contains("<svg"));
    let boot = research::monte_carlo(&ctx, &run.summary.id, "bootstrap", Some(500), Some(7))
        .await
        .unwrap();
    assert!(boot.final_equity[0] < boot.final_equity[4]);
    // The breakdown recomputes the run: its totals are the run's.
    let b = research::breakdown(&ctx, &run.summary.id).await.unwrap();
    let m = run.summary.metrics.as_ref().unwrap();
    assert_eq!(b.all.trades, run.trades_total);
    assert_eq!(b.long.trades + b.short.trades, b.all.trades);
    assert_eq!(b.excursions.len() as u64, run.trades_total);
    assert_eq!(b.all.win_rate_pct, m["win_rate_pct"].as_f64());
    let chained = b
        .monthly
        .iter()
        .fold(1.0, |a, x| a * (1.0 + x.return_pct / 100.0));
    assert!(((chained - 1.0) * 100.0 - m["total_return_pct"].as_f64().unwrap()).abs() < 1e-6);
    let e = research::monte_carlo(&ctx, &run.summary.id, "coin", None, None)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Invalid);

    let (seen, sink) = recorder();
    let wf = research::walk_forward(
        &ctx,
        research::WalkForwardRequest {
            strategy_id: sid,
            version: 1,
            dataset_id: did.clone(),
            input: input(),
            train: 300,
            test: 150,
            anchored: false,
        },
        sink,
    )
    .await
    .unwrap();
    assert!(wf.windows.len() >= 2);
    assert!(wf.equity_svg.contains("<svg"));
    assert!(wf
        .windows
        .iter()
        .all(|w| w.params["fast"] < w.params["slow"]));
    assert!(wf
        .windows
        .windows(2)
        .all(|p| p[0].test_end < p[1].test_start));
    let last = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(last.done as usize, wf.windows.len());
}
