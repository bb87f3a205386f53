//! First start, the strategy library, versions, drafts, import/export, validation.

use serde_json::json;
use stratagraph_api::dto::{StrategyFilter, StrategyStatus};
use stratagraph_api::{app, strategies, Ctx, ErrorCode};

use crate::fresh;

#[tokio::test]
async fn first_start_creates_the_example_and_sample_data_once() {
    let (dir, ctx, _) = fresh().await;
    let info = app::app_info(&ctx);
    assert!(info.first_start);
    let example = info.example_strategy_id.clone().unwrap();
    let list = strategies::list(&ctx, StrategyFilter::default())
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].strategy.id, example);
    assert_eq!(list[0].latest_version, Some(1));
    let sets = stratagraph_api::datasets::list(&ctx).unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(Some(sets[0].id.clone()), info.sample_dataset_id);
    assert!(sets[0].bars > 1000);
    // The example graph is valid, so the user can press Run at once.
    let v = strategies::version_get(&ctx, &example, 1).await.unwrap();
    assert!(app::validate_graph(&v.graph).is_empty());
    drop(ctx);

    let again = Ctx::open(dir.path()).await.unwrap();
    let info2 = app::app_info(&again);
    assert!(!info2.first_start);
    assert_eq!(info2.example_strategy_id, Some(example));
    assert_eq!(
        strategies::list(&again, StrategyFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(stratagraph_api::datasets::list(&again).unwrap().len(), 1);
}

#[tokio::test]
async fn save_refuses_an_invalid_graph_and_keeps_the_previous_version() {
    let (_dir, ctx, _) = fresh().await;
    let id = app::app_info(&ctx).example_strategy_id.unwrap();
    let mut graph = strategies::version_get(&ctx, &id, 1).await.unwrap().graph;
    // Break an edge: the golden cross loses its `b` input.
    let edges = graph["edges"].as_array_mut().unwrap();
    edges.retain(|e| !(e["to"] == "golden_cross" && e["to_port"] == "b"));
    let problems = app::validate_graph(&graph);
    assert!(problems
        .iter()
        .any(|p| p.node.as_deref() == Some("golden_cross")));
    let err = strategies::version_save(&ctx, &id, &graph, Some("broken"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidGraph);
    assert!(err
        .problems
        .unwrap()
        .iter()
        .any(|p| p.node.as_deref() == Some("golden_cross")));
    assert_eq!(strategies::versions_list(&ctx, &id).await.unwrap().len(), 1);

    // Fix it and save with a note.
    let fixed = strategies::version_get(&ctx, &id, 1).await.unwrap().graph;
    let v2 = strategies::version_save(&ctx, &id, &fixed, Some("  faster  "))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.notes.as_deref(), Some("faster"));
    let versions = strategies::versions_list(&ctx, &id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![2, 1]
    );
}

#[tokio::test]
async fn malformed_arguments_get_typed_errors() {
    let (_dir, ctx, _) = fresh().await;
    for bad in ["", "nope", "../../etc/passwd"] {
        let e = strategies::rename(&ctx, bad, "x").await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Invalid, "{bad}");
        assert!(!e.message.is_empty());
    }
    let missing = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        strategies::duplicate(&ctx, &missing)
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    let id = app::app_info(&ctx).example_strategy_id.unwrap();
    assert_eq!(
        strategies::rename(&ctx, &id, "   ").await.unwrap_err().code,
        ErrorCode::Invalid
    );
    assert_eq!(
        strategies::version_get(&ctx, &id, 0)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Invalid
    );
    assert_eq!(
        strategies::version_get(&ctx, &id, 99)
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
    // Validation never fails, whatever it is given.
    for doc in [
        json!(null),
        json!([1, 2]),
        json!({"schema": "x", "nodes": 3}),
    ] {
        assert!(!app::validate_graph(&doc).is_empty());
    }
    assert_eq!(
        strategies::create(&ctx, "x", Some("no_such_example"))
            .await
            .unwrap_err()
            .code,
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn library_operations() {
    let (dir, ctx, _) = fresh().await;
    let created = strategies::create(&ctx, "RSI idea", Some("rsi_mean_reversion"))
        .await
        .unwrap();
    let id = created.strategy.id.clone();
    assert_eq!(created.version.version, 1);
    let blank = strategies::create(&ctx, "Blank", None).await.unwrap();
    assert_eq!(blank.version.version, 1);

    strategies::set_tags(&ctx, &id, &["mean-reversion".into(), "rsi".into()])
        .await
        .unwrap();
    let renamed = strategies::rename(&ctx, &id, "RSI dip buyer")
        .await
        .unwrap();
    assert_eq!(renamed.title, "RSI dip buyer");
    let found = strategies::list(
        &ctx,
        StrategyFilter {
            search: Some("dip".into()),
            ..StrategyFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(found.len(), 1);
    let tagged = strategies::list(
        &ctx,
        StrategyFilter {
            tag: Some("rsi".into()),
            ..StrategyFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(tagged.len(), 1);

    let copy = strategies::duplicate(&ctx, &id).await.unwrap();
    assert_eq!(copy.title, "RSI dip buyer (copy)");
    assert_eq!(copy.tags, vec!["mean-reversion", "rsi"]);

    strategies::set_status(&ctx, &copy.id, StrategyStatus::Archived)
        .await
        .unwrap();
    let archived = strategies::list(
        &ctx,
        StrategyFilter {
            status: Some(StrategyStatus::Archived),
            ..StrategyFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(archived.len(), 1);

    // Export and import round trip.
    let file = dir.path().join("export.json");
    strategies::export(&ctx, &id, file.to_str().unwrap())
        .await
        .unwrap();
    let imported = strategies::import(&ctx, file.to_str().unwrap())
        .await
        .unwrap();
    assert_eq!(imported.title, "RSI dip buyer");
    assert_eq!(imported.tags, vec!["mean-reversion", "rsi"]);
    let a = strategies::version_get(&ctx, &id, 1).await.unwrap().graph;
    let b = strategies::version_get(&ctx, &imported.id, 1)
        .await
        .unwrap()
        .graph;
    assert_eq!(a, b);
    // A bare graph file imports too; junk does not.
    let bare = dir.path().join("my_graph.json");
    std::fs::write(&bare, serde_json::to_vec(&a).unwrap()).unwrap();
    assert_eq!(
        strategies::import(&ctx, bare.to_str().unwrap())
            .await
            .unwrap()
            .title,
        "my graph"
    );
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, b"{\"hello\": 1}").unwrap();
    assert_eq!(
        strategies::import(&ctx, junk.to_str().unwrap())
            .await
            .unwrap_err()
            .code,
        ErrorCode::Invalid
    );
    assert_eq!(
        strategies::import(&ctx, "/no/such/file.json")
            .await
            .unwrap_err()
            .code,
        ErrorCode::Io
    );

    // Drafts survive and clear.
    assert_eq!(strategies::draft_get(&ctx, &id).unwrap(), None);
    strategies::draft_put(&ctx, &id, &a).unwrap();
    assert_eq!(strategies::draft_get(&ctx, &id).unwrap(), Some(a.clone()));
    strategies::version_save(&ctx, &id, &a, None).await.unwrap();
    assert_eq!(strategies::draft_get(&ctx, &id).unwrap(), None);

    strategies::delete(&ctx, &id).await.unwrap();
    assert_eq!(
        strategies::rename(&ctx, &id, "x").await.unwrap_err().code,
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn profile_settings_and_catalog() {
    let (_dir, ctx, _) = fresh().await;
    let p = app::profile_get(&ctx).await.unwrap();
    assert_eq!(p.user.roles, vec!["trader"]);
    // Meters only for what uses the shared server, with real numbers.
    let meters: Vec<_> = p
        .usage
        .iter()
        .map(|u| (u.metric.as_str(), u.used, u.limit))
        .collect();
    assert_eq!(meters, vec![("templates_published", 0, Some(3))]);
    let u = app::profile_update(&ctx, "Ada", "ada@example.com")
        .await
        .unwrap();
    assert_eq!(u.display_name, "Ada");
    assert_eq!(
        app::profile_update(&ctx, "Ada", "not an email")
            .await
            .unwrap_err()
            .code,
        ErrorCode::Invalid
    );
    assert_eq!(
        app::settings_get(&ctx).theme,
        stratagraph_api::dto::Theme::Light
    );
    app::settings_put(
        &ctx,
        stratagraph_api::dto::AppSettings {
            theme: stratagraph_api::dto::Theme::Dark,
        },
    )
    .unwrap();
    assert_eq!(
        app::settings_get(&ctx).theme,
        stratagraph_api::dto::Theme::Dark
    );

    // The catalog crosses IPC unchanged: the DTO serialises to the engine's exact JSON.
    let dto = serde_json::to_value(app::catalog().unwrap()).unwrap();
    let engine = serde_json::to_value(stratagraph_engine::catalog::catalog()).unwrap();
    assert_eq!(dto, engine);
}
