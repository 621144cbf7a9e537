"""Notebook 02's demonstrations read, fetch and receive every line, in every mode (no timed
assertions)."""

from __future__ import annotations

import asyncio
import gc
import gzip
import time
from pathlib import Path

import pytest

from labkit.demos import readers as r
from labkit.generate import iter_lines
from labkit.sources import RemoteSource


def lines(n: int, seed: int = 0) -> list[bytes]:
    return list(iter_lines("combined", n, seed=seed))


@pytest.fixture
def files(tmp_path: Path) -> dict[Path, int]:
    out = {}
    for i, (n, newline) in enumerate([(0, True), (5, False), (300, True), (1, True)]):
        body = b"".join(line + b"\n" for line in lines(n, i))
        if not newline and body:
            body = body[:-1]
        path = tmp_path / f"f{i}.log"
        path.write_bytes(body)
        out[path] = n
    gz = tmp_path / "f.log.gz"
    gz.write_bytes(gzip.compress(b"".join(line + b"\n" for line in lines(42, 9))))
    out[gz] = 42
    return out


def test_count_lines(files: dict[Path, int]) -> None:
    for path, n in files.items():
        assert r.count_lines(path, block_bytes=100) == n
        assert r.count_lines(path) == n


def test_every_reader_counts_the_same(files: dict[Path, int]) -> None:
    paths = list(files)
    assert r.read_sequential(paths) == files
    assert r.read_threads(paths) == files
    assert r.read_threads(paths, workers=2) == files
    assert asyncio.run(r.read_asyncio(paths, limit=2)) == files
    counter = asyncio.run(r.read_with_filesource(paths, target_bytes=1000))
    # An empty file has nothing to register: count what each source emitted, 0 if none.
    assert {str(p.resolve()): counter.lines.get(str(p.resolve()), 0) for p in files} == {
        str(p.resolve()): n for p, n in files.items()
    }
    assert counter.total == sum(files.values()) and counter.chunks > len(files)


def test_measure_files(files: dict[Path, int]) -> None:
    df = asyncio.run(r.measure_files(list(files), repeat=2, limit=2))
    assert df["mode"].tolist() == ["sequential", "threads", "asyncio + to_thread"]
    assert (df["lines"] == sum(files.values())).all() and (df["seconds"] > 0).all()


def test_ensure_dataset_reuses_matching_data(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LABKIT_DATA", str(tmp_path))
    m = r.ensure_dataset("t", files=2, lines=100)
    first = m.paths()[0].stat().st_mtime_ns
    again = r.ensure_dataset("t", files=2, lines=100)
    assert again.paths()[0].stat().st_mtime_ns == first and again.lines == 100
    other = r.ensure_dataset("t", files=2, lines=120)
    assert other.lines == 120 and sum(r.read_sequential(other.paths()).values()) == 120


def test_try_asyncio_run_outside_and_inside_a_loop() -> None:
    async def answer() -> int:
        return 42

    assert r.try_asyncio_run(answer()) == 42

    async def in_a_cell() -> None:
        coro = answer()
        with pytest.raises(RuntimeError, match="running event loop"):
            r.try_asyncio_run(coro)
        assert coro.cr_frame is None  # closed: no "never awaited" warning

    asyncio.run(in_a_cell())
    gc.collect()  # a leaked, never-awaited coroutine would warn here (warnings are errors)


def test_lag_monitor_sees_a_blocked_loop() -> None:
    async def main() -> tuple[float, int]:
        async with r.LagMonitor(0.01) as blocked:
            time.sleep(0.2)
        async with r.LagMonitor(0.01) as free:
            await asyncio.sleep(0.05)
        return blocked.max_lag, free.ticks

    lag, ticks = asyncio.run(main())
    assert lag >= 0.15 and ticks >= 1


def test_remote_fetchers_return_every_content() -> None:
    data = b"".join(line + b"\n" for line in lines(50))
    for fetch in (r.fetch_sequential, r.fetch_threads):
        sources = r.make_remote_sources(3, data, latency_s=0.005, block_bytes=4096)
        assert fetch(sources) == [data] * 3
        assert all(s.requests == -(-len(data) // 4096) for s in sources)
    sources = r.make_remote_sources(4, data, latency_s=0.005, bandwidth_bps=None)
    assert asyncio.run(r.fetch_asyncio(sources)) == [data] * 4
    assert asyncio.run(r.fetch_asyncio(sources, limit=2)) == [data] * 4


def test_counting_context_runs_a_source_alone() -> None:
    data = b"".join(line + b"\n" for line in lines(120))
    source = RemoteSource(data, name="remote://x", latency_s=0.0, block_bytes=1000)
    counter = r.CountingContext(target_bytes=2000)
    asyncio.run(source.run(counter.ctx))
    assert counter.lines == {"remote://x": 120} and counter.chunks > 1


def test_measure_remote() -> None:
    data = b"".join(line + b"\n" for line in lines(20))
    df = asyncio.run(r.measure_remote([1, 3], data, latency_s=0.01, pool_size=2))
    assert df["mode"].tolist() == ["sequential", "thread pool", "thread per source", "asyncio"] * 2
    assert df["threads"].tolist() == [1, 1, 1, 1, 1, 2, 3, 1]
    assert (df["seconds"] > 0).all() and (df["one source"] > 0.01).all()
    assert len(r.plot_scaling(df, "sources", "t").data) == 4


@pytest.mark.parametrize("mode", r.TCP_MODES)
def test_tcp_clients_every_line_arrives(mode: str) -> None:
    clients = [lines(300, seed=i) for i in range(3)]
    run = asyncio.run(r.run_tcp_clients(mode, clients, delay=0.05, chunk_size=16 * 1024))
    assert run.lines_sent == run.lines_received == 900
    assert run.clients_served == 3
    if mode in ("asyncio", "thread per client"):
        assert run.max_connected == 3  # ~0.15 s of sending each, all at once
    if mode == "sequential":
        assert run.max_connected <= 2  # the next client starts when the last one is done


def test_measure_tcp_and_bad_mode() -> None:
    clients = [lines(20, seed=i) for i in range(2)]
    df = asyncio.run(r.measure_tcp(clients, delay=0.0, modes=("sequential", "asyncio")))
    assert df["lines_received"].tolist() == [40, 40]
    with pytest.raises(ValueError, match="mode must be one of"):
        asyncio.run(r.run_tcp_clients("carrier pigeon", clients))


def test_serve_clients_gives_up_after_the_idle_timeout() -> None:
    async def nobody(host: str, port: int) -> str:
        return f"{host}:{port}"

    result, served = asyncio.run(r.serve_clients(nobody, 2, idle_timeout=0.1))
    assert result.startswith("127.0.0.1:") and served.clients_served == 0
