//! Credentials: saved address in the store, password only in the keyring; no password in
//! the data directory after a sync.

use stratagraph_store::remote::{
    KeyringSecretStore, MemorySecretStore, RemoteConfig, SecretStore, SyncOptions, Syncer, TlsMode,
};

use crate::common::{Device, TestDb};

#[tokio::test]
async fn config_is_saved_without_secret_and_no_password_reaches_the_data_dir() {
    let db = TestDb::migrated().await;
    let (role, _) = db.provision(&["trader"]);
    let password = format!("pw-{role}");
    let dev = Device::new().await;
    let mut cfg = RemoteConfig::new("127.0.0.1", crate::common::port(), &db.name, &role);
    cfg.tls = TlsMode::Disable;
    dev.store.save_remote_config(&cfg).await.unwrap();
    let secrets = MemorySecretStore::new();
    secrets.set(&cfg.secret_key(), &password).unwrap();
    let loaded = dev.store.remote_config().await.unwrap().unwrap();
    assert_eq!(loaded, cfg);
    let syncer = Syncer::connect(
        &dev.store,
        &loaded,
        &secrets.clone(),
        SyncOptions::default(),
    )
    .await
    .unwrap();
    syncer.sync(None).await.unwrap();
    dev.store.close().await;
    for entry in std::fs::read_dir(dev.dir.path()).unwrap() {
        let bytes = match std::fs::read(entry.unwrap().path()) {
            Ok(bytes) => bytes,
            // SQLite may still be removing its -wal/-shm files after close: a file that is
            // gone holds nothing.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("cannot read the data directory: {e}"),
        };
        assert!(
            !bytes
                .windows(password.len())
                .any(|w| w == password.as_bytes()),
            "password found in the data directory"
        );
    }
}

/// The real Secret Service (gnome-keyring), when this session has one.
#[test]
fn real_secret_service_round_trip_or_skip() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        println!(
            "skipped: no D-Bus session (run under `dbus-run-session` with an unlocked \
             gnome-keyring to test the real Secret Service)"
        );
        return;
    }
    let store = KeyringSecretStore;
    let key = format!("test-{}", uuid::Uuid::new_v4());
    match store.set(&key, "s3cret") {
        Ok(()) => {}
        Err(e) => {
            println!("skipped: the Secret Service is not usable here: {e}");
            return;
        }
    }
    assert_eq!(store.get(&key).unwrap().as_deref(), Some("s3cret"));
    store.delete(&key).unwrap();
    assert_eq!(store.get(&key).unwrap(), None);
}
