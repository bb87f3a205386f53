//! Bad remotes: wrong password, unreachable host, no schema, newer schema. Each a clear
//! message, nothing local changed.

use std::io::{Read, Write};

use stratagraph_store::remote::{MemorySecretStore, RemoteConfig, SyncOptions, Syncer, TlsMode};

use crate::common::{psql, random_suffix, Device, TestDb};

/// A fake server that asks for a password and refuses it as PostgreSQL does (28P01).
fn refusing_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut sock, _)) = listener.accept() {
            let mut len = [0u8; 4];
            let _ = sock.read_exact(&mut len);
            let mut rest = vec![0u8; (u32::from_be_bytes(len) as usize).saturating_sub(4)];
            let _ = sock.read_exact(&mut rest);
            let _ = sock.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3]); // cleartext password
            let mut tag = [0u8; 1];
            let _ = sock.read_exact(&mut tag);
            let _ = sock.read_exact(&mut len);
            let mut pw = vec![0u8; (u32::from_be_bytes(len) as usize).saturating_sub(4)];
            let _ = sock.read_exact(&mut pw);
            let mut body = Vec::new();
            for (k, v) in [
                (b'S', "FATAL"),
                (b'V', "FATAL"),
                (b'C', "28P01"),
                (b'M', "password authentication failed for user \"me\""),
            ] {
                body.push(k);
                body.extend_from_slice(v.as_bytes());
                body.push(0);
            }
            body.push(0);
            let mut msg = vec![b'E'];
            msg.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
            msg.extend_from_slice(&body);
            let _ = sock.write_all(&msg);
        }
    });
    port
}

async fn local_state(dev: &Device) -> (serde_json::Value, i64) {
    (
        dev.snapshot().await,
        dev.store.sync_status().await.unwrap().pending,
    )
}

#[tokio::test]
async fn bad_remotes_give_clear_messages_and_change_nothing_locally() {
    let dev = Device::new().await;
    let me = dev.store.ensure_profile().await.unwrap();
    dev.store.create_strategy(me.id, "Untouched").await.unwrap();
    let before = local_state(&dev).await;
    let secrets = MemorySecretStore::new();
    let connect = |cfg: RemoteConfig| {
        let store = dev.store.clone();
        let secrets = secrets.clone();
        async move { Syncer::connect(&store, &cfg, &secrets, SyncOptions::default()).await }
    };

    let mut cfg = RemoteConfig::new("127.0.0.1", refusing_server(), "db", "me");
    cfg.tls = TlsMode::Disable;
    let err = connect(cfg).await.unwrap_err();
    assert_eq!(err.code(), "auth", "{err:?}");
    assert!(
        err.to_string().contains("wrong user name or password"),
        "{err}"
    );

    let mut cfg = RemoteConfig::new("127.0.0.1", 1, "db", "me");
    cfg.tls = TlsMode::Disable;
    let err = connect(cfg).await.unwrap_err();
    assert_eq!(err.code(), "unreachable", "{err:?}");
    assert!(
        err.to_string()
            .contains("cannot reach the server at 127.0.0.1:1"),
        "{err}"
    );

    // A database without the schema, and a role that may not create it.
    let db = TestDb::empty();
    let role = format!("sg_u_{}", random_suffix());
    psql(&db.name, &format!("CREATE ROLE {role} LOGIN"));
    db.roles.lock().unwrap().push(role.clone());
    let mut cfg = RemoteConfig::new("127.0.0.1", crate::common::port(), &db.name, &role);
    cfg.tls = TlsMode::Disable;
    let err = connect(cfg).await.unwrap_err();
    assert_eq!(err.code(), "no_schema", "{err:?}");
    assert!(
        err.to_string().contains("stratagraph sync migrate"),
        "{err}"
    );

    // A server whose schema is newer than this build.
    let newer = TestDb::migrated().await;
    psql(
        &newer.name,
        "UPDATE sg_meta SET value = '99' WHERE key = 'schema_version'",
    );
    let err = connect(newer.config()).await.unwrap_err();
    assert_eq!(err.code(), "newer_schema", "{err:?}");
    assert!(err.to_string().contains("update Stratagraph"), "{err}");

    assert_eq!(local_state(&dev).await, before, "nothing local changed");
}
