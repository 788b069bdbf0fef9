#!/usr/bin/python3
"""bench/trend_scipy.py - the SciPy/statsmodels side of bench/trend.

Reads the series trend_bench --write saved and does, per series, the work
ws_trend_analyse does with every analysis on, the usual Python way:
  Mann-Kendall      scipy.stats.kendalltau (tau-b) turned into S, the
                    tie-corrected var(S), Z and p
  seasonal MK       the same on each of the 7 weekdays, summed
  Sen's slope       scipy.stats.theilslopes with its 95% interval
  Pettitt           numpy, vectorised: U_k from the sign matrix, K, p,
                    means, and the least-squares split from cumulative sums
  least squares     scipy.stats.linregress plus the prediction interval
                    for h = 1..horizon
  Holt-Winters      statsmodels ExponentialSmoothing(trend='add',
                    seasonal='add', seasonal_periods=7).fit(), the
                    forecast and its closed-form interval
Python is slow, so it runs on the first --count series and reports the
rate per series. --check FILE writes the figures trend_bench --check
writes, for bench/trend to compare.

usage: trend_scipy.py FILE [--count N] [--horizon H] [--init heuristic|estimated]
                      [--check FILE]
Then the same without Holt-Winters. The last line is
"rate CPU_PER_S WALL_PER_S CPU_PER_S_NO_HW" (series per second).
Needs Debian's python3-numpy, python3-scipy, python3-statsmodels.
"""
import argparse
import struct
import sys
import time
import warnings

try:
    import numpy as np
    from scipy import stats
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
except ImportError as e:
    sys.exit("trend_scipy.py: %s; install Debian's python3-numpy python3-scipy "
             "python3-statsmodels (scripts/bootstrap --bench)" % e)

CONFIDENCE = 0.95
PERIOD = 7


def read_series(path):
    try:
        with open(path, "rb") as f:
            head = f.read(16)
            if len(head) != 16 or head[:8] != b"WSTREND1":
                sys.exit("trend_scipy.py: %s: not a trend_bench --write file"
                         % path)
            series, length = struct.unpack("<II", head[8:])
            x = np.fromfile(f, dtype="<f8", count=series * length)
    except OSError as e:
        sys.exit("trend_scipy.py: %s: %s" % (path, e.strerror))
    if x.size != series * length:
        sys.exit("trend_scipy.py: %s: %d values, expected %d"
                 % (path, x.size, series * length))
    return x.reshape(series, length)


def tie_term(x):
    """Σ t(t−1)(2t+5) over the tie groups of x."""
    _, counts = np.unique(x, return_counts=True)
    counts = counts[counts > 1].astype(float)
    return float(np.sum(counts * (counts - 1) * (2 * counts + 5))), \
        float(np.sum(counts * (counts - 1) / 2))


def mk_s_var(t, x):
    """Mann-Kendall S and var(S) of x in time order, from kendalltau."""
    n = len(x)
    tau, _ = stats.kendalltau(t, x)
    ties_var, ties_pairs = tie_term(x)
    n0 = n * (n - 1) / 2
    # tau-b = S / sqrt(n0 · (n0 − tied pairs in x)); t has no ties.
    s = round(tau * np.sqrt(n0 * (n0 - ties_pairs))) if np.isfinite(tau) else 0
    var = (n * (n - 1) * (2 * n + 5) - ties_var) / 18
    return s, var


def z_p(s, var):
    z = (s - np.sign(s)) / np.sqrt(var) if var > 0 else np.nan
    return z, 2 * stats.norm.sf(abs(z))


def mann_kendall(t, x):
    s, var = mk_s_var(t, x)
    z, p = z_p(s, var)
    direction = "none" if p >= 0.05 else ("up" if s > 0 else "down")
    return {"s": s, "var_s": var, "z": z, "p": p, "direction": direction}


def seasonal_mann_kendall(t, x):
    s = var = 0.0
    for k in range(PERIOD):
        sk, vk = mk_s_var(t[k::PERIOD], x[k::PERIOD])
        s += sk
        var += vk
    z, p = z_p(s, var)
    return {"s": s, "var_s": var, "z": z, "p": p}


def pettitt(x):
    n = len(x)
    sign = np.sign(x[:, None] - x[None, :])
    u = np.cumsum(sign.sum(axis=1))[:-1]  # U_k for k = 1..n−1
    k = int(np.argmax(np.abs(u)))
    big_k = abs(u[k])
    p = min(1.0, 2 * np.exp(-6 * big_k ** 2 / (n ** 3 + n ** 2)))
    index = k + 1
    # The least-squares split: the SSE of two means for every k.
    c1 = np.cumsum(x)[:-1]
    c2 = np.cumsum(x ** 2)[-1]
    ks = np.arange(1, n)
    sse = c2 - c1 ** 2 / ks - (x.sum() - c1) ** 2 / (n - ks)
    split = int(np.argmin(sse)) + 1
    return {"u": big_k, "index": index, "p": p,
            "mean_before": x[:index].mean(), "mean_after": x[index:].mean(),
            "split": split, "split_sse": sse[split - 1],
            "split_before": x[:split].mean(), "split_after": x[split:].mean()}


def ols(t, x, horizon):
    n = len(x)
    fit = stats.linregress(t, x)
    residual = x - (fit.intercept + fit.slope * t)
    residual_se = np.sqrt(np.sum(residual ** 2) / (n - 2))
    t_bar = t.mean()
    sxx = np.sum((t - t_bar) ** 2)
    at = t[-1] + np.arange(1, horizon + 1) * (t[-1] - t[0]) / (n - 1)
    mean = fit.intercept + fit.slope * at
    half = stats.t.ppf((1 + CONFIDENCE) / 2, n - 2) * residual_se * \
        np.sqrt(1 + 1 / n + (at - t_bar) ** 2 / sxx)
    return {"slope": fit.slope, "intercept": fit.intercept,
            "r2": fit.rvalue ** 2, "slope_se": fit.stderr,
            "residual_se": residual_se, "mean": mean, "low": mean - half,
            "high": mean + half}


def holt_winters(x, horizon, init):
    model = ExponentialSmoothing(x, trend="add", seasonal="add",
                                 seasonal_periods=PERIOD,
                                 initialization_method=init)
    fit = model.fit()
    mean = fit.forecast(horizon)
    a = fit.params["smoothing_level"]
    b = fit.params["smoothing_trend"]  # as R's beta
    g = fit.params["smoothing_seasonal"]
    v = fit.sse / (len(x) - 1)
    j = np.arange(1, horizon)
    psi = a * (1 + j * b) + (j % PERIOD == 0) * g * (1 - a)
    half = stats.norm.ppf((1 + CONFIDENCE) / 2) * \
        np.sqrt(v * (1 + np.concatenate(([0.0], np.cumsum(psi ** 2)))))
    return {"sse": fit.sse, "alpha": a, "mean": mean, "low": mean - half,
            "high": mean + half}


def analyse(t, x, horizon, init, with_hw=True):
    result = {"mann_kendall": mann_kendall(t, x),
              "seasonal_mann_kendall": seasonal_mann_kendall(t, x),
              "sen": stats.theilslopes(x, t, CONFIDENCE),
              "pettitt": pettitt(x), "ols": ols(t, x, horizon)}
    if with_hw:
        result["holt_winters"] = holt_winters(x, horizon, init)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--horizon", type=int, default=14)
    ap.add_argument("--init", default="heuristic",
                    choices=["heuristic", "estimated"])
    ap.add_argument("--check")
    args = ap.parse_args()
    x = read_series(args.file)
    count = min(args.count, x.shape[0])
    if count < 1:
        sys.exit("trend_scipy.py: --count %d: nothing to do" % args.count)
    t = np.arange(x.shape[1], dtype=float)
    # statsmodels warns about convergence on some series; the work is
    # the same either way.
    warnings.simplefilter("ignore")
    analyse(t, x[0], args.horizon, args.init)  # imports and caches warm
    results = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(count):
        results.append(analyse(t, x[i], args.horizon, args.init))
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    if args.check:
        with open(args.check, "w") as f:
            f.write("series,mk_s,mk_var_s,smk_s,sen_slope,pettitt_index,"
                    "ols_slope,hw_sse,hw_alpha\n")
            for i, r in enumerate(results):
                f.write("%d,%r,%r,%r,%r,%r,%r,%r,%r\n" % (
                    i, float(r["mann_kendall"]["s"]),
                    float(r["mann_kendall"]["var_s"]),
                    float(r["seasonal_mann_kendall"]["s"]), float(r["sen"][0]),
                    float(r["pettitt"]["index"]), float(r["ols"]["slope"]),
                    float(r["holt_winters"]["sse"]),
                    float(r["holt_winters"]["alpha"])))
    print("scipy/statsmodels: %d series of %d points, every analysis, "
          "horizon %d, Holt-Winters init %s: %.2f CPU-s, %.2f s wall"
          % (count, x.shape[1], args.horizon, args.init, cpu, wall))
    print("scipy/statsmodels: %.1f series/s (CPU), %.1f series/s (wall), "
          "%.1f ms per series" % (count / cpu, count / wall, cpu / count * 1e3))
    # The same without Holt-Winters, as trend_bench does.
    cpu_no_hw = time.process_time()
    for i in range(count):
        analyse(t, x[i], args.horizon, args.init, with_hw=False)
    cpu_no_hw = time.process_time() - cpu_no_hw
    print("scipy/statsmodels without Holt-Winters: %.1f series/s (CPU), "
          "%.1f ms per series; so Holt-Winters takes %.0f%% of the time"
          % (count / cpu_no_hw, cpu_no_hw / count * 1e3,
             100 * (cpu - cpu_no_hw) / cpu))
    print("rate %.4f %.4f %.4f" % (count / cpu, count / wall, count / cpu_no_hw))


if __name__ == "__main__":
    main()
