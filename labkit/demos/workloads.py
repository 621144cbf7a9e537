"""Notebook 01's workloads: the same tasks run sequentially, in threads, in processes and as
asyncio coroutines, timed on the learner's machine.

Two workloads make the contrast clear even on 2 cores:

* **I/O-bound**: ``simulated_request(delay_s)`` waits like a network request (``time.sleep``;
  ``simulated_request_async`` waits with ``asyncio.sleep``). Waiting needs no CPU, so many waits
  overlap in threads or coroutines.
* **CPU-bound**: ``parse_batch(data)`` parses a batch of generated log lines with
  ``labkit.formats`` (``parse_batch_async`` does the same work inside a coroutine, on the event
  loop). Pure-Python work holds the GIL: only processes run it on several cores at once.

Every task function is module-level, so it pickles under the ``spawn`` start method. The four
runners (``run_sequential``, ``run_threads``, ``run_processes``, ``run_asyncio``) return the
results in argument order; ``measure`` times every workload in every mode into a pandas
DataFrame, ``decision_table`` derives "which mode wins" from those numbers and ``plot_times``
draws them with plotly.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from labkit.formats import get_parser
from labkit.generate import iter_lines
from labkit.records import Reject
from labkit.system import usable_cpu_count

__all__ = [
    "MODES",
    "InFlight",
    "Workload",
    "cpu_workload",
    "decision_table",
    "io_workload",
    "make_log_batch",
    "measure",
    "parse_batch",
    "parse_batch_async",
    "pid_of",
    "plot_times",
    "run_asyncio",
    "run_mode",
    "run_processes",
    "run_sequential",
    "run_threads",
    "simulated_request",
    "simulated_request_async",
]

#: The four ways of running the same tasks, in the order the notebook shows them.
MODES: tuple[str, ...] = ("sequential", "threads", "processes", "asyncio")


# ----- the tasks (module-level: picklable under spawn) -------------------------------------------
def simulated_request(delay_s: float) -> float:
    """An I/O-bound task: block the calling thread ``delay_s`` seconds (like waiting for a
    server's reply) and return ``delay_s``. Uses no CPU while waiting; cannot be cancelled."""
    time.sleep(delay_s)
    return delay_s


async def simulated_request_async(delay_s: float) -> float:
    """The same wait without blocking the event loop (``asyncio.sleep``); cancelling it ends
    the wait at once."""
    await asyncio.sleep(delay_s)
    return delay_s


def make_log_batch(lines: int, fmt: str = "combined", seed: int = 0, distinct: int = 4000) -> bytes:
    """``lines`` newline-terminated generated log lines of ``fmt``: ``distinct`` generated lines
    repeated (generating is slower than parsing). Blocks while generating."""
    base = list(iter_lines(fmt, max(1, min(lines, distinct)), seed=seed))
    out = [base[i % len(base)] for i in range(lines)]
    return b"".join(line + b"\n" for line in out)


def parse_batch(data: bytes, fmt: str = "combined") -> int:
    """A CPU-bound task: parse every line of ``data`` with ``labkit.formats``; return how many
    lines parsed into rows (rejects are not counted). Holds the GIL the whole time."""
    parse = get_parser(fmt)
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return sum(1 for line in lines if type(parse(line)) is not Reject)


async def parse_batch_async(data: bytes, fmt: str = "combined") -> int:
    """``parse_batch`` inside a coroutine: it runs on the event loop and blocks it until done
    (there is no ``await`` inside), so coroutines of it run one after another."""
    return parse_batch(data, fmt)


def pid_of(x: Any, delay_s: float = 0.05) -> tuple[Any, int]:
    """``(x, os.getpid())`` after ``delay_s`` seconds: shows which process ran a task."""
    time.sleep(delay_s)
    return x, os.getpid()


# ----- counting tasks in flight --------------------------------------------------------------
class InFlight:
    """Counts how many tasks are inside it at once (``now``) and the most ever (``max``).

    Use ``with probe:`` in threads or ``async with probe:`` in coroutines (thread-safe).
    ``wait_for(n, timeout)`` blocks the calling thread until ``n`` tasks are inside or
    ``timeout`` seconds have passed; returns whether ``n`` was reached.
    """

    def __init__(self) -> None:
        self.now = 0
        self.max = 0
        self.entered = 0
        self.threads: set[int] = set()
        self._cond = threading.Condition()

    def __enter__(self) -> InFlight:
        with self._cond:
            self.now += 1
            self.entered += 1
            self.max = max(self.max, self.now)
            self.threads.add(threading.get_ident())
            self._cond.notify_all()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self.now -= 1
            self._cond.notify_all()

    async def __aenter__(self) -> InFlight:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__()

    def wait_for(self, n: int, timeout: float) -> bool:
        """Block until at least ``n`` tasks are inside at once, or ``timeout`` seconds."""
        with self._cond:
            return self._cond.wait_for(lambda: self.now >= n, timeout)


# ----- workloads -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    """The same tasks in two spellings: ``func(arg)`` (plain, picklable) and ``afunc(arg)``
    (a coroutine function), one task per element of ``args``; ``kind`` is ``"I/O-bound"`` or
    ``"CPU-bound"``; ``expected`` is the list of results every mode must return."""

    name: str
    kind: str
    func: Callable[[Any], Any]
    afunc: Callable[[Any], Awaitable[Any]]
    args: tuple
    expected: tuple

    def __repr__(self) -> str:
        return f"Workload({self.name!r}, {self.kind}, {len(self.args)} tasks)"


def io_workload(tasks: int = 16, delay_s: float = 0.05) -> Workload:
    """``tasks`` simulated requests of ``delay_s`` seconds each."""
    args = (delay_s,) * tasks
    return Workload(
        f"{tasks} requests × {delay_s * 1000:.0f} ms",
        "I/O-bound",
        simulated_request,
        simulated_request_async,
        args,
        args,
    )


def cpu_workload(tasks: int = 4, lines: int = 10_000, seed: int = 0) -> Workload:
    """``tasks`` batches of ``lines`` generated combined-log lines to parse (blocks while it
    generates the batch once)."""
    data = make_log_batch(lines, "combined", seed)
    parsed = parse_batch(data)
    return Workload(
        f"{tasks} batches × {lines:,} lines",
        "CPU-bound",
        parse_batch,
        parse_batch_async,
        (data,) * tasks,
        (parsed,) * tasks,
    )


# ----- the four runners --------------------------------------------------------------------
def run_sequential(func: Callable[[Any], Any], args: Sequence[Any]) -> list:
    """``func`` on each argument, one after another, in this thread. Blocks until done."""
    return [func(a) for a in args]


def run_threads(func: Callable[[Any], Any], args: Sequence[Any], workers: int) -> list:
    """``func`` on each argument in a pool of ``workers`` threads; results in argument order.

    Blocks until every task is done; the pool is shut down on return (an exception in a task
    is raised here after the running tasks finish).
    """
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, args))


def run_processes(
    func: Callable[[Any], Any],
    args: Sequence[Any],
    workers: int,
    start_method: str | None = None,
) -> list:
    """``func`` on each argument in a pool of ``workers`` processes; results in argument order.

    ``func`` and the arguments must pickle (module-level functions). Blocks until every task is
    done; the pool and its processes are shut down on return.
    """
    ctx = mp.get_context(start_method or mp.get_start_method())
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return list(pool.map(func, args))


async def run_asyncio(afunc: Callable[[Any], Awaitable[Any]], args: Sequence[Any]) -> list:
    """``afunc`` on each argument as concurrent coroutines (``asyncio.gather``); results in
    argument order. Cancelling it cancels every coroutine still running."""
    return list(await asyncio.gather(*(afunc(a) for a in args)))


def _warm_pool(pool: ProcessPoolExecutor, workers: int, tries: int = 50) -> None:
    """Make every worker process start (and import labkit) before the clock starts: hand out
    short tasks until ``workers`` different processes have answered (or ``tries`` rounds)."""
    seen: set[int] = set()
    for _ in range(tries):
        seen.update(pid for _, pid in pool.map(pid_of, range(workers), [0.05] * workers))
        if len(seen) >= workers:
            return


async def run_mode(
    workload: Workload,
    mode: str,
    workers: int | None = None,
    start_method: str | None = None,
) -> tuple[float, float, list]:
    """Run ``workload`` in ``mode``: returns ``(work_seconds, start_seconds, results)``.

    ``start_seconds`` is the one-off cost of starting a process pool (0 for the other modes),
    kept out of ``work_seconds`` because a real program starts its pool once and reuses it.
    Blocks the event loop for every mode except ``asyncio`` (it is a measurement).
    ``workers`` defaults to one thread per task and one process per usable CPU.
    """
    args = workload.args
    if mode == "sequential":
        t0 = time.perf_counter()
        results = run_sequential(workload.func, args)
        return time.perf_counter() - t0, 0.0, results
    if mode == "threads":
        n = workers or max(1, min(len(args), 64))
        t0 = time.perf_counter()
        results = run_threads(workload.func, args, n)
        return time.perf_counter() - t0, 0.0, results
    if mode == "processes":
        n = workers or usable_cpu_count()
        ctx = mp.get_context(start_method or mp.get_start_method())
        t0 = time.perf_counter()
        with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
            _warm_pool(pool, n)
            t1 = time.perf_counter()
            results = list(pool.map(workload.func, args))
            t2 = time.perf_counter()
        return t2 - t1, t1 - t0, results
    if mode == "asyncio":
        t0 = time.perf_counter()
        results = await run_asyncio(workload.afunc, args)
        return time.perf_counter() - t0, 0.0, results
    raise ValueError(f"mode must be one of {MODES}, not {mode!r}")


async def measure(
    workloads: Sequence[Workload],
    modes: Sequence[str] = MODES,
    *,
    repeat: int = 1,
    thread_workers: int | None = None,
    process_workers: int | None = None,
    start_method: str | None = None,
) -> pd.DataFrame:
    """Time every workload in every mode (best of ``repeat``), checking every result.

    The rounds are interleaved (every mode once, then again, each round starting with the next
    mode), so a burst of noise from other programs does not hit only one mode. Returns one row
    per (workload, mode): ``workload``, ``kind``, ``mode``, ``workers``, ``seconds`` (the work),
    ``start_s`` (process pool start, else 0) and ``speedup`` (sequential seconds / seconds).
    Raises ``AssertionError`` if a mode returned wrong results.
    """
    best: dict[tuple[int, str], tuple[float, float]] = {}
    modes = list(modes)
    for k in range(max(1, repeat)):
        for i, w in enumerate(workloads):
            for mode in modes[k % len(modes) :] + modes[: k % len(modes)]:
                workers = {"threads": thread_workers, "processes": process_workers}.get(mode)
                seconds, start_s, results = await run_mode(w, mode, workers, start_method)
                if tuple(results) != w.expected:
                    raise AssertionError(f"{mode} returned wrong results for {w.name}")
                if (i, mode) not in best or seconds < best[i, mode][0]:
                    best[i, mode] = (seconds, start_s)
    rows = []
    for i, w in enumerate(workloads):
        for mode in modes:
            used = {
                "sequential": 1,
                "threads": thread_workers or max(1, min(len(w.args), 64)),
                "processes": process_workers or usable_cpu_count(),
                "asyncio": 1,
            }[mode]
            rows.append(
                {
                    "workload": w.name,
                    "kind": w.kind,
                    "mode": mode,
                    "workers": used,
                    "seconds": best[i, mode][0],
                    "start_s": best[i, mode][1],
                }
            )
    df = pd.DataFrame(rows)
    seq = df[df["mode"] == "sequential"].set_index("workload")["seconds"]
    df["speedup"] = df["workload"].map(seq) / df["seconds"]
    return df


def decision_table(times: pd.DataFrame, tolerance: float = 1.25) -> pd.DataFrame:
    """ "When to use which", computed from ``measure``'s rows.

    One row per workload: its ``kind``, the seconds of each mode, ``best`` (the fastest mode),
    ``speedup`` (sequential / best) and ``good enough`` (every mode within ``tolerance`` × the
    best time, fastest first).
    """
    wide = times.pivot_table(index=["kind", "workload"], columns="mode", values="seconds")
    modes = [m for m in MODES if m in wide.columns] + [m for m in wide.columns if m not in MODES]
    wide = wide[modes]
    table = wide.copy()
    table["best"] = wide.idxmin(axis=1)
    fastest = wide.min(axis=1)
    if "sequential" in wide.columns:
        table["speedup"] = wide["sequential"] / fastest
    table["good enough"] = [
        ", ".join(sorted((m for m in modes if row[m] <= tolerance * row.min()), key=row.get))
        for _, row in wide.iterrows()
    ]
    table.columns.name = None
    return table.reset_index()


def plot_times(times: pd.DataFrame, title: str = "Same work, four ways (lower is better)"):
    """A plotly bar chart of ``measure``'s rows: seconds per mode, one panel per workload, with
    the process pool's one-off start time stacked on top."""
    import plotly.express as px

    long = times.melt(
        id_vars=["workload", "kind", "mode"],
        value_vars=["seconds", "start_s"],
        var_name="part",
        value_name="time (s)",
    )
    long["part"] = long["part"].map({"seconds": "work", "start_s": "pool start (once)"})
    fig = px.bar(
        long,
        x="mode",
        y="time (s)",
        color="part",
        facet_col="workload",
        title=title,
        category_orders={"mode": list(MODES), "part": ["work", "pool start (once)"]},
    )
    fig.update_yaxes(matches=None, showticklabels=True)
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=", 1)[-1]))
    return fig
