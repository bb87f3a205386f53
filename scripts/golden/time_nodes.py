#!/usr/bin/env python3
"""Golden reference outputs for the time nodes and higher-timeframe bars
(crates/engine/src/kernels/calendar.rs), computed with pandas and zoneinfo.

Writes crates/engine/tests/golden/calendar.json: hourly bars on weekdays only (weekends are
missing, as in market data) from 2024-02-26 to 2024-05-03, across the European and US
daylight-saving changes, and for several time zones and timeframes the expected output of
timeframe.bar, time.session, time.day_of_week, time.date_range, time.calendar and
time.period_start. `cargo test -p stratagraph-engine --test engine calendar` checks the engine
against it (tests/engine/calendar_golden.rs).

Rerun (from the repository root, Python 3.11):

    python3 -m venv .venv
    .venv/bin/pip install -r scripts/requirements-dev.txt
    .venv/bin/python scripts/golden/time_nodes.py

The rules re-stated here, independently of the engine: a bar's time is its opening time; a
higher-timeframe bar groups the bars whose local time falls in one period (floor to 15min,
30min, 1h or 4h of local time, the local date, the ISO week from Monday, the month); its value
is visible from the first bar of the next period on (the previous group's aggregate), missing
before the first period has closed. For timeframe.bar the file holds the higher bars and, per
bar, which of them is visible.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "engine" / "tests" / "golden" / "calendar.json"
ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata"]
TIMEFRAMES = ["4h", "day", "week", "month"]


def make_bars() -> pd.DataFrame:
    times = pd.date_range("2024-02-26", "2024-05-03 23:00", freq="h", tz="UTC")
    times = times[times.day_of_week < 5]
    rng = np.random.default_rng(5)
    n = len(times)
    close = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.004, n))), 2)
    open_ = np.round(np.concatenate([[100.0], close[:-1]]) * np.exp(rng.normal(0, 0.001, n)), 2)
    high = np.round(np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.002, n))), 2)
    low = np.round(np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.002, n))), 2)
    high, low = np.maximum(high, np.maximum(open_, close)), np.minimum(low, np.minimum(open_, close))
    volume = rng.integers(100, 10_000, n).astype(float)
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=times
    )


def period_keys(local: pd.DatetimeIndex, tf: str) -> list:
    if tf in ("15min", "30min", "1h", "4h"):
        return list(local.floor(tf.replace("1h", "h")))
    day = local.normalize()
    if tf == "day":
        return list(day)
    if tf == "week":
        return list(day - pd.to_timedelta(local.day_of_week, unit="D"))
    return [(t.year, t.month) for t in local]


def higher(df: pd.DataFrame, local: pd.DatetimeIndex, tf: str) -> dict:
    """The closed higher bars (open, high, low, close, volume per period, in order) and, per
    bar, the index of the one visible there (-1: none has closed yet)."""
    keys = period_keys(local, tf)
    groups: list[list[int]] = []
    for i, k in enumerate(keys):
        if i == 0 or k != keys[i - 1]:
            groups.append([])
        groups[-1].append(i)
    bars, visible = [], [-1] * len(df)
    for g, members in enumerate(groups):
        rows = df.iloc[members]
        bars.append([float(rows["open"].iloc[0]), float(rows["high"].max()),
                     float(rows["low"].min()), float(rows["close"].iloc[-1]),
                     math.fsum(rows["volume"])])
        for i in members:
            visible[i] = g - 1
    return {"bars": bars, "visible": visible}


def main() -> None:
    df = make_bars()
    cases = []
    for zone in ZONES:
        local = df.index.tz_convert(zone).tz_localize(None)
        # Hourly bars make every sub-hour period one bar; 1h matters where the zone is offset
        # by half an hour.
        for tf in TIMEFRAMES + (["30min", "1h"] if zone == "Asia/Kolkata" else []):
            cases.append({"node": "timeframe.bar", "timezone": zone, "timeframe": tf,
                          "higher": higher(df, local, tf)})
            keys = period_keys(local, tf)
            start = [1.0 if i == 0 or keys[i] != keys[i - 1] else 0.0 for i in range(len(df))]
            cases.append({"node": "time.period_start", "timezone": zone, "timeframe": tf,
                          "outputs": {"out": start}})
        minutes = local.hour * 60 + local.minute
        for s, e in ((9 * 60 + 30, 16 * 60), (22 * 60, 6 * 60), (8 * 60, 8 * 60)):
            if s < e:
                inside = (minutes >= s) & (minutes < e)
            elif s > e:
                inside = (minutes >= s) | (minutes < e)
            else:
                inside = np.ones(len(df), dtype=bool)
            cases.append({"node": "time.session", "timezone": zone, "start": s, "end": e,
                          "outputs": {"out": [float(x) for x in inside]}})
        iso = local.day_of_week + 1
        for a, b in ((1, 5), (2, 2), (5, 1)):
            inside = (iso >= a) & (iso <= b) if a <= b else (iso >= a) | (iso <= b)
            cases.append({"node": "time.day_of_week", "timezone": zone, "from": a, "to": b,
                          "outputs": {"out": [float(x) for x in inside],
                                      "day": [float(x) for x in iso]}})
        ymd = local.year * 10000 + local.month * 100 + local.day
        for a, b in ((20240310, 20240331), (20240401, 20240401)):
            inside = (ymd >= a) & (ymd <= b)
            cases.append({"node": "time.date_range", "timezone": zone, "from": a, "to": b,
                          "outputs": {"out": [float(x) for x in inside]}})
        cases.append({"node": "time.calendar", "timezone": zone, "outputs": {
            "year": [float(x) for x in local.year],
            "month": [float(x) for x in local.month],
            "day": [float(x) for x in local.day],
            "weekday": [float(x) for x in iso],
            "time": [float(x) for x in local.hour * 100 + local.minute],
        }})
    doc = {
        "generator": "scripts/golden/time_nodes.py",
        "reference": f"pandas {pd.__version__}, zoneinfo",
        "input": {
            "time": [int(t.value // 1_000_000) for t in df.index],
            **{c: [float(x) for x in df[c]] for c in df.columns},
        },
        "cases": cases,
    }
    for case in cases:
        for name, values in case.get("outputs", {}).items():
            case["outputs"][name] = [int(v) for v in values]  # flags and fields: whole numbers
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes), {len(cases)} cases")


if __name__ == "__main__":
    main()
