"""Charts of a sweep (plotly): throughput with its spread across repeats, and speedup against
the ideal and Amdahl's law. Both return a ``plotly.graph_objects.Figure``; call ``.show()``."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from labkit.experiments.analysis import (
    amdahl_speedup,
    fit_serial_fraction,
    group_columns,
    knee,
    rule_of_thumb,
    summarize,
)

__all__ = ["plot_speedup", "plot_sweep"]

_COLORS = qualitative.Plotly
_METRIC_NAMES = {"lines_per_s": "lines/s", "cpu_util": "CPU utilisation", "peak_rss_mb": "MB"}


def _label(by: Sequence[str], key: tuple) -> str:
    return ", ".join(
        str(v) if c in ("workload", "hostname") else f"{c}={v}"
        for c, v in zip(by, key, strict=True)
    )


def _groups(frame: pd.DataFrame, by: Sequence[str]):
    if not by:
        yield (), frame
        return
    for key, part in frame.groupby(list(by), dropna=False, sort=False):
        yield (key if isinstance(key, tuple) else (key,)), part


def _select(df: pd.DataFrame, by: Sequence[str], key: tuple) -> pd.DataFrame:
    """The rows of ``df`` whose ``by`` columns equal ``key`` (missing matches missing)."""
    mask = pd.Series(True, index=df.index)
    for c, v in zip(by, key, strict=True):
        mask &= df[c].isna() if pd.isna(v) else (df[c] == v).fillna(False)
    return df[mask]


def _x_axis(fig: go.Figure, xs: Sequence, title: str) -> None:
    """Ticks at the measured worker counts; a log scale (range set explicitly, in log10 units)
    when they span 8x or more."""
    xs = sorted({float(v) for v in xs})
    if xs and xs[0] > 0 and xs[-1] / xs[0] >= 8:
        lo, hi = math.log10(xs[0]), math.log10(xs[-1])
        pad = 0.05 * (hi - lo)
        fig.update_xaxes(
            type="log",
            range=[lo - pad, hi + pad],
            tickvals=xs,
            ticktext=[f"{v:g}" for v in xs],
        )
    else:
        fig.update_xaxes(tickvals=xs)
    fig.update_xaxes(title=title)


def _x_title(df: pd.DataFrame, x: str) -> str:
    """The knob's name (``readers``...) when every curve varies the same one."""
    if x == "workers" and "knob" in df.columns and df["knob"].nunique() == 1:
        return str(df["knob"].iloc[0])
    return x


def plot_sweep(
    df: pd.DataFrame,
    x: str = "workers",
    metric: str = "lines_per_s",
    *,
    by: Sequence[str] | None = None,
    fraction: float = 0.9,
    cpus: int | None = None,
    title: str | None = None,
) -> go.Figure:
    """Median ``metric`` per worker count for each curve, bars from the slowest to the fastest
    repeat, every run as a faint dot, the knee (``fraction`` of the best) as a star, and the
    rule-of-thumb range for ``cpus`` cores (default: the table's ``usable_cpus``) shaded when
    all curves are of one kind."""
    by = list(group_columns(df, x) if by is None else by)
    summary = summarize(df, x, by, metric)
    fig = go.Figure()
    for i, (key, part) in enumerate(_groups(summary, by)):
        runs = _select(df, by, key)
        color = _COLORS[i % len(_COLORS)]
        name = _label(by, key) or metric
        fig.add_scatter(
            x=runs[x].astype(float),
            y=runs[metric],
            mode="markers",
            marker={"color": color, "opacity": 0.35, "size": 6},
            name=f"{name} (each run)",
            showlegend=False,
            hovertemplate=f"{x}=%{{x}}<br>{metric}=%{{y:,.0f}}<extra>run</extra>",
        )
        fig.add_scatter(
            x=part[x].astype(float),
            y=part[metric],
            mode="lines+markers",
            line={"color": color},
            name=name,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": part[f"{metric}_max"] - part[metric],
                "arrayminus": part[metric] - part[f"{metric}_min"],
            },
            hovertemplate=f"{x}=%{{x}}<br>median %{{y:,.0f}}<extra>{name}</extra>",
        )
        k = knee(part, fraction, x=x, y=metric)
        fig.add_scatter(
            x=[float(k)],
            y=[part.loc[part[x] == k, metric].iloc[0]],
            mode="markers",
            marker={"symbol": "star", "size": 16, "color": color, "line": {"width": 1}},
            name=f"knee ({fraction:.0%} of best): {k}",
        )
    kinds = df["kind"].dropna().unique() if "kind" in df.columns else []
    if cpus is None and "usable_cpus" in df.columns and df["usable_cpus"].nunique() == 1:
        cpus = int(df["usable_cpus"].iloc[0])
    if len(kinds) == 1 and cpus:
        lo, hi = rule_of_thumb(str(kinds[0]), cpus)
        fig.add_vrect(x0=lo, x1=hi, fillcolor="grey", opacity=0.15, line_width=0, layer="below")
        fig.add_scatter(  # a legend entry for the band
            x=[None],
            y=[None],
            mode="markers",
            marker={"symbol": "square", "size": 14, "color": "rgba(128,128,128,0.3)"},
            name=f"rule of thumb, {kinds[0]}-bound on {cpus} CPUs: {lo}-{hi}",
        )
    runs_per = int(summary["runs"].max())
    fig.update_layout(
        title=title or f"{metric} by {x}",
        yaxis_title=f"{_METRIC_NAMES.get(metric, metric)} (median; bars: min-max of {runs_per})",
        template="plotly_white",
        legend={"orientation": "h", "y": -0.25},
    )
    fig.update_yaxes(rangemode="tozero")
    _x_axis(fig, summary[x], _x_title(df, x))
    return fig


def plot_speedup(
    df: pd.DataFrame,
    x: str = "workers",
    *,
    by: Sequence[str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Measured speedup (median, bars min-max) against the ideal ``speedup = workers`` and the
    Amdahl curve fitted to each curve's points (its serial fraction in the legend)."""
    by = list(group_columns(df, x) if by is None else by)
    summary = summarize(df, x, by)
    fig = go.Figure()
    xs = summary[x].astype(float)
    lo, hi = float(xs.min()), float(xs.max())
    grid = [lo + (hi - lo) * i / 59 for i in range(60)]
    fig.add_scatter(
        x=grid, y=[g / lo for g in grid], mode="lines", name="ideal", line={"dash": "dash"}
    )
    for i, (key, part) in enumerate(_groups(summary, by)):
        color = _COLORS[(i + 1) % len(_COLORS)]
        name = _label(by, key) or "measured"
        base = part["lines_per_s"].iloc[0] / part["speedup"].iloc[0]
        fig.add_scatter(
            x=part[x].astype(float),
            y=part["speedup"],
            mode="lines+markers",
            line={"color": color},
            name=name,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": part["lines_per_s_max"] / base - part["speedup"],
                "arrayminus": part["speedup"] - part["lines_per_s_min"] / base,
            },
        )
        n = part[x].astype(float) / float(part["baseline"].iloc[0])
        try:
            s = fit_serial_fraction(n, part["speedup"])
        except ValueError:
            continue
        base_x = float(part["baseline"].iloc[0])
        fig.add_scatter(
            x=grid,
            y=[amdahl_speedup(max(g / base_x, 1e-9), s) for g in grid],
            mode="lines",
            line={"color": color, "dash": "dot"},
            name=f"Amdahl fit, serial fraction {s:.2f}",
        )
    fig.update_layout(
        title=title or "speedup over the fewest workers",
        yaxis_title="speedup",
        template="plotly_white",
        legend={"orientation": "h", "y": -0.25},
    )
    fig.update_yaxes(rangemode="tozero")
    _x_axis(fig, summary[x], _x_title(df, x))
    return fig
