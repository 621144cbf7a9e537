"""The parse stage on Dask ``distributed``: the same ``parse_chunk`` tasks, sent to a cluster.

``DaskParserPool`` has the interface of ``labkit.parser.ParserPool`` (``submit``, ``pids``,
``rebuild``, ``shutdown``), so the pipeline does not know which engine it drives. Without a
scheduler address it starts its own ``LocalCluster`` of worker processes (one thread each) on
this machine; with an address (``tcp://host:8786``) it connects to a cluster someone else runs,
and never closes that cluster.

What crosses the network: each task carries its chunk's bytes (pickled into the task, through
the scheduler to a worker) and comes back as a parsed batch (``sqlite`` or ``rows`` output), so
every line travels twice. Fine on one machine or a fast LAN; at scale you would send byte ranges
of files on shared storage instead and let workers read them where the data lives.

Needs the optional ``dask`` extra (``pip install -e '.[dask]'``).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, InvalidStateError
from functools import partial
from typing import Any

import psutil
from distributed import Client, LocalCluster, WorkerPlugin
from distributed import Future as DaskFuture

from labkit.system import usable_cpu_count

__all__ = ["DaskParserPool", "local_cluster", "worker_pids"]


class _IgnoreSigint(WorkerPlugin):
    """Worker processes of our own cluster ignore Ctrl-C, like the local pool's workers: the
    terminal sends SIGINT to the whole process group, and the parent decides how to stop."""

    def setup(self, worker: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def local_cluster(
    n_workers: int, dashboard: bool = False, silence_logs: int = logging.ERROR
) -> LocalCluster:
    """A ``LocalCluster`` of ``n_workers`` processes with one thread each (parsing holds the GIL,
    so threads would not run it in parallel), listening on 127.0.0.1 only. Blocks while the
    workers start (a second or two). ``dashboard=True`` serves the Dask dashboard
    (``cluster.dashboard_link``). Every port is a free one picked by the system, so several
    clusters can run at once without "port in use" warnings."""
    return LocalCluster(
        n_workers=max(1, int(n_workers)),
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=":0",  # the scheduler's HTTP server (health, metrics) is always on
        scheduler_kwargs={"dashboard": dashboard},
        silence_logs=silence_logs,
    )


def worker_pids(cluster: LocalCluster) -> list[int]:
    """Process ids of a ``LocalCluster``'s live worker processes (from its nannies, no round
    trip: safe to call from an event loop)."""
    for _ in range(5):
        try:
            nannies = list(cluster.workers.values())
        except RuntimeError:  # the cluster's thread changed the dict while we copied it
            continue
        return [pid for pid in (getattr(n, "pid", None) for n in nannies) if pid]
    return []


class DaskParserPool:
    """Runs ``fn(*args)`` tasks on a Dask cluster; a ``ParsePool`` for the pipeline.

    Own cluster (``scheduler=None``): ``n_workers`` worker processes, by default
    ``min(max_workers, usable CPUs)`` (more CPU-bound processes than CPUs only adds switching);
    ``max_workers`` then says how many it started. ``scheduler="tcp://..."``: the cluster's own
    workers, however many it has (``max_workers`` is kept as given).

    Creating the pool blocks until the cluster (or the connection) is up. ``submit`` never
    blocks and returns a ``concurrent.futures.Future``; cancelling that future releases the Dask
    task (a task already running on a worker finishes there, and its result is dropped).
    ``shutdown`` cancels what is pending, closes the client and, only if the pool started it,
    the cluster, whose worker processes are killed if they outlive the deadline.
    """

    def __init__(
        self,
        max_workers: int,
        scheduler: str | None = None,
        *,
        n_workers: int | None = None,
        dashboard: bool = False,
        silence_logs: int = logging.ERROR,
        connect_timeout: float = 30.0,
    ) -> None:
        self.max_workers = max(1, int(max_workers))
        self.scheduler = scheduler
        self.rebuilds = 0
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[DaskFuture, Future]] = {}
        self._closed = False
        self.cluster: LocalCluster | None = None
        self._dashboard = dashboard
        self._silence_logs = silence_logs
        if scheduler is None:
            self.max_workers = n_workers or min(self.max_workers, usable_cpu_count())
            self.cluster = local_cluster(self.max_workers, dashboard, silence_logs)
            try:
                self.client = Client(self.cluster, set_as_default=False)
                self.client.register_plugin(_IgnoreSigint(), name="labkit-ignore-sigint")
            except BaseException:
                self.cluster.close()
                raise
        else:
            self.client = Client(scheduler, set_as_default=False, timeout=connect_timeout)

    # ----- facts ----------------------------------------------------------------------------
    @property
    def owns_cluster(self) -> bool:
        """True when this pool started the cluster (and so will close it)."""
        return self.cluster is not None

    @property
    def scheduler_address(self) -> str:
        """The scheduler's address, e.g. ``tcp://127.0.0.1:41235``."""
        return self.client.scheduler.address

    @property
    def dashboard_link(self) -> str:
        """The Dask dashboard URL (``""`` for an own cluster started without one). Its charts
        need ``bokeh``; without it the page says what to install."""
        if self.cluster is not None and not self._dashboard:
            return ""
        return self.client.dashboard_link

    def pids(self) -> list[int]:
        """Process ids of the worker processes of a cluster this pool owns (``[]`` otherwise:
        another cluster's processes are not ours, and may be on other machines)."""
        return [] if self.cluster is None else worker_pids(self.cluster)

    def pending(self) -> int:
        """Tasks submitted and not finished yet."""
        with self._lock:
            return len(self._pending)

    # ----- work -----------------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        """Send ``fn(*args)`` to the cluster. Does not block (the arguments are pickled here,
        then sent by the client's own thread). Raises ``RuntimeError`` after ``shutdown``."""
        if self._closed:
            raise RuntimeError("the Dask pool is shut down")
        result: Future = Future()
        task = self.client.submit(fn, *args, pure=False)
        with self._lock:
            closed = self._closed
            if not closed:
                self._pending[task.key] = (task, result)
        if closed:  # shut down while we were submitting
            task.release()
            raise RuntimeError("the Dask pool is shut down")
        result.add_done_callback(partial(self._release_if_cancelled, task))
        task.add_done_callback(partial(self._deliver, result))
        return result

    def _deliver(self, result: Future, task: DaskFuture) -> None:
        """Runs on Dask's callback thread when ``task`` ends: fetch its result (blocks that
        thread while the bytes come back) and hand it to the ``concurrent`` future."""
        try:
            if result.cancelled():
                return
            try:
                value = task.result()
            except BaseException as exc:
                if task.status == "cancelled" or self._closed:
                    result.cancel()
                else:
                    with contextlib.suppress(InvalidStateError):
                        result.set_exception(exc)
                return
            with contextlib.suppress(InvalidStateError):
                result.set_result(value)
        finally:
            with self._lock:
                self._pending.pop(task.key, None)

    def _release_if_cancelled(self, task: DaskFuture, result: Future) -> None:
        """Runs in the thread that cancelled ``result``: let the scheduler forget the task."""
        if result.cancelled():
            with self._lock:
                self._pending.pop(task.key, None)
            task.release()  # non-blocking: queued on the client's event loop

    def _cancel_pending(self) -> None:
        with self._lock:
            pending = list(self._pending.values())
            self._pending.clear()
        for task, result in pending:
            result.cancel()
            task.release()

    def rebuild(self) -> None:
        """Start over: cancel pending tasks and, for a cluster this pool owns, restart its
        workers (fresh processes). Blocks until they are back. A shared cluster is left alone
        (its nannies already restart a worker that dies)."""
        self._cancel_pending()
        if self.cluster is not None:
            self.client.restart(wait_for_workers=True)
        self.rebuilds += 1

    def shutdown(self, deadline: float = 2.0) -> None:
        """Cancel pending tasks, close the client and the cluster this pool started, within about
        ``deadline`` seconds; worker processes still alive then are killed. Blocks; safe to call
        twice. A cluster given by address keeps running."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        stop_at = time.monotonic() + max(0.5, deadline)
        pids = self.pids()
        self._cancel_pending()

        def left() -> float:
            return max(0.5, stop_at - time.monotonic())

        with _quiet(self._silence_logs if self.cluster is not None else None):
            with contextlib.suppress(Exception):
                self.client.close(timeout=left())
            if self.cluster is not None:
                with contextlib.suppress(Exception):
                    self.cluster.close(timeout=left())
                _kill(pids, stop_at)

    def __enter__(self) -> DaskParserPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        where = "own LocalCluster" if self.owns_cluster else "external cluster"
        return f"<DaskParserPool {where} at {self.client.scheduler.address}>"


@contextlib.contextmanager
def _quiet(level: int | None) -> Iterator[None]:
    """Raise the level of ``distributed``'s log handlers while closing, then restore it.

    (``LocalCluster`` restores the level it found when it closes, so clusters closed out of
    order would otherwise print their INFO lines.)"""
    if level is None:
        yield
        return
    handlers = [h for h in logging.getLogger("distributed").handlers if h.level < level]
    old = [h.level for h in handlers]
    for h in handlers:
        h.setLevel(level)
    try:
        yield
    finally:
        for h, lvl in zip(handlers, old, strict=True):
            h.setLevel(lvl)


def _kill(pids: list[int], stop_at: float) -> None:
    """Wait for ``pids`` to exit until ``stop_at``, then kill the ones still running."""
    procs = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            procs.append(psutil.Process(pid))
    _gone, alive = psutil.wait_procs(procs, timeout=max(0.0, stop_at - time.monotonic()))
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=2.0)
