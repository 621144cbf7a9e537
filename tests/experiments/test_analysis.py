"""Speedup, efficiency, the knee, Amdahl's law and the rule of thumb on constructed curves."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from labkit.experiments import (
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


def runs(workload: str, curve: dict[int, list[float]], kind: str = "cpu", **extra) -> list[dict]:
    """Tidy rows as sweep returns them: one per (workers, repeat)."""
    knob = "parsers" if kind == "cpu" else "readers"
    return [
        {
            "workload": workload,
            "kind": kind,
            "knob": knob,
            "workers": w,
            knob: w,
            "repeat": i,
            "lines_per_s": v,
            "cpu_util": 0.5,
            "peak_rss_mb": 100.0 + w,
            "usable_cpus": 2,
            **extra,
        }
        for w, values in curve.items()
        for i, v in enumerate(values)
    ]


# ----- knee -------------------------------------------------------------------------------------
def test_knee_of_a_saturating_curve_is_the_first_point_near_the_top() -> None:
    curve = {1: 100.0, 2: 190.0, 4: 330.0, 8: 385.0, 16: 400.0}
    assert knee(curve, 0.9) == 8  # 385 >= 360, 330 < 360
    assert knee(curve, 0.8) == 4  # 330 >= 320
    assert knee(curve, 1.0) == 16


def test_knee_of_a_curve_that_peaks_then_falls() -> None:
    # CPU-bound on 2 cores: more processes than cores only add overhead
    curve = {1: 100.0, 2: 180.0, 3: 175.0, 4: 150.0}
    assert knee(curve, 0.9) == 2
    assert knee(curve, 0.97) == 2  # 3 workers are within 97% too, but 2 is fewer
    assert knee(curve, 0.5) == 1


def test_knee_of_a_flat_curve_is_one_worker() -> None:
    assert knee({1: 50.0, 2: 49.0, 4: 51.0}, 0.9) == 1


def test_knee_ignores_input_order_and_missing_values() -> None:
    pairs = [(8, 390.0), (1, 100.0), (4, float("nan")), (2, 380.0)]
    assert knee(pairs, 0.9) == 2
    assert knee(pd.Series({4: 10.0, 1: 1.0, 2: 9.5}), 0.9) == 2


def test_knee_reads_a_summary_frame_and_returns_plain_numbers() -> None:
    frame = pd.DataFrame(
        {"workers": pd.array([1, 2, 4], dtype="Int64"), "lines_per_s": [1.0, 2.0, 2.05]}
    )
    k = knee(frame, 0.9)
    assert k == 2 and type(k) is int


def test_knee_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="fraction"):
        knee({1: 1.0}, 0.0)
    with pytest.raises(ValueError, match="fraction"):
        knee({1: 1.0}, 1.5)
    with pytest.raises(ValueError, match="no points"):
        knee({}, 0.9)
    with pytest.raises(ValueError, match="no points"):
        knee({1: float("nan")}, 0.9)


# ----- summarize --------------------------------------------------------------------------------
def test_summarize_medians_speedup_and_efficiency() -> None:
    df = pd.DataFrame(runs("cpu-parse", {1: [100, 110, 90], 2: [200, 180, 400], 4: [220] * 3}))
    s = summarize(df)
    assert list(s["workers"]) == [1, 2, 4]
    assert list(s["runs"]) == [3, 3, 3]
    assert list(s["lines_per_s"]) == [100, 200, 220]  # the 400 outlier does not move the median
    assert list(s["lines_per_s_min"]) == [90, 180, 220]
    assert list(s["lines_per_s_max"]) == [110, 400, 220]
    assert s["speedup"].tolist() == pytest.approx([1.0, 2.0, 2.2])
    assert s["efficiency"].tolist() == pytest.approx([1.0, 1.0, 0.55])
    assert s["peak_rss_mb"].tolist() == [101, 102, 104]
    assert (s["baseline"] == 1).all()


def test_summarize_without_a_one_worker_run_uses_the_fewest_workers() -> None:
    df = pd.DataFrame(runs("io-read", {2: [100.0], 4: [180.0], 8: [300.0]}, kind="io"))
    s = summarize(df)
    assert (s["baseline"] == 2).all()
    assert s["speedup"].tolist() == pytest.approx([1.0, 1.8, 3.0])
    assert s["efficiency"].tolist() == pytest.approx([1.0, 0.9, 0.75])


def test_summarize_keeps_workloads_and_extra_settings_apart() -> None:
    rows = runs("cpu-parse", {1: [10.0], 2: [20.0]})
    rows += runs("io-write", {1: [5.0], 2: [5.0]}, kind="io", writer_latency_s=0.0)
    rows += runs("io-write", {1: [1.0], 2: [2.0]}, kind="io", writer_latency_s=0.1)
    df = pd.DataFrame(rows)
    assert group_columns(df) == ["workload", "writer_latency_s"]
    s = summarize(df)
    assert len(s) == 6
    k = knees(s, 0.9).set_index(["workload", "writer_latency_s"], drop=True)
    assert k["knee"].tolist() == [2, 1, 2]  # cpu-parse, io-write at 0.0, io-write at 0.1


def test_summarize_refuses_an_empty_table() -> None:
    with pytest.raises(ValueError):
        summarize(pd.DataFrame(columns=["workload", "workers", "lines_per_s"]))


def test_knees_reports_knee_best_and_speedup_per_curve() -> None:
    df = pd.DataFrame(
        runs("a", {1: [100.0], 2: [195.0], 4: [200.0]})
        + runs("b", {1: [100.0], 2: [120.0], 4: [400.0]})
    )
    k = knees(summarize(df), 0.9).set_index("workload")
    assert k.loc["a", "knee"] == 2 and k.loc["a", "best"] == 4
    assert k.loc["a", "speedup_at_knee"] == pytest.approx(1.95)
    assert k.loc["b", "knee"] == 4 and k.loc["b", "best"] == 4


# ----- Amdahl -----------------------------------------------------------------------------------
def test_amdahl_speedup() -> None:
    assert amdahl_speedup(1, 0.3) == pytest.approx(1.0)
    assert amdahl_speedup(8, 0.0) == pytest.approx(8.0)
    assert amdahl_speedup(8, 1.0) == pytest.approx(1.0)
    assert amdahl_speedup(4, 0.1) == pytest.approx(1 / (0.1 + 0.9 / 4))
    assert amdahl_speedup(10**9, 0.2) == pytest.approx(5.0)
    with pytest.raises(ValueError):
        amdahl_speedup(0, 0.1)
    with pytest.raises(ValueError):
        amdahl_speedup(2, 1.2)


@pytest.mark.parametrize("s", [0.0, 0.05, 0.3, 0.9])
def test_fit_serial_fraction_recovers_the_fraction_of_an_amdahl_curve(s: float) -> None:
    ns = [1, 2, 4, 8, 16]
    assert fit_serial_fraction(ns, [amdahl_speedup(n, s) for n in ns]) == pytest.approx(s)


def test_fit_serial_fraction_clips_and_needs_data() -> None:
    assert fit_serial_fraction([1, 2, 4], [1.0, 2.5, 5.0]) == 0.0  # superlinear: no serial part
    assert fit_serial_fraction([1, 2, 4], [1.0, 0.5, 0.25]) == 1.0  # slower with more workers
    with pytest.raises(ValueError):
        fit_serial_fraction([1], [1.0])
    assert not math.isnan(fit_serial_fraction([1, 2, 4], [1.0, float("nan"), 3.0]))


# ----- the advice -------------------------------------------------------------------------------
def test_rule_of_thumb() -> None:
    assert rule_of_thumb("io", 2) == (4, 8)
    assert rule_of_thumb("cpu", 2) == (2, 4)
    assert rule_of_thumb("cpu", 8) == (8, 10)
    with pytest.raises(ValueError):
        rule_of_thumb("gpu", 2)
    with pytest.raises(ValueError):
        rule_of_thumb("io", 0)


def test_compare_with_advice_puts_guess_rule_and_measurement_side_by_side() -> None:
    df = pd.DataFrame(
        runs("io-read-stage", {1: [1.0], 2: [2.0], 4: [4.0], 8: [8.0]}, kind="io")
        + runs("cpu-parse-stage", {1: [1.0], 2: [1.9], 4: [1.8]})
    )
    table = compare_with_advice(df, cpus=2, guesses={"io-read-stage": 2}).set_index("workload")
    io, cpu = table.loc["io-read-stage"], table.loc["cpu-parse-stage"]
    assert (io["your_guess"], io["rule_of_thumb"], io["measured_knee"]) == (2, "4-8", 8)
    assert bool(io["knee_in_rule"]) and io["varied"] == "readers"
    assert (cpu["rule_of_thumb"], cpu["measured_knee"], cpu["measured_best"]) == ("2-4", 2, 2)
    assert pd.isna(cpu["your_guess"])


def test_compare_runs_groups_by_machine_and_day() -> None:
    rows = []
    for host, day, curve in (
        ("laptop", "2026-01-05", {1: [10.0], 2: [19.0], 4: [20.0]}),
        ("laptop", "2026-01-06", {1: [10.0], 2: [12.0], 4: [20.0]}),
        ("server", "2026-01-05", {1: [10.0], 2: [20.0], 4: [40.0]}),
    ):
        for r in runs("cpu-parse", curve):
            rows.append(r | {"hostname": host, "recorded_at": f"{day}T10:00:00+00:00"})
    df = pd.DataFrame(rows).assign(size="small", load_avg_1m=1.0)
    out = compare_runs(df).set_index(["hostname", "day"])
    assert out.loc[("laptop", "2026-01-05"), "knee"] == 2
    assert out.loc[("laptop", "2026-01-06"), "knee"] == 4
    assert out.loc[("server", "2026-01-05"), "best"] == 4
    assert (out["runs"] == 3).all()
    assert compare_runs(df.iloc[0:0]).empty
