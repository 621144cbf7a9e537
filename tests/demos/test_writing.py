"""Notebook 04's workloads: the race loses updates, the lock keeps them, SQLite lets one
writer in at a time, and every count adds up (timings are not tested)."""

from __future__ import annotations

import asyncio
import sys
import threading

import pytest
from helpers import table

from labkit.demos import writing


def test_race_loses_updates_without_a_lock_and_none_with_one() -> None:
    interval = sys.getswitchinterval()
    racy = writing.race(threads=4, increments=500)
    safe = writing.race(threads=4, increments=500, lock=True)
    assert racy.expected == safe.expected == 2000
    assert racy.lost > 0
    assert safe.lost == 0 and safe.counted == 2000
    assert sys.getswitchinterval() == interval  # restored
    assert not [t for t in threading.enumerate() if t.name.startswith("racer-")]


def test_wait_for_writer_commits_the_second_writer_after_the_first(tmp_path) -> None:
    marks = writing.wait_for_writer(tmp_path / "two.db", hold_s=0.2)
    assert marks["b_committed_s"] >= marks["a_committed_s"]
    assert table(tmp_path / "two.db", "SELECT writer FROM t ORDER BY at") == [("A",), ("B",)]


def test_an_open_read_blocks_a_commit_in_rollback_mode_only(tmp_path) -> None:
    rollback = writing.reader_blocks_writer(tmp_path / "delete.db", "delete")
    wal = writing.reader_blocks_writer(tmp_path / "wal.db", "wal")
    assert rollback["committed"] is False and "locked" in rollback["error"]
    assert wal["committed"] is True and wal["error"] is None
    assert rollback["reader_saw"] == wal["reader_saw"] == 1  # the snapshot
    assert rollback["rows_after"] == wal["rows_after"] == 2


@pytest.fixture(scope="module")
def rows() -> list[tuple]:
    return writing.parsed_rows(1200)


def test_commit_sweep_stores_every_row_with_the_right_number_of_commits(rows, tmp_path) -> None:
    df = writing.commit_sweep(rows[:300], tmp_path, (1, 100, 1000), list(writing.JOURNALS)[1:])
    assert list(df["commits"]) == [300, 3, 1] * 2
    assert set(df["journal"]) == set(list(writing.JOURNALS)[1:])


def test_writer_sweep_stores_every_batch_with_each_writer_count(tmp_path) -> None:
    batches = writing.parsed_batches(6, 200)
    assert len({b.source_id for b in batches}) == 6
    df = asyncio.run(writing.writer_sweep(batches, tmp_path, (1, 3), latency_s=0.005))
    assert list(df["writers"]) == [1, 3]
    assert set(df["stored"]) == {sum(b.stored for b in batches)}
    assert not [t for t in threading.enumerate() if t.name.startswith("labkit-demo-writer")]


def test_lock_timeline_never_has_two_transactions_holding_the_lock(tmp_path) -> None:
    batches = writing.parsed_batches(8, 300)
    df = writing.lock_timeline(tmp_path / "timeline.db", batches, threads=3)
    assert len(df) == 8 and df["rows"].sum() == sum(b.stored for b in batches)
    held = df.sort_values("locked")
    assert (held["locked"].iloc[1:].to_numpy() >= held["committing"].iloc[:-1].to_numpy()).all()


def test_aiosqlite_vs_thread_inserts_the_rows_four_ways(rows, tmp_path) -> None:
    df = asyncio.run(writing.aiosqlite_vs_thread(rows[:200], tmp_path))
    assert len(df) == 4 and set(df["how"]) == {"sqlite3 in a thread", "aiosqlite"}
    for db in tmp_path.glob("aio-*.db"):
        assert table(db, "SELECT count(*) FROM records") == [(200,)]


def test_store_with_writers_works_with_aiosqlite_and_rejects_unknown_writers(tmp_path) -> None:
    batches = writing.parsed_batches(3, 100, output="rows")
    out = asyncio.run(
        writing.store_with_writers(tmp_path / "aio.db", batches, 2, writer="aiosqlite")
    )
    assert out["stored"] == sum(b.stored for b in batches)
    with pytest.raises(ValueError, match="writer must be"):
        asyncio.run(writing.store_with_writers(tmp_path / "x.db", batches, 1, writer="nope"))
