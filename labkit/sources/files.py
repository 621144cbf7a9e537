"""Local log files (plain or gzip), read in large chunks off the event loop.

Asyncio has no asynchronous local-file I/O: ``open``/``read`` block. ``FileSource`` runs each
blocking read in a worker thread (``asyncio.to_thread``) so the event loop stays free for other
sources and the rest of the pipeline; it does not make a single file faster to read.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import time
from pathlib import Path
from typing import BinaryIO

from labkit.chunks import LineChunker
from labkit.formats import detect_format
from labkit.sources.base import ReadContext
from labkit.storage import file_identity

__all__ = ["FileSource", "open_log", "sniff_format"]

_GZIP_MAGIC = b"\x1f\x8b"


def open_log(path: str | os.PathLike) -> BinaryIO:
    """Open a log for binary reading, transparently decompressing gzip (by magic bytes)."""
    fh = open(path, "rb")  # noqa: SIM115 - returned to the caller
    if fh.read(2) == _GZIP_MAGIC:
        fh.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    fh.seek(0)
    return fh


def sniff_format(path: str | os.PathLike, sample_bytes: int = 64 * 1024) -> str:
    """Detect a file's log format from its first bytes (blocks on a small read)."""
    with open_log(path) as fh:
        return detect_format(fh.read(sample_bytes))


class FileSource:
    """One log file. ``fmt="auto"`` detects the format from the file's first bytes.

    Reading resumes at the source's committed offset (offsets count uncompressed bytes).
    """

    kind = "file"

    def __init__(self, path: str | os.PathLike, fmt: str = "auto") -> None:
        self.path = Path(path)
        self.name = str(self.path.resolve())
        self.fmt = fmt

    async def run(self, ctx: ReadContext) -> None:
        """Register, then read to the end. Cancelling stops between reads; the file is closed."""
        fmt = self.fmt
        if fmt == "auto":
            fmt = await asyncio.to_thread(sniff_format, self.path)
        identity = await asyncio.to_thread(file_identity, self.path)
        state = await ctx.register(self.name, self.kind, fmt, identity)
        fh = await asyncio.to_thread(open_log, self.path)
        try:
            if state.committed_offset:
                await asyncio.to_thread(fh.seek, state.committed_offset)
            chunker = LineChunker(
                state.id,
                fmt,
                start=state.committed_offset,
                target_bytes=ctx.target_bytes(state.id),
                max_line=ctx.max_line,
            )
            while True:
                t0 = time.perf_counter()
                data = await asyncio.to_thread(fh.read, ctx.read_size)
                ctx.read_seconds[0] += time.perf_counter() - t0
                if not data:
                    break
                chunker.target_bytes = ctx.target_bytes(state.id)
                for chunk in chunker.feed(data):
                    await ctx.emit(chunk)
            for chunk in chunker.close(flush=ctx.flush_partial):
                await ctx.emit(chunk)
        finally:
            await asyncio.shield(asyncio.to_thread(fh.close))
