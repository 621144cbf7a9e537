"""RemoteSource: exact round trip, overlapping waits under asyncio, blocking twin, pipeline."""

from __future__ import annotations

import asyncio
import gzip
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from labkit.chunks import Chunk
from labkit.sources.base import ReadContext
from labkit.sources.remote import RemoteSource
from labkit.storage import SourceState


def combined(i: int) -> bytes:
    return (
        f'1.2.3.{i % 250} - - [10/Oct/2000:13:55:36 -0700] "GET /a/{i} HTTP/1.1" 200 {i} '
        f'"-" "curl/8"'
    ).encode()


def content(n: int, tail: bytes = b"") -> bytes:
    return b"".join(combined(i) + b"\n" for i in range(n)) + tail


class FakeCtx:
    """A ReadContext whose emit collects chunks; register hands out ids 1, 2, ..."""

    def __init__(self, target_bytes: int = 1000, committed_offset: int = 0) -> None:
        self.chunks: dict[int, list[Chunk]] = {}
        self.registered: list[tuple] = []
        self.committed_offset = committed_offset
        self.ctx = ReadContext(
            emit=self._emit, register=self._register, target_bytes=lambda _sid: target_bytes
        )

    async def _emit(self, chunk: Chunk) -> None:
        self.chunks.setdefault(chunk.source_id, []).append(chunk)

    async def _register(self, name, kind, fmt, identity=None) -> SourceState:
        self.registered.append((name, kind, fmt, identity))
        sid = len(self.registered)
        return SourceState(sid, name, self.committed_offset, True)


def check_chunks(chunks: list[Chunk], start: int, data: bytes) -> None:
    """Contiguous chunks from ``start`` whose data is exactly ``data``, seq from 0."""
    assert [c.seq for c in chunks] == list(range(len(chunks)))
    pos = start
    for c in chunks:
        assert c.start == pos and c.end == pos + len(c.data)
        assert c.lines == c.data.count(b"\n") + (1 if c.partial else 0)
        pos = c.end
    assert b"".join(c.data for c in chunks) == data


def test_content_round_trips_exactly():
    data = content(700, tail=b"a final line without newline")
    src = RemoteSource(data, latency_s=0.0, bandwidth_bps=None, block_bytes=997)
    fake = FakeCtx(target_bytes=3000)
    asyncio.run(src.run(fake.ctx))
    assert fake.registered == [(src.name, "remote", "combined", None)]
    chunks = fake.chunks[1]
    check_chunks(chunks, 0, data)
    assert chunks[-1].partial and chunks[-1].end == len(data)
    assert src.lines == 701 == sum(c.lines for c in chunks)
    assert src.requests == -(-len(data) // 997) and src.bytes == len(data)
    assert src.kind == "remote" and src.name.startswith("remote://")


def test_gzip_file_and_explicit_name(tmp_path):
    data = content(300)
    path = tmp_path / "access.log.gz"
    path.write_bytes(gzip.compress(data))
    src = RemoteSource(path, name="remote://bucket/access", latency_s=0.0, block_bytes=4096)
    fake = FakeCtx()
    asyncio.run(src.run(fake.ctx))
    assert fake.registered == [("remote://bucket/access", "remote", "combined", None)]
    check_chunks(fake.chunks[1], 0, data)
    assert RemoteSource(path).name == "remote://access.log.gz"


def test_resumes_at_the_committed_offset():
    data = content(50)
    offset = len(content(20))
    fake = FakeCtx(committed_offset=offset)
    asyncio.run(RemoteSource(data, fmt="combined", latency_s=0.0, block_bytes=100).run(fake.ctx))
    check_chunks(fake.chunks[1], offset, data[offset:])


def test_blocking_and_async_fetch_return_identical_bytes(tmp_path):
    data = content(200, tail=b"tail")
    path = tmp_path / "plain.log"
    path.write_bytes(data)
    for src_data in (data, path):
        blocking = RemoteSource(src_data, latency_s=0.001, block_bytes=1500)
        asynchronous = RemoteSource(src_data, latency_s=0.001, block_bytes=1500)
        assert blocking.fetch_blocking() == asyncio.run(asynchronous.fetch()) == data
        assert blocking.requests == asynchronous.requests == -(-len(data) // 1500)
    empty = RemoteSource(b"", latency_s=0.0)
    assert empty.fetch_blocking() == b"" and empty.requests == 1  # still one request


def test_waits_overlap_under_asyncio():
    """8 sources x 0.1 s of waiting: about 0.1 s concurrently, 0.8 s one after the other."""
    n, latency = 8, 0.05
    datas = [content(40 + i) for i in range(n)]  # 2 blocks each: 2 x latency + transfer

    def sources() -> list[RemoteSource]:
        return [
            RemoteSource(d, latency_s=latency, bandwidth_bps=1e9, block_bytes=(len(d) + 1) // 2)
            for d in datas
        ]

    srcs = sources()
    expected = sum(s.total_delay(len(d)) for s, d in zip(srcs, datas, strict=True))
    assert expected == pytest.approx(n * 2 * latency, rel=0.01)

    t0 = time.perf_counter()
    sequential = [s.fetch_blocking() for s in srcs]
    t_seq = time.perf_counter() - t0
    assert sequential == datas
    assert t_seq >= expected * 0.95

    srcs = sources()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        threaded = list(pool.map(RemoteSource.fetch_blocking, srcs))
    t_threads = time.perf_counter() - t0
    assert threaded == datas

    async def with_asyncio() -> tuple[list[bytes], FakeCtx]:
        fetched = await asyncio.gather(*(s.fetch() for s in sources()))
        fake = FakeCtx()
        await asyncio.gather(*(s.run(fake.ctx) for s in sources()))
        return fetched, fake

    t0 = time.perf_counter()
    fetched, fake = asyncio.run(with_asyncio())
    t_async = (time.perf_counter() - t0) / 2  # two concurrent rounds
    assert fetched == datas
    assert len(fake.chunks) == n
    assert sorted(b"".join(c.data for c in cs) for cs in fake.chunks.values()) == sorted(datas)
    assert t_async < 0.6 * t_seq
    assert t_threads < 0.6 * t_seq


def test_cancel_stops_at_once_and_leaves_nothing():
    data = content(400)
    fake = FakeCtx(target_bytes=500)

    async def main():
        before = asyncio.all_tasks()
        src = RemoteSource(data, latency_s=0.05, block_bytes=1024)
        task = asyncio.create_task(src.run(fake.ctx))
        await asyncio.sleep(0.18)
        t0 = time.perf_counter()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.perf_counter() - t0 < 0.5  # not the ~1.5 s of blocks left
        assert asyncio.all_tasks() == before
        return src

    src = asyncio.run(main())
    chunks = fake.chunks[1]
    assert 0 < src.requests < -(-len(data) // 1024)
    emitted = b"".join(c.data for c in chunks)
    check_chunks(chunks, 0, emitted)
    assert data.startswith(emitted) and emitted.endswith(b"\n")


def test_invalid_settings():
    with pytest.raises(ValueError):
        RemoteSource(b"x", block_bytes=0)
    with pytest.raises(ValueError):
        RemoteSource(b"x", bandwidth_bps=0)
    with pytest.raises(ValueError):
        asyncio.run(RemoteSource(b"\x00\x01 nothing recognisable\n").run(FakeCtx().ctx))


def test_through_the_pipeline(tmp_path):
    from labkit.pipeline import Pipeline, PipelineConfig

    datas = [content(300 + 50 * i) for i in range(3)]
    datas[1] += b"this is not a combined log line\n" + combined(9999)  # unterminated last line
    expected = sum(d.count(b"\n") for d in datas) + 1
    srcs = [
        RemoteSource(d, name=f"remote://test/{i}", latency_s=0.01, block_bytes=8192)
        for i, d in enumerate(datas)
    ]
    config = PipelineConfig(sources=srcs, db=tmp_path / "t.db", parsers=1, writers=1)
    result = asyncio.run(Pipeline(config).run())
    assert result.lines_read == expected
    assert result.stored + result.rejected == expected
    assert result.rejected == 1 and result.reasons == {"malformed": 1}
    for i, d in enumerate(datas):
        per = result.per_source[f"remote://test/{i}"]
        assert per["committed_offset"] == len(d)
        assert per["lines_read"] == per["stored"] + per["rejected"]
