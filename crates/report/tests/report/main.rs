//! Integration tests of the report crate: charts as real SVG and PNG files, and reports.

mod charts;
mod html;

use stratagraph_engine::backtest::{ExitReason, Side, Trade};
use stratagraph_engine::metrics::{self, Metrics};

/// Daily bars from 2024-01-01 UTC.
pub(crate) const DAY: i64 = 86_400_000;
pub(crate) const T0: i64 = 1_704_067_200_000;

/// A small deterministic run: `n` daily points, a wavy equity, and trades every 10 days,
/// alternating long/short and win/loss.
pub(crate) struct Fixture {
    pub(crate) times: Vec<i64>,
    pub(crate) equity: Vec<f64>,
    pub(crate) open: Vec<f64>,
    pub(crate) high: Vec<f64>,
    pub(crate) low: Vec<f64>,
    pub(crate) close: Vec<f64>,
    pub(crate) trades: Vec<Trade>,
}

impl Fixture {
    pub(crate) fn new(n: usize) -> Fixture {
        let times: Vec<i64> = (0..n as i64).map(|i| T0 + i * DAY).collect();
        let close: Vec<f64> = (0..n)
            .map(|i| 100.0 + 10.0 * (i as f64 / 7.0).sin())
            .collect();
        let open: Vec<f64> = close.iter().map(|c| c - 0.5).collect();
        let high: Vec<f64> = close.iter().map(|c| c + 1.0).collect();
        let low: Vec<f64> = close.iter().map(|c| c - 1.5).collect();
        let equity: Vec<f64> = (0..n)
            .map(|i| 10_000.0 + 50.0 * i as f64 + 300.0 * (i as f64 / 5.0).cos())
            .collect();
        let mut trades = Vec::new();
        let mut k = 0;
        while k * 10 + 5 < n {
            let (entry_bar, exit_bar) = (k * 10, k * 10 + 5);
            let win = k % 3 != 0;
            let side = if k % 2 == 0 { Side::Long } else { Side::Short };
            trades.push(Trade {
                side,
                entry_bar,
                exit_bar,
                entry_time: times[entry_bar],
                exit_time: times[exit_bar],
                entry_price: open[entry_bar],
                exit_price: open[exit_bar],
                size: 10.0,
                pnl: if win { 25.0 } else { -12.5 },
                pnl_pct: if win { 2.5 } else { -1.25 },
                bars_held: 5,
                commission: 0.0,
                exit_reason: ExitReason::Signal,
            });
            k += 1;
        }
        Fixture {
            times,
            equity,
            open,
            high,
            low,
            close,
            trades,
        }
    }

    pub(crate) fn prices(&self) -> stratagraph_report::PriceSeries<'_> {
        stratagraph_report::PriceSeries {
            times: &self.times,
            open: &self.open,
            high: &self.high,
            low: &self.low,
            close: &self.close,
        }
    }

    pub(crate) fn data(&self) -> stratagraph_report::ChartData<'_> {
        stratagraph_report::ChartData {
            times: &self.times,
            equity: &self.equity,
            trades: &self.trades,
            prices: Some(self.prices()),
            ..stratagraph_report::ChartData::default()
        }
    }

    pub(crate) fn metrics(&self) -> Metrics {
        metrics::compute(
            &metrics::Inputs {
                time: &self.times,
                close: &self.close,
                equity: &self.equity,
                initial: 10_000.0,
                bars_in_market: 0,
                periods_per_year: 252.0,
            },
            &self.trades,
            false,
            0.0,
        )
    }
}
