//! Where the remote password or token lives: the OS keyring, behind a small trait so tests
//! can use an in-memory store whose entries are shared between handles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::error::{SyncError, SyncResult};

/// The keyring service name every Stratagraph secret is filed under.
pub const KEYRING_SERVICE: &str = "stratagraph-sync";

/// A place to keep secrets by key (the key names the server and role, never the secret).
pub trait SecretStore: Send + Sync {
    /// The secret stored under `key`, if any.
    ///
    /// # Errors
    ///
    /// `Keyring` when the store cannot be read.
    fn get(&self, key: &str) -> SyncResult<Option<String>>;
    /// Stores `secret` under `key`, replacing any previous one.
    ///
    /// # Errors
    ///
    /// `Keyring` when the store cannot be written.
    fn set(&self, key: &str, secret: &str) -> SyncResult<()>;
    /// Removes the secret under `key`; no error when there is none.
    ///
    /// # Errors
    ///
    /// `Keyring` when the store cannot be written.
    fn delete(&self, key: &str) -> SyncResult<()>;
}

/// The OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows)
/// through the `keyring` crate.
#[derive(Debug, Clone, Default)]
pub struct KeyringSecretStore;

fn keyring_err(err: keyring::Error) -> SyncError {
    SyncError::Keyring(err.to_string())
}

impl SecretStore for KeyringSecretStore {
    fn get(&self, key: &str) -> SyncResult<Option<String>> {
        let entry = keyring::Entry::new(KEYRING_SERVICE, key).map_err(keyring_err)?;
        match entry.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keyring_err(e)),
        }
    }

    fn set(&self, key: &str, secret: &str) -> SyncResult<()> {
        keyring::Entry::new(KEYRING_SERVICE, key)
            .and_then(|entry| entry.set_password(secret))
            .map_err(keyring_err)
    }

    fn delete(&self, key: &str) -> SyncResult<()> {
        let entry = keyring::Entry::new(KEYRING_SERVICE, key).map_err(keyring_err)?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_err(e)),
        }
    }
}

/// How long an OS keyring call may take before it counts as unavailable.
pub const KEYRING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs a keyring call on its own thread with a time limit (a missing Secret Service must
/// never hang the app or the CLI); the error is the keyring's reason in words.
fn keyring_call<T: Send + 'static>(
    call: impl FnOnce() -> SyncResult<T> + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(call());
    });
    match rx.recv_timeout(KEYRING_TIMEOUT) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(SyncError::Keyring(reason))) => Err(reason),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "it did not answer within {} s",
            KEYRING_TIMEOUT.as_secs()
        )),
    }
}

/// The OS keyring as the app and the CLI use it: every call has [`KEYRING_TIMEOUT`]; a read
/// that fails counts as "no saved password" (a trust-auth server needs none) and its reason
/// is remembered, so that a refused login can say why.
#[derive(Debug, Default)]
pub struct TimedKeyring {
    unavailable: Mutex<Option<String>>,
}

impl TimedKeyring {
    /// Why the last read failed, when it did.
    pub fn unavailable(&self) -> Option<String> {
        self.unavailable
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn remember(&self, reason: Option<String>) {
        *self
            .unavailable
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = reason;
    }
}

impl SecretStore for TimedKeyring {
    fn get(&self, key: &str) -> SyncResult<Option<String>> {
        let key = key.to_owned();
        match keyring_call(move || KeyringSecretStore.get(&key)) {
            Ok(secret) => {
                self.remember(None);
                Ok(secret)
            }
            Err(reason) => {
                self.remember(Some(reason));
                Ok(None)
            }
        }
    }

    fn set(&self, key: &str, secret: &str) -> SyncResult<()> {
        let (key, secret) = (key.to_owned(), secret.to_owned());
        keyring_call(move || KeyringSecretStore.set(&key, &secret)).map_err(SyncError::Keyring)
    }

    fn delete(&self, key: &str) -> SyncResult<()> {
        let key = key.to_owned();
        keyring_call(move || KeyringSecretStore.delete(&key)).map_err(SyncError::Keyring)
    }
}

/// Secrets in memory, shared by every clone; for tests and for a session that must not
/// touch the OS keyring.
#[derive(Debug, Clone, Default)]
pub struct MemorySecretStore {
    entries: Arc<Mutex<HashMap<String, String>>>,
}

impl MemorySecretStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SecretStore for MemorySecretStore {
    fn get(&self, key: &str) -> SyncResult<Option<String>> {
        Ok(self.map().get(key).cloned())
    }

    fn set(&self, key: &str, secret: &str) -> SyncResult<()> {
        self.map().insert(key.to_owned(), secret.to_owned());
        Ok(())
    }

    fn delete(&self, key: &str) -> SyncResult<()> {
        self.map().remove(key);
        Ok(())
    }
}
