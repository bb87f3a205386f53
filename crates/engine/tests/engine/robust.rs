//! Robustness statistics against the reference values printed by
//! `scripts/robustness/reference.py` (scipy, and pypbo's formulas and CSCV procedure), on the
//! same integer-generated inputs; and properties: a shuffle keeps the final P&L, the DSR
//! falls as trials rise.

use proptest::prelude::*;
use stratagraph_engine::robust::montecarlo::{self, Method};
use stratagraph_engine::robust::pbo::pbo_of_returns;
use stratagraph_engine::robust::sharpe::expected_max_sharpe;
use stratagraph_engine::robust::stats::{normal_cdf, normal_quantile};
use stratagraph_engine::robust::{deflated_sharpe, probabilistic_sharpe, ReturnStats, Trials};

/// `count` values `(x / 2^32 - 0.5) * scale + shift`, x from the script's LCG.
fn lcg_values(seed: u64, count: usize, scale: f64, shift: f64) -> Vec<f64> {
    let mut x = seed;
    (0..count)
        .map(|_| {
            x = (1_664_525 * x + 1_013_904_223) % (1 << 32);
            (x as f64 / 4_294_967_296.0 - 0.5) * scale + shift
        })
        .collect()
}

fn close(got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "got {got}, want {want}"
    );
}

#[test]
fn normal_distribution_matches_scipy() {
    let q = [
        (0.001, -3.090232306167813),
        (0.025, -1.9599639845400545),
        (0.3, -0.5244005127080409),
        (0.99, 2.3263478740408408),
    ];
    for (p, want) in q {
        close(normal_quantile(p), want, 1e-14);
    }
    let c = [
        (-3.5, 0.00023262907903552502),
        (-1.0, 0.15865525393145707),
        (0.25, 0.5987063256829237),
        (2.0, 0.9772498680518208),
    ];
    for (x, want) in c {
        close(normal_cdf(x), want, 1e-14);
    }
}

fn strategy_stats() -> ReturnStats {
    ReturnStats::of(&lcg_values(7, 500, 0.04, 0.001)).unwrap()
}

#[test]
fn return_moments_psr_and_dsr_match_the_reference() {
    let s = strategy_stats();
    assert_eq!(s.observations, 500);
    close(s.mean, 0.0009350405051186683, 1e-12);
    close(s.std, 0.01167202534451458, 1e-12);
    close(s.sharpe, 0.0801095334802458, 1e-12);
    close(s.skewness, 0.04237911059821152, 1e-10);
    close(s.kurtosis, 1.7780831574251106, 1e-12);
    close(
        probabilistic_sharpe(&s, 0.0).unwrap(),
        0.9633882600565805,
        1e-12,
    );

    let trials = Trials::of(lcg_values(11, 100, 0.1, 0.0).into_iter().map(Some));
    close(trials.variance().unwrap(), 0.0008269006623524294, 1e-12);
    let d = deflated_sharpe(&s, &trials).unwrap();
    assert_eq!(d.trials, 100);
    close(d.expected_max_sharpe, 0.07276971434683502, 1e-12);
    close(d.deflated_sharpe, 0.565187723949939, 1e-11);
    close(d.probabilistic_sharpe, 0.9633882600565805, 1e-12);

    for (n, want) in [
        (2, 0.5197553442805939),
        (10, 1.57459830134575),
        (1000, 3.255121513652723),
    ] {
        close(expected_max_sharpe(n, 1.0), want, 1e-13);
    }
    // One trial: nothing to deflate, DSR = PSR(0).
    let one = deflated_sharpe(&s, &Trials::of([Some(s.sharpe)])).unwrap();
    assert_eq!(one.deflated_sharpe, one.probabilistic_sharpe);
    // Several trials but only one Sharpe ratio: the variance is unknown.
    assert!(deflated_sharpe(&s, &Trials::of([Some(0.1), None, None])).is_none());
}

#[test]
fn pbo_matches_pypbo_procedure() {
    let cols: Vec<Vec<f64>> = (0..8)
        .map(|k| lcg_values(100 + k, 203, 0.02, k as f64 * 1e-4))
        .collect();
    for threads in [1, 2, 3] {
        let r = pbo_of_returns(&cols, 16, threads).unwrap();
        assert_eq!(r.splits, 12_870);
        assert_eq!(r.block_len, 12);
        close(r.pbo, 0.14918414918414918, 1e-15);
        close(r.median_logit, 1.252762968495368, 1e-12);
        close(r.prob_oos_loss, 0.043434343434343436, 1e-15);
        close(r.degradation_slope.unwrap(), -0.6107074329327108, 1e-9);
    }
    let r = pbo_of_returns(&cols, 8, 1).unwrap();
    assert_eq!(r.splits, 70);
    close(r.pbo, 0.2, 1e-15);
    close(r.median_logit, 0.6931471805599452, 1e-12);
    close(r.prob_oos_loss, 0.11428571428571428, 1e-15);
    close(r.degradation_slope.unwrap(), -0.7183894663725854, 1e-9);
    assert!(pbo_of_returns(&cols, 7, 1).is_err());
    assert!(pbo_of_returns(&cols[..1], 16, 1).is_err());
    assert!(pbo_of_returns(&[vec![0.0; 20], vec![0.0; 20]], 16, 1).is_err());
}

#[test]
fn monte_carlo_matches_the_reference_draws() {
    let pnl = lcg_values(5, 40, 400.0, 10.0);
    let s = montecarlo::run(&pnl, 10_000.0, Method::Shuffle, 1000, 42).unwrap();
    for v in s.final_equity {
        close(v, 10285.38638241589, 1e-12);
    }
    let dd = [
        -8.80598662467529,
        -6.806227556388753,
        -5.614955323993753,
        -4.717316088056956,
        -3.6916864770020275,
    ];
    for (g, w) in s.max_drawdown_pct.iter().zip(dd) {
        close(*g, w, 1e-11);
    }
    assert_eq!(s.prob_loss, 0.0);
    let b = montecarlo::run(&pnl, 10_000.0, Method::Bootstrap, 1000, 42).unwrap();
    let fin = [
        9110.903418906964,
        9756.115111871623,
        10268.543654726818,
        10754.114635614678,
        11508.782517071812,
    ];
    for (g, w) in b.final_equity.iter().zip(fin) {
        close(*g, w, 1e-12);
    }
    let dd = [
        -12.020988484451824,
        -8.088951795609498,
        -5.79694762276462,
        -4.149032359656976,
        -2.7011756293426,
    ];
    for (g, w) in b.max_drawdown_pct.iter().zip(dd) {
        close(*g, w, 1e-11);
    }
    assert_eq!(b.prob_loss, 0.36);
    assert_eq!(b.final_hist.counts.iter().sum::<u64>(), 1000);
    assert_eq!(b.bands.len(), 40);
    assert!(montecarlo::run(&[], 1.0, Method::Shuffle, 10, 1).is_err());
    assert!(montecarlo::run(&pnl, 1.0, Method::Shuffle, 0, 1).is_err());
}

proptest! {
    #[test]
    fn a_shuffle_keeps_the_final_pnl(
        pnl in prop::collection::vec(-500.0f64..500.0, 1..200),
        seed in any::<u64>(),
    ) {
        let r = montecarlo::run(&pnl, 10_000.0, Method::Shuffle, 50, seed).unwrap();
        let total: f64 = 10_000.0 + pnl.iter().sum::<f64>();
        for v in r.final_equity {
            prop_assert!((v - total).abs() <= 1e-6, "{v} vs {total}");
        }
        prop_assert!((r.actual_final - total).abs() <= 1e-6);
        // Every band ends at the final equity (the last step is after every trade).
        let last = r.bands.last().unwrap();
        prop_assert!((last[2] - total).abs() <= 1e-6);
    }

    #[test]
    fn the_deflated_sharpe_falls_as_trials_rise(
        seed in 0u64..10_000,
        base in 2u64..500,
        extra in 1u64..5_000,
        var in 1e-5f64..0.05,
    ) {
        let s = ReturnStats::of(&lcg_values(seed, 300, 0.04, 0.002)).unwrap();
        let trials = |n: u64| {
            // n trials whose Sharpe ratios have variance `var` (two values ± √var·…).
            let d = (var * (n as f64 - 1.0) / n as f64).sqrt();
            Trials::of((0..n).map(|i| Some(if i % 2 == 0 { d } else { -d })))
        };
        let few = trials(base * 2);
        let many = trials(base * 2 + extra * 2);
        let (a, b) = (deflated_sharpe(&s, &few).unwrap(), deflated_sharpe(&s, &many).unwrap());
        prop_assert!(b.expected_max_sharpe > a.expected_max_sharpe);
        prop_assert!(b.deflated_sharpe <= a.deflated_sharpe);
    }
}
