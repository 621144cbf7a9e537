"""``labkit sweep``: worker-count experiments from the command line.

Runs each workload over its worker counts (repeats interleaved), prints a table per workload
(median lines/s and spread, speedup and efficiency against 1 worker, CPU utilisation, peak
memory), the knee and the rule of thumb for this machine; appends every run to the results
table (``generated_dir()/experiments.db``) and, with ``--output``, writes the runs as CSV.
``--history`` prints the stored results of every machine and day instead.

The defaults (the pipeline with remote sources, and with CPU-bound parsing; 3 repeats) finish
in a few minutes on 2 cores; ``--small`` (or ``LABKIT_SMALL=1``) in well under one.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]

DEFAULT_WORKLOADS = ("io-read", "cpu-parse")
#: worker-count options: each sets the grid of the workloads that vary that count
KNOB_OPTIONS = ("readers", "parsers", "writers")


def _values(cast: Callable[[str], Any]) -> Callable[[str], list]:
    def parse(text: str) -> list:
        try:
            values = [cast(v) for v in text.split(",") if v.strip()]
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list: {exc}") from exc
        if not values:
            raise argparse.ArgumentTypeError("expected at least one value")
        return values

    return parse


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``labkit sweep``."""
    from labkit.experiments.workloads import WORKLOADS

    p = subparsers.add_parser(
        "sweep",
        help="run worker-count experiments",
        description=__doc__.split("\n\n")[1].replace("``", ""),
    )
    p.add_argument(
        "--workload",
        nargs="+",
        choices=list(WORKLOADS),
        default=list(DEFAULT_WORKLOADS),
        metavar="NAME",
        help=f"what to run: {', '.join(WORKLOADS)} (default: {' '.join(DEFAULT_WORKLOADS)})",
    )
    grid = p.add_argument_group(
        "grid",
        "comma-separated values. --readers/--parsers/--writers set the worker counts of the "
        "workloads that vary them (default: a grid for this machine); --batch and "
        "--writer-latency apply to every workload that uses them",
    )
    grid.add_argument("--readers", type=_values(int), metavar="N,N", help="e.g. 1,2,4,8,16")
    grid.add_argument("--parsers", type=_values(int), metavar="N,N", help="e.g. 1,2,3,4")
    grid.add_argument("--writers", type=_values(int), metavar="N,N", help="e.g. 1,2,4")
    grid.add_argument("--batch", type=_values(int), metavar="N,N", help="lines per batch")
    grid.add_argument(
        "--writer-latency", type=_values(float), metavar="S,S", help="seconds per batch (io-write)"
    )
    p.add_argument("--repeats", type=int, help="runs per setting (default 3; 2 with --small)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--small", action="store_true", default=None, help="small inputs")
    size.add_argument("--full", dest="small", action="store_false", help="full-size inputs")
    p.add_argument(
        "--fraction", type=float, default=0.9, help="the knee is within this of the best (0.9)"
    )
    p.add_argument("--output", metavar="FILE.csv", help="also write every run to this CSV file")
    p.add_argument("--db", help="results database (default: generated_dir()/experiments.db)")
    p.add_argument("--no-save", action="store_true", help="do not append to the results table")
    p.add_argument("--no-warmup", action="store_true", help="skip the unrecorded first run")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--history", action="store_true", help="print the stored results and exit (runs nothing)"
    )
    p.set_defaults(_run=run)
    return p


def grids(args: argparse.Namespace) -> dict[str, dict[str, list]]:
    """The grid of each chosen workload; raises ``ValueError`` for options none of them use."""
    from labkit.experiments.workloads import WORKLOADS

    chosen = list(dict.fromkeys(args.workload))
    out: dict[str, dict[str, list]] = {name: {} for name in chosen}
    for option in KNOB_OPTIONS:
        values = getattr(args, option)
        if values is None:
            continue
        takers = [n for n in chosen if WORKLOADS[n].knob == option]
        if not takers:
            varies = [n for n, w in WORKLOADS.items() if w.knob == option]
            raise ValueError(
                f"--{option} sets the worker counts of {', '.join(varies)}; none is chosen"
            )
        for n in takers:
            out[n][option] = values
    for option, setting in (("batch", "batch_lines"), ("writer_latency", "writer_latency_s")):
        values = getattr(args, option)
        if values is None:
            continue
        takers = [n for n in chosen if setting in WORKLOADS[n].uses]
        if not takers:
            flag = "--" + option.replace("_", "-")
            raise ValueError(f"{flag} is used by none of {', '.join(chosen)}")
        for n in takers:
            out[n][setting] = values
    return out


def run(args: argparse.Namespace) -> int:
    """Run the sweeps and print them; 0 on success, 1 on a bad option or error, 130 on Ctrl-C."""
    from labkit.experiments.results import default_results_db, load_results
    from labkit.experiments.sweep import sweep
    from labkit.paths import small_mode

    db = Path(args.db) if args.db else default_results_db()
    if args.history:
        return _history(load_results(db), args.fraction)
    small = small_mode() if args.small is None else args.small
    repeats = args.repeats if args.repeats is not None else (2 if small else 3)
    try:
        if repeats < 1:
            raise ValueError("--repeats must be at least 1")
        if not 0 < args.fraction <= 1:
            raise ValueError("--fraction must be in (0, 1]")
        plans = grids(args)
    except ValueError as exc:
        print(f"labkit sweep: {exc}", file=sys.stderr)
        return 1
    frames = []
    try:
        for name, grid in plans.items():
            df = sweep(
                name,
                grid,
                repeats=repeats,
                small=small,
                warmup=not args.no_warmup,
                progress=not args.no_progress,
                save=not args.no_save,
                results_db=db,
            )
            frames.append(df)
            _print_sweep(df, args.fraction)
    except KeyboardInterrupt:
        print("\nlabkit sweep: interrupted; runs already measured are saved", file=sys.stderr)
        return 130
    except (ValueError, RuntimeError, OSError, sqlite3.Error) as exc:
        print(f"labkit sweep: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if args.output:
        import pandas as pd

        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        pd.concat(frames, ignore_index=True).to_csv(out, index=False)
        print(f"wrote {sum(len(f) for f in frames)} runs to {out}")
    if not args.no_save:
        print(f"results appended to {db} (labkit sweep --history to compare)")
    return 0


def _print_sweep(df, fraction: float) -> None:
    from labkit.experiments.analysis import knees, rule_of_thumb, summarize

    summary = summarize(df)
    w = df.iloc[0]
    knob, kind, cpus = w["knob"], w["kind"], int(w["usable_cpus"])
    table = summary.drop(columns=["workload", "baseline", "lines_per_s_std"], errors="ignore")
    table = table.rename(
        columns={
            "workers": knob,
            "lines_per_s": "lines/s",
            "lines_per_s_min": "min",
            "lines_per_s_max": "max",
            "cpu_util": "cpu",
            "peak_rss_mb": "rss MB",
            "load_avg_1m": "load",
        }
    )
    fmt = {
        "lines/s": "{:,.0f}".format,
        "min": "{:,.0f}".format,
        "max": "{:,.0f}".format,
        "speedup": "{:.2f}x".format,
        "efficiency": "{:.0%}".format,
        "cpu": "{:.0%}".format,
        "rss MB": "{:.0f}".format,
        "load": "{:.1f}".format,
    }
    print(f"\n{w['workload']} ({kind}-bound, {knob} varied, {w['size']} inputs):")
    print(table.to_string(index=False, formatters=fmt))
    lo, hi = rule_of_thumb(kind, cpus)
    found = knees(summary, fraction)
    curve = [c for c in found.columns[: list(found.columns).index("knee")] if c != "workload"]
    for k in found.to_dict("records"):
        label = ", ".join(f"{c}={k[c]}" for c in curve)
        print(
            (f"[{label}] " if label else "")
            + f"knee (within {fraction:.0%} of the best): {k['knee']} {knob}; best: {k['best']}"
        )
    print(f"rule of thumb for {kind}-bound work on {cpus} usable CPUs: {lo}-{hi} {knob}")


def _history(results, fraction: float) -> int:
    from labkit.experiments.analysis import compare_runs

    if results.empty:
        print("no stored results yet: run labkit sweep first")
        return 0
    print(compare_runs(results, fraction).to_string(index=False))
    return 0
