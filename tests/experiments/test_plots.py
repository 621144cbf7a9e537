"""The charts carry the data they claim: medians, spread, knee, rule of thumb, Amdahl fit."""

from __future__ import annotations

import pandas as pd
import pytest

from labkit.experiments import amdahl_speedup, plot_speedup, plot_sweep


def frame(kind: str = "io", s: float = 0.1, xs=(1, 2, 4, 8, 16), **extra) -> pd.DataFrame:
    rows = []
    for w in xs:
        for r, noise in enumerate((0.95, 1.0, 1.05)):
            rows.append(
                {
                    "workload": f"{kind}-demo",
                    "kind": kind,
                    "knob": "readers",
                    "workers": w,
                    "repeat": r,
                    "lines_per_s": 1000 * amdahl_speedup(w, s) * noise,
                    "usable_cpus": 2,
                    **extra,
                }
            )
    return pd.DataFrame(rows)


def test_plot_sweep_shows_runs_medians_spread_knee_and_rule() -> None:
    fig = plot_sweep(frame(), fraction=0.9)
    runs, medians, star, rule = fig.data
    assert len(runs.x) == 15 and runs.mode == "markers"
    assert list(medians.x) == [1, 2, 4, 8, 16]
    assert medians.y[0] == pytest.approx(1000)
    assert medians.error_y.array[0] == pytest.approx(50)  # max - median
    assert medians.error_y.arrayminus[0] == pytest.approx(50)  # median - min
    # Amdahl with s=0.1: 16 workers ~6.4x, 8 workers ~4.7x (73%), so the 90% knee is 16
    assert star.name.startswith("knee") and list(star.x) == [16]
    (band,) = fig.layout.shapes
    assert (band.x0, band.x1) == (4, 8)  # I/O-bound on 2 CPUs: 2-4x the cores
    assert rule.name == "rule of thumb, io-bound on 2 CPUs: 4-8"
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.xaxis.range == pytest.approx((-0.06, 1.264), abs=0.01)  # log10 units
    assert fig.layout.xaxis.title.text == "readers"


def test_plot_sweep_separates_curves_and_skips_the_band_for_mixed_kinds() -> None:
    df = pd.concat([frame("io", 0.0), frame("cpu", 0.5, xs=(1, 2, 3, 4))], ignore_index=True)
    fig = plot_sweep(df)
    assert sum(1 for t in fig.data if t.name and t.name.startswith("knee")) == 2
    assert not fig.layout.shapes


def test_plot_speedup_fits_amdahl() -> None:
    fig = plot_speedup(frame(s=0.2))
    names = [t.name for t in fig.data]
    assert names[0] == "ideal"
    assert any("serial fraction 0.20" in n for n in names)
    measured = fig.data[1]
    assert measured.y[-1] == pytest.approx(amdahl_speedup(16, 0.2))
