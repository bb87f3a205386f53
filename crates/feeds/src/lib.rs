//! Public exchange feeds that need no API key, behind the engine's [`Feed`] trait: Binance spot
//! klines (`GET /api/v3/klines` on `data-api.binance.vision`) and Kraken OHLC
//! (`GET /0/public/OHLC`). Only closed bars are returned. Every failure is a [`FeedError`] that
//! says what happened; the caller (the paper runner) decides when to ask again.

use std::time::Duration;

use serde_json::Value;
use stratagraph_engine::paper::{Feed, FeedError};
use stratagraph_engine::stream::Bar;

mod binance;
mod kraken;

pub use binance::{BinanceFeed, BINANCE_URL};
pub use kraken::{KrakenFeed, KRAKEN_URL};

/// How long one request may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Bar intervals both exchanges serve, as the app names them.
pub const INTERVALS: [&str; 8] = ["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w"];

/// The length of an interval named as in [`INTERVALS`], ms.
///
/// # Errors
/// The name is not one of [`INTERVALS`].
pub fn interval_ms(name: &str) -> Result<i64, String> {
    let minutes = match name {
        "1m" => 1,
        "5m" => 5,
        "15m" => 15,
        "30m" => 30,
        "1h" => 60,
        "4h" => 240,
        "1d" => 1440,
        "1w" => 10080,
        other => {
            return Err(format!(
                "unknown interval {other:?}; use one of {}",
                INTERVALS.join(", ")
            ))
        }
    };
    Ok(minutes * 60_000)
}

/// Which public exchange, and how to reach it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeConfig {
    /// Base URL (the exchange's public host by default; a local test server in tests).
    pub base_url: String,
    /// The market's symbol in the exchange's own spelling (`BTCUSDT`, `XBTUSD`).
    pub symbol: String,
    /// One of [`INTERVALS`].
    pub interval: String,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// An HTTP GET that maps transport failures and status codes to [`FeedError`]s; returns the
/// body of a 2xx answer (and of a 4xx one, for the exchange's own message).
pub(crate) struct Http {
    agent: ureq::Agent,
    source: &'static str,
    timeout: Duration,
}

/// What a GET returned.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: String,
}

impl Http {
    pub(crate) fn new(source: &'static str, timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent("stratagraph-paper")
            .build();
        Http {
            agent: config.into(),
            source,
            timeout,
        }
    }

    pub(crate) fn get(&self, url: &str, query: &[(&str, String)]) -> Result<Answer, FeedError> {
        let mut req = self.agent.get(url);
        for (k, v) in query {
            req = req.query(*k, v);
        }
        let mut resp = req.call().map_err(|e| self.transport(e))?;
        let status = resp.status().as_u16();
        let retry_after_ms = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| s.saturating_mul(1000));
        if status == 429 || status == 418 {
            return Err(FeedError::RateLimited {
                source_name: self.source.into(),
                retry_after_ms,
            });
        }
        if status >= 500 {
            return Err(FeedError::Server {
                source_name: self.source.into(),
                status,
            });
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| self.transport(e))?;
        Ok(Answer { status, body })
    }

    fn transport(&self, e: ureq::Error) -> FeedError {
        let timed_out = matches!(e, ureq::Error::Timeout(_))
            || matches!(&e, ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut);
        if timed_out {
            FeedError::Timeout {
                source_name: self.source.into(),
                timeout_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
            }
        } else {
            FeedError::Network {
                source_name: self.source.into(),
                detail: e.to_string(),
            }
        }
    }

    pub(crate) fn malformed(&self, detail: impl Into<String>) -> FeedError {
        FeedError::Malformed {
            source_name: self.source.into(),
            detail: detail.into(),
        }
    }

    pub(crate) fn parse_json(&self, body: &str) -> Result<Value, FeedError> {
        serde_json::from_str(body).map_err(|e| self.malformed(format!("not JSON ({e})")))
    }
}

/// A price or volume that the exchange sends as a decimal string (or, leniently, a number).
pub(crate) fn decimal(v: &Value, what: &str, row: usize) -> Result<f64, String> {
    let x = match v {
        Value::String(s) => s.parse::<f64>().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    };
    x.filter(|x| x.is_finite())
        .ok_or_else(|| format!("row {row}: {what} is not a decimal number ({v})"))
}

/// Closed bars after `after`, in order, from parsed rows; a row out of order is malformed.
pub(crate) fn keep_closed(
    rows: Vec<Bar>,
    after: Option<i64>,
    interval: i64,
    now_ms: i64,
) -> Result<Vec<Bar>, String> {
    let mut out: Vec<Bar> = Vec::with_capacity(rows.len());
    for (i, b) in rows.into_iter().enumerate() {
        if let Some(prev) = out.last() {
            if b.time <= prev.time {
                return Err(format!(
                    "row {i}: time {} is not after the previous row",
                    b.time
                ));
            }
        }
        if after.is_some_and(|a| b.time <= a) || b.time.saturating_add(interval) > now_ms {
            continue;
        }
        out.push(b);
    }
    Ok(out)
}

/// A feed of one of the supported exchanges, by name (`binance` or `kraken`).
///
/// # Errors
/// An unknown exchange or interval.
pub fn exchange_feed(exchange: &str, config: ExchangeConfig) -> Result<Box<dyn Feed>, String> {
    match exchange {
        "binance" => Ok(Box::new(BinanceFeed::new(config)?)),
        "kraken" => Ok(Box::new(KrakenFeed::new(config)?)),
        other => Err(format!(
            "unknown feed {other:?}; use replay, binance or kraken"
        )),
    }
}
