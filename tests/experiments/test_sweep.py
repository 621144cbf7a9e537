"""``sweep`` returns one tidy row per run, interleaves repeats, checks line counts, saves every
row as it goes, and leaves no worker behind."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from helpers import child_pids

from labkit.experiments import COLUMNS, expand_grid, get_workload, load_results, sweep
from labkit.experiments.workloads import (
    CpuParseStageWorkload,
    CpuParseWorkload,
    IoReadStageWorkload,
    IoReadWorkload,
    IoWriteWorkload,
    Workload,
    cpu_grid,
    io_grid,
)


class Naps(Workload):
    """A fast fake: sleeps 0.02 s / readers per run; can fail or be interrupted on demand."""

    name = "naps"
    kind = "io"
    knob = "readers"
    description = "sleeps"
    uses = ("readers", "batch_lines")

    def __init__(self, lines: int = 100, interrupt_at: int | None = None) -> None:
        super().__init__(small=True)
        self.lines, self.interrupt_at, self.calls = lines, interrupt_at, 0

    def defaults(self) -> dict[str, Any]:
        return {"readers": 1, "batch_lines": 10}

    def default_grid(self) -> list[int]:
        return [1, 2]

    def prepare(self, workdir: Path) -> None:
        self.expected_lines = 100

    def run(self, settings: Mapping[str, Any], scratch: Path) -> int:
        self.calls += 1
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        time.sleep(0.02 / settings["readers"])
        return self.lines


def test_sweep_returns_one_tidy_row_per_run(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    df = sweep(Naps(), {"readers": [1, 2, 4]}, repeats=2, progress=False, results_db=db)
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == 6
    assert df["repeat"].tolist() == [0, 0, 0, 1, 1, 1]  # repeats interleaved
    assert df["workers"].tolist() == [1, 2, 4, 1, 2, 4]
    assert (df["workers"] == df["readers"]).all()
    assert df["parsers"].isna().all() and df["writers"].isna().all()
    assert (df["batch_lines"] == 10).all()
    assert df["sweep_id"].nunique() == 1
    assert (df["lines"] == 100).all() and (df["lines_per_s"] > 0).all()
    assert (df["seconds"] > 0).all() and (df["cpu_util"] >= 0).all()
    assert (df["peak_rss_mb"] > 0).all()
    assert str(df["workers"].dtype) == "Int64"
    saved = load_results(db)
    assert len(saved) == 6 and set(saved["sweep_id"]) == set(df["sweep_id"])


def test_sweep_without_saving_writes_no_database(tmp_path: Path) -> None:
    df = sweep(Naps(), repeats=1, progress=False, save=False, results_db=tmp_path / "no.db")
    assert df["workers"].tolist() == [1, 2]  # the workload's default grid
    assert not (tmp_path / "no.db").exists()


def test_sweep_refuses_a_wrong_line_count(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="99 lines"):
        sweep(Naps(lines=99), repeats=1, progress=False, save=False, warmup=False)


def test_ctrl_c_keeps_the_rows_already_saved(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with pytest.raises(KeyboardInterrupt):
        sweep(Naps(interrupt_at=4), {"readers": [1, 2, 4]}, progress=False, results_db=db)
    assert len(load_results(db)) == 2  # the warm-up run was the first call


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="repeats"):
        sweep(Naps(), repeats=0)
    with pytest.raises(ValueError, match="unknown workload"):
        sweep("no-such-workload")
    with pytest.raises(ValueError, match="unknown setting"):
        expand_grid(Naps(), {"threads": [1]})
    with pytest.raises(ValueError, match="does not use writers"):
        expand_grid(Naps(), {"writers": [1]})
    with pytest.raises(ValueError, match="at least 1"):
        expand_grid(Naps(), {"readers": [0, 1]})
    with pytest.raises(ValueError, match="no values"):
        expand_grid(Naps(), {"readers": []})
    with pytest.raises(ValueError, match="negative"):
        expand_grid(get_workload("io-write"), {"writer_latency_s": [-0.1]})


def test_expand_grid_varies_the_knob_fastest() -> None:
    w = get_workload("io-write", small=True)
    settings = expand_grid(w, {"writers": [1, 2], "writer_latency_s": [0.0, 0.1]})
    assert [(s["writer_latency_s"], s["writers"]) for s in settings] == [
        (0.0, 1),
        (0.0, 2),
        (0.1, 1),
        (0.1, 2),
    ]
    assert all(s["readers"] == w.files for s in settings)
    assert expand_grid(w, {"batch_lines": 100})[0]["batch_lines"] == 100  # one value is fine


def test_default_grids() -> None:
    assert cpu_grid(2) == [1, 2, 3, 4]
    assert cpu_grid(2, small=True) == [1, 2, 4]
    assert cpu_grid(8) == [1, 2, 4, 8, 9, 10, 16]
    assert io_grid(16) == [1, 2, 4, 8, 16]
    assert io_grid(12) == [1, 2, 4, 8, 12]
    assert get_workload("io-read-stage", small=True).default_grid() == [1, 2, 4, 8]
    assert get_workload("cpu-parse", small=False).knob == "parsers"
    assert get_workload("cpu-parse", small=False).size == "full"
    assert get_workload("io-write", small=True).size == "small"


# ----- the real workloads, tiny -----------------------------------------------------------------
def test_io_read_stage_overlaps_waiting(tmp_path: Path) -> None:
    w = IoReadStageWorkload(sources=4, lines=30, blocks=2, latency_s=0.02)
    df = sweep(w, {"readers": [1, 4]}, repeats=1, progress=False, results_db=tmp_path / "r.db")
    assert (df["lines"] == 120).all()
    assert (df["size"] == "custom").all()  # sizes given, not a preset
    one, four = df["seconds"].tolist()
    assert one >= w.waiting_s()  # 4 sources x 2 round trips x 0.02 s, one after the other
    assert four >= w.waiting_s() / 4


@pytest.mark.parametrize(
    ("workload", "grid"),
    [
        (IoReadWorkload(sources=3, lines=50, blocks=2, latency_s=0.005), {"readers": [3]}),
        (IoWriteWorkload(files=2, lines=400, latency_s=0.01), {"writers": [2]}),
        (CpuParseWorkload(files=2, lines=3000), {"parsers": [2]}),
        (CpuParseStageWorkload(files=2, lines=3000), {"parsers": [1, 2], "batch_lines": [700]}),
    ],
    ids=["io-read", "io-write", "cpu-parse", "cpu-parse-stage"],
)
def test_real_workloads_count_every_line_and_stop_their_workers(
    workload: Workload, grid: dict, tmp_path: Path
) -> None:
    before = child_pids()
    df = sweep(
        workload,
        grid,
        repeats=1,
        warmup=False,
        progress=False,
        results_db=tmp_path / "r.db",
        workdir=tmp_path / "data",
    )
    assert len(df) == len(grid[workload.knob])
    assert (df["lines"] == workload.expected_lines).all()
    assert workload.expected_lines > 0
    assert (df["workload"] == workload.name).all()
    assert df["workers"].tolist() == grid[workload.knob]
    assert df[workload.knob].tolist() == grid[workload.knob]
    if workload.kind == "cpu":
        assert (df["cpu_s"] > 0).all()  # parsing in child processes is counted once they exit
    assert child_pids() <= before


def test_the_stage_workload_cuts_whole_lines(tmp_path: Path) -> None:
    w = CpuParseStageWorkload(files=1, lines=1050)
    w.prepare(tmp_path)
    w.setup({"batch_lines": 100})
    data = w._data[0]
    assert b"".join(c[2] for c in w._chunks) == data
    assert [c[2].count(b"\n") for c in w._chunks] == [100] * 10 + [50]
    assert all(data[start:end] == chunk for start, end, chunk in w._chunks)


def test_the_frame_of_several_workloads_stacks(tmp_path: Path) -> None:
    df = sweep(
        [Naps(), IoReadStageWorkload(sources=2, lines=10, blocks=1, latency_s=0.001)],
        repeats=1,
        progress=False,
        save=False,
    )
    assert df["workload"].tolist()[:2] == ["naps", "naps"]
    assert set(df["workload"]) == {"naps", "io-read-stage"}
    assert isinstance(df, pd.DataFrame) and df["sweep_id"].nunique() == 1
