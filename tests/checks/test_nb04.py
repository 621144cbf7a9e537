"""Notebook 04's checks fail on wrong answers, with the hint that fits (solutions pass in
tests/test_solutions.py)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from labkit.checks import nb04


def failed(report) -> str:
    assert not report.ok, "the check accepted a wrong answer"
    return " ".join(hint for _, hint in report.failed)


# ----- add_many ---------------------------------------------------------------------------------
def test_add_many_rejects_the_unlocked_increment(capsys: pytest.CaptureFixture) -> None:
    def add_many(counter, n, lock):
        for _ in range(n):
            counter.value += 1

    hints = failed(nb04.check_add_many(add_many))
    assert "updates were lost" in hints
    assert "❌ add_many" in capsys.readouterr().out


def test_add_many_rejects_a_lock_around_the_write_only() -> None:
    def add_many(counter, n, lock):
        for _ in range(n):
            value = counter.value
            with lock:
                counter.value = value + 1

    assert "updates were lost" in failed(nb04.check_add_many(add_many))


def test_add_many_rejects_a_private_lock() -> None:
    mine = threading.Lock()

    def add_many(counter, n, lock):
        for _ in range(n):
            with mine:
                counter.value += 1

    assert "lock you were given" in failed(nb04.check_add_many(add_many))


# ----- store_rows -------------------------------------------------------------------------------
def test_store_rows_rejects_autocommit_inserts() -> None:
    def store_rows(conn, rows, batch_size):
        with conn:  # autocommit connection: no transaction is started
            conn.executemany(nb04.INSERT, rows)

    assert "outside a transaction" in failed(nb04.check_store_rows(store_rows))


def test_store_rows_rejects_one_transaction_for_everything() -> None:
    def store_rows(conn, rows, batch_size):
        conn.execute("BEGIN")
        conn.executemany(nb04.INSERT, rows)
        conn.execute("COMMIT")

    assert "one per batch" in failed(nb04.check_store_rows(store_rows))


def test_store_rows_rejects_a_half_stored_batch() -> None:
    def store_rows(conn, rows, batch_size):
        for i in range(0, len(rows), batch_size):
            conn.execute("BEGIN")
            try:
                conn.executemany(nb04.INSERT, rows[i : i + batch_size])
            finally:
                conn.execute("COMMIT")  # commits the rows before the failure too

    assert "rolled back whole" in failed(nb04.check_store_rows(store_rows))


def test_store_rows_rejects_swallowing_the_error() -> None:
    def store_rows(conn, rows, batch_size):
        for i in range(0, len(rows), batch_size):
            conn.execute("BEGIN")
            try:
                conn.executemany(nb04.INSERT, rows[i : i + batch_size])
            except Exception:
                conn.execute("ROLLBACK")
                return
            conn.execute("COMMIT")

    assert "did not reach the caller" in failed(nb04.check_store_rows(store_rows))


# ----- store_all --------------------------------------------------------------------------------
def test_store_all_rejects_one_writer_at_a_time() -> None:
    async def store_all(writers, batches):
        rows = 0
        for i, batch in enumerate(batches):
            await writers[i % len(writers)].store(batch)
            rows += batch.stored
        return rows

    assert "at the same time" in failed(nb04.check_store_all(store_all))


def test_store_all_rejects_a_plain_function() -> None:
    def store_all(writers, batches):
        return 0

    assert "async def" in failed(nb04.check_store_all(store_all))


def test_store_all_rejects_handing_a_busy_writer_more_batches() -> None:
    async def store_all(writers, batches):
        async with asyncio.TaskGroup() as tg:
            for i, batch in enumerate(batches):
                tg.create_task(writers[i % len(writers)].store(batch))
        return sum(b.stored for b in batches)

    assert "still storing another" in failed(nb04.check_store_all(store_all))


def test_store_all_rejects_returning_the_batch_count() -> None:
    async def store_all(writers, batches):
        queue = asyncio.Queue()
        for batch in batches:
            queue.put_nowait(batch)

        async def drain(writer):
            while not queue.empty():
                await writer.store(queue.get_nowait())

        await asyncio.gather(*(drain(w) for w in writers))
        return len(batches)

    assert "expected the rows stored" in failed(nb04.check_store_all(store_all))
