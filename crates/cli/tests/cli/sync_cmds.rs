//! `stratagraph sync ...` against a real PostgreSQL (127.0.0.1:5432, or the port in
//! `STRATAGRAPH_TEST_PG_PORT`, e.g. TimescaleDB; trust auth). Each
//! test creates and drops its own database `sg_test_<unix time>_<random>`, as the store's
//! remote tests do.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::{run, sma_graph, Output};

const HOST: &str = "127.0.0.1";

/// The server under test (see the module docs).
fn port() -> u16 {
    std::env::var("STRATAGRAPH_TEST_PG_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5432)
}

fn psql(db: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            "-h",
            HOST,
            "-p",
            &port().to_string(),
            "-U",
            "postgres",
            "-d",
            db,
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

fn suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_owned()
}

/// A database (and roles) dropped when the guard goes, even on failure.
struct TestDb {
    name: String,
    roles: Vec<String>,
}

impl TestDb {
    fn new() -> Self {
        let name = format!("sg_test_{}_{}", chrono::Utc::now().timestamp(), suffix());
        psql("test", &format!("CREATE DATABASE {name}"));
        Self {
            name,
            roles: Vec::new(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let drop = |sql: String| {
            let _ = Command::new("psql")
                .args([
                    "-h",
                    HOST,
                    "-p",
                    &port().to_string(),
                    "-U",
                    "postgres",
                    "-d",
                    "test",
                    "-qc",
                    &sql,
                ])
                .output();
        };
        drop(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
        for role in &self.roles {
            drop(format!("DROP ROLE IF EXISTS {role}"));
        }
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind((HOST, 0)).unwrap();
    l.local_addr().unwrap().port()
}

/// One device: a local database file in a temporary directory.
struct Device {
    dir: tempfile::TempDir,
}

impl Device {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("stratagraph.db")
    }

    fn run(&self, args: &[&str]) -> Output {
        let db = self.db();
        let mut all = vec!["--db", db.to_str().unwrap()];
        all.extend_from_slice(args);
        run(&all)
    }

    fn configure(&self, db: &str, port: u16, extra: &[&str]) -> Output {
        let port = port.to_string();
        let mut args = vec![
            "sync",
            "configure",
            "--host",
            HOST,
            "--port",
            &port,
            "--database",
            db,
            "--user",
            "postgres",
            "--tls",
            "disable",
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn status(&self) -> Value {
        self.run(&["sync", "status", "--json"]).json()
    }
}

#[test]
fn configure_migrate_push_status_then_another_device_pulls() {
    let db = TestDb::new();
    let a = Device::new();
    a.run(&["strategy", "create", "--title", "Synced trend"])
        .ok();
    a.run(&["strategy", "save", "synced-trend", &sma_graph()])
        .ok();

    let out = a.configure(&db.name, port(), &[]);
    assert!(out.ok().contains("no Stratagraph schema yet"), "{out:#?}");
    assert!(out.stderr.is_empty(), "{out:#?}");
    let out = a.run(&["sync", "migrate"]);
    assert!(out.ok().contains("version 9"), "{out:#?}");
    assert!(a
        .run(&["sync", "migrate"])
        .ok()
        .contains("already at version 9"));

    let pushed = a.run(&["sync", "push", "--json"]).json();
    assert!(pushed["pushed"].as_u64().unwrap() >= 4, "{pushed}");
    assert_eq!(pushed["renumbered"], serde_json::json!([]));
    let text = a.run(&["sync", "push"]);
    assert!(text.ok().starts_with("pushed 0 rows"), "{text:#?}");
    assert!(
        text.stderr.is_empty(),
        "no progress bar when piped: {text:#?}"
    );

    let st = a.status();
    assert_eq!(st["configured"], true);
    assert_eq!(st["pending"], 0, "{st}");
    assert_eq!(st["unread_conflicts"], 0);
    assert!(st["last_push_at"].is_string(), "{st}");
    assert_eq!(st["remote"]["database"], db.name.as_str());
    assert_eq!(st["remote"]["user"], "postgres");
    let text = a.run(&["sync", "status"]);
    assert!(
        text.ok().contains("pending:     0 local changes"),
        "{text:#?}"
    );
    let me = st["profile_id"].as_str().unwrap().to_owned();

    // Another device of the same user.
    let b = Device::new();
    b.configure(&db.name, port(), &["--account", &me]).ok();
    let pulled = b.run(&["sync", "pull", "--json"]).json();
    assert!(pulled["pulled"].as_u64().unwrap() >= 4, "{pulled}");
    let list = b.run(&["strategy", "list", "--json"]).json();
    let titles: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Synced trend"]);
    let graph = b.run(&["strategy", "show", "synced-trend"]).json();
    assert!(graph["nodes"].is_array(), "{graph}");
    let both = b.run(&["sync", "run"]);
    assert!(both.ok().contains("pushed") && both.stdout.contains("pulled"));
    assert_eq!(b.status()["pending"], 0);
}

#[test]
fn unreachable_server_is_saved_with_a_warning_then_push_fails_in_one_line() {
    let db = TestDb::new();
    let dev = Device::new();
    dev.run(&["strategy", "create", "--title", "Offline"]).ok();
    let port = closed_port();
    let out = dev.configure(&db.name, port, &[]);
    assert!(
        out.ok().starts_with("saved postgres@127.0.0.1:"),
        "{out:#?}"
    );
    let warn: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(warn.len(), 1, "{out:#?}");
    assert!(warn[0].starts_with("warning: saved, but the connection check failed: cannot reach the server at 127.0.0.1:"), "{out:#?}");
    let before = dev.status();
    assert_eq!(before["configured"], true);

    let started = std::time::Instant::now();
    let err = dev.run(&["sync", "push"]);
    let line = err.one_line_error();
    assert!(
        line.contains(&format!("cannot reach the server at 127.0.0.1:{port}")),
        "{line}"
    );
    assert!(
        started.elapsed().as_secs() < 8,
        "fails fast on a refused connection"
    );
    let err = dev.run(&["sync", "pull", "--json"]);
    assert!(err.one_line_error().contains("cannot reach"));
    let after = dev.status();
    assert_eq!(after["pending"], before["pending"], "nothing local changed");
    assert!(after["pending"].as_i64().unwrap() > 0);
    assert_eq!(after["last_push_at"], Value::Null);
}

#[test]
fn push_without_configuration_tells_to_configure() {
    let dev = Device::new();
    for cmd in ["push", "pull", "run", "migrate"] {
        let err = dev.run(&["sync", cmd]);
        let line = err.one_line_error();
        assert!(
            line.contains("run `stratagraph sync configure`"),
            "{cmd}: {line}"
        );
    }
    let st = dev.status();
    assert_eq!(st["configured"], false);
    assert!(dev
        .run(&["sync", "status"])
        .ok()
        .contains("none configured"));
}

#[test]
fn bad_configuration_is_refused_in_one_line() {
    let dev = Device::new();
    let err = dev.configure("", 5432, &[]);
    assert!(err.one_line_error().contains("database"), "{err:#?}");
    let err = dev.configure("x", 5432, &["--tls", "sometimes"]);
    assert!(err.one_line_error().contains("tls"), "{err:#?}");
    assert_eq!(dev.status()["configured"], false);
}

/// Runs the binary with `stdin` and extra environment.
fn run_with(db: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stratagraph"));
    cmd.arg("--db")
        .arg(db)
        .args(args)
        .env_remove("STRATAGRAPH_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn password_stdin_without_a_keyring_fails_and_saves_nothing() {
    let db = TestDb::new();
    let dev = Device::new();
    dev.configure(&db.name, port(), &[]).ok();
    let before = dev.status();
    let started = std::time::Instant::now();
    let out = run_with(
        &dev.db(),
        &[
            "sync",
            "configure",
            "--host",
            HOST,
            "--database",
            "elsewhere",
            "--user",
            "bob",
            "--password-stdin",
        ],
        "hunter2-secret\n",
        // No Secret Service reachable.
        &[
            ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus"),
            ("DISPLAY", ""),
        ],
    );
    let line = out.one_line_error();
    assert!(line.contains("the OS keyring is unavailable"), "{line}");
    assert!(!line.contains("hunter2"), "{line}");
    assert!(started.elapsed().as_secs() < 15, "does not hang");
    assert_eq!(dev.status()["remote"], before["remote"], "nothing changed");

    let empty = run_with(
        &dev.db(),
        &[
            "sync",
            "configure",
            "--host",
            HOST,
            "--database",
            "d",
            "--user",
            "u",
            "--password-stdin",
        ],
        "",
        &[],
    );
    assert!(empty.one_line_error().contains("no password on stdin"));
}

fn grep_dir(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            hits.extend(grep_dir(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                hits.push(path);
            }
        }
    }
    hits
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A user role with a password (over TCP; this server's pg_hba may trust 127.0.0.1, then the
/// password is accepted unchecked): configure with the password in the real keyring when a
/// Secret Service can be started here (dbus-run-session + gnome-keyring), else given by
/// PGPASSWORD; sync; fail on purpose. Neither the output nor the data directory holds it.
#[test]
fn no_password_in_cli_output_or_data_dir_after_a_sync() {
    let mut db = TestDb::new();
    let owner = Device::new();
    owner.configure(&db.name, port(), &[]).ok();
    owner.run(&["sync", "migrate"]).ok();
    let role = format!("sg_u_{}", suffix());
    let password = format!("pw-{}-{}", suffix(), suffix());
    db.roles.push(role.clone());
    // The administrator provisions the user; only a SCRAM verifier reaches the server.
    let email = format!("{role}@example.com");
    let out = run_with(
        &owner.db(),
        &[
            "sync",
            "provision",
            "--role",
            &role,
            "--email",
            &email,
            "--name",
            "Pat",
            "--roles",
            "trader,educator",
            "--password-stdin",
            "--json",
        ],
        &format!("{password}\n"),
        &[],
    );
    let provisioned = out.json();
    let user = provisioned["user_id"].as_str().unwrap().to_owned();
    let stored = psql(
        "test",
        &format!("SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'"),
    );
    assert!(stored.starts_with("SCRAM-SHA-256$4096:"), "{stored}");
    assert!(!stored.contains(&password));
    assert_eq!(
        psql(
            &db.name,
            &format!(
                "SELECT u.roles::text FROM users u JOIN sg_role_users r ON r.user_id = u.id \
                 WHERE r.role_name = '{role}' AND u.id = '{user}'"
            )
        ),
        "{trader,educator}"
    );
    // Where the server makes this role log in with SCRAM (scripts/ensure-timescaledb.sh sets
    // that up for members of sg_scram_required), the device's sync below proves that the
    // verifier matches the password.
    let scram = psql(
        "test",
        "SELECT count(*) FROM pg_roles WHERE rolname = 'sg_scram_required'",
    ) == "1";
    if scram {
        psql("test", &format!("GRANT sg_scram_required TO {role}"));
    } else {
        println!("this server lets every role in from 127.0.0.1: the login is not checked");
    }
    // A second user with the same e-mail: one line, and no role is left behind.
    let other = format!("sg_u_{}", suffix());
    db.roles.push(other.clone());
    let err = run_with(
        &owner.db(),
        &[
            "sync",
            "provision",
            "--role",
            &other,
            "--email",
            &email,
            "--name",
            "Dup",
            "--password-stdin",
        ],
        "another-secret\n",
        &[],
    );
    let line = err.one_line_error().to_string();
    assert!(
        line.contains(&email) && line.contains("another user"),
        "{line}"
    );
    assert_eq!(
        psql(
            "test",
            &format!("SELECT count(*) FROM pg_roles WHERE rolname = '{other}'")
        ),
        "0"
    );

    let dev = Device::new();
    let bin = env!("CARGO_BIN_EXE_stratagraph");
    let dbfile = dev.db();
    let closed = closed_port().to_string();
    let keyring = have("dbus-run-session") && have("gnome-keyring-daemon");
    let script = format!(
        r#"set -u
B="$SG_BIN"; D="$SG_DB"
{unlock}
"$B" --db "$D" strategy create --title "Secret-free"
"$B" --db "$D" strategy save secret-free "$SG_GRAPH"
{configure} "$B" --db "$D" sync configure --host 127.0.0.1 --port "$SG_SERVER_PORT" --database "$SG_NAME" --user "$SG_ROLE" --tls disable {flag}
echo "configure rc=$?"
"$B" --db "$D" sync run
echo "run rc=$?"
"$B" --db "$D" sync configure --host 127.0.0.1 --port "$SG_SERVER_PORT" --database "$SG_NAME" --user "$SG_ROLE" --tls disable
echo "reconfigure rc=$?"
"$B" --db "$D" sync status
"$B" --db "$D" sync status --json
{configure} "$B" --db "$D" sync configure --host 127.0.0.1 --port "$SG_PORT" --database "$SG_NAME" --user "$SG_ROLE" --tls disable {flag}
"$B" --db "$D" sync push
echo "push rc=$?"
"$B" --db "$D" sync status
"#,
        unlock = if keyring {
            "printf 'keyring-login' | gnome-keyring-daemon --unlock --components=secrets >/dev/null"
        } else {
            ""
        },
        configure = if keyring {
            r#"printf '%s\n' "$SG_PW" |"#
        } else {
            ""
        },
        flag = if keyring { "--password-stdin" } else { "" },
    );
    let xdg = tempfile::tempdir().unwrap();
    let mut cmd = if keyring {
        let mut c = Command::new("dbus-run-session");
        c.args(["--", "sh", "-c", &script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", &script]).env("PGPASSWORD", &password);
        c
    };
    let out = cmd
        .env("SG_BIN", bin)
        .env("SG_DB", &dbfile)
        .env("SG_GRAPH", sma_graph())
        .env("SG_NAME", &db.name)
        .env("SG_ROLE", &role)
        .env("SG_PORT", &closed)
        .env("SG_SERVER_PORT", port().to_string())
        .env("SG_PW", &password)
        .env("XDG_DATA_HOME", xdg.path())
        .env_remove("STRATAGRAPH_DB")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("configure rc=0"), "{stdout}\n{stderr}");
    assert!(stdout.contains("run rc=0"), "{stdout}\n{stderr}");
    // Configuring again without a new password checks with the saved one.
    assert!(stdout.contains("reconfigure rc=0"), "{stdout}\n{stderr}");
    assert!(!stderr.contains("wrong user name or password"), "{stderr}");
    assert!(stdout.contains("push rc=1"), "{stdout}\n{stderr}");
    assert!(stderr.contains("cannot reach the server"), "{stderr}");
    if keyring {
        assert!(
            stdout.contains("password in the OS keyring"),
            "{stdout}\n{stderr}"
        );
    }
    assert!(
        stdout.contains(&role),
        "the output names the role: {stdout}"
    );
    assert!(!stdout.contains(&password), "password on stdout: {stdout}");
    assert!(!stderr.contains(&password), "password on stderr: {stderr}");
    // The device synced as the role's user: its strategy is on the server under that user.
    assert_eq!(
        psql(
            &db.name,
            &format!("SELECT count(*) FROM strategies WHERE owner_id = '{user}'")
        ),
        "1"
    );
    assert_eq!(grep_dir(dev.dir.path(), &password), Vec::<PathBuf>::new());
}

/// A user `sg_u_<random>` with `roles` on the test server; returns (role, user id, e-mail).
fn provision(db: &mut TestDb, roles: &str) -> (String, String, String) {
    let role = format!("sg_u_{}", suffix());
    let id = uuid::Uuid::now_v7().to_string();
    let email = format!("{role}@example.com");
    psql(
        &db.name,
        &format!(
            "SELECT sg_provision_user('{role}', 'pw-{role}', '{id}', '{email}', '{role}', \
             ARRAY[{roles}]::text[])"
        ),
    );
    db.roles.push(role.clone());
    (role, id, email)
}

/// A device logged in as `role` (trust authentication: no password), synced once.
fn device_as(db: &TestDb, role: &str) -> Device {
    let dev = Device::new();
    let port = port().to_string();
    dev.run(&[
        "sync",
        "configure",
        "--host",
        HOST,
        "--port",
        &port,
        "--database",
        &db.name,
        "--user",
        role,
        "--tls",
        "disable",
    ])
    .ok();
    dev.run(&["sync", "run"]).ok();
    dev
}

#[test]
fn educator_publishes_reviewer_approves_student_clones_outsider_sees_nothing() {
    let mut db = TestDb::new();
    let owner = Device::new();
    owner.configure(&db.name, port(), &[]).ok();
    owner.run(&["sync", "migrate"]).ok();
    let (edu_role, _, edu_email) = provision(&mut db, "'trader'");
    let (rev_role, _, _) = provision(&mut db, "'reviewer'");
    let (s1_role, s1, s1_email) = provision(&mut db, "'trader'");
    let (s2_role, s2, _) = provision(&mut db, "'trader'");
    let (out_role, _, _) = provision(&mut db, "'trader'");
    let edu = device_as(&db, &edu_role);
    let rev = device_as(&db, &rev_role);
    let st1 = device_as(&db, &s1_role);
    let st2 = device_as(&db, &s2_role);
    let outsider = device_as(&db, &out_role);

    // Only an administrator (here the schema owner) grants the educator role.
    let e = st1.run(&["admin", "grant", &edu_email, "educator"]);
    assert!(
        e.one_line_error().contains("only an administrator"),
        "{e:#?}"
    );
    assert!(owner
        .run(&["admin", "grant", &edu_email, "educator"])
        .ok()
        .contains("roles now: trader, educator"));

    // The educator's lesson, backtested with costs (183 trades), and a cohort.
    edu.run(&["strategy", "create", "--title", "Lesson"]).ok();
    edu.run(&["strategy", "save", "lesson", &sma_graph()]).ok();
    edu.run(&[
        "backtest",
        &sma_graph(),
        "--data",
        &super::sample_csv(),
        "--param",
        "fast=3",
        "--param",
        "slow=8",
        "--commission",
        "0.001",
        "--save",
        "lesson",
    ])
    .ok();
    edu.run(&["cohort", "create", "Class A"]).ok();
    let added = edu
        .run(&["cohort", "add", "Class A", &s1_email, &s2])
        .ok()
        .to_owned();
    assert!(added.contains(&s1) && added.contains(&s2), "{added}");
    let e = outsider.run(&["cohort", "create", "Mine"]);
    assert!(e.one_line_error().contains("educator role"), "{e:#?}");

    let published = edu
        .run(&[
            "template",
            "publish",
            "lesson",
            "--title",
            "SMA crossover",
            "--description",
            "Two moving averages.",
            "--audience",
            "cohort",
            "--cohort",
            "Class A",
            "--json",
        ])
        .json();
    let checks = published["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 5);
    assert!(checks.iter().all(|c| c["passed"] == true), "{checks:#?}");
    let template = published["template_id"].as_str().unwrap().to_owned();
    let review = published["review_id"].as_str().unwrap().to_owned();

    // Before approval the students see nothing; the reviewer's queue holds it.
    assert_eq!(
        st1.run(&["template", "list", "--json"]).json(),
        serde_json::json!([])
    );
    let queue = rev.run(&["review", "queue", "--json"]).json();
    assert_eq!(queue[0]["id"], review.as_str());
    let e = st1.run(&["review", "queue"]);
    assert!(e.one_line_error().contains("reviewer role"), "{e:#?}");
    assert!(rev
        .run(&[
            "review",
            "approve",
            &review,
            "--reason",
            "Costs on, 183 trades"
        ])
        .ok()
        .contains("approved"));

    // The students see it and one clones it into their library; the outsider sees nothing.
    for st in [&st1, &st2] {
        let list = st.run(&["template", "list", "--json"]).json();
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["id"], template.as_str());
    }
    let cloned = st1.run(&["template", "clone", &template, "--json"]).json();
    let strategy = cloned["strategy_id"].as_str().unwrap();
    let mine = st1.run(&["strategy", "list", "--json"]).json();
    assert!(
        mine.as_array().unwrap().iter().any(|s| s["id"] == strategy),
        "the clone is in the student's library: {mine:#?}"
    );
    assert_eq!(
        outsider.run(&["template", "list", "--json"]).json(),
        serde_json::json!([])
    );
    let e = outsider.run(&["template", "clone", &template]);
    assert!(e.one_line_error().contains("no template"), "{e:#?}");

    // The educator sees the clone count and who cloned.
    let shown = edu.run(&["template", "show", &template, "--json"]).json();
    assert_eq!(shown["template"]["clone_count"], 1);
    assert_eq!(shown["cloned_by"], serde_json::json!([s1]));
    assert_eq!(shown["reviews"][0]["status"], "approved");

    // Withdrawn: the students' list is empty again.
    edu.run(&["template", "withdraw", &template]).ok();
    assert_eq!(
        st2.run(&["template", "list", "--json"]).json(),
        serde_json::json!([])
    );
}

#[test]
fn publishing_without_a_server_says_it_needs_one_and_does_nothing() {
    let dev = Device::new();
    dev.run(&["strategy", "create", "--title", "Offline"]).ok();
    let e = dev.run(&[
        "template",
        "publish",
        "offline",
        "--title",
        "Offline lesson",
        "--audience",
        "public",
    ]);
    assert!(
        e.one_line_error()
            .contains("publishing needs the shared server"),
        "{e:#?}"
    );
    let e = dev.run(&[
        "template",
        "publish",
        "offline",
        "--title",
        "x",
        "--audience",
        "friends",
    ]);
    assert!(e.one_line_error().contains("unknown audience"), "{e:#?}");
}

/// A sweep's shards write their rows to the server under the user's own login (the URL in a
/// file of mode 600); a retried shard adds nothing; the server holds every row once.
#[test]
fn sweep_shards_write_their_rows_to_the_server_once() {
    use std::os::unix::fs::PermissionsExt;
    let mut db = TestDb::new();
    let owner = Device::new();
    owner.configure(&db.name, port(), &[]).ok();
    owner.run(&["sync", "migrate"]).ok();
    let (role, user, _) = provision(&mut db, "'trader'");
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("server-url");
    std::fs::write(
        &creds,
        format!(
            "# the shared server\npostgres://{role}:pw-{role}@{HOST}:{}/{}\n",
            port(),
            db.name
        ),
    )
    .unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    let c = creds.display().to_string();
    let sweep = uuid::Uuid::now_v7().to_string();
    let data = super::sample_csv();
    let shard = |k: usize| {
        let spec = format!("{k}/3");
        run(&[
            "sweep",
            &sma_graph(),
            "--data",
            &data,
            "--grid",
            "fast=4:30:2",
            "--grid",
            "slow=20:80:10",
            "--shard",
            &spec,
            "--to-server",
            &sweep,
            "--server-credentials",
            &c,
        ])
    };
    let mut rows = 0;
    for k in 0..3 {
        let out = shard(k);
        out.ok();
        assert!(out.stderr.contains("new"), "{out:#?}");
        rows += serde_json::from_str::<Value>(&out.stdout).unwrap()["results"]
            .as_array()
            .unwrap()
            .len();
    }
    assert_eq!(rows, 14 * 7);
    let again = shard(1);
    assert!(again.stderr.contains("(0 new"), "{again:#?}");
    assert_eq!(
        psql(
            &db.name,
            &format!(
                "SELECT count(*) || ' ' || (SELECT count(*) FROM cluster_sweep_shards \
                 WHERE finished_at IS NOT NULL) FROM cluster_sweep_rows r JOIN cluster_sweeps s \
                 ON s.id = r.sweep_id WHERE s.owner_id = '{user}'"
            )
        ),
        "98 3"
    );
    // Nothing of the credentials reached the output.
    let pw = format!("pw-{role}");
    assert!(!again.stdout.contains(&pw) && !again.stderr.contains(&pw));
}
