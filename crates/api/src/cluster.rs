//! "Run on a cluster…": the script that runs a strategy version's sweep as shards on Slurm or
//! Kubernetes (the same as `stratagraph sweep ... --emit`), the progress of the user's cluster
//! sweeps on the shared server (shards done, rows in), and a finished one opened like a local
//! sweep (its rows stored in the local database, PBO and trials included).

use serde::{Deserialize, Serialize};
use serde_json::json;
use stratagraph_engine::launch::{Launch, DATA_PLACEHOLDER};
use stratagraph_engine::metrics::Metrics;
use stratagraph_engine::robust::{Moments, Trials};
use stratagraph_engine::shard;
use stratagraph_engine::sweep::Row;
use stratagraph_store::remote::{self, ClusterRow, ClusterSweep};
use stratagraph_store::{ClusterLink, NewSweep, SweepStatus};
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{ApiResult, IpcError};
use crate::research::{self, axis_text, engine_spec, AxisValues, SweepInput};
use crate::sync::{connect, sync_error};
use crate::{datasets, parse_uuid, time_text, Ctx};

/// The most shards the app emits.
const MAX_SHARDS: u32 = 10_000;

/// What "Run on a cluster…" asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClusterScriptInput {
    /// Strategy id.
    pub strategy_id: String,
    /// Version number.
    pub version: i32,
    /// The dataset the sweep is planned on (its content hash goes in the script).
    pub dataset_id: String,
    /// What to sweep.
    pub input: SweepInput,
    /// `slurm` or `kubernetes`.
    pub scheduler: String,
    /// Shards (array tasks or completions).
    pub shards: u32,
    /// CPUs and threads per shard.
    pub cpus: u32,
    /// Whether the shards write their rows to the shared server (followed here).
    pub to_server: bool,
}

/// The emitted script.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClusterScript {
    /// The sbatch script or the Job manifest (JSON).
    pub script: String,
    /// A file name to save it under.
    pub file_name: String,
    /// The server sweep id the shards write to, when they do.
    pub sweep_id: Option<String>,
    /// The sweep's identity.
    pub sweep_hash: String,
    /// The data's content hash.
    pub data_hash: String,
    /// Combinations in the sweep.
    #[ts(type = "number")]
    pub combinations: u64,
    /// What the user fills in or prepares before submitting.
    pub notes: Vec<String>,
}

/// A cluster sweep of the user's on the shared server, with its progress.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSweepItem {
    /// Server sweep id.
    pub id: String,
    /// Shards in the sweep.
    #[ts(type = "number")]
    pub shards: u64,
    /// Shards with every row in.
    #[ts(type = "number")]
    pub shards_done: u64,
    /// Combinations in the sweep.
    #[ts(type = "number")]
    pub total: u64,
    /// Rows on the server.
    #[ts(type = "number")]
    pub rows_in: u64,
    /// Whether every row is in.
    pub complete: bool,
    /// The ranking metric.
    pub metric: String,
    /// When its first rows arrived (RFC 3339).
    pub created_at: String,
    /// The strategy it sweeps, when launched from this app.
    pub strategy_title: Option<String>,
    /// The version it sweeps, when launched from this app.
    pub version: Option<i32>,
    /// The local sweep its rows were stored as, once opened.
    pub local_sweep_id: Option<String>,
    /// Whether it was launched from this app (only those can be opened here).
    pub launched_here: bool,
}

fn flags(input: &SweepInput) -> ApiResult<Vec<String>> {
    let mut f = Vec::new();
    for a in &input.axes {
        f.extend(["--grid".to_owned(), axis_text(a)?]);
    }
    if let Some(n) = input.random {
        f.extend([
            "--random".to_owned(),
            n.to_string(),
            "--seed".to_owned(),
            input.seed.unwrap_or(1).to_string(),
        ]);
    }
    for c in input
        .constraints
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
    {
        f.extend(["--where".to_owned(), c.to_owned()]);
    }
    f.extend(["--sort".to_owned(), input.metric.clone()]);
    Ok(f)
}

/// `clusterScript`: the script running the sweep as shards, with the graph in it, the data's
/// location as `<DATA_URL>` and, on Kubernetes, `<IMAGE>` and `<SECRET_NAME>` to fill. With
/// `to_server`, a new server sweep id is recorded here so the app follows its progress.
///
/// # Errors
///
/// `invalid` (a bad grid, scheduler or shard count), `invalid_graph`, `not_found`, `storage`.
pub async fn script(ctx: &Ctx, req: ClusterScriptInput) -> ApiResult<ClusterScript> {
    let kube = match req.scheduler.as_str() {
        "slurm" => false,
        "kubernetes" => true,
        other => {
            return Err(IpcError::invalid(format!(
                "Unknown scheduler \"{other}\": choose slurm or kubernetes"
            )))
        }
    };
    if req.shards == 0 || req.shards > MAX_SHARDS {
        return Err(IpcError::invalid(format!(
            "Shards: choose 1 to {MAX_SHARDS}"
        )));
    }
    if req.cpus == 0 || req.cpus > 1024 {
        return Err(IpcError::invalid("CPUs per shard: choose 1 to 1024"));
    }
    let (_, version, graph) = research::load_graph(ctx, &req.strategy_id, req.version).await?;
    let spec = engine_spec(&req.input)?;
    let dataset = datasets::get(ctx, &req.dataset_id)?;
    let n = req.shards as usize;
    let plan = tokio::task::spawn_blocking(move || {
        let plan = shard::plan(&graph, &spec, n).map_err(|e| IpcError::invalid(e.to_string()));
        plan.map(|p| (p, graph, spec))
    })
    .await
    .unwrap_or_else(|e| Err(IpcError::io("Planning the shards stopped", e)))?;
    let (plan, graph, spec) = plan;
    let sweep_id = req.to_server.then(Uuid::now_v7);
    let launch = Launch {
        graph_json: String::from_utf8_lossy(&graph.canonical_json()).into_owned(),
        data: DATA_PLACEHOLDER.to_owned(),
        flags: flags(&req.input)?,
        shards: n,
        total: plan.total,
        sweep_hash: plan.sweep_hash.clone(),
        data_hash: dataset.data_hash.clone(),
        cpus: req.cpus as usize,
        to_server: sweep_id.map(|id| id.to_string()),
    };
    let short = &plan.sweep_hash[..8];
    let (script, file_name) = if kube {
        let text = serde_json::to_string_pretty(&launch.kubernetes())
            .map_err(|e| IpcError::io("Cannot write the manifest", e))?;
        (
            format!("{text}\n"),
            format!("stratagraph-sweep-{short}.json"),
        )
    } else {
        (
            launch.slurm("stratagraph-shards"),
            format!("stratagraph-sweep-{short}.sbatch"),
        )
    };
    let mut notes = vec![format!(
        "Replace <DATA_URL> with where the cluster reads \"{}\" (a path or an http(s) URL); \
         a shard refuses data whose content hash is not {}.",
        dataset.name,
        &dataset.data_hash[..12]
    )];
    if kube {
        notes
            .push("Replace <IMAGE> with an image that has the stratagraph CLI on its PATH.".into());
    }
    if sweep_id.is_some() {
        notes.push(if kube {
            "Create the Secret <SECRET_NAME> with a key `url`: postgres://USER:PASSWORD@HOST:PORT/DATABASE for your own server login.".into()
        } else {
            "Put postgres://USER:PASSWORD@HOST:PORT/DATABASE for your own server login in ~/.config/stratagraph/server-url on the cluster, readable only by you (chmod 600).".into()
        });
        notes.push(
            "Progress shows under Cluster sweeps; open the sweep here once every shard is in."
                .into(),
        );
    } else {
        notes.push(
            "Each shard writes a shard file; join them with `stratagraph sweep merge`.".into(),
        );
    }
    if let Some(id) = sweep_id {
        let axes: Vec<AxisValues> = spec
            .axes
            .iter()
            .map(|a| AxisValues {
                name: a.name.clone(),
                values: a.values.clone(),
            })
            .collect();
        ctx.store
            .save_cluster_link(&ClusterLink {
                sweep_id: id,
                strategy_version_id: version.id,
                dataset_id: dataset.id.clone(),
                data_hash: dataset.data_hash.clone(),
                sweep_hash: plan.sweep_hash.clone(),
                spec: json!({
                    "axes": axes, "constraints": req.input.constraints,
                    "random": req.input.random, "seed": req.input.seed,
                    "metric": req.input.metric, "datasetName": dataset.name,
                    "version": version.version, "cluster": {
                        "sweepId": id.to_string(), "shards": n, "scheduler": req.scheduler,
                    },
                }),
                scheduler: req.scheduler.clone(),
                shards: n as u64,
                local_sweep_id: None,
                created_at: chrono::Utc::now(),
            })
            .await?;
    }
    Ok(ClusterScript {
        script,
        file_name,
        sweep_id: sweep_id.map(|id| id.to_string()),
        sweep_hash: plan.sweep_hash,
        data_hash: dataset.data_hash.clone(),
        combinations: plan.total as u64,
        notes,
    })
}

async fn item(ctx: &Ctx, s: &ClusterSweep, links: &[ClusterLink]) -> ApiResult<ClusterSweepItem> {
    let link = links.iter().find(|l| l.sweep_id == s.id);
    let (title, version) = match link {
        Some(l) => match ctx.store.get_version(l.strategy_version_id).await {
            Ok(v) => (
                ctx.store
                    .get_strategy(v.strategy_id)
                    .await
                    .ok()
                    .map(|s| s.title),
                Some(v.version),
            ),
            Err(_) => (None, None),
        },
        None => (None, None),
    };
    Ok(ClusterSweepItem {
        id: s.id.to_string(),
        shards: s.shards,
        shards_done: s.shards_done,
        total: s.total,
        rows_in: s.rows_in,
        complete: s.complete(),
        metric: s.sort.clone(),
        created_at: time_text(s.created_at),
        strategy_title: title,
        version,
        local_sweep_id: link.and_then(|l| l.local_sweep_id).map(|id| id.to_string()),
        launched_here: link.is_some(),
    })
}

/// `clusterSweeps`: the user's cluster sweeps on the shared server with their progress,
/// newest first.
///
/// # Errors
///
/// `not_configured`, `auth`, `unreachable`, `remote`, `storage`.
pub async fn list(ctx: &Ctx) -> ApiResult<Vec<ClusterSweepItem>> {
    let syncer = connect(ctx).await?;
    let sweeps = remote::list_cluster_sweeps(syncer.pool()).await;
    syncer.pool().close().await;
    let sweeps = sweeps.map_err(sync_error)?;
    let links = ctx.store.list_cluster_links().await?;
    let mut out = Vec::with_capacity(sweeps.len());
    for s in &sweeps {
        out.push(item(ctx, s, &links).await?);
    }
    Ok(out)
}

fn row_of(r: &ClusterRow) -> ApiResult<Row> {
    let bad = |what: &str| IpcError::invalid(format!("Row {} on the server: {what}", r.index));
    let params = serde_json::from_value(r.params.clone()).map_err(|_| bad("bad parameters"))?;
    let metrics: Metrics =
        serde_json::from_value(r.metrics.clone()).map_err(|_| bad("bad metrics"))?;
    let blocks: Vec<[f64; 3]> =
        serde_json::from_value(r.blocks.clone()).map_err(|_| bad("bad return blocks"))?;
    Ok(Row {
        index: usize::try_from(r.index).map_err(|_| bad("index out of range"))?,
        params,
        metrics,
        blocks: blocks
            .into_iter()
            .map(|[n, sum, sum_sq]| Moments { n, sum, sum_sq })
            .collect(),
    })
}

/// `clusterSweepOpen`: a complete cluster sweep launched from this app, stored as a local
/// sweep (every row, its PBO and its trials) the first time, and returned like any stored
/// sweep.
///
/// # Errors
///
/// `invalid` (not complete, not launched here, rows that do not match the sweep),
/// `not_configured`, `auth`, `unreachable`, `remote`, `storage`.
pub async fn open(ctx: &Ctx, sweep_id: &str) -> ApiResult<research::SweepSummary> {
    let id = parse_uuid("cluster sweep", sweep_id)?;
    let link = ctx.store.get_cluster_link(id).await.map_err(|_| {
        IpcError::invalid(
            "This cluster sweep was launched outside this app: join its shard files with \
             `stratagraph sweep merge`",
        )
    })?;
    if let Some(local) = link.local_sweep_id {
        if let Ok(rec) = ctx.store.get_sweep(local).await {
            return research::summary(ctx, &rec).await;
        }
    }
    let syncer = connect(ctx).await?;
    let fetched = async {
        let s = remote::get_cluster_sweep(syncer.pool(), id).await?;
        let rows = if s.complete() {
            remote::cluster_sweep_rows(syncer.pool(), id).await?
        } else {
            Vec::new()
        };
        Ok::<_, stratagraph_store::remote::SyncError>((s, rows))
    }
    .await;
    syncer.pool().close().await;
    let (s, rows) = fetched.map_err(sync_error)?;
    if !s.complete() {
        return Err(IpcError::invalid(format!(
            "Not complete yet: {} of {} shards, {} of {} rows",
            s.shards_done, s.shards, s.rows_in, s.total
        )));
    }
    if s.sweep_hash != link.sweep_hash || s.data_hash != link.data_hash {
        return Err(IpcError::invalid(
            "The rows on the server belong to another sweep than the one launched here",
        ));
    }
    let rows: Vec<Row> = rows.iter().map(row_of).collect::<ApiResult<_>>()?;
    let version = ctx.store.get_version(link.strategy_version_id).await?;
    let graph: stratagraph_engine::graph::Graph =
        serde_json::from_value(version.graph_json.clone())
            .map_err(|e| IpcError::invalid(format!("The graph cannot be read: {e}")))?;
    let per_period = graph.settings.periods_per_year.sqrt();
    let (pbo, trials, rows) = tokio::task::spawn_blocking(move || {
        let pbo = research::rows_pbo(&rows);
        let trials = Trials::of(
            rows.iter()
                .map(|r| r.metrics.sharpe.map(|s| s / per_period)),
        );
        (pbo, trials, rows)
    })
    .await
    .map_err(|e| IpcError::io("Opening the sweep stopped", e))?;
    let (pbo_json, pbo_note) = research::pbo_columns(pbo);
    let user = ctx.user_id().await?;
    let mut stored = Vec::with_capacity(rows.len());
    for r in &rows {
        stored.push(stratagraph_store::SweepRow {
            index: r.index as u64,
            params: json!(r.params),
            metrics: serde_json::to_value(&r.metrics)
                .map_err(|e| IpcError::io("Cannot record the metrics", e))?,
        });
    }
    let record = ctx
        .store
        .save_sweep(&NewSweep {
            strategy_version_id: link.strategy_version_id,
            requested_by: Some(user),
            dataset_id: link.dataset_id.clone(),
            data_hash: link.data_hash.clone(),
            spec: link.spec.clone(),
            status: SweepStatus::Completed,
            total: s.total,
            summary: json!({"pbo": pbo_json, "pboNote": pbo_note, "cluster": {
                "sweepId": id.to_string(), "shards": s.shards,
            }}),
            rows: stored,
            trials: stratagraph_store::TrialCounts {
                trials: trials.count,
                sharpe_count: trials.sharpe_count,
                sharpe_sum: trials.sharpe_sum,
                sharpe_sum_sq: trials.sharpe_sum_sq,
            },
        })
        .await?;
    ctx.store.set_cluster_local_sweep(id, record.id).await?;
    research::summary(ctx, &record).await
}
