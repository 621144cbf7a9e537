"""Checks for notebook 08 (beyond one machine: the parse stage on Dask).

``check_byte_ranges`` and ``check_parse_range`` run the learner's function in this process on
generated log files. ``check_to_concurrent`` needs a Dask client: pass the notebook's, or the
check starts a small in-process cluster (threads, no dashboard) and closes it afterwards.
``check_pipeline_ceiling`` is arithmetic on the lab's own throughput model.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from labkit.checks.base import CheckReport, Hint, expect
from labkit.engines.ranges import byte_ranges
from labkit.formats import FORMATS
from labkit.generate import iter_lines
from labkit.parser import parse_lines_to_batch

__all__ = [
    "check_byte_ranges",
    "check_parse_range",
    "check_pipeline_ceiling",
    "check_to_concurrent",
    "reference_ranges",
]


def _write(folder: Path, name: str, fmt: str, n: int, seed: int, final_newline: bool) -> Path:
    lines = list(iter_lines(fmt, n, seed, bad_rate=0.03))
    path = folder / name
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline else b""))
    return path


def reference_ranges(path: str | os.PathLike, target_bytes: int) -> list[tuple[int, int]]:
    """The lab's answer (``labkit.engines.ranges.byte_ranges``)."""
    return byte_ranges(path, target_bytes)


def _acceptable_ends(data: bytes, start: int, target: int) -> set[int]:
    """Where a range from ``start`` may end: after the line that reaches ``start + target``
    (the lab's answer), or after the last whole line that fits in ``target`` bytes."""
    size = len(data)
    nl = data.find(b"\n", min(start + target, size) - 1)
    after = nl + 1 if nl != -1 else size
    nl = data.rfind(b"\n", start, start + target)
    return {after, nl + 1 if nl != -1 else after}


def _ranges(result: object) -> list[tuple[int, int]]:
    expect(isinstance(result, list), f"return a list of (start, end), not {type(result).__name__}")
    for item in result:
        expect(
            isinstance(item, tuple)
            and len(item) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in item),
            f"each range is a tuple of two ints (start, end), got {item!r:.60}",
        )
    return result


def check_byte_ranges(byte_ranges: Callable[[str, int], list[tuple[int, int]]]) -> CheckReport:
    """``byte_ranges(path, target_bytes)``: contiguous ranges of whole lines, about
    ``target_bytes`` long each, covering the file."""
    report = CheckReport("byte_ranges")
    with tempfile.TemporaryDirectory(prefix="labkit-nb08-") as tmp:
        folder = Path(tmp)
        plain = _write(folder, "access.log", "combined", 3000, 8, final_newline=True)
        open_end = _write(folder, "auth.log", "syslog", 500, 9, final_newline=False)
        empty = folder / "empty.log"
        empty.write_bytes(b"")
        for path, target in ((plain, 16_384), (plain, 1_000), (open_end, 4_096)):
            data = path.read_bytes()
            with report.case(f"{path.name} ({len(data):,} bytes) in ranges of ~{target:,}"):
                got = _ranges(byte_ranges(str(path), target))
                expect(got, "the file is not empty: return at least one range")
                expect(got[0][0] == 0, f"the first range starts at {got[0][0]}, not at 0")
                for (_, end), (start, _) in itertools.pairwise(got):
                    expect(
                        start == end,
                        f"a range ends at {end} but the next starts at {start}: ranges must "
                        "follow each other with no gap and no overlap (next start = previous end)",
                    )
                expect(
                    got[-1][1] == len(data),
                    f"the last range ends at {got[-1][1]}, the file has {len(data)} bytes"
                    + (
                        ": the last line has no newline, keep it anyway"
                        if not data.endswith(b"\n")
                        else ""
                    ),
                )
                expect(all(e > s for s, e in got), "a range is empty (end <= start)")
                cut_mid_line = [e for _, e in got[:-1] if data[e - 1 : e] != b"\n"]
                expect(
                    not cut_mid_line,
                    f"the range ending at {cut_mid_line[:1]} cuts a line in two: extend each "
                    "range to just after the next b'\\n' (seek, then readline)",
                )
                for start, end in got[:-1]:
                    ends = _acceptable_ends(data, start, target)
                    expect(
                        end <= max(ends),
                        f"the range ({start}, {end}) has {end - start:,} bytes: aim for about "
                        f"target_bytes={target:,}, then stop at the end of that line",
                    )
                    expect(
                        end >= min(ends),
                        f"the range ({start}, {end}) has only {end - start:,} bytes: fill each "
                        f"range (but the last) up to about target_bytes={target:,}",
                    )
        with report.case("one byte per range: one range per line"):
            got = _ranges(byte_ranges(str(open_end), 1))
            want = reference_ranges(open_end, 1)
            expect(
                got == want,
                f"{len(got)} ranges for {len(want)} lines: with target_bytes=1 every line is a "
                "range of its own",
            )
        with report.case("a target larger than the file"):
            got = _ranges(byte_ranges(str(plain), 10**9))
            size = plain.stat().st_size
            expect(got == [(0, size)], f"expected [(0, {size})], got {got[:3]!r:.80}")
        with report.case("an empty file"):
            expect(_ranges(byte_ranges(str(empty), 1000)) == [], "an empty file gives []")
    return report.show()


def check_parse_range(parse_range: Callable[..., Any]) -> CheckReport:
    """``parse_range(path, fmt, start, end)`` reads bytes ``[start, end)`` itself and returns
    the same batch as ``parse_lines_to_batch`` on those bytes (offsets are file offsets)."""
    report = CheckReport("parse_range")
    with tempfile.TemporaryDirectory(prefix="labkit-nb08-") as tmp:
        folder = Path(tmp)
        cases = [
            (_write(folder, "access.log", "combined", 1500, 3, final_newline=True), "combined"),
            (_write(folder, "app.jsonl", "jsonl", 800, 4, final_newline=False), "jsonl"),
        ]
        for path, fmt in cases:
            data = path.read_bytes()
            ranges = reference_ranges(path, 20_000)
            picks = [ranges[0], ranges[len(ranges) // 2], ranges[-1]]
            for start, end in picks:
                with report.case(f"{path.name} bytes [{start:,}, {end:,})"):
                    want = parse_lines_to_batch(1, 0, fmt, start, end, data[start:end], "rows")
                    got = parse_range(str(path), fmt, start, end)
                    expect(
                        hasattr(got, "lines") and hasattr(got, "rows"),
                        f"return the ParsedBatch from parse_lines_to_batch, not "
                        f"{type(got).__name__}",
                    )
                    expect(
                        got.lines == want.lines,
                        f"{got.lines} lines parsed, the range holds {want.lines}: seek to start "
                        "and read exactly end - start bytes",
                    )
                    counts = (got.stored, got.rejected)
                    if counts != (want.stored, want.rejected):
                        other_formats = {
                            (b.stored, b.rejected)
                            for b in (
                                parse_lines_to_batch(1, 0, f, start, end, data[start:end], "rows")
                                for f in FORMATS
                                if f != fmt
                            )
                        }
                        raise Hint(
                            f"stored {got.stored} + rejected {got.rejected}, expected "
                            f"{want.stored} + {want.rejected}: "
                            + (
                                f"parse with the format given ({fmt!r})"
                                if counts in other_formats
                                else "these are not the lines of the range: seek to start, "
                                "then read end - start bytes"
                            )
                        )
                    expect(
                        (got.start, got.end) == (start, end),
                        f"the batch says bytes [{got.start}, {got.end}), expected "
                        f"[{start}, {end}): pass start and end on to parse_lines_to_batch",
                    )
                    got_offsets = [r[0] for r in got.rows or []] + [r[0] for r in got.rejects or []]
                    want_offsets = [r[0] for r in want.rows or []] + [
                        r[0] for r in want.rejects or []
                    ]
                    expect(
                        got_offsets == want_offsets,
                        "the row offsets are not positions in the file: they must count from "
                        "start (the writer resumes from them), not from 0",
                    )
    return report.show()


@contextlib.contextmanager
def _client(client: Any) -> Iterator[Any]:
    """The given client, or a small in-process cluster for the duration of the check."""
    if client is not None:
        yield client
        return
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,  # in-process: no ports for tasks, no processes to start
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as own,
    ):
        yield own


def check_to_concurrent(
    to_concurrent: Callable[[Any], Any], client: Any = None, timeout: float = 10.0
) -> CheckReport:
    """``to_concurrent(dask_future)`` returns a ``concurrent.futures.Future`` that gets the Dask
    task's result or exception, without blocking. ``client``: a ``distributed.Client`` to use
    (default: a small in-process cluster, started and closed here). Each case waits up to
    ``timeout`` seconds for the future."""
    report = CheckReport("to_concurrent")
    with _client(client) as c:
        with report.case("the result of a finished task"):
            task = c.submit(sum, [1, 2, 3], pure=False)
            fut = to_concurrent(task)
            expect(
                isinstance(fut, concurrent.futures.Future),
                f"return a concurrent.futures.Future, not {type(fut).__module__}."
                f"{type(fut).__name__} (asyncio.wrap_future needs that type)",
            )
            try:
                value = fut.result(timeout=timeout)
            except concurrent.futures.TimeoutError:
                value = TimeoutError
            expect(
                value is not TimeoutError,
                "the future never finished: in a callback added with "
                "dask_future.add_done_callback, call set_result on it",
            )
            expect(value == 6, f"the result is {value!r}, expected 6: use dask_future.result()")
        with report.case("an error in the task"):
            fut = to_concurrent(c.submit(int, "not a number", pure=False))
            try:
                exc = fut.exception(timeout=timeout)
            except concurrent.futures.TimeoutError:
                exc = TimeoutError
            expect(
                exc is not TimeoutError,
                "the future never finished when the task failed: catch the exception that "
                "dask_future.result() raises and pass it to set_exception",
            )
            expect(
                isinstance(exc, ValueError),
                f"expected the task's ValueError, got {exc!r:.80}: set_exception(exc), "
                "do not set it as a result",
            )
        with report.case("a task that takes a second"):
            task = c.submit(time.sleep, 1.0, pure=False)
            t0 = time.perf_counter()
            fut = to_concurrent(task)
            took = time.perf_counter() - t0
            expect(
                took < 0.5,
                f"to_concurrent took {took:.1f} s: it must return at once (the pipeline calls "
                "it from the event loop); set the result from a done callback instead of "
                "waiting for it",
            )
            expect(isinstance(fut, concurrent.futures.Future), "return the Future")
            with contextlib.suppress(concurrent.futures.TimeoutError):
                fut.result(timeout=timeout)
            expect(fut.done(), "the future never finished")
    return report.show()


def check_pipeline_ceiling(pipeline_ceiling: Callable[[int, float, float], float]) -> CheckReport:
    """``pipeline_ceiling(workers, parse_lps_per_worker, writer_rps)``: the most lines per second
    the pipeline can store, given its parse workers and its one writer."""
    report = CheckReport("pipeline_ceiling")
    cases = [
        (1, 50_000.0, 400_000.0, "one worker, a fast writer"),
        (4, 50_000.0, 400_000.0, "four workers, a fast writer"),
        (16, 50_000.0, 400_000.0, "sixteen workers, the same writer"),
        (8, 50_000.0, 400_000.0, "exactly enough workers"),
        (64, 120_000.0, 300_000.0, "a big cluster"),
    ]
    for workers, parse_lps, writer_rps, label in cases:
        with report.case(
            f"{label}: {workers} x {parse_lps:,.0f} lines/s, writer {writer_rps:,.0f}"
        ):
            got = pipeline_ceiling(workers, parse_lps, writer_rps)
            want = min(workers * parse_lps, writer_rps)
            expect(
                isinstance(got, int | float) and not isinstance(got, bool),
                f"return a number, not {type(got).__name__}",
            )
            if not math.isclose(got, want):
                if math.isclose(got, workers * parse_lps):
                    raise Hint(
                        f"{workers} workers could parse {got:,.0f} lines/s, but one SQLite "
                        f"writer stores at most {writer_rps:,.0f}: the writer caps it"
                    )
                if math.isclose(got, max(workers * parse_lps, writer_rps)):
                    raise Hint("the slowest stage sets the pace: min, not max")
                if math.isclose(got, min(parse_lps, writer_rps)):
                    raise Hint("workers parse in parallel: multiply by the number of workers")
                raise Hint(f"got {got:,.0f}, expected {want:,.0f} lines/s")
    return report.show()
