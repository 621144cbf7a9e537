"""Workloads for notebook 04: threads, races and locks, and what SQLite allows writers to do.

- ``race``: threads doing an unsynchronised read-modify-write on one counter (updates get lost),
  and the same under a ``threading.Lock`` (none do).
- ``wait_for_writer``: a second connection waiting (``busy_timeout``) for the first's commit.
- ``reader_blocks_writer``: an open read blocks a commit in rollback-journal mode, not in WAL.
- ``commit_sweep``: the same rows committed per row, per 100, per 10,000: rows/s.
- ``parsed_batches`` + ``writer_sweep``: 1, 2, 4 ``ThreadWriter``s on the same batches, with and
  without a simulated network round trip per batch.
- ``aiosqlite_vs_thread``: the same inserts through ``sqlite3`` in a thread and through
  ``aiosqlite`` (which is a thread too).
- ``lock_timeline`` + ``lock_timeline_chart``: who held SQLite's write lock when; ``rate_chart``.

Every function blocks until it is done (the async ones: await them), closes every connection
and joins every thread it started, also when it fails.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from labkit.batches import ParsedBatch
from labkit.demos.parsing import sample_lines
from labkit.parser import parse_lines_to_batch
from labkit.storage import connect, insert_rows_sql, register_source, store_batch
from labkit.writer import AioSqliteWriter, ThreadWriter

__all__ = [
    "JOURNALS",
    "RaceResult",
    "aiosqlite_vs_thread",
    "commit_sweep",
    "fresh_db",
    "lock_timeline",
    "lock_timeline_chart",
    "parsed_batches",
    "parsed_rows",
    "race",
    "rate_chart",
    "reader_blocks_writer",
    "store_with_writers",
    "wait_for_writer",
    "writer_sweep",
]


# ----- races and locks --------------------------------------------------------------------------
@dataclass(frozen=True)
class RaceResult:
    """How many increments ``threads`` threads made, and how many the counter kept."""

    threads: int
    increments: int
    locked: bool
    pause: bool
    expected: int
    counted: int
    seconds: float

    @property
    def lost(self) -> int:
        return self.expected - self.counted


class _Counter:
    value = 0


def race(
    threads: int = 4,
    increments: int = 2000,
    *,
    lock: bool = False,
    pause: bool = True,
    switch_interval: float = 1e-6,
) -> RaceResult:
    """Run ``threads`` threads that each add 1 to a shared counter ``increments`` times.

    Each increment reads the value, (with ``pause``) calls ``time.sleep(0)``, which lets another
    thread run exactly between the read and the write, as any real work there would, then writes
    value + 1. With ``lock`` a ``threading.Lock`` covers the read and the write. The interpreter's
    switch interval is set to ``switch_interval`` during the run and restored after. Blocks until
    every thread has finished.
    """
    counter = _Counter()
    guard = threading.Lock()
    start = threading.Barrier(threads)

    def unlocked() -> None:
        start.wait()
        for _ in range(increments):
            value = counter.value
            if pause:
                time.sleep(0)
            counter.value = value + 1

    def locked() -> None:
        start.wait()
        for _ in range(increments):
            with guard:
                value = counter.value
                if pause:
                    time.sleep(0)
                counter.value = value + 1

    target = locked if lock else unlocked
    workers = [threading.Thread(target=target, name=f"racer-{i}") for i in range(threads)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(switch_interval)
    try:
        t0 = time.perf_counter()
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        seconds = time.perf_counter() - t0
    finally:
        sys.setswitchinterval(old)
    return RaceResult(
        threads, increments, lock, pause, threads * increments, counter.value, seconds
    )


# ----- SQLite's one writer --------------------------------------------------------------------
def fresh_db(path: str | os.PathLike) -> Path:
    """Delete the database at ``path`` with its WAL files; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def wait_for_writer(db: str | os.PathLike, hold_s: float = 0.5) -> dict[str, float]:
    """Two writers at once: A holds the write lock for ``hold_s`` s while B, with a
    ``busy_timeout``, tries to insert. Returns how long B waited and when A committed.

    Blocks about ``hold_s`` seconds. Both connections are closed and A's thread joined.
    """
    db = fresh_db(db)
    setup = sqlite3.connect(db, isolation_level=None)
    setup.execute("PRAGMA journal_mode = WAL")
    setup.execute("CREATE TABLE t (writer TEXT, at REAL)")
    setup.close()
    locked = threading.Event()
    t0 = time.perf_counter()
    marks: dict[str, float] = {}

    def writer_a() -> None:
        a = sqlite3.connect(db, isolation_level=None)
        try:
            a.execute("BEGIN IMMEDIATE")  # takes the write lock now
            a.execute("INSERT INTO t VALUES ('A', ?)", (time.perf_counter() - t0,))
            locked.set()
            time.sleep(hold_s)
            a.execute("COMMIT")
            marks["a_committed_s"] = time.perf_counter() - t0
        finally:
            locked.set()
            a.close()

    thread = threading.Thread(target=writer_a, name="writer-A")
    thread.start()
    b = sqlite3.connect(db, isolation_level=None, timeout=30)  # busy_timeout: wait up to 30 s
    try:
        locked.wait()
        tb = time.perf_counter()
        b.execute("INSERT INTO t VALUES ('B', ?)", (tb - t0,))
        marks["b_waited_s"] = time.perf_counter() - tb
        marks["b_committed_s"] = time.perf_counter() - t0
    finally:
        b.close()
        thread.join()
    return marks


def reader_blocks_writer(db: str | os.PathLike, journal_mode: str) -> dict[str, object]:
    """A reader keeps a read transaction open while a writer (no ``busy_timeout``) commits.

    In ``journal_mode="delete"`` (rollback journal) the commit fails with ``database is locked``
    until the reader finishes; in ``"wal"`` it succeeds and the reader keeps seeing its
    snapshot. Returns ``committed``, ``error``, ``reader_saw`` (rows the open read saw after
    the commit) and ``rows_after``. Never waits.
    """
    db = fresh_db(db)
    setup = sqlite3.connect(db, isolation_level=None)
    setup.execute(f"PRAGMA journal_mode = {journal_mode}")
    setup.execute("CREATE TABLE t (n INTEGER)")
    setup.execute("INSERT INTO t VALUES (1)")
    setup.close()
    reader = sqlite3.connect(db, isolation_level=None, timeout=0)
    writer = sqlite3.connect(db, isolation_level=None, timeout=0)
    out: dict[str, object] = {"journal_mode": journal_mode}
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM t").fetchone()  # the read transaction starts here
        writer.execute("BEGIN")
        writer.execute("INSERT INTO t VALUES (2)")
        try:
            writer.execute("COMMIT")
            out["committed"], out["error"] = True, None
        except sqlite3.OperationalError as exc:
            out["committed"], out["error"] = False, str(exc)
        out["reader_saw"] = reader.execute("SELECT count(*) FROM t").fetchone()[0]
        reader.execute("COMMIT")
        if writer.in_transaction:  # the reader is gone now: the commit can go through
            writer.execute("COMMIT")
        out["rows_after"] = writer.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        reader.close()
        writer.close()
    return out


# ----- transactions and batch size --------------------------------------------------------------
def parsed_rows(n: int, fmt: str = "combined", seed: int = 0) -> list[tuple]:
    """``n`` parsed rows ``(offset, *FIELDS)`` of generated, good lines."""
    lines = sample_lines(n, fmt, seed, bad_rate=0.0)
    data = b"\n".join(lines) + b"\n"
    return parse_lines_to_batch(1, 0, fmt, 0, len(data), data, "rows").rows


#: Journal settings compared by ``commit_sweep``: SQLite's defaults, WAL alone, the lab's.
JOURNALS: dict[str, tuple[str, str]] = {
    "rollback journal, synchronous=FULL (defaults)": ("delete", "FULL"),
    "WAL, synchronous=FULL": ("wal", "FULL"),
    "WAL, synchronous=NORMAL (the lab)": ("wal", "NORMAL"),
}


def commit_sweep(
    rows: Sequence[tuple],
    db_dir: str | os.PathLike,
    batch_sizes: Sequence[int] = (1, 100, 10_000),
    journals: Sequence[str] = ("WAL, synchronous=NORMAL (the lab)",),
) -> pd.DataFrame:
    """Insert the same ``rows`` into fresh databases, one transaction per ``batch_size`` rows,
    for each batch size and each journal setting (keys of ``JOURNALS``).

    Blocks on disk (a ``synchronous=FULL`` commit waits for an fsync). Columns: ``journal``,
    ``rows_per_commit``, ``commits``, ``seconds``, ``rows_per_s``.
    """
    out = []
    for journal in journals:
        mode, sync = JOURNALS[journal]
        for size in batch_sizes:
            db = fresh_db(Path(db_dir) / f"commit-{mode}-{sync}-{size}.db")
            conn = connect(db)
            try:
                conn.execute(f"PRAGMA journal_mode = {mode}")
                conn.execute(f"PRAGMA synchronous = {sync}")
                sql = insert_rows_sql(1)
                commits = 0
                t0 = time.perf_counter()
                for i in range(0, len(rows), size):
                    conn.execute("BEGIN")
                    conn.executemany(sql, rows[i : i + size])
                    conn.execute("COMMIT")
                    commits += 1
                seconds = time.perf_counter() - t0
                stored = conn.execute("SELECT count(*) FROM main.records").fetchone()[0]
            finally:
                conn.close()
            if stored != len(rows):
                raise AssertionError(f"stored {stored} rows, expected {len(rows)}")
            out.append(
                {
                    "journal": journal,
                    "rows_per_commit": size,
                    "commits": commits,
                    "seconds": seconds,
                    "rows_per_s": len(rows) / seconds,
                }
            )
    return pd.DataFrame(out)


# ----- more writer threads --------------------------------------------------------------------
def parsed_batches(
    batches: int, lines_per_batch: int, fmt: str = "combined", output: str = "sqlite"
) -> list[ParsedBatch]:
    """``batches`` parsed batches, each the first batch of its own source (ids 1..batches),
    so writers may store them in any order. Register the sources with ``store_with_writers``."""
    lines = sample_lines(lines_per_batch, fmt, seed=4, bad_rate=0.01)
    data = b"\n".join(lines) + b"\n"
    first = parse_lines_to_batch(1, 0, fmt, 0, len(data), data, output)
    return [replace(first, source_id=i + 1) for i in range(batches)]


async def store_with_writers(
    db: str | os.PathLike,
    batches: Sequence[ParsedBatch],
    writers: int,
    latency_s: float = 0.0,
    writer: str = "thread",
) -> dict[str, float]:
    """Store ``batches`` into a fresh ``db`` with ``writers`` writers fed from one bounded queue.

    ``latency_s`` makes each writer wait that long per batch first (a simulated network round
    trip to a remote database). ``writer`` is ``"thread"`` (``ThreadWriter``) or ``"aiosqlite"``
    (``AioSqliteWriter``, which takes ``output="rows"`` batches only).

    Awaits until every batch is committed; cancelling stops the feeding, lets each writer finish
    its transaction, and closes them all. Returns ``writers``, ``seconds`` (storing only, writers
    already open), ``rows_per_s`` and ``stored``.
    """
    db = fresh_db(db)

    def register() -> None:
        conn = connect(db)
        try:
            for i in range(len(batches)):
                register_source(conn, f"batch-{i + 1}", "remote", "combined")
        finally:
            conn.close()

    await asyncio.to_thread(register)
    kinds = {"thread": ThreadWriter, "aiosqlite": AioSqliteWriter}
    if writer not in kinds:
        raise ValueError(f"writer must be one of {sorted(kinds)}, not {writer!r}")
    kind = kinds[writer]
    opened = []
    queue: asyncio.Queue[ParsedBatch | None] = asyncio.Queue(maxsize=2 * writers)

    async def drain(w) -> int:
        rows = 0
        while (batch := await queue.get()) is not None:
            await w.store(batch)
            rows += batch.stored
        return rows

    try:
        for i in range(writers):
            w = kind(db, f"demo-writer-{i}", latency_s)
            await w.open()
            opened.append(w)
        t0 = time.perf_counter()
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(drain(w)) for w in opened]
            for batch in batches:
                await queue.put(batch)
            for _ in opened:
                await queue.put(None)
        seconds = time.perf_counter() - t0
    finally:
        for w in opened:
            await w.close()
    stored = sum(t.result() for t in tasks)
    return {
        "writers": writers,
        "latency_s": latency_s,
        "seconds": seconds,
        "rows_per_s": stored / seconds,
        "stored": stored,
    }


async def writer_sweep(
    batches: Sequence[ParsedBatch],
    db_dir: str | os.PathLike,
    writers: Sequence[int] = (1, 2, 4),
    latency_s: float = 0.0,
) -> pd.DataFrame:
    """``store_with_writers`` for each writer count, same batches, fresh databases."""
    out = []
    for n in writers:
        db = Path(db_dir) / f"writers-{n}-{latency_s:g}.db"
        out.append(await store_with_writers(db, batches, n, latency_s))
    return pd.DataFrame(out)


def lock_timeline(
    db: str | os.PathLike, batches: Sequence[ParsedBatch], threads: int = 4
) -> pd.DataFrame:
    """Store ``batches`` with ``threads`` plain threads (one connection each, ``store_batch``)
    and record, per transaction, when it asked for the write lock (``asked``), when it held it
    (``locked``: its first statement after ``BEGIN IMMEDIATE`` ran) and when its ``COMMIT``
    started (``committing``), in seconds from the start.

    Blocks until every thread is joined; each closes its connection. One row per batch.
    """
    db = fresh_db(db)
    conn = connect(db)
    try:
        for i in range(len(batches)):
            register_source(conn, f"batch-{i + 1}", "remote", "combined")
    finally:
        conn.close()
    todo: list[ParsedBatch] = list(batches)
    take = threading.Lock()
    events: list[dict] = []
    t0 = time.perf_counter()

    def work(index: int) -> None:
        c = connect(db)
        mark: dict[str, float] = {}

        def trace(sql: str) -> None:
            if sql.startswith("UPDATE sources"):
                mark["locked"] = time.perf_counter() - t0
            elif sql.startswith("COMMIT"):
                mark["committing"] = time.perf_counter() - t0

        c.set_trace_callback(trace)
        try:
            while True:
                with take:
                    if not todo:
                        return
                    batch = todo.pop(0)
                mark.clear()
                asked = time.perf_counter() - t0
                store_batch(c, batch)
                events.append(
                    {
                        "thread": f"thread {index}",
                        "asked": asked,
                        **mark,
                        "done": time.perf_counter() - t0,
                        "rows": batch.stored,
                    }
                )
        finally:
            c.close()

    workers = [
        threading.Thread(target=work, args=(i,), name=f"lock-demo-{i}") for i in range(threads)
    ]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return pd.DataFrame(events).sort_values("locked", ignore_index=True)


# ----- aiosqlite ----------------------------------------------------------------------------
async def aiosqlite_vs_thread(rows: Sequence[tuple], db_dir: str | os.PathLike) -> pd.DataFrame:
    """Insert the same ``rows`` (one transaction) four ways, into fresh databases:
    ``sqlite3`` in a thread (``asyncio.to_thread``) vs ``aiosqlite``, one ``execute`` per row
    vs one ``executemany``. Awaits each; closes every connection. Columns: ``how``, ``calls``,
    ``seconds``, ``rows_per_s``.
    """
    import aiosqlite

    sql = insert_rows_sql(1)
    out = []

    def sqlite3_in_thread(db: Path, many: bool) -> None:
        conn = connect(db)
        try:
            conn.execute("BEGIN")
            if many:
                conn.executemany(sql, rows)
            else:
                for row in rows:
                    conn.execute(sql, row)
            conn.execute("COMMIT")
        finally:
            conn.close()

    for many in (False, True):
        for how in ("sqlite3 in a thread", "aiosqlite"):
            db = fresh_db(Path(db_dir) / f"aio-{how.split()[0]}-{many}.db")
            await asyncio.to_thread(lambda db=db: connect(db).close())  # schema, WAL
            t0 = time.perf_counter()
            if how == "aiosqlite":
                async with aiosqlite.connect(db, isolation_level=None) as conn:
                    await conn.execute("PRAGMA synchronous = NORMAL")
                    await conn.execute("BEGIN")
                    if many:
                        await conn.executemany(sql, rows)
                    else:
                        for row in rows:
                            await conn.execute(sql, row)
                    await conn.execute("COMMIT")
            else:
                await asyncio.to_thread(sqlite3_in_thread, db, many)
            seconds = time.perf_counter() - t0
            out.append(
                {
                    "how": how,
                    "calls": "executemany" if many else "execute per row",
                    "seconds": seconds,
                    "rows_per_s": len(rows) / seconds,
                }
            )
    return pd.DataFrame(out)


# ----- charts -----------------------------------------------------------------------------------
def lock_timeline_chart(df: pd.DataFrame):
    """A plotly timeline of ``lock_timeline``: per thread, waiting for the lock, holding it,
    and committing (which can include a WAL checkpoint after the lock is released)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    phases = (
        ("waiting for the lock", "asked", "locked", "#d0d0d0"),
        ("holding the write lock", "locked", "committing", "#d62728"),
        ("COMMIT (+ checkpoint)", "committing", "done", "#1f77b4"),
    )
    for name, start, end, color in phases:
        fig.add_bar(
            name=name,
            y=df["thread"],
            base=df[start] * 1000,
            x=(df[end] - df[start]) * 1000,
            orientation="h",
            marker_color=color,
        )
    fig.update_layout(
        barmode="overlay",
        title="Writer threads storing batches: the write lock is held by one at a time",
        xaxis_title="ms since start",
        yaxis={"categoryorder": "category descending"},
    )
    return fig


def rate_chart(df: pd.DataFrame, x: str, title: str, color: str | None = None, log_y: bool = False):
    """A plotly bar chart of ``rows_per_s`` against ``x`` (one bar group per ``color``)."""
    import plotly.express as px

    data = df.astype({x: str})
    fig = px.bar(
        data,
        x=x,
        y="rows_per_s",
        color=color,
        barmode="group",
        text_auto=".3s",
        title=title,
        labels={"rows_per_s": "rows/s", x: x.replace("_", " ")},
    )
    if log_y:
        fig.update_yaxes(type="log")
    return fig
