"""Reading a sweep: speedup and efficiency, the knee, Amdahl's law, the rule of thumb.

- ``summarize``: per setting, the median lines/s over repeats and its spread, speedup and
  efficiency against the 1-worker run (or the fewest workers measured).
- ``knee``: the smallest worker count whose throughput is within ``fraction`` of the best:
  past it, more workers buy little.
- ``amdahl_speedup`` / ``fit_serial_fraction``: Amdahl's law, ``1 / (s + (1 - s) / n)`` for a
  serial fraction ``s``, and the ``s`` that best explains measured speedups.
- ``rule_of_thumb``: the common advice (I/O-bound: 2-4x the cores; CPU-bound: the cores, +1
  or +2) as a range, to compare with what was measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from labkit.experiments.workloads import SETTINGS

__all__ = [
    "amdahl_speedup",
    "compare_runs",
    "compare_with_advice",
    "fit_serial_fraction",
    "group_columns",
    "knee",
    "knees",
    "rule_of_thumb",
    "summarize",
]


def group_columns(df: pd.DataFrame, x: str = "workers") -> list[str]:
    """The columns that tell curves apart: ``hostname`` (when there are several), ``workload``,
    and every setting that takes several values at the same worker count."""
    by = ["hostname"] if "hostname" in df.columns and df["hostname"].nunique() > 1 else []
    if "workload" in df.columns:
        by.append("workload")
    cell = [*by, x]
    for c in SETTINGS:
        if c == x or c not in df.columns or not df[c].notna().any():
            continue
        if df.groupby(cell, dropna=False)[c].nunique(dropna=False).max() > 1:
            by.append(c)
    return by


def summarize(
    df: pd.DataFrame,
    x: str = "workers",
    by: Sequence[str] | None = None,
    metric: str = "lines_per_s",
) -> pd.DataFrame:
    """One row per curve and worker count: ``runs``, the median of ``metric`` and its
    ``_min``/``_max``/``_std`` over repeats, ``speedup`` and ``efficiency`` against the
    1-worker median (or the fewest workers measured, named in ``baseline``), and the median
    ``cpu_util``, largest ``peak_rss_mb`` and mean ``load_avg_1m`` when present.

    Medians, not means: one repeat slowed by a noisy neighbour should not move the figure.
    ``efficiency = speedup / (workers / baseline)``: 1.0 means every added worker paid in full.
    """
    if df.empty:
        raise ValueError("no runs to summarize")
    by = list(group_columns(df, x) if by is None else by)
    keys = [*by, x]
    g = df.groupby(keys, dropna=False, sort=True)
    out = g[metric].agg(["count", "median", "min", "max", "std"])
    out.columns = ["runs", metric, f"{metric}_min", f"{metric}_max", f"{metric}_std"]
    if "cpu_util" in df.columns:
        out["cpu_util"] = g["cpu_util"].median()
    if "peak_rss_mb" in df.columns:
        out["peak_rss_mb"] = g["peak_rss_mb"].max()
    if "load_avg_1m" in df.columns:
        out["load_avg_1m"] = g["load_avg_1m"].mean()
    out = out.reset_index()
    parts = []
    for _, part in out.groupby(by, dropna=False, sort=False) if by else [(None, out)]:
        part = part.sort_values(x).copy()
        base_x = part[x].iloc[0]
        base = part[metric].iloc[0]
        part["baseline"] = base_x
        part["speedup"] = part[metric] / base if base else float("nan")
        part["efficiency"] = part["speedup"] / (part[x].astype(float) / float(base_x))
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _points(curve: Any, x: str, y: str) -> list[tuple[float, float]]:
    if isinstance(curve, pd.DataFrame):
        pairs = zip(curve[x], curve[y], strict=True)
    elif isinstance(curve, pd.Series | Mapping):
        pairs = curve.items()
    else:
        pairs = iter(curve)
    return sorted(
        (a.item() if hasattr(a, "item") else a, float(b)) for a, b in pairs if not pd.isna(b)
    )


def knee(
    curve: pd.DataFrame | pd.Series | Mapping[Any, float] | Sequence[tuple[Any, float]],
    fraction: float = 0.9,
    *,
    x: str = "workers",
    y: str = "lines_per_s",
) -> Any:
    """The smallest worker count whose throughput is at least ``fraction`` of the best.

    ``curve`` is one curve: a DataFrame with columns ``x`` and ``y`` (e.g. one workload of
    ``summarize``'s output; use medians, not single runs), a Series or mapping ``{workers:
    throughput}``, or ``(workers, throughput)`` pairs. Missing values are ignored.
    ``fraction=1.0`` gives the best setting itself.
    """
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    points = _points(curve, x, y)
    if not points:
        raise ValueError("the curve has no points")
    best = max(v for _, v in points)
    if best < 0:
        raise ValueError("throughput cannot be negative")
    return min(w for w, v in points if v >= fraction * best)


def knees(
    summary: pd.DataFrame,
    fraction: float = 0.9,
    *,
    x: str = "workers",
    y: str = "lines_per_s",
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """``knee`` for every curve of a ``summarize`` table: ``knee``, the ``best`` worker count,
    their throughputs, and the speedup at the knee."""
    by = list(group_columns(summary, x) if by is None else by)
    rows = []
    for key, part in summary.groupby(by, dropna=False, sort=False) if by else [((), summary)]:
        k = knee(part, fraction, x=x, y=y)
        best_row = part.loc[part[y].idxmax()]
        at_knee = part.loc[part[x] == k].iloc[0]
        key = key if isinstance(key, tuple) else (key,)
        rows.append(
            dict(zip(by, key, strict=True))
            | {
                "knee": k,
                f"{y}_at_knee": at_knee[y],
                "best": best_row[x],
                f"best_{y}": best_row[y],
                "speedup_at_knee": at_knee.get("speedup", float("nan")),
                "fraction": fraction,
            }
        )
    return pd.DataFrame(rows)


def amdahl_speedup(workers: float, serial_fraction: float) -> float:
    """Amdahl's law: the speedup of ``workers`` workers when ``serial_fraction`` of the work
    (at 1 worker) cannot be shared out: ``1 / (s + (1 - s) / n)``; never above ``1 / s``."""
    if workers <= 0:
        raise ValueError("workers must be positive")
    if not 0 <= serial_fraction <= 1:
        raise ValueError("serial_fraction must be in [0, 1]")
    return 1.0 / (serial_fraction + (1.0 - serial_fraction) / workers)


def fit_serial_fraction(workers: Sequence[float], speedup: Sequence[float]) -> float:
    """The serial fraction ``s`` that best explains measured speedups under Amdahl's law.

    Amdahl's law says ``1/S - 1/n = s * (1 - 1/n)``: a line through the origin, so the least
    squares ``s`` has a closed form. Points at ``n = 1`` carry no information and are skipped.
    The answer is clipped to ``[0, 1]``; speedups beyond ``n`` (a cache effect) give 0.
    """
    num = den = 0.0
    for n, s in zip(workers, speedup, strict=True):
        n, s = float(n), float(s)
        if n <= 1 or not s > 0 or pd.isna(s):
            continue
        a = 1.0 - 1.0 / n
        b = 1.0 / s - 1.0 / n
        num += a * b
        den += a * a
    if den == 0:
        raise ValueError("need a speedup measured at more than one worker")
    return min(1.0, max(0.0, num / den))


def rule_of_thumb(kind: str, cpus: int) -> tuple[int, int]:
    """The common advice as a range of worker counts for ``cpus`` cores.

    I/O-bound (``"io"``): start at 2-4x the cores, raise until returns diminish.
    CPU-bound (``"cpu"``): the cores, perhaps +1 or +2.
    """
    if cpus < 1:
        raise ValueError("cpus must be at least 1")
    if kind == "io":
        return 2 * cpus, 4 * cpus
    if kind == "cpu":
        return cpus, cpus + 2
    raise ValueError(f"kind must be 'io' or 'cpu', not {kind!r}")


def compare_with_advice(
    df: pd.DataFrame,
    cpus: int,
    guesses: Mapping[str, int] | None = None,
    fraction: float = 0.9,
) -> pd.DataFrame:
    """Per workload: your guess, the rule of thumb for ``cpus`` cores, the measured knee and
    best, the speedup at the knee, and whether the knee falls inside the advised range.

    ``df`` is a ``sweep`` table (one curve per workload: sweep other settings separately).
    """
    summary = summarize(df, by=["workload"])
    found = knees(summary, fraction, by=["workload"])
    kinds = df.groupby("workload")["kind"].first()
    knobs = df.groupby("workload")["knob"].first()
    rows = []
    for r in found.itertuples(index=False):
        lo, hi = rule_of_thumb(kinds[r.workload], cpus)
        rows.append(
            {
                "workload": r.workload,
                "kind": kinds[r.workload],
                "varied": knobs[r.workload],
                "your_guess": (guesses or {}).get(r.workload),
                "rule_of_thumb": f"{lo}-{hi}",
                "measured_knee": r.knee,
                "measured_best": r.best,
                "speedup_at_knee": round(float(r.speedup_at_knee), 2),
                "knee_in_rule": lo <= r.knee <= hi,
            }
        )
    return pd.DataFrame(rows)


def compare_runs(results: pd.DataFrame, fraction: float = 0.9) -> pd.DataFrame:
    """Stored runs (``load_results()``) side by side: one row per machine, day, input size and
    workload, with the runs, the knee, the best worker count and its median lines/s, and the
    mean load average seen (high load: fewer CPUs were really free)."""
    if results.empty:
        return pd.DataFrame(
            columns=["hostname", "usable_cpus", "day", "size", "workload", "runs", "knee", "best"]
        )
    df = results.copy()
    df["day"] = pd.to_datetime(df["recorded_at"], utc=True).dt.strftime("%Y-%m-%d")
    df["size"] = df["size"].fillna("?")
    by = ["hostname", "usable_cpus", "day", "size", "workload"]
    summary = summarize(df, by=by)
    found = knees(summary, fraction, by=by)
    extra = df.groupby(by, dropna=False).agg(
        runs=("lines_per_s", "size"), load_avg_1m=("load_avg_1m", "mean")
    )
    out = found.merge(extra.reset_index(), on=by)
    cols = [*by, "runs", "knee", "best", "best_lines_per_s", "load_avg_1m"]
    return out[cols].round({"best_lines_per_s": 0, "load_avg_1m": 2})
