#!/usr/bin/env python3
"""Reference values of the robustness statistics (dev-only; numpy and scipy, see
scripts/requirements-dev.txt). Prints the numbers that crates/engine/tests/engine/robust.rs
holds, computed here independently of the Rust code:

- the normal distribution by scipy.stats.norm;
- skewness and kurtosis by scipy.stats (biased moments, kurtosis not in excess);
- PSR, E[max SR] and DSR by the formulas of Bailey & Lopez de Prado (2014), as pypbo writes
  them (pypbo/pbo.py: psr, dsr, expected_max);
- PBO by CSCV as pypbo's `pbo()` computes it (Bailey, Borwein, Lopez de Prado & Zhu 2017):
  the first T % S rows dropped, S blocks in order, every S/2 combination in itertools order,
  Sharpe = mean / std(ddof=1), scipy rankdata (average ties), w = rank / (N + 1), logit,
  PBO = share of logits <= 0;
- the Monte Carlo of a trade list with the same SplitMix64 draws as the engine and numpy's
  linear percentiles.

Inputs come from an integer LCG, so Rust rebuilds them bit for bit.

    python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements-dev.txt
    .venv/bin/python scripts/robustness/reference.py
"""

import itertools

import numpy as np
import scipy.special as spec
import scipy.stats as ss

M64 = (1 << 64) - 1


def lcg_values(seed, count, scale, shift):
    """count values (x / 2^32 - 0.5) * scale + shift from x <- (1664525 x + 1013904223) mod 2^32."""
    x = seed
    out = []
    for _ in range(count):
        x = (1664525 * x + 1013904223) % (1 << 32)
        out.append((x / 2**32 - 0.5) * scale + shift)
    return out


def psr(sharpe, t, skew, kurt, target):
    value = (sharpe - target) * np.sqrt(t - 1) / np.sqrt(1.0 - skew * sharpe + sharpe**2 * (kurt - 1) / 4.0)
    return ss.norm.cdf(value)


def expected_max(n):
    g = np.euler_gamma
    return (1 - g) * ss.norm.ppf(1 - 1.0 / n) + g * ss.norm.ppf(1 - 1.0 / (n * np.e))


def splitmix(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        yield z ^ (z >> 31)


def pbo(m, s):
    t, n = m.shape
    m = m[t % s:]
    sub = m.shape[0] // s
    blocks = [m[i * sub:(i + 1) * sub] for i in range(s)]
    logits, r_star, rbar_star = [], [], []
    for c in itertools.combinations(range(s), s // 2):
        j = np.concatenate([blocks[i] for i in c])
        jbar = np.concatenate([blocks[i] for i in range(s) if i not in c])
        r = j.mean(axis=0) / j.std(axis=0, ddof=1)
        rbar = jbar.mean(axis=0) / jbar.std(axis=0, ddof=1)
        best = int(np.argmax(ss.rankdata(r)))
        w = ss.rankdata(rbar)[best] / (n + 1)
        logits.append(spec.logit(w))
        r_star.append(r[best])
        rbar_star.append(rbar[best])
    logits = np.array(logits)
    slope = ss.linregress(r_star, rbar_star).slope
    return {
        "pbo": float(np.mean(logits <= 0)),
        "splits": len(logits),
        "median_logit": float(np.median(logits)),
        "prob_oos_loss": float(np.mean(np.array(rbar_star) < 0)),
        "slope": float(slope),
    }


def montecarlo(pnl, initial, runs, seed, method):
    rng = splitmix(seed)
    n = len(pnl)
    finals, dds = [], []
    for _ in range(runs):
        if method == "shuffle":
            order = list(pnl)
            for i in range(n - 1, 0, -1):
                j = next(rng) % (i + 1)
                order[i], order[j] = order[j], order[i]
        else:
            order = [pnl[next(rng) % n] for _ in range(n)]
        e = peak = initial
        dd = 0.0
        for p in order:
            e += p
            peak = max(peak, e)
            dd = min(dd, (e / peak - 1) * 100)
        finals.append(e)
        dds.append(dd)
    q = [5, 25, 50, 75, 95]
    return np.percentile(finals, q), np.percentile(dds, q), float(np.mean(np.array(finals) < initial))


def main():
    print("normal_quantile:", [repr(float(ss.norm.ppf(p))) for p in (0.001, 0.025, 0.3, 0.99)])
    print("normal_cdf:", [repr(float(ss.norm.cdf(x))) for x in (-3.5, -1.0, 0.25, 2.0)])

    # One strategy's returns: 500 periods.
    r = np.array(lcg_values(7, 500, 0.04, 0.001))
    sr = r.mean() / r.std(ddof=1)
    skew = ss.skew(r, bias=True)
    kurt = ss.kurtosis(r, fisher=False, bias=True)
    print("returns: mean", repr(float(r.mean())), "std", repr(float(r.std(ddof=1))))
    print("sharpe", repr(float(sr)), "skewness", repr(float(skew)), "kurtosis", repr(float(kurt)))
    print("psr(0)", repr(float(psr(sr, len(r), skew, kurt, 0.0))))

    # Trials: 100 per-period Sharpe ratios.
    trial_sr = np.array(lcg_values(11, 100, 0.1, 0.0))
    var = trial_sr.var(ddof=1)
    sr0 = np.sqrt(var) * expected_max(100)
    print("trial variance", repr(float(var)), "expected max sharpe (N=100)", repr(float(sr0)))
    print("dsr(N=100)", repr(float(psr(sr, len(r), skew, kurt, sr0))))
    for n in (2, 10, 1000):
        print(f"expected_max({n})", repr(float(expected_max(n))))

    # PBO: 8 configurations x 203 periods (3 dropped), 16 blocks; configuration k has a
    # small drift k * 1e-4 so the ranking is not pure noise.
    cols = [lcg_values(100 + k, 203, 0.02, k * 1e-4) for k in range(8)]
    m = np.array(cols).T
    print("pbo(16):", pbo(m, 16))
    print("pbo(8):", pbo(m, 8))

    # Monte Carlo of 40 trades.
    pnl = lcg_values(5, 40, 400.0, 10.0)
    for method in ("shuffle", "bootstrap"):
        f, d, loss = montecarlo(pnl, 10_000.0, 1000, 42, method)
        print(f"mc {method} final", [repr(float(v)) for v in f])
        print(f"mc {method} maxdd", [repr(float(v)) for v in d], "prob_loss", loss)


if __name__ == "__main__":
    main()
