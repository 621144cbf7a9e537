"""The dask parse engine: same results and accounting as the local pool, clean cancellation,
a clear message when the extra is missing, and a cluster given by address left running.

Each pool starts a ``LocalCluster`` of worker processes (a second or two), so the tests share
work where they can. Dashboards stay off and every port is picked by the system.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import helpers
import psutil
import pytest
from distributed import Client

from labkit.cli import main
from labkit.engines.dask import DaskParserPool, local_cluster
from labkit.parser import make_pool, parse_chunk
from labkit.pipeline import Pipeline, PipelineConfig, run_pipeline, run_pipeline_sync


def cfg(paths, db, **kw) -> PipelineConfig:
    kw.setdefault("parsers", 2)
    kw.setdefault("batch_lines", 1000)
    return PipelineConfig(paths=paths, db=db, **kw)


def children() -> set[int]:
    """Live child processes, minus multiprocessing's resource tracker (started once on first
    use of a process pool and kept for the life of the test process, by design)."""
    out = set()
    for p in psutil.Process().children(recursive=True):
        try:
            if p.is_running() and "resource_tracker" not in " ".join(p.cmdline()):
                out.add(p.pid)
        except psutil.Error:
            pass
    return out


def _same(result) -> dict:
    summary = result.summary()
    for key in ("seconds", "lines_per_s"):
        summary.pop(key)
    return summary


def _per_source(result) -> dict:
    """Per-source counts without the source ids (they follow registration order)."""
    return {
        name: {k: v for k, v in counts.items() if k != "source_id"}
        for name, counts in result.per_source.items()
    }


def test_dask_engine_stores_what_the_local_pool_stores(dataset, tmp_path: Path) -> None:
    local = run_pipeline_sync(cfg(dataset.paths(), tmp_path / "local.db"))
    dask = run_pipeline_sync(cfg(dataset.paths(), tmp_path / "dask.db", engine="dask"))
    assert dask.settings["engine"] == "dask"
    assert (dask.stored, dask.reasons) == (dataset.good, dataset.expected_rejects)
    assert _same(dask) == _same(local)
    assert _per_source(dask) == _per_source(local)
    assert helpers.records(tmp_path / "dask.db") == helpers.records(tmp_path / "local.db")
    assert helpers.rejects(tmp_path / "dask.db") == helpers.rejects(tmp_path / "local.db")


def test_stop_mid_run_leaves_no_process_and_resume_completes(dataset, tmp_path: Path) -> None:
    db = tmp_path / "stop.db"
    before = children()
    # slow writer, small batches: the run lasts several seconds, so the stop lands mid-run
    pipeline = Pipeline(
        cfg(dataset.paths(), db, engine="dask", batch_lines=400, writer_latency_s=0.03)
    )
    worker_pids: set[int] = set()
    stop_at: list[float] = []

    def on_sample(s) -> None:
        worker_pids.update(pipeline.pool.pids() if pipeline.pool else [])
        if s.stored > 2_000 and not stop_at:
            stop_at.append(time.perf_counter())
            pipeline.stop()

    pipeline.subscribe(on_sample)
    result = asyncio.run(pipeline.run())
    assert stop_at and time.perf_counter() - stop_at[0] < 15  # deadline 2 s, plus closing
    assert result.stopped and 0 < result.stored < dataset.good
    assert result.stored + result.rejected + result.abandoned == result.lines_read
    assert worker_pids, "the cluster had worker processes"
    assert not any(psutil.pid_exists(pid) for pid in worker_pids)
    assert children() - before == set()
    resumed = run_pipeline_sync(cfg(dataset.paths(), db))  # either engine resumes a run
    assert result.stored + resumed.stored == dataset.good
    assert helpers.table(db, "SELECT count(*) FROM records") == [(dataset.good,)]


def test_cancelling_the_task_stops_every_worker(dataset, tmp_path: Path) -> None:
    before = children()
    seen: set[int] = set()

    async def main() -> None:
        pipeline = Pipeline(
            cfg(dataset.paths(), tmp_path / "c.db", engine="dask", writer_latency_s=0.05)
        )
        pipeline.subscribe(lambda s: seen.update(pipeline.pool.pids() if pipeline.pool else []))
        task = asyncio.create_task(pipeline.run())
        while not (seen and pipeline.counters.stored):
            await asyncio.sleep(0.05)
        task.cancel()
        t0 = time.perf_counter()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.perf_counter() - t0 < 10

    asyncio.run(main())
    assert seen and not any(psutil.pid_exists(pid) for pid in seen)
    assert children() - before == set()


def test_a_cluster_given_by_address_is_used_and_left_running(
    dataset, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with local_cluster(2) as cluster:
        worker_pids = {n.pid for n in cluster.workers.values()}
        address = cluster.scheduler_address
        result = asyncio.run(
            run_pipeline(cfg(dataset.paths(), tmp_path / "a.db", engine="dask", scheduler=address))
        )
        assert (result.stored, result.reasons) == (dataset.good, dataset.expected_rejects)
        assert result.settings["scheduler"] == address
        argv = ["run", "--json", "--engine", "dask", "--scheduler", address, "--db"]
        assert main([*argv, str(tmp_path / "cli.db"), *map(str, dataset.paths())]) == 0
        summary = json.loads(capsys.readouterr().out)
        assert (summary["stored"], summary["rejected"]) == (result.stored, result.rejected)
        # the pool closed its client only: the cluster and its workers are still up
        assert all(psutil.pid_exists(pid) for pid in worker_pids)
        with Client(address, set_as_default=False) as client:
            assert len(client.scheduler_info(n_workers=-1)["workers"]) == 2
            assert client.submit(sum, [1, 2, 3]).result() == 6
        pool = make_pool("dask", 2, scheduler=address)
        try:
            assert not pool.owns_cluster and pool.pids() == []
            assert pool.scheduler_address == address
        finally:
            pool.shutdown(1.0)
        assert all(psutil.pid_exists(pid) for pid in worker_pids)


def test_pool_futures_carry_results_errors_and_cancellation(tmp_path: Path) -> None:
    data = b'1.2.3.4 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "x"\nbad\n'
    with DaskParserPool(1) as pool:
        assert pool.owns_cluster and len(pool.pids()) == 1 and pool.dashboard_link == ""
        pids = pool.pids()
        for pid in pids:  # Ctrl-C in a terminal reaches every process of the group
            os.kill(pid, signal.SIGINT)
        batch = pool.submit(parse_chunk, 1, 0, "combined", 0, len(data), data, "rows").result(30)
        assert pool.pids() == pids, "workers ignore SIGINT; the parent decides how to stop"
        assert (batch.lines, batch.stored, batch.rejected) == (2, 1, 1)
        failing = pool.submit(parse_chunk, 1, 0, "no-such-format", 0, len(data), data)
        assert isinstance(failing.exception(30), ValueError)
        slow = [pool.submit(time.sleep, 2) for _ in range(3)]
        assert slow[-1].cancel()  # still queued: cancelling releases the Dask task
        pool.shutdown(1.0)
        assert all(f.done() for f in slow)
        with pytest.raises(RuntimeError, match="shut down"):
            pool.submit(time.sleep, 0)
        pool.shutdown(1.0)  # twice is fine


def test_missing_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    monkeypatch.delitem(sys.modules, "labkit.engines.dask", raising=False)
    with pytest.raises(ImportError, match=r"optional 'dask' extra: pip install -e '\.\[dask\]'"):
        make_pool("dask", 2)
