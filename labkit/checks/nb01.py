"""Checks for notebook 01 (I/O-bound vs CPU-bound work, four ways).

Each check runs the learner's function on real cases and prints a pass message or a specific
hint (``CheckReport.show``); it never raises on a wrong answer.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import os
import threading
import time
from collections.abc import Callable

from labkit.checks.base import CheckReport, Hint, expect
from labkit.demos.workloads import InFlight, pid_of
from labkit.syncrun import run_sync

__all__ = ["check_best_mode", "check_run_asyncio", "check_run_processes", "check_run_threads"]

_WAIT = 0.3  # seconds a probed task waits for its siblings before giving up


def _results(got: object) -> list:
    """The learner's results as a list, or a hint when there are none."""
    if got is None:
        raise Hint("it returned None: `return` the results")
    try:
        return list(got)  # type: ignore[call-overload]
    except TypeError:
        raise Hint(f"return a list of results, got {got!r:.80}") from None


def check_run_threads(run_threads: Callable) -> CheckReport:
    """``run_threads(func, args, workers)``: ``func`` on every arg in ``workers`` threads,
    results in argument order."""
    report = CheckReport("run_threads")
    with report.case("results come back in the order of args"):
        args = [5, 3, 8, 1, 9, 2]

        def square(x: int) -> int:
            time.sleep(0.02 * (10 - x))  # larger x finish sooner: completion order differs
            return x * x

        got = _results(run_threads(square, args, 3))
        expect(
            sorted(got) == sorted(x * x for x in args),
            f"expected the squares of {args}, got {got}",
        )
        expect(
            got == [x * x for x in args],
            f"right results, wrong order ({got}): `pool.map` keeps the order of args, "
            "`as_completed` does not",
        )
    with report.case("tasks run at the same time, in worker threads, at most `workers` at once"):
        probe = InFlight()
        workers = 3

        def task(x: int) -> int:
            with probe:
                probe.wait_for(workers, _WAIT)  # let the others catch up, if they run at all
                return x

        main = threading.get_ident()
        got = _results(run_threads(task, list(range(6)), workers))
        expect(got == list(range(6)), f"expected [0, ..., 5], got {got}")
        expect(
            main not in probe.threads,
            "a task ran in the calling thread: hand every task to a "
            "`ThreadPoolExecutor(max_workers=workers)` instead of calling func yourself",
        )
        expect(
            probe.max > 1,
            "only one task ran at a time: submit all of them before waiting for any result "
            "(e.g. `list(pool.map(func, args))`)",
        )
        expect(
            probe.max <= workers,
            f"{probe.max} tasks ran at once with workers={workers}: pass max_workers=workers",
        )
    with report.case("no args: an empty list"):
        got = run_threads(lambda x: x, [], 2)
        expect(got is not None and list(got) == [], f"expected [], got {got!r}")
    return report.show()


def check_run_asyncio(run_asyncio: Callable) -> CheckReport:
    """``async def run_asyncio(afunc, args)``: every ``afunc(arg)`` concurrently, results in
    argument order."""
    report = CheckReport("run_asyncio")
    with report.case("it is a coroutine function (async def)"):
        expect(
            inspect.iscoroutinefunction(run_asyncio),
            "define it with `async def run_asyncio(afunc, args):` and `await` inside",
        )
    if report.failed:
        return report.show()

    async def slow_square(x: int) -> int:
        await asyncio.sleep(0.01 * (6 - x))  # the last ones finish first
        return x * x

    with report.case("results come back in the order of args"):
        args = [1, 2, 3, 4, 5]
        got = _results(run_sync(lambda: run_asyncio(slow_square, args)))
        expect(
            got == [x * x for x in args],
            f"expected {[x * x for x in args]}, got {got}: `asyncio.gather` returns results "
            "in argument order",
        )
    with report.case("all coroutines wait at the same time"):
        probe = InFlight()

        async def nap(x: int) -> int:
            async with probe:
                await asyncio.sleep(0.05)
            return x

        got = _results(run_sync(lambda: run_asyncio(nap, list(range(8)))))
        expect(got == list(range(8)), f"expected [0, ..., 7], got {got}")
        expect(
            probe.max == 8,
            f"at most {probe.max} of 8 coroutines were waiting at once: awaiting them one by "
            "one runs them one after another; pass them all to `asyncio.gather(*...)`",
        )
    with report.case("no args: an empty list"):
        got = run_sync(lambda: run_asyncio(slow_square, []))
        expect(got is not None and list(got) == [], f"expected [], got {got!r}")
    return report.show()


def check_run_processes(run_processes: Callable) -> CheckReport:
    """``run_processes(func, args, workers)``: ``func`` on every arg in ``workers`` processes,
    results in argument order (starts a small process pool: takes a second or two)."""
    report = CheckReport("run_processes")
    with report.case("results in order, computed in other processes, at most `workers` of them"):
        args = [4, 1, 3, 0, 2, 5]
        got = _results(run_processes(pid_of, args, 2))
        expect(
            [x for x, _ in got] == args,
            f"results out of order: expected the args {args} back in order, got "
            f"{[x for x, _ in got]}; `pool.map` keeps the order",
        )
        pids = {pid for _, pid in got}
        expect(
            os.getpid() not in pids,
            "the tasks ran in this process: use `concurrent.futures.ProcessPoolExecutor`",
        )
        expect(
            len(pids) <= 2,
            f"{len(pids)} processes ran the tasks with workers=2: pass max_workers=workers",
        )
    with report.case("no args: an empty list"):
        got = run_processes(pid_of, [], 2)
        expect(got is not None and list(got) == [], f"expected [], got {got!r}")
    return report.show()


_BEST_CASES: list[tuple[dict[str, float], str, float]] = [
    ({"sequential": 2.0, "threads": 0.5, "processes": 1.0, "asyncio": 0.4}, "asyncio", 5.0),
    ({"sequential": 1.0, "threads": 1.3, "processes": 0.55, "asyncio": 1.1}, "processes", 1 / 0.55),
    ({"threads": 0.3, "sequential": 0.9, "processes": 0.6}, "threads", 3.0),
    ({"sequential": 1.0, "threads": 1.2}, "sequential", 1.0),
]


def check_best_mode(best_mode: Callable) -> CheckReport:
    """``best_mode(times) -> (mode, speedup)``: the fastest mode in ``{mode: seconds}`` and its
    speed-up over ``"sequential"`` (sequential seconds / its seconds)."""
    report = CheckReport("best_mode")
    for case, mode, speedup in _BEST_CASES:
        times = dict(case)  # a copy per call: a wrong answer may change what it is given
        with report.case(f"best_mode({times})"):
            before = dict(times)
            got = best_mode(times)
            expect(times == before, "do not change the dict you are given")
            expect(
                isinstance(got, tuple) and len(got) == 2,
                f"return a pair (mode, speedup), got {got!r}",
            )
            got_mode, got_speedup = got
            slowest = max(times, key=times.get)
            expect(
                not (got_mode == slowest and slowest != mode),
                f"you picked {got_mode!r}, the slowest: the best mode has the smallest time",
            )
            expect(got_mode == mode, f"the fastest mode is {mode!r}, you said {got_mode!r}")
            expect(
                isinstance(got_speedup, int | float),
                f"the speed-up must be a number, got {got_speedup!r}",
            )
            expect(
                not (speedup != 1 and math.isclose(got_speedup, 1 / speedup, rel_tol=1e-6)),
                f"speed-up {got_speedup:.3g} is upside down: sequential seconds / best seconds "
                "(above 1 when the best mode is faster)",
            )
            expect(
                math.isclose(got_speedup, speedup, rel_tol=1e-6),
                f"speed-up should be {speedup:.3g} (sequential seconds / best seconds), "
                f"got {got_speedup!r}",
            )
    return report.show()
