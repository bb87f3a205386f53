//! The strategy library: list, create, duplicate, rename, tags, status, visibility, delete,
//! import and export as `.json`; versions with notes; unsaved drafts.

use serde_json::{json, Value};
use stratagraph_store::{StoreError, StrategyFilter as StoreFilter, StrategyVersion};
use uuid::Uuid;

use crate::dto::{
    ExampleInfo, Strategy, StrategyCreated, StrategyFilter, StrategyStatus, StrategySummary,
    VersionDetail, VersionSummary, Visibility,
};
use crate::error::{ApiResult, IpcError};
use crate::files::write_atomic;
use crate::{app, examples, parse_uuid, runs, time_text, Ctx};

/// `format` of an exported strategy file.
pub const EXPORT_FORMAT: &str = "stratagraph.strategy";
/// Largest strategy file accepted for import.
const MAX_IMPORT_BYTES: u64 = 8 << 20;

pub(crate) fn strategy_dto(s: &stratagraph_store::Strategy) -> Strategy {
    use stratagraph_store::{StrategyStatus as S, Visibility as V};
    Strategy {
        id: s.id.to_string(),
        title: s.title.clone(),
        slug: s.slug.clone(),
        status: match s.status {
            S::Draft => StrategyStatus::Draft,
            S::Active => StrategyStatus::Active,
            S::Archived => StrategyStatus::Archived,
        },
        visibility: match s.visibility {
            V::Private => Visibility::Private,
            V::Unlisted => Visibility::Unlisted,
            V::Public => Visibility::Public,
        },
        tags: s.tags.clone(),
        created_at: time_text(s.created_at),
        updated_at: time_text(s.updated_at),
    }
}

fn store_status(s: StrategyStatus) -> stratagraph_store::StrategyStatus {
    match s {
        StrategyStatus::Draft => stratagraph_store::StrategyStatus::Draft,
        StrategyStatus::Active => stratagraph_store::StrategyStatus::Active,
        StrategyStatus::Archived => stratagraph_store::StrategyStatus::Archived,
    }
}

fn version_summary(v: &StrategyVersion) -> VersionSummary {
    VersionSummary {
        id: v.id.to_string(),
        version: v.version,
        notes: v.notes.clone(),
        created_at: time_text(v.created_at),
    }
}

fn clean_note(note: Option<&str>) -> ApiResult<Option<String>> {
    let Some(n) = note.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if n.chars().count() > 2000 {
        return Err(IpcError::invalid(
            "The note must be at most 2,000 characters",
        ));
    }
    Ok(Some(n.to_owned()))
}

/// `strategiesList`: the local user's strategies matching the filter, most recently changed
/// first, each with its latest version number and last run.
///
/// # Errors
///
/// `invalid` for an over-long search, `storage`.
pub async fn list(ctx: &Ctx, filter: StrategyFilter) -> ApiResult<Vec<StrategySummary>> {
    let search = filter
        .search
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if search.as_ref().is_some_and(|s| s.chars().count() > 200) {
        return Err(IpcError::invalid(
            "The search must be at most 200 characters",
        ));
    }
    let tag = filter
        .tag
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let rows = ctx
        .store
        .list_strategies(&StoreFilter {
            owner_id: Some(ctx.user_id().await?),
            search,
            tag,
            status: filter.status.map(store_status),
            limit: None,
        })
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let latest_version = match ctx.store.latest_version(s.id).await {
            Ok(v) => Some(v.version),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let last_run = runs::latest_for_strategy(ctx, &s).await?;
        let origin = if s.tags.iter().any(|t| t == "cloned") && latest_version.is_some() {
            clone_origin(ctx, s.id).await?
        } else {
            None
        };
        out.push(StrategySummary {
            strategy: strategy_dto(&s),
            latest_version,
            last_run,
            origin,
        });
    }
    Ok(out)
}

/// `strategyCreate`: a new strategy with version 1 holding a blank graph or an example.
///
/// # Errors
///
/// `invalid` for a bad title, `not_found` for an unknown example, `storage`.
pub async fn create(ctx: &Ctx, title: &str, example: Option<&str>) -> ApiResult<StrategyCreated> {
    let (graph, note) = match example.map(str::trim).filter(|e| !e.is_empty()) {
        Some(name) => {
            let (ex_title, graph) = examples::get(name)?;
            (graph, format!("From the example \"{ex_title}\""))
        }
        None => (examples::blank_graph(), "Blank strategy".to_owned()),
    };
    let user = ctx.user_id().await?;
    let strategy = ctx.store.create_strategy(user, title.trim()).await?;
    let version = match ctx
        .store
        .save_version(strategy.id, &graph, Some(&note), Some(user))
        .await
    {
        Ok(v) => v,
        Err(e) => {
            let _ = ctx.store.delete_strategy(strategy.id).await;
            return Err(e.into());
        }
    };
    let strategy = ctx.store.get_strategy(strategy.id).await?;
    Ok(StrategyCreated {
        strategy: strategy_dto(&strategy),
        version: version_summary(&version),
    })
}

/// `strategyDuplicate`: a copy titled "… (copy)" with the same tags and the latest graph as
/// its version 1.
///
/// # Errors
///
/// `invalid`, `not_found`, `storage`.
pub async fn duplicate(ctx: &Ctx, id: &str) -> ApiResult<Strategy> {
    let id = parse_uuid("strategy", id)?;
    let source = ctx.store.get_strategy(id).await?;
    let latest = match ctx.store.latest_version(id).await {
        Ok(v) => Some(v),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let mut title = format!("{} (copy)", source.title);
    if title.chars().count() > 200 {
        title = source.title.clone();
    }
    let user = ctx.user_id().await?;
    let copy = ctx.store.create_strategy(user, &title).await?;
    if !source.tags.is_empty() {
        ctx.store.set_tags(copy.id, &source.tags).await?;
    }
    let (graph, note) = match &latest {
        Some(v) => (
            v.graph_json.clone(),
            format!("Duplicated from \"{}\" v{}", source.title, v.version),
        ),
        None => (examples::blank_graph(), "Blank strategy".to_owned()),
    };
    ctx.store
        .save_version(copy.id, &graph, Some(&note), Some(user))
        .await?;
    Ok(strategy_dto(&ctx.store.get_strategy(copy.id).await?))
}

/// `strategyRename`.
///
/// # Errors
///
/// `invalid`, `not_found`.
pub async fn rename(ctx: &Ctx, id: &str, title: &str) -> ApiResult<Strategy> {
    let id = parse_uuid("strategy", id)?;
    Ok(strategy_dto(
        &ctx.store.rename_strategy(id, title.trim()).await?,
    ))
}

/// `strategySetTags`.
///
/// # Errors
///
/// `invalid`, `not_found`.
pub async fn set_tags(ctx: &Ctx, id: &str, tags: &[String]) -> ApiResult<Strategy> {
    let id = parse_uuid("strategy", id)?;
    Ok(strategy_dto(&ctx.store.set_tags(id, tags).await?))
}

/// `strategySetStatus` (archive is `archived`).
///
/// # Errors
///
/// `invalid`, `not_found`.
pub async fn set_status(ctx: &Ctx, id: &str, status: StrategyStatus) -> ApiResult<Strategy> {
    let id = parse_uuid("strategy", id)?;
    Ok(strategy_dto(
        &ctx.store
            .set_strategy_status(id, store_status(status))
            .await?,
    ))
}

/// `strategySetVisibility`.
///
/// # Errors
///
/// `invalid`, `not_found`.
pub async fn set_visibility(ctx: &Ctx, id: &str, visibility: Visibility) -> ApiResult<Strategy> {
    use stratagraph_store::Visibility as V;
    let id = parse_uuid("strategy", id)?;
    let v = match visibility {
        Visibility::Private => V::Private,
        Visibility::Unlisted => V::Unlisted,
        Visibility::Public => V::Public,
    };
    Ok(strategy_dto(&ctx.store.set_visibility(id, v).await?))
}

/// `strategyDelete`: the strategy, its versions, runs and draft. The UI confirms first.
///
/// # Errors
///
/// `invalid`, `not_found`.
pub async fn delete(ctx: &Ctx, id: &str) -> ApiResult<()> {
    let uuid = parse_uuid("strategy", id)?;
    ctx.store.delete_strategy(uuid).await?;
    let _ = std::fs::remove_file(draft_path(ctx, uuid));
    Ok(())
}

/// `strategyExport`: the strategy's latest version as a `.json` file that
/// [`import`] reads back (and whose `graph` the CLI reads).
///
/// # Errors
///
/// `invalid`, `not_found`, `io` (an existing file is replaced only on success).
pub async fn export(ctx: &Ctx, id: &str, path: &str) -> ApiResult<()> {
    let uuid = parse_uuid("strategy", id)?;
    let path = crate::datasets::check_path(path)?;
    let s = ctx.store.get_strategy(uuid).await?;
    let v = ctx.store.latest_version(uuid).await?;
    let doc = json!({
        "format": EXPORT_FORMAT,
        "formatVersion": 1,
        "title": s.title,
        "tags": s.tags,
        "version": v.version,
        "notes": v.notes,
        "exportedAt": ctx.now_text(),
        "graph": v.graph_json,
    });
    let text = serde_json::to_vec_pretty(&doc)
        .map_err(|e| IpcError::io("Cannot write the strategy", e))?;
    write_atomic(&path, &text)
        .map_err(|e| IpcError::io(format!("Cannot write {}", path.display()), e))
}

/// `strategyImport`: a new strategy from an exported file or a bare graph JSON file.
///
/// # Errors
///
/// `io` when the file cannot be read, `invalid` when it is not a strategy or graph.
pub async fn import(ctx: &Ctx, path: &str) -> ApiResult<Strategy> {
    let path = crate::datasets::check_path(path)?;
    let meta = std::fs::metadata(&path)
        .map_err(|e| IpcError::io(format!("Cannot open {}", path.display()), e))?;
    if meta.len() > MAX_IMPORT_BYTES {
        return Err(IpcError::invalid("The file is larger than 8 MB"));
    }
    let bytes = std::fs::read(&path)
        .map_err(|e| IpcError::io(format!("Cannot read {}", path.display()), e))?;
    let doc: Value = serde_json::from_slice(&bytes)
        .map_err(|e| IpcError::invalid(format!("The file is not valid JSON: {e}")))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().replace(['_', '-'], " "))
        .unwrap_or_else(|| "Imported strategy".to_owned());
    let (title, tags, graph) = if doc.get("format").and_then(Value::as_str) == Some(EXPORT_FORMAT) {
        let title = doc
            .get("title")
            .and_then(Value::as_str)
            .map_or(stem.clone(), str::to_owned);
        let tags: Vec<String> = doc
            .get("tags")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        (
            title,
            tags,
            doc.get("graph").cloned().unwrap_or(Value::Null),
        )
    } else {
        (stem.clone(), Vec::new(), doc)
    };
    if !graph.get("nodes").is_some_and(Value::is_array) {
        return Err(IpcError::invalid(
            "The file is neither an exported strategy nor a strategy graph (no \"nodes\" list)",
        ));
    }
    let user = ctx.user_id().await?;
    let strategy = ctx.store.create_strategy(user, title.trim()).await?;
    let note = format!(
        "Imported from {}",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    let saved = async {
        if !tags.is_empty() {
            ctx.store.set_tags(strategy.id, &tags).await?;
        }
        ctx.store
            .save_version(strategy.id, &graph, Some(&note), Some(user))
            .await
    }
    .await;
    if let Err(e) = saved {
        let _ = ctx.store.delete_strategy(strategy.id).await;
        return Err(e.into());
    }
    Ok(strategy_dto(&ctx.store.get_strategy(strategy.id).await?))
}

/// `versionsList`: newest first.
///
/// # Errors
///
/// `invalid`, `not_found`.
pub async fn versions_list(ctx: &Ctx, strategy_id: &str) -> ApiResult<Vec<VersionSummary>> {
    let id = parse_uuid("strategy", strategy_id)?;
    ctx.store.get_strategy(id).await?;
    let mut list: Vec<VersionSummary> = ctx
        .store
        .list_versions(id)
        .await?
        .into_iter()
        .map(|v| VersionSummary {
            id: v.id.to_string(),
            version: v.version,
            notes: v.notes,
            created_at: time_text(v.created_at),
        })
        .collect();
    list.sort_by_key(|v| std::cmp::Reverse(v.version));
    Ok(list)
}

/// `versionGet`.
///
/// # Errors
///
/// `invalid`, `not_found`.
pub async fn version_get(ctx: &Ctx, strategy_id: &str, version: i32) -> ApiResult<VersionDetail> {
    let id = parse_uuid("strategy", strategy_id)?;
    if version < 1 {
        return Err(IpcError::invalid("Version numbers start at 1"));
    }
    let v = ctx.store.load_version(id, version).await?;
    Ok(VersionDetail {
        id: v.id.to_string(),
        version: v.version,
        graph: v.graph_json,
        notes: v.notes,
        created_at: time_text(v.created_at),
    })
}

/// `versionSave`: validates the graph and saves it as the next version with the note. An
/// invalid graph is refused with `invalid_graph` and its problems; nothing is saved, and the
/// previous versions are never touched (versions are immutable). Clears the draft.
///
/// # Errors
///
/// `invalid_graph`, `invalid`, `not_found`, `storage`.
pub async fn version_save(
    ctx: &Ctx,
    strategy_id: &str,
    graph: &Value,
    note: Option<&str>,
) -> ApiResult<VersionSummary> {
    let id = parse_uuid("strategy", strategy_id)?;
    let note = clean_note(note)?;
    let problems = app::validate_graph(graph);
    if !problems.is_empty() {
        return Err(IpcError::invalid_graph(problems));
    }
    let v = ctx
        .store
        .save_version(id, graph, note.as_deref(), Some(ctx.user_id().await?))
        .await?;
    let _ = std::fs::remove_file(draft_path(ctx, id));
    Ok(version_summary(&v))
}

fn draft_path(ctx: &Ctx, id: Uuid) -> std::path::PathBuf {
    ctx.data_dir.join("drafts").join(format!("{id}.json"))
}

/// `draftGet`: the unsaved graph of a strategy, or `null`.
///
/// # Errors
///
/// `invalid` for a malformed id.
pub fn draft_get(ctx: &Ctx, strategy_id: &str) -> ApiResult<Option<Value>> {
    let id = parse_uuid("strategy", strategy_id)?;
    Ok(std::fs::read(draft_path(ctx, id))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok()))
}

/// `draftPut`: keeps the unsaved graph across restarts (atomic write).
///
/// # Errors
///
/// `invalid` for a malformed id or a non-object graph, `io`.
pub fn draft_put(ctx: &Ctx, strategy_id: &str, graph: &Value) -> ApiResult<()> {
    let id = parse_uuid("strategy", strategy_id)?;
    if !graph.is_object() {
        return Err(IpcError::invalid("A draft must be a graph object"));
    }
    let bytes = serde_json::to_vec(graph).map_err(|e| IpcError::io("Cannot save the draft", e))?;
    if bytes.len() as u64 > MAX_IMPORT_BYTES {
        return Err(IpcError::invalid("The graph is larger than 8 MB"));
    }
    write_atomic(&draft_path(ctx, id), &bytes).map_err(|e| IpcError::io("Cannot save the draft", e))
}

/// `draftClear`.
///
/// # Errors
///
/// `invalid` for a malformed id.
pub fn draft_clear(ctx: &Ctx, strategy_id: &str) -> ApiResult<()> {
    let id = parse_uuid("strategy", strategy_id)?;
    let _ = std::fs::remove_file(draft_path(ctx, id));
    Ok(())
}

/// `examplesList`.
pub fn examples_list() -> Vec<ExampleInfo> {
    examples::list()
}

/// A clone's attribution: its first version's notes when they say where it came from.
async fn clone_origin(ctx: &Ctx, strategy: uuid::Uuid) -> ApiResult<Option<String>> {
    match ctx.store.load_version(strategy, 1).await {
        Ok(v) => Ok(v.notes.filter(|n| n.starts_with("Cloned from template"))),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
