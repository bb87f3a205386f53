//! `stratagraph sync ...`: the remote PostgreSQL/TimescaleDB server, from the command line.
//!
//! The server's address lives in the local store; its password only in the OS keyring
//! (Secret Service, Keychain, Credential Manager), written by `sync configure
//! --password-stdin` and read when connecting. Nothing here prints or records a password:
//! errors are [`SyncError`]'s messages, built from the saved address and never from a
//! connection string. A server that needs no password (trust, `~/.pgpass`, `PGPASSWORD`)
//! works without any keyring, and a keyring that is missing or does not answer never hangs a
//! command: reading it is given [`remote::KEYRING_TIMEOUT`] and then treated as "no saved password".

use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use stratagraph_store::remote::{
    self, schema_state, Migrated, Provision, RemoteConfig, SchemaState, SecretStore, SyncError,
    SyncOptions, SyncPhase, SyncProgress, SyncReport, Syncer, TimedKeyring, TlsMode,
    REMOTE_SCHEMA_VERSION,
};
use stratagraph_store::Store;
use uuid::Uuid;

use crate::engine_cmds::{print_json, write_stdout};
use crate::store_cmds::{read_store, runtime, store_err, with_store};

/// How long a keyring call may take before the command gives up on it.
/// `stratagraph sync ...`.
#[derive(Subcommand)]
pub enum SyncCmd {
    /// Save the remote server's address in the local database and, with --password-stdin, its
    /// password in the OS keyring (never in a file). Replaces any previous configuration.
    ///
    /// The connection is checked and the result printed, but the address is saved even when
    /// the server cannot be reached (offline first: configure now, sync when it is up); a
    /// failed check prints one `warning:` line on stderr and still exits 0. Without
    /// --password-stdin the keyring is not touched (a server with trust auth, ~/.pgpass or
    /// PGPASSWORD needs none). With it, an unavailable keyring is an error and nothing is
    /// saved.
    Configure(ConfigureArgs),
    /// Create or upgrade the Stratagraph schema on the server (migrations/remote). Needs a
    /// role that may create tables in the database (its owner).
    Migrate(JsonFlag),
    /// Send local changes to the server.
    Push(JsonFlag),
    /// Receive changes from the server.
    Pull(JsonFlag),
    /// Push, then pull.
    Run(JsonFlag),
    /// Where this device stands: the server (no password), last sync, pending changes,
    /// unread sync conflicts. Does not contact the server.
    Status(JsonFlag),
    /// Create a user's login role on the server (run by an administrator: the schema's
    /// owner or a role with CREATEROLE, over this device's configured connection). The
    /// password is read from stdin and only its SCRAM-SHA-256 verifier is sent, so it never
    /// reaches the server, its logs or the network in plain text.
    Provision(ProvisionArgs),
}

/// `stratagraph sync provision`.
#[derive(Args)]
pub struct ProvisionArgs {
    /// The login role to create (its password is replaced when it exists).
    #[arg(long, value_name = "ROLE")]
    role: String,
    /// The user's e-mail address (unique on the server).
    #[arg(long)]
    email: String,
    /// The user's display name.
    #[arg(long, value_name = "NAME")]
    name: String,
    /// The user's id; default a new one. Give the id `stratagraph sync status` shows on the
    /// user's device to keep its profile's id.
    #[arg(long, value_name = "USER_ID")]
    user_id: Option<Uuid>,
    /// Roles, comma-separated: trader, educator, compliance, admin.
    #[arg(long, default_value = "trader", value_delimiter = ',')]
    roles: Vec<String>,
    /// Plan tier.
    #[arg(long, default_value = "free")]
    plan: String,
    /// Read the new user's password from the first line of stdin (required: a password is
    /// never taken from the command line).
    #[arg(long)]
    password_stdin: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `--json` alone.
#[derive(Args)]
pub struct JsonFlag {
    /// Print JSON (and no progress bar).
    #[arg(long)]
    json: bool,
}

/// `stratagraph sync configure`.
#[derive(Args)]
pub struct ConfigureArgs {
    /// Server host name or address.
    #[arg(long)]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 5432)]
    port: u16,
    /// Database name.
    #[arg(long, value_name = "NAME")]
    database: String,
    /// Login role.
    #[arg(long, value_name = "ROLE")]
    user: String,
    /// TLS use: disable, prefer, require or verify-full.
    #[arg(long, default_value = "prefer", value_name = "MODE")]
    tls: String,
    /// Read the password from the first line of stdin and keep it in the OS keyring (a
    /// password is never taken from the command line: it would show in `ps` and the shell
    /// history).
    #[arg(long)]
    password_stdin: bool,
    /// Also sync the bulky run details (trade lists and equity curves); off by default.
    #[arg(long)]
    include_run_details: bool,
    /// The account (user id) this device syncs as when the server role is not mapped to a
    /// user (an owner connection): another device's `sync status` shows it. Default: this
    /// device's profile.
    #[arg(long, value_name = "USER_ID")]
    account: Option<Uuid>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

// Keyring ------------------------------------------------------------------------------------

// Errors -------------------------------------------------------------------------------------

/// A sync error as one line. The messages come from the saved address and the server's
/// own error text, never from a connection string, so no password can appear.
fn sync_err(e: SyncError, keyring: Option<&TimedKeyring>) -> String {
    let auth = matches!(e, SyncError::Auth { .. });
    let mut text = match e {
        SyncError::Local(s) => store_err(s),
        SyncError::Remote(_) => match std::error::Error::source(&e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
        _ => e.to_string(),
    };
    if let (true, Some(reason)) = (auth, keyring.and_then(TimedKeyring::unavailable)) {
        text.push_str(&format!(
            "; the OS keyring is unavailable ({}), so no saved password was used",
            one_line(&reason)
        ));
    }
    one_line(&text)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn config_of(store: &Store) -> Result<RemoteConfig, String> {
    store
        .remote_config()
        .await
        .map_err(store_err)?
        .ok_or_else(|| SyncError::NotConfigured.to_string())
}

fn server_text(c: &RemoteConfig) -> String {
    format!("{}@{}:{}/{}", c.user, c.host, c.port, c.database)
}

fn remote_json(c: &RemoteConfig) -> Value {
    json!({
        "host": c.host,
        "port": c.port,
        "database": c.database,
        "user": c.user,
        "tls": c.tls.as_str(),
        "account_id": c.account_id,
        "include_run_details": c.include_run_details,
    })
}

/// Runs `stratagraph sync ...`.
///
/// # Errors
///
/// One line: the sync error's message (not configured, login refused, unreachable, no or
/// newer schema, keyring unavailable ...). Nothing local changes when connecting fails.
pub fn sync(db: Option<&Path>, cmd: &SyncCmd) -> Result<ExitCode, String> {
    match cmd {
        SyncCmd::Configure(a) => configure(db, a),
        SyncCmd::Migrate(f) => migrate(db, f.json),
        SyncCmd::Push(f) => transfer(db, Transfer::Push, f.json),
        SyncCmd::Pull(f) => transfer(db, Transfer::Pull, f.json),
        SyncCmd::Run(f) => transfer(db, Transfer::Both, f.json),
        SyncCmd::Status(f) => status(db, f.json),
        SyncCmd::Provision(a) => provision(db, a),
    }
}

// provision ----------------------------------------------------------------------------------

const USER_ROLES: [&str; 4] = ["trader", "educator", "reviewer", "admin"];

fn provision(db: Option<&Path>, a: &ProvisionArgs) -> Result<ExitCode, String> {
    if !a.password_stdin {
        return Err(
            "sync provision: give the new user's password on stdin with \
                    --password-stdin (never on the command line)"
                .into(),
        );
    }
    if let Some(bad) = a.roles.iter().find(|r| !USER_ROLES.contains(&r.as_str())) {
        return Err(format!(
            "--roles: unknown role {bad:?} (use {})",
            USER_ROLES.join(", ")
        ));
    }
    if a.role.trim().is_empty() || a.email.trim().is_empty() || a.name.trim().is_empty() {
        return Err("--role, --email and --name must not be empty".into());
    }
    let password = read_password()?;
    let p = Provision {
        role: a.role.clone(),
        user_id: a.user_id.unwrap_or_else(Uuid::now_v7),
        email: a.email.clone(),
        display_name: a.name.clone(),
        roles: a.roles.clone(),
        plan_tier: a.plan.clone(),
    };
    let rt = runtime()?;
    let keyring = Arc::new(TimedKeyring::default());
    let k = keyring.clone();
    let (config, id) = with_store(&rt, db, |store| async move {
        let config = config_of(&store).await?;
        let result = async {
            let pool = config.connect_with(k.as_ref()).await?;
            let id = remote::provision_user(&pool, &p, &password).await;
            pool.close().await;
            id
        }
        .await;
        result
            .map(|id| (config, id))
            .map_err(|e| sync_err(e, Some(k.as_ref())))
    })?;
    if a.json {
        print_json(&json!({
            "server": server_text(&config),
            "role": a.role,
            "user_id": id,
            "roles": a.roles,
            "plan_tier": a.plan,
        }))?;
    } else {
        write_stdout(&format!(
            "{}: role {} is user {id} (roles {}; plan {}); the password was sent only as a \
             SCRAM-SHA-256 verifier\non the user's device: stratagraph sync configure --host {} \
             --port {} --database {} --user {} --password-stdin\n",
            server_text(&config),
            a.role,
            a.roles.join(", "),
            a.plan,
            config.host,
            config.port,
            config.database,
            a.role
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

// configure ----------------------------------------------------------------------------------

fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        return Err("--password-stdin: no password on stdin (give it as the first line)".into());
    }
    Ok(password)
}

fn configure(db: Option<&Path>, a: &ConfigureArgs) -> Result<ExitCode, String> {
    let tls: TlsMode = a.tls.parse().map_err(store_err)?;
    let config = RemoteConfig::new(&a.host, a.port, &a.database, &a.user);
    let config = RemoteConfig {
        tls,
        account_id: a.account,
        include_run_details: a.include_run_details,
        ..config
    };
    let saved = config.clone();
    let password = if a.password_stdin {
        Some(read_password()?)
    } else {
        None
    };
    let rt = runtime()?;
    let check = with_store(&rt, db, |store| async move {
        let previous = store.remote_config().await.map_err(store_err)?;
        // Saving validates the address before the keyring is touched.
        store.save_remote_config(&config).await.map_err(store_err)?;
        if let Some(pw) = password.as_deref() {
            if let Err(e) = TimedKeyring::default().set(&config.secret_key(), pw) {
                let reason = match e {
                    SyncError::Keyring(reason) => reason,
                    other => other.to_string(),
                };
                // Put the previous configuration back: nothing changes without the password.
                let _ = match &previous {
                    Some(p) => store.save_remote_config(p).await,
                    None => store.clear_remote_config().await,
                };
                return Err(format!(
                    "the OS keyring is unavailable ({}); the password was not saved and \
                     nothing was configured",
                    one_line(&reason)
                ));
            }
        }
        let check = async {
            // Without a new password, check with the one saved before (if any), as a sync
            // would.
            let pool = match password.as_deref() {
                Some(pw) => config.connect(Some(pw)).await?,
                None => config.connect_with(&TimedKeyring::default()).await?,
            };
            let state = schema_state(&pool).await;
            pool.close().await;
            state
        }
        .await;
        Ok(check.map_err(|e| sync_err(e, None)))
    })?;
    let version = match &check {
        Ok(SchemaState::At(v)) => Some(*v),
        _ => None,
    };
    let config = saved;
    let saved_password = a.password_stdin;
    if a.json {
        print_json(&json!({
            "saved": true,
            "remote": remote_json(&config),
            "password": if saved_password { "keyring" } else { "none" },
            "check": match &check {
                Ok(_) => json!({"ok": true, "schema_version": version,
                                "app_schema_version": REMOTE_SCHEMA_VERSION}),
                Err(msg) => json!({"ok": false, "error": msg}),
            },
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "saved {} (tls {}{}){}\n",
        server_text(&config),
        config.tls.as_str(),
        if config.include_run_details {
            ", run details synced"
        } else {
            ""
        },
        if saved_password {
            "; password in the OS keyring"
        } else {
            ""
        },
    );
    match &check {
        Ok(SchemaState::Missing) => out.push_str(
            "connection ok; the database has no Stratagraph schema yet: run \
             `stratagraph sync migrate` as its owner\n",
        ),
        Ok(SchemaState::At(v)) if *v > REMOTE_SCHEMA_VERSION => out.push_str(&format!(
            "connection ok; the server's schema is version {v}, newer than this app's \
             {REMOTE_SCHEMA_VERSION}: update Stratagraph\n"
        )),
        Ok(SchemaState::At(v)) if *v < REMOTE_SCHEMA_VERSION => out.push_str(&format!(
            "connection ok; the server's schema is version {v}: `stratagraph sync migrate` \
             (as its owner) upgrades it to {REMOTE_SCHEMA_VERSION}\n"
        )),
        Ok(SchemaState::At(v)) => {
            out.push_str(&format!("connection ok; schema version {v}\n"));
        }
        Err(_) => {}
    }
    write_stdout(&out)?;
    if let Err(msg) = &check {
        eprintln!("warning: saved, but the connection check failed: {msg}");
    }
    Ok(ExitCode::SUCCESS)
}

// migrate ------------------------------------------------------------------------------------

fn migrate(db: Option<&Path>, json_out: bool) -> Result<ExitCode, String> {
    let rt = runtime()?;
    let keyring = Arc::new(TimedKeyring::default());
    let k = keyring.clone();
    let (config, done) = with_store(&rt, db, |store| async move {
        let config = config_of(&store).await?;
        let result = async {
            let pool = config.connect_with(k.as_ref()).await?;
            let done = remote::migrate(&pool).await;
            pool.close().await;
            done
        }
        .await;
        result
            .map(|done| (config, done))
            .map_err(|e| sync_err(e, Some(k.as_ref())))
    })?;
    let from = match done {
        Migrated::AlreadyAt(v) => Some(v),
        Migrated::Upgraded { from } => from,
    };
    if json_out {
        print_json(&json!({
            "server": server_text(&config),
            "from_version": from,
            "version": REMOTE_SCHEMA_VERSION,
        }))?;
    } else if let Migrated::AlreadyAt(v) = done {
        write_stdout(&format!(
            "{}: already at version {v}\n",
            server_text(&config)
        ))?;
    } else {
        write_stdout(&format!(
            "{}: schema {} -> version {REMOTE_SCHEMA_VERSION}\n",
            server_text(&config),
            from.map_or_else(|| "created".to_owned(), |v| format!("upgraded from {v}"))
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

// push / pull / run --------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transfer {
    Push,
    Pull,
    Both,
}

/// A bar over the queued changes while pushing, a spinner while pulling; hidden when output
/// is piped or JSON.
fn progress_bar(json_out: bool, pending: u64) -> ProgressBar {
    if json_out || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(pending);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} changes · {msg} · {elapsed}")
    {
        pb.set_style(style);
    }
    pb.set_message("connecting");
    pb
}

fn on_progress(pb: &ProgressBar, start_pending: u64, p: &SyncProgress) {
    match (p.phase, p.table) {
        (SyncPhase::Push, None) => {
            let left = p.pending.unwrap_or(0);
            pb.set_position(start_pending.saturating_sub(left));
            pb.set_message(format!("pushed {} rows in {} batches", p.rows, p.batches));
        }
        (SyncPhase::Push, Some(t)) => pb.set_message(format!("pushed {} of {t}", p.rows)),
        (SyncPhase::Pull, table) => {
            if pb.length().is_some() {
                if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} · {elapsed}") {
                    pb.set_style(style);
                }
                pb.unset_length();
            }
            pb.set_message(format!(
                "pulled {} rows ({})",
                p.rows,
                table.unwrap_or("changes")
            ));
            pb.tick();
        }
    }
}

fn report_json(r: &SyncReport, conflicts: i64, details: bool) -> Value {
    json!({
        "pushed": r.pushed,
        "push_batches": r.push_batches,
        "not_taken": r.not_taken,
        "pulled": r.pulled,
        "pulled_deletes": r.pulled_deletes,
        "renumbered": r.renumbered,
        "unread_conflicts": conflicts,
        "run_details": details,
        "details_pushed": r.details_pushed,
        "details_pulled": r.details_pulled,
        "elapsed_ms": u64::try_from(r.elapsed.as_millis()).unwrap_or(u64::MAX),
    })
}

fn report_text(r: &SyncReport, what: Transfer, conflicts: i64, details: bool) -> String {
    let mut parts = Vec::new();
    if what != Transfer::Pull {
        parts.push(format!(
            "pushed {} rows in {} batch{}",
            r.pushed,
            r.push_batches,
            if r.push_batches == 1 { "" } else { "es" }
        ));
    }
    if what != Transfer::Push {
        parts.push(format!(
            "pulled {} rows and {} deletes",
            r.pulled, r.pulled_deletes
        ));
    }
    if details {
        parts.push(format!(
            "run details {} sent, {} received",
            r.details_pushed, r.details_pulled
        ));
    }
    parts.push(format!(
        "{} conflict{}",
        r.renumbered.len(),
        if r.renumbered.len() == 1 { "" } else { "s" }
    ));
    let mut out = format!("{} in {:.2} s\n", parts.join(", "), r.elapsed.as_secs_f64());
    if r.not_taken > 0 {
        out.push_str(&format!(
            "{} rows were not taken by the server (not this account's to write, or deleted \
             there); the next pull brings the server's state\n",
            r.not_taken
        ));
    }
    for n in &r.renumbered {
        out.push_str(&format!(
            "conflict: version {} of strategy {} is now version {} (another device saved \
             {} first)\n",
            n.from, n.strategy_id, n.to, n.from
        ));
    }
    if conflicts > 0 {
        out.push_str(&format!(
            "{conflicts} unread sync conflict notification{} in the inbox\n",
            if conflicts == 1 { "" } else { "s" }
        ));
    }
    out
}

fn transfer(db: Option<&Path>, what: Transfer, json_out: bool) -> Result<ExitCode, String> {
    let rt = runtime()?;
    let keyring = Arc::new(TimedKeyring::default());
    let k = keyring.clone();
    let (report, conflicts, details) = with_store(&rt, db, |store| async move {
        let config = config_of(&store).await?;
        let pending =
            u64::try_from(store.sync_status().await.map_err(store_err)?.pending).unwrap_or(0);
        let pb = progress_bar(json_out, pending);
        let bar = pb.clone();
        let progress = move |p: &SyncProgress| on_progress(&bar, pending, p);
        let result = async {
            let syncer =
                Syncer::connect(&store, &config, k.as_ref(), SyncOptions::default()).await?;
            pb.set_message("connected");
            let report = match what {
                Transfer::Push => syncer.push(Some(&progress)).await,
                Transfer::Pull => syncer.pull(Some(&progress)).await,
                Transfer::Both => syncer.sync(Some(&progress)).await,
            };
            syncer.pool().close().await;
            report
        }
        .await;
        pb.finish_and_clear();
        let report = result.map_err(|e| sync_err(e, Some(k.as_ref())))?;
        let conflicts = store
            .sync_status()
            .await
            .map_err(store_err)?
            .unread_conflicts;
        Ok((report, conflicts, config.include_run_details))
    })?;
    if json_out {
        print_json(&report_json(&report, conflicts, details))?;
    } else {
        write_stdout(&report_text(&report, what, conflicts, details))?;
    }
    Ok(ExitCode::SUCCESS)
}

// status -------------------------------------------------------------------------------------

fn status(db: Option<&Path>, json_out: bool) -> Result<ExitCode, String> {
    let rt = runtime()?;
    let st = read_store(&rt, db, |store| async move {
        store.sync_status().await.map_err(store_err)
    })?;
    let (conflicts, profile) = (st.unread_conflicts, st.profile_id);
    if json_out {
        print_json(&json!({
            "configured": st.remote.is_some(),
            "remote": st.remote.as_ref().map(remote_json),
            "profile_id": profile,
            "last_push_at": st.record.last_push_at,
            "last_pull_at": st.record.last_pull_at,
            "last_error": st.record.last_error,
            "pending": st.pending,
            "unread_conflicts": conflicts,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = match profile {
        Some(p) => format!("user id:     {p} (this device's profile)\n"),
        None => String::new(),
    };
    match &st.remote {
        Some(c) => {
            out.push_str(&format!(
                "server:      {} (tls {})\n",
                server_text(c),
                c.tls.as_str()
            ));
            out.push_str(&format!(
                "account:     {}\n",
                match (c.account_id, profile) {
                    (Some(a), _) => a.to_string(),
                    (None, Some(p)) => {
                        format!("{p} (this device's profile, unless the server maps the role)")
                    }
                    (None, None) => "this device's profile (none yet)".to_owned(),
                }
            ));
            out.push_str(&format!(
                "run details: {}\n",
                if c.include_run_details {
                    "synced"
                } else {
                    "not synced (sync configure --include-run-details)"
                }
            ));
        }
        None => out.push_str("server:      none configured (run `stratagraph sync configure`)\n"),
    }
    let never = || "never".to_owned();
    out.push_str(&format!(
        "last push:   {}\nlast pull:   {}\n",
        st.record.last_push_at.clone().unwrap_or_else(never),
        st.record.last_pull_at.clone().unwrap_or_else(never)
    ));
    out.push_str(&format!(
        "pending:     {} local change{}\nconflicts:   {} unread\n",
        st.pending,
        if st.pending == 1 { "" } else { "s" },
        conflicts
    ));
    if let Some(e) = &st.record.last_error {
        out.push_str(&format!("last error:  {}\n", one_line(e)));
    }
    write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}
