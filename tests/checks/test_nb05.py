"""Notebook 05's checks fail on wrong answers, with the hint that fits (solutions pass in
tests/test_solutions.py)."""

from __future__ import annotations

import asyncio

import helpers
import pytest

from labkit.checks import nb05
from labkit.pipeline import Pipeline


def failed(report) -> str:
    assert not report.ok, "the check accepted a wrong answer"
    return " ".join(hint for _, hint in report.failed)


# ----- lines_in_flight_bound ------------------------------------------------------------------
def test_bound_rejects_forgetting_the_writers(capsys: pytest.CaptureFixture) -> None:
    def bound(q, pool, writers, lines):
        return (q + 1 + pool + 1 + 1 + q) * lines

    assert "writer threads" in failed(nb05.check_lines_in_flight_bound(bound))
    assert "❌ lines_in_flight_bound" in capsys.readouterr().out


def test_bound_rejects_forgetting_the_stage_hands() -> None:
    def bound(q, pool, writers, lines):
        return (q + pool + 1 + q + writers) * lines

    assert "dispatcher" in failed(nb05.check_lines_in_flight_bound(bound))


def test_bound_rejects_one_queue_only() -> None:
    def bound(q, pool, writers, lines):
        return (q + 1 + pool + 1 + 1 + writers) * lines

    assert "both bounded channels" in failed(nb05.check_lines_in_flight_bound(bound))


def test_bound_rejects_chunks_instead_of_lines_and_a_stub() -> None:
    def chunks(q, pool, writers, lines):
        return 2 * q + pool + 3 + writers

    assert "multiply by `chunk_lines`" in failed(nb05.check_lines_in_flight_bound(chunks))

    def stub(q, pool, writers, lines):
        raise NotImplementedError

    assert "not implemented" in failed(nb05.check_lines_in_flight_bound(stub))


# ----- produce_consume ------------------------------------------------------------------------
def test_produce_consume_rejects_putting_everything_first() -> None:
    async def produce_consume(items, work, queue):
        for item in items:
            await queue.put(item)  # blocks forever once the queue is full
        await queue.put(None)
        return [await work(x) for x in iter(queue.get_nowait, None)]

    assert "own task" in failed(nb05.check_produce_consume(produce_consume))


def test_produce_consume_rejects_a_missing_sentinel() -> None:
    async def produce_consume(items, work, queue):
        items = list(items)

        async def producer():
            for item in items:
                await queue.put(item)

        task = asyncio.create_task(producer())
        results = [await work(await queue.get()) for _ in items]
        await task
        return results

    assert "sentinel" in failed(nb05.check_produce_consume(produce_consume))


def test_produce_consume_rejects_leaving_the_producer_behind() -> None:
    async def produce_consume(items, work, queue):
        async def producer():
            for item in items:
                await queue.put(item)
            await queue.put(None)

        asyncio.create_task(producer())  # noqa: RUF006 (the mistake under test)
        results = []
        while (item := await queue.get()) is not None:
            results.append(await work(item))
        return results

    assert "cancel it" in failed(nb05.check_produce_consume(produce_consume))


def test_produce_consume_rejects_an_unbounded_side_buffer() -> None:
    async def produce_consume(items, work, queue):
        buffered = asyncio.Queue()  # unbounded: the producer never waits

        async def producer():
            for item in items:
                await buffered.put(item)
                await asyncio.sleep(0)
            await buffered.put(None)

        task = asyncio.create_task(producer())
        results = []
        try:
            while (item := await buffered.get()) is not None:
                await queue.put(item)
                results.append(await work(await queue.get()))
        finally:
            task.cancel()
        return results

    hints = failed(nb05.check_produce_consume(produce_consume))
    assert "ahead" in hints or "endless input" in hints


def test_produce_consume_rejects_a_plain_function() -> None:
    assert "async def" in failed(nb05.check_produce_consume(lambda items, work, queue: []))


# ----- run_for --------------------------------------------------------------------------------
def test_run_for_rejects_running_to_the_end() -> None:
    async def run_for(config, seconds):
        pipeline = Pipeline(config)
        result = await pipeline.run()
        pipeline.stop()
        return result

    assert "not stopped" in failed(nb05.check_run_for(run_for))


def test_run_for_rejects_not_waiting_for_the_stopped_run() -> None:
    before = helpers.child_pids()

    async def run_for(config, seconds):
        pipeline = Pipeline(config)
        asyncio.create_task(pipeline.run())  # noqa: RUF006 (the mistake under test)
        await asyncio.sleep(seconds)
        pipeline.stop()
        return None

    assert "return the PipelineResult" in failed(nb05.check_run_for(run_for))
    assert helpers.child_pids() - before == set()  # the check's loop cleaned up after it


# ----- pick_settings --------------------------------------------------------------------------
def base(cpus: int) -> dict:
    return {"readers": 4, "parsers": cpus, "writers": 1, "batch_lines": 5000}


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        ({"writers": 4}, "one writer"),
        ({"parsers": 64}, "take turns"),
        ({"parsers": 1}, "idle"),
        ({"batch_lines": 100}, "cost per task"),
        ({"batch_lines": 1_000_000}, "memory"),
        ({"readers": 64}, "one device"),
        ({"parsers": 2.5}, "whole number"),
    ],
)
def test_pick_settings_rejects_poor_choices(change: dict, hint: str) -> None:
    assert hint in failed(nb05.check_pick_settings(lambda cpus: base(cpus) | change))


def test_pick_settings_rejects_wrong_keys() -> None:
    assert "keys" in failed(nb05.check_pick_settings(lambda cpus: {"parsers": cpus}))
