"""The results table: runs appended with the machine they ran on, read back, old files upgraded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from labkit.experiments import load_results, machine_info, save_results
from labkit.experiments.results import RESULT_COLUMNS
from labkit.system import usable_cpu_count


def sweep_rows(sweep_id: str, workload: str = "cpu-parse", n: int = 3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sweep_id": sweep_id,
            "workload": workload,
            "kind": "cpu",
            "knob": "parsers",
            "workers": pd.array(list(range(1, n + 1)), dtype="Int64"),
            "readers": pd.array([4] * n, dtype="Int64"),
            "parsers": pd.array(list(range(1, n + 1)), dtype="Int64"),
            "writers": pd.array([pd.NA] * n, dtype="Int64"),
            "batch_lines": 5000,
            "writer_latency_s": float("nan"),
            "repeat": 0,
            "lines": 1000,
            "seconds": [1.0, 0.6, 0.5][:n],
            "lines_per_s": [1000.0, 1666.7, 2000.0][:n],
            "cpu_s": 0.5,
            "cpu_util": 0.25,
            "peak_rss_mb": 120.5,
            "usable_cpus": 2,
            "load_avg_1m": 0.7,
            "size": "small",
        }
    )


def test_machine_info() -> None:
    info = machine_info()
    assert info["usable_cpus"] == usable_cpu_count()
    assert info["hostname"] and info["python"].count(".") == 2


def test_save_then_load_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "experiments.db"
    assert save_results(sweep_rows("s1"), db) == 3
    got = load_results(db)
    assert list(got.columns) == ["id", *RESULT_COLUMNS]
    assert len(got) == 3
    assert got["workers"].tolist() == [1, 2, 3]
    assert got["writers"].isna().all() and got["writer_latency_s"].isna().all()
    assert got["hostname"].iloc[0] == machine_info()["hostname"]
    assert got["usable_cpus"].iloc[0] == usable_cpu_count()
    assert str(got["recorded_at"].dtype).startswith("datetime64")
    assert got["lines_per_s"].tolist() == pytest.approx([1000.0, 1666.7, 2000.0])


def test_rows_are_appended_and_can_be_filtered(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    save_results(sweep_rows("s1"), db)
    save_results(sweep_rows("s2", "io-read", n=2), db, machine={"hostname": "other-box"})
    everything = load_results(db)
    assert len(everything) == 5 and everything["id"].is_monotonic_increasing
    assert len(load_results(db, workload="io-read")) == 2
    assert len(load_results(db, hostname="other-box")) == 2
    assert len(load_results(db, sweep_id="s1")) == 3
    assert load_results(db, workload="nothing").empty


def test_missing_file_gives_an_empty_table_and_empty_frames_add_nothing(tmp_path: Path) -> None:
    assert load_results(tmp_path / "none.db").empty
    assert not (tmp_path / "none.db").exists()
    assert save_results(sweep_rows("s").iloc[0:0], tmp_path / "e.db") == 0


def test_rows_without_the_identifying_columns_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="knob"):
        save_results(sweep_rows("s").drop(columns=["knob"]), tmp_path / "e.db")


def test_a_table_from_an_older_version_gains_new_columns(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE sweep_results (id INTEGER PRIMARY KEY, sweep_id TEXT NOT NULL,"
        " recorded_at TEXT NOT NULL, hostname TEXT NOT NULL, workload TEXT NOT NULL,"
        " kind TEXT NOT NULL, knob TEXT NOT NULL, workers INTEGER NOT NULL,"
        " repeat INTEGER NOT NULL, lines INTEGER NOT NULL, seconds REAL NOT NULL,"
        " lines_per_s REAL NOT NULL)"
    )
    con.execute(
        "INSERT INTO sweep_results VALUES"
        " (1, 'old', '2025-01-01T00:00:00+00:00', 'h', 'cpu-parse', 'cpu', 'parsers', 1, 0,"
        " 10, 1.0, 10.0)"
    )
    con.commit()
    con.close()
    save_results(sweep_rows("new"), db)
    got = load_results(db)
    assert len(got) == 4
    assert pd.isna(got.loc[0, "load_avg_1m"]) and got.loc[1, "load_avg_1m"] == 0.7
