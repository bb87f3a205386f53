//! `stratagraph template|review|cohort|admin ...`: educators, reviewers and administrators on
//! the shared server. Each command connects with the device's sync settings (`stratagraph sync
//! configure`); the server checks the caller's roles and decides what they may see. Publishing
//! pushes the device's changes first (the version and its reference run must be on the
//! server); cloning and deciding pull afterwards, so the result is on this device too.

use std::future::Future;
use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::json;
use stratagraph_store::remote::{
    self, Publish, ReviewRow, SyncError, SyncOptions, Syncer, TemplateRow, TimedKeyring,
};
use stratagraph_store::Store;
use uuid::Uuid;

use crate::engine_cmds::{print_json, write_stdout};
use crate::store_cmds::{runtime, store_err, with_store};

/// `stratagraph template ...`.
#[derive(Subcommand)]
pub enum TemplateCmd {
    /// Publish a strategy version as a template (or submit a new version of one): the server
    /// runs the automatic checks and opens a review; students see it once a reviewer approves.
    Publish(PublishArgs),
    /// The templates the server shows you (yours, and those whose audience you are in).
    List {
        /// Only your own templates.
        #[arg(long)]
        mine: bool,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// One template with its description, reviews, automatic checks and who cloned it.
    Show {
        /// Template id.
        id: Uuid,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Clone a template into your library (a new strategy recording where it came from).
    Clone {
        /// Template id.
        id: Uuid,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Withdraw one of your templates: its audience stops seeing it.
    Withdraw {
        /// Template id.
        id: Uuid,
    },
}

/// `stratagraph template publish`.
#[derive(Args)]
pub struct PublishArgs {
    /// The strategy (id or slug).
    #[arg(value_name = "STRATEGY")]
    pub strategy: String,
    /// Its version (default: the latest).
    #[arg(long, value_name = "N")]
    pub version: Option<i32>,
    /// Title shown to students (no performance promises).
    #[arg(long)]
    pub title: String,
    /// Description of the lesson.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Who may see it once approved: public, organisation or cohort.
    #[arg(long)]
    pub audience: String,
    /// The cohort (id or name) for --audience cohort.
    #[arg(long, value_name = "ID_OR_NAME")]
    pub cohort: Option<String>,
    /// Submit a new version of this existing template of yours.
    #[arg(long, value_name = "ID")]
    pub template: Option<Uuid>,
    /// The reference run (default: the version's latest completed run on the server).
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<Uuid>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `stratagraph review ...`.
#[derive(Subcommand)]
pub enum ReviewCmd {
    /// Open reviews, newest first, with their automatic checks (reviewers).
    Queue {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Approve a review: its version becomes what the audience sees.
    Approve(DecideArgs),
    /// Reject a review with a reason: the audience keeps what it saw.
    Reject(DecideArgs),
}

/// `stratagraph review approve|reject`.
#[derive(Args)]
pub struct DecideArgs {
    /// Review id (from `review queue`).
    pub id: Uuid,
    /// Why (the educator is told).
    #[arg(long)]
    pub reason: String,
}

/// `stratagraph cohort ...`.
#[derive(Subcommand)]
pub enum CohortCmd {
    /// Create a cohort you lead (educators).
    Create {
        /// Its name.
        name: String,
    },
    /// Add members by user id or e-mail address.
    Add {
        /// The cohort (id or name).
        cohort: String,
        /// User ids or e-mail addresses.
        #[arg(required = true)]
        members: Vec<String>,
    },
    /// Your cohorts (and those you are in), with their member counts.
    List {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
}

/// `stratagraph admin ...`.
#[derive(Subcommand)]
pub enum AdminCmd {
    /// Grant a role (trader, educator, reviewer, admin) to a user, or take it away.
    Grant {
        /// User id or e-mail address.
        user: String,
        /// The role.
        role: String,
        /// Take the role away instead.
        #[arg(long)]
        revoke: bool,
    },
}

/// A server error as one line, saying when publishing could not reach the server.
fn edu_err(e: SyncError, what: &str) -> String {
    let text = match &e {
        SyncError::Local(_) | SyncError::Refused(_) | SyncError::Permission(_) => e.to_string(),
        SyncError::Remote(_) => match std::error::Error::source(&e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
        _ => e.to_string(),
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if e.is_transient() || matches!(e, SyncError::NotConfigured) {
        format!(
            "{what} needs the shared server: {text}; nothing was done, run it again when connected"
        )
    } else {
        text
    }
}

/// Opens the store, connects to its configured server and runs `job`.
fn with_server<T, F, Fut>(db: Option<&Path>, what: &'static str, job: F) -> Result<T, String>
where
    F: FnOnce(Store, Syncer) -> Fut,
    Fut: Future<Output = Result<T, SyncError>>,
{
    let rt = runtime()?;
    with_store(&rt, db, |store| async move {
        let config = store
            .remote_config()
            .await
            .map_err(store_err)?
            .ok_or_else(|| edu_err(SyncError::NotConfigured, what))?;
        let keyring = TimedKeyring::default();
        let syncer = Syncer::connect(&store, &config, &keyring, SyncOptions::default())
            .await
            .map_err(|e| edu_err(e, what))?;
        let pool = syncer.pool().clone();
        let out = job(store, syncer).await.map_err(|e| edu_err(e, what));
        pool.close().await;
        out
    })
}

fn template_line(t: &TemplateRow) -> String {
    let state = if t.withdrawn_at.is_some() {
        "withdrawn"
    } else if t.approved_hash.is_some() {
        "approved"
    } else {
        "awaiting review"
    };
    let audience = match &t.cohort {
        Some(c) => format!("cohort {c}"),
        None => t.audience.clone(),
    };
    format!(
        "{}  {}  [{audience}; {state}{}; {} clone{}]\n",
        t.id,
        t.title,
        if t.under_review { "; review open" } else { "" },
        t.clone_count,
        if t.clone_count == 1 { "" } else { "s" }
    )
}

fn review_text(r: &ReviewRow) -> String {
    let mut out = format!(
        "review {}  {}  template {}  version {}  ({})\n",
        r.id,
        r.title,
        r.template_id,
        r.strategy_version_id
            .map_or_else(|| "?".to_owned(), |v| v.to_string()),
        r.status
    );
    if let Some(v) = r.approved_version_id {
        out.push_str(&format!(
            "  students see version {v} until this is approved\n"
        ));
    }
    for c in &r.checks {
        out.push_str(&format!(
            "  {} {}: {}\n",
            if c.passed { "pass" } else { "FAIL" },
            c.check,
            c.detail
        ));
    }
    if let Some(reason) = &r.reason {
        out.push_str(&format!("  reason: {reason}\n"));
    }
    out
}

/// Runs `stratagraph template ...`.
///
/// # Errors
///
/// One line: not configured, unreachable (publishing needs the server), permission (role),
/// quota, or the server's reason.
pub fn template(db: Option<&Path>, cmd: &TemplateCmd) -> Result<ExitCode, String> {
    match cmd {
        TemplateCmd::Publish(a) => publish(db, a),
        TemplateCmd::List { mine, json } => {
            let mine = *mine;
            let rows = with_server(db, "listing templates", |_, s| async move {
                remote::list_templates(s.pool(), mine).await
            })?;
            if *json {
                print_json(&json!(rows))?;
            } else if rows.is_empty() {
                write_stdout("no templates for you on the server\n")?;
            } else {
                write_stdout(&rows.iter().map(template_line).collect::<String>())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        TemplateCmd::Show { id, json } => {
            let id = *id;
            let d = with_server(db, "showing a template", |_, s| async move {
                remote::show_template(s.pool(), id).await
            })?;
            if *json {
                print_json(&json!(d))?;
            } else {
                let mut out = template_line(&d.template);
                if !d.description.is_empty() {
                    out.push_str(&format!("  {}\n", d.description));
                }
                for r in &d.reviews {
                    out.push_str(&review_text(r));
                }
                if !d.cloned_by.is_empty() {
                    let who: Vec<String> = d.cloned_by.iter().map(Uuid::to_string).collect();
                    out.push_str(&format!("cloned by {}\n", who.join(", ")));
                }
                write_stdout(&out)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        TemplateCmd::Clone { id, json } => {
            let id = *id;
            let (strategy, version) = with_server(db, "cloning", |_, s| async move {
                let ids = remote::clone_template(s.pool(), id).await?;
                s.pull(None).await?;
                Ok(ids)
            })?;
            if *json {
                print_json(
                    &json!({"strategy_id": strategy, "version_id": version, "template_id": id}),
                )?;
            } else {
                write_stdout(&format!(
                    "cloned template {id} into strategy {strategy} (in your library now)\n"
                ))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        TemplateCmd::Withdraw { id } => {
            let id = *id;
            with_server(db, "withdrawing", |_, s| async move {
                remote::withdraw_template(s.pool(), id).await
            })?;
            write_stdout(&format!(
                "withdrew template {id}: its audience no longer sees it\n"
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn publish(db: Option<&Path>, a: &PublishArgs) -> Result<ExitCode, String> {
    if a.title.trim().is_empty() {
        return Err("--title must not be empty".into());
    }
    if !["public", "organisation", "cohort"].contains(&a.audience.as_str()) {
        return Err(format!(
            "--audience: unknown audience {:?} (use public, organisation or cohort)",
            a.audience
        ));
    }
    if (a.audience == "cohort") != a.cohort.is_some() {
        return Err("--cohort is given exactly when --audience is cohort".into());
    }
    let (key, number) = (a.strategy.clone(), a.version);
    let mut publish = Publish {
        template_id: a.template,
        strategy_version_id: Uuid::nil(),
        title: a.title.trim().to_owned(),
        description: a.description.clone(),
        audience: a.audience.clone(),
        cohort: a.cohort.clone(),
        reference_run: a.run,
    };
    let published = with_server(db, "publishing", |store, s| async move {
        let st = store.find_strategy(&key).await?;
        let version = match number {
            Some(n) => store.load_version(st.id, n).await?,
            None => store.latest_version(st.id).await?,
        };
        publish.strategy_version_id = version.id;
        // The version and its runs must be on the server before it can check them.
        s.push(None).await?;
        remote::publish_template(s.pool(), &publish).await
    })?;
    if a.json {
        print_json(&json!(published))?;
    } else {
        let mut out = format!(
            "submitted template {} for review {}\n",
            published.template_id, published.review_id
        );
        for c in &published.checks {
            out.push_str(&format!(
                "  {} {}: {}\n",
                if c.passed { "pass" } else { "FAIL" },
                c.check,
                c.detail
            ));
        }
        let failed = published.checks.iter().filter(|c| !c.passed).count();
        out.push_str(&if failed == 0 {
            "a reviewer decides next; your audience sees it once approved\n".to_owned()
        } else {
            format!("{failed} check(s) failed: a reviewer can only reject it; fix them and publish again with --template {}\n", published.template_id)
        });
        write_stdout(&out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `stratagraph review ...`.
///
/// # Errors
///
/// One line: permission (not a reviewer, own template), or the server's reason.
pub fn review(db: Option<&Path>, cmd: &ReviewCmd) -> Result<ExitCode, String> {
    match cmd {
        ReviewCmd::Queue { json } => {
            let rows = with_server(db, "the review queue", |_, s| async move {
                remote::review_queue(s.pool()).await
            })?;
            if *json {
                print_json(&json!(rows))?;
            } else if rows.is_empty() {
                write_stdout("no open reviews\n")?;
            } else {
                write_stdout(&rows.iter().map(review_text).collect::<String>())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ReviewCmd::Approve(a) | ReviewCmd::Reject(a) => {
            let approve = matches!(cmd, ReviewCmd::Approve(_));
            if a.reason.trim().is_empty() {
                return Err("--reason must not be empty: the educator is told why".into());
            }
            let (id, reason) = (a.id, a.reason.clone());
            let template = with_server(db, "deciding a review", |_, s| async move {
                let t = remote::decide_review(s.pool(), id, approve, &reason).await?;
                s.pull(None).await?;
                Ok(t)
            })?;
            write_stdout(&format!(
                "{} review {id} of template {template}; the educator is notified\n",
                if approve { "approved" } else { "rejected" }
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs `stratagraph cohort ...`.
///
/// # Errors
///
/// One line: permission (not an educator), unknown cohort or member, the cohort is full.
pub fn cohort(db: Option<&Path>, cmd: &CohortCmd) -> Result<ExitCode, String> {
    match cmd {
        CohortCmd::Create { name } => {
            let name = name.clone();
            let id = with_server(db, "creating a cohort", |_, s| async move {
                remote::create_cohort(s.pool(), &name).await
            })?;
            write_stdout(&format!("{id}\n"))?;
        }
        CohortCmd::Add { cohort, members } => {
            let (cohort, members) = (cohort.clone(), members.clone());
            let added = with_server(db, "adding cohort members", |_, s| async move {
                let mut added = Vec::new();
                for m in &members {
                    added.push((
                        m.clone(),
                        remote::add_to_cohort(s.pool(), &cohort, m).await?,
                    ));
                }
                Ok(added)
            })?;
            let text: String = added
                .iter()
                .map(|(m, id)| format!("added {m} (user {id})\n"))
                .collect();
            write_stdout(&text)?;
        }
        CohortCmd::List { json } => {
            let rows = with_server(db, "listing cohorts", |_, s| async move {
                remote::list_cohorts(s.pool()).await
            })?;
            if *json {
                print_json(&json!(rows))?;
            } else if rows.is_empty() {
                write_stdout("no cohorts\n")?;
            } else {
                let text: String = rows
                    .iter()
                    .map(|c| format!("{}  {}  {} member(s)\n", c.id, c.name, c.members))
                    .collect();
                write_stdout(&text)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `stratagraph admin ...`.
///
/// # Errors
///
/// One line: permission (not an administrator), unknown role or user.
pub fn admin(db: Option<&Path>, cmd: &AdminCmd) -> Result<ExitCode, String> {
    match cmd {
        AdminCmd::Grant { user, role, revoke } => {
            let (user, role, grant) = (user.clone(), role.clone(), !*revoke);
            let roles = with_server(db, "granting a role", |_, s| async move {
                remote::grant_role(s.pool(), &user, &role, grant).await
            })?;
            write_stdout(&format!("roles now: {}\n", roles.join(", ")))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
