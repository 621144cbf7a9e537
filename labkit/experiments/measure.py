"""What one run cost: wall time, CPU time of the whole process tree, and peak memory.

CPU utilisation is the CPU time the process and its children used during the run, divided by
the CPU time the machine could have given it: ``cpu_s / (wall_s * usable_cpus)``. 1.0 means
every usable CPU was busy the whole time; an I/O-bound run sits near 0 however fast it goes.

On Linux and macOS the CPU time comes from ``resource.getrusage`` (this process, all its
threads, plus every child process that has exited and been waited for: a pool's workers once
the pool is shut down). Where ``resource`` is missing (Windows) children are sampled with
psutil while they live, which can miss their last instants.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psutil

from labkit.bench.rss import PeakRss
from labkit.system import usable_cpu_count

try:  # POSIX only
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

__all__ = ["Usage", "cpu_utilisation", "measure", "process_tree_cpu_seconds"]


def cpu_utilisation(cpu_s: float, wall_s: float, cpus: int) -> float:
    """``cpu_s / (wall_s * cpus)``: the share of the usable CPUs kept busy (0.0 for no time)."""
    if wall_s <= 0 or cpus < 1:
        return 0.0
    return cpu_s / (wall_s * cpus)


def process_tree_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process and its waited-for children.

    Only differences between two calls are meaningful. Without ``resource`` (Windows) this is
    the process alone; ``measure`` then samples live children itself.
    """
    if resource is not None:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    t = psutil.Process().cpu_times()
    return t.user + t.system


class _ChildCpuSampler:
    """Windows fallback: the CPU time of live descendants, last value seen per process."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self._seen: dict[tuple[int, float], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="labkit-cpu", daemon=True)

    def _sample(self) -> None:
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                t = child.cpu_times()
                self._seen[(child.pid, child.create_time())] = t.user + t.system

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> _ChildCpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(self._seen.values())


@dataclass
class Usage:
    """Filled in when the ``measure`` block ends."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    cpus: int = 1

    @property
    def cpu_util(self) -> float:
        """CPU time over the CPU time available: ``cpu_s / (wall_s * cpus)``."""
        return cpu_utilisation(self.cpu_s, self.wall_s, self.cpus)


@contextlib.contextmanager
def measure(cpus: int | None = None, rss_interval: float = 0.05) -> Iterator[Usage]:
    """Measure the block: ``with measure() as usage: work()``, then read ``usage``.

    ``cpus`` defaults to ``usable_cpu_count()``. Starts one sampling thread for peak memory
    (``labkit.bench.rss.PeakRss``) and stops it when the block ends, even on an error. Work the
    block starts in child processes is counted once those children have exited and been
    waited for (shut pools down inside the block).
    """
    usage = Usage(cpus=cpus or usable_cpu_count())
    children = _ChildCpuSampler() if resource is None else contextlib.nullcontext()
    with PeakRss(rss_interval) as rss, children as sampled:
        cpu0 = process_tree_cpu_seconds()
        t0 = time.perf_counter()
        try:
            yield usage
        finally:
            usage.wall_s = time.perf_counter() - t0
            usage.cpu_s = process_tree_cpu_seconds() - cpu0
    if sampled is not None:
        usage.cpu_s += sampled.seconds
    usage.peak_rss_mb = rss.peak_mb
