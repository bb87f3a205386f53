//! `sweep ... --shard K/N --to-server SWEEP_ID`: a shard's rows to the shared server, under
//! the login in the server URL (read from a file only its user can read, or from the
//! environment a Kubernetes Secret fills), never from the command line.

use std::path::Path;

use serde_json::{json, Value};
use stratagraph_engine::sweep::Row;
use stratagraph_store::remote::{connect_url, write_shard, ClusterRow, ShardKey, Written};
use uuid::Uuid;

/// The environment variable holding the server URL when no credentials file is given.
pub const URL_ENV: &str = "STRATAGRAPH_SERVER_URL";

/// Where a shard's rows go.
pub struct Target {
    sweep_id: Uuid,
    url: String,
}

/// Reads a server sweep id.
///
/// # Errors
/// A message when `id` is not a UUID.
pub fn parse_sweep_id(id: &str) -> Result<Uuid, String> {
    Uuid::parse_str(id.trim()).map_err(|_| {
        format!("--to-server {id}: expected the server sweep's id, a UUID (e.g. from `uuidgen`)")
    })
}

/// Refuses a credentials file that others may read (as ssh does with private keys).
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{}: others may read it (mode {mode:o}); it holds a password: chmod 600 {}",
            path.display(),
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), String> {
    Ok(())
}

impl Target {
    /// The sweep id and the server URL: from `credentials` (a file of mode 600 holding the
    /// URL) or from `STRATAGRAPH_SERVER_URL`.
    ///
    /// # Errors
    /// A bad id, a credentials file others may read or that is unreadable, or no URL at all.
    pub fn resolve(id: &str, credentials: Option<&Path>) -> Result<Target, String> {
        let sweep_id = parse_sweep_id(id)?;
        let url = match credentials {
            Some(path) => {
                check_private(path)?;
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                text.lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{}: no postgres:// URL in it", path.display()))?
            }
            None => std::env::var(URL_ENV).map_err(|_| {
                format!(
                    "--to-server needs the server: --server-credentials FILE (mode 600, holding \
                     a postgres://user:password@host:port/database URL) or {URL_ENV}"
                )
            })?,
        };
        Ok(Target { sweep_id, url })
    }
}

/// What identifies the shard being written.
pub struct ShardHead {
    /// This shard.
    pub k: usize,
    /// Shards.
    pub n: usize,
    /// The sweep's identity.
    pub sweep_hash: String,
    /// The data's content hash.
    pub data_hash: String,
    /// Combinations in the sweep.
    pub total: usize,
    /// The ranking metric.
    pub sort: String,
    /// The grid as given.
    pub spec: Value,
}

/// Writes the shard's rows to the server, one transaction per batch.
///
/// # Errors
/// A message naming the server's refusal (another sweep under this id, different rows, the
/// quota), a failed login or connection.
pub fn write_rows(target: &Target, head: &ShardHead, rows: &[Row]) -> Result<Written, String> {
    let cluster_rows: Vec<ClusterRow> = rows
        .iter()
        .map(|r| {
            Ok(ClusterRow {
                index: r.index as u64,
                params: json!(r.params),
                metrics: serde_json::to_value(&r.metrics).map_err(|e| e.to_string())?,
                blocks: Value::Array(
                    r.blocks
                        .iter()
                        .map(|m| json!([m.n, m.sum, m.sum_sq]))
                        .collect(),
                ),
            })
        })
        .collect::<Result<_, String>>()?;
    let key = ShardKey {
        sweep_id: target.sweep_id,
        sweep_hash: head.sweep_hash.clone(),
        data_hash: head.data_hash.clone(),
        shards: u32::try_from(head.n).map_err(|_| "too many shards".to_string())?,
        total: head.total as u64,
        sort: head.sort.clone(),
        spec: head.spec.clone(),
        shard: u32::try_from(head.k).map_err(|_| "shard index too large".to_string())?,
        combinations: rows.len() as u64,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let sweep = target.sweep_id;
    rt.block_on(async {
        let pool = connect_url(&target.url)
            .await
            .map_err(|e| format!("server sweep {sweep}: {e}"))?;
        let out = write_shard(&pool, &key, &cluster_rows, &|_| {})
            .await
            .map_err(|e| format!("server sweep {sweep}, shard {}/{}: {e}", head.k, head.n));
        pool.close().await;
        out
    })
}
