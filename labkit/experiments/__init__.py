"""Worker-count experiments: run a workload over a grid of settings, read the knee.

::

    from labkit import experiments
    df = experiments.sweep("cpu-parse", {"parsers": [1, 2, 3, 4]}, repeats=3)
    summary = experiments.summarize(df)            # median lines/s, speedup, efficiency
    experiments.knees(summary)                     # smallest count within 90% of the best
    experiments.plot_sweep(df).show()

Modules: ``workloads`` (what is run), ``measure`` (wall, CPU of the process tree, peak memory),
``sweep`` (the grid, repeats, the tidy table), ``results`` (the ``sweep_results`` table in
SQLite), ``analysis`` (speedup, knee, Amdahl, rule of thumb), ``plots`` and ``predict`` (the
guess widget). ``labkit sweep`` is the same on the command line. The charts (plotly) and the
widget (ipywidgets) are imported on first use, so the command line starts quickly.
"""

from __future__ import annotations

from labkit.experiments.analysis import (
    amdahl_speedup,
    compare_runs,
    compare_with_advice,
    fit_serial_fraction,
    group_columns,
    knee,
    knees,
    rule_of_thumb,
    summarize,
)
from labkit.experiments.measure import Usage, cpu_utilisation, measure
from labkit.experiments.results import default_results_db, load_results, machine_info, save_results
from labkit.experiments.sweep import COLUMNS, expand_grid, sweep
from labkit.experiments.workloads import WORKLOADS, Workload, get_workload

__all__ = [
    "COLUMNS",
    "WORKLOADS",
    "GuessWidget",
    "Usage",
    "Workload",
    "amdahl_speedup",
    "compare_runs",
    "compare_with_advice",
    "cpu_utilisation",
    "default_results_db",
    "expand_grid",
    "fit_serial_fraction",
    "get_workload",
    "group_columns",
    "knee",
    "knees",
    "load_results",
    "machine_info",
    "measure",
    "plot_speedup",
    "plot_sweep",
    "rule_of_thumb",
    "save_results",
    "summarize",
    "sweep",
]

_LAZY = {
    "GuessWidget": "labkit.experiments.predict",
    "plot_speedup": "labkit.experiments.plots",
    "plot_sweep": "labkit.experiments.plots",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
