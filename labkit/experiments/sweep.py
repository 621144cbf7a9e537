"""``sweep``: run a workload over a grid of settings, with repeats, into a tidy table.

One row per run: the workload, the settings, the repeat number, and what the run cost
(lines/s, CPU utilisation, peak memory), plus the machine's 1-minute load average just before
it (a busy machine gives you fewer CPUs than it has). Repeats are interleaved (every setting
once, then every setting again) so a noisy neighbour slows all settings alike rather than one.
Each row is also appended to the results table in SQLite (``labkit.experiments.results``) as
soon as it is measured, so runs from different days and machines can be compared later.
"""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import psutil

from labkit.experiments.measure import measure
from labkit.experiments.results import default_results_db, save_results
from labkit.experiments.workloads import SETTINGS, Workload, get_workload
from labkit.system import usable_cpu_count

__all__ = ["COLUMNS", "expand_grid", "sweep"]

#: Columns of the table ``sweep`` returns, in order.
COLUMNS: tuple[str, ...] = (
    "sweep_id",
    "workload",
    "kind",
    "knob",
    "workers",
    *SETTINGS,
    "repeat",
    "lines",
    "seconds",
    "lines_per_s",
    "cpu_s",
    "cpu_util",
    "peak_rss_mb",
    "usable_cpus",
    "load_avg_1m",
    "size",
)

_INT_SETTINGS = ("readers", "parsers", "writers", "batch_lines")


def expand_grid(workload: Workload, grid: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every combination of ``grid`` over the workload's fixed settings, knob varying fastest.

    ``grid`` maps a setting to one value or a list of values; the workload's knob takes its
    default grid unless ``grid`` names it. Settings the workload does not use are refused.
    """
    grid = dict(grid or {})
    unknown = [k for k in grid if k not in SETTINGS]
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}: choose from {', '.join(SETTINGS)}")
    unused = [k for k in grid if k not in workload.uses]
    if unused:
        raise ValueError(
            f"workload {workload.name!r} does not use {', '.join(unused)} "
            f"(it uses {', '.join(workload.uses)})"
        )
    grid.setdefault(workload.knob, workload.default_grid())
    axes = {
        k: list(v) if isinstance(v, Iterable) and not isinstance(v, str) else [v]
        for k, v in grid.items()
    }
    for k, values in axes.items():
        if not values:
            raise ValueError(f"no values for {k}")
        if k in _INT_SETTINGS and any(int(v) < 1 for v in values):
            raise ValueError(f"{k} must be at least 1")
        if k == "writer_latency_s" and any(float(v) < 0 for v in values):
            raise ValueError("writer_latency_s cannot be negative")
    order = [k for k in axes if k != workload.knob] + [workload.knob]
    settings = []
    for combo in itertools.product(*(axes[k] for k in order)):
        s = workload.defaults() | dict(zip(order, combo, strict=True))
        settings.append(s)
    return settings


def _progress(total: int, enabled: bool, desc: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="run", file=sys.stderr, leave=True)


def sweep(
    workload: str | Workload | Sequence[str | Workload] = "cpu-parse",
    grid: Mapping[str, Any] | None = None,
    *,
    repeats: int = 3,
    small: bool | None = None,
    warmup: bool = True,
    progress: bool = True,
    save: bool = True,
    results_db: str | os.PathLike | None = None,
    workdir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Run ``workload`` (a name from ``WORKLOADS``, a ``Workload``, or several) at every setting
    of ``grid``, ``repeats`` times, and return one row per run (columns: ``COLUMNS``).

    ``grid`` maps settings (``readers``, ``parsers``, ``writers``, ``batch_lines``,
    ``writer_latency_s``) to values; the workload's own worker count (its ``knob``, copied to the
    ``workers`` column) takes a default grid unless named. ``small`` picks the small inputs
    (default: ``LABKIT_SMALL``). ``warmup`` first does one unrecorded run (imports, disk cache).
    Rows go to the ``sweep_results`` table of ``results_db`` (default
    ``generated_dir()/experiments.db``) unless ``save=False``; input data goes under
    ``workdir`` (default ``generated_dir()/experiments``).

    Blocks until every run is done (a progress bar shows where it is). Each run's pool and
    threads are shut down before the next starts. Ctrl-C stops the current run cleanly, keeps
    the rows already saved, and re-raises ``KeyboardInterrupt``. Raises ``RuntimeError`` when a
    run processes a different number of lines than its input holds.
    """
    from labkit.paths import generated_dir

    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    targets = [workload] if isinstance(workload, str | Workload) else list(workload)
    if not targets:
        raise ValueError("no workload given")
    workloads = [get_workload(w, small=small) for w in targets]
    plans = [(w, expand_grid(w, grid)) for w in workloads]
    work_root = Path(workdir) if workdir is not None else generated_dir() / "experiments"
    db = Path(results_db) if results_db is not None else default_results_db()
    cpus = usable_cpu_count()
    sweep_id = uuid.uuid4().hex[:12]
    total = sum(len(s) for _, s in plans) * repeats
    bar = _progress(total, progress, workloads[0].name if len(workloads) == 1 else "sweep")
    rows: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="labkit-sweep-") as scratch_name:
            scratch = Path(scratch_name)
            for w, settings in plans:
                work_root.mkdir(parents=True, exist_ok=True)
                w.prepare(work_root)
                if warmup:
                    w.setup(settings[0])
                    w.run(settings[0], scratch)
                for repeat in range(repeats):
                    for s in settings:
                        if bar is not None:
                            bar.set_postfix_str(f"{w.knob}={s[w.knob]}", refresh=False)
                        row = _one_run(w, s, repeat, scratch, cpus, sweep_id)
                        rows.append(row)
                        if save:
                            save_results(pd.DataFrame([row]), db)
                        if bar is not None:
                            bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return _frame(rows)


def _one_run(
    w: Workload, s: Mapping[str, Any], repeat: int, scratch: Path, cpus: int, sweep_id: str
) -> dict[str, Any]:
    w.setup(s)
    load = psutil.getloadavg()[0]
    with measure(cpus) as usage:
        lines = w.run(s, scratch)
    if lines != w.expected_lines:
        raise RuntimeError(
            f"{w.name} at {dict(s)} processed {lines} lines, its input holds {w.expected_lines}"
        )
    return {
        "sweep_id": sweep_id,
        "workload": w.name,
        "kind": w.kind,
        "knob": w.knob,
        "workers": int(s[w.knob]),
        **{k: (s.get(k) if k in w.uses else None) for k in SETTINGS},
        "repeat": repeat,
        "lines": lines,
        "seconds": usage.wall_s,
        "lines_per_s": lines / usage.wall_s if usage.wall_s > 0 else 0.0,
        "cpu_s": usage.cpu_s,
        "cpu_util": usage.cpu_util,
        "peak_rss_mb": usage.peak_rss_mb,
        "usable_cpus": cpus,
        "load_avg_1m": round(load, 2),
        "size": w.size,
    }


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a DataFrame with every column of ``COLUMNS`` and sensible dtypes."""
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in ("workers", *_INT_SETTINGS, "repeat", "lines", "usable_cpus"):
        df[col] = df[col].astype("Int64")
    floats = ("writer_latency_s", "seconds", "lines_per_s", "cpu_s", "cpu_util", "peak_rss_mb")
    for col in (*floats, "load_avg_1m"):
        df[col] = df[col].astype("float64")
    return df
