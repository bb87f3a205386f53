//! App-level commands: start-up and first start, the catalog, validation, the profile with
//! its plan and usage meters, and settings.

use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use stratagraph_store::ProfileUpdate;

use crate::dto::{AppInfo, AppSettings, NodeSpec, Plan, Problem, Profile, QuotaUsage, User};
use crate::error::{ApiResult, IpcError};
use crate::files::write_atomic;
use crate::{datasets, examples, strategies, time_text, Ctx};

/// What the first start created (kept in `app-state.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StartInfo {
    /// True when this process did the first-start setup.
    #[serde(skip)]
    pub first_start: bool,
    /// The example strategy created then.
    pub example_strategy_id: Option<String>,
    /// The sample dataset imported then.
    pub sample_dataset_id: Option<String>,
    /// When the setup ran.
    pub initialized_at: Option<String>,
}

const STATE_FILE: &str = "app-state.json";

/// Reads the first-start record, or sets up the example strategy and sample dataset when
/// there is none (and records them).
///
/// # Errors
///
/// `storage` or `io` when the setup cannot be saved.
pub(crate) async fn first_start(ctx: &Ctx) -> ApiResult<StartInfo> {
    let path = ctx.data_dir.join(STATE_FILE);
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok(info) = serde_json::from_slice::<StartInfo>(&bytes) {
            return Ok(info);
        }
    }
    let bars = tokio::task::spawn_blocking(|| {
        stratagraph_engine::import::import_csv(
            examples::SAMPLE_CSV.as_bytes(),
            None,
            &mut |_| {},
            &AtomicBool::new(false),
        )
    })
    .await
    .map_err(|e| IpcError::io("Loading the sample data stopped", e))??;
    let dataset = datasets::create(
        ctx,
        &bars,
        "Sample: synthetic random walk (daily)",
        "SAMPLE",
        "1d",
    )?;
    let created = strategies::create(
        ctx,
        "SMA crossover (example)",
        Some(examples::FIRST_EXAMPLE),
    )
    .await?;
    let info = StartInfo {
        first_start: true,
        example_strategy_id: Some(created.strategy.id),
        sample_dataset_id: Some(dataset.id),
        initialized_at: Some(ctx.now_text()),
    };
    let json = serde_json::to_vec_pretty(&info)
        .map_err(|e| IpcError::io("Cannot record the first start", e))?;
    write_atomic(&path, &json).map_err(|e| IpcError::io("Cannot record the first start", e))?;
    Ok(info)
}

/// `appInfo`.
pub fn app_info(ctx: &Ctx) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir: ctx.data_dir.display().to_string(),
        db_path: ctx.store.path().display().to_string(),
        first_start: ctx.start.first_start,
        example_strategy_id: ctx.start.example_strategy_id.clone(),
        sample_dataset_id: ctx.start.sample_dataset_id.clone(),
    }
}

/// `catalog`: every node kind, as the engine describes it.
///
/// # Errors
///
/// Never in practice; `io` if the engine's catalog no longer matches the IPC shape.
pub fn catalog() -> ApiResult<Vec<NodeSpec>> {
    let value = serde_json::to_value(stratagraph_engine::catalog::catalog())
        .map_err(|e| IpcError::io("Cannot describe the catalog", e))?;
    serde_json::from_value(value).map_err(|e| IpcError::io("Cannot describe the catalog", e))
}

/// `validateGraph`: every problem of any JSON document as a graph (empty = valid).
pub fn validate_graph(graph: &Value) -> Vec<Problem> {
    stratagraph_engine::validate::validate(graph)
        .problems
        .iter()
        .map(Problem::from)
        .collect()
}

fn user_dto(u: &stratagraph_store::User) -> User {
    User {
        id: u.id.to_string(),
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        roles: u.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        plan_tier: u.plan_tier.clone(),
        created_at: time_text(u.created_at),
    }
}

/// `profileGet`: the local user, the plan in force and a meter per quota metric.
///
/// # Errors
///
/// `storage`.
pub async fn profile_get(ctx: &Ctx) -> ApiResult<Profile> {
    let id = ctx.user_id().await?;
    let user = ctx.store.get_user(id).await?;
    let plan = ctx.store.current_plan(id).await?;
    // A meter only for what exists and is limited: keys of earlier plans that metered local
    // computation (e.g. `backtests_per_day`) count nothing and are not shown.
    let mut usage = Vec::new();
    for metric in stratagraph_store::METERED {
        let s = ctx.store.quota_status(id, metric).await?;
        if let Some(limit) = s.limit {
            usage.push(QuotaUsage {
                metric: s.metric,
                used: s.used,
                limit: Some(limit),
                resets_at: s.resets_at.map(time_text),
            });
        }
    }
    Ok(Profile {
        user: user_dto(&user),
        plan: plan.map(|p| Plan {
            plan_code: p.plan_code,
            status: p.status.as_str().to_owned(),
            renewal_at: p.renewal_at.map(time_text),
        }),
        usage,
    })
}

/// `profileUpdate`: changes the display name and e-mail address.
///
/// # Errors
///
/// `invalid` for a bad name or address, `conflict` when the address is taken.
pub async fn profile_update(ctx: &Ctx, display_name: &str, email: &str) -> ApiResult<User> {
    let update = ProfileUpdate {
        email: Some(email.trim().to_owned()),
        display_name: Some(display_name.trim().to_owned()),
        roles: None,
    };
    let user = ctx
        .store
        .update_profile(ctx.user_id().await?, &update)
        .await?;
    Ok(user_dto(&user))
}

const SETTINGS_FILE: &str = "settings.json";

/// `settingsGet`: the saved settings, or the defaults.
pub fn settings_get(ctx: &Ctx) -> AppSettings {
    std::fs::read(ctx.data_dir.join(SETTINGS_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// `settingsPut`: saves the settings (atomically).
///
/// # Errors
///
/// `io` when the file cannot be written (the previous settings stay).
pub fn settings_put(ctx: &Ctx, settings: AppSettings) -> ApiResult<AppSettings> {
    let json = serde_json::to_vec_pretty(&settings)
        .map_err(|e| IpcError::io("Cannot save the settings", e))?;
    write_atomic(&ctx.data_dir.join(SETTINGS_FILE), &json)
        .map_err(|e| IpcError::io("Cannot save the settings", e))?;
    Ok(settings)
}
