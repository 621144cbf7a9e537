"""Local log files (plain or gzip), read in large chunks off the event loop.

Asyncio has no asynchronous local-file I/O: ``open``/``read`` block. ``FileSource`` runs each
blocking read in a worker thread (``asyncio.to_thread``) so the event loop stays free for other
sources and the rest of the pipeline; it does not make a single file faster to read.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from labkit.chunks import LineChunker
from labkit.formats import detect_format
from labkit.identity import file_identity, open_log
from labkit.sources.base import ReadContext

__all__ = ["FileSource", "open_log", "sniff_format"]


def sniff_format(
    path: str | os.PathLike, sample_bytes: int = 64 * 1024, *, partial_ok: bool = True
) -> str | None:
    """Detect a file's log format from its first lines (blocks on a small read).

    Returns None when there is nothing to go on yet: no complete non-empty line (and, with
    ``partial_ok``, no recognisable unterminated one either). Raises ``ValueError`` naming the
    file when its lines match no known format.
    """
    with open_log(path) as fh:
        sample = fh.read(sample_bytes)
    complete = sample[: sample.rfind(b"\n") + 1]
    if not complete.strip():
        if not (partial_ok and sample.strip()):
            return None
        try:
            return detect_format(sample)
        except ValueError:
            return None
    try:
        return detect_format(complete)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}; give the format explicitly (--format)") from None


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
            fmt = await asyncio.to_thread(sniff_format, self.path, partial_ok=ctx.flush_partial)
            if fmt is None:
                return  # no complete line yet: nothing to read, nothing to register
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
