//! Binance spot klines: `GET /api/v3/klines?symbol=&interval=&startTime=&limit=`. Each kline
//! is an array `[openTime, "open", "high", "low", "close", "volume", closeTime, …]` with times
//! in ms and prices as decimal strings; a kline is closed once `closeTime` (open + interval −
//! 1 ms) has passed. Errors are `{"code": …, "msg": …}` with a 4xx status; 429 (and 418 for a
//! ban) carry `Retry-After` in seconds.

use serde_json::Value;
use stratagraph_engine::paper::{Feed, FeedError};
use stratagraph_engine::stream::Bar;

use crate::{decimal, interval_ms, keep_closed, ExchangeConfig, Http};

/// The public market-data host that needs no key.
pub const BINANCE_URL: &str = "https://data-api.binance.vision";

/// Klines per request (the API's maximum).
const LIMIT: i64 = 1000;

/// Binance spot klines for one symbol and interval.
pub struct BinanceFeed {
    http: Http,
    url: String,
    symbol: String,
    interval: String,
    interval_ms: i64,
}

impl BinanceFeed {
    /// A feed for `config`.
    ///
    /// # Errors
    /// An unknown interval or an empty symbol.
    pub fn new(config: ExchangeConfig) -> Result<Self, String> {
        let ms = interval_ms(&config.interval)?;
        if config.symbol.trim().is_empty() {
            return Err("the Binance symbol is empty (for example BTCUSDT)".into());
        }
        Ok(BinanceFeed {
            http: Http::new("Binance", config.timeout),
            url: format!("{}/api/v3/klines", config.base_url.trim_end_matches('/')),
            symbol: config.symbol.trim().to_uppercase(),
            interval: config.interval,
            interval_ms: ms,
        })
    }

    fn parse(&self, body: &str) -> Result<Vec<Bar>, FeedError> {
        let v = self.http.parse_json(body)?;
        let rows = v
            .as_array()
            .ok_or_else(|| self.http.malformed("expected a JSON array of klines"))?;
        rows.iter()
            .enumerate()
            .map(|(i, row)| kline(row, i).map_err(|e| self.http.malformed(e)))
            .collect()
    }
}

fn kline(row: &Value, i: usize) -> Result<Bar, String> {
    let a = row
        .as_array()
        .filter(|a| a.len() >= 7)
        .ok_or_else(|| format!("row {i}: expected an array of at least 7 fields"))?;
    let time = a[0]
        .as_i64()
        .ok_or_else(|| format!("row {i}: open time is not an integer ({})", a[0]))?;
    Ok(Bar {
        time,
        open: decimal(&a[1], "open", i)?,
        high: decimal(&a[2], "high", i)?,
        low: decimal(&a[3], "low", i)?,
        close: decimal(&a[4], "close", i)?,
        volume: decimal(&a[5], "volume", i)?,
    })
}

impl Feed for BinanceFeed {
    fn closed_bars(&mut self, after: Option<i64>, now_ms: i64) -> Result<Vec<Bar>, FeedError> {
        let mut query = vec![
            ("symbol", self.symbol.clone()),
            ("interval", self.interval.clone()),
            ("limit", LIMIT.to_string()),
        ];
        if let Some(a) = after {
            query.push(("startTime", (a + 1).to_string()));
        }
        let answer = self.http.get(&self.url, &query)?;
        if answer.status >= 400 {
            let msg = serde_json::from_str::<Value>(&answer.body)
                .ok()
                .and_then(|v| v.get("msg").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| format!("HTTP {}", answer.status));
            return Err(FeedError::Refused {
                source_name: "Binance".into(),
                detail: msg,
            });
        }
        let rows = self.parse(&answer.body)?;
        keep_closed(rows, after, self.interval_ms, now_ms).map_err(|e| self.http.malformed(e))
    }

    fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    fn closes_at(&self, bar_time: i64) -> i64 {
        bar_time.saturating_add(self.interval_ms)
    }
}
