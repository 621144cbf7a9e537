"""TcpSource: many clients, over-long lines, refusal, stop conditions, cancellation, pipeline."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import struct
from collections import defaultdict

from labkit.chunks import Chunk
from labkit.records import MAX_LINE_BYTES
from labkit.sources.base import ReadContext
from labkit.sources.tcp import REFUSAL, TcpSource, send_lines
from labkit.storage import SourceState

HOST = "127.0.0.1"


def combined(i: int, j: int) -> bytes:
    return (
        f'10.0.{i}.{j % 250} - - [10/Oct/2000:13:55:36 -0700] "GET /c{i}/l{j} HTTP/1.1" '
        f'200 {j} "-" "curl/8"'
    ).encode()


class FakeCtx:
    """A ReadContext whose emit collects chunks per source id (optionally waiting on a gate)."""

    def __init__(
        self,
        target_bytes: int = 4096,
        max_line: int = MAX_LINE_BYTES,
        flush_partial: bool = True,
    ) -> None:
        self.chunks: dict[int, list[Chunk]] = defaultdict(list)
        self.names: dict[int, str] = {}
        self.gate: asyncio.Event | None = None
        self.ctx = ReadContext(
            emit=self._emit,
            register=self._register,
            target_bytes=lambda _sid: target_bytes,
            max_line=max_line,
            flush_partial=flush_partial,
        )

    async def _emit(self, chunk: Chunk) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.chunks[chunk.source_id].append(chunk)

    async def _register(self, name, kind, fmt, identity=None) -> SourceState:
        assert kind == "tcp" and identity is None
        sid = len(self.names) + 1
        self.names[sid] = name
        return SourceState(sid, name, 0, True)

    def lines(self) -> int:
        return sum(c.lines for cs in self.chunks.values() for c in cs)


def check_contiguous(chunks: list[Chunk]) -> None:
    """Chunks of one source: seq from 0, byte ranges contiguous from 0."""
    assert [c.seq for c in chunks] == list(range(len(chunks)))
    pos = 0
    for c in chunks:
        assert c.start == pos
        assert c.end > c.start
        pos = c.end


async def wait_until(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


def test_many_clients_every_line_once_in_order():
    n_clients, n_lines = 20, 500
    sent = {i: b"".join(combined(i, j) + b"\n" for j in range(n_lines)) for i in range(n_clients)}

    async def main():
        fake = FakeCtx(target_bytes=3000)
        src = TcpSource(stop_after_clients=n_clients)
        runner = asyncio.create_task(src.run(fake.ctx))
        await src.ready.wait()
        assert src.port != 0 and src.name == f"tcp://{HOST}:{src.port}"
        assert src.address == (HOST, src.port)
        await asyncio.gather(
            *(
                send_lines(
                    HOST,
                    src.port,
                    [combined(i, j) for j in range(n_lines)],
                    chunk_size=97 + 31 * i,
                )
                for i in range(n_clients)
            )
        )
        await asyncio.wait_for(runner, 5)
        return src, fake

    src, fake = asyncio.run(main())
    assert src.clients_served == n_clients and src.refused == 0 and src.errors == 0
    assert src.lines == n_clients * n_lines == fake.lines()
    assert len(fake.chunks) == n_clients
    seen = set()
    for sid, chunks in fake.chunks.items():
        assert fake.names[sid].startswith(f"tcp://{HOST}:")
        check_contiguous(chunks)
        data = b"".join(c.data for c in chunks)
        client = int(data.split(b".", 3)[2])  # 10.0.<client>.x
        assert data == sent[client]
        assert chunks[-1].end == len(data)
        assert sum(c.lines for c in chunks) == n_lines
        assert all(c.fmt == "combined" and not c.partial for c in chunks)
        seen.add(client)
    assert seen == set(range(n_clients))


def test_over_long_line_is_cut_and_memory_stays_bounded():
    max_line = 1000
    huge = b"x" * 1_000_000

    async def main():
        fake = FakeCtx(target_bytes=4096, max_line=max_line)
        src = TcpSource(stop_after_clients=1, read_size=8192)
        runner = asyncio.create_task(src.run(fake.ctx))
        await src.ready.wait()
        await send_lines(HOST, src.port, [b"before", huge, b"after"], chunk_size=50_000)
        await asyncio.wait_for(runner, 5)
        return src, fake

    src, fake = asyncio.run(main())
    (chunks,) = fake.chunks.values()
    check_contiguous(chunks)
    lines = [line for c in chunks for line in c.data.split(b"\n")[:-1]]
    assert lines == [b"before", b"x" * (max_line + 1), b"after"]
    assert chunks[-1].end == len(b"before\n") + len(huge) + 1 + len(b"after\n")
    cut = next(c for c in chunks if c.data.startswith(b"x"))
    assert cut.end - cut.start == len(huge) + 1  # the offsets count every byte received
    assert src.lines == 3
    assert 0 < src.max_pending <= max_line + 1 + src.read_size


def test_refuses_clients_beyond_max_clients():
    async def main():
        fake = FakeCtx()
        src = TcpSource(max_clients=2, stop_after_clients=2)
        runner = asyncio.create_task(src.run(fake.ctx))
        await src.ready.wait()
        held = [await asyncio.open_connection(HOST, src.port) for _ in range(2)]
        await wait_until(lambda: src.connected == 2)
        reader, writer = await asyncio.open_connection(HOST, src.port)
        assert await asyncio.wait_for(reader.read(), 5) == REFUSAL  # then EOF
        writer.close()
        await writer.wait_closed()
        assert src.refused == 1 and not runner.done()
        for i, (_r, w) in enumerate(held):
            w.write(combined(i, 0) + b"\n")
            w.close()
            await w.wait_closed()
        await asyncio.wait_for(runner, 5)
        return src, fake

    src, fake = asyncio.run(main())
    assert src.clients_served == 2 and src.refused == 1 and src.lines == 2
    assert len(fake.names) == 2  # the refused client was never registered


def test_idle_timeout_ends_run_only_when_no_client_is_connected():
    async def main():
        loop = asyncio.get_running_loop()
        src = TcpSource(idle_timeout=0.15)
        t0 = loop.time()
        await asyncio.wait_for(src.run(FakeCtx().ctx), 2)  # nobody ever connects
        assert 0.1 < loop.time() - t0 < 1.0

        fake = FakeCtx()
        src = TcpSource(idle_timeout=0.15)
        runner = asyncio.create_task(src.run(fake.ctx))
        await src.ready.wait()
        _r, w = await asyncio.open_connection(HOST, src.port)
        await asyncio.sleep(0.4)  # connected longer than idle_timeout: still running
        assert not runner.done()
        w.write(b"one line\n")
        w.close()
        await w.wait_closed()
        t0 = loop.time()
        await asyncio.wait_for(runner, 2)
        assert loop.time() - t0 < 1.0
        assert src.clients_served == 1 and fake.lines() == 1

    asyncio.run(main())


def test_a_source_can_run_again_in_a_new_event_loop():
    src = TcpSource(stop_after_clients=1)

    async def once(text: bytes):
        fake = FakeCtx()
        runner = asyncio.create_task(src.run(fake.ctx))
        await src.ready.wait()
        await send_lines(HOST, src.port, [text])
        await asyncio.wait_for(runner, 5)
        return b"".join(c.data for cs in fake.chunks.values() for c in cs)

    assert asyncio.run(once(b"first run")) == b"first run\n"
    assert asyncio.run(once(b"second run")) == b"second run\n"
    assert src.clients_served == 2


def test_reset_client_keeps_what_it_sent():
    """A connection reset ends that client only; its partial last line follows flush_partial."""

    async def reset_client(port: int, payload: bytes, arrived) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, (HOST, port))
            await loop.sock_sendall(sock, payload)
            await wait_until(arrived)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            sock.close()  # with SO_LINGER 0: RST

    async def main(flush: bool):
        fake = FakeCtx(target_bytes=1, flush_partial=flush)  # emit each line at once
        src = TcpSource(stop_after_clients=2)
        runner = asyncio.create_task(src.run(fake.ctx))
        await src.ready.wait()
        await reset_client(src.port, b"one\ntwo\npar", lambda: src.lines == 2)
        await send_lines(HOST, src.port, [b"other client"])
        await asyncio.wait_for(runner, 5)
        return src, fake

    for flush in (True, False):
        src, fake = asyncio.run(main(flush))
        assert src.clients_served == 2
        first = b"".join(c.data for c in fake.chunks[1])
        assert first == (b"one\ntwo\npar" if flush else b"one\ntwo\n")
        assert b"".join(c.data for c in fake.chunks[2]) == b"other client\n"
        assert src.errors in (0, 1)  # a reset, or an EOF if the RST raced the last read


def test_backpressure_stops_reading_while_emit_waits():
    """While emit waits, the server stops reading: the kernel buffers fill, the sender stalls."""
    line = b"z" * 1023
    total = 64 * 1024  # lines: 64 MB, more than the kernel buffers of both ends can hold
    produced = 0

    def lines():
        nonlocal produced
        for _ in range(total):
            produced += 1
            yield line

    async def main():
        fake = FakeCtx(target_bytes=256 * 1024)
        fake.gate = asyncio.Event()  # emit blocks until set
        src = TcpSource(stop_after_clients=1)
        runner = asyncio.create_task(src.run(fake.ctx))
        await src.ready.wait()
        sender = asyncio.create_task(send_lines(HOST, src.port, lines()))
        async with asyncio.timeout(5):  # until the sender stops making progress
            stalled_at = -1
            while produced != stalled_at:
                stalled_at = produced
                await asyncio.sleep(0.15)
        assert not sender.done() and produced < total  # held back by TCP flow control
        assert fake.lines() == 0
        fake.gate.set()
        await asyncio.wait_for(sender, 10)
        await asyncio.wait_for(runner, 10)
        assert src.max_pending <= 256 * 1024 + src.read_size
        return fake

    fake = asyncio.run(main())
    (chunks,) = fake.chunks.values()
    check_contiguous(chunks)
    assert sum(c.lines for c in chunks) == total
    assert chunks[-1].end == total * (len(line) + 1)


def test_cancel_while_clients_are_connected_leaves_nothing_running():
    async def main():
        before = asyncio.all_tasks()
        fake = FakeCtx(target_bytes=1)
        fake.gate = asyncio.Event()  # the first client gets stuck in emit
        src = TcpSource()
        runner = asyncio.create_task(src.run(fake.ctx))
        await src.ready.wait()
        clients = [await asyncio.open_connection(HOST, src.port) for _ in range(3)]
        clients[0][1].write(b"a complete line\nand a partial one")
        await clients[0][1].drain()
        await wait_until(lambda: src.connected == 3 and len(fake.names) == 3)
        await asyncio.sleep(0.05)  # the first client is now waiting in emit
        runner.cancel()
        try:
            await runner
        except asyncio.CancelledError:
            pass
        else:
            raise AssertionError("run() should re-raise the cancellation")
        assert asyncio.all_tasks() == before
        for reader, writer in clients:  # the server closed every connection
            assert await asyncio.wait_for(reader.read(), 2) == b""
            writer.close()
            await writer.wait_closed()
        try:
            _r, w = await asyncio.open_connection(HOST, src.port)
        except OSError:
            pass  # the server no longer listens
        else:
            w.close()
            await w.wait_closed()
            raise AssertionError("the server still accepts connections")
        assert fake.lines() == 0 and src.clients_served == 0

    asyncio.run(main())


def test_emit_error_ends_the_run():
    class Broken(RuntimeError):
        pass

    async def main():
        fake = FakeCtx()

        async def emit(chunk):
            raise Broken("downstream is gone")

        fake.ctx.emit = emit
        before = asyncio.all_tasks()
        src = TcpSource()
        runner = asyncio.create_task(src.run(fake.ctx))
        await src.ready.wait()
        await send_lines(HOST, src.port, [b"a line"])
        try:
            await asyncio.wait_for(runner, 5)
        except Broken:
            pass
        else:
            raise AssertionError("the emit error should end run()")
        assert asyncio.all_tasks() == before

    asyncio.run(main())


def test_through_the_pipeline(tmp_path):
    from labkit.pipeline import Pipeline, PipelineConfig

    n_clients, n_lines = 3, 300
    huge = b"y" * (MAX_LINE_BYTES * 40)
    per_client = [[combined(i, j) for j in range(n_lines)] for i in range(n_clients)]
    per_client[0][100:100] = [huge, b"not a log line"]
    total = sum(len(lines) for lines in per_client)
    src = TcpSource(stop_after_clients=n_clients)
    db = tmp_path / "t.db"

    async def main():
        pipeline = Pipeline(PipelineConfig(sources=[src], db=db, parsers=1, writers=1))
        run = asyncio.create_task(pipeline.run())
        ready = asyncio.create_task(src.ready.wait())
        await asyncio.wait([run, ready], timeout=30, return_when=asyncio.FIRST_COMPLETED)
        assert ready.done(), "the TCP source did not start listening"
        await asyncio.gather(
            *(send_lines(HOST, src.port, lines, chunk_size=4099) for lines in per_client)
        )
        return await asyncio.wait_for(run, 30)

    result = asyncio.run(main())
    assert result.lines_read == total
    assert result.stored + result.rejected == total
    assert result.reasons.get("too_long") == 1
    assert result.rejected == 2 and result.stored == total - 2
    assert src.clients_served == n_clients and src.lines == total
    conn = sqlite3.connect(db)
    try:
        (line,) = conn.execute("SELECT line FROM rejects WHERE reason = 'too_long'").fetchone()
        kinds = {k for (k,) in conn.execute("SELECT kind FROM sources")}
    finally:
        conn.close()
    assert line == b"y" * (MAX_LINE_BYTES + 1)
    assert kinds == {"tcp"}
