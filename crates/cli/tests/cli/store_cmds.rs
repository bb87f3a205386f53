//! `strategy`, `runs` and `backtest --save` on a temporary database, checked through the
//! commands' own output and through the store's API.

use std::fs;
use std::future::Future;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use stratagraph_store::{NewPlan, PlanStatus, Store, StoreOptions};
use uuid::Uuid;

use super::{repo, run, sample_csv, sma_graph, Output};

/// A temporary database and the commands run against it.
struct Db {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Db {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("stratagraph.db");
        Db { _dir: dir, path }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["--db", self.path.to_str().unwrap()];
        all.extend_from_slice(args);
        run(&all)
    }

    fn create(&self, title: &str) -> (String, String) {
        let doc = self
            .run(&["strategy", "create", "--title", title, "--json"])
            .json();
        (
            doc["id"].as_str().unwrap().to_string(),
            doc["slug"].as_str().unwrap().to_string(),
        )
    }

    fn save(&self, key: &str, graph: &str) -> Value {
        self.run(&["strategy", "save", key, graph, "--json"]).json()
    }

    fn backtest_saved(&self, key: &str) -> Output {
        self.run(&[
            "backtest",
            &sma_graph(),
            "--data",
            &sample_csv(),
            "--save",
            key,
            "--json",
        ])
    }

    fn runs(&self, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["runs", "list", "--json"];
        args.extend_from_slice(extra);
        self.run(&args).json().as_array().unwrap().clone()
    }

    /// Runs `job` on the store opened as the CLI opens it (no interrupted-run marking).
    fn with_store<T, F: Future<Output = T>>(&self, job: impl FnOnce(Store) -> F) -> T {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut options = StoreOptions::new(&self.path);
            options.mark_interrupted_runs = false;
            let store = Store::open_with(options).await.unwrap();
            let out = job(store.clone()).await;
            store.close().await;
            out
        })
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn create_save_history_show_backtest_and_runs_round_trip() {
    let db = Db::new();
    let (id, slug) = db.create("SMA Crossover");
    assert_eq!(slug, "sma-crossover");
    assert!(Uuid::parse_str(&id).is_ok());

    let v1 = db.save(&slug, &sma_graph());
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["strategy_id"], id.as_str());
    let text = db
        .run(&[
            "strategy",
            "save",
            &id,
            &sma_graph(),
            "--note",
            "same again",
        ])
        .ok()
        .to_string();
    assert!(
        text.starts_with("saved sma-crossover version 2 ("),
        "{text}"
    );

    let history = db.run(&["strategy", "history", &slug, "--json"]).json();
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["version"], 2, "newest first");
    assert_eq!(history[0]["notes"], "same again");
    assert_eq!(history[1]["id"], v1["id"]);
    let table = db.run(&["strategy", "history", &slug]).ok().to_string();
    assert!(table.lines().next().unwrap().starts_with("v2 "), "{table}");

    let file = read_json(&repo("examples/sma_crossover.json"));
    assert_eq!(db.run(&["strategy", "show", &slug]).json(), file);
    let shown = db
        .run(&["strategy", "show", &slug, "--version", "1", "--json"])
        .json();
    assert_eq!(shown["version"], 1);
    assert_eq!(shown["graph_json"], file);
    db.run(&["strategy", "show", &slug, "--version", "9"])
        .one_line_error();

    let listed = db.run(&["strategy", "list", "--json"]).json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["slug"], slug.as_str());
    let found = db
        .run(&["strategy", "list", "--search", "cross", "--json"])
        .json();
    assert_eq!(found.as_array().unwrap().len(), 1);
    let none = db
        .run(&["strategy", "list", "--search", "zzz", "--json"])
        .json();
    assert_eq!(none, json!([]));
    assert!(db.run(&["strategy", "list"]).ok().contains("sma-crossover"));

    assert!(db.runs(&[]).is_empty());
    let out = db.backtest_saved(&slug);
    let doc = out.json();
    let run_id = doc["run_id"].as_str().unwrap().to_string();
    assert!(doc["trades"].is_array() && doc["metrics"].is_object());

    let runs = db.runs(&["--strategy", &slug]);
    assert_eq!(runs.len(), 1);
    let r = &runs[0];
    assert_eq!(r["id"], run_id.as_str());
    assert_eq!(r["status"], "completed");
    assert_eq!(r["version"], 2, "runs the latest version");
    assert_eq!(r["strategy_version_id"], history[0]["id"]);
    assert_eq!(r["strategy_slug"], slug.as_str());
    assert_eq!(r["metrics"]["trades"], doc["metrics"]["trades"]);
    let params = &r["parameters"];
    assert_eq!(params["data_file"], "synthetic_random_walk_daily.csv");
    assert_eq!(params["data_hash"].as_str().unwrap().len(), 64);
    assert_eq!(params["data_bars"], 2520);
    assert_eq!(params["params"], json!({"fast": 10.0, "slow": 20.0}));
    assert!(r["started_at"].is_string() && r["completed_at"].is_string());
    let table = db.run(&["runs", "list"]).ok().to_string();
    assert!(table.starts_with(&run_id), "{table}");
    assert!(table.contains("completed") && table.contains("sma-crossover v2"));

    let details = db.with_store(|s| async move {
        s.run_details(Uuid::parse_str(&run_id).unwrap())
            .await
            .unwrap()
    });
    assert_eq!(details.result_hash.as_deref(), doc["hash"].as_str());
    let closed = doc["trades"].as_array().unwrap().len();
    let open = usize::from(!doc["open_trade"].is_null());
    assert_eq!(details.trades.as_array().unwrap().len(), closed + open);
    assert_eq!(details.equity_points_full, 2520);
    assert!(
        details.equity.len() <= stratagraph_store::MAX_EQUITY_POINTS,
        "decimated"
    );
    assert_eq!(
        Some(details.equity[0].v),
        doc["equity"][0][1].as_f64(),
        "equity stored as run"
    );

    // The text mode prints the summary and the run id last.
    let text = db
        .run(&[
            "backtest",
            &sma_graph(),
            "--data",
            &sample_csv(),
            "--save",
            &slug,
        ])
        .ok()
        .to_string();
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("run "), "{text}");
    assert_eq!(db.runs(&[]).len(), 2);
}

#[test]
fn a_clashing_title_gets_a_numbered_slug() {
    let db = Db::new();
    assert_eq!(db.create("My Strategy").1, "my-strategy");
    assert_eq!(db.create("My Strategy").1, "my-strategy-2");
    let text = db
        .run(&["strategy", "create", "--title", "My Strategy"])
        .ok()
        .to_string();
    assert!(text.starts_with("created my-strategy-3 "), "{text}");
    db.run(&["strategy", "create", "--title", "   "])
        .one_line_error();
}

#[test]
fn an_invalid_graph_is_reported_and_nothing_is_saved() {
    let db = Db::new();
    let (_, slug) = db.create("Broken");
    let fixture = repo("crates/engine/tests/fixtures/broken_graph.json");
    let out = db.run(&["strategy", "save", &slug, fixture.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stdout.lines().count() >= 4,
        "one problem a line: {out:#?}"
    );
    assert!(out.stdout.lines().all(|l| l.contains(": ")));
    assert!(out.stderr.contains("nothing saved"));
    let out = db.run(&[
        "strategy",
        "save",
        &slug,
        fixture.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.code, 1);
    assert!(serde_json::from_str::<Value>(&out.stdout)
        .unwrap()
        .is_array());

    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.json");
    fs::write(&garbage, [0xff, 0xfe, 0x00, 0x01]).unwrap();
    db.run(&["strategy", "save", &slug, garbage.to_str().unwrap()])
        .one_line_error();
    fs::write(&garbage, "[]").unwrap();
    assert_eq!(
        db.run(&["strategy", "save", &slug, garbage.to_str().unwrap()])
            .code,
        1
    );

    let history = db.run(&["strategy", "history", &slug, "--json"]).json();
    assert_eq!(history, json!([]));
    let line = db
        .run(&["strategy", "show", &slug])
        .one_line_error()
        .to_string();
    assert!(line.contains("strategy save"), "{line}");
}

#[test]
fn unknown_strategies_are_one_line_errors() {
    let db = Db::new();
    db.run(&["strategy", "create", "--title", "Something"]).ok();
    for args in [
        vec!["strategy", "show", "nope"],
        vec!["strategy", "history", "nope"],
        vec!["runs", "list", "--strategy", "nope"],
    ] {
        let line = db.run(&args).one_line_error().to_string();
        assert!(line.contains("nope"), "{args:?}: {line}");
    }
    let g = sma_graph();
    let line = db
        .run(&["strategy", "save", "nope", &g])
        .one_line_error()
        .to_string();
    assert_eq!(line, "error: strategy not found: nope");
    let line = db.backtest_saved("nope").one_line_error().to_string();
    assert_eq!(line, "error: strategy not found: nope");
}

#[test]
fn backtest_save_refuses_a_graph_that_is_not_the_latest_version() {
    let db = Db::new();
    let (_, slug) = db.create("Guarded");
    let line = db.backtest_saved(&slug).one_line_error().to_string();
    assert!(line.contains("no saved version"), "{line}");

    db.save(
        &slug,
        &repo("examples/rsi_mean_reversion.json")
            .display()
            .to_string(),
    );
    let line = db.backtest_saved(&slug).one_line_error().to_string();
    assert!(line.contains("strategy save"), "{line}");
    assert!(line.contains("version 1"), "{line}");
    assert!(db.runs(&[]).is_empty(), "nothing recorded");

    // Layout is not part of the graph: moving nodes does not block the run.
    let mut moved = read_json(&repo("examples/sma_crossover.json"));
    for (i, node) in moved["nodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        node["ui"] = json!({"x": i * 10, "y": 5});
    }
    let dir = tempfile::tempdir().unwrap();
    let moved_path = dir.path().join("moved.json");
    fs::write(&moved_path, moved.to_string()).unwrap();
    db.save(&slug, &sma_graph());
    let out = db.run(&[
        "backtest",
        moved_path.to_str().unwrap(),
        "--data",
        &sample_csv(),
        "--save",
        &slug,
        "--json",
    ]);
    assert!(out.json()["run_id"].is_string());

    // Input errors record nothing.
    db.run(&[
        "backtest",
        &sma_graph(),
        "--data",
        "/no/such.csv",
        "--save",
        &slug,
    ])
    .one_line_error();
    assert_eq!(db.runs(&[]).len(), 1);
}

#[test]
fn saved_backtests_are_never_metered_even_on_a_plan_that_limited_them() {
    let db = Db::new();
    let (_, slug) = db.create("Quota");
    db.save(&slug, &sma_graph());
    db.with_store(|s| async move {
        let me = s.ensure_profile().await.unwrap();
        s.create_plan(&NewPlan {
            user_id: me.id,
            plan_code: "tiny".into(),
            quota: json!({"backtests_per_day": 1}),
            status: PlanStatus::Active,
            stripe_customer_id: None,
            renewal_at: None,
        })
        .await
        .unwrap();
    });
    for _ in 0..3 {
        assert!(db.backtest_saved(&slug).json()["run_id"].is_string());
    }
    assert_eq!(db.runs(&[]).len(), 3);
}

#[test]
fn the_cli_never_marks_a_running_run_as_interrupted_and_lists_failures() {
    let db = Db::new();
    let (_, slug) = db.create("Watched");
    db.save(&slug, &sma_graph());
    let (running, failed) = db.with_store(|s| async move {
        let st = s.find_strategy("watched").await.unwrap();
        let v = s.latest_version(st.id).await.unwrap();
        let a = s.create_run(v.id, None, &json!({})).await.unwrap();
        s.start_run(a.id).await.unwrap();
        let b = s.create_run(v.id, None, &json!({})).await.unwrap();
        s.fail_run(b.id, "data vanished", None).await.unwrap();
        (a.id.to_string(), b.id.to_string())
    });
    let runs = db.runs(&[]);
    let status = |id: &str| {
        runs.iter()
            .find(|r| r["id"] == id)
            .map(|r| r["status"].clone())
            .unwrap()
    };
    assert_eq!(status(&running), "running");
    assert_eq!(status(&failed), "failed");
    let table = db.run(&["runs", "list", "--limit", "5"]).ok().to_string();
    assert!(table.contains("error: data vanished"), "{table}");
    assert_eq!(db.runs(&["--limit", "1"]).len(), 1);
}

#[test]
fn an_unusable_database_path_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, "not a directory").unwrap();
    let db = file.join("x.db");
    let line = run(&[
        "--db",
        db.to_str().unwrap(),
        "strategy",
        "create",
        "--title",
        "x",
    ])
    .one_line_error()
    .to_string();
    assert!(line.contains("cannot open"), "{line}");
    assert!(
        !line.to_lowercase().contains("sqlite"),
        "no internals: {line}"
    );
}

#[test]
fn reading_commands_do_not_create_a_missing_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing.db");
    let path = db.to_str().unwrap();
    for args in [
        vec!["--db", path, "strategy", "list"],
        vec!["--db", path, "strategy", "show", "x"],
        vec!["--db", path, "runs", "list"],
        vec!["--db", path, "sync", "status"],
    ] {
        let line = run(&args).one_line_error().to_string();
        assert!(
            line.contains("no database at") && line.contains("missing.db"),
            "{args:?}: {line}"
        );
    }
    assert!(!db.exists(), "nothing was created");
}
