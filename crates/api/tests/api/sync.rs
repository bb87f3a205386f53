//! Remote sync from the app against a real PostgreSQL (127.0.0.1:5432, or the port in
//! `STRATAGRAPH_TEST_PG_PORT`, e.g. TimescaleDB; trust auth, user postgres). Each test creates and drops its own database `sg_test_<unix time>_<random>`;
//! passwords live in a `MemorySecretStore` injected through the context.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use stratagraph_api::sync::{self, SyncConfigInput, SyncTls};
use stratagraph_api::{Ctx, ErrorCode};
use stratagraph_store::remote::{MemorySecretStore, SecretStore, SyncError, SyncResult};
use stratagraph_store::{Channel, ManualClock, NotificationType};

use crate::recorder;

const HOST: &str = "127.0.0.1";

/// The server under test (see the module docs).
fn port() -> u16 {
    std::env::var("STRATAGRAPH_TEST_PG_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5432)
}
const PASSWORD: &str = "Tr0ub4dor&3-never-shown";

fn psql(sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            "-h",
            HOST,
            "-p",
            &port().to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
        ])
        .args(["-qAtc", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql failed: {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A migrated database, dropped with the guard.
struct TestDb {
    name: String,
}

impl TestDb {
    async fn migrated() -> Self {
        let now = chrono::Utc::now().timestamp();
        let suffix = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
        let name = format!("sg_test_{now}_{suffix}");
        psql(&format!("CREATE DATABASE {name}"));
        let db = Self { name };
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(&format!(
                "postgres://postgres@{HOST}:{}/{}",
                port(),
                db.name
            ))
            .await
            .unwrap();
        stratagraph_store::remote::migrate(&pool).await.unwrap();
        pool.close().await;
        db
    }

    fn input(&self, password: Option<&str>) -> SyncConfigInput {
        SyncConfigInput {
            host: HOST.into(),
            port: port(),
            database: self.name.clone(),
            user: "postgres".into(),
            tls: SyncTls::Disable,
            include_run_details: false,
            password: password.map(str::to_owned),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                "-h",
                HOST,
                "-p",
                &port().to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-qc",
            ])
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .output();
    }
}

async fn device(secrets: Arc<dyn SecretStore>) -> (tempfile::TempDir, Arc<Ctx>, Arc<ManualClock>) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
            .unwrap()
            .into(),
    ));
    let ctx = Ctx::open_with_secrets(dir.path(), clock.clone(), secrets)
        .await
        .unwrap();
    (dir, ctx, clock)
}

fn no_password<T: serde::Serialize>(what: &T) {
    let json = serde_json::to_string(what).unwrap();
    assert!(!json.contains(PASSWORD), "password leaked: {json}");
}

#[tokio::test]
async fn configure_test_and_sync_now_leave_nothing_pending() {
    let db = TestDb::migrated().await;
    let secrets = MemorySecretStore::new();
    let (_dir, ctx, _) = device(Arc::new(secrets.clone())).await;

    let before = sync::status(&ctx).await.unwrap();
    assert!(!before.configured);
    assert!(before.pending > 0, "the first start queued the example");

    let st = sync::configure(&ctx, db.input(Some(PASSWORD)))
        .await
        .unwrap();
    no_password(&st);
    assert!(st.configured);
    let server = st.server.clone().unwrap();
    assert_eq!(
        (server.host.as_str(), server.port, server.tls),
        (HOST, port(), SyncTls::Disable)
    );
    assert_eq!(st.last_sync_at, None);
    // The password went to the secret store only, under the server's key.
    let key = format!("postgres@{HOST}:{}/{}", port(), db.name);
    assert_eq!(secrets.get(&key).unwrap().as_deref(), Some(PASSWORD));
    let saved = ctx.store().remote_config().await.unwrap().unwrap();
    assert!(!format!("{saved:?}").contains(PASSWORD));

    let t = sync::test(&ctx).await.unwrap();
    no_password(&t);
    assert_eq!(t.role, "postgres");
    assert_eq!(t.schema, "ok");
    assert_eq!(t.schema_version, Some(t.app_schema_version));
    assert!(t.message.contains("reachable"), "{}", t.message);

    let (seen, sink) = recorder();
    let summary = sync::sync_now(&ctx, sink).await.unwrap();
    no_password(&summary);
    assert!(summary.pushed > 0);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.first().unwrap().stage, "queued");
    assert_eq!(seen.last().unwrap().stage, "done");
    assert!(seen.iter().any(|p| p.stage == "pushing"));
    assert!(seen.iter().all(|p| p.job_id == seen[0].job_id));
    no_password(&seen);

    let after = sync::status(&ctx).await.unwrap();
    assert_eq!(after.pending, 0);
    assert!(after.last_sync_at.is_some());
    assert!(after.last_push_at.is_some() && after.last_pull_at.is_some());
    assert_eq!(after.last_error, None);
    assert_eq!(after.running_job_id, None);
    assert!(ctx.jobs().running().is_empty());
    // The server has the example strategy.
    let remote = Command::new("psql")
        .args([
            "-h",
            HOST,
            "-p",
            &port().to_string(),
            "-U",
            "postgres",
            "-d",
            &db.name,
            "-qAtc",
        ])
        .arg("SELECT count(*) FROM strategies")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&remote.stdout).trim(), "1");
}

#[tokio::test]
async fn a_bad_host_saves_the_address_and_reports_unreachable() {
    let secrets = MemorySecretStore::new();
    let (_dir, ctx, _) = device(Arc::new(secrets.clone())).await;
    let input = SyncConfigInput {
        host: HOST.into(),
        port: 1, // nothing listens there: refused at once
        database: "nowhere".into(),
        user: "postgres".into(),
        tls: SyncTls::Disable,
        include_run_details: true,
        password: Some(PASSWORD.into()),
    };
    // Offline first, as `stratagraph sync configure`: the address is saved anyway.
    let st = sync::configure(&ctx, input).await.unwrap();
    assert!(st.configured);
    assert!(st.server.as_ref().unwrap().include_run_details);

    let err = sync::test(&ctx).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unreachable, "{err:?}");
    assert!(err.message.contains("127.0.0.1:1"), "{}", err.message);
    assert!(!err.message.contains(PASSWORD));

    let err = sync::sync_now(&ctx, |_| {}).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unreachable);
    let st = sync::status(&ctx).await.unwrap();
    no_password(&st);
    assert!(st.pending > 0);
    assert!(st.last_error.unwrap().contains("Cannot reach"));
    assert_eq!(st.last_sync_at, None);
}

#[tokio::test]
async fn not_configured_and_invalid_input_are_typed() {
    let (_dir, ctx, _) = device(Arc::new(MemorySecretStore::new())).await;
    assert_eq!(
        sync::test(&ctx).await.unwrap_err().code,
        ErrorCode::NotConfigured
    );
    assert_eq!(
        sync::sync_now(&ctx, |_| {}).await.unwrap_err().code,
        ErrorCode::NotConfigured
    );
    let mut input = SyncConfigInput {
        host: "  ".into(),
        port: port(),
        database: "db".into(),
        user: "me".into(),
        tls: SyncTls::Prefer,
        include_run_details: false,
        password: None,
    };
    assert_eq!(
        sync::configure(&ctx, input.clone()).await.unwrap_err().code,
        ErrorCode::Invalid
    );
    input.host = "db.example.com".into();
    input.port = 0;
    assert_eq!(
        sync::configure(&ctx, input).await.unwrap_err().code,
        ErrorCode::Invalid
    );
    assert!(!sync::status(&ctx).await.unwrap().configured);
    assert_eq!(
        sync::set_auto(&ctx, true, 5).await.unwrap_err().code,
        ErrorCode::Invalid
    );
    // The form's Debug never shows the password.
    let with_pw = SyncConfigInput {
        password: Some(PASSWORD.into()),
        host: "h".into(),
        port: 1,
        database: "d".into(),
        user: "u".into(),
        tls: SyncTls::Require,
        include_run_details: false,
    };
    assert!(!format!("{with_pw:?}").contains(PASSWORD));
}

/// A keyring that cannot be written (no Secret Service).
struct BrokenKeyring;

impl SecretStore for BrokenKeyring {
    fn get(&self, _key: &str) -> SyncResult<Option<String>> {
        Err(SyncError::Keyring("no Secret Service on the bus".into()))
    }
    fn set(&self, _key: &str, _secret: &str) -> SyncResult<()> {
        Err(SyncError::Keyring("no Secret Service on the bus".into()))
    }
    fn delete(&self, _key: &str) -> SyncResult<()> {
        Err(SyncError::Keyring("no Secret Service on the bus".into()))
    }
}

#[tokio::test]
async fn an_unavailable_keyring_saves_nothing() {
    let (_dir, ctx, _) = device(Arc::new(BrokenKeyring)).await;
    let input = SyncConfigInput {
        host: "db.example.com".into(),
        port: port(),
        database: "strat".into(),
        user: "me".into(),
        tls: SyncTls::VerifyFull,
        include_run_details: false,
        password: Some(PASSWORD.into()),
    };
    let err = sync::configure(&ctx, input.clone()).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Keyring);
    assert!(err.message.contains("keyring"), "{}", err.message);
    assert!(!err.message.contains(PASSWORD));
    assert!(!sync::status(&ctx).await.unwrap().configured);

    // Without a password the keyring is not touched and the address is saved.
    let first = SyncConfigInput {
        password: None,
        ..input.clone()
    };
    sync::configure(&ctx, first).await.unwrap();
    // A later change with a password that cannot be kept leaves the previous address.
    let changed = SyncConfigInput {
        host: "other.example.com".into(),
        ..input
    };
    assert_eq!(
        sync::configure(&ctx, changed).await.unwrap_err().code,
        ErrorCode::Keyring
    );
    let st = sync::status(&ctx).await.unwrap();
    assert_eq!(st.server.unwrap().host, "db.example.com");
}

#[tokio::test]
async fn sync_now_can_be_cancelled_through_the_job() {
    let db = TestDb::migrated().await;
    let (_dir, ctx, _) = device(Arc::new(MemorySecretStore::new())).await;
    sync::configure(&ctx, db.input(None)).await.unwrap();
    let jobs = ctx.jobs().clone();
    let err = sync::sync_now(&ctx, move |p| {
        if p.stage == "queued" {
            assert!(jobs.cancel(&p.job_id));
        }
    })
    .await
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::Cancelled);
    let st = sync::status(&ctx).await.unwrap();
    assert_eq!(st.running_job_id, None);
    assert!(st.pending > 0);
    // The next one goes through.
    sync::sync_now(&ctx, |_| {}).await.unwrap();
    assert_eq!(sync::status(&ctx).await.unwrap().pending, 0);
}

#[tokio::test]
async fn background_sync_runs_on_its_interval_and_stops() {
    let db = TestDb::migrated().await;
    let (_dir, ctx, _) = device(Arc::new(MemorySecretStore::new())).await;
    // Switched on before a server exists: nothing runs yet.
    let st = sync::set_auto(&ctx, true, 120).await.unwrap();
    assert!(st.auto_sync && !st.background_active);
    assert_eq!(st.interval_secs, 120);
    // Configuring starts it; it syncs at once.
    let st = sync::configure(&ctx, db.input(None)).await.unwrap();
    assert!(st.background_active);
    let mut synced = false;
    for _ in 0..100 {
        let st = sync::status(&ctx).await.unwrap();
        if st.pending == 0 && st.last_sync_at.is_some() {
            synced = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(synced, "the background sync did not run");
    // A sync on demand pauses and resumes it.
    sync::sync_now(&ctx, |_| {}).await.unwrap();
    assert!(sync::status(&ctx).await.unwrap().background_active);
    // Off stops it; the setting survives a restart of the context.
    let st = sync::set_auto(&ctx, false, 120).await.unwrap();
    assert!(!st.auto_sync && !st.background_active);
    sync::set_auto(&ctx, true, 300).await.unwrap();
    sync::shutdown(&ctx).await;
    let st = sync::status(&ctx).await.unwrap();
    assert!(st.auto_sync && !st.background_active);
    sync::autostart(&ctx).await;
    assert!(sync::status(&ctx).await.unwrap().background_active);
    sync::shutdown(&ctx).await;
}

#[tokio::test]
async fn a_failing_background_sync_records_its_error() {
    let (_dir, ctx, _) = device(Arc::new(MemorySecretStore::new())).await;
    let input = SyncConfigInput {
        host: HOST.into(),
        port: 1,
        database: "nowhere".into(),
        user: "postgres".into(),
        tls: SyncTls::Disable,
        include_run_details: false,
        password: None,
    };
    sync::configure(&ctx, input).await.unwrap();
    sync::set_auto(&ctx, true, 60).await.unwrap();
    let mut error = None;
    for _ in 0..100 {
        error = sync::status(&ctx).await.unwrap().last_error;
        if error.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(error.unwrap().contains("Cannot reach"));
    assert!(sync::status(&ctx).await.unwrap().background_active);
    sync::shutdown(&ctx).await;
}

#[tokio::test]
async fn unread_conflicts_are_listed_in_words_and_can_be_marked_read() {
    let (_dir, ctx, _) = device(Arc::new(MemorySecretStore::new())).await;
    let info = stratagraph_api::app::app_info(&ctx);
    let sid = info.example_strategy_id.unwrap();
    let user = ctx.store().ensure_profile().await.unwrap().id;
    ctx.store()
        .create_notification(
            user,
            NotificationType::SyncConflict,
            &serde_json::json!({"strategy_id": sid, "version_id": uuid::Uuid::now_v7(),
                                "saved_as": 2, "renumbered_to": 3,
                                "reason": "another device saved this version number first"}),
            Channel::InApp,
        )
        .await
        .unwrap();
    let st = sync::status(&ctx).await.unwrap();
    assert_eq!(st.unread_conflicts, 1);
    assert_eq!(st.conflicts.len(), 1);
    let text = &st.conflicts[0].message;
    assert!(
        text.contains("Version 2 of “SMA crossover (example)” is now version 3"),
        "{text}"
    );
    let st = sync::conflicts_read(&ctx).await.unwrap();
    assert_eq!(st.unread_conflicts, 0);
    assert!(st.conflicts.is_empty());
}

/// A user of the test server with `roles`; returns (login role, user id, e-mail).
fn provision(db: &TestDb, roles: &str) -> (String, String, String) {
    let role = format!("sg_u_{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let id = uuid::Uuid::now_v7().to_string();
    let email = format!("{role}@example.com");
    let out = Command::new("psql")
        .args([
            "-h",
            HOST,
            "-p",
            &port().to_string(),
            "-U",
            "postgres",
            "-d",
            &db.name,
        ])
        .args(["-v", "ON_ERROR_STOP=1", "-qAtc"])
        .arg(format!(
            "SELECT sg_provision_user('{role}', 'pw-{role}', '{id}', '{email}', '{role}', \
             ARRAY[{roles}]::text[])"
        ))
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (role, id, email)
}

/// A device signed in as `role` (trust authentication) and synced once: the first sync moves
/// the device's profile to the server's user, and the open context acts as that user from
/// then on (its runs and templates are the account's).
async fn device_as(db: &TestDb, role: &str) -> (tempfile::TempDir, Arc<Ctx>) {
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::new());
    let (dir, ctx, _clock) = device(secrets.clone()).await;
    let mut input = db.input(None);
    input.user = role.to_owned();
    sync::configure(&ctx, input).await.unwrap();
    let (_, sink) = recorder();
    sync::sync_now(&ctx, sink).await.unwrap();
    (dir, ctx)
}

#[tokio::test]
async fn publish_shows_the_checks_a_reviewer_rejects_and_the_educator_is_told_why() {
    use stratagraph_api::educators::{self, PublishInput};
    use stratagraph_api::{app, runs};

    let db = TestDb::migrated().await;
    let (edu_role, _, _) = provision(&db, "'trader', 'educator'");
    let (rev_role, _, _) = provision(&db, "'reviewer'");
    let (st_role, st, st_email) = provision(&db, "'trader'");
    let (_d1, edu) = device_as(&db, &edu_role).await;
    let (_d2, rev) = device_as(&db, &rev_role).await;
    let (_d3, student) = device_as(&db, &st_role).await;

    // Roles hold: a student may not grant, create cohorts or see the review queue.
    for e in [
        educators::admin_grant(&student, &st, "admin", false)
            .await
            .unwrap_err(),
        educators::cohort_create(&student, "Mine")
            .await
            .unwrap_err(),
        educators::review_queue(&student).await.unwrap_err(),
    ] {
        assert_eq!(e.code, ErrorCode::Forbidden, "{}", e.message);
    }
    let cohort = educators::cohort_create(&edu, "Class A").await.unwrap();
    assert_eq!(
        educators::cohort_add(&edu, "Class A", vec![st_email.clone()])
            .await
            .unwrap(),
        vec![st.clone()]
    );
    let cohorts = educators::cohorts_list(&student).await.unwrap();
    assert_eq!(cohorts.len(), 1);
    assert_eq!(
        (cohorts[0].id.as_str(), cohorts[0].members),
        (cohort.as_str(), 1)
    );

    // The example, backtested without costs: the publish result says which checks failed.
    let info = app::app_info(&edu);
    let strategy_id = info.example_strategy_id.clone().unwrap();
    let (_, sink) = recorder();
    runs::run_backtest(
        &edu,
        runs::RunRequest {
            strategy_id: strategy_id.clone(),
            version: 1,
            dataset_id: info.sample_dataset_id.clone().unwrap(),
            params: Default::default(),
        },
        sink,
    )
    .await
    .unwrap();
    // The checks before sending, computed on the device, find the same failures.
    let preflight = educators::template_preflight(
        &edu,
        educators::PreflightInput {
            strategy_id: strategy_id.clone(),
            version: 1,
            title: "Risk-free crossover".into(),
            description: "A first lesson.".into(),
        },
    )
    .await
    .unwrap();
    let failed_here: Vec<&str> = preflight
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.check.as_str())
        .collect();
    let published = educators::template_publish(
        &edu,
        PublishInput {
            strategy_id,
            version: 1,
            title: "Risk-free crossover".into(),
            description: "A first lesson.".into(),
            audience: "cohort".into(),
            cohort: Some("Class A".into()),
            template_id: None,
        },
    )
    .await
    .unwrap();
    let failed: Vec<&str> = published
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.check.as_str())
        .collect();
    assert!(failed.contains(&"costs_on"), "{failed:?}");
    assert!(failed.contains(&"no_performance_promises"), "{failed:?}");
    let (mut here, mut there) = (failed_here.clone(), failed.clone());
    here.sort_unstable();
    there.sort_unstable();
    assert_eq!(here, there, "the device's checks agree with the server's");
    assert!(!published.queued);
    let review_id = published.review_id.clone().unwrap();
    let template_id = published.template_id.clone().unwrap();
    assert!(published
        .checks
        .iter()
        .any(|c| c.check == "reference_run" && c.passed));

    // The reviewer sees it in the queue with its checks; approval is refused, rejection
    // goes through and reaches the educator's inbox after a sync.
    let queue = educators::review_queue(&rev).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].id, review_id);
    assert_eq!(queue[0].checks.len(), 5);
    let e = educators::review_decide(&rev, &review_id, true, "fine")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Invalid, "{}", e.message);
    educators::review_decide(&rev, &review_id, false, "No promises; switch costs on")
        .await
        .unwrap();
    let (_, sink) = recorder();
    sync::sync_now(&edu, sink).await.unwrap();
    let inbox = edu
        .store()
        .list_notifications(edu.store().ensure_profile().await.unwrap().id, None)
        .await
        .unwrap();
    assert!(
        inbox
            .iter()
            .any(|n| n.kind == NotificationType::ComplianceDecision
                && n.payload["reason"] == "No promises; switch costs on"),
        "{inbox:?}"
    );
    // Never approved: the student sees nothing; the educator sees it as awaiting review.
    assert!(educators::templates_list(&student, false)
        .await
        .unwrap()
        .is_empty());
    let mine = educators::templates_list(&edu, true).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].state, "awaiting_review");
    let e = educators::template_clone(&student, &template_id)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Invalid, "{}", e.message);
    for ctx in [edu, rev, student] {
        sync::shutdown(&ctx).await;
    }
    drop(db);
    for role in [edu_role, rev_role, st_role] {
        psql(&format!("DROP ROLE IF EXISTS {role}"));
    }
}

/// A strategy of `ctx` whose version 1 is the example as a lesson (costs on, short averages,
/// a note, a comment frame, a locked and an exercise parameter), backtested on the sample.
async fn lesson(ctx: &Ctx) -> String {
    use stratagraph_api::{app, runs, strategies};

    let mut graph: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples/sma_crossover.json"),
        )
        .unwrap(),
    )
    .unwrap();
    graph["settings"]["commission"] = serde_json::json!(0.001);
    graph["parameters"][0]["default"] = serde_json::json!(3);
    graph["parameters"][0]["lesson"] = serde_json::json!("exercise");
    graph["parameters"][1]["default"] = serde_json::json!(8);
    graph["parameters"][1]["lesson"] = serde_json::json!("locked");
    graph["nodes"][0]["note"] = serde_json::json!("Every close feeds both averages.");
    graph["comments"] = serde_json::json!([{"id": "intro", "text": "Step 1", "x": 0, "y": -100}]);
    let created = strategies::create(ctx, "Lesson", None).await.unwrap();
    let id = created.strategy.id.clone();
    let v = strategies::version_save(ctx, &id, &graph, Some("The lesson"))
        .await
        .unwrap();
    let info = app::app_info(ctx);
    let (_, sink) = recorder();
    runs::run_backtest(
        ctx,
        runs::RunRequest {
            strategy_id: id.clone(),
            version: v.version,
            dataset_id: info.sample_dataset_id.clone().unwrap(),
            params: Default::default(),
        },
        sink,
    )
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn offline_publish_waits_in_the_outbox_and_is_sent_by_the_next_sync() {
    use stratagraph_api::educators::{self, PublishInput};

    let db = TestDb::migrated().await;
    let (edu_role, _, _) = provision(&db, "'trader', 'educator'");
    let (rev_role, _, _) = provision(&db, "'reviewer'");
    let (st_role, _, _) = provision(&db, "'trader'");
    let (_d1, edu) = device_as(&db, &edu_role).await;
    let (_d2, rev) = device_as(&db, &rev_role).await;
    let (_d3, student) = device_as(&db, &st_role).await;
    let strategy = lesson(&edu).await;
    let input = PublishInput {
        strategy_id: strategy.clone(),
        version: 2,
        title: "SMA crossover lesson".into(),
        description: "Change the fast average.".into(),
        audience: "public".into(),
        cohort: None,
        template_id: None,
    };

    // The server out of reach: the submission waits, with the checks computed here.
    let l = std::net::TcpListener::bind((HOST, 0)).unwrap();
    let closed = l.local_addr().unwrap().port();
    drop(l);
    let mut offline = db.input(None);
    offline.user = edu_role.clone();
    offline.port = closed;
    sync::configure(&edu, offline).await.unwrap();
    let queued = educators::template_publish(&edu, input.clone())
        .await
        .unwrap();
    assert!(queued.queued);
    assert_eq!(
        (queued.template_id.as_deref(), queued.review_id.as_deref()),
        (None, None)
    );
    assert_eq!(queued.checks.len(), 5);
    assert!(
        queued.checks.iter().all(|c| c.passed),
        "{:?}",
        queued.checks
    );
    let pending = educators::templates_pending(&edu).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].title, "SMA crossover lesson");
    assert!(
        edu.store().sync_status().await.unwrap().pending > 0,
        "in the outbox"
    );
    // A bad audience is refused at once, not queued.
    let e = educators::template_publish(
        &edu,
        PublishInput {
            audience: "friends".into(),
            ..input.clone()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Invalid, "{}", e.message);
    assert_eq!(educators::templates_pending(&edu).await.unwrap().len(), 1);

    // Back online (with run details, so the server holds the run's curve): the background
    // sync sends it, as "Sync now" would; the reviewer finds it with its graph.
    let mut online = db.input(None);
    online.user = edu_role.clone();
    online.include_run_details = true;
    sync::configure(&edu, online).await.unwrap();
    sync::set_auto(&edu, true, 3600).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !educators::templates_pending(&edu).await.unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the background sync did not send the submission: {:?}",
            sync::status(&edu).await.unwrap().last_error
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    sync::set_auto(&edu, false, 3600).await.unwrap();
    let mine = educators::templates_list(&edu, true).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].state, "awaiting_review");
    let queue = educators::review_queue(&rev).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert!(
        queue[0].checks.iter().all(|c| c.passed),
        "{:?}",
        queue[0].checks
    );
    // The reference run reached the reviewer from the server: metrics, the curve decimated
    // there and its drawdown.
    let reference = queue[0]
        .reference_run
        .clone()
        .expect("the reviewer reads the reference run");
    assert!(reference.metrics["trades"].as_f64().unwrap() >= 100.0);
    assert!(!reference.equity.is_empty() && reference.equity.len() <= 301);
    assert_eq!(reference.drawdown.len(), reference.equity.len());
    assert!(reference.drawdown.iter().all(|&(_, dd)| dd <= 0.0));
    let version = queue[0].version_id.clone().unwrap();
    let shown = educators::template_version(&rev, &version).await.unwrap();
    assert_eq!(
        shown.graph["nodes"][0]["note"],
        "Every close feeds both averages."
    );
    assert_eq!(shown.graph["comments"][0]["id"], "intro");
    assert_eq!(shown.content_hash, queue[0].content_hash.clone().unwrap());
    // Students see neither the template nor its version before approval.
    assert!(educators::templates_list(&student, false)
        .await
        .unwrap()
        .is_empty());
    let e = educators::template_version(&student, &version)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Invalid, "{}", e.message);

    // Approved: the student previews the same graph and clones it; the library says where
    // the clone came from.
    educators::review_decide(&rev, &queue[0].id, true, "Costs on, 183 trades")
        .await
        .unwrap();
    let gallery = educators::templates_list(&student, false).await.unwrap();
    assert_eq!(gallery.len(), 1);
    let preview = educators::template_version(&student, &gallery[0].version_id)
        .await
        .unwrap();
    assert_eq!(preview.graph["parameters"][1]["lesson"], "locked");
    // The student reads the reference run's charts from the server too.
    let shown = educators::template_show(&student, &gallery[0].id)
        .await
        .unwrap();
    assert_eq!(shown.reference_run, Some(reference));
    let cloned = educators::template_clone(&student, &gallery[0].id)
        .await
        .unwrap();
    let list = stratagraph_api::strategies::list(&student, Default::default())
        .await
        .unwrap();
    let row = list.iter().find(|s| s.strategy.id == cloned).unwrap();
    let origin = row.origin.clone().unwrap();
    assert!(
        origin.starts_with("Cloned from template \"SMA crossover lesson\""),
        "{origin}"
    );
    let shown = educators::template_show(&edu, &gallery[0].id)
        .await
        .unwrap();
    assert_eq!(shown.template.clone_count, 1);
    assert_eq!(shown.cloned_by.len(), 1);
    for ctx in [edu, rev, student] {
        sync::shutdown(&ctx).await;
    }
    drop(db);
    for role in [edu_role, rev_role, st_role] {
        psql(&format!("DROP ROLE IF EXISTS {role}"));
    }
}

/// "Run on a cluster…": the script for a version's sweep; the shards (run here as a cluster
/// would run them) write their rows to the server; the app shows the progress, refuses to
/// open the sweep until every shard is in, then opens it like a local sweep with the rows,
/// best row and PBO the same sweep gives when run locally.
#[tokio::test]
async fn a_cluster_sweep_shows_its_progress_and_opens_like_a_local_sweep() {
    use std::sync::atomic::AtomicBool;
    use stratagraph_api::cluster::{self, ClusterScriptInput};
    use stratagraph_api::research::{self, AxisInput, SweepInput, SweepRequest};
    use stratagraph_api::{app, datasets};
    use stratagraph_engine::robust::PBO_BLOCKS;
    use stratagraph_engine::shard::{self, Shard};
    use stratagraph_engine::sweep::{parse_axis, SweepConfig, SweepSpec};
    use stratagraph_store::remote::{connect_url, write_shard, ClusterRow, ShardKey};

    let db = TestDb::migrated().await;
    let (role, _, _) = provision(&db, "'trader'");
    let (_dir, ctx) = device_as(&db, &role).await;
    let info = app::app_info(&ctx);
    let strategy_id = info.example_strategy_id.clone().unwrap();
    let dataset_id = info.sample_dataset_id.clone().unwrap();
    let input = SweepInput {
        axes: vec![
            AxisInput {
                name: "fast".into(),
                start: Some(5.0),
                stop: Some(25.0),
                step: Some(5.0),
                values: None,
            },
            AxisInput {
                name: "slow".into(),
                start: None,
                stop: None,
                step: None,
                values: Some(vec![30.0, 50.0, 70.0]),
            },
        ],
        random: None,
        seed: None,
        constraints: vec![],
        metric: "sharpe".into(),
    };
    let made = cluster::script(
        &ctx,
        ClusterScriptInput {
            strategy_id: strategy_id.clone(),
            version: 1,
            dataset_id: dataset_id.clone(),
            input: input.clone(),
            scheduler: "slurm".into(),
            shards: 2,
            cpus: 1,
            to_server: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(made.combinations, 15);
    assert!(
        made.script.contains("#SBATCH --array=0-1"),
        "{}",
        made.script
    );
    assert!(made.script.contains("'<DATA_URL>'"));
    assert!(made.script.contains("--grid fast=5:25:5"));
    let sweep_id = made.sweep_id.clone().unwrap();
    assert!(made.script.contains(&sweep_id));
    let bad = cluster::script(
        &ctx,
        ClusterScriptInput {
            strategy_id: strategy_id.clone(),
            version: 1,
            dataset_id: dataset_id.clone(),
            input: input.clone(),
            scheduler: "pbs".into(),
            shards: 2,
            cpus: 1,
            to_server: false,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(bad.code, ErrorCode::Invalid);

    // The cluster: each shard runs on the dataset and writes to the server as the user.
    let graph: stratagraph_engine::graph::Graph = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/sma_crossover.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let bars = datasets::load(&ctx, &dataset_id).unwrap();
    let spec = SweepSpec {
        axes: vec![
            parse_axis("fast=5:25:5").unwrap(),
            parse_axis("slow=30,50,70").unwrap(),
        ],
        random: None,
        constraints: vec![],
    };
    let url = format!("postgres://{role}:pw-{role}@{HOST}:{}/{}", port(), db.name);
    let pool = connect_url(&url).await.unwrap();
    let write = |k: usize| {
        let (plan, result) = shard::run(
            &graph,
            &bars,
            &spec,
            Shard { k, n: 2 },
            &SweepConfig {
                pbo_blocks: PBO_BLOCKS,
                ..Default::default()
            },
            &AtomicBool::new(false),
            &|_| {},
        )
        .unwrap();
        assert_eq!(plan.sweep_hash, made.sweep_hash);
        let rows: Vec<ClusterRow> = result
            .rows
            .iter()
            .map(|r| ClusterRow {
                index: r.index as u64,
                params: serde_json::json!(r.params),
                metrics: serde_json::to_value(&r.metrics).unwrap(),
                blocks: serde_json::Value::Array(
                    r.blocks
                        .iter()
                        .map(|m| serde_json::json!([m.n, m.sum, m.sum_sq]))
                        .collect(),
                ),
            })
            .collect();
        let key = ShardKey {
            sweep_id: sweep_id.parse().unwrap(),
            sweep_hash: plan.sweep_hash,
            data_hash: made.data_hash.clone(),
            shards: 2,
            total: plan.total as u64,
            sort: "sharpe".into(),
            spec: serde_json::json!({}),
            shard: k as u32,
            combinations: rows.len() as u64,
        };
        (key, rows)
    };
    let (k0, r0) = write(0);
    write_shard(&pool, &k0, &r0, &|_| {}).await.unwrap();
    let list = cluster::list(&ctx).await.unwrap();
    assert_eq!(list.len(), 1);
    let item = &list[0];
    assert_eq!(
        (
            item.shards_done,
            item.shards,
            item.rows_in,
            item.total,
            item.complete
        ),
        (1, 2, r0.len() as u64, 15, false)
    );
    assert!(item.launched_here);
    assert_eq!(item.version, Some(1));
    let e = cluster::open(&ctx, &sweep_id).await.unwrap_err();
    assert!(
        e.message.contains("Not complete yet: 1 of 2 shards"),
        "{}",
        e.message
    );
    let (k1, r1) = write(1);
    write_shard(&pool, &k1, &r1, &|_| {}).await.unwrap();
    pool.close().await;
    assert!(cluster::list(&ctx).await.unwrap()[0].complete);

    let opened = cluster::open(&ctx, &sweep_id).await.unwrap();
    let (_, sink) = recorder();
    let local = research::start(
        &ctx,
        SweepRequest {
            strategy_id,
            version: 1,
            dataset_id,
            input,
        },
        sink,
    )
    .await
    .unwrap();
    assert_eq!((opened.rows, opened.total), (15, 15));
    assert_eq!(opened.best, local.best);
    assert_eq!(opened.pbo, local.pbo);
    assert_eq!(opened.axes, local.axes);
    // Opened again: the same local sweep, not a second copy.
    let again = cluster::open(&ctx, &sweep_id).await.unwrap();
    assert_eq!(again.id, opened.id);
    let item = &cluster::list(&ctx).await.unwrap()[0];
    assert_eq!(item.local_sweep_id.as_deref(), Some(opened.id.as_str()));
}
