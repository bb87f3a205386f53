//! `stratagraph paper`: the commands as a user runs them, and `paper serve` killed with
//! SIGKILL 20 times at random moments: every run resumes and ends with exactly the fills of
//! an uninterrupted run, none lost and none repeated.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::{run, sma_graph};

struct Db {
    _dir: TempDir,
    db: String,
    csv: String,
}

fn setup() -> Db {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("paper.db").display().to_string();
    let csv = dir.path().join("bars.csv").display().to_string();
    run(&[
        "data", "synth", "--out", &csv, "--bars", "240", "--step", "minute", "--seed", "5",
    ])
    .ok();
    run(&["--db", &db, "strategy", "create", "--title", "SMA"]).ok();
    run(&["--db", &db, "strategy", "save", "sma", &sma_graph()]).ok();
    Db { _dir: dir, db, csv }
}

fn start(d: &Db, speed: &str) -> String {
    let v = run(&[
        "--db", &d.db, "paper", "start", "sma", "--csv", &d.csv, "--speed", speed, "--param",
        "fast=4", "--param", "slow=9", "--json",
    ])
    .json();
    v["id"].as_str().unwrap().to_string()
}

fn status(d: &Db, id: &str) -> Value {
    run(&["--db", &d.db, "paper", "status", id, "--json"]).json()
}

fn serve(d: &Db) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_stratagraph"))
        .args(["--db", &d.db, "paper", "serve", "--scan-ms", "50"])
        .env_remove("STRATAGRAPH_DB")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Serves until every run has processed all 240 bars (at most `limit`).
fn serve_to_the_end(d: &Db, ids: &[String], limit: Duration) {
    let mut child = serve(d);
    let t = Instant::now();
    while t.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(300));
        if ids
            .iter()
            .all(|id| status(d, id)["run"]["bars_processed"] == 240)
        {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The fills without ids, creation times or the late flag (a killed run catches up late).
fn fills(d: &Db, id: &str) -> Vec<Value> {
    let v = status(d, id);
    v["fills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.as_object_mut().unwrap().remove("late");
            f
        })
        .collect()
}

#[test]
fn commands_drive_a_run_through_its_states() {
    let d = setup();
    let id = start(&d, "6000");
    let list = run(&["--db", &d.db, "paper", "list"]).ok().to_string();
    assert!(list.contains(&id) && list.contains("running"), "{list}");
    serve_to_the_end(&d, std::slice::from_ref(&id), Duration::from_secs(60));
    let s = status(&d, &id);
    assert_eq!(s["run"]["bars_processed"], 240);
    assert!(!s["fills"].as_array().unwrap().is_empty());
    let rec = run(&["--db", &d.db, "paper", "reconcile", &id])
        .ok()
        .to_string();
    assert!(
        rec.contains("identical, trade by trade and bar by bar"),
        "{rec}"
    );
    let out = run(&["--db", &d.db, "paper", "pause", &id])
        .ok()
        .to_string();
    assert!(out.contains("is paused"), "{out}");
    run(&["--db", &d.db, "paper", "resume", &id]).ok();
    run(&["--db", &d.db, "paper", "stop", &id]).ok();
    let e = run(&["--db", &d.db, "paper", "resume", &id]);
    assert!(e.one_line_error().contains("stopped"), "{e:?}");
    let e = run(&[
        "--db",
        &d.db,
        "paper",
        "start",
        "sma",
        "--csv",
        &d.csv,
        "--window",
        "99 * * * *",
    ]);
    assert!(e.one_line_error().contains("schedule_cron"), "{e:?}");
    let e = run(&["--db", &d.db, "paper", "start", "sma", "--feed", "binance"]);
    assert!(e.one_line_error().contains("--symbol"), "{e:?}");
}

#[test]
fn twenty_sigkills_of_paper_serve_lose_and_repeat_no_fill() {
    // The reference: the same runs, never interrupted, in another database.
    let quiet = setup();
    let quiet_ids = vec![start(&quiet, "1200"), start(&quiet, "1200")];
    serve_to_the_end(&quiet, &quiet_ids, Duration::from_secs(120));

    let d = setup();
    let ids = vec![start(&d, "1200"), start(&d, "1200")];
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..20 {
        let mut child = serve(&d);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(100 + seed % 500));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let mid: i64 = ids
        .iter()
        .map(|id| status(&d, id)["run"]["bars_processed"].as_i64().unwrap())
        .sum();
    assert!(mid > 0, "the killed servers made progress");
    serve_to_the_end(&d, &ids, Duration::from_secs(120));
    let reference = fills(&quiet, &quiet_ids[0]);
    assert!(!reference.is_empty());
    for id in &ids {
        let s = status(&d, id);
        assert_eq!(s["run"]["status"], "running");
        assert_eq!(
            s["run"]["bars_processed"], 240,
            "every run resumed to the end"
        );
        assert_eq!(fills(&d, id), reference, "no fill lost or repeated");
        let rec = run(&["--db", &d.db, "paper", "reconcile", id])
            .ok()
            .to_string();
        assert!(rec.contains("identical"), "{rec}");
    }
}
