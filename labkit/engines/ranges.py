"""Send work to the data: cut files into byte ranges of whole lines, parse a range where it lies.

With a cluster, a task that carries ``(path, start, end)`` costs a few dozen bytes on the wire,
where a task that carries the chunk's bytes costs the chunk. It needs every worker to reach the
file at the same path (shared storage: NFS, a cluster file system, or object storage through
``fsspec``), and plain (not gzip) files, which can be read from any offset. Notebook 08 builds
both functions as exercises; these are the lab's versions.
"""

from __future__ import annotations

import os

from labkit.batches import ParsedBatch
from labkit.parser import parse_lines_to_batch

__all__ = ["byte_ranges", "parse_range"]


def byte_ranges(path: str | os.PathLike, target_bytes: int) -> list[tuple[int, int]]:
    """``(start, end)`` ranges covering the file, each of whole lines: from ``start`` the range
    runs ``target_bytes``, then on to the end of that line. Reads only a line per range."""
    if target_bytes < 1:
        raise ValueError("target_bytes must be at least 1")
    size = os.path.getsize(path)
    out: list[tuple[int, int]] = []
    start = 0
    with open(path, "rb") as fh:
        while start < size:
            fh.seek(min(start + target_bytes, size) - 1)
            fh.readline()  # on to just after the next b"\n", or the end of the file
            end = fh.tell()
            out.append((start, end))
            start = end
    return out


def parse_range(
    path: str | os.PathLike,
    fmt: str,
    start: int,
    end: int,
    source_id: int = 1,
    seq: int = 0,
    output: str = "rows",
) -> ParsedBatch:
    """Read bytes ``[start, end)`` of ``path`` (in the process that runs this: the worker) and
    parse them; offsets in the batch are positions in the file."""
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    return parse_lines_to_batch(source_id, seq, fmt, start, end, data, output)
