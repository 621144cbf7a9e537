"""The parse stage: a pool of worker processes turning chunks of raw lines into batches.

``parse_chunk`` is the worker function: module-level and pure, so it pickles under every start
method (``spawn`` included). ``ParserPool`` wraps ``concurrent.futures.ProcessPoolExecutor`` with an
explicit start method, workers that ignore Ctrl-C (the parent decides how to stop) and exit when
their parent dies, and a shutdown that terminates stragglers after a deadline.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from labkit.batches import ParsedBatch, batch_from_rows
from labkit.formats import get_parser
from labkit.records import MAX_LINE_BYTES, Reject

__all__ = [
    "ENGINES",
    "BrokenProcessPool",
    "ParsePool",
    "ParserPool",
    "describe_error",
    "make_pool",
    "parse_chunk",
    "parse_lines_to_batch",
    "poison_batch",
]

#: Where the parse stage runs: ``local`` (this machine's process pool) or ``dask`` (a
#: ``distributed`` cluster; needs the optional ``dask`` extra).
ENGINES = ("local", "dask")


def _split(data: bytes) -> list[bytes]:
    """A chunk's lines without their newlines (the last one may lack it: a flushed partial)."""
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def parse_lines_to_batch(
    source_id: int,
    seq: int,
    fmt: str,
    start: int,
    end: int,
    data: bytes,
    output: str = "sqlite",
    max_line: int = MAX_LINE_BYTES,
) -> ParsedBatch:
    """Parse the whole lines in ``data`` (bytes ``[start, end)`` of a source) into a batch.

    Never raises for bad input: every line becomes a row or a reject, so
    ``batch.lines == stored + rejected`` equals the number of lines in ``data``. An over-long
    line's raw bytes are kept only up to ``max_line + 1`` bytes in its reject.
    """
    parse = get_parser(fmt)
    rows: list[tuple] = []
    rejects: list[tuple] = []
    add_row = rows.append
    offset = start
    for line in _split(data):
        result = parse(line, max_line=max_line)
        if type(result) is Reject:
            raw = line if len(line) <= max_line else line[: max_line + 1]
            rejects.append((offset, result.reason, result.detail, raw))
        else:
            add_row((offset, *result))
        offset += len(line) + 1
    return batch_from_rows(source_id, seq, start, end, rows, rejects, output)


def parse_chunk(
    source_id: int,
    seq: int,
    fmt: str,
    start: int,
    end: int,
    data: bytes,
    output: str = "sqlite",
    max_line: int = MAX_LINE_BYTES,
) -> ParsedBatch:
    """Worker entry point: ``parse_lines_to_batch`` plus the time it took (``parse_seconds``)."""
    t0 = time.perf_counter()
    batch = parse_lines_to_batch(source_id, seq, fmt, start, end, data, output, max_line)
    batch.parse_seconds = time.perf_counter() - t0
    return batch


def poison_batch(
    source_id: int,
    seq: int,
    start: int,
    end: int,
    data: bytes,
    detail: str,
    output: str = "sqlite",
    max_line: int = MAX_LINE_BYTES,
) -> ParsedBatch:
    """Every line of a chunk that kept crashing its worker, rejected as ``poison``.

    Runs in the parent (no parsing, so it cannot crash the same way); the raw lines are kept in
    ``rejects`` so nothing is lost and the chunk can be replayed once the bug is fixed.
    """
    rejects = []
    offset = start
    for line in _split(data):
        rejects.append((offset, "poison", detail, line[: max_line + 1]))
        offset += len(line) + 1
    return batch_from_rows(source_id, seq, start, end, [], rejects, output)


def describe_error(exc: BaseException) -> str:
    """One line for people: the error and, for a worker exception, the worker's own last
    traceback line (``concurrent.futures`` attaches it as ``__cause__``)."""
    text = f"{type(exc).__name__}: {exc}"
    cause = exc.__cause__
    if cause is not None and type(cause).__name__ == "_RemoteTraceback":
        frames = [ln.strip() for ln in str(cause).strip().splitlines() if ln.strip()]
        where = next((ln for ln in reversed(frames) if ln.startswith("File ")), "")
        if where:
            text += f" (in the worker: {where})"
    return text


def _worker_init(parent_pid: int) -> None:
    """Runs in each worker: ignore SIGINT and exit if the parent process goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="labkit-parent-watch", daemon=True).start()


class ParserPool:
    """A process pool for ``parse_chunk`` with up to ``max_workers`` processes.

    Processes start on demand (the first submissions). ``submit`` never blocks; the caller bounds
    the work in flight. ``shutdown`` cancels queued work, waits up to ``deadline`` seconds for
    running tasks, then terminates what is left, so no worker outlives the pool.
    """

    def __init__(self, max_workers: int, start_method: str | None = None) -> None:
        self.max_workers = max(1, int(max_workers))
        self.start_method = start_method or mp.get_start_method()
        self._ctx = mp.get_context(self.start_method)
        self._executor: ProcessPoolExecutor | None = None
        self.generation = 0  # bumped by rebuild(): tells a stale failure from a fresh one

    def _ensure(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.max_workers,
                mp_context=self._ctx,
                initializer=_worker_init,
                initargs=(os.getpid(),),
            )
        return self._executor

    def submit(self, fn, /, *args) -> Future:
        """Queue ``fn(*args)`` on a worker; raises ``BrokenProcessPool`` if a worker died."""
        return self._ensure().submit(fn, *args)

    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        ex = self._executor
        procs = getattr(ex, "_processes", None) or {}
        return [p.pid for p in list(procs.values()) if p.is_alive()]

    def rebuild(self) -> None:
        """Replace a broken pool with a fresh one (its workers are terminated first). Blocks."""
        self.shutdown(deadline=0.5)
        self.generation += 1

    def shutdown(self, deadline: float = 2.0) -> None:
        """Stop every worker within about ``deadline`` seconds. Blocks; safe to call twice."""
        ex, self._executor = self._executor, None
        if ex is None:
            return
        procs = list((getattr(ex, "_processes", None) or {}).values())
        ex.shutdown(wait=False, cancel_futures=True)
        stop_at = time.monotonic() + deadline
        for p in procs:
            p.join(max(0.0, stop_at - time.monotonic()))
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(1.0)
            if p.is_alive():
                p.kill()
                p.join(1.0)


class ParsePool(Protocol):
    """What the pipeline needs from a parse engine (``ParserPool`` and the Dask engine)."""

    max_workers: int

    def submit(self, fn, /, *args) -> Future: ...

    def pids(self) -> list[int]: ...

    generation: int

    def rebuild(self) -> None: ...

    def shutdown(self, deadline: float = 2.0) -> None: ...


def make_pool(
    engine: str,
    max_workers: int,
    start_method: str | None = None,
    scheduler: str | None = None,
) -> ParsePool:
    """The parse engine: ``local`` process pool, or ``dask`` (``scheduler`` address or a
    ``LocalCluster`` when None). Raises ``ImportError`` naming the extra when Dask is missing."""
    if engine == "local":
        return ParserPool(max_workers, start_method)
    if engine == "dask":
        try:
            from labkit.engines.dask import DaskParserPool
        except ImportError as exc:
            raise ImportError(
                f"the dask engine needs the optional 'dask' extra: pip install -e '.[dask]' ({exc})"
            ) from exc
        return DaskParserPool(max_workers, scheduler=scheduler)
    raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
