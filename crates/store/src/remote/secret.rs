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
