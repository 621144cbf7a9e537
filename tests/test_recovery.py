"""Failures: crashed or failing parser workers, a refusing database, rotation and truncation."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from pathlib import Path

import helpers
import pytest

from labkit.faults import KILL_MARKER, RAISE_MARKER, crash_on_marker, die_once
from labkit.generate import write_log
from labkit.pipeline import Pipeline, PipelineConfig, WriterError, run_pipeline_sync
from labkit.sequential import run_sequential


def cfg(paths, db, **kw) -> PipelineConfig:
    kw.setdefault("parsers", 2)
    kw.setdefault("batch_lines", 500)
    return PipelineConfig(paths=paths, db=db, **kw)


def _plant(path: Path, n: int, marker: bytes, at: int) -> int:
    """A clean combined log of n lines with one marker line at line ``at``; returns its lines."""
    write_log(path, "combined", n, seed=4)
    lines = path.read_bytes().split(b"\n")[:-1]
    lines[at] = lines[at][:-1] + b" " + marker + b'"'
    path.write_bytes(b"\n".join(lines) + b"\n")
    return len(lines)


@pytest.mark.parametrize("marker", [KILL_MARKER, RAISE_MARKER], ids=["killed", "raises"])
def test_a_poison_chunk_is_retried_then_rejected_and_the_run_goes_on(
    tmp_path: Path, marker: bytes
) -> None:
    log = tmp_path / "a.log"
    n = _plant(log, 6000, marker, 3210)
    before = helpers.child_pids()
    result = run_pipeline_sync(cfg([log], tmp_path / "p.db", parse_fn=crash_on_marker))
    assert result.lines_read == n
    poisoned = result.reasons.get("poison", 0)
    assert 0 < poisoned <= 600  # just the chunk around the marker line
    assert result.stored + result.rejected == n and result.stored == n - poisoned
    assert result.stages["parse"]["poisoned_batches"] == 1
    assert result.stages["parse"]["failures"] >= 3
    if marker == KILL_MARKER:
        assert result.stages["parse"]["pool_rebuilds"] >= 1
    detail = helpers.table(tmp_path / "p.db", "SELECT DISTINCT detail FROM rejects")
    assert len(detail) == 1 and "failed 3 times" in detail[0][0]
    if marker == RAISE_MARKER:
        assert "parser bug triggered" in detail[0][0] and "in the worker" in detail[0][0]
    assert helpers.child_pids() - before == set()


def test_a_transient_worker_crash_loses_nothing(dataset, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LABKIT_DIE_ONCE", str(tmp_path / "died"))
    result = run_pipeline_sync(cfg(dataset.paths(), tmp_path / "p.db", parse_fn=die_once))
    assert (tmp_path / "died").exists()
    assert result.stored == dataset.good and result.reasons == dataset.expected_rejects
    assert result.stages["parse"]["pool_rebuilds"] >= 1


def test_a_worker_killed_from_outside_mid_run(big_dataset, tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    pipeline = Pipeline(cfg(big_dataset.paths(), db, batch_lines=2000))
    killed: list[int] = []

    def on_sample(s) -> None:
        pids = pipeline.pool.pids() if pipeline.pool else []
        if not killed and pids and s.stored > 20_000:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    pipeline.subscribe(on_sample)
    result = asyncio.run(pipeline.run())
    assert killed
    assert result.stored == big_dataset.good
    assert result.reasons == big_dataset.expected_rejects
    assert result.stages["parse"]["pool_rebuilds"] >= 1
    assert helpers.table(db, "SELECT count(*) FROM records") == [(big_dataset.good,)]


def test_a_read_only_database_stops_the_run_with_a_clear_message(dataset, tmp_path: Path) -> None:
    db = tmp_path / "ro.db"
    paths = dataset.paths()
    run_pipeline_sync(cfg(paths[:1], db))  # creates the schema, stores file 0
    counts = helpers.table(db, "SELECT count(*) FROM records")
    with pytest.raises(WriterError, match=r"readonly.*run again to resume"):
        run_pipeline_sync(cfg(paths, f"file:{db}?mode=ro"))
    assert helpers.table(db, "SELECT count(*) FROM records") == counts  # no partial batch


def test_a_writer_error_stops_the_run_and_a_rerun_completes_exactly(
    dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import labkit.writer

    real = labkit.writer.store_batch
    calls = []

    def failing(conn, batch):
        calls.append(batch.seq)
        if len(calls) >= 6:  # the disk fills up after five batches
            raise sqlite3.OperationalError("database or disk is full")
        return real(conn, batch)

    db = tmp_path / "w.db"
    monkeypatch.setattr(labkit.writer, "store_batch", failing)
    with pytest.raises(WriterError, match=r"could not store batch .*disk is full.*run again"):
        run_pipeline_sync(cfg(dataset.paths(), db, writers=1))
    monkeypatch.setattr(labkit.writer, "store_batch", real)
    partial = helpers.table(db, "SELECT sum(lines), sum(stored) FROM sources")[0]
    assert 0 < partial[0] < dataset.lines
    rows = helpers.table(db, "SELECT count(*) FROM records")[0][0]
    assert rows == partial[1]  # only whole batches were stored
    result = run_pipeline_sync(cfg(dataset.paths(), db))
    assert result.lines_read == dataset.lines - partial[0]
    assert helpers.table(db, "SELECT count(*) FROM records") == [(dataset.good,)]


def test_a_full_disk_rolls_the_whole_batch_back(tmp_path: Path) -> None:
    from labkit.parser import parse_lines_to_batch
    from labkit.storage import connect, register_source, source_totals, store_batch

    log = tmp_path / "a.log"
    write_log(log, "combined", 3000, seed=1)
    data = log.read_bytes()
    conn = connect(tmp_path / "full.db")
    sid = register_source(conn, str(log), "file", "combined").id
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 5}")
    batch = parse_lines_to_batch(sid, 0, "combined", 0, len(data), data, "sqlite")
    with pytest.raises(sqlite3.OperationalError, match="full"):
        store_batch(conn, batch)
    assert not conn.in_transaction
    assert source_totals(conn)[sid] == (0, 0, 0, 0)
    assert conn.execute("SELECT count(*) FROM records").fetchone() == (0,)


def test_rotation_by_rename_resumes_under_the_new_name(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_log(log, "combined", 1000, seed=1)
    db = tmp_path / "r.db"
    assert run_sequential([log], db)["stored"] == 1000
    with log.open("ab") as fh:  # 200 more lines, then rotate and start a new file
        fh.write(b"".join(ln + b"\n" for ln in _lines(200, seed=2)))
    log.rename(tmp_path / "app.log.1")
    write_log(log, "combined", 300, seed=3)
    again = run_sequential([tmp_path / "app.log.1", log], db)
    assert (again["lines_read"], again["stored"]) == (500, 500)
    assert helpers.table(db, "SELECT count(*) FROM records") == [(1500,)]
    names = helpers.table(db, "SELECT name FROM sources ORDER BY id")
    assert [Path(n).name for (n,) in names] == ["app.log.1", "app.log"]


def test_truncation_is_a_new_stream(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write_log(log, "combined", 1000, seed=1)
    db = tmp_path / "t.db"
    run_sequential([log], db)
    write_log(log, "combined", 10, seed=1)  # same first lines, but shorter: truncated
    again = run_sequential([log], db)
    assert again["stored"] == 10
    assert helpers.table(db, "SELECT count(*) FROM sources") == [(2,)]


def test_a_partial_last_line_waits_for_its_newline(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    lines = _lines(100, seed=5)
    log.write_bytes(b"\n".join(lines[:50]) + b"\n" + lines[50][:40])
    db = tmp_path / "h.db"
    first = run_pipeline_sync(cfg([log], db, flush_partial=False))
    assert (first.lines_read, first.stored) == (50, 50)
    with log.open("ab") as fh:
        fh.write(lines[50][40:] + b"\n" + b"\n".join(lines[51:]) + b"\n")
    second = run_pipeline_sync(cfg([log], db, flush_partial=False))
    assert (second.lines_read, second.stored) == (50, 50)
    stored = helpers.table(db, "SELECT path FROM records ORDER BY offset")
    assert len(stored) == 100


def _lines(n: int, seed: int) -> list[bytes]:
    from labkit.generate import iter_lines

    return list(iter_lines("combined", n, seed))
