#!/usr/bin/env python3
"""Speed comparison: Stratagraph's parameter sweep against vectorbt's, same data, same run.

What it does
    Runs the 100-combination SMA-crossover sweep (fast in 5..50 step 5 x slow in 20..200 step
    20, every pair including fast >= slow, as `stratagraph sweep` runs it) on one synthetic
    1,000,000-bar minute CSV, in both engines, and prints each engine's time, its throughput
    in million bar-combinations per second (bars x combinations / seconds), and the ratio.
    Strategy, both engines: long when SMA(fast) crosses above SMA(slow), flat when it crosses
    below; the order decided at a bar's close fills at the NEXT bar's open; all cash, whole
    units; cash 10,000; no commission, no slippage. Then it cross-checks the two engines'
    results (final equity, total return, trade count) and prints the differences.

How to run (dev only; vectorbt is not an app dependency)
    python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements-dev.txt
    .venv/bin/python scripts/bench/vectorbt_compare.py
    Options: --bars N (default 1000000), --repeats N (default 2), --no-build, --data FILE.csv.
    It runs `cargo build --release -p stratagraph-cli` first (a no-op when up to date; skip
    with --no-build) and writes the data file, if missing, to
    $CARGO_TARGET_DIR/bench (else target/bench)/synth_minute_<bars>_seed7.csv with `stratagraph
    data synth` (not committed).
    Run it on a quiet machine: both engines share the cores with whatever else is running.

What is timed
    Stratagraph: the whole `stratagraph sweep ... --json` process, wall clock, from spawn to
        exit. That includes process start, reading and parsing the CSV (a few tens of ms for 1M bars),
        the sweep, the full metric set of every combination (return, drawdown, Sharpe,
        Sortino, trade stats, ...: more than vectorbt is asked for) and writing the JSON.
        Timed with all threads (--threads 0) and with --threads 1; best of --repeats each.
    vectorbt: signal generation (vbt.MA.run for the 10 fast and 10 slow windows, crossed
        above/below for the 100 pairs, signals shifted one bar forward), Portfolio.from_signals
        over all 100 columns at once, and pf.total_return() for every column. Best of
        --repeats warm runs; the first call in the process is reported separately as "cold"
        (it includes numba compilation, or loading numba's on-disk cache when an earlier run
        of this script already filled it).
    Not timed: building the binary, writing the CSV, importing vectorbt/pandas/numpy, and
        reading the CSV into pandas for vectorbt (done once, before its clock starts, to be
        fair to it), and the cross-check.
    Environment: the timed subprocesses (the stratagraph process and the vectorbt worker
    process) run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (this machine's
    environment sets them; the script says what it unset) and without STRATAGRAPH_DB, so the
    CLI's sweep-quota check does not open a database. vectorbt runs its default numba kernels
    (single-threaded); vectorbt-rust is not installed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
BIN = TARGET / "release" / "stratagraph"
GRAPH = ROOT / "examples" / "sma_crossover.json"
FAST = list(range(5, 51, 5))  # --grid fast=5:50:5
SLOW = list(range(20, 201, 20))  # --grid slow=20:200:20
INIT_CASH = 10_000.0
SEED = 7
# (fast, slow) pairs printed in the cross-check: a typical one, a long one, and a fast > slow one.
CHECK = [(10, 100), (50, 200), (45, 20)]
UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "STRATAGRAPH_DB")


def timed_env() -> tuple[dict[str, str], list[str]]:
    env = dict(os.environ)
    removed = [f"{k}={env.pop(k)}" for k in UNSET if k in env]
    return env, removed


def mbc(bars: int, combos: int, secs: float) -> float:
    """Million bar-combinations per second."""
    return bars * combos / secs / 1e6


# ----------------------------------------------------------------------------- vectorbt worker


def vbt_worker(data: Path, repeats: int) -> None:
    """Runs in a child process (clean environment); prints one JSON object on stdout."""
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    # Untimed: the CSV. pandas 3 parses floats round-trip exactly by default (the CLI writes
    # the shortest round-trip form), so both engines see bit-identical prices.
    df = pd.read_csv(data)
    close = df["Close"].astype(np.float64)
    open_ = df["Open"].astype(np.float64)
    n = len(close)
    cols = pd.MultiIndex.from_tuples([(f, s) for f in FAST for s in SLOW], names=["fast", "slow"])

    def sweep():
        fast = vbt.MA.run(close, window=FAST, short_name="fast")  # 10 columns
        slow = vbt.MA.run(close, window=SLOW, short_name="slow")  # 10 columns
        entries = np.empty((n, len(cols)), dtype=np.bool_)
        exits = np.empty((n, len(cols)), dtype=np.bool_)
        k = len(SLOW)
        for i in range(len(FAST)):
            f = fast.ma.iloc[:, i]  # one fast SMA against all 10 slow SMAs
            entries[:, i * k : (i + 1) * k] = f.vbt.crossed_above(slow.ma).values
            exits[:, i * k : (i + 1) * k] = f.vbt.crossed_below(slow.ma).values
        # A signal at bar t's close fills at bar t+1's open.
        entries = pd.DataFrame(entries, columns=cols).vbt.fshift(1)
        exits = pd.DataFrame(exits, columns=cols).vbt.fshift(1)
        pf = vbt.Portfolio.from_signals(
            close=close,
            entries=entries,
            exits=exits,
            price=open_,
            size=np.inf,
            size_granularity=1.0,
            init_cash=INIT_CASH,
            fees=0.0,
            slippage=0.0,
        )
        tr = pf.total_return()
        return pf, tr

    t0 = time.perf_counter()
    sweep()
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        pf, tr = sweep()
        warm.append(time.perf_counter() - t0)

    # Untimed: what the cross-check needs.
    final = pf.final_value()
    trades = pf.trades.count()
    open_trades = pf.trades.open.count()
    rows = [
        {
            "fast": int(f),
            "slow": int(s),
            "total_return_pct": float(tr[(f, s)]) * 100.0,
            "final_equity": float(final[(f, s)]),
            "trades_incl_open": int(trades[(f, s)]),
            "open": int(open_trades[(f, s)]),
        }
        for f, s in cols
    ]
    # Fill bars (entry, exit; exit -1 while open) of the cross-checked combinations' trades.
    fills = {}
    for f, s in CHECK:
        rec = pf.trades[(f, s)].values  # structured records array
        fills[f"{f},{s}"] = [
            [int(r["entry_idx"]), int(r["exit_idx"]) if r["status"] == 1 else -1] for r in rec
        ]
    import numba

    print(
        json.dumps(
            {
                "bars": n,
                "combos": len(cols),
                "cold": cold,
                "warm": warm,
                "rows": rows,
                "fills": fills,
                "versions": {
                    "vectorbt": vbt.__version__,
                    "numba": numba.__version__,
                    "numpy": np.__version__,
                    "pandas": pd.__version__,
                },
                "engine": str(vbt.settings.get("engine", "?")),
            }
        )
    )


# ----------------------------------------------------------------------------- driver


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    return p


def our_sweep(data: Path, threads: int, repeats: int, env: dict[str, str]):
    cmd = [
        str(BIN), "sweep", str(GRAPH), "--data", str(data),
        "--grid", "fast=5:50:5", "--grid", "slow=20:200:20",
        "--threads", str(threads), "--json",
    ]  # fmt: skip
    times, doc = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            sys.exit(f"stratagraph sweep failed ({p.returncode}):\n{p.stderr}")
        doc = json.loads(p.stdout)
    return times, doc


def explain_divergence(data: Path, vbt_fills: dict, env: dict[str, str]) -> None:
    """For each cross-checked combination, finds the first fill where the engines differ and
    says whether the signal bar before it is an exact SMA tie (in integer cents, exactly)."""
    import numpy as np
    import pandas as pd

    df = pd.read_csv(data)
    close = df["Close"].to_numpy()
    cents = np.round(close * 100).astype(np.int64)
    exact_cents = bool((cents / 100 == close).all())
    csum = np.concatenate([[0], np.cumsum(cents)])
    bar_of = {d: i for i, d in enumerate(df["Date"])}

    def exact_diff(f: int, s: int, t: int):
        """sign of SMA(f) - SMA(s) at bar t, exactly: sum_f * s - sum_s * f in integer cents."""
        if t < max(f, s) - 1:
            return None
        fs = int(csum[t + 1] - csum[t + 1 - f])
        ss = int(csum[t + 1] - csum[t + 1 - s])
        return (fs * s > ss * f) - (fs * s < ss * f)

    if exact_cents:
        print("prices are whole cents, so SMA(fast) == SMA(slow) happens exactly now and then; at such a "
              "tie the\nsign each engine sees comes from its float rounding (its running sums), so one "
              "engine can see a\ncross one bar before the other. Where the fills first differ:")  # fmt: skip
    for f, s in CHECK:
        p = run([str(BIN), "backtest", str(GRAPH), "--data", str(data), "--param", f"fast={f}",
                 "--param", f"slow={s}", "--json"], env)  # fmt: skip
        ours = [[bar_of[t["entry_time"]], bar_of.get(t["exit_time"], -1)]
                for t in json.loads(p.stdout)["trades"]]  # fmt: skip
        # Our trade list holds closed trades; vectorbt's also the open one (exit -1).
        theirs = vbt_fills[f"{f},{s}"]
        a = [b for tr in ours for b in tr]
        b = [x for tr in theirs for x in tr if x >= 0]
        first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None)
        if first is None:
            print(f"fast={f} slow={s}: the same {len(a)} fills in both engines")
            continue
        x, y = a[first], b[first]
        sig = min(x, y) - 1  # the earlier engine's signal bar
        what = "entry" if first % 2 == 0 else "exit"
        tie = ""
        if exact_cents:
            d = exact_diff(f, s, sig)
            tie = (f"; exactly, SMA({f}) - SMA({s}) at signal bar {sig} is "
                   + ("0: an exact tie, each engine's float rounding picks the sign" if d == 0
                      else f"{'+' if d > 0 else '-'} (not a tie)"))  # fmt: skip
        print(f"fast={f} slow={s}: first different fill is {what} #{first // 2 + 1}: ours at bar "
              f"{x}, vectorbt at bar {y}{tie}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=2, help="timed runs per engine (best kept)")
    ap.add_argument("--data", type=Path, help="CSV to use (written with the CLI if missing)")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build first")
    ap.add_argument("--vbt-worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    data = a.data or TARGET / "bench" / f"synth_minute_{a.bars}_seed{SEED}.csv"
    if a.vbt_worker:
        vbt_worker(data, a.repeats)
        return

    start = time.perf_counter()
    env, removed = timed_env()
    print("== setup (not timed)")
    if not a.no_build:
        run(["cargo", "build", "--release", "-q", "-p", "stratagraph-cli"])
    if not BIN.exists():
        sys.exit(f"{BIN} missing: cargo build --release -p stratagraph-cli")
    if not data.exists():
        data.parent.mkdir(parents=True, exist_ok=True)
        run([str(BIN), "data", "synth", "--out", str(data), "--bars", str(a.bars),
             "--step", "minute", "--seed", str(SEED)])  # fmt: skip
        print(f"wrote {data}")
    print(f"data: {data.relative_to(ROOT) if data.is_relative_to(ROOT) else data}")
    print(f"load average before timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          "(anything above ~0 means other work shares the cores)")  # fmt: skip
    print(f"cores: {os.cpu_count()}; unset in the timed subprocesses: "
          f"{', '.join(removed) if removed else '(none were set)'}")  # fmt: skip

    print("\n== stratagraph (whole `stratagraph sweep --json` process, wall clock, incl. CSV "
          "import and the full metric set)")  # fmt: skip
    results = {}
    for threads in (0, 1):
        times, doc = our_sweep(data, threads, a.repeats, env)
        results[threads] = (min(times), doc)
        label = f"all threads ({os.cpu_count()})" if threads == 0 else "--threads 1"
        combos = doc["total"]
        print(f"{label:>18}: best {min(times):.3f} s of {[round(t, 3) for t in times]} -> "
              f"{mbc(a.bars, combos, min(times)):.1f} M bar-comb/s ({combos} combinations)")  # fmt: skip
    ours_t, ours_doc = results[0]
    ours_t1 = results[1][0]
    combos = ours_doc["total"]

    print("\n== vectorbt (signals + Portfolio.from_signals + total_return; CSV load not timed)")
    p = run([sys.executable, __file__, "--vbt-worker", "--data", str(data),
             "--repeats", str(a.repeats)], env)  # fmt: skip
    v = json.loads(p.stdout.strip().splitlines()[-1])
    vt = min(v["warm"])
    vv = v["versions"]
    print(f"versions: vectorbt {vv['vectorbt']}, numba {vv['numba']}, numpy {vv['numpy']}, "
          f"pandas {vv['pandas']}; engine setting {v['engine']!r} (vectorbt-rust not installed)")  # fmt: skip
    print(f"              cold: {v['cold']:.3f} s (first call: numba compile or cache load)")
    print(f"              warm: best {vt:.3f} s of {[round(t, 3) for t in v['warm']]} -> "
          f"{mbc(v['bars'], v['combos'], vt):.1f} M bar-comb/s ({v['combos']} combinations)")  # fmt: skip
    if v["bars"] != a.bars or v["combos"] != combos:
        print(f"WARNING: sizes differ: ours {a.bars} bars x {combos}, "
              f"vectorbt {v['bars']} x {v['combos']}")  # fmt: skip

    print("\n== cross-check (not timed)")
    ours = {(round(r["params"]["fast"]), round(r["params"]["slow"])): r["metrics"]
            for r in ours_doc["results"]}  # fmt: skip
    theirs = {(r["fast"], r["slow"]): r for r in v["rows"]}
    print(f"{'fast':>4} {'slow':>4} | {'ours final':>14} {'vbt final':>14} | {'ours ret %':>11} "
          f"{'vbt ret %':>11} | {'ours trades':>11} {'vbt trades':>10}")  # fmt: skip
    for key in CHECK:
        o, t = ours[key], theirs[key]
        ot = f"{o['trades']}+{int(o['open_position'])}open"
        tt = f"{t['trades_incl_open'] - t['open']}+{t['open']}open"
        print(f"{key[0]:>4} {key[1]:>4} | {o['final_equity']:>14.4f} {t['final_equity']:>14.4f} | "
              f"{o['total_return_pct']:>11.4f} {t['total_return_pct']:>11.4f} | "
              f"{ot:>11} {tt:>10}")  # fmt: skip
    diffs = []
    for key, o in ours.items():
        t = theirs[key]
        rel = abs(o["final_equity"] - t["final_equity"]) / INIT_CASH
        same_trades = (o["trades"] + int(o["open_position"])) == t["trades_incl_open"]
        diffs.append((rel, same_trades, key))
    agree = [d for d in diffs if d[0] <= 1e-9 and d[1]]
    print(f"all {len(diffs)} combinations: {len(agree)} agree (final equity within 1e-9 of the "
          f"initial cash and the same trade count)")  # fmt: skip
    worst = max(diffs)
    print(f"largest final-equity difference: {worst[0] * 100:.3g}% of initial cash at "
          f"fast={worst[2][0]}, slow={worst[2][1]}")  # fmt: skip
    for rel, same, key in sorted(diffs, reverse=True)[:5]:
        if rel > 1e-9 or not same:
            o, t = ours[key], theirs[key]
            print(f"  mismatch fast={key[0]} slow={key[1]}: ours {o['final_equity']:.4f} "
                  f"({o['trades']}+{int(o['open_position'])} trades) vs vectorbt "
                  f"{t['final_equity']:.4f} ({t['trades_incl_open']} trades incl. open)")  # fmt: skip

    explain_divergence(data, v["fills"], env)

    print("\n== summary")
    vm = mbc(v["bars"], v["combos"], vt)
    print(f"stratagraph: {ours_t:.3f} s ({mbc(a.bars, combos, ours_t):.1f} M bar-comb/s, "
          f"{os.cpu_count()} threads) | vectorbt: {vt:.3f} s ({vm:.1f} M bar-comb/s) | "
          f"ratio: {vt / ours_t:.1f}×")  # fmt: skip
    print(f"(single-threaded stratagraph: {ours_t1:.3f} s "
          f"({mbc(a.bars, combos, ours_t1):.1f} M bar-comb/s), ratio {vt / ours_t1:.1f}×; "
          f"vectorbt's numba kernels are single-threaded)")  # fmt: skip
    print(f"script wall time: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
