"""Checks for notebook 06 (tuning worker counts).

Every case is a constructed curve or table with a known answer (measured sweeps are too noisy
to grade), chosen so the usual slips give a specific hint: the best setting instead of the
knee, the mean instead of the median, a quota read as whole CPUs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from labkit.checks.base import CheckReport, Hint, expect

__all__ = ["check_amdahl", "check_knee_of", "check_speedup_table", "check_usable_cpus"]


# ----- Exercise 1: the knee ---------------------------------------------------------------------
_KNEE_CASES = [
    # (description, workers, throughput, fraction, knee)
    ("a curve that levels off", [1, 2, 4, 8, 16], [100, 190, 330, 385, 400], 0.9, 8),
    ("the same curve, fraction 0.8", [1, 2, 4, 8, 16], [100, 190, 330, 385, 400], 0.8, 4),
    ("a curve that peaks and falls", [1, 2, 3, 4], [100, 180, 175, 150], 0.9, 2),
    ("a flat curve", [1, 2, 4], [50, 49, 51], 0.9, 1),
    ("points in any order", [8, 16, 1, 4, 2], [385, 400, 100, 380, 190], 0.9, 4),
    ("fraction 1.0 (the best itself)", [1, 2, 4, 8], [10, 30, 39, 40], 1.0, 8),
    ("a curve without a 1-worker point", [2, 4, 6], [200, 390, 400], 0.95, 4),
    ("one point", [3], [123], 0.9, 3),
]


def check_knee_of(knee_of: Callable[[list[int], list[float], float], int]) -> CheckReport:
    """``knee_of(workers, throughput, fraction)``: the smallest worker count whose throughput is
    at least ``fraction`` of the best."""
    report = CheckReport("knee_of")
    for description, workers, tput, fraction, want in _KNEE_CASES:
        with report.case(f"{description}: {dict(zip(workers, tput, strict=True))}"):
            got = knee_of(list(workers), [float(t) for t in tput], fraction)
            expect(got is not None, "return the worker count (you returned None)")
            best = workers[tput.index(max(tput))]
            if got == best and want != best:
                raise Hint(
                    f"got {got}, the best setting; the knee is the *smallest* worker count whose "
                    f"throughput is at least {fraction} x the best ({fraction * max(tput):g}), "
                    f"here {want}"
                )
            if got in range(len(workers)) and got not in workers:
                raise Hint(f"got {got}: return a worker count, not its position in the list")
            expect(
                got in workers,
                f"got {got}, which is not one of the worker counts {sorted(workers)}",
            )
            expect(
                got == want,
                f"got {got}, expected {want}: keep the worker counts whose throughput is "
                f">= {fraction} * max(throughput) and return the smallest one (the lists are "
                "not necessarily sorted)",
            )
    return report.show()


# ----- Exercise 2: Amdahl's law -----------------------------------------------------------------
def check_amdahl(amdahl: Callable[[float, float], float]) -> CheckReport:
    """``amdahl(n, serial)``: the speedup of ``n`` workers when a fraction ``serial`` of the
    one-worker time cannot be shared out."""
    report = CheckReport("amdahl")
    cases = [
        (1, 0.3, "one worker: no speedup"),
        (8, 0.0, "all parallel: speedup = n"),
        (8, 1.0, "all serial: no speedup"),
        (4, 0.1, "4 workers, 10% serial"),
        (2, 0.5, "2 workers, half serial"),
        (1_000_000, 0.05, "a million workers, 5% serial: the ceiling 1/serial"),
    ]
    for n, s, label in cases:
        want = 1 / (s + (1 - s) / n)
        with report.case(f"{label} (n={n}, serial={s})"):
            got = amdahl(n, s)
            expect(
                isinstance(got, int | float) and not isinstance(got, bool),
                f"return a number, not {type(got).__name__}",
            )
            if math.isclose(got, n - s * (n - 1), rel_tol=1e-6) and not math.isclose(got, want):
                raise Hint(
                    f"got {got:.4g}: that is Gustafson's law (the problem grows with the "
                    "workers). Amdahl keeps the work fixed: time = serial + (1 - serial) / n "
                    "of the one-worker time, and speedup = 1 / time"
                )
            wrong = 1 / (s + (1 - s) * n)
            if math.isclose(got, wrong, rel_tol=1e-6) and not math.isclose(got, want):
                raise Hint(
                    f"got {got:.4g}: the parallel part gets *shorter* with n workers: divide "
                    "(1 - serial) by n, don't multiply"
                )
            expect(
                math.isclose(got, want, rel_tol=1e-6),
                f"got {got:.6g}, expected {want:.6g} = 1 / (serial + (1 - serial) / n)",
            )
    return report.show()


# ----- Exercise 3: usable CPUs ------------------------------------------------------------------
def check_usable_cpus(usable_cpus: Callable[[str, int], int]) -> CheckReport:
    """``usable_cpus(cpu_max, affinity)``: the CPUs a process can keep busy given the text of a
    cgroup v2 ``cpu.max`` file and the CPUs its affinity allows."""
    report = CheckReport("usable_cpus")
    cases = [
        ("max 100000\n", 8, 8, "no quota (a laptop)"),
        ("200000 100000\n", 8, 2, "a container limited to 2 CPUs on an 8-CPU machine"),
        ("150000 100000\n", 8, 2, "a quota of 1.5 CPUs (round up: two workers make progress)"),
        ("50000 100000\n", 4, 1, "half a CPU (never below 1)"),
        ("400000 100000\n", 2, 2, "a quota larger than the CPUs it may run on"),
        ("100000 100000", 16, 1, "exactly one CPU, no trailing newline"),
        ("max 100000\n", 1, 1, "one CPU by affinity (taskset -c 0)"),
    ]
    for text, affinity, want, label in cases:
        with report.case(f"{label}: cpu.max {text.strip()!r}, affinity {affinity}"):
            got = usable_cpus(text, affinity)
            expect(
                isinstance(got, int) and not isinstance(got, bool),
                f"return an int (a worker count), not {type(got).__name__} {got!r}",
            )
            expect(
                got >= 1,
                f"got {got}: never fewer than 1 CPU (a process always gets some time)",
            )
            expect(
                got <= affinity,
                f"got {got}, more than the {affinity} CPU(s) the affinity allows: take "
                "min(affinity, ceil(quota))",
            )
            first, second = text.split()
            if first == "max":
                expect(
                    got == affinity,
                    f"got {got}: 'max' means no quota, so the affinity count ({affinity}) "
                    "is the answer",
                )
            quota = None if first == "max" else int(first) / int(second)
            if quota is not None and quota != int(quota) and got == max(1, int(quota)) != want:
                raise Hint(
                    f"got {got}: a quota of {quota:g} CPUs rounds *up* (math.ceil): "
                    "a fraction of a CPU still lets one more worker make progress"
                )
            expect(
                got == want,
                f"got {got}, expected {want}: quota = first number / second number, "
                "then min(affinity, ceil(quota)), at least 1",
            )
    return report.show()


# ----- Exercise 4: the speedup table ------------------------------------------------------------
def _runs(curve: dict[int, list[float]], order: list[int] | None = None) -> pd.DataFrame:
    rows = [
        {"workload": "demo", "workers": w, "repeat": i, "lines_per_s": v}
        for w, values in curve.items()
        for i, v in enumerate(values)
    ]
    df = pd.DataFrame(rows)
    return df.iloc[order].reset_index(drop=True) if order else df


def _expected_table(curve: dict[int, list[float]]) -> pd.DataFrame:
    med = {w: float(pd.Series(v).median()) for w, v in sorted(curve.items())}
    base = med[1]
    out = pd.DataFrame({"lines_per_s": med})
    out["speedup"] = out["lines_per_s"] / base
    out["efficiency"] = out["speedup"] / out.index.to_series().astype(float)
    out.index.name = "workers"
    return out


def _vals(series: pd.Series) -> list[float]:
    return [round(float(v), 6) for v in series]


def check_speedup_table(speedup_table: Callable[[pd.DataFrame], pd.DataFrame]) -> CheckReport:
    """``speedup_table(runs)``: per worker count, the median lines/s over repeats, the speedup
    over the 1-worker median, and the efficiency (speedup / workers), indexed by workers."""
    report = CheckReport("speedup_table")
    cases = [
        (
            "three repeats, one slowed by a noisy neighbour",
            {1: [100, 104, 30], 2: [190, 200, 195], 4: [210, 350, 205]},
            None,
        ),
        (
            "rows in any order",
            {1: [50, 52], 2: [90, 96], 3: [120, 126], 4: [118, 124]},
            [7, 0, 5, 2, 3, 6, 1, 4],
        ),
        ("one run per setting", {1: [10.0], 2: [20.0], 4: [40.0], 8: [60.0]}, None),
    ]
    for label, curve, order in cases:
        with report.case(label):
            runs = _runs(curve, order)
            got = speedup_table(runs.copy())
            expect(
                isinstance(got, pd.DataFrame),
                f"return a DataFrame, not {type(got).__name__}",
            )
            missing = {"lines_per_s", "speedup", "efficiency"} - set(got.columns)
            expect(not missing, f"columns {sorted(missing)} are missing")
            want = _expected_table(curve)
            expect(
                sorted(got.index.tolist()) == want.index.tolist(),
                f"index {got.index.tolist()}: index the table by worker count "
                "(groupby('workers')), one row per count",
            )
            got = got.sort_index()
            means = _vals(runs.groupby("workers")["lines_per_s"].mean())
            if _vals(got["lines_per_s"]) == means != _vals(want["lines_per_s"]):
                raise Hint(
                    "lines_per_s is the mean of the repeats: use the median, so one run slowed "
                    "by something else on the machine does not drag the figure"
                )
            for column, rule in (
                ("lines_per_s", "the median per worker count"),
                ("speedup", "each median divided by the median at 1 worker"),
                ("efficiency", "speedup divided by the worker count"),
            ):
                expect(
                    _vals(got[column]) == _vals(want[column]),
                    f"{column} {[round(v, 3) for v in _vals(got[column])]}, expected "
                    f"{[round(v, 3) for v in _vals(want[column])]}: {rule}",
                )
    return report.show()
