#!/usr/bin/env python3
"""Whole-process speed: the `stratagraph` CLI against vectorbt's in-process read-and-run.

What it prints (medians of --runs runs, peak memory as /usr/bin/time -v reports it)
    1. backtest of the SMA-crossover example (fast 10, slow 20) on 1,000,000 minute bars,
       `--json` with the whole equity curve, and with `--equity-every 0` (no curve);
    2. the same on 10,000,000 bars, with the CSV's size next to the peak memory;
    3. the 100-combination sweep (fast 5..50 step 5 x slow 20..200 step 20) on 1,000,000 bars,
       `sweep --json`;
    4. Parquet: 10,000,000 bars, `stratagraph data inspect FILE.parquet` (load and check every
       bar, print the summary) as a whole process;
    and for each CSV case vectorbt's figure beside ours, with the ratio.

What is timed
    stratagraph: the whole process, wall clock from spawn to exit (process start, reading and
        parsing the file, the run, writing the JSON to a file in a temporary directory).
        Peak memory: the process's maximum resident set size.
    vectorbt: inside a Python process that has already imported vectorbt and compiled its
        numba kernels (a warm-up on 10,000 bars, not timed): pandas.read_csv of the same CSV,
        the moving averages, the crossings shifted one bar (fills at the next open), and
        Portfolio.from_signals with the total return, as in scripts/bench/vectorbt_compare.py.
        Peak memory: that worker process's maximum resident set size (one worker per case),
        which includes Python, pandas and numba themselves (printed as "baseline").
    Not timed: building, writing the data files, importing Python modules.

How to run (dev only; the app never depends on Python)
    python3 -m venv .venv
    .venv/bin/pip install -r scripts/requirements-dev.txt
    .venv/bin/python scripts/bench/whole_process.py [--runs 5] [--no-build]
        [--skip-10m] [--skip-vectorbt]
    The data files go to $CARGO_TARGET_DIR/bench (else target/bench), written once with
    `stratagraph data synth` (CSV) and pandas/pyarrow (Parquet). The CLI is built with
    `cargo build --release -p stratagraph-cli` unless --no-build. Timings share the cores with
    whatever else runs: the load average is printed before each case.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
BIN = TARGET / "release" / "stratagraph"
DATA = TARGET / "bench"
GRAPH = ROOT / "examples" / "sma_crossover.json"
SEED = 7
FAST, SLOW = 10, 20  # the example's defaults
SWEEP_FAST = list(range(5, 51, 5))
SWEEP_SLOW = list(range(20, 201, 20))
INIT_CASH = 10_000.0
UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "STRATAGRAPH_DB")


def env() -> dict[str, str]:
    e = dict(os.environ)
    for k in UNSET:
        e.pop(k, None)
    return e


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def csv_path(bars: int) -> Path:
    return DATA / f"synth_minute_{bars}_seed{SEED}.csv"


def ensure_csv(bars: int) -> Path:
    p = csv_path(bars)
    if not p.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".tmp.csv")
        subprocess.run([str(BIN), "data", "synth", "--out", str(tmp), "--bars", str(bars),
                        "--step", "minute", "--seed", str(SEED)], check=True, env=env())  # fmt: skip
        tmp.rename(p)
        print(f"wrote {p} ({p.stat().st_size / 1e6:.0f} MB)")
    return p


def ensure_parquet(bars: int) -> Path:
    """The CSV's bars as Parquet the way pandas users have them (pyarrow, snappy, the dates as
    a timestamp column)."""
    p = DATA / f"synth_minute_{bars}_seed{SEED}.parquet"
    if not p.exists():
        import pandas as pd

        df = pd.read_csv(ensure_csv(bars))
        df["Date"] = pd.to_datetime(df["Date"], utc=True)
        tmp = p.with_suffix(".tmp.parquet")
        df.to_parquet(tmp, engine="pyarrow", compression="snappy", index=False)
        tmp.rename(p)
        print(f"wrote {p} ({p.stat().st_size / 1e6:.0f} MB)")
    return p


# ----------------------------------------------------------------------------- stratagraph


def run_ours(args: list[str], runs: int) -> dict:
    """Runs the CLI `runs` times with stdout to a file; wall times, peak RSS, the last output."""
    times, peaks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out, stats = Path(tmp) / "out", Path(tmp) / "time"
        for _ in range(runs):
            with open(out, "wb") as f:
                t0 = time.perf_counter()
                p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(stats), str(BIN), *args],
                                   stdout=f, stderr=subprocess.PIPE, env=env())  # fmt: skip
                times.append(time.perf_counter() - t0)
            if p.returncode != 0:
                sys.exit(f"stratagraph {' '.join(args)} failed:\n{p.stderr.decode()}")
            peaks.append(int(stats.read_text().split()[-1]) * 1024)
        text = out.read_bytes()
    return {"times": times, "median": statistics.median(times), "peak": max(peaks), "out": text}


# ----------------------------------------------------------------------------- vectorbt worker


def vbt_worker(case: str, data: Path, runs: int) -> None:
    """One case, in its own process; prints one JSON object."""
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    def signals(close, fast_w, slow_w):
        fast = vbt.MA.run(close, window=fast_w, short_name="fast")
        slow = vbt.MA.run(close, window=slow_w, short_name="slow")
        if case == "sweep":
            n, k = len(close), len(slow_w)
            cols = pd.MultiIndex.from_tuples([(f, s) for f in fast_w for s in slow_w])
            entries = np.empty((n, len(cols)), dtype=np.bool_)
            exits = np.empty((n, len(cols)), dtype=np.bool_)
            for i in range(len(fast_w)):
                f = fast.ma.iloc[:, i]
                entries[:, i * k : (i + 1) * k] = f.vbt.crossed_above(slow.ma).values
                exits[:, i * k : (i + 1) * k] = f.vbt.crossed_below(slow.ma).values
            entries = pd.DataFrame(entries, columns=cols)
            exits = pd.DataFrame(exits, columns=cols)
        else:
            entries = fast.ma_crossed_above(slow)
            exits = fast.ma_crossed_below(slow)
        # A signal at bar t's close fills at bar t+1's open.
        return entries.vbt.fshift(1), exits.vbt.fshift(1)

    def read_and_run(path_or_df):
        df = pd.read_csv(path_or_df) if isinstance(path_or_df, Path) else path_or_df
        close = df["Close"].astype(np.float64)
        open_ = df["Open"].astype(np.float64)
        fw, sw = (SWEEP_FAST, SWEEP_SLOW) if case == "sweep" else (FAST, SLOW)
        entries, exits = signals(close, fw, sw)
        pf = vbt.Portfolio.from_signals(close=close, entries=entries, exits=exits, price=open_,
                                        size=np.inf, size_granularity=1.0, init_cash=INIT_CASH,
                                        fees=0.0, slippage=0.0)  # fmt: skip
        return pf.total_return(), pf.final_value()

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # Warm-up: numba compiles (or loads its cache) on a small slice; not timed.
    read_and_run(pd.read_csv(data, nrows=10_000))
    warm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = read_and_run(data)
        times.append(time.perf_counter() - t0)
    tr, final = result
    if case == "sweep":
        final_value = float(final[(10, 20)]) if (10, 20) in final.index else None
    else:
        final_value = float(final)
    print(json.dumps({
        "times": times,
        "median": statistics.median(times),
        "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "baseline": max(baseline, warm),
        "final": final_value,
        "versions": {"vectorbt": vbt.__version__, "pandas": pd.__version__, "numpy": np.__version__},
    }))  # fmt: skip


def run_vbt(case: str, data: Path, runs: int) -> dict:
    p = subprocess.run([sys.executable, __file__, "--vbt-worker", case, "--data", str(data),
                        "--runs", str(runs)], capture_output=True, text=True, env=env())  # fmt: skip
    if p.returncode != 0:
        sys.exit(f"vectorbt worker ({case}) failed:\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- driver


def mb(n: float) -> str:
    return f"{n / 1e6:.0f} MB"


def show(label: str, ours: dict, theirs: dict | None, size: int | None = None) -> None:
    line = (f"{label:<44} stratagraph {ours['median']:.3f} s (runs {', '.join(f'{t:.3f}' for t in ours['times'])}), "
            f"peak {mb(ours['peak'])}")  # fmt: skip
    if size:
        line += f" = {ours['peak'] / size:.2f}x the file's {mb(size)}"
    print(line)
    if theirs:
        print(f"{'':<44} vectorbt    {theirs['median']:.3f} s (runs {', '.join(f'{t:.3f}' for t in theirs['times'])}), "
              f"peak {mb(theirs['peak'])} (baseline {mb(theirs['baseline'])})"
              f"  -> stratagraph is {theirs['median'] / ours['median']:.1f}x faster")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per case (median kept)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--skip-10m", action="store_true", help="leave out the 10,000,000-bar cases")
    ap.add_argument("--skip-vectorbt", action="store_true")
    ap.add_argument("--vbt-worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.vbt_worker:
        vbt_worker(a.vbt_worker, a.data, a.runs)
        return

    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "stratagraph-cli"], check=True)
    if not BIN.exists():
        sys.exit(f"{BIN} missing: cargo build --release -p stratagraph-cli")
    print(f"binary: {BIN}; cores: {os.cpu_count()}; runs per case: {a.runs} (median)")
    summary = []

    m1 = ensure_csv(1_000_000)
    bt = ["backtest", str(GRAPH), "--data", str(m1), "--json"]
    print(f"\n== backtest, 1,000,000 bars ({mb(m1.stat().st_size)} CSV); load {load()}")
    full = run_ours(bt, a.runs)
    none = run_ours([*bt, "--equity-every", "0"], a.runs)
    doc = json.loads(full["out"])
    assert json.loads(none["out"])["hash"] == doc["hash"]
    theirs = None if a.skip_vectorbt else run_vbt("backtest", m1, a.runs)
    show("--json (1,000,000 equity points)", full, theirs)
    show("--json --equity-every 0", none, theirs)
    if theirs:
        print(f"{'':<44} final equity: stratagraph {doc['metrics']['final_equity']:.4f}, "
              f"vectorbt {theirs['final']:.4f}")  # fmt: skip
        summary.append(("backtest 1M --json", full["median"], theirs["median"]))
        summary.append(("backtest 1M --json --equity-every 0", none["median"], theirs["median"]))

    if not a.skip_10m:
        m10 = ensure_csv(10_000_000)
        size = m10.stat().st_size
        bt10 = ["backtest", str(GRAPH), "--data", str(m10), "--json"]
        print(f"\n== backtest, 10,000,000 bars ({mb(size)} CSV); load {load()}")
        full10 = run_ours(bt10, a.runs)
        none10 = run_ours([*bt10, "--equity-every", "0"], a.runs)
        theirs10 = None if a.skip_vectorbt else run_vbt("backtest", m10, max(1, a.runs // 2))
        show("--json (10,000,000 equity points)", full10, theirs10, size)
        show("--json --equity-every 0", none10, theirs10, size)
        if theirs10:
            summary.append(("backtest 10M --json", full10["median"], theirs10["median"]))

    print(f"\n== sweep, 100 combinations on 1,000,000 bars; load {load()}")
    sw = run_ours(["sweep", str(GRAPH), "--data", str(m1), "--grid", "fast=5:50:5", "--grid",
                   "slow=20:200:20", "--json"], a.runs)  # fmt: skip
    assert json.loads(sw["out"])["total"] == 100
    theirs_sw = None if a.skip_vectorbt else run_vbt("sweep", m1, a.runs)
    show("sweep --json (all cores)", sw, theirs_sw)
    if theirs_sw:
        summary.append(("sweep 100 x 1M --json", sw["median"], theirs_sw["median"]))

    if not a.skip_10m:
        pq = ensure_parquet(10_000_000)
        print(f"\n== Parquet, 10,000,000 bars ({mb(pq.stat().st_size)}); load {load()}")
        ins = run_ours(["data", "inspect", str(pq)], a.runs)
        show("data inspect FILE.parquet", ins, None, pq.stat().st_size)
        print(f"{'':<44} {ins['out'].decode().strip().splitlines()[-1]}")

    if summary:
        print("\n== summary (medians; ratio = vectorbt / stratagraph)")
        for label, ours_t, theirs_t in summary:
            print(f"{label:<40} {ours_t:7.3f} s vs {theirs_t:7.3f} s  {theirs_t / ours_t:6.1f}x")


if __name__ == "__main__":
    main()
