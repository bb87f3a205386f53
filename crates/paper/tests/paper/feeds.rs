//! Exchange feeds against a local HTTP server that answers in each API's documented format
//! (Binance `GET /api/v3/klines`: arrays `[openTime, "o", "h", "l", "c", "v", closeTime, …]`;
//! Kraken `GET /0/public/OHLC`: `{"error": [], "result": {"<PAIR>": [[time, "o", "h", "l",
//! "c", "vwap", "volume", count], …], "last": n}}` with the forming bar last). Each failure —
//! HTTP 429 and 5xx, a timeout, malformed JSON, a gap, a bar revised after close — gives a
//! clear status and is retried; the run carries on once the server answers again.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use stratagraph_engine::Bars;
use stratagraph_paper::{reconcile, Market, RunDriver};
use stratagraph_store::{PaperEventKind, PaperFeed, PaperRunStatus};

use crate::common::{config, drain, example, minute_bars, Env};

/// What the server does with one request.
#[derive(Clone)]
enum Reply {
    /// Serve the exchange's data (as of the request's `now`).
    Data,
    /// A fixed status and body, with headers.
    Fixed(u16, Vec<(&'static str, String)>, String),
    /// Answer only after this long.
    Slow(Duration),
}

struct Exchange {
    bars: Bars,
    /// Bars left out of answers (a gap), by index.
    hidden: Vec<usize>,
    /// Close prices changed after the fact, by index.
    revised: Vec<(usize, f64)>,
    /// Replies to the next requests, before falling back to `Data`.
    script: VecDeque<Reply>,
    /// Wall-clock "now" of the exchange, ms.
    now: i64,
    requests: Vec<String>,
}

fn query(path: &str, key: &str) -> Option<i64> {
    let q = path.split_once('?')?.1;
    q.split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
}

impl Exchange {
    fn rows(&self, after_ms: i64) -> Vec<(usize, [f64; 5], i64)> {
        let mut out = Vec::new();
        for i in 0..self.bars.len() {
            let t = self.bars.time()[i];
            if t < after_ms || t > self.now || self.hidden.contains(&i) {
                continue;
            }
            let mut c = self.bars.close()[i];
            let (mut h, mut l) = (self.bars.high()[i], self.bars.low()[i]);
            if let Some((_, r)) = self.revised.iter().find(|(k, _)| *k == i) {
                c = *r;
                h = h.max(c);
                l = l.min(c);
            }
            out.push((i, [self.bars.open()[i], h, l, c, self.bars.volume()[i]], t));
        }
        out
    }

    fn binance(&self, path: &str) -> String {
        let start = query(path, "startTime").unwrap_or(0);
        let rows: Vec<Value> = self
            .rows(start)
            .into_iter()
            .take(1000)
            .map(|(_, [o, h, l, c, v], t)| {
                json!([
                    t,
                    o.to_string(),
                    h.to_string(),
                    l.to_string(),
                    c.to_string(),
                    v.to_string(),
                    t + 59_999,
                    "0",
                    1,
                    "0",
                    "0",
                    "0"
                ])
            })
            .collect();
        Value::Array(rows).to_string()
    }

    fn kraken(&self, path: &str) -> String {
        let since = query(path, "since").unwrap_or(0) * 1000;
        let rows: Vec<Value> = self
            .rows(since)
            .into_iter()
            .map(|(_, [o, h, l, c, v], t)| {
                json!([
                    t / 1000,
                    o.to_string(),
                    h.to_string(),
                    l.to_string(),
                    c.to_string(),
                    c.to_string(),
                    v.to_string(),
                    3
                ])
            })
            .collect();
        let last = rows.last().and_then(|r| r[0].as_i64()).unwrap_or(0);
        json!({"error": [], "result": {"XXBTZUSD": rows, "last": last}}).to_string()
    }
}

/// A local server on 127.0.0.1 playing `ex`; runs until the test process ends.
fn serve(ex: Arc<Mutex<Exchange>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(10_000) {
            let Ok(mut conn) = conn else { continue };
            let ex = Arc::clone(&ex);
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 2048];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let reply = {
                    let mut e = ex.lock().unwrap();
                    e.requests.push(path.clone());
                    e.script.pop_front().unwrap_or(Reply::Data)
                };
                let (status, headers, body) = match reply {
                    Reply::Slow(d) => {
                        std::thread::sleep(d);
                        return;
                    }
                    Reply::Fixed(s, h, b) => (s, h, b),
                    Reply::Data => {
                        let e = ex.lock().unwrap();
                        let body = if path.starts_with("/api/v3/klines") {
                            e.binance(&path)
                        } else {
                            e.kraken(&path)
                        };
                        (200, vec![], body)
                    }
                };
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                let _ = conn.write_all(out.as_bytes());
            });
        }
    });
    format!("http://{addr}")
}

struct Setup {
    env: Env,
    ex: Arc<Mutex<Exchange>>,
    run: uuid::Uuid,
}

async fn setup(feed: PaperFeed) -> Setup {
    let env = Env::new(&example("sma_crossover")).await;
    let bars = minute_bars(21, 300);
    // The exchange's clock is the store's clock; the run starts at the first bar.
    let t0 = bars.time()[0];
    env.clock
        .set(chrono::DateTime::from_timestamp_millis(t0).unwrap());
    let ex = Arc::new(Mutex::new(Exchange {
        bars,
        hidden: vec![],
        revised: vec![],
        script: VecDeque::new(),
        now: t0,
        requests: vec![],
    }));
    let url = serve(Arc::clone(&ex));
    let mut req = env.replay(&minute_bars(1, 2), 1.0);
    req.market = Market::Exchange {
        feed,
        symbol: if feed == PaperFeed::Binance {
            "BTCUSDT".into()
        } else {
            "XBTUSD".into()
        },
        interval: "1m".into(),
        base_url: Some(url),
    };
    req.parameters.insert("fast".into(), 3.0);
    req.parameters.insert("slow".into(), 8.0);
    req.start_after = Some(t0 - 1);
    let run = env.start(&req).await.id;
    Setup { env, ex, run }
}

impl Setup {
    /// Moves both clocks by `ms`.
    fn advance(&self, ms: i64) {
        self.env.advance_ms(ms);
        self.ex.lock().unwrap().now += ms;
    }

    fn script(&self, replies: Vec<Reply>) {
        self.ex.lock().unwrap().script.extend(replies);
    }

    async fn status(&self) -> String {
        self.env
            .store
            .paper_run(self.run)
            .await
            .unwrap()
            .feed_status
            .unwrap_or_default()
    }

    async fn processed(&self) -> i64 {
        self.env
            .store
            .paper_run(self.run)
            .await
            .unwrap()
            .bars_processed
    }
}

async fn errors_are_retried(feed: PaperFeed) {
    let s = setup(feed).await;
    let mut d = RunDriver::open(&s.env.store, s.run, &config("t"))
        .await
        .unwrap();
    s.advance(20 * 60_000);
    drain(&mut d).await;
    let base = s.processed().await;
    assert!(base >= 18, "{base} bars");

    let cases: Vec<(Reply, &str)> = vec![
        (
            Reply::Fixed(
                429,
                vec![("Retry-After", "2".into())],
                "{\"code\":-1003,\"msg\":\"Too many requests\"}".into(),
            ),
            "rate limited",
        ),
        (
            Reply::Fixed(503, vec![], "Service Unavailable".into()),
            "HTTP 503",
        ),
        (Reply::Fixed(500, vec![], "".into()), "HTTP 500"),
        (
            Reply::Slow(Duration::from_millis(1_500)),
            "did not answer within 300 ms",
        ),
        (
            Reply::Fixed(200, vec![], "[[1, \"2\"".into()),
            "malformed answer",
        ),
        (
            Reply::Fixed(200, vec![], "{\"unexpected\": true}".into()),
            "malformed answer",
        ),
    ];
    for (reply, expected) in cases {
        s.script(vec![reply.clone(), reply]);
        s.advance(60_000);
        let before = s.processed().await;
        let r = d.step().await.unwrap();
        assert_eq!(r.processed, 0);
        let status = s.status().await;
        assert!(status.contains(expected), "{expected:?} in {status:?}");
        assert!(status.contains("retrying in"), "{status}");
        // Retried after the backoff: the second try fails too, with a longer delay.
        s.advance(300);
        d.step().await.unwrap();
        s.advance(5_000);
        d.step().await.unwrap();
        s.advance(5_000);
        drain(&mut d).await;
        assert!(
            s.processed().await > before,
            "the run carries on after {expected}"
        );
        assert_eq!(s.status().await, "ok");
    }
    let events = s.env.store.paper_events(s.run, None).await.unwrap();
    assert!(
        events
            .iter()
            .filter(|e| e.kind == PaperEventKind::FeedError)
            .count()
            >= 6
    );
    assert!(events.iter().any(|e| e.kind == PaperEventKind::FeedOk));
    // A refused request (unknown symbol) is not retried: the run stops with the reason.
    s.script(vec![if feed == PaperFeed::Binance {
        Reply::Fixed(
            400,
            vec![],
            "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}".into(),
        )
    } else {
        Reply::Fixed(
            200,
            vec![],
            "{\"error\":[\"EQuery:Unknown asset pair\"]}".into(),
        )
    }]);
    s.advance(60_000);
    let r = d.step().await.unwrap();
    assert_eq!(r.ended, Some(PaperRunStatus::Error));
    let run = s.env.store.paper_run(s.run).await.unwrap();
    let reason = run.status_reason.unwrap();
    assert!(
        reason.contains("Invalid symbol") || reason.contains("Unknown asset pair"),
        "{reason}"
    );
}

#[tokio::test]
async fn binance_errors_give_a_status_and_are_retried() {
    errors_are_retried(PaperFeed::Binance).await;
}

#[tokio::test]
async fn kraken_errors_give_a_status_and_are_retried() {
    errors_are_retried(PaperFeed::Kraken).await;
}

async fn gap_and_revision(feed: PaperFeed) {
    let s = setup(feed).await;
    let cfg = config("t");
    let mut d = RunDriver::open(&s.env.store, s.run, &cfg).await.unwrap();
    s.advance(10 * 60_000);
    drain(&mut d).await;
    let before = s.processed().await;
    // Bars 12 and 13 never come.
    s.ex.lock().unwrap().hidden = vec![12, 13];
    s.advance(10 * 60_000);
    d.step().await.unwrap();
    let status = s.status().await;
    assert!(status.starts_with("gap: 2 bar(s)"), "{status}");
    assert_eq!(
        s.processed().await,
        before + 2,
        "bars before the gap are traded"
    );
    // Asked again (3 times), then the gap is accepted and the run goes on.
    for _ in 0..4 {
        s.advance(10_000);
        drain(&mut d).await;
    }
    let seen = s.env.store.paper_bars(s.run, 0, None).await.unwrap();
    let after_gap = seen
        .iter()
        .find(|b| b.gap_before > 0)
        .expect("a bar after the gap");
    assert_eq!(after_gap.gap_before, 2);
    assert!(s.processed().await > before + 2);

    // The last traded bar changes after it closed: noticed, recorded, not traded again.
    let last = seen.last().unwrap().seq as usize + 2;
    s.ex.lock().unwrap().revised = vec![(last, 50.0)];
    s.advance(60_000);
    drain(&mut d).await;
    let events = s.env.store.paper_events(s.run, None).await.unwrap();
    let rev = events
        .iter()
        .find(|e| e.kind == PaperEventKind::Revision)
        .expect("the revision is recorded");
    assert!(rev.message.contains("revised"), "{}", rev.message);
    let rec = reconcile(&s.env.store, s.run, None).await.unwrap();
    assert!(rec.seen.identical, "{:?}", rec.seen.first_difference);
    let f = rec.feed.expect("the feed's data differs");
    if let Some(diff) = f.first_difference {
        assert!(diff.cause.contains("revision"), "{}", diff.cause);
    }
}

#[tokio::test]
async fn binance_gap_and_revised_bar() {
    gap_and_revision(PaperFeed::Binance).await;
}

#[tokio::test]
async fn kraken_gap_and_revised_bar() {
    gap_and_revision(PaperFeed::Kraken).await;
}
