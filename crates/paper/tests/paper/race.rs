//! Two processes racing for one run: the lease in the database lets exactly one drive it,
//! the loser is told who holds it, and a holder whose lease lapsed can no longer commit.

use stratagraph_paper::{PaperError, RunDriver};

use crate::common::{config, drain, example, minute_bars, Env};

#[tokio::test]
async fn only_one_process_drives_a_run_and_the_loser_names_the_holder() {
    let env = Env::new(&example("sma_crossover")).await;
    let run = env.start(&env.replay(&minute_bars(5, 100), 60.0)).await;
    let mut app = config("the app");
    app.holder.host = "host-a".into();
    let mut server = config("stratagraph paper serve");
    server.holder.host = "host-b".into();
    server.holder.pid = app.holder.pid + 1;
    // Two connections pools on one file, as two processes have.
    let other = env.reopen().await;
    let (a, b) = tokio::join!(
        RunDriver::open(&env.store, run.id, &app),
        RunDriver::open(&other, run.id, &server)
    );
    let (mut winner, loser_err, winner_cfg) = match (a, b) {
        (Ok(w), Err(e)) => (w, e, &app),
        (Err(e), Ok(w)) => (w, e, &server),
        (a, b) => panic!("exactly one must win: {:?} / {:?}", a.is_ok(), b.is_ok()),
    };
    let PaperError::Conflict(msg) = &loser_err else {
        panic!("{loser_err}")
    };
    assert!(
        msg.contains(&winner_cfg.holder.to_string()),
        "the loser names the holder: {msg}"
    );
    env.advance_ms(30_000);
    assert!(
        drain(&mut winner)
            .await
            .iter()
            .map(|r| r.processed)
            .sum::<usize>()
            > 0
    );

    // The winner goes quiet past its lease: the other takes over, and the old holder can no
    // longer commit anything.
    let loser_cfg = if winner_cfg.holder.host == "host-a" {
        &server
    } else {
        &app
    };
    env.advance_ms(10_000 + loser_cfg.lease_ttl.as_millis() as i64);
    let mut taker = RunDriver::open(&other, run.id, loser_cfg).await.unwrap();
    let stale = winner.step().await;
    assert!(
        matches!(stale, Err(PaperError::Conflict(ref m)) if m.contains(&loser_cfg.holder.to_string())),
        "{stale:?}"
    );
    drain(&mut taker).await;
    let done = env.store.paper_run(run.id).await.unwrap();
    let seen = env.store.paper_bars(run.id, 0, None).await.unwrap();
    assert_eq!(seen.len() as i64, done.bars_processed);
    assert!(seen.iter().enumerate().all(|(i, b)| b.seq == i as i64));
    taker.release().await.unwrap();
    assert!(env.store.paper_lease(run.id).await.unwrap().is_none());
}

#[tokio::test]
async fn a_dead_holder_on_this_machine_is_taken_over_at_once() {
    let env = Env::new(&example("sma_crossover")).await;
    let run = env.start(&env.replay(&minute_bars(5, 50), 60.0)).await;
    let mut dead = config("stratagraph paper serve");
    // A pid that no process has (beyond the kernel's pid_max).
    dead.holder.pid = 99_999_999;
    let _gone = RunDriver::open(&env.store, run.id, &dead).await.unwrap();
    let mut live = config("the app");
    live.holder.pid = std::process::id();
    assert_ne!(live.holder.pid, dead.holder.pid);
    let d = RunDriver::open(&env.store, run.id, &live).await.unwrap();
    let lease = env.store.paper_lease(run.id).await.unwrap().unwrap();
    assert_eq!(lease.holder, live.holder);
    d.release().await.unwrap();
}
