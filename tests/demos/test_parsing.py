"""Notebook 03's workloads count right and leave no process behind (timings are not tested)."""

from __future__ import annotations

import asyncio
import pickle

import pytest

from labkit.demos import parsing
from labkit.formats import get_parser
from labkit.records import is_reject


@pytest.fixture(scope="module")
def lines() -> list[bytes]:
    return parsing.sample_lines(3000, "combined", seed=9, bad_rate=0.02)


def expected(lines: list[bytes]) -> tuple[int, int]:
    parse = get_parser("combined")
    bad = sum(1 for line in lines if is_reject(parse(line)))
    return len(lines) - bad, bad


def test_join_lines_keeps_every_line_and_ends_each_chunk_with_a_newline(lines) -> None:
    chunks = parsing.join_lines(lines, 1000)
    assert [c.count(b"\n") for c in chunks] == [1000, 1000, 1000]
    assert b"".join(chunks) == b"\n".join(lines) + b"\n"
    assert parsing.join_lines(lines[:5], 2)[-1].count(b"\n") == 1


def test_shout_pickles_by_reference_and_runs_in_a_spawned_pool() -> None:
    assert b"labkit.demos.parsing" in pickle.dumps(parsing.shout)
    pool, startup = parsing.started_pool(1)
    try:
        assert pool.submit(parsing.shout, b"get /").result(timeout=60) == b"GET /"
        assert startup > 0
    finally:
        pool.shutdown()


def test_batch_size_sweep_parses_the_same_lines_at_every_size(lines) -> None:
    df = parsing.batch_size_sweep(lines[:600], sizes=(1, 100, 1000), workers=2)
    assert list(df["lines_per_task"]) == [1, 100, 1000]
    assert list(df["tasks"]) == [600, 6, 1]
    want = expected(lines[:600])
    assert {(r.stored, r.rejected) for r in df.itertuples()} == {want}
    assert (df["lines_per_s"] > 0).all()
    assert not parsing.worker_processes()


def test_pool_size_sweep_counts_and_shuts_every_pool_down(lines) -> None:
    df = parsing.pool_size_sweep(lines, workers=(1, 2), chunk_lines=500)
    assert list(df["workers"]) == [1, 2]
    assert {(r.stored, r.rejected) for r in df.itertuples()} == {expected(lines)}
    assert df["speedup"].iloc[0] == pytest.approx(1.0)
    assert not parsing.worker_processes()


def test_shape_costs_measures_both_shapes(lines) -> None:
    df = parsing.shape_costs(lines[:1000], repeat=1)
    assert list(df["output"]) == ["rows", "sqlite"]
    assert (df["bytes"] > 0).all()
    assert (df[["parse_s", "pickle_s", "unpickle_s", "store_s"]] > 0).all().all()


def test_in_process_rate_is_positive(lines) -> None:
    assert parsing.in_process_rate(lines[:500]) > 0


def test_compare_outputs_stores_the_same_lines_with_each_shape(dataset, tmp_path) -> None:
    paths = dataset.paths()[:2]
    df = asyncio.run(parsing.compare_outputs(paths, tmp_path, parsers=1, rounds=1))
    assert list(df["output"]) == ["rows", "sqlite"]
    n = sum(f.lines for f in dataset.files[:2])
    assert set(df["lines"]) == {n}
    assert len({(r.stored, r.rejected) for r in df.itertuples()}) == 1
    assert not parsing.worker_processes()


def test_shape_model_bounds_each_shape_by_the_parent_or_by_all_cores() -> None:
    import pandas as pd

    shapes = pd.DataFrame(
        {
            "output": ["rows", "sqlite"],
            "parent_us_per_line": [8.0, 1.0],
            "worker_us_per_line": [6.0, 13.0],
        }
    )
    two = parsing.shape_model(shapes, cpus=2).set_index("output")
    assert two.loc["rows", "bound_us_per_line"] == 8.0  # max(8, 14 / 2)
    assert two.loc["rows", "limited_by"] == "the parent"
    assert two.loc["sqlite", "bound_us_per_line"] == 7.0  # max(1, 14 / 2)
    assert two.loc["sqlite", "limited_by"] == "all cores"
    assert two.loc["sqlite", "model_lines_per_s"] == pytest.approx(1e6 / 7.0)
    eight = parsing.shape_model(shapes, cpus=8).set_index("output")
    assert eight["model_lines_per_s"].idxmax() == "sqlite"
