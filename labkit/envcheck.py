"""``labkit check``: can this machine run the lab? Prints the facts and what is missing.

Only the standard library is imported at module level, so the check still runs (and says what
to install) when the lab's dependencies are missing. Exits 0 when everything a notebook needs is
there, 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import multiprocessing as mp
import os
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from labkit.paths import data_dir
from labkit.system import affinity_cpu_count, cgroup_cpu_limit, usable_cpu_count

__all__ = ["OPTIONAL", "REQUIRED", "Report", "add_parser", "collect", "run"]

#: distribution -> (import name, lowest version the lab is tested with)
REQUIRED: dict[str, tuple[str, str]] = {
    "jupyterlab": ("jupyterlab", "4.2.0"),
    "ipywidgets": ("ipywidgets", "8.1.5"),
    "anywidget": ("anywidget", "0.9.13"),
    "plotly": ("plotly", "6.1.0"),
    "pandas": ("pandas", "2.2.2"),
    "aiosqlite": ("aiosqlite", "0.20.0"),
    "tqdm": ("tqdm", "4.66.0"),
    "psutil": ("psutil", "5.9.0"),
}
#: Needed only by some notebooks or by the tests: reported, never a failure.
OPTIONAL: dict[str, str] = {
    "dask": "notebook 08 (pip install -e '.[dask]')",
    "distributed": "notebook 08 (pip install -e '.[dask]')",
    "pytest": "make test",
    "nbval": "make test",
    "playwright": "the browser test",
}
MIN_PYTHON = (3, 11)
MIN_FREE_BYTES = 1 << 30  # generated data and databases for the experiments


@dataclass
class Report:
    """Everything ``labkit check`` found; ``problems`` empty means ready."""

    python: str
    python_version: str
    platform: str
    start_method: str
    cpu_count_os: int | None
    cpu_count_affinity: int
    cpu_quota: float | None
    cpu_count_usable: int
    data_dir: str
    free_disk_gb: float | None
    packages: dict[str, str | None] = field(default_factory=dict)
    optional: dict[str, str | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _installed(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def _free_bytes(path: Path) -> int | None:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def collect() -> Report:
    """Gather the facts (does not block beyond reading a few files; starts no process)."""
    ddir = data_dir()
    free = _free_bytes(ddir)
    report = Report(
        python=sys.executable,
        python_version=sys.version.split()[0],
        platform=sys.platform,
        start_method=mp.get_start_method(allow_none=True) or mp.get_context().get_start_method(),
        cpu_count_os=os.cpu_count(),
        cpu_count_affinity=affinity_cpu_count(),
        cpu_quota=cgroup_cpu_limit(),
        cpu_count_usable=usable_cpu_count(),
        data_dir=str(ddir),
        free_disk_gb=None if free is None else round(free / 2**30, 1),
    )
    if sys.version_info[:2] < MIN_PYTHON:
        report.problems.append(
            f"Python {report.python_version} is too old: the lab needs "
            f"{'.'.join(map(str, MIN_PYTHON))} or newer."
        )
    for dist, (_module, lowest) in REQUIRED.items():
        version = _installed(dist)
        report.packages[dist] = version
        if version is None:
            report.problems.append(
                f"{dist} is not installed in {sys.executable}: run `make lab` (or "
                f"`pip install -e .`) and pick the kernel of the project's .venv."
            )
        elif _version_tuple(version) < _version_tuple(lowest):
            report.problems.append(f"{dist} {version} is older than {lowest}: upgrade it.")
    for dist, why in OPTIONAL.items():
        report.optional[dist] = _installed(dist)
        if report.optional[dist] is None:
            report.notes.append(f"optional {dist} is missing (needed for {why})")
    if free is not None and free < MIN_FREE_BYTES:
        report.problems.append(
            f"only {free / 2**20:.0f} MiB free under {ddir}: the experiments need about 1 GiB."
        )
    if report.cpu_count_usable < (report.cpu_count_os or 1):
        report.notes.append(
            f"this process may use {report.cpu_count_usable} of the machine's "
            f"{report.cpu_count_os} CPUs (affinity or a container quota): size pools by "
            "the usable count."
        )
    return report


def format_report(report: Report) -> str:
    """The report as aligned text for people."""
    quota = "none" if report.cpu_quota is None else f"{report.cpu_quota:g} CPUs"
    lines = [
        f"Python            {report.python_version}  ({report.python})",
        f"start method      {report.start_method}",
        f"CPUs              os.cpu_count()={report.cpu_count_os}  "
        f"affinity={report.cpu_count_affinity}  quota={quota}  usable={report.cpu_count_usable}",
        f"data folder       {report.data_dir}  ({report.free_disk_gb} GiB free)",
        "packages          "
        + ", ".join(f"{k} {v or 'MISSING'}" for k, v in report.packages.items()),
        "optional          "
        + ", ".join(f"{k} {v or 'missing'}" for k, v in report.optional.items()),
    ]
    lines += [f"note: {n}" for n in report.notes]
    lines += [f"PROBLEM: {p}" for p in report.problems]
    lines.append("ready: every notebook can run" if report.ok else "NOT READY: fix the above")
    return "\n".join(lines)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``labkit check``."""
    p = subparsers.add_parser("check", help="check that this machine can run the lab")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(_run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Print the report; 0 when ready, 1 when something a notebook needs is missing."""
    report = collect()
    if args.json:
        print(json.dumps({**asdict(report), "ok": report.ok}, indent=2))
    else:
        print(format_report(report))
    return 0 if report.ok else 1
