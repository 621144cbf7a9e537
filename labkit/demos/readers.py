"""Notebook 02's demonstrations: reading many inputs sequentially, with threads and with asyncio.

Three kinds of input, measured the same three (or four) ways:

* **local files** (``read_sequential``, ``read_threads``, ``read_asyncio``): asyncio has no
  asynchronous file API, so ``read_asyncio`` hands each blocking read to a thread
  (``asyncio.to_thread``); it cannot beat plain threads, and none of them beats the disk or the
  page cache.
* **slow remote sources** (``fetch_sequential``, ``fetch_threads``, ``fetch_asyncio`` on
  ``labkit.sources.RemoteSource``): mostly waiting, which overlaps in threads or coroutines.
* **network clients** (``run_tcp_clients``): many slow clients sending lines to one
  ``labkit.sources.TcpSource``, one after another, from threads, or as coroutines.

``measure_files``, ``measure_remote`` and ``measure_tcp`` time them into pandas DataFrames.
``CountingContext`` runs any labkit source on its own (no pipeline), ``LagMonitor`` shows when
the event loop was blocked, and ``try_asyncio_run`` shows why ``asyncio.run`` fails inside a
running loop (Jupyter) without leaving a "coroutine was never awaited" warning behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from labkit.chunks import Chunk
from labkit.generate import Manifest, generate_dataset, load_manifest
from labkit.generate.writer import resolve_formats
from labkit.sources import FileSource, RemoteSource, TcpSource, open_log
from labkit.sources.base import ReadContext
from labkit.sources.tcp import send_lines
from labkit.storage import SourceState

__all__ = [
    "TCP_MODES",
    "CountingContext",
    "LagMonitor",
    "TcpRun",
    "TcpServed",
    "count_lines",
    "default_thread_pool_size",
    "ensure_dataset",
    "fetch_asyncio",
    "fetch_sequential",
    "fetch_threads",
    "make_remote_sources",
    "measure_files",
    "measure_remote",
    "measure_tcp",
    "plot_scaling",
    "read_asyncio",
    "read_sequential",
    "read_threads",
    "read_with_filesource",
    "run_tcp_clients",
    "send_lines_blocking",
    "serve_clients",
    "try_asyncio_run",
]

T = TypeVar("T")
PathLike = str | os.PathLike


def default_thread_pool_size() -> int:
    """What ``ThreadPoolExecutor()`` uses when you do not say: ``min(32, os.cpu_count() + 4)``."""
    return min(32, (os.cpu_count() or 1) + 4)


# ----- asyncio.run inside a running loop ----------------------------------------------------------
def try_asyncio_run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``; if it refuses (a loop is already running in this thread, as in a
    Jupyter cell), close ``coro`` so no "never awaited" warning follows, and re-raise."""
    try:
        return asyncio.run(coro)
    except RuntimeError:
        coro.close()
        raise


class LagMonitor:
    """Measures how late the event loop runs a timer: ``async with LagMonitor() as lag: ...``.

    A background task sleeps ``interval`` seconds again and again and records how much later
    than asked it woke up; ``max_lag`` is the worst. Blocking code in the body (``time.sleep``,
    a long computation) shows up as lag; awaiting shows none. Leaving the block waits for one
    more tick, then cancels the task.
    """

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.max_lag = 0.0
        self.ticks = 0
        self._task: asyncio.Task | None = None
        self._tick = asyncio.Event()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.max_lag = max(self.max_lag, loop.time() - due)
            self.ticks += 1
            self._tick.set()

    async def __aenter__(self) -> LagMonitor:
        self._tick = asyncio.Event()
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)  # let the task start its first sleep before the body runs
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        try:
            self._tick.clear()
            await asyncio.wait_for(self._tick.wait(), timeout=max(1.0, 10 * self.interval))
        except TimeoutError:
            pass
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


# ----- running a labkit source without the pipeline ------------------------------------------
class CountingContext:
    """A ``ReadContext`` (``.ctx``) that counts what sources emit instead of parsing it.

    ``register`` gives ids 1, 2, ... (every source starts at offset 0); ``emit`` never waits.
    ``lines`` maps source name to lines emitted, ``chunks`` counts chunks; ``on_event`` (if
    given) is called at every register and emit, e.g. to sample a server's connected clients.
    """

    def __init__(
        self, target_bytes: int = 256 * 1024, on_event: Callable[[], None] | None = None
    ) -> None:
        self.lines: dict[str, int] = {}
        self.chunks = 0
        self._names: dict[int, str] = {}
        self._on_event = on_event
        self.ctx = ReadContext(
            emit=self._emit, register=self._register, target_bytes=lambda _sid: target_bytes
        )

    @property
    def total(self) -> int:
        """Lines emitted by every source."""
        return sum(self.lines.values())

    async def _register(self, name: str, kind: str, fmt: str, identity: Any = None) -> SourceState:
        sid = len(self._names) + 1
        self._names[sid] = name
        self.lines.setdefault(name, 0)
        if self._on_event is not None:
            self._on_event()
        return SourceState(sid, name, 0, True)

    async def _emit(self, chunk: Chunk) -> None:
        self.lines[self._names[chunk.source_id]] += chunk.lines
        self.chunks += 1
        if self._on_event is not None:
            self._on_event()


# ----- local files ------------------------------------------------------------------------
def ensure_dataset(
    name: str, *, files: int, lines: int, formats: str = "combined", seed: int = 0
) -> Manifest:
    """The generated data set ``generated_dir()/name``: reused when it exists with the same
    settings and sizes, generated otherwise (blocks while writing)."""
    from labkit.paths import generated_dir

    out = generated_dir() / name
    try:
        m = load_manifest(out)
        s = m.settings
        if (
            m.seed == seed
            and s.get("files") == files
            and s.get("lines") == lines
            and s.get("bad_rate") == 0.0
            and s.get("formats") == list(resolve_formats(formats))
            and all(
                (out / f.path).is_file() and (out / f.path).stat().st_size == f.bytes
                for f in m.files
            )
        ):
            return m
    except (OSError, ValueError, KeyError):
        pass
    return generate_dataset(out, files=files, lines=lines, formats=formats, seed=seed)


def count_lines(path: PathLike, block_bytes: int = 1 << 20) -> int:
    """Lines in a log file (plain or gzip), a final line without newline included.

    Blocks the calling thread while it reads ``block_bytes`` at a time.
    """
    n = 0
    last = b"\n"
    with open_log(path) as fh:
        while data := fh.read(block_bytes):
            n += data.count(b"\n")
            last = data[-1:]
    return n + (last != b"\n")


def read_sequential(paths: Sequence[PathLike]) -> dict[PathLike, int]:
    """``count_lines`` of each path, one after another. Blocks until done."""
    return {p: count_lines(p) for p in paths}


def read_threads(
    paths: Sequence[PathLike],
    workers: int | None = None,
    pool: ThreadPoolExecutor | None = None,
) -> dict[PathLike, int]:
    """``count_lines`` of each path in threads: ``pool`` if given (left running), else a new
    pool of ``workers`` threads (default: one per path, at most 32) shut down on return.
    Blocks until done."""
    if pool is not None:
        return dict(zip(paths, pool.map(count_lines, paths), strict=True))
    n = workers or max(1, min(len(paths), 32))
    with ThreadPoolExecutor(max_workers=n) as own:
        return dict(zip(paths, own.map(count_lines, paths), strict=True))


async def read_asyncio(paths: Sequence[PathLike], limit: int = 8) -> dict[PathLike, int]:
    """``count_lines`` of each path as coroutines: each read runs in a worker thread
    (``asyncio.to_thread``), at most ``limit`` at a time (``asyncio.Semaphore``).

    Cancelling it cancels the waiting coroutines; reads already running in threads finish.
    """
    sem = asyncio.Semaphore(limit)

    async def one(path: PathLike) -> int:
        async with sem:
            return await asyncio.to_thread(count_lines, path)

    counts = await asyncio.gather(*(one(p) for p in paths))
    return dict(zip(paths, counts, strict=True))


async def read_with_filesource(
    paths: Sequence[PathLike], target_bytes: int = 256 * 1024
) -> CountingContext:
    """Run a ``labkit.sources.FileSource`` per path concurrently, counting what they emit: the
    pipeline's own reader (``to_thread`` reads, ``LineChunker`` chunks). Cancelling it cancels
    every source (each closes its file)."""
    counter = CountingContext(target_bytes)
    await asyncio.gather(*(FileSource(p).run(counter.ctx) for p in paths))
    return counter


async def measure_files(
    paths: Sequence[PathLike], *, repeat: int = 5, limit: int = 8
) -> pd.DataFrame:
    """Time counting the lines of ``paths`` three ways, checking every count.

    Modes: ``sequential``, ``threads`` (a pool of ``limit`` threads, started before the clock,
    as the event loop's default pool is) and ``asyncio + to_thread`` (``read_asyncio`` with
    ``limit``): the same ``count_lines`` on the same files. Rounds of every mode are repeated
    ``repeat`` times, each round starting with the next mode, and the median kept, so machine
    noise and warm-up hit every mode alike. A first untimed read warms the page cache, so every
    mode reads from memory. Rows: ``mode``, ``seconds``, ``lines``, ``MB/s``. The sync modes
    block the event loop (it is a measurement).
    """
    import statistics

    expected = read_sequential(paths)  # warms the page cache
    total = sum(expected.values())
    size = sum(Path(p).stat().st_size for p in paths)

    async def sequential() -> dict:
        return read_sequential(paths)

    async def threads() -> dict:
        return read_threads(paths, pool=pool)

    async def with_asyncio() -> dict:
        return await read_asyncio(paths, limit)

    modes: dict[str, Callable[[], Coroutine[Any, Any, dict]]] = {
        "sequential": sequential,
        "threads": threads,
        "asyncio + to_thread": with_asyncio,
    }
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="labkit-read") as pool:
        names = list(modes)
        for k in range(max(1, repeat)):
            for mode in names[k % len(names) :] + names[: k % len(names)]:
                run = modes[mode]
                t0 = time.perf_counter()
                got = await run()
                times[mode].append(time.perf_counter() - t0)
                if got != expected:
                    raise AssertionError(f"{mode} counted {got}, expected {expected}")
    rows = []
    for mode, ts in times.items():
        seconds = statistics.median(ts)
        rows.append(
            {"mode": mode, "seconds": seconds, "lines": total, "MB/s": size / 1e6 / seconds}
        )
    return pd.DataFrame(rows)


# ----- slow remote sources ------------------------------------------------------------------
def make_remote_sources(
    n: int,
    data: bytes,
    *,
    latency_s: float = 0.05,
    bandwidth_bps: float | None = 2_000_000,
    block_bytes: int = 64 * 1024,
) -> list[RemoteSource]:
    """``n`` simulated remote sources, each serving ``data`` with the given latency."""
    return [
        RemoteSource(
            data,
            name=f"remote://demo/{i}",
            fmt="combined",
            latency_s=latency_s,
            bandwidth_bps=bandwidth_bps,
            block_bytes=block_bytes,
        )
        for i in range(n)
    ]


def fetch_sequential(sources: Sequence[RemoteSource]) -> list[bytes]:
    """Each source's content, fetched one after another (``fetch_blocking``). Blocks."""
    return [s.fetch_blocking() for s in sources]


def fetch_threads(sources: Sequence[RemoteSource], workers: int | None = None) -> list[bytes]:
    """Each source's content, fetched in a pool of ``workers`` threads (default: what
    ``ThreadPoolExecutor()`` picks). Blocks until done; the pool is shut down on return."""
    with ThreadPoolExecutor(max_workers=workers or default_thread_pool_size()) as pool:
        return list(pool.map(RemoteSource.fetch_blocking, sources))


async def fetch_asyncio(sources: Sequence[RemoteSource], limit: int | None = None) -> list[bytes]:
    """Each source's content, fetched as concurrent coroutines (``fetch``), at most ``limit`` at
    a time if given. Cancelling it cancels every fetch still waiting."""
    if limit is None:
        return list(await asyncio.gather(*(s.fetch() for s in sources)))
    sem = asyncio.Semaphore(limit)

    async def one(s: RemoteSource) -> bytes:
        async with sem:
            return await s.fetch()

    return list(await asyncio.gather(*(one(s) for s in sources)))


async def measure_remote(
    counts: Iterable[int],
    data: bytes,
    *,
    latency_s: float = 0.05,
    bandwidth_bps: float | None = 2_000_000,
    pool_size: int | None = None,
) -> pd.DataFrame:
    """Time fetching ``n`` sources (for each ``n`` in ``counts``) four ways, checking contents.

    Modes: ``sequential``; ``thread pool`` (``pool_size`` threads, default what
    ``ThreadPoolExecutor()`` picks); ``thread per source``; ``asyncio``. Rows: ``sources``,
    ``mode``, ``threads`` (threads used), ``seconds`` and ``one source`` (the waiting one source
    costs). The thread modes block the event loop (it is a measurement).
    """
    pool = pool_size or default_thread_pool_size()
    rows = []
    for n in counts:
        one = make_remote_sources(1, data, latency_s=latency_s, bandwidth_bps=bandwidth_bps)[0]
        ideal = one.total_delay(len(data))
        runs: dict[str, tuple[int, Callable[[list[RemoteSource]], Any]]] = {
            "sequential": (1, lambda s: _async_value(fetch_sequential(s))),
            "thread pool": (min(pool, n), lambda s: _async_value(fetch_threads(s, pool))),
            "thread per source": (n, lambda s: _async_value(fetch_threads(s, len(s)))),
            "asyncio": (1, fetch_asyncio),
        }
        for mode, (threads, run) in runs.items():
            sources = make_remote_sources(n, data, latency_s=latency_s, bandwidth_bps=bandwidth_bps)
            t0 = time.perf_counter()
            got = await run(sources)
            seconds = time.perf_counter() - t0
            if len(got) != n or any(g != data for g in got):
                raise AssertionError(f"{mode} returned the wrong contents")
            rows.append(
                {
                    "sources": n,
                    "mode": mode,
                    "threads": threads,
                    "seconds": seconds,
                    "one source": ideal,
                }
            )
    return pd.DataFrame(rows)


async def _async_value(value: T) -> T:
    return value


def plot_scaling(df: pd.DataFrame, x: str, title: str):
    """A plotly line chart of ``seconds`` against ``x`` per ``mode`` (log-log)."""
    import plotly.express as px

    fig = px.line(df, x=x, y="seconds", color="mode", markers=True, title=title, log_y=True)
    fig.update_xaxes(type="log" if df[x].nunique() > 2 else "linear")
    return fig


# ----- many network clients ---------------------------------------------------------------
def send_lines_blocking(
    host: str,
    port: int,
    lines: Iterable[bytes],
    *,
    chunk_size: int = 64 * 1024,
    delay: float = 0.0,
    timeout: float = 30.0,
) -> None:
    """The blocking-socket twin of ``labkit.sources.tcp.send_lines``: connect, send each line
    plus a newline in pieces of ``chunk_size`` bytes (sleeping ``delay`` after each full piece),
    close the sending side, and wait until the server closes.

    Blocks the calling thread (each socket operation at most ``timeout`` seconds); the socket
    is closed on return.
    """
    with socket.create_connection((host, port), timeout=timeout) as sock:
        buf = bytearray()
        for line in lines:
            buf += line
            buf += b"\n"
            while len(buf) >= chunk_size:
                sock.sendall(bytes(buf[:chunk_size]))
                del buf[:chunk_size]
                if delay:
                    time.sleep(delay)
        if buf:
            sock.sendall(bytes(buf))
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(4096):
            pass


@dataclass
class TcpServed:
    """What a ``TcpSource`` received in one ``serve_clients`` session."""

    seconds: float
    lines_received: int
    clients_served: int
    max_connected: int


async def serve_clients(
    send: Callable[[str, int], Awaitable[T]],
    clients: int,
    *,
    idle_timeout: float | None = None,
    timeout: float = 60.0,
) -> tuple[T, TcpServed]:
    """Start a ``TcpSource`` on 127.0.0.1 (a free port), await ``send(host, port)`` (your
    clients), then wait until the server has served ``clients`` clients (or none has been
    connected for ``idle_timeout`` seconds). Returns ``send``'s result and what was received.

    ``seconds`` runs from the start of ``send`` to the last client served. Raises
    ``TimeoutError`` after ``timeout`` seconds. On return, error or cancellation the server and
    all its connections are closed.
    """
    source = TcpSource(
        "127.0.0.1",
        0,
        fmt="combined",
        max_clients=max(64, clients),
        stop_after_clients=clients,
        idle_timeout=idle_timeout,
    )
    seen = [0]

    def sample() -> None:
        seen[0] = max(seen[0], source.connected)

    counter = CountingContext(64 * 1024, on_event=sample)
    server = asyncio.create_task(source.run(counter.ctx), name="labkit-demo-tcp-server")
    try:
        async with asyncio.timeout(timeout):
            ready = asyncio.create_task(source.ready.wait())
            done, _ = await asyncio.wait({ready, server}, return_when=asyncio.FIRST_COMPLETED)
            if server in done:
                ready.cancel()
                await server  # raises the server's error
            host, port = source.address
            t0 = time.perf_counter()
            result = await send(host, port)
            await server
            seconds = time.perf_counter() - t0
    finally:
        if not server.done():
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server
    return result, TcpServed(seconds, counter.total, source.clients_served, seen[0])


@dataclass
class TcpRun:
    """One ``run_tcp_clients`` measurement."""

    mode: str
    clients: int
    threads: int
    seconds: float
    lines_sent: int
    lines_received: int
    clients_served: int
    max_connected: int


TCP_MODES = ("sequential", "thread pool", "thread per client", "asyncio")


async def run_tcp_clients(
    mode: str,
    clients: Sequence[Sequence[bytes]],
    *,
    delay: float = 0.02,
    chunk_size: int = 16 * 1024,
    pool_size: int | None = None,
    timeout: float = 60.0,
) -> TcpRun:
    """Send ``clients`` (one list of lines per client) to a ``TcpSource`` (``serve_clients``).

    ``mode``: ``sequential`` (``await send_lines`` one client after another), ``thread pool``
    (``send_lines_blocking`` in ``pool_size`` threads, default what ``ThreadPoolExecutor()``
    picks), ``thread per client``, or ``asyncio`` (every ``send_lines`` at once with
    ``gather``). The server always runs on this event loop and serves every connected client
    at once; ``max_connected`` is the most it served at once. Raises ``TimeoutError`` after
    ``timeout`` seconds; the server is closed on return.
    """
    if mode not in TCP_MODES:
        raise ValueError(f"mode must be one of {TCP_MODES}, not {mode!r}")
    n = len(clients)
    if mode == "thread per client":
        threads = max(1, n)
    elif mode == "thread pool":
        threads = max(1, min(pool_size or default_thread_pool_size(), n))
    else:
        threads = 1

    def send_all_blocking(host: str, port: int) -> None:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = [
                pool.submit(send_lines_blocking, host, port, c, chunk_size=chunk_size, delay=delay)
                for c in clients
            ]
            for f in futures:
                f.result()

    async def send(host: str, port: int) -> None:
        if mode == "sequential":
            for lines in clients:
                await send_lines(host, port, lines, chunk_size=chunk_size, delay=delay)
        elif mode == "asyncio":
            await asyncio.gather(
                *(send_lines(host, port, c, chunk_size=chunk_size, delay=delay) for c in clients)
            )
        else:
            await asyncio.to_thread(send_all_blocking, host, port)

    _, served = await serve_clients(send, n, timeout=timeout)
    return TcpRun(
        mode=mode,
        clients=n,
        threads=threads,
        seconds=served.seconds,
        lines_sent=sum(len(c) for c in clients),
        lines_received=served.lines_received,
        clients_served=served.clients_served,
        max_connected=served.max_connected,
    )


async def measure_tcp(
    clients: Sequence[Sequence[bytes]],
    *,
    delay: float = 0.02,
    chunk_size: int = 16 * 1024,
    pool_size: int | None = None,
    modes: Sequence[str] = TCP_MODES,
) -> pd.DataFrame:
    """``run_tcp_clients`` in every mode, one row each; raises ``AssertionError`` if a line
    was lost."""
    rows = []
    for mode in modes:
        run = await run_tcp_clients(
            mode, clients, delay=delay, chunk_size=chunk_size, pool_size=pool_size
        )
        if run.lines_received != run.lines_sent or run.clients_served != run.clients:
            raise AssertionError(f"{mode}: {run}")
        rows.append(run.__dict__)
    return pd.DataFrame(rows)
