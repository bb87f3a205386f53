//! Sweeps on a cluster: `sweep --shard K/N` and `sweep merge` give the whole sweep's document
//! (every byte but the node-cache counters) whatever N, the order and repeats of the shards;
//! merge refuses missing, conflicting and foreign shards naming them; the data is checked
//! against its content hash and may come from an http URL; `--emit slurm` and `--emit
//! kubernetes` write schedulable scripts (the manifest checked against the batch/v1 Job schema)
//! with no credential in them.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::Value;

use super::{repo, run, sample_csv, sma_graph, Output};

const GRID: [&str; 6] = [
    "--grid",
    "fast=4:30:2",
    "--grid",
    "slow=20:80:10",
    "--where",
    "fast<slow",
];

fn args<'a>(extra: &[&'a str], grid: &[&'a str], data: &'a str, graph: &'a str) -> Vec<&'a str> {
    let mut a = vec!["sweep", graph, "--data", data];
    a.extend_from_slice(grid);
    a.extend_from_slice(extra);
    a
}

/// The document without its node-cache counters (they count each shard's own work).
fn strip(doc: &str) -> String {
    let mut v: Value = serde_json::from_str(doc).unwrap();
    v.as_object_mut().unwrap().remove("cache");
    v.to_string()
}

/// Runs every shard of N into `dir`, returning their files.
fn shards(dir: &Path, n: usize, grid: &[&str], data: &str, graph: &str) -> Vec<PathBuf> {
    (0..n)
        .map(|k| {
            let file = dir.join(format!("shard-{k}-of-{n}.json"));
            let spec = format!("{k}/{n}");
            let f = file.display().to_string();
            let out = run(&args(
                &["--shard", &spec, "--threads", "1", "--out", &f],
                grid,
                data,
                graph,
            ));
            out.ok();
            file
        })
        .collect()
}

fn merge(files: &[PathBuf], extra: &[&str]) -> Output {
    let mut a: Vec<String> = vec!["sweep".into(), "merge".into()];
    a.extend(files.iter().map(|f| f.display().to_string()));
    a.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    run(&refs)
}

#[test]
fn merged_shards_equal_the_whole_sweep_in_any_order_and_with_repeats() {
    let (graph, data) = (sma_graph(), sample_csv());
    let whole = run(&args(&["--json"], &GRID, &data, &graph));
    let dir = tempfile::tempdir().unwrap();
    let mut files = shards(dir.path(), 3, &GRID, &data, &graph);
    // A shard's document names the sweep, the data, K and N.
    let head: Value = serde_json::from_str(&std::fs::read_to_string(&files[1]).unwrap()).unwrap();
    assert_eq!(head["shard"]["k"], 1);
    assert_eq!(head["shard"]["n"], 3);
    assert_eq!(head["shard"]["sweep"].as_str().unwrap().len(), 64);
    assert_eq!(head["shard"]["data_hash"].as_str().unwrap().len(), 64);
    // Backwards, and shard 1 run again (a retried array task): the same file, and merge
    // counts it once.
    files.reverse();
    let again = dir.path().join("again.json");
    let a = again.display().to_string();
    run(&args(
        &["--shard", "1/3", "--threads", "2", "--out", &a],
        &GRID,
        &data,
        &graph,
    ))
    .ok();
    assert_eq!(
        std::fs::read_to_string(&again).unwrap(),
        std::fs::read_to_string(dir.path().join("shard-1-of-3.json")).unwrap()
    );
    files.push(again);
    let merged = merge(&files, &["--json"]);
    assert_eq!(strip(merged.ok()), strip(whole.ok()));
    // --top and --sort apply when merging as they do to the whole sweep.
    let top = run(&args(
        &["--json", "--top", "3", "--sort", "total_return_pct"],
        &GRID,
        &data,
        &graph,
    ));
    let merged_top = merge(
        &files,
        &["--json", "--top", "3", "--sort", "total_return_pct"],
    );
    assert_eq!(strip(merged_top.ok()), strip(top.ok()));
    // The table too.
    let table = merge(&files, &[]);
    assert!(
        table.ok().contains("91 of 91 combinations shown"),
        "{table:#?}"
    );
}

#[test]
fn merge_refuses_missing_conflicting_and_foreign_shards_naming_them() {
    let (graph, data) = (sma_graph(), sample_csv());
    let dir = tempfile::tempdir().unwrap();
    let files = shards(dir.path(), 3, &GRID, &data, &graph);
    let e = merge(&files[..2], &["--json"]);
    assert!(
        e.one_line_error().contains("missing shard 2/3 of sweep"),
        "{e:#?}"
    );
    let e = merge(&[files[0].clone()], &[]);
    assert!(
        e.one_line_error().contains("missing shards 1/3, 2/3"),
        "{e:#?}"
    );
    // A shard whose rows differ from another copy of the same shard.
    let text = std::fs::read_to_string(&files[1]).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc["results"][0]["metrics"]["trades"] = Value::from(999_999);
    let forged = dir.path().join("forged.json");
    std::fs::write(&forged, doc.to_string()).unwrap();
    let mut with_forged = files.clone();
    with_forged.push(forged.clone());
    let e = merge(&with_forged, &[]);
    let line = e.one_line_error();
    assert!(
        line.contains("shard 1/3 is given twice with different rows")
            && line.contains("forged.json"),
        "{line}"
    );
    // A shard of another sweep (another grid) is refused, not mixed in.
    let other_grid = ["--grid", "fast=4:30:2", "--grid", "slow=20:90:10"];
    let mixed_dir = tempfile::tempdir().unwrap();
    let foreign = shards(mixed_dir.path(), 3, &other_grid, &data, &graph);
    let e = merge(
        &[files[0].clone(), files[1].clone(), foreign[2].clone()],
        &[],
    );
    assert!(e.one_line_error().contains("from another sweep"), "{e:#?}");
    // Not a shard document at all.
    let e = merge(&[PathBuf::from(sample_csv())], &[]);
    assert!(
        e.one_line_error().contains("not a shard document"),
        "{e:#?}"
    );
}

#[test]
fn a_shard_refuses_other_data_and_another_sweep() {
    let (graph, data) = (sma_graph(), sample_csv());
    let dir = tempfile::tempdir().unwrap();
    let f = shards(dir.path(), 2, &GRID, &data, &graph);
    let head: Value = serde_json::from_str(&std::fs::read_to_string(&f[0]).unwrap()).unwrap();
    let (sweep, hash) = (
        head["shard"]["sweep"].as_str().unwrap().to_owned(),
        head["shard"]["data_hash"].as_str().unwrap().to_owned(),
    );
    // The right identity runs.
    run(&args(
        &[
            "--shard",
            "0/2",
            "--expect-data-hash",
            &hash,
            "--expect-sweep",
            &sweep,
        ],
        &GRID,
        &data,
        &graph,
    ))
    .ok();
    // Other data: refused before any work, naming both hashes.
    let other = dir.path().join("other.csv");
    run(&[
        "data",
        "synth",
        "--out",
        &other.display().to_string(),
        "--bars",
        "300",
    ])
    .ok();
    let o = other.display().to_string();
    let e = run(&args(
        &["--shard", "0/2", "--expect-data-hash", &hash],
        &GRID,
        &o,
        &graph,
    ));
    let line = e.one_line_error();
    assert!(
        line.contains("refusing to run on different data") && line.contains(&hash),
        "{line}"
    );
    // Another grid under the planned identity: refused.
    let e = run(&args(
        &["--shard", "0/2", "--expect-sweep", &sweep],
        &["--grid", "fast=5:30:5", "--grid", "slow=20:80:10"],
        &data,
        &graph,
    ));
    assert!(e.one_line_error().contains("--expect-sweep"), "{e:#?}");
    for (bad, why) in [
        ("2/2", "K must be below N"),
        ("0/0", "N must be between"),
        ("x", "expected K/N"),
    ] {
        let e = run(&args(&["--shard", bad], &GRID, &data, &graph));
        assert!(e.one_line_error().contains(why), "{bad}: {e:#?}");
    }
    let e = run(&args(
        &["--shard", "0/2", "--top", "3"],
        &GRID,
        &data,
        &graph,
    ));
    assert!(e.one_line_error().contains("give them to `sweep merge`"));
}

/// Serves `body` at any path over HTTP once per connection, `count` connections.
fn serve(body: Vec<u8>, count: usize) -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let mut s = stream.unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes()).unwrap();
            s.write_all(&body).unwrap();
        }
    });
    (format!("http://127.0.0.1:{port}/data/bars.csv"), handle)
}

#[test]
fn a_shard_reads_its_data_from_an_http_url() {
    let (graph, data) = (sma_graph(), sample_csv());
    let dir = tempfile::tempdir().unwrap();
    let local = shards(dir.path(), 2, &GRID, &data, &graph);
    let (url, server) = serve(std::fs::read(&data).unwrap(), 1);
    let out = run(&args(&["--shard", "1/2", "--json"], &GRID, &url, &graph));
    assert_eq!(out.ok(), std::fs::read_to_string(&local[1]).unwrap());
    server.join().unwrap();
    let e = run(&args(
        &["--shard", "1/2"],
        &GRID,
        "http://127.0.0.1:9/none.csv",
        &graph,
    ));
    assert!(e.one_line_error().contains("cannot download"), "{e:#?}");
}

#[test]
fn emitted_slurm_script_runs_an_array_and_holds_no_credential() {
    let (graph, data) = (sma_graph(), sample_csv());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let id = "0190a3c4-1d2e-7f00-8000-000000000016";
    let script = run(&args(
        &[
            "--emit",
            "slurm",
            "--shards",
            "4",
            "--threads",
            "2",
            "--out-dir",
            &d,
            "--to-server",
            id,
        ],
        &GRID,
        &data,
        &graph,
    ));
    let text = script.ok();
    for want in [
        "#!/bin/bash",
        "#SBATCH --array=0-3",
        "#SBATCH --cpus-per-task=2",
        "#SBATCH --requeue",
        "--shard \"${SLURM_ARRAY_TASK_ID}/4\"",
        "--expect-sweep ",
        "--expect-data-hash ",
        "--to-server 0190a3c4-1d2e-7f00-8000-000000000016",
        "--server-credentials \"$CREDENTIALS\"",
        "'fast<slow'",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    // The URL comes from a file at run time: no user, password or host in the script.
    assert!(
        !text.contains("@127.0.0.1") && !text.contains("password"),
        "{text}"
    );
    // The graph travels in the script, as canonical JSON.
    assert!(text.contains("\"schema\":1"), "{text}");
    // bash accepts it.
    let path = dir.path().join("job.sh");
    std::fs::write(&path, text).unwrap();
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .status()
        .unwrap();
    assert!(syntax.success());
    let e = run(&args(&["--emit", "slurm"], &GRID, &data, &graph));
    assert_eq!(e.code, 2, "--emit needs --shards: {e:#?}");
}

#[test]
fn emitted_kubernetes_job_is_a_valid_indexed_job_with_the_secret_as_env() {
    let (graph, data) = (sma_graph(), sample_csv());
    let id = "0190a3c4-1d2e-7f00-8000-000000000016";
    let out = run(&args(
        &["--emit", "kubernetes", "--shards", "8", "--to-server", id],
        &GRID,
        &data,
        &graph,
    ));
    let manifest: Value = serde_json::from_str(out.ok()).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("crates/cli/tests/data/kubernetes/job-batch-v1.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&manifest)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema does catch a misspelt field.
    let mut broken = manifest.clone();
    broken["spec"]["completionsMode"] = Value::from("Indexed");
    assert!(!validator.is_valid(&broken));
    let spec = &manifest["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(spec["completions"], 8);
    let c = &spec["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "<IMAGE>");
    let script = c["command"][2].as_str().unwrap();
    assert!(
        script.contains("--shard \"$JOB_COMPLETION_INDEX/8\""),
        "{script}"
    );
    // A local path means nothing in a pod: the data is a placeholder to fill.
    assert!(script.contains("'<DATA_URL>'"), "{script}");
    let env = c["env"].as_array().unwrap();
    assert!(env.iter().any(|e| e["name"] == "STRATAGRAPH_SERVER_URL"
        && e["valueFrom"]["secretKeyRef"]["name"] == "<SECRET_NAME>"));
    // The graph is the only literal value: the server URL comes from the Secret.
    let literal: Vec<&str> = env
        .iter()
        .filter(|e| e.get("value").is_some())
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(literal, ["STRATAGRAPH_GRAPH_JSON"]);
}

#[test]
fn to_server_refuses_a_credentials_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let (graph, data) = (sma_graph(), sample_csv());
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("server-url");
    std::fs::write(&creds, "postgres://u:secret@127.0.0.1:9/db\n").unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o644)).unwrap();
    let c = creds.display().to_string();
    let e = run(&args(
        &[
            "--shard",
            "0/2",
            "--to-server",
            "0190a3c4-1d2e-7f00-8000-000000000016",
            "--server-credentials",
            &c,
        ],
        &GRID,
        &data,
        &graph,
    ));
    let line = e.one_line_error();
    assert!(line.contains("chmod 600"), "{line}");
    assert!(!line.contains("secret"), "{line}");
    let e = run(&args(
        &["--shard", "0/2", "--to-server", "not-a-uuid"],
        &GRID,
        &data,
        &graph,
    ));
    assert!(e.one_line_error().contains("UUID"), "{e:#?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Random grids and random N through the binary: merge(shards) == the whole sweep.
    #[test]
    fn merge_of_random_shards_through_the_cli_is_the_whole_sweep(
        fast in 2u32..12, fast_n in 1u32..5, slow in 12u32..40, slow_n in 1u32..5,
        n in 1usize..6,
    ) {
        let (graph, data) = (sma_graph(), sample_csv());
        let f = format!("fast={fast}:{}:3", fast + 3 * (fast_n - 1));
        let s = format!("slow={slow}:{}:7", slow + 7 * (slow_n - 1));
        let grid = ["--grid", f.as_str(), "--grid", s.as_str()];
        let whole = run(&args(&["--json"], &grid, &data, &graph));
        let dir = tempfile::tempdir().unwrap();
        let files = shards(dir.path(), n, &grid, &data, &graph);
        let merged = merge(&files, &["--json"]);
        prop_assert_eq!(strip(merged.ok()), strip(whole.ok()));
    }
}
