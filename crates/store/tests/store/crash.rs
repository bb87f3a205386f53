//! Crash safety: a child process saving versions is SIGKILLed at random moments; afterwards
//! the file is intact, every reported save is there and no version is half-written.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use stratagraph_store::Store;

const CHILD_ENV: &str = "STRATAGRAPH_CRASH_CHILD_DB";
const KILLS: usize = 24;

/// The child: saves versions of strategy `crash` forever, printing `SAVED n` after each
/// returned success. Only runs when re-executed by the parent.
#[tokio::test]
#[ignore = "child process of crash_safety_under_sigkill"]
async fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let store = Store::open(std::path::PathBuf::from(path)).await.unwrap();
    let strategy = store.find_strategy("crash").await.unwrap();
    let pad = "p".repeat(4096);
    let mut out = std::io::stdout();
    for i in 0..1_000_000u64 {
        let graph =
            serde_json::json!({"schema": 1, "seq": i, "nodes": [], "edges": [], "pad": pad});
        let v = store
            .save_version(strategy.id, &graph, Some("crash loop"), None)
            .await
            .unwrap();
        writeln!(out, "SAVED {}", v.version).unwrap();
        out.flush().unwrap();
    }
}

/// A small xorshift generator: enough randomness for kill delays without a dependency.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_safety_under_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    {
        let store = Store::open(&path).await.unwrap();
        let me = store.ensure_profile().await.unwrap();
        let s = store.create_strategy(me.id, "crash").await.unwrap();
        assert_eq!(s.slug, "crash");
        store.close().await;
    }
    let exe = std::env::current_exe().unwrap();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
        | 1;
    let mut reported: Vec<i64> = Vec::new();
    let mut killed_mid_run = 0;
    for _ in 0..KILLS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash::crash_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut saved = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line.strip_prefix("SAVED ") {
                    saved.push(n.trim().parse::<i64>().unwrap());
                }
            }
            saved
        });
        let delay = 30 + next_random(&mut seed) % 400;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reported.extend(reader.join().unwrap());
    }
    assert!(
        killed_mid_run >= 20,
        "only {killed_mid_run} kills hit a running child"
    );

    let store = Store::open(&path).await.unwrap();
    assert_eq!(
        store.integrity_check().await.unwrap(),
        vec!["ok".to_owned()]
    );
    let strategy = store.find_strategy("crash").await.unwrap();
    let history = store.list_versions(strategy.id).await.unwrap();
    let mut numbers: Vec<i64> = history.iter().map(|h| i64::from(h.version)).collect();
    numbers.sort_unstable();
    let n = numbers.len() as i64;
    assert_eq!(
        numbers,
        (1..=n).collect::<Vec<_>>(),
        "versions are contiguous"
    );
    assert!(!reported.is_empty(), "the children saved something");
    for r in &reported {
        assert!(*r <= n, "reported save {r} is missing (have {n})");
    }
    for h in &history {
        let v = store.get_version(h.id).await.unwrap();
        assert_eq!(
            v.graph_json["pad"].as_str().map(str::len),
            Some(4096),
            "version {} is whole",
            v.version
        );
    }
    eprintln!(
        "crash test: {KILLS} kills, {} reported saves, {n} versions on disk",
        reported.len()
    );
}

/// A database made with the first release's `0001_init.sql` (recorded with that text's
/// checksum) still opens: the corrected migration's checksum is recorded, nothing else moves.
#[tokio::test]
async fn a_database_from_the_released_first_migration_still_opens() {
    let env = crate::common::env().await;
    let me = env.profile().await;
    env.store.create_strategy(me.id, "Kept").await.unwrap();
    env.store.close().await;
    let released = "786ecfd35497c85ad75090f886f82bcb84e9b46d53d55031800125b8c4c5b246\
                    03945555f72fc784acb8122e29b110b1";
    let mut raw = env.raw().await;
    sqlx::query("UPDATE _sqlx_migrations SET checksum = unhex(?) WHERE version = 1")
        .bind(released)
        .execute(&mut raw)
        .await
        .unwrap();
    drop(raw);
    let store = env.reopen().await;
    let titles: Vec<String> = store
        .list_strategies(&stratagraph_store::StrategyFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.title)
        .collect();
    assert_eq!(titles, ["Kept"]);
    let mut raw = env.raw().await;
    let now: String =
        sqlx::query_scalar("SELECT lower(hex(checksum)) FROM _sqlx_migrations WHERE version = 1")
            .fetch_one(&mut raw)
            .await
            .unwrap();
    assert_ne!(now, released);
}
