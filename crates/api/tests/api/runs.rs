//! Backtest runs: run, store, list, get, compare, cancel, never metered, node values.

use std::collections::BTreeMap;

use stratagraph_api::runs::{self, RunRequest};
use stratagraph_api::{app, datasets, ErrorCode};

use serde_json::json;
use stratagraph_store::{NewPlan, PlanStatus};

use crate::{fresh, recorder};

fn request(ctx: &stratagraph_api::Ctx, params: &[(&str, f64)]) -> RunRequest {
    let info = app::app_info(ctx);
    RunRequest {
        strategy_id: info.example_strategy_id.unwrap(),
        version: 1,
        dataset_id: info.sample_dataset_id.unwrap(),
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect::<BTreeMap<_, _>>(),
    }
}

#[tokio::test]
async fn run_store_list_get_and_compare() {
    let (_dir, ctx, _) = fresh().await;
    let (seen, sink) = recorder();
    let a = runs::run_backtest(&ctx, request(&ctx, &[]), sink)
        .await
        .unwrap();
    assert_eq!(a.summary.status, "completed");
    assert!(a.summary.metrics.as_ref().unwrap()["total_return_pct"].is_number());
    assert!(!a.trades.is_empty());
    assert!(!a.equity.is_empty());
    let progress = seen.lock().unwrap().clone();
    assert_eq!(progress.first().unwrap().stage, "queued");
    assert_eq!(progress.first().unwrap().job_id, a.summary.id);
    assert_eq!(
        progress.last().unwrap().done,
        progress.last().unwrap().total
    );
    // The finished backtest is in the inbox, saying which strategy it was.
    let inbox = stratagraph_api::paper::inbox(&ctx, None).await.unwrap();
    let done: Vec<_> = inbox
        .items
        .iter()
        .filter(|n| n.kind == "backtest_done")
        .collect();
    assert_eq!(done.len(), 1, "{inbox:?}");
    assert_eq!(done[0].payload["runId"], a.summary.id.as_str());
    assert!(
        done[0].message.starts_with(&format!(
            "Backtest of \"{}\" v1 done: ",
            a.summary.strategy_title
        )) && done[0].message.ends_with(" % return"),
        "{}",
        done[0].message
    );
    assert!(inbox.unread >= 1);

    let (_, sink) = recorder();
    let b = runs::run_backtest(&ctx, request(&ctx, &[("fast", 5.0), ("slow", 30.0)]), sink)
        .await
        .unwrap();
    assert_eq!(b.summary.parameters["fast"], 5.0);

    let list = runs::list(&ctx, Some(&a.summary.strategy_id))
        .await
        .unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].id, b.summary.id, "newest first");

    // Offline review reads back exactly what the run produced.
    let stored = runs::get(&ctx, &a.summary.id).await.unwrap();
    assert_eq!(stored.trades, a.trades);
    assert_eq!(stored.summary.metrics, a.summary.metrics);
    assert_eq!(stored.equity, a.equity);
    assert_eq!(stored.result_hash, a.result_hash);

    let cmp = runs::compare(&ctx, &a.summary.id, &b.summary.id, None, None)
        .await
        .unwrap();
    assert!(cmp.equity_svg.as_deref().unwrap().contains("<svg"));
    for kind in ["equity", "drawdown", "price"] {
        let req = stratagraph_api::charts::ChartRequest {
            run_id: a.summary.id.clone(),
            kind: kind.into(),
            width: Some(640),
            height: Some(300),
            ..Default::default()
        };
        let svg = stratagraph_api::charts::run_chart(&ctx, req)
            .await
            .unwrap()
            .svg;
        assert!(svg.contains("<svg"), "{kind}");
    }
    let bad = stratagraph_api::charts::ChartRequest {
        run_id: a.summary.id.clone(),
        kind: "pie".into(),
        ..Default::default()
    };
    assert_eq!(
        stratagraph_api::charts::run_chart(&ctx, bad)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Invalid
    );
    let ret = cmp
        .diff
        .iter()
        .find(|d| d.name == "total_return_pct")
        .unwrap();
    let (x, y) = (ret.a.as_f64().unwrap(), ret.b.as_f64().unwrap());
    assert_eq!(ret.delta, Some(y - x));

    // The library shows the last run's headline metrics.
    let lib = stratagraph_api::strategies::list(&ctx, Default::default())
        .await
        .unwrap();
    assert_eq!(lib[0].last_run.as_ref().unwrap().id, b.summary.id);

    // Every wire has a value at a bar.
    let at = runs::node_values(&ctx, &a.summary.id, 100).await.unwrap();
    assert!(at
        .values
        .iter()
        .any(|v| v.node == "fast" && v.value.is_some()));
    // With the bar's time: the sample data is daily from its first bar.
    let first = runs::node_values(&ctx, &a.summary.id, 0).await.unwrap();
    assert_eq!(at.bar, 100);
    assert_eq!(first.time, a.equity[0].t);
    assert_eq!(at.time - first.time, 100 * 86_400_000);
    assert_eq!(
        runs::node_values(&ctx, &a.summary.id, 10_000_000)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Invalid
    );

    runs::delete(&ctx, &a.summary.id).await.unwrap();
    assert_eq!(
        runs::get(&ctx, &a.summary.id).await.unwrap_err().code,
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn bad_run_requests_are_refused_before_counting() {
    let (_dir, ctx, _) = fresh().await;
    let (_, sink) = recorder();
    let e = runs::run_backtest(&ctx, request(&ctx, &[("fast", 1.0)]), sink)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Invalid, "{}", e.message);
    let (_, sink) = recorder();
    let e = runs::run_backtest(&ctx, request(&ctx, &[("nope", 3.0)]), sink)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Invalid);
    let (_, sink) = recorder();
    let mut r = request(&ctx, &[]);
    r.dataset_id = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        runs::run_backtest(&ctx, r, sink).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    let (_, sink) = recorder();
    let mut r = request(&ctx, &[]);
    r.version = 7;
    assert_eq!(
        runs::run_backtest(&ctx, r, sink).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    assert!(
        runs::list(&ctx, None).await.unwrap().is_empty(),
        "nothing recorded"
    );
    assert_eq!(
        runs::job_cancel(&ctx, " ").unwrap_err().code,
        ErrorCode::Invalid
    );
    assert!(!runs::job_cancel(&ctx, "not-running").unwrap());
}

#[tokio::test]
async fn five_hundred_local_backtests_are_never_refused_even_on_a_plan_that_metered_them() {
    let (_dir, ctx, _) = fresh().await;
    // A plan from a release that limited local backtests to 20 a day: its key counts nothing.
    let me = ctx.store().ensure_profile().await.unwrap();
    ctx.store()
        .create_plan(&NewPlan {
            user_id: me.id,
            plan_code: "legacy".into(),
            quota: json!({"backtests_per_day": 20, "sweep_combinations": 10}),
            status: PlanStatus::Active,
            stripe_customer_id: None,
            renewal_at: None,
        })
        .await
        .unwrap();
    for i in 0..500 {
        let (_, sink) = recorder();
        let r = runs::run_backtest(&ctx, request(&ctx, &[]), sink).await;
        assert!(r.is_ok(), "backtest {i} refused: {:?}", r.err());
    }
    assert_eq!(runs::list(&ctx, None).await.unwrap().len(), 500);
    let p = app::profile_get(&ctx).await.unwrap();
    assert!(
        p.usage.iter().all(|u| u.metric != "backtests_per_day"),
        "no meter for local computation: {:?}",
        p.usage
    );
}

#[tokio::test]
async fn a_cancelled_run_is_recorded_as_cancelled() {
    let (_dir, ctx, _) = fresh().await;
    // A long synthetic dataset so the run is still going when the cancel lands (seed 42
    // stays below the 1e9 price limit for its first 69,880 bars).
    let bars = stratagraph_engine::synth::random_walk(&stratagraph_engine::synth::SynthConfig {
        bars: 60_000,
        ..Default::default()
    })
    .unwrap();
    let ds = datasets::create(&ctx, &bars, "Long", "SYN", "1m").unwrap();
    let mut r = request(&ctx, &[]);
    r.dataset_id = ds.id;
    let jobs = ctx.jobs().clone();
    let sink = move |p: stratagraph_api::dto::Progress| {
        if p.stage == "queued" {
            jobs.cancel(&p.job_id);
        }
    };
    let e = runs::run_backtest(&ctx, r, sink).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Cancelled);
    let list = runs::list(&ctx, None).await.unwrap();
    assert_eq!(list[0].status, "cancelled");
    assert!(ctx.jobs().running().is_empty());
}

#[tokio::test]
async fn trades_come_a_page_at_a_time_sorted_over_all_of_them() {
    let (_dir, ctx, _) = fresh().await;
    let (_, sink) = recorder();
    let run = runs::run_backtest(&ctx, request(&ctx, &[("fast", 3.0), ("slow", 8.0)]), sink)
        .await
        .unwrap();
    let total = run.trades_total;
    assert!(
        total > 10,
        "the test needs several pages, got {total} trades"
    );
    assert_eq!(run.trades.len() as u64, total.min(200));
    let stored = runs::get(&ctx, &run.summary.id).await.unwrap();
    assert_eq!(stored.trades_total, total);
    assert_eq!(stored.trades, run.trades);
    assert_eq!(stored.open_trade, run.open_trade);

    let page = |offset: u64, sort_key: Option<&str>, desc: bool| {
        let ctx = ctx.clone();
        let req = runs::TradesRequest {
            run_id: run.summary.id.clone(),
            offset,
            limit: Some(7),
            sort_key: sort_key.map(str::to_owned),
            desc,
        };
        async move { runs::trades(&ctx, req).await }
    };
    // Time order, page by page: every trade once, each with its own index.
    let mut all = Vec::new();
    let mut index = Vec::new();
    let mut offset = 0;
    while offset < total {
        let p = page(offset, None, false).await.unwrap();
        assert_eq!(p.total, total);
        assert_eq!(p.offset, offset);
        assert!(!p.trades.is_empty() && p.trades.len() <= 7);
        offset += p.trades.len() as u64;
        all.extend(p.trades);
        index.extend(p.index);
    }
    assert_eq!(index, (0..total).collect::<Vec<_>>());
    assert_eq!(&all[..run.trades.len()], &run.trades[..]);
    assert!(all.iter().all(|t| t.exit_reason != "open"));

    // Sorted by P&L, descending, over all trades (not page by page).
    let mut sorted = Vec::new();
    let mut seen = Vec::new();
    let mut offset = 0;
    while offset < total {
        let p = page(offset, Some("pnl"), true).await.unwrap();
        offset += p.trades.len() as u64;
        for (t, i) in p.trades.iter().zip(&p.index) {
            assert_eq!(t, &all[*i as usize], "the index names the same trade");
        }
        sorted.extend(p.trades.iter().map(|t| t.pnl));
        seen.extend(p.index);
    }
    assert!(sorted.windows(2).all(|w| w[0] >= w[1]), "descending P&L");
    let best = all.iter().map(|t| t.pnl).fold(f64::MIN, f64::max);
    assert_eq!(sorted[0], best);
    seen.sort_unstable();
    assert_eq!(seen, (0..total).collect::<Vec<_>>());

    // Past the end: an empty page, still with the total.
    let p = page(total + 5, None, false).await.unwrap();
    assert!(p.trades.is_empty());
    assert_eq!(p.total, total);

    let bad = page(0, Some("pnl; DROP TABLE x"), false).await.unwrap_err();
    assert_eq!(bad.code, ErrorCode::Invalid);
    let zero = runs::trades(
        &ctx,
        runs::TradesRequest {
            run_id: run.summary.id.clone(),
            limit: Some(0),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(zero.code, ErrorCode::Invalid);
    let unknown = runs::trades(
        &ctx,
        runs::TradesRequest {
            run_id: uuid_like(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::NotFound);
}

fn uuid_like() -> String {
    "0190f5a2-0000-7000-8000-000000000000".to_owned()
}

#[tokio::test]
async fn history_rows_say_what_each_run_was_charged() {
    let (_dir, ctx, _) = fresh().await;
    let free = runs::run_backtest(&ctx, request(&ctx, &[]), recorder().1)
        .await
        .unwrap();
    assert_eq!(
        (
            free.summary.costs.commission,
            free.summary.costs.slippage_bps
        ),
        (0.0, 0.0)
    );
    // Version 2 charges 0.1 % a side and 5 bps of slippage.
    let sid = app::app_info(&ctx).example_strategy_id.unwrap();
    let v1 = stratagraph_api::strategies::version_get(&ctx, &sid, 1)
        .await
        .unwrap();
    let mut graph = v1.graph.clone();
    graph["settings"]["commission"] = 0.001.into();
    graph["settings"]["slippage_bps"] = 5.into();
    stratagraph_api::strategies::version_save(&ctx, &sid, &graph, Some("costs"))
        .await
        .unwrap();
    let mut req = request(&ctx, &[]);
    req.version = 2;
    let charged = runs::run_backtest(&ctx, req, recorder().1).await.unwrap();
    let listed = runs::list(&ctx, Some(&sid)).await.unwrap();
    let costs = |id: &str| {
        let r = listed.iter().find(|r| r.id == id).unwrap();
        (r.costs.commission, r.costs.slippage_bps)
    };
    assert_eq!(costs(&charged.summary.id), (0.001, 5.0));
    assert_eq!(costs(&free.summary.id), (0.0, 0.0));
    let got = runs::get(&ctx, &charged.summary.id).await.unwrap();
    assert_eq!(got.summary.costs.slippage_bps, 5.0);
}
