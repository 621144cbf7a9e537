"""The write stage: writers that store ``ParsedBatch``es in SQLite, with one interface.

- ``ThreadWriter``: a thread that owns one ``sqlite3`` connection (the aiosqlite model: one
  thread, one connection, requests through a queue). Several of them may run; SQLite still lets
  only one write at a time, so they queue for its lock (``BEGIN IMMEDIATE`` + ``busy_timeout``).
- ``AioSqliteWriter``: the same through ``aiosqlite``, which is itself a thread underneath. It
  takes ``output="rows"`` batches (aiosqlite has no ``deserialize``).

``latency_s`` simulates a remote database: each batch first waits that long (a network round
trip, outside SQLite's lock), which is where more writer threads do help.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from typing import Protocol

from labkit.batches import ParsedBatch
from labkit.storage import (
    ADVANCE_SQL,
    advance_params,
    conflict,
    connect,
    insert_rejects_sql,
    insert_rows_sql,
    store_batch,
)

__all__ = ["WRITERS", "AioSqliteWriter", "BatchWriter", "ThreadWriter", "make_writer"]

WRITERS = ("thread", "aiosqlite")


class BatchWriter(Protocol):
    """What the pipeline needs from a writer. ``store`` returns the seconds it was busy."""

    name: str

    async def open(self) -> None: ...

    async def store(self, batch: ParsedBatch) -> float: ...

    async def close(self) -> None: ...


_STOP = object()  # sentinel that ends a writer thread


class ThreadWriter:
    """One thread, one connection. ``store`` hands the batch over and awaits its commit.

    Cancelling ``store`` does not abandon the transaction: the thread finishes it (commit or
    rollback) and the result is dropped. ``close`` lets queued batches finish, then closes the
    connection and joins the thread.
    """

    def __init__(self, db_path: str | os.PathLike, name: str = "writer", latency_s: float = 0.0):
        self.db_path = db_path
        self.name = name
        self.latency_s = latency_s
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._open_error: BaseException | None = None

    async def open(self) -> None:
        """Start the thread and open its connection; raises if the database cannot be opened."""
        self._thread = threading.Thread(target=self._run, name=f"labkit-{self.name}", daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._ready.wait)
        if self._open_error is not None:
            raise self._open_error

    def _run(self) -> None:
        try:
            conn = connect(self.db_path)
        except BaseException as exc:  # reported by open()
            self._open_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                req = self._requests.get()
                if req is _STOP:
                    return
                loop, fut, batch = req
                t0 = time.perf_counter()
                try:
                    if self.latency_s:
                        time.sleep(self.latency_s)
                    store_batch(conn, batch)
                    outcome, value = "ok", time.perf_counter() - t0
                except BaseException as exc:
                    outcome, value = "err", exc
                loop.call_soon_threadsafe(_settle, fut, outcome, value)
        finally:
            conn.close()

    async def store(self, batch: ParsedBatch) -> float:
        """Commit ``batch``; blocks (awaits) until it is durable in WAL. Returns busy seconds."""
        if self._thread is None or not self._thread.is_alive():
            raise RuntimeError(f"{self.name} is not open")
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._requests.put((loop, fut, batch))
        return await fut

    async def close(self) -> None:
        """Finish queued batches, close the connection, join the thread. Safe to call twice."""
        if self._thread is not None:
            self._requests.put(_STOP)
            await asyncio.to_thread(self._thread.join)
            self._thread = None


def _settle(fut: asyncio.Future, outcome: str, value: object) -> None:
    if fut.cancelled():
        return
    if outcome == "ok":
        fut.set_result(value)
    else:
        fut.set_exception(value)  # type: ignore[arg-type]


class AioSqliteWriter:
    """The same writer on ``aiosqlite`` (a thread owning the connection, behind async calls)."""

    def __init__(self, db_path: str | os.PathLike, name: str = "aiowriter", latency_s: float = 0.0):
        self.db_path = db_path
        self.name = name
        self.latency_s = latency_s
        self._db = None

    async def open(self) -> None:
        """Open the connection (the schema is created by ``storage.connect`` first)."""
        import aiosqlite

        await asyncio.to_thread(lambda: connect(self.db_path).close())
        self._db = await aiosqlite.connect(self.db_path, isolation_level=None, timeout=30)
        await self._db.execute("PRAGMA busy_timeout = 30000")
        await self._db.execute("PRAGMA synchronous = NORMAL")

    async def store(self, batch: ParsedBatch) -> float:
        """Commit ``batch`` (``output="rows"`` only) in one transaction; returns busy seconds."""
        if batch.output != "rows":
            raise ValueError("AioSqliteWriter stores output='rows' batches")
        db = self._db
        t0 = time.perf_counter()
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        sid = int(batch.source_id)
        await db.execute("BEGIN IMMEDIATE")
        try:
            cur = await db.execute(ADVANCE_SQL, advance_params(batch))
            if cur.rowcount != 1:
                raise conflict(batch)
            await db.executemany(insert_rows_sql(sid), batch.rows or ())
            await db.executemany(insert_rejects_sql(sid), batch.rejects or ())
            await db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                await asyncio.shield(db.execute("ROLLBACK"))
            raise
        return time.perf_counter() - t0

    async def close(self) -> None:
        """Close the connection (its thread ends). Safe to call twice."""
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()


def make_writer(
    kind: str, db_path: str | os.PathLike, name: str, latency_s: float = 0.0
) -> BatchWriter:
    """A writer of ``kind`` (``"thread"`` or ``"aiosqlite"``)."""
    if kind == "thread":
        return ThreadWriter(db_path, name, latency_s)
    if kind == "aiosqlite":
        return AioSqliteWriter(db_path, name, latency_s)
    raise ValueError(f"writer must be one of {WRITERS}, not {kind!r}")
