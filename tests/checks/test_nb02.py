"""Notebook 02's checks fail on wrong answers, with the hint that fits (solutions pass in
tests/test_solutions.py)."""

from __future__ import annotations

import asyncio

import pytest

from labkit.checks import nb02
from labkit.demos.readers import count_lines
from labkit.sources.tcp import send_lines


def failed(report) -> str:
    assert not report.ok, "the check accepted a wrong answer"
    return " ".join(hint for _, hint in report.failed)


# ----- fetch_all --------------------------------------------------------------------------------
def test_fetch_all_rejects_one_by_one(capsys: pytest.CaptureFixture) -> None:
    async def fetch_all(sources):
        return [await s.fetch() for s in sources]

    assert "one after another" in failed(nb02.check_fetch_all(fetch_all))
    assert "❌ fetch_all" in capsys.readouterr().out


def test_fetch_all_rejects_completion_order() -> None:
    async def fetch_all(sources):
        return [await f for f in asyncio.as_completed([s.fetch() for s in sources])]

    assert "wrong order" in failed(nb02.check_fetch_all(fetch_all))


def test_fetch_all_rejects_threads() -> None:
    async def fetch_all(sources):
        return await asyncio.gather(*(asyncio.to_thread(s.fetch_blocking) for s in sources))

    assert "several threads" in failed(nb02.check_fetch_all(fetch_all))


def test_fetch_all_rejects_a_plain_function() -> None:
    assert "async def" in failed(nb02.check_fetch_all(lambda sources: []))


# ----- read_all ---------------------------------------------------------------------------------
def test_read_all_rejects_no_limit() -> None:
    async def read_all(paths, limit, read=count_lines):
        counts = await asyncio.gather(*(asyncio.to_thread(read, p) for p in paths))
        return dict(zip(paths, counts, strict=True))

    assert "Semaphore" in failed(nb02.check_read_all(read_all))


def test_read_all_rejects_blocking_the_loop() -> None:
    async def read_all(paths, limit, read=count_lines):
        sem = asyncio.Semaphore(limit)

        async def one(p):
            async with sem:
                return read(p)

        return dict(zip(paths, await asyncio.gather(*(one(p) for p in paths)), strict=True))

    assert "to_thread" in failed(nb02.check_read_all(read_all))


def test_read_all_rejects_ignoring_read() -> None:
    async def read_all(paths, limit, read=count_lines):
        sem = asyncio.Semaphore(limit)

        async def one(p):
            async with sem:
                return await asyncio.to_thread(count_lines, p)

        return dict(zip(paths, await asyncio.gather(*(one(p) for p in paths)), strict=True))

    assert "the `read` you are passed" in failed(nb02.check_read_all(read_all))


def test_read_all_rejects_wrong_counts() -> None:
    async def read_all(paths, limit, read=count_lines):
        def newlines(p):
            with open(p, "rb") as fh:
                return fh.read().count(b"\n")  # misses a last line without newline

        return {p: await asyncio.to_thread(newlines, p) for p in paths}

    assert "wrong counts" in failed(nb02.check_read_all(read_all))


# ----- fetch_with_timeout -----------------------------------------------------------------------
def test_fetch_with_timeout_rejects_waiting_for_everyone() -> None:
    async def fetch_with_timeout(sources, timeout_s):
        return await asyncio.gather(*(s.fetch() for s in sources))

    assert "waited for the slow sources" in failed(
        nb02.check_fetch_with_timeout(fetch_with_timeout)
    )


def test_fetch_with_timeout_rejects_a_timeout_around_everything() -> None:
    async def fetch_with_timeout(sources, timeout_s):
        return await asyncio.wait_for(asyncio.gather(*(s.fetch() for s in sources)), timeout_s)

    assert "TimeoutError escaped" in failed(nb02.check_fetch_with_timeout(fetch_with_timeout))


def test_fetch_with_timeout_rejects_abandoned_fetches() -> None:
    async def fetch_with_timeout(sources, timeout_s):
        tasks = [asyncio.ensure_future(s.fetch()) for s in sources]
        await asyncio.wait(tasks, timeout=timeout_s)
        return [t.result() if t.done() else None for t in tasks]  # the rest keep running

    assert "cancelled, not left behind" in failed(nb02.check_fetch_with_timeout(fetch_with_timeout))


# ----- send_all ---------------------------------------------------------------------------------
def test_send_all_rejects_one_client_after_another() -> None:
    async def send_all(host, port, clients, delay=0.0):
        for lines in clients:
            await send_lines(host, port, lines, delay=delay)
        return sum(len(c) for c in clients)

    assert "one after another" in failed(nb02.check_send_all(send_all))


def test_send_all_rejects_one_connection_for_everything() -> None:
    async def send_all(host, port, clients, delay=0.0):
        every = [line for lines in clients for line in lines]
        await send_lines(host, port, every, delay=delay)
        return len(every)

    assert "one `send_lines` per list" in failed(nb02.check_send_all(send_all))


def test_send_all_rejects_a_missing_count() -> None:
    async def send_all(host, port, clients, delay=0.0):
        await asyncio.gather(*(send_lines(host, port, c, delay=delay) for c in clients))

    assert "number of lines sent" in failed(nb02.check_send_all(send_all))
