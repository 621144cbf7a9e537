"""The pipeline end to end, under spawn: accounting, equivalence, stop, live changes."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import helpers
import pytest

from labkit.pipeline import Pipeline, PipelineConfig, run_pipeline, run_pipeline_sync
from labkit.sequential import run_sequential


def cfg(paths, db, **kw) -> PipelineConfig:
    kw.setdefault("parsers", 2)
    kw.setdefault("batch_lines", 1000)
    return PipelineConfig(paths=paths, db=db, **kw)


def test_accounting_matches_the_manifest(dataset, tmp_path: Path) -> None:
    result = run_pipeline_sync(cfg(dataset.paths(), tmp_path / "p.db"))
    assert result.lines_read == dataset.lines
    assert result.stored == dataset.good
    assert result.reasons == dataset.expected_rejects
    assert result.stored + result.rejected == result.lines_read
    by_name = {Path(k).name: v for k, v in result.per_source.items()}
    for f in dataset.files:
        src = by_name[Path(f.path).name]
        assert (src["lines_read"], src["stored"]) == (f.lines, f.good)
    assert helpers.table(tmp_path / "p.db", "SELECT count(*) FROM records") == [(dataset.good,)]
    assert not result.stopped and result.abandoned == 0
    df = result.metrics
    assert {"read_lps", "stored_lps", "read_queue", "write_queue", "parsers"} <= set(df.columns)
    assert df["stored"].iloc[-1] == result.stored


def test_gzip_input(gz_dataset, tmp_path: Path) -> None:
    result = run_pipeline_sync(cfg(gz_dataset.paths(), tmp_path / "g.db"))
    assert (result.stored, result.reasons) == (gz_dataset.good, gz_dataset.expected_rejects)


def test_pipeline_and_sequential_store_identical_tables(dataset, tmp_path: Path) -> None:
    run_pipeline_sync(cfg(dataset.paths(), tmp_path / "p.db", writers=2))
    seq = run_sequential(dataset.paths(), tmp_path / "s.db", batch_lines=700)
    assert seq["stored"] == dataset.good
    assert helpers.records(tmp_path / "p.db") == helpers.records(tmp_path / "s.db")
    assert helpers.rejects(tmp_path / "p.db") == helpers.rejects(tmp_path / "s.db")


def test_aiosqlite_and_thread_writers_store_identical_tables(dataset, tmp_path: Path) -> None:
    a = run_pipeline_sync(cfg(dataset.paths(), tmp_path / "a.db", writer="aiosqlite"))
    t = run_pipeline_sync(cfg(dataset.paths(), tmp_path / "t.db", writer="thread", output="rows"))
    assert a.settings["output"] == "rows"
    assert (a.stored, a.rejected) == (t.stored, t.rejected)
    assert helpers.records(tmp_path / "a.db") == helpers.records(tmp_path / "t.db")
    assert helpers.rejects(tmp_path / "a.db") == helpers.rejects(tmp_path / "t.db")


def test_rerun_adds_nothing(dataset, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    first = run_pipeline_sync(cfg(dataset.paths(), db))
    again = run_pipeline_sync(cfg(dataset.paths(), db))
    assert first.stored == dataset.good
    assert (again.lines_read, again.stored, again.rejected) == (0, 0, 0)
    assert helpers.table(db, "SELECT count(*) FROM records") == [(dataset.good,)]


def test_stop_mid_run_leaves_no_process_and_resume_completes(big_dataset, tmp_path: Path) -> None:
    db = tmp_path / "stop.db"
    before = helpers.child_pids()
    pipeline = Pipeline(cfg(big_dataset.paths(), db, batch_lines=2000))
    pool_pids: list[int] = []

    def on_sample(s) -> None:
        pool_pids.extend(pipeline.pool.pids() if pipeline.pool else [])
        if s.stored > 20_000:
            pipeline.stop()

    pipeline.subscribe(on_sample)
    t0 = time.perf_counter()
    result = asyncio.run(pipeline.run())
    assert result.stopped and 0 < result.stored < big_dataset.good
    assert time.perf_counter() - t0 < 30
    assert pool_pids, "the pool had worker processes"
    assert helpers.child_pids() - before == set()
    assert not [t for t in threading.enumerate() if t.name.startswith("labkit-writer")]
    # the database is consistent: per source, committed lines == stored + rejected rows
    per_source = helpers.table(
        db,
        "SELECT s.lines, (SELECT count(*) FROM records r WHERE r.source_id = s.id)"
        " + (SELECT count(*) FROM rejects j WHERE j.source_id = s.id) FROM sources s",
    )
    assert all(a == b for a, b in per_source)
    resumed = run_pipeline_sync(cfg(big_dataset.paths(), db))
    assert result.stored + resumed.stored == big_dataset.good
    assert helpers.table(db, "SELECT count(*) FROM records") == [(big_dataset.good,)]
    dupes_sql = "SELECT count(*) FROM (SELECT 1 FROM records GROUP BY source_id, offset %s)"
    dupes = helpers.table(db, dupes_sql % "HAVING count(*) > 1")
    assert dupes == [(0,)]


def test_cancelling_the_task_stops_everything(big_dataset, tmp_path: Path) -> None:
    before = helpers.child_pids()

    async def main() -> None:
        task = asyncio.create_task(run_pipeline(cfg(big_dataset.paths(), tmp_path / "c.db")))
        await asyncio.sleep(1.5)
        task.cancel()
        t0 = time.perf_counter()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.perf_counter() - t0 < 5

    asyncio.run(main())
    assert helpers.child_pids() - before == set()


def test_live_changes_of_worker_counts_take_effect(big_dataset, tmp_path: Path) -> None:
    pipeline = Pipeline(
        cfg(big_dataset.paths(), tmp_path / "l.db", parsers=2, writers=1, metrics_interval=0.1)
    )
    seen: list = []
    changed_at: list[float] = []

    def on_sample(s) -> None:
        seen.append(s)
        if not changed_at and s.stored > 10_000:
            pipeline.set_parsers(1)
            pipeline.set_writers(2)
            changed_at.append(s.t)

    pipeline.subscribe(on_sample)
    result = asyncio.run(pipeline.run())
    assert result.stored == big_dataset.good
    assert changed_at
    after = [s for s in seen if s.t > changed_at[0] + 1.0 and s.stored < result.stored]
    assert after, "the run went on for more than a second after the change"
    assert all(s.parsers == 1 and s.parse_in_flight <= 1 for s in after)
    assert all(s.writers == 2 for s in after)
    before = [s for s in seen if s.t <= changed_at[0]]
    assert max(s.parse_in_flight for s in before) == 2


def test_backpressure_keeps_work_in_flight_bounded(tmp_path: Path) -> None:
    from labkit.generate import generate_dataset

    # one format, no bad lines: chunks of about batch_lines lines each
    data = generate_dataset(tmp_path / "d", files=2, lines=30_000, seed=8)
    config = cfg(
        data.paths(),
        tmp_path / "b.db",
        writer_latency_s=0.05,
        queue_size=2,
        metrics_interval=0.05,
        batch_lines=500,
    )
    pipeline = Pipeline(config)
    gaps: list[int] = []
    pipeline.subscribe(lambda s: gaps.append(s.lines_read - s.stored - s.rejected))
    result = asyncio.run(pipeline.run())
    assert result.stored == data.good
    assert result.queues["read"].high_water <= 2
    assert result.queues["write"].high_water <= 2
    # Read but not stored: at most every slot a chunk can occupy (the formula of notebook 05,
    # exercise 1), never the whole input.
    chunks = 2 + 1 + (config.pool_size() + 1) + 1 + 2 + config.writers
    biggest = 1.3 * result.lines_read / result.stages["parse"]["batches"]
    assert max(gaps) <= chunks * biggest < data.lines / 2


def test_sync_wrapper_works_inside_a_running_loop(dataset, tmp_path: Path) -> None:
    async def inside() -> int:
        return run_pipeline_sync(cfg(dataset.paths()[:1], tmp_path / "j.db")).lines_read

    assert asyncio.run(inside()) == dataset.files[0].lines


def test_metrics_stream_yields_samples_while_running(dataset, tmp_path: Path) -> None:
    async def main() -> list:
        pipeline = Pipeline(cfg(dataset.paths(), tmp_path / "m.db", metrics_interval=0.05))
        task = asyncio.create_task(pipeline.run())
        while pipeline.recorder is None:
            await asyncio.sleep(0.01)
        got = [s async for s in pipeline.metrics()]
        await task
        return got

    samples = asyncio.run(main())
    assert samples and samples[-1].stored + samples[-1].rejected == samples[-1].lines_read


def test_bad_settings_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file"):
        PipelineConfig(paths=[tmp_path / "missing.log"], db=tmp_path / "x.db").validate()
    with pytest.raises(ValueError, match="aiosqlite"):
        PipelineConfig(paths=[], sources=[object()], writer="aiosqlite", output="sqlite").validate()
    with pytest.raises(ValueError, match="parsers"):
        PipelineConfig(paths=[], sources=[object()], parsers=0).validate()


def test_stop_with_drain_stores_everything_already_read(big_dataset, tmp_path: Path) -> None:
    pipeline = Pipeline(cfg(big_dataset.paths(), tmp_path / "d.db", batch_lines=2000))

    def on_sample(s) -> None:
        if s.lines_read > 30_000:
            pipeline.stop(drain=True)

    pipeline.subscribe(on_sample)
    result = asyncio.run(pipeline.run())
    assert result.stopped and result.abandoned == 0
    assert 0 < result.lines_read < big_dataset.lines
    assert result.stored + result.rejected == result.lines_read
    stored = helpers.table(tmp_path / "d.db", "SELECT sum(lines) FROM sources")
    assert stored == [(result.lines_read,)]
