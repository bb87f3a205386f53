//! Text formatting shared by charts and reports: HTML escaping, dates, numbers.

use chrono::DateTime;

const MS_PER_DAY: i64 = 86_400_000;

/// Escapes `&`, `<`, `>`, `"` and `'` so any string is safe in HTML text and attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How a time axis labels its ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeFmt {
    /// `2024-01-31`.
    Date,
    /// `2024-01-31 09:30`.
    DateTime,
}

impl TimeFmt {
    /// Dates for daily (or coarser) data and for long spans; date and time for intraday data
    /// seen over at most 20 days.
    pub(crate) fn for_times(times: &[i64], span_ms: i64) -> TimeFmt {
        let intraday = times
            .iter()
            .take(1000)
            .any(|t| t.rem_euclid(MS_PER_DAY) != 0);
        if intraday && span_ms <= 20 * MS_PER_DAY {
            TimeFmt::DateTime
        } else {
            TimeFmt::Date
        }
    }
}

/// A time in ms UTC as the axis shows it.
pub(crate) fn time_label(ms: i64, fmt: TimeFmt) -> String {
    let Some(t) = DateTime::from_timestamp_millis(ms) else {
        return format!("{ms}");
    };
    match fmt {
        TimeFmt::Date => t.format("%Y-%m-%d").to_string(),
        TimeFmt::DateTime => t.format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// A time in ms UTC for tables: `2024-01-31 09:30:00` (`2024-01-31` at midnight).
pub(crate) fn time_text(ms: i64) -> String {
    let Some(t) = DateTime::from_timestamp_millis(ms) else {
        return format!("{ms} ms");
    };
    if ms.rem_euclid(MS_PER_DAY) == 0 {
        t.format("%Y-%m-%d").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// `1234567.891` → `1,234,567.89` with `decimals` places; non-finite values as `–`.
pub(crate) fn number(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "–".to_owned();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_owned(), Some(f.to_owned())),
        None => (s, None),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let negative = v < 0.0 && s_is_nonzero(&grouped, frac.as_deref());
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&grouped);
    if let Some(f) = frac {
        out.push('.');
        out.push_str(&f);
    }
    out
}

fn s_is_nonzero(int: &str, frac: Option<&str>) -> bool {
    int.chars()
        .chain(frac.unwrap_or("").chars())
        .any(|c| c.is_ascii_digit() && c != '0')
}

/// A percentage: `12.34%`.
pub(crate) fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{}%", number(v, 2))
    } else {
        "–".to_owned()
    }
}

/// `None` as `–`, anything else through `f`.
pub(crate) fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "–".to_owned(), f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html(r#"<script>alert('x') & "y"</script>"#),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(number(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(number(-999.5, 0), "-1,000");
        assert_eq!(number(-0.001, 2), "0.00");
        assert_eq!(number(12.0, 0), "12");
        assert_eq!(number(f64::NAN, 2), "–");
        assert_eq!(pct(-12.345), "-12.35%");
    }

    #[test]
    fn times_are_dates_or_date_times() {
        assert_eq!(time_label(0, TimeFmt::Date), "1970-01-01");
        assert_eq!(
            time_label(90_000_000, TimeFmt::DateTime),
            "1970-01-02 01:00"
        );
        assert_eq!(time_text(0), "1970-01-01");
        assert_eq!(time_text(61_000), "1970-01-01 00:01:01");
        assert_eq!(
            TimeFmt::for_times(&[0, MS_PER_DAY], MS_PER_DAY),
            TimeFmt::Date
        );
        assert_eq!(TimeFmt::for_times(&[0, 60_000], 60_000), TimeFmt::DateTime);
    }
}
