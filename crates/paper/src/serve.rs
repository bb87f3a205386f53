//! Drives every running paper run of a database until cancelled: the app's background task
//! and `stratagraph paper serve`. Each run gets its own task while this process holds its
//! lease; a run held by another live process is left alone (and named once).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stratagraph_store::{PaperRunStatus, Store};
use tokio::sync::watch;
use uuid::Uuid;

use crate::driver::RunDriver;
use crate::error::PaperError;
use crate::spec::DriverConfig;

/// What [`serve`] reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ServeEvent {
    /// This process now drives the run.
    Driving(Uuid),
    /// Another process drives the run (the message names it).
    Busy(Uuid, String),
    /// Bars were processed.
    Processed {
        /// The run.
        run: Uuid,
        /// Bars committed.
        bars: usize,
        /// Fills among them.
        fills: usize,
    },
    /// The run left `running` (paused, stopped, error): no longer driven.
    Ended(Uuid, PaperRunStatus),
    /// Driving the run failed (the lease was lost, the database failed).
    Failed(Uuid, String),
}

type Sink = Arc<dyn Fn(ServeEvent) + Send + Sync>;

async fn drive(
    store: Store,
    cfg: DriverConfig,
    id: Uuid,
    mut stop: watch::Receiver<bool>,
    sink: Sink,
) {
    let mut driver = match RunDriver::open(&store, id, &cfg).await {
        Ok(d) => d,
        Err(PaperError::Conflict(msg)) => {
            sink(ServeEvent::Busy(id, msg));
            return;
        }
        Err(e) => {
            sink(ServeEvent::Failed(id, e.to_string()));
            return;
        }
    };
    sink(ServeEvent::Driving(id));
    loop {
        if *stop.borrow() {
            break;
        }
        match driver.step().await {
            Ok(r) => {
                if r.processed > 0 {
                    sink(ServeEvent::Processed {
                        run: id,
                        bars: r.processed,
                        fills: r.fills,
                    });
                }
                if let Some(status) = r.ended {
                    sink(ServeEvent::Ended(id, status));
                    break;
                }
                if !r.wait.is_zero() {
                    tokio::select! {
                        () = tokio::time::sleep(r.wait) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
            Err(e) => {
                sink(ServeEvent::Failed(id, e.to_string()));
                // The lease is probably gone; do not hold on to it either way.
                let _ = driver.release().await;
                return;
            }
        }
    }
    if let Err(e) = driver.release().await {
        sink(ServeEvent::Failed(id, e.to_string()));
    }
}

/// Drives every running run until `stop` turns true, looking for newly running runs every
/// `scan` period. Returns after every run's lease is released.
pub async fn serve(
    store: Store,
    cfg: DriverConfig,
    mut stop: watch::Receiver<bool>,
    scan: Duration,
    on_event: impl Fn(ServeEvent) + Send + Sync + 'static,
) {
    let sink: Sink = Arc::new(on_event);
    let busy: Arc<Mutex<HashMap<Uuid, String>>> = Arc::new(Mutex::new(HashMap::new()));
    let mut tasks: HashMap<Uuid, tokio::task::JoinHandle<()>> = HashMap::new();
    loop {
        if *stop.borrow() {
            break;
        }
        tasks.retain(|_, t| !t.is_finished());
        match store.paper_run_ids_to_drive().await {
            Ok(ids) => {
                let running: HashSet<Uuid> = ids.iter().copied().collect();
                if let Ok(mut b) = busy.lock() {
                    b.retain(|id, _| running.contains(id));
                }
                for id in ids {
                    if tasks.contains_key(&id) {
                        continue;
                    }
                    let busy_for_task = Arc::clone(&busy);
                    let outer = Arc::clone(&sink);
                    // A run held by another process is named once, not at every scan.
                    let task_sink: Sink = Arc::new(move |ev: ServeEvent| {
                        if let ServeEvent::Busy(id, msg) = &ev {
                            let mut seen = match busy_for_task.lock() {
                                Ok(g) => g,
                                Err(p) => p.into_inner(),
                            };
                            // Once per holder: the message's expiry time changes at every renewal.
                            let holder = msg.split(" until ").next().unwrap_or(msg);
                            if seen
                                .get(id)
                                .is_some_and(|m| m.split(" until ").next() == Some(holder))
                            {
                                return;
                            }
                            seen.insert(*id, msg.clone());
                        }
                        outer(ev);
                    });
                    let handle = tokio::spawn(drive(
                        store.clone(),
                        cfg.clone(),
                        id,
                        stop.clone(),
                        task_sink,
                    ));
                    tasks.insert(id, handle);
                }
            }
            Err(e) => sink(ServeEvent::Failed(Uuid::nil(), e.to_string())),
        }
        tokio::select! {
            () = tokio::time::sleep(scan) => {}
            _ = stop.changed() => {}
        }
    }
    for (_, t) in tasks {
        let _ = t.await;
    }
}
