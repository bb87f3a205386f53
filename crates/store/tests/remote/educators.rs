//! Educators on the shared server (remote schema 0007), each user logged in with their own role:
//! an educator publishes a template for a cohort, automatic checks run, a reviewer approves,
//! the two students see and clone it, an outsider sees nothing by direct SQL; a new version
//! stays invisible until approved; failed checks can only be rejected; every decision notifies
//! the educator; 50 concurrent clones count exactly 50; roles and plan limits hold.

use std::sync::Arc;

use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use uuid::Uuid;

use crate::common::{count, port, psql, TestDb, HOST};

/// Runs `sql` and returns the database's message on failure.
async fn try_exec(pool: &PgPool, sql: &str) -> Result<u64, String> {
    sqlx::query(sql)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        .map_err(|e| e.to_string())
}

async fn one_uuid(pool: &PgPool, sql: &str) -> Uuid {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// A strategy version of `owner` (written through their own login) with a completed reference
/// run of `trades` trades and `commissions` paid; returns the version's id.
async fn version_with_run(
    pool: &PgPool,
    owner: Uuid,
    tag: i64,
    trades: i64,
    commissions: f64,
) -> Uuid {
    let (s, v) = (Uuid::now_v7(), Uuid::now_v7());
    sqlx::query(
        "INSERT INTO strategies (id, owner_id, title, slug, status, visibility) \
         VALUES ($1, $2, $3, $3, 'active', 'private')",
    )
    .bind(s)
    .bind(owner)
    .bind(format!("lesson-{tag}-{}", s.simple()))
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO strategy_versions (id, strategy_id, version, graph_json, created_by) \
         VALUES ($1, $2, 1, $3, $4)",
    )
    .bind(v)
    .bind(s)
    .bind(crate::common::graph(tag))
    .bind(owner)
    .execute(pool)
    .await
    .unwrap();
    add_run(pool, owner, v, trades, commissions).await;
    v
}

async fn add_run(pool: &PgPool, owner: Uuid, version: Uuid, trades: i64, commissions: f64) {
    sqlx::query(
        "INSERT INTO backtest_runs_visible (id, strategy_version_id, requested_by, parameters, \
         status, metrics, created_at) VALUES ($1, $2, $3, $4, 'completed', $5, now())",
    )
    .bind(Uuid::now_v7())
    .bind(version)
    .bind(owner)
    .bind(json!({"params": {"fast": 5}, "dataHash": "d41d8cd98f00b204"}))
    .bind(json!({"trades": trades, "commissions": commissions, "total_return_pct": 3.5}))
    .execute(pool)
    .await
    .unwrap();
}

/// The content hash of a version as PostgreSQL computes SHA-256 of its stored graph.
fn pg_hash(db: &TestDb, version: Uuid) -> String {
    psql(
        &db.name,
        &format!(
            "SELECT encode(sha256(convert_to(graph_json::text, 'UTF8')), 'hex') \
             FROM strategy_versions WHERE id = '{version}'"
        ),
    )
}

async fn visible_version(pool: &PgPool, template: Uuid) -> Option<Uuid> {
    sqlx::query_scalar("SELECT strategy_version_id FROM template_shares WHERE id = $1")
        .bind(template)
        .fetch_optional(pool)
        .await
        .unwrap()
}

async fn sees_version(pool: &PgPool, version: Uuid) -> bool {
    sqlx::query_scalar("SELECT count(*) = 1 FROM strategy_versions WHERE id = $1")
        .bind(version)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn notifications(pool: &PgPool, kind: &str) -> Vec<Value> {
    sqlx::query_scalar("SELECT payload FROM notifications WHERE type = $1 ORDER BY created_at")
        .bind(kind)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn publish_review_cohort_clone_and_an_outsider_who_sees_nothing() {
    let db = TestDb::migrated().await;
    let (edu_role, edu) = db.provision(&["trader", "educator"]);
    let (rev_role, _rev) = db.provision(&["reviewer"]);
    let (s1_role, s1) = db.provision(&["trader"]);
    let (s2_role, s2) = db.provision(&["trader"]);
    let (out_role, _out) = db.provision(&["trader"]);
    let pe = db.role_pool(&edu_role).await;
    let pr = db.role_pool(&rev_role).await;
    let p1 = db.role_pool(&s1_role).await;
    let p2 = db.role_pool(&s2_role).await;
    let po = db.role_pool(&out_role).await;

    // A cohort with one student added by e-mail, the other by user id.
    let cohort = Uuid::now_v7();
    one_uuid(
        &pe,
        &format!("SELECT sg_cohort_create('{cohort}', 'Class of 2027')"),
    )
    .await;
    assert_eq!(
        one_uuid(
            &pe,
            &format!("SELECT sg_cohort_add('{cohort}', '{s1_role}@EXAMPLE.com')")
        )
        .await,
        s1
    );
    assert_eq!(
        one_uuid(&pe, &format!("SELECT sg_cohort_add('{cohort}', '{s2}')")).await,
        s2
    );
    let e = try_exec(
        &pe,
        &format!("SELECT sg_cohort_add('{cohort}', 'nobody@example.com')"),
    )
    .await
    .unwrap_err();
    assert!(e.contains("nobody@example.com"), "{e}");
    // Only educators run cohorts.
    let e = try_exec(
        &po,
        &format!("SELECT sg_cohort_create('{}', 'Mine')", Uuid::now_v7()),
    )
    .await
    .unwrap_err();
    assert!(e.contains("educator role"), "{e}");
    let e = try_exec(&po, &format!("SELECT sg_cohort_add('{cohort}', '{s1}')"))
        .await
        .unwrap_err();
    assert!(e.contains("educator role"), "{e}");

    // Publish version 1 for the cohort: five automatic checks pass, a review opens.
    let v1 = version_with_run(&pe, edu, 1, 150, 12.5).await;
    let template = Uuid::now_v7();
    let review1 = one_uuid(
        &pe,
        &format!(
            "SELECT sg_publish_template('{template}', '{v1}', 'SMA crossover', \
             'Two moving averages, with costs.', 'cohort', '{cohort}', NULL)"
        ),
    )
    .await;
    let checks: Vec<(String, bool)> = sqlx::query_as(
        "SELECT payload->>'check', (payload->>'passed')::boolean FROM compliance_events \
         WHERE entity_id = $1 AND event_type = 'automatic_check' ORDER BY payload->>'check'",
    )
    .bind(template)
    .fetch_all(&pe)
    .await
    .unwrap();
    assert_eq!(
        checks,
        vec![
            ("costs_on".to_owned(), true),
            ("min_trades".to_owned(), true),
            ("no_performance_promises".to_owned(), true),
            ("reference_run".to_owned(), true),
            ("reproducible".to_owned(), true),
        ]
    );
    // Not approved yet: the students see nothing of it.
    for p in [&p1, &p2, &po] {
        assert_eq!(count(p, "template_shares").await, 0);
        assert!(!sees_version(p, v1).await);
    }

    // The reviewer's queue holds it, with the version to read; the educator cannot approve
    // (not a reviewer), a decision needs a reason.
    let queue: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM compliance_events WHERE event_type = 'template_review' AND status = 'open'",
    )
    .fetch_all(&pr)
    .await
    .unwrap();
    assert_eq!(queue, vec![review1]);
    assert!(sees_version(&pr, v1).await);
    let e = try_exec(
        &pe,
        &format!("SELECT sg_review_decide('{review1}', true, 'mine')"),
    )
    .await
    .unwrap_err();
    assert!(e.contains("reviewer role"), "{e}");
    let e = try_exec(
        &pr,
        &format!("SELECT sg_review_decide('{review1}', true, '  ')"),
    )
    .await
    .unwrap_err();
    assert!(e.contains("reason"), "{e}");
    // Nobody approves by writing the row: the server keeps the approval to itself.
    try_exec(
        &pe,
        &format!("UPDATE template_shares SET approved_hash = 'x', clone_count = 99 WHERE id = '{template}'"),
    )
    .await
    .unwrap();
    assert_eq!(count(&p1, "template_shares").await, 0);

    one_uuid(
        &pr,
        &format!("SELECT sg_review_decide('{review1}', true, 'Costs on, 150 trades, no promises')"),
    )
    .await;
    assert_eq!(
        psql(
            &db.name,
            &format!("SELECT approved_hash FROM template_shares WHERE id = '{template}'")
        ),
        pg_hash(&db, v1),
        "approval pins the content hash"
    );
    let decided = notifications(&pe, "compliance_decision").await;
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0]["decision"], "approved");
    assert_eq!(decided[0]["reason"], "Costs on, 150 trades, no promises");

    // The students see the template and its version; the outsider sees nothing by any table.
    for p in [&p1, &p2] {
        assert_eq!(visible_version(p, template).await, Some(v1));
        assert!(sees_version(p, v1).await);
        assert_eq!(count(p, "cohorts").await, 1);
        assert_eq!(
            count(p, "cohort_members").await,
            1,
            "only their own membership"
        );
    }
    for table in [
        "template_shares",
        "strategies",
        "strategy_versions",
        "backtest_runs_visible",
        "cohorts",
        "cohort_members",
        "template_clones",
        "compliance_events",
        "notifications",
    ] {
        assert_eq!(count(&po, table).await, 0, "the outsider sees {table}");
    }
    assert_eq!(
        count(&po, "users").await,
        1,
        "the outsider sees only themself"
    );

    // A student clones: a strategy of their own, attributed, and the count rises.
    let (cs, cv) = (Uuid::now_v7(), Uuid::now_v7());
    one_uuid(
        &p1,
        &format!("SELECT sg_clone_template('{template}', '{cs}', '{cv}')"),
    )
    .await;
    let (owner, notes): (Uuid, String) = sqlx::query_as(
        "SELECT s.owner_id, v.notes FROM strategies s JOIN strategy_versions v \
         ON v.strategy_id = s.id WHERE s.id = $1",
    )
    .bind(cs)
    .fetch_one(&p1)
    .await
    .unwrap();
    assert_eq!(owner, s1);
    for part in [template.to_string(), v1.to_string(), edu.to_string()] {
        assert!(notes.contains(&part), "{notes} names {part}");
    }
    assert_eq!(
        psql(
            &db.name,
            &format!(
                "SELECT (SELECT graph_json FROM strategy_versions WHERE id = '{cv}') = \
             (SELECT graph_json FROM strategy_versions WHERE id = '{v1}')"
            )
        ),
        "t"
    );
    let clones: Vec<Uuid> = sqlx::query_scalar("SELECT user_id FROM template_clones")
        .fetch_all(&pe)
        .await
        .unwrap();
    assert_eq!(clones, vec![s1], "the educator sees who cloned");
    assert_eq!(notifications(&pe, "template_cloned").await.len(), 1);
    let e = try_exec(
        &po,
        &format!(
            "SELECT sg_clone_template('{template}', '{}', '{}')",
            Uuid::now_v7(),
            Uuid::now_v7()
        ),
    )
    .await
    .unwrap_err();
    assert!(e.contains("no template"), "{e}");
    assert_eq!(
        psql(
            &db.name,
            &format!("SELECT clone_count FROM template_shares WHERE id = '{template}'")
        ),
        "1"
    );

    // A new version: until the reviewer approves it, the audience keeps version 1.
    let v2 = version_with_run(&pe, edu, 2, 180, 20.0).await;
    let review2 = one_uuid(
        &pe,
        &format!(
            "SELECT sg_publish_template('{template}', '{v2}', 'SMA crossover', \
             'Now with a trend filter.', 'cohort', '{cohort}', NULL)"
        ),
    )
    .await;
    for p in [&p1, &p2] {
        assert_eq!(visible_version(p, template).await, Some(v1));
        assert!(!sees_version(p, v2).await);
    }
    // The reviewer sees both versions (to diff them).
    assert!(sees_version(&pr, v1).await && sees_version(&pr, v2).await);
    let approved_before: Option<Uuid> = sqlx::query_scalar(
        "SELECT (payload->>'approved_version_id')::uuid FROM compliance_events WHERE id = $1",
    )
    .bind(review2)
    .fetch_one(&pr)
    .await
    .unwrap();
    assert_eq!(approved_before, Some(v1));
    one_uuid(
        &pr,
        &format!("SELECT sg_review_decide('{review2}', true, 'Filter is fine')"),
    )
    .await;
    for p in [&p1, &p2] {
        assert_eq!(visible_version(p, template).await, Some(v2));
        assert!(sees_version(p, v2).await);
    }
    assert_eq!(
        psql(
            &db.name,
            &format!("SELECT approved_hash FROM template_shares WHERE id = '{template}'")
        ),
        pg_hash(&db, v2)
    );
    assert_eq!(count(&po, "template_shares").await, 0);

    // A promise in the title and too few trades: the checks fail, approval is refused, the
    // reviewer rejects with a reason and the educator is told why.
    let v3 = version_with_run(&pe, edu, 3, 20, 0.0).await;
    let bad = Uuid::now_v7();
    let review3 = one_uuid(
        &pe,
        &format!(
            "SELECT sg_publish_template('{bad}', '{v3}', 'Guaranteed 50% a month', '', \
             'organisation', NULL, NULL)"
        ),
    )
    .await;
    let failed: Vec<String> = sqlx::query_scalar(
        "SELECT payload->>'check' FROM compliance_events WHERE entity_id = $1 \
         AND event_type = 'automatic_check' AND NOT (payload->>'passed')::boolean \
         ORDER BY 1",
    )
    .bind(bad)
    .fetch_all(&pr)
    .await
    .unwrap();
    assert_eq!(
        failed,
        vec!["costs_on", "min_trades", "no_performance_promises"]
    );
    let e = try_exec(
        &pr,
        &format!("SELECT sg_review_decide('{review3}', true, 'ok')"),
    )
    .await
    .unwrap_err();
    assert!(e.contains("automatic check"), "{e}");
    one_uuid(
        &pr,
        &format!("SELECT sg_review_decide('{review3}', false, 'Promises returns; 20 trades')"),
    )
    .await;
    let decided = notifications(&pe, "compliance_decision").await;
    assert_eq!(decided.len(), 3, "every decision notifies the educator");
    assert_eq!(decided[2]["decision"], "rejected");
    assert_eq!(decided[2]["reason"], "Promises returns; 20 trades");
    assert_eq!(count(&po, "template_shares").await, 0);

    // Withdrawn: the audience stops seeing it.
    try_exec(&pe, &format!("SELECT sg_withdraw_template('{template}')"))
        .await
        .unwrap();
    assert_eq!(count(&p1, "template_shares").await, 0);
    assert!(!sees_version(&p1, v2).await);
    for p in [pe, pr, p1, p2, po] {
        p.close().await;
    }
}

#[tokio::test]
async fn fifty_concurrent_clones_count_exactly_fifty() {
    let db = TestDb::migrated().await;
    let (edu_role, edu) = db.provision(&["trader", "educator"]);
    let (rev_role, _) = db.provision(&["reviewer"]);
    let pe = db.role_pool(&edu_role).await;
    let pr = db.role_pool(&rev_role).await;
    let v = version_with_run(&pe, edu, 4, 120, 8.0).await;
    let template = Uuid::now_v7();
    let review = one_uuid(
        &pe,
        &format!(
            "SELECT sg_publish_template('{template}', '{v}', 'Breakout', 'A channel breakout.', \
             'public', NULL, NULL)"
        ),
    )
    .await;
    one_uuid(
        &pr,
        &format!("SELECT sg_review_decide('{review}', true, 'Fine')"),
    )
    .await;

    // Five students, ten clones each, all released at once.
    let mut pools = Vec::new();
    for _ in 0..5 {
        let (role, _) = db.provision(&["trader"]);
        pools.push(
            PgPoolOptions::new()
                .max_connections(10)
                .connect(&format!(
                    "postgres://{role}:pw-{role}@{HOST}:{}/{}",
                    port(),
                    db.name
                ))
                .await
                .unwrap(),
        );
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(50));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (pool, barrier) = (pools[i % 5].clone(), barrier.clone());
        tasks.spawn(async move {
            let mut conn = pool.acquire().await.unwrap();
            barrier.wait().await;
            sqlx::query(&format!(
                "SELECT sg_clone_template('{template}', '{}', '{}')",
                Uuid::now_v7(),
                Uuid::now_v7()
            ))
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
        });
    }
    let mut ok = 0;
    while let Some(r) = tasks.join_next().await {
        r.unwrap().unwrap();
        ok += 1;
    }
    assert_eq!(ok, 50);
    assert_eq!(
        psql(
            &db.name,
            &format!("SELECT clone_count FROM template_shares WHERE id = '{template}'")
        ),
        "50"
    );
    assert_eq!(count(&pe, "template_clones").await, 50);
    assert_eq!(notifications(&pe, "template_cloned").await.len(), 50);
    for p in pools {
        p.close().await;
    }
    pe.close().await;
    pr.close().await;
}

#[tokio::test]
async fn roles_are_granted_by_administrators_only_and_plans_limit_server_use() {
    let db = TestDb::migrated().await;
    let (admin_role, _) = db.provision(&["admin"]);
    let (edu_role, edu) = db.provision(&["trader", "educator"]);
    let (t_role, trader) = db.provision(&["trader"]);
    let pa = db.role_pool(&admin_role).await;
    let pe = db.role_pool(&edu_role).await;
    let pt = db.role_pool(&t_role).await;

    // Roles: only an administrator grants; unknown roles are refused; the old name is gone.
    for pool in [&pe, &pt] {
        let e = try_exec(
            pool,
            &format!("SELECT sg_grant_role('{trader}', 'reviewer', true)"),
        )
        .await
        .unwrap_err();
        assert!(e.contains("only an administrator"), "{e}");
    }
    let e = try_exec(
        &pa,
        &format!("SELECT sg_grant_role('{trader}', 'compliance', true)"),
    )
    .await
    .unwrap_err();
    assert!(e.contains("unknown role compliance"), "{e}");
    let roles: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT sg_grant_role('{trader}', 'reviewer', true)"
    ))
    .fetch_one(&pa)
    .await
    .unwrap();
    assert_eq!(roles, vec!["trader", "reviewer"]);
    // Now a reviewer, the trader sees the review queue; without the role, nothing.
    let v = version_with_run(&pe, edu, 5, 110, 4.0).await;
    one_uuid(
        &pe,
        &format!(
            "SELECT sg_publish_template('{}', '{v}', 'Mean reversion', '', 'public', NULL, NULL)",
            Uuid::now_v7()
        ),
    )
    .await;
    let queue = "SELECT count(*) FROM compliance_events WHERE event_type = 'template_review'";
    assert_eq!(
        sqlx::query_scalar::<_, i64>(queue)
            .fetch_one(&pt)
            .await
            .unwrap(),
        1
    );
    sqlx::query(&format!(
        "SELECT sg_grant_role('{trader}', 'reviewer', false)"
    ))
    .execute(&pa)
    .await
    .unwrap();
    assert_eq!(
        sqlx::query_scalar::<_, i64>(queue)
            .fetch_one(&pt)
            .await
            .unwrap(),
        0
    );
    let e = try_exec(&pt, "UPDATE users SET roles = ARRAY['trader', 'reviewer']")
        .await
        .unwrap_err();
    assert!(e.contains("only an administrator"), "{e}");
    let owner = db.owner_pool().await;
    let e = try_exec(
        &owner,
        &format!("UPDATE users SET roles = ARRAY['trader', 'wizard'] WHERE id = '{trader}'"),
    )
    .await
    .unwrap_err();
    assert!(e.contains("users_roles_known"), "{e}");
    owner.close().await;

    // A trader publishes nothing.
    let tv = version_with_run(&pt, trader, 6, 110, 4.0).await;
    let e = try_exec(
        &pt,
        &format!(
            "SELECT sg_publish_template('{}', '{tv}', 'Mine', '', 'public', NULL, NULL)",
            Uuid::now_v7()
        ),
    )
    .await
    .unwrap_err();
    assert!(e.contains("educator role"), "{e}");

    // The free plan: three templates (one used above), and the next is refused atomically.
    for i in 0..2 {
        let v = version_with_run(&pe, edu, 10 + i, 110, 4.0).await;
        one_uuid(
            &pe,
            &format!(
                "SELECT sg_publish_template('{}', '{v}', 'Lesson {i}', '', 'public', NULL, NULL)",
                Uuid::now_v7()
            ),
        )
        .await;
    }
    let v = version_with_run(&pe, edu, 20, 110, 4.0).await;
    let e = try_exec(
        &pe,
        &format!(
            "SELECT sg_publish_template('{}', '{v}', 'One too many', '', 'public', NULL, NULL)",
            Uuid::now_v7()
        ),
    )
    .await
    .unwrap_err();
    assert!(
        e.contains("quota exceeded for templates_published: limit 3"),
        "{e}"
    );
    assert_eq!(
        psql(
            &db.name,
            &format!("SELECT count(*) FROM template_shares WHERE educator_id = '{edu}'")
        ),
        "3"
    );

    // Cohort size comes from the plan: with a limit of 2, the third member is refused.
    psql(
        &db.name,
        &format!(
            "INSERT INTO subscription_plans (id, user_id, plan_code, quota, status) VALUES \
         ('{}', '{edu}', 'small', '{{\"templates_published\": 3, \"cohort_size\": 2}}', 'active')",
            Uuid::now_v7()
        ),
    );
    let cohort = Uuid::now_v7();
    one_uuid(&pe, &format!("SELECT sg_cohort_create('{cohort}', 'Tiny')")).await;
    let mut members = Vec::new();
    for _ in 0..3 {
        members.push(db.provision(&["trader"]).1);
    }
    for m in &members[..2] {
        one_uuid(&pe, &format!("SELECT sg_cohort_add('{cohort}', '{m}')")).await;
    }
    let e = try_exec(
        &pe,
        &format!("SELECT sg_cohort_add('{cohort}', '{}')", members[2]),
    )
    .await
    .unwrap_err();
    assert!(e.contains("quota exceeded for cohort_size: limit 2"), "{e}");
    // A cohort's size is a limit per cohort, never a running count.
    let e = try_exec(
        &pe,
        &format!(
            "SELECT * FROM sg_consume('{}', '{edu}', 'cohort_size', 1, now())",
            Uuid::now_v7()
        ),
    )
    .await
    .unwrap_err();
    assert!(e.contains("per-request"), "{e}");
    for p in [pa, pe, pt] {
        p.close().await;
    }
}

/// The reference run a template's audience, reviewers and educator read through
/// `sg_template_reference_run` (0009): the run the checks accept, with its curve decimated on
/// the server; nothing before approval for the cohort, nothing ever for an outsider.
#[tokio::test]
async fn the_reference_run_reaches_the_cohort_once_approved_and_nobody_else() {
    let db = TestDb::migrated().await;
    let (edu_role, edu) = db.provision(&["trader", "educator"]);
    let (rev_role, _rev) = db.provision(&["reviewer"]);
    let (s1_role, s1) = db.provision(&["trader"]);
    let (out_role, _out) = db.provision(&["trader"]);
    let pe = db.role_pool(&edu_role).await;
    let pr = db.role_pool(&rev_role).await;
    let p1 = db.role_pool(&s1_role).await;
    let po = db.role_pool(&out_role).await;
    let cohort = Uuid::now_v7();
    one_uuid(
        &pe,
        &format!("SELECT sg_cohort_create('{cohort}', 'Class')"),
    )
    .await;
    one_uuid(&pe, &format!("SELECT sg_cohort_add('{cohort}', '{s1}')")).await;

    // The version's accepted run (150 trades, costs on) with 1,000 equity points synced as run
    // details.
    let v1 = version_with_run(&pe, edu, 7, 150, 12.5).await;
    let (run, created): (Uuid, chrono::DateTime<chrono::Utc>) = sqlx::query_as(
        "SELECT id, created_at FROM backtest_runs_visible WHERE strategy_version_id = $1",
    )
    .bind(v1)
    .fetch_one(&pe)
    .await
    .unwrap();
    let mut blob = Vec::new();
    for i in 0..1000_i64 {
        blob.extend_from_slice(&(1_700_000_000_000 + i * 60_000).to_le_bytes());
        // Rises, falls 10 % from its peak at point 499, recovers.
        let v = if i < 500 {
            1000.0 + i as f64
        } else {
            1499.0 * 0.9 + (i - 500) as f64
        };
        blob.extend_from_slice(&f64::to_le_bytes(v));
    }
    sqlx::query(
        "INSERT INTO backtest_run_details (run_id, run_created_at, trades, equity, \
         equity_points_full) VALUES ($1, $2, '[]', $3, 1000)",
    )
    .bind(run)
    .bind(created)
    .bind(&blob)
    .execute(&pe)
    .await
    .unwrap();

    let template = Uuid::now_v7();
    let review = one_uuid(
        &pe,
        &format!(
            "SELECT sg_publish_template('{template}', '{v1}', 'Costs matter', '', 'cohort', \
             '{cohort}', NULL)"
        ),
    )
    .await;
    let read = |pool: PgPool, version: Option<Uuid>| async move {
        stratagraph_store::remote::template_reference_run(&pool, template, version)
            .await
            .unwrap()
    };
    // Under review: the reviewer and the educator read it, the student and the outsider not.
    let seen = read(pr.clone(), Some(v1))
        .await
        .expect("the reviewer reads the run");
    assert_eq!(seen["run_id"], json!(run.to_string()));
    assert!(read(pe.clone(), Some(v1)).await.is_some());
    for p in [&p1, &po] {
        assert!(read(p.clone(), Some(v1)).await.is_none());
        assert!(read(p.clone(), None).await.is_none());
    }

    one_uuid(
        &pr,
        &format!("SELECT sg_review_decide('{review}', true, 'Costs on')"),
    )
    .await;
    // A newer run without costs, synced later, is not one the checks would accept.
    sqlx::query(
        "INSERT INTO backtest_runs_visible (id, strategy_version_id, requested_by, parameters, \
         status, metrics, created_at) VALUES ($1, $2, $3, '{}', 'completed', \
         '{\"trades\": 150, \"commissions\": 0}', now() + interval '1 hour')",
    )
    .bind(Uuid::now_v7())
    .bind(v1)
    .bind(edu)
    .execute(&pe)
    .await
    .unwrap();
    // Approved: the cohort's student reads the run, its metrics and its decimated curve.
    let seen = read(p1.clone(), None)
        .await
        .expect("the student reads the run");
    assert_eq!(seen["run_id"], json!(run.to_string()));
    assert_eq!(seen["metrics"]["trades"], json!(150));
    assert_eq!(seen["equity_points_full"], json!(1000));
    let equity = seen["equity"].as_array().unwrap();
    assert!(
        equity.len() > 250 && equity.len() <= 301,
        "{}",
        equity.len()
    );
    assert_eq!(equity[0], json!([1_700_000_000_000_f64, 1000.0]));
    assert_eq!(
        equity.last().unwrap(),
        &json!([
            (1_700_000_000_000_i64 + 999 * 60_000) as f64,
            1499.0 * 0.9 + 499.0
        ])
    );
    let drawdown = seen["drawdown"].as_array().unwrap();
    assert_eq!(drawdown.len(), equity.len());
    let deepest = drawdown
        .iter()
        .filter_map(|p| p[1].as_f64())
        .fold(0.0_f64, f64::min);
    assert!((-10.5..=-9.0).contains(&deepest), "{deepest}");
    assert_eq!(read(p1.clone(), Some(v1)).await, Some(seen));
    // The outsider still nothing; nor the student for a version the template does not show.
    assert!(read(po.clone(), None).await.is_none());
    let other = version_with_run(&pe, edu, 8, 150, 3.0).await;
    assert!(read(p1.clone(), Some(other)).await.is_none());
}
