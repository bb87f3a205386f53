//! Numbers in messages, written the way a person writes them: `0.5`, `10000`, `1e308`,
//! `1,000,000` — never a 300-digit expansion of a tiny or huge `f64`.

/// `x` in its shortest form: plain decimals from 1e-6 up to 1e9, scientific notation
/// (`1e12`, `1e308`, `2.5e-9`) outside that range.
pub fn human(x: f64) -> String {
    let a = x.abs();
    if x == 0.0 || !x.is_finite() || (1e-6..1e9).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A count with thousands separators: `1,000,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_values_are_short() {
        assert_eq!(human(1e308), "1e308");
        assert_eq!(human(f64::MIN_POSITIVE), "2.2250738585072014e-308");
        assert_eq!(human(-3e20), "-3e20");
        assert_eq!(human(0.0), "0");
        assert_eq!(human(10_000.0), "10000");
        assert_eq!(human(1e12), "1e12");
        assert_eq!(human(123_456_789.5), "123456789.5");
        assert_eq!(human(0.25), "0.25");
        assert_eq!(human(f64::NAN), "NaN");
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(grouped(100_000), "100,000");
    }
}
