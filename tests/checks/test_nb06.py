"""Notebook 06's checks fail on wrong answers, with the hint that fits (solutions pass in
tests/test_solutions.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from labkit.checks import nb06


def failed(report) -> str:
    assert not report.ok, "the check accepted a wrong answer"
    return " ".join(hint for _, hint in report.failed)


# ----- knee_of ----------------------------------------------------------------------------------
def test_knee_of_rejects_the_best_setting(capsys: pytest.CaptureFixture) -> None:
    def knee_of(workers, throughput, fraction=0.9):
        return workers[throughput.index(max(throughput))]

    assert "*smallest* worker count" in failed(nb06.check_knee_of(knee_of))
    assert "❌ knee_of" in capsys.readouterr().out


def test_knee_of_rejects_a_position_instead_of_a_count() -> None:
    def knee_of(workers, throughput, fraction=0.9):
        best = max(throughput)
        return min(i for i, t in enumerate(throughput) if t >= fraction * best)

    assert "not its position" in failed(nb06.check_knee_of(knee_of))


def test_knee_of_rejects_assuming_sorted_input() -> None:
    def knee_of(workers, throughput, fraction=0.9):
        best = max(throughput)
        return next(w for w, t in zip(workers, throughput, strict=True) if t >= fraction * best)

    hints = failed(nb06.check_knee_of(knee_of))
    assert "not necessarily sorted" in hints


def test_knee_of_rejects_a_stub() -> None:
    def knee_of(workers, throughput, fraction=0.9): ...

    assert "None" in failed(nb06.check_knee_of(knee_of))


# ----- amdahl -----------------------------------------------------------------------------------
def test_amdahl_rejects_multiplying_the_parallel_part() -> None:
    assert "don't multiply" in failed(nb06.check_amdahl(lambda n, s: 1 / (s + (1 - s) * n)))


def test_amdahl_rejects_gustafsons_law() -> None:
    assert "Gustafson" in failed(nb06.check_amdahl(lambda n, s: n - s * (n - 1)))


def test_amdahl_rejects_ignoring_the_serial_part() -> None:
    hints = failed(nb06.check_amdahl(lambda n, s: float(n)))
    assert "1 / (serial + (1 - serial) / n)" in hints


def test_amdahl_rejects_a_stub() -> None:
    def amdahl(n, serial):
        raise NotImplementedError

    assert "not implemented" in failed(nb06.check_amdahl(amdahl))


# ----- usable_cpus ------------------------------------------------------------------------------
def test_usable_cpus_rejects_rounding_the_quota_down() -> None:
    def usable_cpus(cpu_max, affinity):
        quota, period = cpu_max.split()
        if quota == "max":
            return affinity
        return max(1, min(affinity, int(quota) // int(period)))

    assert "rounds *up*" in failed(nb06.check_usable_cpus(usable_cpus))


def test_usable_cpus_rejects_a_float_answer() -> None:
    def usable_cpus(cpu_max, affinity):
        quota, period = cpu_max.split()
        if quota == "max":
            return affinity
        return max(1.0, min(affinity, int(quota) / int(period)))

    assert "return an int" in failed(nb06.check_usable_cpus(usable_cpus))


def test_usable_cpus_rejects_ignoring_the_affinity() -> None:
    def usable_cpus(cpu_max, affinity):
        quota, period = cpu_max.split()
        if quota == "max":
            return affinity
        return max(1, math.ceil(int(quota) / int(period)))

    assert "min(affinity, ceil(quota))" in failed(nb06.check_usable_cpus(usable_cpus))


def test_usable_cpus_rejects_falling_below_one() -> None:
    def usable_cpus(cpu_max, affinity):
        quota, period = cpu_max.split()
        if quota == "max":
            return affinity
        return min(affinity, round(int(quota) / int(period)))

    assert "never fewer than 1" in failed(nb06.check_usable_cpus(usable_cpus))


# ----- speedup_table ----------------------------------------------------------------------------
def test_speedup_table_rejects_the_mean() -> None:
    def speedup_table(runs):
        table = runs.groupby("workers")[["lines_per_s"]].mean()
        table["speedup"] = table["lines_per_s"] / table.loc[1, "lines_per_s"]
        table["efficiency"] = table["speedup"] / table.index
        return table

    assert "use the median" in failed(nb06.check_speedup_table(speedup_table))


def test_speedup_table_rejects_speedup_over_the_wrong_baseline() -> None:
    def speedup_table(runs):
        table = runs.groupby("workers")[["lines_per_s"]].median()
        table["speedup"] = table["lines_per_s"] / table["lines_per_s"].max()
        table["efficiency"] = table["speedup"] / table.index
        return table

    assert "median at 1 worker" in failed(nb06.check_speedup_table(speedup_table))


def test_speedup_table_rejects_efficiency_that_is_not_per_worker() -> None:
    def speedup_table(runs):
        table = runs.groupby("workers")[["lines_per_s"]].median()
        table["speedup"] = table["lines_per_s"] / table.loc[1, "lines_per_s"]
        table["efficiency"] = table["speedup"]
        return table

    assert "divided by the worker count" in failed(nb06.check_speedup_table(speedup_table))


def test_speedup_table_rejects_a_table_not_indexed_by_workers() -> None:
    def speedup_table(runs):
        table = runs.groupby("workers")[["lines_per_s"]].median()
        table["speedup"] = table["lines_per_s"] / table.loc[1, "lines_per_s"]
        table["efficiency"] = table["speedup"] / table.index
        return table.reset_index()

    assert "index the table by worker count" in failed(nb06.check_speedup_table(speedup_table))


def test_speedup_table_rejects_missing_columns_and_non_frames() -> None:
    assert "missing" in failed(nb06.check_speedup_table(lambda runs: pd.DataFrame({"x": [1]})))
    assert "return a DataFrame" in failed(nb06.check_speedup_table(lambda runs: None))
