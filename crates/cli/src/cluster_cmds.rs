//! Sweeps on a cluster: one shard of a sweep (`sweep ... --shard K/N`), the join of the shards'
//! outputs (`sweep merge`), the data read from a path or URL and checked against the sweep's
//! content hash, and the scripts that run the shards on Slurm or Kubernetes (`--emit`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use clap::{Args, ValueEnum};
use serde::Deserialize;
use serde_json::{json, Value};
use stratagraph_engine::launch::{Launch, DATA_PLACEHOLDER};
use stratagraph_engine::metrics::Metrics;
use stratagraph_engine::robust::{Moments, PBO_BLOCKS};
use stratagraph_engine::shard::{self, Shard};
use stratagraph_engine::sweep::{self, CacheStats, Row, SweepConfig};
use stratagraph_engine::Bars;

use crate::engine_cmds::{load_bars, write_stdout};
use crate::server_sweep;
use crate::sweep_cmds::{bar, load_graph, print_outcome, rank, spec, Outcome, SweepArgs};

/// The format tag of a shard's output document.
const SHARD_FORMAT: &str = "stratagraph-sweep-shard/1";
/// The largest dataset read from a URL.
const MAX_DOWNLOAD_BYTES: u64 = 8 << 30;

/// Options of `sweep` for running it on a cluster.
#[derive(Args, Default)]
pub struct ClusterArgs {
    /// Run only shard K of N (K counts from 0): a deterministic, disjoint part of the
    /// combinations, balanced by expected cost. Prints a shard document (JSON) for
    /// `sweep merge`.
    #[arg(long, value_name = "K/N")]
    pub(crate) shard: Option<String>,
    /// Write the shard document to FILE (atomically: a killed shard leaves no half file).
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub(crate) out: Option<PathBuf>,
    /// Refuse to run unless the data's content hash (BLAKE3 of its bars, hex) is this.
    #[arg(long, value_name = "HEX")]
    pub(crate) expect_data_hash: Option<String>,
    /// Refuse to run unless the sweep (graph, settings, combinations) has this identity.
    #[arg(long, value_name = "HEX", requires = "shard")]
    pub(crate) expect_sweep: Option<String>,
    /// Print a script that runs the sweep's shards on a scheduler instead of running it.
    #[arg(long, value_enum, value_name = "SCHEDULER", requires = "shards")]
    pub(crate) emit: Option<Scheduler>,
    /// Shards in the emitted script (with --emit).
    #[arg(long, value_name = "N", requires = "emit")]
    pub(crate) shards: Option<usize>,
    /// Where the Slurm tasks write their shard files and logs (with --emit slurm; default
    /// ./stratagraph-shards).
    #[arg(long, value_name = "DIR", requires = "emit")]
    pub(crate) out_dir: Option<PathBuf>,
    /// Write the shard's rows to the shared server's sweep SWEEP_ID (a UUID), one transaction
    /// per batch, idempotent by shard and row, under the user's own role and quota.
    #[arg(long, value_name = "SWEEP_ID")]
    pub(crate) to_server: Option<String>,
    /// A file (mode 0600) holding the server's postgres:// URL, for --to-server (default: the
    /// STRATAGRAPH_SERVER_URL environment variable).
    #[arg(long, value_name = "FILE", requires = "to_server")]
    pub(crate) server_credentials: Option<PathBuf>,
}

/// A cluster scheduler `--emit` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scheduler {
    /// An sbatch script with a job array (SLURM_ARRAY_TASK_ID → shard).
    Slurm,
    /// An Indexed Job manifest (JOB_COMPLETION_INDEX → shard), JSON.
    Kubernetes,
}

/// `stratagraph sweep merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// Shard documents (`sweep ... --shard K/N --json`), in any order; a shard given twice
    /// with the same rows counts once.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Metric to sort by (default: the one the shards were run with).
    #[arg(long)]
    sort: Option<String>,
    /// Print only the best K rows.
    #[arg(long, value_name = "K")]
    top: Option<usize>,
    /// Threads for the PBO (default: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print JSON (the document `sweep --json` prints).
    #[arg(long)]
    json: bool,
}

/// Refuses flags that only make sense with `--shard` or `--emit` on a whole sweep.
pub(crate) fn refuse_shard_only_flags(a: &SweepArgs) -> Result<(), String> {
    if a.cluster.to_server.is_some() {
        return Err("--to-server writes a shard's rows: give --shard K/N too".into());
    }
    Ok(())
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_url(source: &Path) -> bool {
    let s = source.to_string_lossy();
    s.starts_with("http://") || s.starts_with("https://")
}

/// Reads the bars from a path or an http(s) URL and, when `expect` is given, refuses data
/// whose content hash differs.
///
/// # Errors
/// Unreadable or invalid data, a failed download, or a hash that differs.
pub(crate) fn load_data(source: &Path, expect: Option<&str>) -> Result<Bars, String> {
    if let Some(e) = expect {
        if e.len() != 64 || !e.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "--expect-data-hash {e}: expected 64 hex digits (the data hash `sweep --emit` \
                 prints)"
            ));
        }
    }
    let bars = if is_url(source) {
        download(&source.to_string_lossy())?
    } else {
        load_bars(source)?
    };
    let have = hex(&bars.hash());
    if let Some(want) = expect {
        if !have.eq_ignore_ascii_case(want) {
            return Err(format!(
                "{}: its content hash is {have}, but the sweep was planned on data with hash \
                 {} (--expect-data-hash): refusing to run on different data",
                source.display(),
                want.to_ascii_lowercase()
            ));
        }
    }
    Ok(bars)
}

/// Downloads a dataset into a temporary file (named like the URL's last segment, so its
/// extension picks the format) and reads it.
fn download(url: &str) -> Result<Bars, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(std::time::Duration::from_secs(30)))
        .http_status_as_error(false)
        .user_agent("stratagraph")
        .build()
        .into();
    let mut resp = agent
        .get(url)
        .call()
        .map_err(|e| format!("{url}: cannot download: {e}"))?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(format!("{url}: the server answered HTTP {status}"));
    }
    let name = url
        .split(['?', '#'])
        .next()
        .and_then(|u| u.rsplit('/').next())
        .filter(|n| !n.is_empty())
        .unwrap_or("data.csv");
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let dir = std::env::temp_dir().join(format!(
        "stratagraph-data-{}-{}",
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    ));
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(name);
    let result = (|| {
        let mut body = resp
            .body_mut()
            .with_config()
            .limit(MAX_DOWNLOAD_BYTES)
            .reader();
        let mut file = fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        std::io::copy(&mut body, &mut file).map_err(|e| format!("{url}: download failed: {e}"))?;
        drop(file);
        load_bars(&path).map_err(|e| format!("{url}: {e}"))
    })();
    let _ = fs::remove_dir_all(&dir);
    result
}

/// Writes `text` to `path` through a temporary file in the same folder and a rename, so the
/// file is whole or absent.
pub(crate) fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("{}: {e}", path.display())
    })
}

/// Runs one shard of the sweep and prints (or writes) its document.
pub(crate) fn shard(a: &SweepArgs) -> Result<ExitCode, String> {
    let which = Shard::parse(a.cluster.shard.as_deref().unwrap_or_default())?;
    if a.top.is_some() || a.detail > 0 {
        return Err(
            "--top and --detail apply to the whole sweep: give them to `sweep merge` \
                    (--top), or rerun a row with `backtest --param`"
                .into(),
        );
    }
    // The server and its credentials are checked before any work.
    let server = match &a.cluster.to_server {
        Some(id) => Some(server_sweep::Target::resolve(
            id,
            a.cluster.server_credentials.as_deref(),
        )?),
        None => None,
    };
    let graph = load_graph(a.space.graph()?)?;
    let spec = spec(&a.space)?;
    sweep::check_metric(&a.sort).map_err(|e| e.to_string())?;
    let planned = shard::plan(&graph, &spec, which.n).map_err(|e| e.to_string())?;
    if let Some(want) = &a.cluster.expect_sweep {
        if !planned.sweep_hash.eq_ignore_ascii_case(want) {
            return Err(format!(
                "this sweep's identity is {}, but the job was planned for {want} \
                 (--expect-sweep): the graph, grid or settings changed since",
                planned.sweep_hash
            ));
        }
    }
    let started = Instant::now();
    let bars = load_data(a.space.data()?, a.cluster.expect_data_hash.as_deref())?;
    let loaded = started.elapsed().as_secs_f64();
    let mine = planned.parts.get(which.k).map_or(0, Vec::len);
    let pb = bar(
        mine,
        a.space.json || a.cluster.out.is_none(),
        "combinations",
    );
    let never = AtomicBool::new(false);
    let config = SweepConfig {
        threads: a.space.threads,
        pbo_blocks: PBO_BLOCKS,
        ..Default::default()
    };
    let (plan, result) = shard::run(&graph, &bars, &spec, which, &config, &never, &|p| {
        pb.set_position(p.done as u64)
    })
    .map_err(|e| e.to_string())?;
    pb.finish_and_clear();
    let swept = started.elapsed().as_secs_f64() - loaded;
    let data_hash = hex(&bars.hash());
    let doc = json!({
        "shard": {
            "format": SHARD_FORMAT, "k": which.k, "n": which.n, "sweep": plan.sweep_hash,
            "data_hash": data_hash, "total": plan.total, "combinations": result.rows.len(),
            "sort": a.sort,
        },
        "cache": result.cache,
        "results": result.rows,
        "blocks": result.rows.iter().map(|r| blocks_json(&r.blocks)).collect::<Vec<_>>(),
    });
    let mut server_note = String::new();
    if let Some(target) = server {
        let head = server_sweep::ShardHead {
            k: which.k,
            n: which.n,
            sweep_hash: plan.sweep_hash.clone(),
            data_hash: data_hash.clone(),
            total: plan.total,
            sort: a.sort.clone(),
            spec: json!({
                "grid": a.space.grid, "random": a.space.random, "seed": a.space.seed,
                "where": a.space.wheres, "sort": a.sort,
            }),
        };
        let t = Instant::now();
        let written = server_sweep::write_rows(&target, &head, &result.rows)?;
        server_note = format!(
            "; {} rows on the server ({} new, {} transactions) in {:.3} s",
            written.stored,
            written.inserted,
            written.batches,
            t.elapsed().as_secs_f64()
        );
    }
    // One line for the scheduler's log: what ran, and where the time went.
    eprintln!(
        "shard {}/{}: {} combinations in {:.3} s (data {loaded:.3} s, sweep {swept:.3} s){server_note}",
        which.k,
        which.n,
        result.rows.len(),
        started.elapsed().as_secs_f64()
    );
    let text = format!("{doc}\n");
    match &a.cluster.out {
        Some(path) => write_atomic(path, &text)?,
        None => write_stdout(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn blocks_json(blocks: &[Moments]) -> Value {
    Value::Array(
        blocks
            .iter()
            .map(|m| json!([m.n, m.sum, m.sum_sq]))
            .collect(),
    )
}

#[derive(Deserialize)]
struct ShardHeadDoc {
    format: String,
    k: usize,
    n: usize,
    sweep: String,
    data_hash: String,
    total: usize,
    combinations: usize,
    sort: String,
}

#[derive(Deserialize)]
struct RowDoc {
    index: usize,
    params: BTreeMap<String, f64>,
    metrics: Metrics,
}

#[derive(Deserialize)]
struct ShardDoc {
    shard: ShardHeadDoc,
    cache: BTreeMap<String, u64>,
    results: Vec<RowDoc>,
    blocks: Vec<Vec<[f64; 3]>>,
}

/// One shard as read from its file.
struct ReadShard {
    file: PathBuf,
    head: ShardHeadDoc,
    cache: BTreeMap<String, u64>,
    rows: Vec<Row>,
}

fn read_shard(path: &Path) -> Result<ReadShard, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: ShardDoc = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: not a shard document of `sweep --shard K/N --json` ({e})",
            path.display()
        )
    })?;
    if doc.shard.format != SHARD_FORMAT {
        return Err(format!(
            "{}: shard format {:?}, this stratagraph reads {SHARD_FORMAT:?}",
            path.display(),
            doc.shard.format
        ));
    }
    if doc.blocks.len() != doc.results.len() || doc.results.len() != doc.shard.combinations {
        return Err(format!(
            "{}: shard {}/{} says {} combinations but holds {} rows and {} block lists",
            path.display(),
            doc.shard.k,
            doc.shard.n,
            doc.shard.combinations,
            doc.results.len(),
            doc.blocks.len()
        ));
    }
    let rows = doc
        .results
        .into_iter()
        .zip(doc.blocks)
        .map(|(r, b)| Row {
            index: r.index,
            params: r.params,
            metrics: r.metrics,
            blocks: b
                .into_iter()
                .map(|[n, sum, sum_sq]| Moments { n, sum, sum_sq })
                .collect(),
        })
        .collect();
    Ok(ReadShard {
        file: path.to_path_buf(),
        head: doc.shard,
        cache: doc.cache,
        rows,
    })
}

/// The rows of a sweep joined from its shards, in the sweep's own order, with the shards'
/// cache counters summed.
pub(crate) struct Merged {
    /// Every row, ordered by index.
    pub rows: Vec<Row>,
    /// Combinations in the sweep.
    pub total: usize,
    /// The metric the shards were run with.
    pub sort: String,
    /// Cache counters, summed over the shards.
    pub cache: CacheStats,
}

/// Joins shard files: checks they belong to one sweep on one dataset, that every shard is
/// there, and that a shard given twice has the same rows both times.
fn join(files: &[PathBuf]) -> Result<Merged, String> {
    let mut shards: BTreeMap<usize, ReadShard> = BTreeMap::new();
    let mut first: Option<(String, String, usize, usize, PathBuf)> = None;
    for f in files {
        let s = read_shard(f)?;
        let h = &s.head;
        match &first {
            None => {
                first = Some((
                    h.sweep.clone(),
                    h.data_hash.clone(),
                    h.n,
                    h.total,
                    f.clone(),
                ))
            }
            Some((sweep, data, n, total, file0)) => {
                let what = if &h.sweep != sweep {
                    Some(format!("sweep {} instead of {sweep}", h.sweep))
                } else if &h.data_hash != data {
                    Some(format!("data hash {} instead of {data}", h.data_hash))
                } else if h.n != *n {
                    Some(format!("{} shards instead of {n}", h.n))
                } else if h.total != *total {
                    Some(format!("{} combinations instead of {total}", h.total))
                } else {
                    None
                };
                if let Some(what) = what {
                    return Err(format!(
                        "{}: shard {}/{} is from another sweep than {} ({what}): refusing to \
                         mix sweeps",
                        f.display(),
                        h.k,
                        h.n,
                        file0.display()
                    ));
                }
            }
        }
        if s.head.k >= s.head.n {
            return Err(format!(
                "{}: shard {}/{} is out of range",
                f.display(),
                s.head.k,
                s.head.n
            ));
        }
        if let Some(prev) = shards.get(&s.head.k) {
            if prev.rows != s.rows {
                return Err(format!(
                    "shard {}/{} is given twice with different rows: {} and {}",
                    s.head.k,
                    s.head.n,
                    prev.file.display(),
                    f.display()
                ));
            }
            continue;
        }
        shards.insert(s.head.k, s);
    }
    let Some((sweep_hash, _, n, total, _)) = first else {
        return Err("no shard files given".into());
    };
    let missing: Vec<String> = (0..n)
        .filter(|k| !shards.contains_key(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "missing shard{} {} of sweep {}: merge needs all {n} shards",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            &sweep_hash[..sweep_hash.len().min(12)]
        ));
    }
    let mut rows = Vec::with_capacity(total);
    let mut seen = BTreeSet::new();
    let mut cache: BTreeMap<String, u64> = BTreeMap::new();
    let mut sort = String::new();
    for s in shards.into_values() {
        for (k, v) in &s.cache {
            *cache.entry(k.clone()).or_default() += v;
        }
        sort = s.head.sort.clone();
        for r in s.rows {
            if r.index >= total || !seen.insert(r.index) {
                return Err(format!(
                    "{}: row {} of shard {}/{} is out of range or in another shard too",
                    s.file.display(),
                    r.index,
                    s.head.k,
                    s.head.n
                ));
            }
            rows.push(r);
        }
    }
    if rows.len() != total {
        return Err(format!(
            "the shards hold {} rows of {total} combinations",
            rows.len()
        ));
    }
    rows.sort_by_key(|r| r.index);
    let c = |k: &str| cache.get(k).copied().unwrap_or(0) as usize;
    Ok(Merged {
        rows,
        total,
        sort,
        cache: CacheStats {
            distinct_nodes: c("distinct_nodes"),
            shared_nodes: c("shared_nodes"),
            shared_computations: c("shared_computations"),
            recomputed: c("recomputed"),
            unshared_computations: c("unshared_computations"),
        },
    })
}

/// Runs `stratagraph sweep merge`.
pub fn merge(m: &MergeArgs) -> Result<ExitCode, String> {
    let merged = join(&m.files)?;
    let sort = m.sort.clone().unwrap_or_else(|| merged.sort.clone());
    sweep::check_metric(&sort).map_err(|e| e.to_string())?;
    let (rows, pbo) = rank(merged.rows, &sort, m.threads, m.top)?;
    let out = Outcome {
        rows: &rows,
        total: merged.total,
        cache: &merged.cache,
        sort: &sort,
        pbo: &pbo,
    };
    print_outcome(&out, m.json, Vec::new(), &[])
}

fn absolute(p: &Path) -> Result<PathBuf, String> {
    std::path::absolute(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// The sweep's own arguments (grid, draw, constraints, sort), as a shard repeats them.
fn sweep_flags(a: &SweepArgs) -> Vec<String> {
    let mut f = Vec::new();
    for g in &a.space.grid {
        f.extend(["--grid".to_string(), g.clone()]);
    }
    if let Some(n) = a.space.random {
        f.extend([
            "--random".into(),
            n.to_string(),
            "--seed".into(),
            a.space.seed.to_string(),
        ]);
    }
    for w in &a.space.wheres {
        f.extend(["--where".to_string(), w.clone()]);
    }
    f.extend(["--sort".to_string(), a.sort.clone()]);
    f
}

/// Prints the script (`--emit slurm`) or manifest (`--emit kubernetes`) running the shards.
pub(crate) fn emit(a: &SweepArgs) -> Result<ExitCode, String> {
    let Some(scheduler) = a.cluster.emit else {
        return Err("--emit needs a scheduler".into());
    };
    let n = a.cluster.shards.unwrap_or(0);
    if n == 0 || n > shard::MAX_SHARDS {
        return Err(format!(
            "--shards must be between 1 and {}",
            shard::MAX_SHARDS
        ));
    }
    if a.top.is_some() || a.detail > 0 {
        return Err("--top and --detail apply when merging, not to the shards".into());
    }
    if let Some(id) = &a.cluster.to_server {
        server_sweep::parse_sweep_id(id)?;
    }
    let graph = load_graph(a.space.graph()?)?;
    let spec = spec(&a.space)?;
    sweep::check_metric(&a.sort).map_err(|e| e.to_string())?;
    let planned = shard::plan(&graph, &spec, n).map_err(|e| e.to_string())?;
    let data = a.space.data()?;
    let data_hash = match &a.cluster.expect_data_hash {
        Some(h) => h.to_ascii_lowercase(),
        None => hex(&load_data(data, None)?.hash()),
    };
    let data_ref = if is_url(data) {
        data.to_string_lossy().into_owned()
    } else {
        absolute(data)?.to_string_lossy().into_owned()
    };
    let launch = Launch {
        graph_json: String::from_utf8(graph.canonical_json()).map_err(|e| format!("graph: {e}"))?,
        data: data_ref,
        flags: sweep_flags(a),
        shards: n,
        total: planned.total,
        sweep_hash: planned.sweep_hash,
        data_hash,
        cpus: a.space.threads.max(1),
        to_server: a.cluster.to_server.clone(),
    };
    let text = match scheduler {
        Scheduler::Slurm => {
            let dir = a
                .cluster
                .out_dir
                .as_deref()
                .unwrap_or(Path::new("stratagraph-shards"));
            launch.slurm(&absolute(dir)?.to_string_lossy())
        }
        Scheduler::Kubernetes => {
            let mut launch = launch;
            if !launch.data.starts_with("http://") && !launch.data.starts_with("https://") {
                // A path on this machine means nothing in a pod: the user says where it is.
                launch.data = DATA_PLACEHOLDER.into();
            }
            let text =
                serde_json::to_string_pretty(&launch.kubernetes()).map_err(|e| e.to_string())?;
            format!("{text}\n")
        }
    };
    write_stdout(&text).map(|_| ExitCode::SUCCESS)
}
