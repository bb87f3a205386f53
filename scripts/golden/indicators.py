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

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "engine" / "tests" / "golden" / "indicators.json"

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
    return out


def to_json(x):
    if isinstance(x, np.ndarray):
        return [None if math.isnan(float(a)) else float(a) for a in x]
    if isinstance(x, dict):
        return {k: to_json(a) for k, a in x.items()}
    if isinstance(x, list):
        return [to_json(a) for a in x]
    return x


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


if __name__ == "__main__":
    main()
