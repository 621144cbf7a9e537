"""Checks for notebook 04 (the threaded writer).

``check_add_many`` runs the learner's function in several threads on a counter whose reads let
another thread run (so a missing lock loses updates every time, not once in a while).
``check_store_rows`` watches every statement the learner's code sends to SQLite (a trace
callback) to see where transactions begin and end. ``check_store_all`` drives the learner's async
function with recording writers and with real ``ThreadWriter``s.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from labkit.batches import ParsedBatch
from labkit.checks.base import CheckReport, Hint, expect
from labkit.demos.writing import parsed_batches, parsed_rows
from labkit.records import FIELDS
from labkit.storage import connect, register_source
from labkit.syncrun import run_sync
from labkit.writer import ThreadWriter

__all__ = ["CHECK_SCHEMA", "INSERT", "check_add_many", "check_store_all", "check_store_rows"]


# ----- Exercise: a lock -------------------------------------------------------------------------
class _SlowCounter:
    """A counter whose read yields the GIL, as a read from a file or a socket would."""

    def __init__(self) -> None:
        self._value = 0

    @property
    def value(self) -> int:
        v = self._value
        time.sleep(0)  # another thread may run now, between this read and the write
        return v

    @value.setter
    def value(self, v: int) -> None:
        self._value = v


class _CountingLock:
    """A ``threading.Lock`` that counts how often it was taken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.acquired = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            self.acquired += 1
        return got

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _run_threads(add_many: Callable, counter: object, lock: object, threads: int, n: int) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work() -> None:
        try:
            start.wait()
            add_many(counter, n, lock)
        except BaseException as exc:  # reported below, in the checking thread
            errors.append(exc)

    workers = [threading.Thread(target=work, name=f"check-{i}") for i in range(threads)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for t in workers:
            t.start()
        for t in workers:
            t.join()
    finally:
        sys.setswitchinterval(old)
    if errors:
        raise errors[0]


def check_add_many(add_many: Callable[[object, int, object], None]) -> CheckReport:
    """``add_many(counter, n, lock)`` adds 1 to ``counter.value`` n times, safely from threads."""
    report = CheckReport("add_many")
    with report.case("one thread, 500 additions"):
        counter, lock = _SlowCounter(), _CountingLock()
        add_many(counter, 500, lock)
        expect(counter._value == 500, f"counter.value is {counter._value}, expected 500")
    with report.case("4 threads, 1,000 additions each"):
        counter, lock = _SlowCounter(), _CountingLock()
        _run_threads(add_many, counter, lock, 4, 1000)
        expect(counter._value > 0, "counter.value is still 0: add 1 to it, n times")
        lost = 4000 - counter._value
        expect(
            lost <= 0,
            f"{lost} of 4,000 updates were lost: between reading counter.value and writing it "
            "back another thread wrote too; hold the lock around the read and the write "
            "(`with lock: counter.value += 1`)",
        )
        expect(lost == 0, f"counter.value is {counter._value}, more than 4,000 additions")
        expect(
            lock.acquired >= 4,
            "the right total without taking the lock you were given: use that lock, so the "
            "other code sharing the counter is protected too",
        )
    return report.show()


# ----- Exercise: one transaction per batch ---------------------------------------------------
#: The table ``check_store_rows`` gives the learner's ``store_rows``: the lab's row shape.
CHECK_SCHEMA = f"CREATE TABLE records (offset INTEGER NOT NULL, {', '.join(FIELDS)})"
#: The insert statement for one row ``(offset, *FIELDS)``.
INSERT = f"INSERT INTO records VALUES ({', '.join('?' * (1 + len(FIELDS)))})"


class _Transactions:
    """Follows the statements a connection runs: transactions and the inserts in each."""

    def __init__(self) -> None:
        self.in_tx = False
        self.committed: list[int] = []  # inserts per committed transaction
        self.rolled_back = 0
        self.outside = 0  # inserts that ran in autocommit mode: each its own transaction
        self._current = 0

    def __call__(self, sql: str) -> None:
        word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if word == "BEGIN":
            self.in_tx, self._current = True, 0
        elif word in ("COMMIT", "END"):
            if self.in_tx:
                self.committed.append(self._current)
            self.in_tx = False
        elif word == "ROLLBACK":
            self.in_tx = False
            self.rolled_back += 1
        elif word == "INSERT":
            if self.in_tx:
                self._current += 1
            else:
                self.outside += 1


def _check_conn() -> tuple[sqlite3.Connection, _Transactions]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute(CHECK_SCHEMA)
    tx = _Transactions()
    conn.set_trace_callback(tx)
    return conn, tx


def _count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM records").fetchone()[0]


def check_store_rows(
    store_rows: Callable[[sqlite3.Connection, Sequence[tuple], int], object],
) -> CheckReport:
    """``store_rows(conn, rows, batch_size)``: every row stored, one transaction per batch,
    and a failing batch rolled back whole (earlier batches stay) with the error re-raised."""
    report = CheckReport("store_rows")
    rows = parsed_rows(1050, seed=7)
    for size in (100, 5000):
        with report.case(f"1,050 rows, batch_size={size}"):
            conn, tx = _check_conn()
            try:
                store_rows(conn, rows, size)
                stored = _count(conn)
                expect(stored == len(rows), f"{stored} rows stored, expected {len(rows)}")
                expect(
                    tx.outside == 0,
                    f"{tx.outside} inserts ran outside a transaction, so each was committed on "
                    "its own (this connection is in autocommit mode: `with conn:` does not "
                    "start a transaction here); run conn.execute('BEGIN') first",
                )
                want = [min(size, len(rows) - i) for i in range(0, len(rows), size)]
                expect(
                    len(tx.committed) == len(want),
                    f"{len(tx.committed)} transactions committed, expected {len(want)}: one "
                    f"per batch of {size} rows",
                )
                expect(
                    tx.committed == want,
                    f"rows per transaction {tx.committed[:5]}..., expected {want[:5]}...",
                )
                expect(not conn.in_transaction, "a transaction is still open: COMMIT the last")
            finally:
                conn.close()
    with report.case("no rows"):
        conn, _tx = _check_conn()
        try:
            store_rows(conn, [], 100)
            expect(_count(conn) == 0, "no rows, nothing stored")
        finally:
            conn.close()
    with report.case("row 151 breaks a constraint (batch_size=100)"):
        bad = list(rows[:300])
        bad[150] = (None, *bad[150][1:])  # offset NOT NULL
        conn, tx = _check_conn()
        try:
            try:
                store_rows(conn, bad, 100)
            except sqlite3.IntegrityError:
                raised = True
            else:
                raised = False
            stored = _count(conn)
            expect(
                not conn.in_transaction,
                "the failed transaction is still open: ROLLBACK it before re-raising",
            )
            expect(
                stored == 100,
                f"{stored} rows stored; expected exactly the 100 of the first batch: the "
                "second batch must be rolled back whole"
                + (" (its rows before the bad one were kept)" if 100 < stored < 200 else "")
                + (", and the third never attempted" if stored >= 200 else ""),
            )
            expect(
                raised,
                "the IntegrityError did not reach the caller: roll back, then `raise` it again",
            )
        finally:
            conn.close()
    return report.show()


# ----- Exercise: feed several writers -------------------------------------------------------
class _RecordingWriter:
    """A stand-in writer: ``store`` takes a few ms and records what ran at the same time."""

    name = "recording"

    def __init__(self, shared: dict[str, Any]) -> None:
        self.shared = shared
        self.stored: list[int] = []
        self.busy = 0

    async def store(self, batch: ParsedBatch) -> float:
        s = self.shared
        if self.busy:
            s["overlapped"] += 1
        self.busy += 1
        s["now"] += 1
        s["max"] = max(s["max"], s["now"])
        try:
            await asyncio.sleep(0.005)
        finally:
            s["now"] -= 1
            self.busy -= 1
        self.stored.append(batch.source_id)
        return 0.005


def check_store_all(
    store_all: Callable[[Sequence[Any], Sequence[ParsedBatch]], Coroutine[Any, Any, int]],
) -> CheckReport:
    """``await store_all(writers, batches) -> rows``: every batch stored once, all writers busy
    at the same time, the rows stored returned."""
    report = CheckReport("store_all")
    batches = parsed_batches(12, 40)
    rows = sum(b.stored for b in batches)
    with report.case("12 batches, 3 recording writers"):
        shared = {"now": 0, "max": 0, "overlapped": 0}
        writers = [_RecordingWriter(shared) for _ in range(3)]
        coro = store_all(writers, batches)
        expect(
            asyncio.iscoroutine(coro),
            "store_all must be an `async def` function (the writers' store is awaited)",
        )
        got = run_sync(lambda: coro)
        ids = sorted(i for w in writers for i in w.stored)
        expect(
            ids == sorted(b.source_id for b in batches),
            f"{len(ids)} batches stored, expected each of the 12 exactly once",
        )
        expect(
            shared["overlapped"] == 0,
            f"{shared['overlapped']} time(s) a writer was handed a batch while it was still "
            "storing another: a writer stores one batch at a time (await its store before "
            "giving it the next), and the batches waiting belong in a bounded queue",
        )
        expect(
            shared["max"] == len(writers),
            f"at most {shared['max']} store() call(s) ran at the same time, expected "
            f"{len(writers)}: give each writer its own task (asyncio.TaskGroup) taking batches "
            "from one shared asyncio.Queue",
        )
        expect(got == rows, f"returned {got!r}, expected the rows stored: {rows}")
    with report.case("8 batches, 2 ThreadWriters on a real database"):
        with tempfile.TemporaryDirectory(prefix="labkit-check-") as tmp:
            db = Path(tmp) / "check.db"
            conn = connect(db)
            try:
                for i in range(8):
                    register_source(conn, f"batch-{i + 1}", "remote", "combined")
            finally:
                conn.close()

            async def real() -> int:
                writers = [ThreadWriter(db, f"check-{i}", latency_s=0.01) for i in range(2)]
                for w in writers:
                    await w.open()
                try:
                    return await store_all(writers, batches[:8])
                finally:
                    for w in writers:
                        await w.close()

            got = run_sync(real)
            conn = connect(db)
            try:
                stored = conn.execute("SELECT count(*) FROM main.records").fetchone()[0]
            finally:
                conn.close()
        want = sum(b.stored for b in batches[:8])
        if stored != want:
            raise Hint(f"the database has {stored} rows, expected {want}")
        expect(got == want, f"returned {got!r}, expected {want}")
    return report.show()
