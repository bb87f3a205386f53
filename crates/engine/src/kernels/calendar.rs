//! Time filters (session, day of week, date range, calendar fields, period starts) and bars
//! of a higher timeframe, all read from the bar's timestamp in a chosen time zone.
//!
//! A bar's time is its opening time. A higher-timeframe bar is the aggregate of the bars whose
//! times fall in one period (a day, an ISO week from Monday, a month...) of the zone's local
//! time; it becomes visible on the first bar of the next period, because only then is it
//! certain that no more bars belong to it. Until the first period has closed the outputs are
//! missing.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{flag, Kernel, Out, NONE};
use crate::bars::Bar;

/// The time zones the time nodes offer, by IANA name.
pub const ZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Zurich",
    "Asia/Tokyo",
    "Asia/Hong_Kong",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Kolkata",
    "Australia/Sydney",
];

/// Day names of the day-of-week filter, Monday first.
pub const DAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A time zone (daylight saving included), one of [`ZONES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(chrono_tz::Tz);

impl Zone {
    /// UTC.
    pub const UTC: Zone = Zone(chrono_tz::Tz::UTC);

    /// The zone called `name` (an IANA name).
    pub fn parse(name: &str) -> Option<Zone> {
        name.parse::<chrono_tz::Tz>().ok().map(Zone)
    }

    /// Local date and time of `ms` (UTC milliseconds).
    fn local(self, ms: i64) -> Option<NaiveDateTime> {
        DateTime::from_timestamp_millis(ms).map(|d| d.with_timezone(&self.0).naive_local())
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Zone::parse(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown zone {name}")))
    }
}

/// A higher timeframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Timeframe {
    /// 15 minutes.
    Min15,
    /// 30 minutes.
    Min30,
    /// One hour.
    Hour1,
    /// Four hours (from local midnight).
    Hour4,
    /// A local calendar day.
    Day,
    /// An ISO week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl Timeframe {
    /// The names the catalog offers, in the order of [`Timeframe::parse`].
    pub const NAMES: &'static [&'static str] =
        &["15min", "30min", "1h", "4h", "day", "week", "month"];

    /// The timeframe called `name`.
    pub fn parse(name: &str) -> Option<Timeframe> {
        Some(match name {
            "15min" => Timeframe::Min15,
            "30min" => Timeframe::Min30,
            "1h" => Timeframe::Hour1,
            "4h" => Timeframe::Hour4,
            "day" => Timeframe::Day,
            "week" => Timeframe::Week,
            "month" => Timeframe::Month,
            _ => return None,
        })
    }

    /// A number that is the same for every time of one period and grows with time.
    fn period(self, t: NaiveDateTime) -> i64 {
        let minutes = |m: i64| t.and_utc().timestamp().div_euclid(m * 60);
        let days = i64::from(t.date().num_days_from_ce());
        match self {
            Timeframe::Min15 => minutes(15),
            Timeframe::Min30 => minutes(30),
            Timeframe::Hour1 => minutes(60),
            Timeframe::Hour4 => minutes(240),
            Timeframe::Day => days,
            // Day 1 of the common era was a Monday.
            Timeframe::Week => (days - 1).div_euclid(7),
            Timeframe::Month => i64::from(t.year()) * 12 + i64::from(t.month0()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Rule {
    Session(u32, u32),
    DayOfWeek(u32, u32),
    DateRange(i64, i64),
    Calendar,
    PeriodStart(Timeframe),
}

/// State of the time filters: the rule, the zone, and the previous bar's period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarState {
    rule: Rule,
    zone: Zone,
    prev: Option<i64>,
}

/// `lo <= x <= hi`, or outside `(hi, lo)` when the range wraps (`lo > hi`).
fn within(x: u32, lo: u32, hi: u32) -> bool {
    if lo <= hi {
        lo <= x && x <= hi
    } else {
        x >= lo || x <= hi
    }
}

impl CalendarState {
    pub(crate) fn new(k: &Kernel) -> Self {
        let (rule, zone) = match *k {
            Kernel::Session(a, b, z) => (Rule::Session(a, b), z),
            Kernel::DayOfWeek(a, b, z) => (Rule::DayOfWeek(a, b), z),
            Kernel::DateRange(a, b, z) => (Rule::DateRange(a, b), z),
            Kernel::PeriodStart(tf, z) => (Rule::PeriodStart(tf), z),
            Kernel::Calendar(z) => (Rule::Calendar, z),
            _ => (Rule::Calendar, Zone::UTC),
        };
        Self {
            rule,
            zone,
            prev: None,
        }
    }

    pub(crate) fn update(&mut self, ms: i64) -> Out {
        let Some(t) = self.zone.local(ms) else {
            return NONE;
        };
        let mut out = NONE;
        match self.rule {
            Rule::Session(start, end) => {
                let m = t.hour() * 60 + t.minute();
                out[0] = flag(match start.cmp(&end) {
                    std::cmp::Ordering::Less => start <= m && m < end,
                    std::cmp::Ordering::Greater => m >= start || m < end,
                    std::cmp::Ordering::Equal => true,
                });
            }
            Rule::DayOfWeek(from, to) => {
                let d = t.weekday().number_from_monday();
                out[0] = flag(within(d, from, to));
                out[1] = f64::from(d);
            }
            Rule::DateRange(from, to) => {
                let ymd =
                    i64::from(t.year()) * 10_000 + i64::from(t.month()) * 100 + i64::from(t.day());
                out[0] = flag(from <= ymd && ymd <= to);
            }
            Rule::Calendar => {
                out = [
                    f64::from(t.year()),
                    f64::from(t.month()),
                    f64::from(t.day()),
                    f64::from(t.weekday().number_from_monday()),
                    f64::from(t.hour() * 100 + t.minute()),
                ];
            }
            Rule::PeriodStart(tf) => {
                let p = tf.period(t);
                out[0] = flag(self.prev != Some(p));
                self.prev = Some(p);
            }
        }
        out
    }
}

/// The bar of a higher timeframe being built, and the last one that closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HigherState {
    tf: Timeframe,
    zone: Zone,
    period: Option<i64>,
    /// Open, high, low, close, volume of the period in progress.
    building: Option<[f64; 5]>,
    /// The last closed period's bar.
    closed: Option<[f64; 5]>,
}

impl HigherState {
    pub(crate) fn new(tf: Timeframe, zone: Zone) -> Self {
        Self {
            tf,
            zone,
            period: None,
            building: None,
            closed: None,
        }
    }

    pub(crate) fn update(&mut self, bar: &Bar) -> Out {
        let Some(t) = self.zone.local(bar.time) else {
            return NONE;
        };
        let p = self.tf.period(t);
        match (&mut self.building, self.period == Some(p)) {
            (Some(b), true) => {
                b[1] = b[1].max(bar.high);
                b[2] = b[2].min(bar.low);
                b[3] = bar.close;
                b[4] += bar.volume;
            }
            _ => {
                if self.building.is_some() {
                    self.closed = self.building;
                }
                self.building = Some([bar.open, bar.high, bar.low, bar.close, bar.volume]);
                self.period = Some(p);
            }
        }
        self.closed.unwrap_or(NONE)
    }
}
