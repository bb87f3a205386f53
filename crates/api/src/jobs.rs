//! The registry of running jobs: one cancel flag per job id, removed when the job ends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Cancel flags of the jobs in flight. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct JobRegistry {
    flags: Arc<Mutex<HashMap<String, Arc<AtomicBool>>>>,
}

/// A registered job; dropping it removes the job from the registry.
#[derive(Debug)]
pub struct JobGuard {
    id: String,
    flag: Arc<AtomicBool>,
    registry: JobRegistry,
}

impl JobGuard {
    /// The job id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The cancel flag the job's worker polls.
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.flag)
    }

    /// True once cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        if let Ok(mut map) = self.registry.flags.lock() {
            map.remove(&self.id);
        }
    }
}

impl JobRegistry {
    /// Registers a job under `id`.
    pub fn start(&self, id: impl Into<String>) -> JobGuard {
        let id = id.into();
        let flag = Arc::new(AtomicBool::new(false));
        if let Ok(mut map) = self.flags.lock() {
            map.insert(id.clone(), Arc::clone(&flag));
        }
        JobGuard {
            id,
            flag,
            registry: self.clone(),
        }
    }

    /// Asks the job `id` to stop. Returns false when no such job is running (it may have
    /// just finished).
    pub fn cancel(&self, id: &str) -> bool {
        let Ok(map) = self.flags.lock() else {
            return false;
        };
        match map.get(id) {
            Some(flag) => {
                flag.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Ids of the jobs in flight.
    pub fn running(&self) -> Vec<String> {
        self.flags
            .lock()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_sets_the_flag_and_drop_unregisters() {
        let jobs = JobRegistry::default();
        let guard = jobs.start("a");
        assert!(!guard.is_cancelled());
        assert!(jobs.cancel("a"));
        assert!(guard.is_cancelled());
        drop(guard);
        assert!(!jobs.cancel("a"));
        assert!(jobs.running().is_empty());
    }
}
