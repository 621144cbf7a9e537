"""Notebook 01's checks fail on wrong answers, with the hint that fits (solutions pass in
tests/test_solutions.py)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor, as_completed

import pytest

from labkit.checks import nb01


def failed(report) -> str:
    assert not report.ok, "the check accepted a wrong answer"
    return " ".join(hint for _, hint in report.failed)


# ----- run_threads ------------------------------------------------------------------------------
def test_run_threads_rejects_sequential_code(capsys: pytest.CaptureFixture) -> None:
    hints = failed(nb01.check_run_threads(lambda func, args, workers: [func(a) for a in args]))
    assert "calling thread" in hints
    assert "❌ run_threads" in capsys.readouterr().out


def test_run_threads_rejects_results_in_completion_order() -> None:
    def run_threads(func, args, workers):
        with ThreadPoolExecutor(workers) as pool:
            return [f.result() for f in as_completed([pool.submit(func, a) for a in args])]

    assert "wrong order" in failed(nb01.check_run_threads(run_threads))


def test_run_threads_rejects_one_task_at_a_time() -> None:
    def run_threads(func, args, workers):
        with ThreadPoolExecutor(workers) as pool:
            return [pool.submit(func, a).result() for a in args]

    assert "one task ran at a time" in failed(nb01.check_run_threads(run_threads))


def test_run_threads_rejects_a_stub() -> None:
    def run_threads(func, args, workers):
        raise NotImplementedError

    assert "not implemented" in failed(nb01.check_run_threads(run_threads))


def test_run_threads_rejects_none() -> None:
    assert "returned None" in failed(nb01.check_run_threads(lambda func, args, workers: None))


# ----- run_asyncio ------------------------------------------------------------------------------
def test_run_asyncio_rejects_a_plain_function() -> None:
    assert "async def" in failed(nb01.check_run_asyncio(lambda afunc, args: []))


def test_run_asyncio_rejects_awaiting_one_by_one() -> None:
    async def run_asyncio(afunc, args):
        return [await afunc(a) for a in args]

    assert "one after another" in failed(nb01.check_run_asyncio(run_asyncio))


def test_run_asyncio_rejects_completion_order() -> None:
    async def run_asyncio(afunc, args):
        return [await f for f in asyncio.as_completed([afunc(a) for a in args])]

    assert "argument order" in failed(nb01.check_run_asyncio(run_asyncio))


def test_run_asyncio_check_works_inside_a_running_loop() -> None:
    async def run_asyncio(afunc, args):
        return list(await asyncio.gather(*(afunc(a) for a in args)))

    async def in_a_cell():  # as in Jupyter: a loop is running in this thread
        return nb01.check_run_asyncio(run_asyncio)

    assert asyncio.run(in_a_cell()).ok


# ----- run_processes ----------------------------------------------------------------------------
def test_run_processes_rejects_threads() -> None:
    def run_processes(func, args, workers):
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(func, args))

    assert "ran in this process" in failed(nb01.check_run_processes(run_processes))


def test_run_processes_rejects_lost_order() -> None:
    def run_processes(func, args, workers):
        return sorted(func(a) for a in args)

    assert "out of order" in failed(nb01.check_run_processes(run_processes))


# ----- best_mode --------------------------------------------------------------------------------
def test_best_mode_rejects_the_slowest() -> None:
    def best_mode(times):
        worst = max(times, key=times.get)
        return worst, times["sequential"] / times[worst]

    assert "slowest" in failed(nb01.check_best_mode(best_mode))


def test_best_mode_rejects_an_upside_down_speedup() -> None:
    def best_mode(times):
        best = min(times, key=times.get)
        return best, times[best] / times["sequential"]

    assert "upside down" in failed(nb01.check_best_mode(best_mode))


def test_best_mode_rejects_a_typed_answer() -> None:
    assert "fastest mode is" in failed(nb01.check_best_mode(lambda times: ("asyncio", 5.0)))


def test_best_mode_rejects_a_changed_dict() -> None:
    def best_mode(times):
        seq = times.pop("sequential")
        best = min(times, key=times.get)
        return (best, seq / times[best]) if times[best] < seq else ("sequential", 1.0)

    assert "do not change" in failed(nb01.check_best_mode(best_mode))
