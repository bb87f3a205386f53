//! The library kinds of the catalog: indicators beyond the core set, candlestick patterns,
//! higher-timeframe bars, time filters and position state.

use super::{boolean, float, int, num, period, spec, Category, NodeSpec, ParamSpec, ParamType};
use crate::kernels::{Pattern, Timeframe};
use crate::kernels::{DAYS, ZONES};

fn choice(
    name: &'static str,
    values: &'static [&'static str],
    default: &'static str,
    help: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        ty: ParamType::Enum { values },
        default: default.into(),
        min: None,
        max: None,
        help,
    }
}

fn zone() -> ParamSpec {
    choice(
        "timezone",
        ZONES,
        "UTC",
        "Time zone whose local clock and calendar are used (daylight saving included)",
    )
}

fn timeframe() -> ParamSpec {
    choice(
        "timeframe",
        Timeframe::NAMES,
        "week",
        "The higher timeframe",
    )
}

fn bars_indicator(
    kind: &'static str,
    label: &'static str,
    help: &'static str,
    outputs: Vec<super::PortSpec>,
    params: Vec<ParamSpec>,
) -> NodeSpec {
    spec(
        kind,
        Category::Indicator,
        label,
        help,
        vec![],
        outputs,
        params,
    )
}

fn series_indicator(
    kind: &'static str,
    label: &'static str,
    help: &'static str,
    params: Vec<ParamSpec>,
) -> NodeSpec {
    spec(
        kind,
        Category::Indicator,
        label,
        help,
        vec![num("in", "Input series")],
        vec![num("out", help)],
        params,
    )
}

/// Period with a minimum of 2 (TA-Lib's for smoothed indicators).
fn period2(default: i64) -> ParamSpec {
    int("period", default, 2, 100_000, "Bars in the window")
}

/// Period for indicators that revisit the whole window on every bar.
fn window(default: i64, min: i64) -> ParamSpec {
    int("period", default, min, 10_000, "Bars in the window")
}

fn indicators() -> Vec<NodeSpec> {
    vec![
        bars_indicator(
            "indicator.adx",
            "ADX / DMI",
            "Average directional index with the +DI and -DI directional indicators",
            vec![
                num("adx", "Trend strength, 0-100"),
                num("plus_di", "+DI, 0-100"),
                num("minus_di", "-DI, 0-100"),
            ],
            vec![period2(14)],
        )
        .doc(
            "+DM = h - h[t-1] if that is > 0 and > l[t-1] - l, else 0 (-DM mirrored); +DM_n, -DM_n, TR_n = sum of the first n-1 values, then S - S/n + x; +DI = 100 * +DM_n / TR_n; DX = 100 * |+DI - -DI| / (+DI + -DI); ADX = mean of the first n DX, then (ADX * (n-1) + DX) / n",
            "TA-Lib ADX, PLUS_DI, MINUS_DI; J. Welles Wilder, New Concepts in Technical Trading Systems (1978)",
        ),
        bars_indicator(
            "indicator.aroon",
            "Aroon",
            "Aroon up, down and oscillator: how recent the highest high and lowest low are",
            vec![
                num("up", "100 * (n - bars since the highest high) / n"),
                num("down", "100 * (n - bars since the lowest low) / n"),
                num("osc", "up - down"),
            ],
            vec![period2(14)],
        )
        .doc(
            "over the last n + 1 bars: up = 100 * (n - bars since the highest high) / n, down likewise with the lowest low (the latest bar wins a tie), osc = up - down",
            "TA-Lib AROON, AROONOSC; Tushar Chande (1995)",
        ),
        bars_indicator(
            "indicator.cci",
            "CCI",
            "Commodity channel index of the typical price",
            vec![num("out", "CCI")],
            vec![window(14, 2)],
        )
        .doc(
            "tp = (h + l + c)/3; CCI = (tp - SMA_n(tp)) / (0.015 * mean |tp - SMA_n(tp)|); 0 when either is 0",
            "TA-Lib CCI; Donald Lambert (1980)",
        ),
        series_indicator(
            "indicator.cmo",
            "CMO",
            "Chande momentum oscillator, -100 to 100",
            vec![period2(14)],
        )
        .doc(
            "CMO = 100 * (G - L) / (G + L); G, L = Wilder averages of gains and losses seeded with their first n-change means (as RSI); missing when G + L = 0",
            "TA-Lib CMO; Tushar Chande",
        ),
        bars_indicator(
            "indicator.mfi",
            "MFI",
            "Money flow index: a volume-weighted RSI of the typical price, 0-100",
            vec![num("out", "MFI")],
            vec![period2(14)],
        )
        .doc(
            "tp = (h + l + c)/3, flow = tp * volume, positive when tp rose, negative when it fell; MFI = 100 * sum(positive) / (sum(positive) + sum(negative)) over n bars; missing when the flows sum below 1",
            "TA-Lib MFI; Gene Quong and Avrum Soudack",
        ),
        bars_indicator(
            "indicator.willr",
            "Williams %R",
            "Williams %R: where the close sits in the n-bar range, -100 to 0",
            vec![num("out", "%R")],
            vec![period2(14)],
        )
        .doc(
            "%R = -100 * (HH - c) / (HH - LL), HH/LL the highest high and lowest low of n bars; missing on a zero range",
            "TA-Lib WILLR; Larry Williams",
        ),
        series_indicator(
            "indicator.ppo",
            "PPO",
            "Percentage price oscillator: the MACD line in percent of the slow average",
            vec![
                int("fast", 12, 2, 100_000, "Fast average period"),
                int("slow", 26, 2, 100_000, "Slow average period"),
                choice("ma", &["ema", "sma"], "ema", "Kind of moving average"),
            ],
        )
        .doc(
            "PPO = 100 * (MA_fast - MA_slow) / MA_slow; periods swapped when fast > slow",
            "TA-Lib PPO (matype 1 = EMA, 0 = SMA)",
        ),
        series_indicator(
            "indicator.trix",
            "TRIX",
            "One-bar rate of change of a triple-smoothed EMA, in percent",
            vec![int("period", 30, 1, 100_000, "EMA period")],
        )
        .doc(
            "E3 = EMA(EMA(EMA(x))); TRIX = 100 * (E3[t] / E3[t-1] - 1)",
            "TA-Lib TRIX; Jack Hutson",
        ),
        bars_indicator(
            "indicator.ultosc",
            "Ultimate oscillator",
            "Weighted average of buying pressure over three windows, 0-100",
            vec![num("out", "Ultimate oscillator")],
            vec![
                int("fast", 7, 1, 100_000, "Shortest window (weight 4)"),
                int("mid", 14, 1, 100_000, "Middle window (weight 2)"),
                int("slow", 28, 1, 100_000, "Longest window (weight 1)"),
            ],
        )
        .doc(
            "bp = c - min(l, c[t-1]); tr = max(h, c[t-1]) - min(l, c[t-1]); A_p = sum(bp)/sum(tr) over p bars; ULTOSC = 100 * (4 A_fast + 2 A_mid + A_slow) / 7",
            "TA-Lib ULTOSC; Larry Williams (1985)",
        ),
        series_indicator(
            "indicator.kama",
            "KAMA",
            "Kaufman adaptive moving average: fast in trends, slow in noise",
            vec![period2(30)],
        )
        .doc(
            "ER = |x - x[t-n]| / sum|x[i] - x[i-1]| over n changes; sc = (ER * (2/3 - 2/31) + 2/31)^2; KAMA = KAMA[t-1] + sc * (x - KAMA[t-1]), started at x[n-1]",
            "TA-Lib KAMA; Perry Kaufman, Smarter Trading (1995)",
        ),
        series_indicator(
            "indicator.dema",
            "DEMA",
            "Double exponential moving average",
            vec![period2(20)],
        )
        .doc(
            "DEMA = 2 * EMA(x) - EMA(EMA(x)), each EMA seeded with the mean of its first n inputs",
            "TA-Lib DEMA; Patrick Mulloy (1994)",
        ),
        series_indicator(
            "indicator.tema",
            "TEMA",
            "Triple exponential moving average",
            vec![period2(20)],
        )
        .doc(
            "TEMA = 3 * E1 - 3 * E2 + E3; E1 = EMA(x), E2 = EMA(E1), E3 = EMA(E2)",
            "TA-Lib TEMA; Patrick Mulloy (1994)",
        ),
        series_indicator(
            "indicator.t3",
            "T3",
            "Tillson T3: a six-fold EMA blend with little lag",
            vec![
                period2(5),
                float("vfactor", 0.7, 0.0, 1.0, "Volume factor a"),
            ],
        )
        .doc(
            "E1..E6 = EMA applied 1..6 times; T3 = c1 E6 + c2 E5 + c3 E4 + c4 E3 with c1 = -a^3, c2 = 3a^2 + 3a^3, c3 = -6a^2 - 3a - 3a^3, c4 = 1 + 3a + a^3 + 3a^2",
            "TA-Lib T3; Tim Tillson, Technical Analysis of Stocks & Commodities (1998)",
        ),
        bars_indicator(
            "indicator.sar",
            "Parabolic SAR",
            "Parabolic stop and reverse: a trailing level that flips side on a breach",
            vec![num("out", "SAR")],
            vec![
                float("step", 0.02, 0.0001, 1.0, "Acceleration step"),
                float("max", 0.2, 0.0001, 1.0, "Maximum acceleration"),
            ],
        )
        .doc(
            "SAR[t+1] = SAR + af * (EP - SAR), af starting at step and growing by step (to max) at each new extreme EP, kept outside the last two bars' range; a bar through the SAR reverses it to EP; the first direction from the first two bars' directional movement",
            "TA-Lib SAR; Wilder (1978)",
        ),
        bars_indicator(
            "indicator.keltner",
            "Keltner channels",
            "EMA of the close with bands a multiple of ATR away",
            vec![
                num("upper", "middle + mult * ATR"),
                num("middle", "EMA(close, period)"),
                num("lower", "middle - mult * ATR"),
            ],
            vec![
                period(20),
                int("atr_period", 10, 1, 100_000, "ATR period"),
                float("mult", 2.0, 0.0, 100.0, "Band width in ATRs"),
            ],
        )
        .doc(
            "middle = EMA(close, n); upper/lower = middle +/- mult * ATR(atr_period)",
            "StockCharts ChartSchool, Keltner Channels (after Chester Keltner, 1960, and Linda Raschke)",
        ),
        bars_indicator(
            "indicator.donchian",
            "Donchian channels",
            "Highest high and lowest low of the last n bars",
            vec![
                num("upper", "Highest high of n bars (this bar included)"),
                num("middle", "(upper + lower) / 2"),
                num("lower", "Lowest low of n bars"),
            ],
            vec![period(20)],
        )
        .doc(
            "upper = max(h[t-n+1..t]); lower = min(l[t-n+1..t]); middle = (upper + lower)/2",
            "Richard Donchian; StockCharts ChartSchool, Donchian Channels",
        ),
        bars_indicator(
            "indicator.ichimoku",
            "Ichimoku",
            "Ichimoku kinko hyo: conversion and base lines and the cloud",
            vec![
                num("tenkan", "Conversion line"),
                num("kijun", "Base line"),
                num("span_a", "Leading span A, as plotted at this bar"),
                num("span_b", "Leading span B, as plotted at this bar"),
            ],
            vec![
                int("tenkan", 9, 1, 100_000, "Conversion line period"),
                int("kijun", 26, 1, 100_000, "Base line period"),
                int("senkou", 52, 1, 100_000, "Leading span B period"),
                int("displacement", 26, 0, 100_000, "Bars the spans are plotted ahead"),
            ],
        )
        .doc(
            "mid_p = (highest high + lowest low)/2 over p bars; tenkan = mid_9; kijun = mid_26; span_a[t] = (tenkan + kijun)/2 at t - 26; span_b[t] = mid_52 at t - 26; the lagging span is not offered (it needs future bars)",
            "Goichi Hosoda; StockCharts ChartSchool, Ichimoku Cloud",
        ),
        bars_indicator(
            "indicator.supertrend",
            "SuperTrend",
            "ATR trailing line that flips with the trend",
            vec![
                num("line", "The SuperTrend line"),
                boolean("up", "True in an uptrend (line below price)"),
            ],
            vec![
                int("period", 10, 1, 100_000, "ATR period"),
                float("mult", 3.0, 0.0, 100.0, "Band width in ATRs"),
            ],
        )
        .doc(
            "bands = (h + l)/2 +/- mult * ATR; the lower band only rises and the upper only falls while the previous close stays beyond them; downtrend: line = upper band, turning up when the close ends above it; uptrend: line = lower band, turning down when the close ends below it; the first bar with an ATR is a downtrend",
            "TradingView Pine Script reference, ta.supertrend (after Olivier Seban)",
        ),
        series_indicator(
            "indicator.linreg_slope",
            "Linear regression slope",
            "Slope per bar of the least-squares line through the last n values",
            vec![window(14, 2)],
        )
        .doc(
            "m = (n * sum(i * y) - sum(i) * sum(y)) / (n * sum(i^2) - sum(i)^2) over the last n values, i = 0..n-1 in time order",
            "TA-Lib LINEARREG_SLOPE",
        ),
        series_indicator(
            "indicator.linreg",
            "Linear regression",
            "End point of the least-squares line through the last n values",
            vec![window(14, 2)],
        )
        .doc(
            "b + m * (n - 1), m the slope and b = (sum(y) - m * sum(i))/n the intercept of the least-squares line",
            "TA-Lib LINEARREG",
        ),
        series_indicator(
            "indicator.zscore",
            "z-score",
            "Distance from the n-bar mean in standard deviations",
            vec![period2(20)],
        )
        .doc(
            "z = (x - SMA_n(x)) / sigma_n(x), sigma the population standard deviation; missing when sigma = 0",
            "the standard score (statistics)",
        ),
        spec(
            "indicator.correl",
            Category::Indicator,
            "Correlation",
            "Pearson correlation of two series over n bars, -1 to 1",
            vec![num("a", "First series"), num("b", "Second series")],
            vec![num("out", "Correlation")],
            vec![window(30, 2)],
        )
        .doc(
            "r = sum((a - mean a)(b - mean b)) / sqrt(sum((a - mean a)^2) * sum((b - mean b)^2)) over n bars; missing when either is constant",
            "TA-Lib CORREL",
        ),
        series_indicator(
            "indicator.momentum",
            "Momentum",
            "Change over n bars",
            vec![period(10)],
        )
        .doc("MOM = x[t] - x[t-n]", "TA-Lib MOM"),
        spec(
            "math.lag",
            Category::Math,
            "Lag",
            "The input n bars ago",
            vec![num("in", "Input series")],
            vec![num("out", "in[t - n]")],
            vec![int("period", 1, 1, 1_000_000, "Bars back")],
        )
        .doc("x[t - n]", ""),
    ]
}

fn patterns() -> Vec<NodeSpec> {
    let info: [(&str, &str, &str); 15] = [
        (
            "Doji",
            "Open and close (almost) equal",
            "body <= 0.1 * average high-low range of the 10 previous candles",
        ),
        (
            "Dragonfly doji",
            "Doji with a long lower shadow and no upper shadow",
            "doji; upper shadow < 0.1 * average range and lower shadow > it",
        ),
        (
            "Gravestone doji",
            "Doji with a long upper shadow and no lower shadow",
            "doji; lower shadow < 0.1 * average range and upper shadow > it",
        ),
        (
            "Hammer",
            "Small body at the top, long lower shadow, near the previous low",
            "body < average body; lower shadow > body; upper shadow < 0.1 * average range; min(o, c) <= previous low + 0.2 * average range",
        ),
        (
            "Hanging man",
            "Hammer shape near the previous high (bearish)",
            "as hammer, with min(o, c) >= previous high - 0.2 * average range",
        ),
        (
            "Inverted hammer",
            "Small body at the bottom, long upper shadow, gapping down",
            "body < average body; upper shadow > body; lower shadow < 0.1 * average range; body gaps below the previous body",
        ),
        (
            "Shooting star",
            "Small body at the bottom, long upper shadow, gapping up (bearish)",
            "as inverted hammer, with the body gapping above the previous body",
        ),
        (
            "Engulfing",
            "A body that engulfs the previous opposite-coloured body",
            "bull: black then white with c >= o[t-1] and o < c[t-1] (one side may be equal); bear mirrored",
        ),
        (
            "Harami",
            "A small body inside the previous long body",
            "previous body > average body; body <= average body; body within the previous body; bull after a black candle, bear after a white one",
        ),
        (
            "Morning star",
            "Long black, short body gapping down, white closing into the first (bullish)",
            "body[t-2] long and black; body[t-1] short, gapping down; body[t] > average, white, c > c[t-2] + 0.3 * body[t-2]",
        ),
        (
            "Evening star",
            "Long white, short body gapping up, black closing into the first (bearish)",
            "body[t-2] long and white; body[t-1] short, gapping up; body[t] > average, black, c < c[t-2] - 0.3 * body[t-2]",
        ),
        (
            "Marubozu",
            "Long body with (almost) no shadows",
            "body > average body; both shadows < 0.1 * average range; bull if white, bear if black",
        ),
        (
            "Spinning top",
            "Small body with shadows longer than the body",
            "body < average body; both shadows > body; bull if white, bear if black",
        ),
        (
            "Piercing",
            "Long black, then a long white opening below its low and closing past its midpoint",
            "black long; white long; o < l[t-1]; c[t-1] + 0.5 * body[t-1] < c < o[t-1]",
        ),
        (
            "Dark cloud cover",
            "Long white, then a black opening above its high and closing below its midpoint",
            "white long; black; o > h[t-1]; o[t-1] < c < c[t-1] - 0.5 * body[t-1]",
        ),
    ];
    Pattern::ALL
        .iter()
        .zip(info)
        .map(|(&(p, kind, reference), (label, help, formula))| {
            let outputs = if p.two_sided() {
                vec![
                    boolean("bull", "True on a bullish occurrence"),
                    boolean("bear", "True on a bearish occurrence"),
                ]
            } else {
                vec![boolean(
                    "out",
                    "True where the pattern completes at this bar",
                )]
            };
            spec(
                kind,
                Category::Pattern,
                label,
                help,
                vec![],
                outputs,
                vec![],
            )
            .doc(formula, reference)
        })
        .collect()
}

fn time_and_state() -> Vec<NodeSpec> {
    use Category::{Position, Time, Timeframe as Tf};
    vec![
        spec(
            "timeframe.bar",
            Tf,
            "Higher timeframe",
            "The last closed bar of a higher timeframe (weekly close on daily bars...)",
            vec![],
            vec![
                num("open", "Open of the last closed higher bar"),
                num("high", "High of the last closed higher bar"),
                num("low", "Low of the last closed higher bar"),
                num("close", "Close of the last closed higher bar"),
                num("volume", "Volume of the last closed higher bar"),
            ],
            vec![timeframe(), zone()],
        )
        .doc(
            "the bars whose local time falls in one period (15min, 30min, 1h, 4h from midnight, day, ISO week from Monday, month) form a higher bar: first open, highest high, lowest low, last close, summed volume; it becomes visible on the first bar of the next period and stays until the next one closes",
            "docs/backtest-semantics.md (higher timeframes)",
        ),
        spec(
            "time.session",
            Time,
            "Session",
            "True while the bar's local time is within the session",
            vec![],
            vec![boolean("out", "In the session")],
            vec![
                int("start_hour", 9, 0, 23, "Session start, hour"),
                int("start_minute", 30, 0, 59, "Session start, minute"),
                int("end_hour", 16, 0, 23, "Session end, hour (exclusive)"),
                int("end_minute", 0, 0, 59, "Session end, minute"),
                zone(),
            ],
        )
        .doc(
            "start <= local time of the bar's open < end; a session that ends before it starts runs overnight; start = end is the whole day",
            "",
        ),
        spec(
            "time.day_of_week",
            Time,
            "Day of week",
            "True on the chosen days of the week",
            vec![],
            vec![
                boolean("out", "The day is within from..to"),
                num("day", "Day of the week, 1 = Monday .. 7 = Sunday"),
            ],
            vec![
                choice("from", DAYS, "monday", "First day"),
                choice("to", DAYS, "friday", "Last day (inclusive; may wrap past Sunday)"),
                zone(),
            ],
        )
        .doc("from <= local weekday <= to (wrapping when from > to)", "ISO 8601 weekdays"),
        spec(
            "time.date_range",
            Time,
            "Date range",
            "True from one date to another, both included",
            vec![],
            vec![boolean("out", "The date is in the range")],
            vec![
                int("from", 19_700_101, 0, 99_991_231, "First date, YYYYMMDD"),
                int("to", 99_991_231, 0, 99_991_231, "Last date, YYYYMMDD"),
                zone(),
            ],
        )
        .doc("from <= local date as YYYYMMDD <= to", ""),
        spec(
            "time.calendar",
            Time,
            "Calendar",
            "The bar's local date and time as numbers",
            vec![],
            vec![
                num("year", "Year"),
                num("month", "Month, 1-12"),
                num("day", "Day of the month, 1-31"),
                num("weekday", "Day of the week, 1 = Monday .. 7 = Sunday"),
                num("time", "Time of day as HHMM (930 = 09:30)"),
            ],
            vec![zone()],
        )
        .doc("fields of the local date and time of the bar's open", ""),
        spec(
            "time.period_start",
            Time,
            "New period",
            "True on the first bar of each day, week, month...",
            vec![],
            vec![boolean("out", "First bar of a period")],
            vec![
                choice("timeframe", Timeframe::NAMES, "day", "The period"),
                zone(),
            ],
        )
        .doc(
            "period(bar) != period(previous bar); true on the first bar of the data",
            "",
        ),
        spec(
            "position.in_position",
            Position,
            "In position",
            "True while a position is open at this bar's close",
            vec![],
            vec![boolean("out", "A position (on the side) is open")],
            vec![choice(
                "side",
                &["any", "long", "short"],
                "any",
                "Which positions count",
            )],
        )
        .doc(
            "position after this bar's open fill and stops, before the orders decided at this close",
            "docs/backtest-semantics.md (position state)",
        ),
        spec(
            "position.bars_in_trade",
            Position,
            "Bars in trade",
            "Bars since the open position's entry fill",
            vec![],
            vec![num("out", "t - entry bar (0 on the fill bar); missing when flat")],
            vec![],
        )
        .doc("t - entry bar", "docs/backtest-semantics.md (position state)"),
        spec(
            "position.entry_price",
            Position,
            "Entry price",
            "Fill price of the open position",
            vec![],
            vec![num("out", "Entry fill price, slippage included; missing when flat")],
            vec![],
        )
        .doc("entry fill price", "docs/backtest-semantics.md (position state)"),
        spec(
            "position.open_pnl",
            Position,
            "Open P&L",
            "Profit of the open position marked at this close",
            vec![],
            vec![
                num("value", "dir * units * (close - entry) - entry commission"),
                num("pct", "value / (units * entry) * 100"),
            ],
            vec![],
        )
        .doc(
            "value = dir * units * (close - entry price) - entry commission; pct = value / (units * entry price) * 100; missing when flat",
            "docs/backtest-semantics.md (position state)",
        ),
    ]
}

/// Every library kind.
pub(super) fn kinds() -> Vec<NodeSpec> {
    let mut all = indicators();
    all.extend(patterns());
    all.extend(time_and_state());
    all
}
