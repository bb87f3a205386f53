#!/usr/bin/env python3
"""Golden reference outputs for crates/engine/src/indicators.rs, computed with TA-Lib.

Writes crates/engine/tests/golden/indicators.json: a deterministic OHLCV input (a seeded
random walk, prices in cents, with a flat high == low stretch and zero volumes) and the
reference output of every indicator; `cargo test -p stratagraph-engine --test engine`
checks the engine against it (tests/engine/indicators_golden.rs).

Rerun (from the repository root, Python 3.11):

    python3 -m venv .venv
    .venv/bin/pip install -r scripts/requirements-dev.txt
    .venv/bin/python scripts/golden/indicators.py

The output is deterministic: rerunning it must not change the file.

Reference: TA-Lib (the `TA-Lib` wheel bundles the C library) for every indicator it has,
called with its defaults (SMA matype, no unstable period). Raw TA-Lib outputs are stored; the
Rust test maps the documented convention differences (OBV starting at 0 instead of v[0],
stochastic NaN instead of 0 on a zero range). The MACD line and stochastic %K come from a
second TA-Lib call with a signal / %D period of 1, because TA-Lib blanks them until the
signal / %D starts, while the engine gives them from their own first bar. One output is not
TA-Lib's: the rolling VWAP, which TA-Lib lacks, computed here from its formula with exact
window sums (math.fsum over each window).

TA-Lib's STDDEV/BBANDS use sqrt(mean(x^2) - mean(x)^2) with running sums, which can lose
digits when the spread is small next to the price; the script checks them against an exact
two-pass fsum standard deviation to 1e-9 before writing them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import talib
import talib.abstract

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "engine" / "tests" / "golden" / "indicators.json"
PATTERNS_OUT = ROOT / "crates" / "engine" / "tests" / "golden" / "patterns.json"
PATTERN_BARS = 6000
PATTERN_SEED = 2
# TA-Lib candlestick functions, by the engine's kind (pattern.<name>).
PATTERNS = {
    "doji": "CDLDOJI",
    "dragonfly_doji": "CDLDRAGONFLYDOJI",
    "gravestone_doji": "CDLGRAVESTONEDOJI",
    "hammer": "CDLHAMMER",
    "hanging_man": "CDLHANGINGMAN",
    "inverted_hammer": "CDLINVERTEDHAMMER",
    "shooting_star": "CDLSHOOTINGSTAR",
    "engulfing": "CDLENGULFING",
    "harami": "CDLHARAMI",
    "morning_star": "CDLMORNINGSTAR",
    "evening_star": "CDLEVENINGSTAR",
    "marubozu": "CDLMARUBOZU",
    "spinning_top": "CDLSPINNINGTOP",
    "piercing": "CDLPIERCING",
    "dark_cloud_cover": "CDLDARKCLOUDCOVER",
}

N_BARS = 600
SEED = 20240611
FLAT_START, FLAT_LEN = 300, 30  # o == h == l == c for FLAT_LEN bars
ZERO_VOL_START, ZERO_VOL_LEN = 303, 24  # volume 0 inside the flat stretch


def make_input() -> dict[str, np.ndarray]:
    """A seeded OHLCV random walk rounded to cents, with a flat, zero-range stretch."""
    rng = np.random.default_rng(SEED)
    close = np.empty(N_BARS)
    open_ = np.empty(N_BARS)
    high = np.empty(N_BARS)
    low = np.empty(N_BARS)
    prev = 100.0
    for i in range(N_BARS):
        o = round(prev * math.exp(rng.normal(0.0, 0.004)), 2)
        c = round(o * math.exp(rng.normal(0.0, 0.015)), 2)
        h = round(max(o, c) * (1.0 + abs(rng.normal(0.0, 0.006))), 2)
        lo = round(min(o, c) * (1.0 - abs(rng.normal(0.0, 0.006))), 2)
        open_[i], high[i], low[i], close[i] = o, max(h, o, c), min(lo, o, c), c
        prev = c
    flat = close[FLAT_START - 1]
    for i in range(FLAT_START, FLAT_START + FLAT_LEN):
        open_[i] = high[i] = low[i] = close[i] = flat
    volume = rng.integers(1_000, 100_000, N_BARS).astype(float)
    volume[ZERO_VOL_START : ZERO_VOL_START + ZERO_VOL_LEN] = 0.0
    assert np.all(high >= low) and np.all(high >= np.maximum(open_, close))
    assert np.all(low <= np.minimum(open_, close)) and np.all(low > 0)
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def window_std(x: np.ndarray, n: int) -> np.ndarray:
    """Population standard deviation over n bars, two-pass with exact (fsum) sums."""
    out = np.full(len(x), np.nan)
    for t in range(n - 1, len(x)):
        w = x[t + 1 - n : t + 1]
        mean = math.fsum(w) / n
        out[t] = math.sqrt(math.fsum((v - mean) ** 2 for v in w) / n)
    return out


def window_vwap(h, l, c, v, n: int) -> np.ndarray:
    """Rolling VWAP over n bars: fsum(tp*v)/fsum(v), tp = (h+l+c)/3; NaN when fsum(v) == 0."""
    tp = (h + l + c) / 3.0
    out = np.full(len(c), np.nan)
    for t in range(n - 1, len(c)):
        sv = math.fsum(v[t + 1 - n : t + 1])
        if sv != 0.0:
            out[t] = math.fsum(tp[t + 1 - n : t + 1] * v[t + 1 - n : t + 1]) / sv
    return out


def close_enough(a: np.ndarray, b: np.ndarray, rel: float) -> bool:
    both = ~np.isnan(a) & ~np.isnan(b)
    same_nan = np.array_equal(np.isnan(a), np.isnan(b))
    tol = rel * np.maximum(1.0, np.abs(b[both]))
    return same_nan and bool(np.all(np.abs(a[both] - b[both]) <= tol))


def cases(d: dict[str, np.ndarray]) -> list[dict]:
    h, l, c, v = d["high"], d["low"], d["close"], d["volume"]
    out: list[dict] = []

    def add(name: str, params: dict, **outputs: np.ndarray) -> None:
        out.append({"indicator": name, "params": params, "outputs": outputs})

    for n in (2, 5, 20, 50):
        add("sma", {"n": n}, out=talib.SMA(c, n))
        add("ema", {"n": n}, out=talib.EMA(c, n))
        add("wma", {"n": n}, out=talib.WMA(c, n))
        add("highest", {"n": n}, out=talib.MAX(c, n))
        add("lowest", {"n": n}, out=talib.MIN(c, n))
        sd = talib.STDDEV(c, n, 1.0)
        assert close_enough(sd, window_std(c, n), 1e-9)
        add("stddev", {"n": n}, out=sd)
        add("vwap", {"n": n}, out=window_vwap(h, l, c, v, n))
    for n in (1, 10, 20):
        add("roc", {"n": n}, out=talib.ROC(c, n))
    for n in (2, 14, 30):
        add("rsi", {"n": n}, out=talib.RSI(c, n))
    for n in (1, 14, 30):
        add("atr", {"n": n}, out=talib.ATR(h, l, c, n))
    for n, k in ((20, 2.0), (10, 1.5)):
        sd = window_std(c, n)
        mid = talib.SMA(c, n)
        up, tmid, lo = talib.BBANDS(c, n, k, k, 0)
        assert close_enough(up, mid + k * sd, 1e-9) and close_enough(lo, mid - k * sd, 1e-9)
        add("bollinger", {"n": n, "k": k}, upper=up, middle=tmid, lower=lo)
    for fast, slow, sig in ((12, 26, 9), (5, 35, 5)):
        line, signal, hist = talib.MACD(c, fast, slow, sig)
        # TA-Lib blanks the line until the signal starts; with a signal period of 1 it gives
        # the same line from the slow EMA's first bar on.
        full_line = talib.MACD(c, fast, slow, 1)[0]
        assert close_enough(np.where(np.isnan(line), np.nan, full_line), line, 1e-12)
        add("macd", {"fast": fast, "slow": slow, "signal": sig},
            line=full_line, signal=signal, hist=hist)
    for kp, ks, dp in ((14, 3, 3), (5, 1, 4)):
        k, dd = talib.STOCH(h, l, c, kp, ks, 0, dp, 0)
        # Likewise %K alone from its own first bar: %D period 1.
        full_k = talib.STOCH(h, l, c, kp, ks, 0, 1, 0)[0]
        assert close_enough(np.where(np.isnan(k), np.nan, full_k), k, 1e-12)
        add("stochastic", {"k_period": kp, "k_smooth": ks, "d_period": dp}, k=full_k, d=dd)
    add("obv", {}, out=talib.OBV(c, v))
    out.extend(library_cases(d))
    return out


def window_sums(x: np.ndarray, n: int) -> np.ndarray:
    """Exact (fsum) sums of x over each window of n bars ending at t; NaN before."""
    out = np.full(len(x), np.nan)
    for t in range(n - 1, len(x)):
        out[t] = math.fsum(x[t + 1 - n : t + 1])
    return out


def masked(x: np.ndarray, nan_where: np.ndarray) -> np.ndarray:
    """x with NaN where the engine gives a missing value and TA-Lib writes 0."""
    y = x.copy()
    y[nan_where] = np.nan
    return y


def supertrend(h, l, c, n: int, mult: float):
    """TradingView's ta.supertrend reference algorithm over TA-Lib's ATR."""
    atr = talib.ATR(h, l, c, n)
    line = np.full(len(c), np.nan)
    up = np.full(len(c), np.nan)
    prev = None  # (upper, lower, line was the upper band)
    for t in range(len(c)):
        if math.isnan(atr[t]):
            prev = None
            continue
        hl2 = (h[t] + l[t]) / 2.0
        upper, lower = hl2 + mult * atr[t], hl2 - mult * atr[t]
        pu, pl = (prev[0], prev[1]) if prev else (0.0, 0.0)
        pc = c[t - 1]
        lower = lower if (lower > pl or pc < pl) else pl
        upper = upper if (upper < pu or pc > pu) else pu
        if prev is None:
            down = True
        elif prev[2]:
            down = not (c[t] > upper)
        else:
            down = c[t] < lower
        prev = (upper, lower, down)
        line[t] = upper if down else lower
        up[t] = 0.0 if down else 1.0
    return line, up


def library_cases(d: dict[str, np.ndarray]) -> list[dict]:
    """The library indicators (crates/engine/src/kernels). Where TA-Lib writes 0 for an
    undefined value (zero range, no money flow, no true range, constant window) the engine
    gives a missing value: those bars are stored as null, found from the inputs here."""
    h, l, c, v = d["high"], d["low"], d["close"], d["volume"]
    out: list[dict] = []

    def add(name: str, params: dict, **outputs: np.ndarray) -> None:
        out.append({"indicator": name, "params": params, "outputs": outputs})

    tp = (h + l + c) / 3.0
    tr = np.concatenate([[np.nan], np.maximum(h[1:], c[:-1]) - np.minimum(l[1:], c[:-1])])
    for n in (5, 14, 30):
        add("adx", {"n": n}, adx=talib.ADX(h, l, c, n), plus_di=talib.PLUS_DI(h, l, c, n),
            minus_di=talib.MINUS_DI(h, l, c, n))
        down, up = talib.AROON(h, l, n)
        add("aroon", {"n": n}, up=up, down=down, osc=talib.AROONOSC(h, l, n))
        add("cci", {"n": n}, out=talib.CCI(h, l, c, n))
        add("cmo", {"n": n}, out=talib.CMO(c, n))
        flow = np.zeros(len(c))
        moved = np.concatenate([[False], tp[1:] != tp[:-1]])
        flow[moved] = (tp * v)[moved]
        no_flow = np.concatenate([[False], window_sums(flow[1:], n) < 1.0])
        add("mfi", {"n": n}, out=masked(talib.MFI(h, l, c, v, n), no_flow))
        flat = talib.MAX(h, n) == talib.MIN(l, n)
        add("willr", {"n": n}, out=masked(talib.WILLR(h, l, c, n), flat))
        add("kama", {"n": n}, out=talib.KAMA(c, n))
        add("dema", {"n": n}, out=talib.DEMA(c, n))
        add("tema", {"n": n}, out=talib.TEMA(c, n))
        add("trix", {"n": n}, out=talib.TRIX(c, n))
        add("linreg_slope", {"n": n}, out=talib.LINEARREG_SLOPE(c, n))
        add("linreg", {"n": n}, out=talib.LINEARREG(c, n))
        add("momentum", {"n": n}, out=talib.MOM(c, n))
        lag = np.full(len(c), np.nan)
        lag[n:] = c[:-n]
        add("lag", {"n": n}, out=lag)
        sd = window_std(c, n)
        mean = window_sums(c, n) / n
        z = np.where(sd > 0, (c - mean) / np.where(sd > 0, sd, 1.0), np.nan)
        add("zscore", {"n": n}, out=z)
        const = (window_std(c, n) == 0) | (window_std(v, n) == 0)
        correl = talib.CORREL(c, v, n)
        add("correl", {"n": n}, out=masked(correl, const))
        add("donchian", {"n": n}, upper=talib.MAX(h, n), middle=(talib.MAX(h, n) + talib.MIN(l, n)) / 2.0,
            lower=talib.MIN(l, n))
    for fast, slow in ((12, 26), (5, 35)):
        for ma, matype in (("ema", 1), ("sma", 0)):
            add("ppo", {"fast": fast, "slow": slow, "ema": float(matype)},
                out=talib.PPO(c, fast, slow, matype))
    for n, a in ((5, 0.7), (3, 0.5)):
        add("t3", {"n": n, "vfactor": a}, out=talib.T3(c, n, a))
    for step, mx in ((0.02, 0.2), (0.05, 0.3)):
        add("sar", {"step": step, "max": mx}, out=talib.SAR(h, l, step, mx))
    for periods in ((7, 14, 28), (5, 10, 20)):
        no_range = np.zeros(len(c), dtype=bool)
        for p in periods:
            no_range |= window_sums(np.nan_to_num(tr), p) == 0
        add("ultosc", {"fast": periods[0], "mid": periods[1], "slow": periods[2]},
            out=masked(talib.ULTOSC(h, l, c, *periods), no_range))
    for n, an, m in ((20, 10, 2.0), (10, 14, 1.5)):
        mid = talib.EMA(c, n)
        atr = talib.ATR(h, l, c, an)
        add("keltner", {"n": n, "atr_n": an, "mult": m}, upper=mid + m * atr, middle=mid,
            lower=mid - m * atr)
    for t_, k_, s_, disp in ((9, 26, 52, 26), (7, 22, 44, 0)):
        def mid(p):
            return (talib.MAX(h, p) + talib.MIN(l, p)) / 2.0
        tenkan, kijun = mid(t_), mid(k_)
        a, b = (tenkan + kijun) / 2.0, mid(s_)
        span_a = np.full(len(c), np.nan)
        span_b = np.full(len(c), np.nan)
        span_a[disp:] = a[: len(c) - disp]
        span_b[disp:] = b[: len(c) - disp]
        add("ichimoku", {"tenkan": t_, "kijun": k_, "senkou": s_, "displacement": disp},
            tenkan=tenkan, kijun=kijun, span_a=span_a, span_b=span_b)
    for n, m in ((10, 3.0), (7, 2.0)):
        line, up = supertrend(h, l, c, n, m)
        add("supertrend", {"n": n, "mult": m}, line=line, up=up)
    return out


def to_json(x):
    if isinstance(x, np.ndarray):
        return [None if math.isnan(float(a)) else float(a) for a in x]
    if isinstance(x, dict):
        return {k: to_json(a) for k, a in x.items()}
    if isinstance(x, list):
        return [to_json(a) for a in x]
    return x


def make_candles() -> dict[str, np.ndarray]:
    """Cent-rounded candles with a mix of body sizes, shadows, gaps and short trends, so that
    every pattern occurs several times on both sides (a plain random walk rarely makes stars,
    piercing lines or dark clouds)."""
    rng = np.random.default_rng(PATTERN_SEED)
    n = PATTERN_BARS
    o, h, l, c = (np.empty(n) for _ in range(4))
    prev, trend = 100.0, 0.0
    for i in range(n):
        if i % 40 == 0:
            trend = rng.choice([-1, 0, 1]) * 0.006
        gap = rng.choice([0, 0, 0, 1, -1]) * abs(rng.normal(0, 0.01))
        op = prev * (1 + gap)
        size = [0.0005, 0.004, 0.012, 0.03][rng.choice(4, p=[0.2, 0.3, 0.3, 0.2])]
        cl = op * (1 + trend + rng.normal(0, size))
        up = abs(rng.normal(0, 0.006)) * rng.choice([0, 0.3, 1, 3])
        dn = abs(rng.normal(0, 0.006)) * rng.choice([0, 0.3, 1, 3])
        hi, lo = max(op, cl) * (1 + up), min(op, cl) * (1 - dn)
        op, cl, hi, lo = (round(x, 2) for x in (op, cl, hi, lo))
        o[i], h[i], l[i], c[i] = op, max(hi, op, cl), min(lo, op, cl), cl
        prev = cl
    assert np.all(l > 0)
    return {"open": o, "high": h, "low": l, "close": c}


def pattern_doc() -> dict:
    """TA-Lib's output of every pattern on make_candles(), as [bar, value] for non-zero
    values, with each function's lookback (TA-Lib writes 0 before it, the engine nothing)."""
    d = make_candles()
    o, h, l, c = d["open"], d["high"], d["low"], d["close"]
    cases = {}
    for name, func in PATTERNS.items():
        r = getattr(talib, func)(o, h, l, c)
        hits = [[int(i), int(r[i])] for i in np.nonzero(r)[0]]
        assert (r > 0).sum() >= 3 or (r < 0).sum() >= 3, f"{func} too rare"
        cases[name] = {"function": func, "lookback": int(getattr(talib.abstract, func).lookback),
                       "hits": hits}
    return {
        "generator": "scripts/golden/indicators.py",
        "reference": f"TA-Lib python {talib.__version__}",
        "input": d,
        "patterns": cases,
    }


def main() -> None:
    d = make_input()
    doc = {
        "generator": "scripts/golden/indicators.py",
        "reference": f"TA-Lib python {talib.__version__}, numpy {np.__version__}",
        "nan": "null",
        "input": d,
        "cases": cases(d),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(to_json(doc), separators=(",", ":")) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")
    PATTERNS_OUT.write_text(json.dumps(to_json(pattern_doc()), separators=(",", ":")) + "\n")
    print(f"wrote {PATTERNS_OUT.relative_to(ROOT)} ({PATTERNS_OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
