"""Checks for notebook 02 (the asyncio reader).

Each check runs the learner's coroutine function on real cases (simulated remote sources, real
files in a temporary folder, a real TCP server on 127.0.0.1) and prints a pass message or a
specific hint (``CheckReport.show``); it never raises on a wrong answer. The coroutines run on a
fresh event loop (``labkit.syncrun.run_sync``), so a check works inside Jupyter too.
"""

from __future__ import annotations

import asyncio
import inspect
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from labkit.checks.base import CheckReport, Hint, expect
from labkit.demos.readers import count_lines, serve_clients
from labkit.demos.workloads import InFlight
from labkit.generate import iter_lines
from labkit.sources import RemoteSource
from labkit.syncrun import run_sync

__all__ = ["check_fetch_all", "check_fetch_with_timeout", "check_read_all", "check_send_all"]

_WAIT = 0.3  # seconds a probed read waits for its siblings before giving up
_GIVE_UP = 3.0  # seconds fetch_with_timeout may take (timeout 0.3 s) before the check stops it


def _results(got: object) -> list:
    """The learner's results as a list, or a hint when there are none."""
    if got is None:
        raise Hint("it returned None: `return` the results")
    try:
        return list(got)  # type: ignore[call-overload]
    except TypeError:
        raise Hint(f"return a list of results, got {got!r:.80}") from None


class _ProbedSource(RemoteSource):
    """A RemoteSource whose ``fetch`` is counted by an ``InFlight`` probe (both spellings)."""

    def __init__(self, data: bytes, probe: InFlight, latency_s: float, name: str) -> None:
        super().__init__(data, name=name, latency_s=latency_s, bandwidth_bps=None)
        self.probe = probe
        self.finished = False

    async def fetch(self) -> bytes:
        async with self.probe:
            data = await super().fetch()
        self.finished = True
        return data

    def fetch_blocking(self) -> bytes:
        with self.probe:
            data = super().fetch_blocking()
        self.finished = True
        return data


def _content(i: int, lines: int = 20) -> bytes:
    return b"".join(line + b"\n" for line in iter_lines("combined", lines, seed=100 + i))


def _is_async(fn: Callable, report: CheckReport, name: str) -> bool:
    with report.case("it is a coroutine function (async def)"):
        expect(
            inspect.iscoroutinefunction(fn),
            f"define it with `async def {name}(...)` and `await` inside",
        )
    return not report.failed


def check_fetch_all(fetch_all: Callable) -> CheckReport:
    """``async def fetch_all(sources)``: every source's ``await source.fetch()`` at once,
    contents in the order of ``sources``."""
    report = CheckReport("fetch_all")
    if not _is_async(fetch_all, report, "fetch_all"):
        return report.show()
    with report.case("5 sources: their contents, in order, all fetched at the same time"):
        probe = InFlight()
        contents = [_content(i) for i in range(5)]
        # Later sources answer sooner: finishing order is the reverse of the list.
        sources = [
            _ProbedSource(c, probe, 0.02 * (6 - i), f"remote://check/{i}")
            for i, c in enumerate(contents)
        ]
        got = _results(run_sync(lambda: fetch_all(sources)))
        expect(len(got) == 5, f"expected 5 contents, got {len(got)}")
        expect(
            sorted(got) == sorted(contents),
            "the contents are not what the sources hold: return what `await source.fetch()` gives",
        )
        expect(
            got == contents,
            "right contents, wrong order: keep the order of `sources` "
            "(`asyncio.gather` does; `as_completed` does not)",
        )
        expect(
            len(probe.threads) <= 1,
            "the fetches ran in several threads: `fetch()` is a coroutine, no threads needed",
        )
        expect(
            probe.max == 5,
            f"at most {probe.max} of 5 fetches were waiting at once: awaiting them one by one "
            "runs them one after another; use `asyncio.gather(*(s.fetch() for s in sources))`",
        )
    with report.case("no sources: an empty list"):
        got = run_sync(lambda: fetch_all([]))
        expect(got is not None and list(got) == [], f"expected [], got {got!r}")
    return report.show()


def _write_files(folder: Path) -> dict[Path, int]:
    """Small files with known line counts: empty, no final newline, a few ordinary ones."""
    files: dict[Path, int] = {}
    specs = [(0, True), (7, False), (1, True), (250, True), (40, True), (3, False), (90, True)]
    for i, (n, final_newline) in enumerate(specs):
        path = folder / f"part-{i}.log"
        body = b"".join(line + b"\n" for line in iter_lines("combined", n, seed=i))
        if not final_newline and body:
            body = body[:-1]
        path.write_bytes(body)
        files[path] = n
    return files


def check_read_all(read_all: Callable) -> CheckReport:
    """``async def read_all(paths, limit, read=count_lines)``: ``{path: read(path)}``, each
    blocking ``read`` in a thread (``asyncio.to_thread``), at most ``limit`` at once."""
    report = CheckReport("read_all")
    if not _is_async(read_all, report, "read_all"):
        return report.show()
    with tempfile.TemporaryDirectory(prefix="labkit-check-") as tmp:
        files = _write_files(Path(tmp))
        paths = list(files)
        with report.case("line counts of 7 files (one empty, two without a final newline)"):
            got = run_sync(lambda: read_all(paths, 3))
            expect(isinstance(got, dict), f"return a dict {{path: lines}}, got {got!r}")
            got = {Path(k): v for k, v in got.items()}
            expect(
                set(got) == set(files),
                f"expected one entry per path ({len(files)}), got {len(got)}",
            )
            wrong = {p.name: (got[p], n) for p, n in files.items() if got[p] != n}
            expect(
                not wrong,
                f"wrong counts (got, expected): {wrong}; call `read(path)` (default "
                "`count_lines`) for each path",
            )
        with report.case("reads run in threads, at the same time, at most `limit` at once"):
            probe = InFlight()
            limit = 3

            def read(path: Path) -> int:
                with probe:
                    # Wait for one read more than allowed: only a missing limit lets it come.
                    probe.wait_for(limit + 1, _WAIT)
                return count_lines(path)

            loop_threads: set[int] = set()

            async def run() -> dict:
                loop_threads.add(threading.get_ident())
                return await read_all(paths, limit, read=read)

            got = run_sync(run)
            expect(isinstance(got, dict), f"return a dict {{path: lines}}, got {got!r}")
            expect(
                {Path(k): v for k, v in got.items()} == files,
                "wrong counts when `read` is given: call the `read` you are passed",
            )
            expect(
                probe.entered == len(paths),
                f"`read` was called {probe.entered} times for {len(paths)} paths: call the "
                "`read` you are passed, once per path",
            )
            expect(
                not (probe.threads & loop_threads),
                "`read` ran on the event loop's thread and blocked it: run it with "
                "`await asyncio.to_thread(read, path)`",
            )
            expect(
                probe.max > 1,
                "only one read ran at a time: start them all (`asyncio.gather`) and let the "
                "semaphore do the limiting",
            )
            expect(
                probe.max <= limit,
                f"{probe.max} reads ran at once with limit={limit}: take an "
                "`asyncio.Semaphore(limit)` (`async with sem:`) around each read",
            )
    with report.case("no paths: an empty dict"):
        got = run_sync(lambda: read_all([], 2))
        expect(got is not None and dict(got) == {}, f"expected {{}}, got {got!r}")
    return report.show()


def check_fetch_with_timeout(fetch_with_timeout: Callable) -> CheckReport:
    """``async def fetch_with_timeout(sources, timeout_s)``: every source's content, or ``None``
    for a source that did not answer within ``timeout_s`` (its fetch cancelled)."""
    report = CheckReport("fetch_with_timeout")
    if not _is_async(fetch_with_timeout, report, "fetch_with_timeout"):
        return report.show()
    with report.case("2 slow sources of 4: None for them, within the timeout, cancelled"):
        probe = InFlight()
        contents = [_content(i, 5) for i in range(4)]
        latencies = [0.01, 30.0, 0.02, 30.0]
        sources = [
            _ProbedSource(c, probe, lat, f"remote://check/{i}")
            for i, (c, lat) in enumerate(zip(contents, latencies, strict=True))
        ]
        left_running: list[int] = []

        async def run() -> list:
            call = asyncio.ensure_future(fetch_with_timeout(sources, 0.3))
            done, _ = await asyncio.wait({call}, timeout=_GIVE_UP)
            if not done:
                call.cancel()
                raise Hint(
                    f"still waiting after {_GIVE_UP:.0f} s: it waited for the slow sources. Wrap "
                    "each fetch in `async with asyncio.timeout(timeout_s):` (or "
                    "`asyncio.wait_for`)"
                )
            try:
                result = call.result()
            except TimeoutError:
                raise Hint(
                    "a TimeoutError escaped: put the timeout around each source's fetch, catch "
                    "it there and give None for that source"
                ) from None
            left_running.append(probe.now)
            return result

        got = _results(run_sync(run))
        expect(len(got) == 4, f"expected 4 results, got {len(got)}")
        expect(
            got[0] == contents[0] and got[2] == contents[2],
            "the fast sources' contents are missing or out of place: keep the order of `sources`",
        )
        expect(
            got[1] is None and got[3] is None,
            f"expected None for the slow sources, got {got[1]!r:.40} and {got[3]!r:.40}",
        )
        expect(
            left_running == [0],
            f"{left_running[0] if left_running else '?'} fetch(es) still running when you "
            "returned: a timed-out fetch must be cancelled, not left behind",
        )
        expect(
            probe.max == 4,
            f"at most {probe.max} of 4 fetches were waiting at once: start them all together "
            "with `asyncio.gather`",
        )
    with report.case("a timeout long enough for everyone: every content"):
        probe = InFlight()
        contents = [_content(i, 3) for i in range(3)]
        sources = [
            _ProbedSource(c, probe, 0.02, f"remote://ok/{i}") for i, c in enumerate(contents)
        ]
        got = run_sync(lambda: fetch_with_timeout(sources, 5.0))
        expect(got is not None and list(got) == contents, "expected every source's content")
    return report.show()


def check_send_all(send_all: Callable) -> CheckReport:
    """``async def send_all(host, port, clients, delay=0.0)``: one connection per list of lines
    in ``clients``, all at once, each sent with ``send_lines(host, port, lines, delay=delay)``;
    returns the number of lines sent. Runs against a real ``TcpSource`` on 127.0.0.1."""
    report = CheckReport("send_all")
    if not _is_async(send_all, report, "send_all"):
        return report.show()
    n = 5
    # About 4 pieces of 64 KiB per client, with a short sleep after each: ~0.2 s per client.
    lines = list(iter_lines("combined", 1300 * n, seed=7))
    clients = [lines[i::n] for i in range(n)]
    with report.case(f"{n} slow clients: every line arrives, all connected at the same time"):
        try:
            sent, served = run_sync(
                lambda: serve_clients(
                    lambda host, port: send_all(host, port, clients, delay=0.05),
                    n,
                    idle_timeout=2.0,
                    timeout=30.0,
                )
            )
        except TimeoutError:
            expect(False, "the server was still waiting after 30 s: did every client close?")
        expect(
            served.clients_served == n,
            f"the server saw {served.clients_served} of {n} clients: one `send_lines` per list "
            "of lines in `clients`",
        )
        expect(
            served.lines_received == len(lines),
            f"the server received {served.lines_received} of {len(lines)} lines",
        )
        expect(
            sent == len(lines),
            f"return the number of lines sent ({len(lines)}), got {sent!r}",
        )
        expect(
            served.max_connected >= n - 1,
            f"at most {served.max_connected} of {n} clients were connected at once: they ran "
            "one after another; start them together with `asyncio.gather`",
        )
    return report.show()
