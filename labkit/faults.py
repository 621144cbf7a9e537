"""Faults to inject on purpose: parse workers that crash or fail, for tests and notebook 07.

Each function has ``parse_chunk``'s signature and is module-level, so it pickles under spawn;
pass one as ``PipelineConfig(parse_fn=...)``. They decide from the chunk's bytes (or a marker
file), so the same chunk fails again when retried, like real poison input.
"""

from __future__ import annotations

import os
from pathlib import Path

from labkit.batches import ParsedBatch
from labkit.parser import parse_chunk

__all__ = ["KILL_MARKER", "RAISE_MARKER", "crash_on_marker", "die_once"]

#: A line containing this makes ``crash_on_marker`` kill its worker process (like a segfault).
KILL_MARKER = b"LABKIT-KILL-WORKER"
#: A line containing this makes ``crash_on_marker`` raise inside the worker.
RAISE_MARKER = b"LABKIT-RAISE-IN-WORKER"


def crash_on_marker(source_id, seq, fmt, start, end, data: bytes, *args) -> ParsedBatch:
    """Parse normally, unless the chunk holds a marker: then die (``os._exit``) or raise."""
    if KILL_MARKER in data:
        os._exit(70)
    if RAISE_MARKER in data:
        raise RuntimeError(f"parser bug triggered by chunk {seq} of source {source_id}")
    return parse_chunk(source_id, seq, fmt, start, end, data, *args)


def die_once(source_id, seq, fmt, start, end, data: bytes, *args) -> ParsedBatch:
    """Kill the worker the first time any chunk is parsed (a transient crash), then parse.

    "First time" is remembered in the file named by ``$LABKIT_DIE_ONCE`` (created on the crash).
    """
    flag = Path(os.environ["LABKIT_DIE_ONCE"])
    try:
        fd = os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return parse_chunk(source_id, seq, fmt, start, end, data, *args)
    os.close(fd)
    os._exit(71)
