"""Checks for notebook 05 (queues, backpressure, shutdown, the live dashboard).

Each check runs the learner's function on real cases and prints a pass message or a specific
hint (``CheckReport.show``); it never raises on a wrong answer. Coroutines run on a fresh event
loop (``labkit.syncrun.run_sync``), so the checks work inside Jupyter too.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psutil

from labkit.checks.base import CheckReport, expect
from labkit.syncrun import run_sync

__all__ = [
    "check_lines_in_flight_bound",
    "check_pick_settings",
    "check_produce_consume",
    "check_run_for",
]

_HANG_S = 3.0  # seconds a produce_consume case may take before the check calls it hung
_HUNG = (
    f"it did not finish within {_HANG_S:g} s: with a bounded queue the producer must run as its "
    "own task (`asyncio.create_task(producer())`) while this coroutine consumes; putting "
    "everything first waits forever once the queue is full; and the consumer must stop at the "
    "sentinel `None`"
)
_MAX_TAKEN = 200  # items an endless input gives before the check calls the producer unbounded


# ----- Exercise 1: how much can be in flight --------------------------------------------------
def _chunks_in_flight(queue_size: int, pool_size: int, writers: int) -> int:
    # read channel + dispatcher's hand + in-flight channel + collector's hand + write channel
    # + one batch in each writer's hand
    return queue_size + 1 + (pool_size + 1) + 1 + queue_size + writers


def check_lines_in_flight_bound(lines_in_flight_bound: Callable) -> CheckReport:
    """``lines_in_flight_bound(queue_size, pool_size, writers, chunk_lines)``: the most lines
    that can have been read but not yet stored, from the pipeline's diagram."""
    report = CheckReport("lines_in_flight_bound")
    cases = [(8, 4, 1, 5000), (2, 4, 1, 500), (2, 16, 3, 1000), (1, 1, 1, 1), (32, 2, 2, 250)]
    for queue_size, pool_size, writers, chunk_lines in cases:
        with report.case(
            f"queue_size={queue_size}, pool_size={pool_size}, writers={writers}, "
            f"chunk_lines={chunk_lines}"
        ):
            got = lines_in_flight_bound(queue_size, pool_size, writers, chunk_lines)
            expect(got is not None, "it returned None: return the number of lines")
            expect(isinstance(got, int | float), f"return a number of lines, got {got!r}")
            want = _chunks_in_flight(queue_size, pool_size, writers) * chunk_lines
            chunks = got / chunk_lines
            expect(
                chunks == int(chunks),
                f"{got} is not a whole number of chunks of {chunk_lines} lines: count chunks "
                "(slots), then multiply by `chunk_lines`",
            )
            expect(
                got != want - writers * chunk_lines,
                "you left out the writer threads: each one holds a batch while it waits for "
                "its turn and while it stores it",
            )
            expect(
                got != want - 2 * chunk_lines and got != want - chunk_lines * (2 + writers),
                "you left out the stage tasks' hands: the dispatcher holds one chunk while it "
                "waits for a parser slot, the collector one batch while it waits to send it on",
            )
            expect(
                got != want - chunk_lines,
                "one slot short: the in-flight channel holds `pool_size + 1` futures",
            )
            expect(
                got != want - queue_size * chunk_lines,
                "count both bounded channels: the read channel and the write channel each hold "
                "`queue_size` items",
            )
            expect(
                got == want,
                f"got {got:,} lines ({chunks:g} chunks), expected {want:,}: add up the read "
                "channel (`queue_size`), the dispatcher's hand (1), the in-flight channel "
                "(`pool_size + 1`), the collector's hand (1), the write channel (`queue_size`) "
                "and one batch per writer; then multiply by `chunk_lines`",
            )
    return report.show()


# ----- Exercise 2: a bounded producer/consumer ------------------------------------------------
class _RecordingQueue(asyncio.Queue):
    """An ``asyncio.Queue`` that remembers what was put and how full it got."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self.items: list[Any] = []
        self.high = 0

    def _put(self, item: Any) -> None:
        super()._put(item)
        self.items.append(item)
        self.high = max(self.high, self.qsize())


class _Counted:
    """An iterator over ``source`` that counts how many items were taken from it."""

    def __init__(self, source: Iterator[Any]) -> None:
        self.source = source
        self.taken = 0

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> Any:
        if self.taken >= _MAX_TAKEN:
            raise RuntimeError(
                f"the producer took {_MAX_TAKEN} items from an endless input: take one item at "
                "a time and `await queue.put(item)` it before taking the next"
            )
        item = next(self.source)
        self.taken += 1
        return item


def _leftover_tasks() -> list[asyncio.Task]:
    me = asyncio.current_task()
    return [t for t in asyncio.all_tasks() if t is not me and not t.done()]


async def _settle() -> None:
    for _ in range(3):  # let cancelled tasks finish unwinding
        await asyncio.sleep(0)


def check_produce_consume(produce_consume: Callable) -> CheckReport:
    """``async def produce_consume(items, work, queue)``: a producer task puts every item into
    the bounded ``queue`` then ``None``; this coroutine awaits ``work(item)`` for each item until
    ``None`` and returns the results in order; if ``work`` raises, cancel the producer and
    re-raise."""
    report = CheckReport("produce_consume")
    with report.case("it is a coroutine function (async def)"):
        expect(
            inspect.iscoroutinefunction(produce_consume),
            "define it with `async def produce_consume(items, work, queue)`",
        )
    if report.failed:
        return report.show()

    async def square(x: int) -> int:
        await asyncio.sleep(0.001)
        return x * x

    with report.case("10 items through a queue of 2: results in order, then the sentinel"):

        async def case() -> tuple[Any, _RecordingQueue, str | None, list[asyncio.Task]]:
            queue = _RecordingQueue(2)
            try:
                got = await asyncio.wait_for(produce_consume(range(10), square, queue), _HANG_S)
            except TimeoutError:
                return None, queue, _HUNG, []
            await _settle()
            return got, queue, None, _leftover_tasks()

        got, queue, problem, left = run_sync(case)
        expect(problem is None, str(problem))
        expect(got is not None, "it returned None: return the list of results")
        expect(
            list(got) == [x * x for x in range(10)],
            f"expected the results of `await work(item)` in order, got {list(got)!r}",
        )
        expect(
            queue.items[:10] == list(range(10)),
            "the items did not go through `queue`: the producer must `await queue.put(item)` "
            "on the queue you are given",
        )
        expect(
            queue.items[10:] == [None],
            f"after the items the producer must put the sentinel `None` once, got "
            f"{queue.items[10:]!r}",
        )
        expect(not left, "a task was still running when it returned: await the producer")

    with report.case("no items: an empty list (the sentinel alone)"):

        async def empty() -> tuple[Any, _RecordingQueue, str | None]:
            queue = _RecordingQueue(2)
            try:
                got = await asyncio.wait_for(produce_consume([], square, queue), _HANG_S)
            except TimeoutError:
                return None, queue, _HUNG
            return got, queue, None

        got, queue, problem = run_sync(empty)
        expect(problem is None, str(problem))
        expect(got is not None and list(got) == [], f"expected [], got {got!r}")
        expect(queue.items == [None], f"expected just the sentinel put, got {queue.items!r}")

    with report.case("slow work on an endless input: the producer waits (backpressure)"):

        async def endless() -> tuple[int, list[int], str | None]:
            items = _Counted(itertools.count())
            ahead: list[int] = []
            queue = _RecordingQueue(3)

            async def slow(x: int) -> int:
                ahead.append(items.taken - (x + 1))
                await asyncio.sleep(0.002)
                if x == 20:
                    raise LookupError("work failed on item 20")
                return x

            problem = None
            try:
                await asyncio.wait_for(produce_consume(items, slow, queue), _HANG_S)
                problem = "it returned although `work` raised: let the error propagate"
            except LookupError:
                pass
            except TimeoutError:
                problem = (
                    f"it did not finish within {_HANG_S:g} s after `work` raised: cancel the "
                    "producer and re-raise (try/finally around the consumer loop)"
                )
            await _settle()
            left = _leftover_tasks()
            if problem is None and left:
                problem = (
                    "when `work` raised, the producer task was left waiting on `queue.put` "
                    "forever: cancel it (`task.cancel()` in a `finally:`) before re-raising"
                )
            for t in left:
                t.cancel()
            await _settle()
            return items.taken, ahead, problem

        taken, ahead, problem = run_sync(endless)
        expect(problem is None, str(problem))
        expect(
            max(ahead, default=0) <= 3 + 1,
            f"the producer ran up to {max(ahead, default=0)} items ahead of the consumer with "
            "a queue of 3: put the items into the queue you are given, one `await put` each",
        )
        expect(taken <= 21 + 3 + 1, f"{taken} items were taken from the input for 21 consumed")
    return report.show()


# ----- Exercise 3: stop a run cleanly ---------------------------------------------------------
def _children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True) if p.is_running()}


def check_run_for(run_for: Callable) -> CheckReport:
    """``async def run_for(config, seconds)``: start the pipeline, let it run ``seconds``, stop
    it, return its result. Checked on a slow run: stopped, on time, no process left, and a
    rerun stores exactly the rest."""
    from labkit.generate import generate_dataset
    from labkit.pipeline import PipelineConfig, PipelineResult, run_pipeline

    report = CheckReport("run_for")
    with report.case("it is a coroutine function (async def)"):
        expect(
            inspect.iscoroutinefunction(run_for),
            "define it with `async def run_for(config, seconds)`",
        )
    if report.failed:
        return report.show()
    with tempfile.TemporaryDirectory(prefix="labkit-check-") as tmp:
        manifest = generate_dataset(Path(tmp) / "data", files=2, lines=8_000, seed=51)
        db = Path(tmp) / "run_for.db"
        # a slow writer: the whole run would take about 16 x 0.3 = 5 s
        config = PipelineConfig(
            paths=manifest.paths(), db=db, parsers=1, batch_lines=500, writer_latency_s=0.3
        )
        with report.case("a slow 5-second run stopped after 1.5 s"):
            before = _children()
            t0 = time.perf_counter()
            result = run_sync(lambda: run_for(replace(config), 1.5))
            took = time.perf_counter() - t0
            expect(
                isinstance(result, PipelineResult),
                f"return the PipelineResult that `await task` gives, got {result!r}",
            )
            expect(
                took >= 1.4,
                f"it returned after {took:.1f} s: sleep `seconds` (`await asyncio.sleep`) "
                "before stopping",
            )
            expect(
                result.stopped and result.stored < manifest.good,
                "the run was not stopped (it ran to the end): call `pipeline.stop()` after the "
                "sleep, then await the task; awaiting `pipeline.run()` directly waits for the "
                "end",
            )
            expect(
                took < 1.5 + 6.0,
                f"it took {took:.1f} s for a 1.5 s run: stop it right after the sleep",
            )
            left = _children() - before
            expect(not left, f"child processes left behind: {sorted(left)}")
        with report.case("a rerun resumes exactly where the stopped run committed"):
            expect(isinstance(result, PipelineResult), "the first case must pass first")
            rest = run_sync(lambda: run_pipeline(replace(config, writer_latency_s=0.0)))
            expect(
                result.stored + rest.stored == manifest.good,
                f"stopped run stored {result.stored:,}, the rerun {rest.stored:,}, together "
                f"they should be the {manifest.good:,} good lines",
            )
    return report.show()


# ----- Exercise 4: pick settings --------------------------------------------------------------
_KEYS = ("readers", "parsers", "writers", "batch_lines")


def check_pick_settings(pick_settings: Callable) -> CheckReport:
    """``pick_settings(usable_cpus)``: a dict with ``readers``, ``parsers``, ``writers`` and
    ``batch_lines`` to start a run with on a machine with that many usable CPUs."""
    report = CheckReport("pick_settings")
    for cpus in (1, 2, 4, 16):
        with report.case(f"usable_cpus={cpus}"):
            got = pick_settings(cpus)
            expect(isinstance(got, dict), f"return a dict with keys {_KEYS}, got {got!r}")
            expect(
                set(got) == set(_KEYS),
                f"the keys must be exactly {_KEYS}, got {tuple(got)}",
            )
            expect(
                all(isinstance(got[k], int) and got[k] >= 1 for k in _KEYS),
                f"every setting is a whole number >= 1, got {got}",
            )
            expect(
                got["writers"] == 1,
                f"writers={got['writers']}: SQLite lets one writer in at a time (notebook 04), "
                "extra writer threads only wait for the lock",
            )
            expect(
                got["parsers"] <= cpus,
                f"parsers={got['parsers']} on {cpus} usable CPUs: parsing is CPU-bound, more "
                "processes than usable CPUs only take turns (notebook 03)",
            )
            expect(
                got["parsers"] >= max(1, cpus - 1),
                f"parsers={got['parsers']} on {cpus} usable CPUs leaves cores idle: use them "
                "all (or all but one for the reader and writer)",
            )
            expect(
                1000 <= got["batch_lines"] <= 20_000,
                f"batch_lines={got['batch_lines']}: below ~1,000 lines per batch the cost per "
                "task (pickling, one transaction each) dominates; far above 20,000 the queues "
                "hold a lot of memory and the chart moves in big steps",
            )
            expect(
                got["readers"] <= 8,
                f"readers={got['readers']}: local files are read in threads and the disk is "
                "one device; a few readers keep the parsers fed (notebook 02)",
            )
    return report.show()
