"""A simulated remote log source: where asyncio pays off.

Fetching logs from an HTTP API or an object store is mostly waiting: a round trip per request
(``latency_s``) and the transfer time (bytes / ``bandwidth_bps``). ``RemoteSource`` reproduces
that waiting with sleeps and no network, so a notebook can compare running N sources one after
the other, in N threads (``fetch_blocking``) and as N asyncio tasks (``fetch`` or ``run``) on
identical work: waiting overlaps, so N sources take about the time of one.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path

from labkit.chunks import LineChunker
from labkit.formats import detect_format
from labkit.sources.base import ReadContext
from labkit.sources.files import open_log

__all__ = ["RemoteSource"]

_SNIFF_BYTES = 64 * 1024
_unnamed = itertools.count(1)


class RemoteSource:
    """Log content served block by block as if from a slow remote service.

    ``data`` is the content itself (bytes) or the path of a log file (plain or gzip; read whole
    into memory, off the event loop, each time the source starts). Each block of ``block_bytes``
    costs one request: ``latency_s + len(block) / bandwidth_bps`` seconds of waiting
    (``bandwidth_bps=None``: latency only). Empty content still costs one request.
    ``fmt="auto"`` detects the format from the first bytes. Counters: ``.requests``, ``.bytes``
    and ``.lines`` (emitted by ``run``).
    """

    kind = "remote"

    def __init__(
        self,
        data: bytes | str | os.PathLike,
        *,
        name: str | None = None,
        fmt: str = "auto",
        latency_s: float = 0.05,
        bandwidth_bps: float | None = 2_000_000,
        block_bytes: int = 64 * 1024,
    ) -> None:
        if block_bytes < 1:
            raise ValueError("block_bytes must be at least 1")
        if latency_s < 0:
            raise ValueError("latency_s cannot be negative")
        if bandwidth_bps is not None and bandwidth_bps <= 0:
            raise ValueError("bandwidth_bps must be positive (or None for no transfer time)")
        if isinstance(data, bytes | bytearray | memoryview):
            self._content: bytes | None = bytes(data)
            self.path: Path | None = None
            default_name = f"remote://memory/{next(_unnamed)}"
        else:
            self._content = None
            self.path = Path(data)
            default_name = f"remote://{self.path.name}"
        self.name = name or default_name
        self.fmt = fmt
        self.latency_s = latency_s
        self.bandwidth_bps = bandwidth_bps
        self.block_bytes = block_bytes
        self.requests = 0
        self.bytes = 0
        self.lines = 0

    # ----- the simulated transfer ----------------------------------------------------------
    def load(self) -> bytes:
        """The whole content, without any simulated waiting (blocks reading a file)."""
        if self._content is not None:
            return self._content
        with open_log(self.path) as fh:
            return fh.read()

    def delay(self, nbytes: int) -> float:
        """Seconds one request for ``nbytes`` bytes takes: round trip plus transfer."""
        transfer = nbytes / self.bandwidth_bps if self.bandwidth_bps else 0.0
        return self.latency_s + transfer

    def total_delay(self, nbytes: int) -> float:
        """Seconds of waiting to fetch ``nbytes`` bytes: what ``fetch`` or ``run`` will wait."""
        requests = max(1, -(-nbytes // self.block_bytes))
        transfer = nbytes / self.bandwidth_bps if self.bandwidth_bps else 0.0
        return requests * self.latency_s + transfer

    def _blocks(self, content: bytes, start: int = 0) -> Iterator[bytes]:
        """The blocks fetched for ``content[start:]``: at least one request, even if empty."""
        view = memoryview(content)
        if start >= len(content):
            yield b""
            return
        for pos in range(start, len(content), self.block_bytes):
            yield bytes(view[pos : pos + self.block_bytes])

    def _format(self, content: bytes) -> str:
        return detect_format(content[:_SNIFF_BYTES]) if self.fmt == "auto" else self.fmt

    def fetch_blocking(self) -> bytes:
        """The whole content, waiting with ``time.sleep`` for every block.

        Blocks the calling thread for ``total_delay`` seconds (run several in threads to
        overlap them); nothing can cancel it, only Ctrl-C interrupts it in the main thread.
        """
        content = self.load()
        out = bytearray()
        for block in self._blocks(content):
            time.sleep(self.delay(len(block)))
            self.requests += 1
            self.bytes += len(block)
            out += block
        return bytes(out)

    async def fetch(self) -> bytes:
        """The whole content, waiting with ``asyncio.sleep`` for every block.

        Awaits ``total_delay`` seconds without blocking the event loop; cancelling it stops at
        the current wait and returns nothing.
        """
        content = await self._load_async()
        out = bytearray()
        for block in self._blocks(content):
            await asyncio.sleep(self.delay(len(block)))
            self.requests += 1
            self.bytes += len(block)
            out += block
        return bytes(out)

    async def _load_async(self) -> bytes:
        if self._content is not None:
            return self._content
        return await asyncio.to_thread(self.load)

    # ----- as a pipeline source --------------------------------------------------------------
    async def run(self, ctx: ReadContext) -> None:
        """Register, then fetch block by block, emitting whole-line chunks as blocks arrive.

        Resumes at the registered committed offset (like an HTTP range request). Awaits the
        simulated waits and ``ctx.emit`` (backpressure); cancelling it stops at the current
        await, with every chunk either emitted whole or not at all.
        """
        content = await self._load_async()
        fmt = self._format(content)
        state = await ctx.register(self.name, self.kind, fmt, None)
        start = min(state.committed_offset, len(content))
        chunker = LineChunker(
            state.id,
            fmt,
            start=start,
            target_bytes=ctx.target_bytes(state.id),
            max_line=ctx.max_line,
        )
        for block in self._blocks(content, start):
            await asyncio.sleep(self.delay(len(block)))
            self.requests += 1
            self.bytes += len(block)
            chunker.target_bytes = max(1, ctx.target_bytes(state.id))
            for chunk in chunker.feed(block):
                await ctx.emit(chunk)
                self.lines += chunk.lines
        for chunk in chunker.close(flush=True):
            await ctx.emit(chunk)
            self.lines += chunk.lines
