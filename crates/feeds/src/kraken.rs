//! Kraken OHLC: `GET /0/public/OHLC?pair=&interval=&since=`, interval in minutes, `since` in
//! seconds. The answer is `{"error": [], "result": {"<PAIR>": [[time, "open", "high", "low",
//! "close", "vwap", "volume", count], …], "last": <id>}}` with times in seconds. The last entry
//! is the frame still forming and is always present, so it is dropped; only the 720 most
//! recent entries are served. Errors come as HTTP 200 with a non-empty `error` list
//! (`EGeneral:Too many requests`, `EAPI:Rate limit exceeded`, `EQuery:Unknown asset pair`,
//! `EService:Unavailable`…).

use serde_json::Value;
use stratagraph_engine::paper::{Feed, FeedError};
use stratagraph_engine::stream::Bar;

use crate::{decimal, interval_ms, keep_closed, ExchangeConfig, Http};

/// The public REST host.
pub const KRAKEN_URL: &str = "https://api.kraken.com";

/// Kraken OHLC for one pair and interval.
pub struct KrakenFeed {
    http: Http,
    url: String,
    pair: String,
    interval_ms: i64,
}

impl KrakenFeed {
    /// A feed for `config`.
    ///
    /// # Errors
    /// An unknown interval or an empty pair.
    pub fn new(config: ExchangeConfig) -> Result<Self, String> {
        let ms = interval_ms(&config.interval)?;
        if config.symbol.trim().is_empty() {
            return Err("the Kraken pair is empty (for example XBTUSD)".into());
        }
        Ok(KrakenFeed {
            http: Http::new("Kraken", config.timeout),
            url: format!("{}/0/public/OHLC", config.base_url.trim_end_matches('/')),
            pair: config.symbol.trim().to_uppercase(),
            interval_ms: ms,
        })
    }

    fn parse(&self, body: &str) -> Result<Vec<Bar>, FeedError> {
        let v = self.http.parse_json(body)?;
        let errors: Vec<&str> = v
            .get("error")
            .and_then(Value::as_array)
            .ok_or_else(|| self.http.malformed("no \"error\" list"))?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if !errors.is_empty() {
            return Err(self.exchange_error(&errors.join("; ")));
        }
        let result = v
            .get("result")
            .and_then(Value::as_object)
            .ok_or_else(|| self.http.malformed("no \"result\" object"))?;
        let rows = result
            .iter()
            .find(|(k, _)| k.as_str() != "last")
            .and_then(|(_, rows)| rows.as_array())
            .ok_or_else(|| self.http.malformed("\"result\" holds no OHLC array"))?;
        let forming = rows.len().saturating_sub(1);
        rows.iter()
            .take(forming)
            .enumerate()
            .map(|(i, row)| ohlc(row, i).map_err(|e| self.http.malformed(e)))
            .collect()
    }

    fn exchange_error(&self, text: &str) -> FeedError {
        if text.contains("Too many requests") || text.contains("Rate limit") {
            FeedError::RateLimited {
                source_name: "Kraken".into(),
                retry_after_ms: None,
            }
        } else if text.contains("EService") {
            FeedError::Server {
                source_name: "Kraken".into(),
                status: 503,
            }
        } else {
            FeedError::Refused {
                source_name: "Kraken".into(),
                detail: text.into(),
            }
        }
    }
}

fn ohlc(row: &Value, i: usize) -> Result<Bar, String> {
    let a = row
        .as_array()
        .filter(|a| a.len() >= 7)
        .ok_or_else(|| format!("row {i}: expected an array of at least 7 fields"))?;
    let secs = a[0]
        .as_i64()
        .ok_or_else(|| format!("row {i}: time is not an integer ({})", a[0]))?;
    Ok(Bar {
        time: secs.saturating_mul(1000),
        open: decimal(&a[1], "open", i)?,
        high: decimal(&a[2], "high", i)?,
        low: decimal(&a[3], "low", i)?,
        close: decimal(&a[4], "close", i)?,
        volume: decimal(&a[6], "volume", i)?,
    })
}

impl Feed for KrakenFeed {
    fn closed_bars(&mut self, after: Option<i64>, now_ms: i64) -> Result<Vec<Bar>, FeedError> {
        let mut query = vec![
            ("pair", self.pair.clone()),
            ("interval", (self.interval_ms / 60_000).to_string()),
        ];
        if let Some(a) = after {
            query.push(("since", a.div_euclid(1000).to_string()));
        }
        let answer = self.http.get(&self.url, &query)?;
        if answer.status >= 400 {
            return Err(FeedError::Refused {
                source_name: "Kraken".into(),
                detail: format!("HTTP {}", answer.status),
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
