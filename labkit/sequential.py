"""The baseline: the same read, parse and store code in one thread, with no queues.

Every speed-up the lab claims is measured against this. It reads each file in chunks, parses a
chunk into rows (``output="rows"``: in one process, building an in-memory SQLite copy would only
add work) and commits it with ``storage.store_batch``, one transaction per chunk, exactly as a
pipeline writer does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from labkit.chunks import LineChunker
from labkit.identity import file_identity
from labkit.parser import parse_lines_to_batch
from labkit.records import MAX_LINE_BYTES
from labkit.sources.files import open_log, sniff_format
from labkit.storage import connect, register_source, store_batch

__all__ = ["SequentialResult", "run_sequential"]


class SequentialResult(dict):
    """Totals of a sequential run: ``lines_read``, ``stored``, ``rejected``,
    ``rejected_by_reason``, ``seconds``, ``lines_per_s``, and the seconds spent in each step."""

    @property
    def lines_per_s(self) -> float:
        return self["lines_per_s"]


def run_sequential(
    paths: Sequence[str | os.PathLike],
    db: str | os.PathLike,
    *,
    fmt: str = "auto",
    batch_lines: int = 5000,
    max_line: int = MAX_LINE_BYTES,
    read_size: int = 1 << 20,
    flush_partial: bool = True,
) -> SequentialResult:
    """Ingest ``paths`` into ``db`` one step after another. Blocks until done.

    Resumes each file at its committed offset, like the pipeline. Without ``flush_partial`` an
    unterminated last line is left for a later run. Ctrl-C stops between transactions: what was
    committed stays, consistent.
    """
    t0 = time.perf_counter()
    spent = {"read_s": 0.0, "parse_s": 0.0, "store_s": 0.0}
    totals = {"lines_read": 0, "stored": 0, "rejected": 0}
    reasons: dict[str, int] = {}
    conn = connect(db)
    claimed: set[int] = set()
    try:
        for path in paths:
            name = str(Path(path).resolve())
            f = sniff_format(path, partial_ok=flush_partial) if fmt == "auto" else fmt
            if f is None:
                continue  # no complete line yet
            state = register_source(conn, name, "file", f, file_identity(path), exclude=claimed)
            claimed.add(state.id)
            with open_log(path) as fh:
                if state.committed_offset:
                    fh.seek(state.committed_offset)
                chunker = LineChunker(state.id, f, start=state.committed_offset, max_line=max_line)
                bytes_per_line = 200.0
                seen_bytes = seen_lines = 0
                while True:
                    t = time.perf_counter()
                    data = fh.read(read_size)
                    spent["read_s"] += time.perf_counter() - t
                    chunker.target_bytes = max(1, int(batch_lines * bytes_per_line))
                    chunks = (
                        list(chunker.feed(data)) if data else list(chunker.close(flush_partial))
                    )
                    for chunk in chunks:
                        seen_bytes += len(chunk.data)
                        seen_lines += chunk.lines
                        bytes_per_line = max(16.0, seen_bytes / max(seen_lines, 1))
                        t = time.perf_counter()
                        batch = parse_lines_to_batch(
                            chunk.source_id,
                            chunk.seq,
                            chunk.fmt,
                            chunk.start,
                            chunk.end,
                            chunk.data,
                            "rows",
                            max_line,
                        )
                        t2 = time.perf_counter()
                        store_batch(conn, batch)
                        spent["parse_s"] += t2 - t
                        spent["store_s"] += time.perf_counter() - t2
                        totals["lines_read"] += chunk.lines
                        totals["stored"] += batch.stored
                        totals["rejected"] += batch.rejected
                        for reason, n in batch.reasons.items():
                            reasons[reason] = reasons.get(reason, 0) + n
                    if not data:
                        break
    finally:
        conn.close()
    seconds = time.perf_counter() - t0
    return SequentialResult(
        **totals,
        rejected_by_reason=dict(sorted(reasons.items())),
        seconds=round(seconds, 3),
        lines_per_s=round(totals["lines_read"] / seconds, 1) if seconds else 0.0,
        **{k: round(v, 3) for k, v in spent.items()},
    )
