"""Checks for notebook 07 (failures and recovery).

- ``check_count_duplicates``: the learner's query on small lab databases with planted duplicates.
- ``check_unaccounted``: the learner's per-file accounting (lines in the file minus rows stored or
  rejected) on databases where lines are missing, doubled, or only the counters look right.
- ``check_commit_batch``: the learner's exactly-once commit for the toy writer, run through a
  connection that "crashes" (the process is gone) before each of its statements in turn; after
  each crash the uncommitted transaction is rolled back, as SQLite does when it reopens the
  database, and the batch is replayed as a restart would.
- ``check_guarantee``: the learner's classification of ingest designs, against a simulation that
  crashes each design at every step and counts duplicates and losses after the restart.

Each check prints a pass message or a specific hint and returns a ``CheckReport``; it never raises
on a wrong answer.
"""

from __future__ import annotations

import contextlib
import numbers
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from labkit.checks.base import CheckReport, Hint, expect
from labkit.demos.failures import TOY_SCHEMA
from labkit.storage import SCHEMA

__all__ = [
    "GUARANTEES",
    "STEPS",
    "TOY_SCHEMA",
    "SimulatedCrash",
    "check_commit_batch",
    "check_count_duplicates",
    "check_guarantee",
    "check_unaccounted",
    "simulate",
]


def _as_int(got: Any, what: str) -> int:
    expect(got is not None, f"it returned None: return the {what} as an int")
    expect(
        isinstance(got, numbers.Integral) and not isinstance(got, bool),
        f"return the {what} as an int, got {type(got).__name__} {got!r}",
    )
    return int(got)


# ----- Exercise 1: duplicates by (source_id, offset) --------------------------------------------
_ALL_LINES = "SELECT source_id, offset FROM records UNION ALL SELECT source_id, offset FROM rejects"


def _lab_db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(SCHEMA)
    return conn


def _add_source(conn: sqlite3.Connection, name: str) -> int:
    return conn.execute(
        "INSERT INTO sources (name, kind, format, created_at) VALUES (?, 'file', 'combined', 0)",
        (name,),
    ).lastrowid


def _store(conn: sqlite3.Connection, sid: int, offsets: Sequence[int]) -> None:
    conn.executemany(
        "INSERT INTO records (source_id, offset, status) VALUES (?, ?, 200)",
        [(sid, o) for o in offsets],
    )


def _reject(conn: sqlite3.Connection, sid: int, offsets: Sequence[int]) -> None:
    conn.executemany(
        "INSERT INTO rejects (source_id, offset, reason, detail, line) "
        "VALUES (?, ?, 'malformed', 'planted', X'21')",
        [(sid, o) for o in offsets],
    )


def _base(conn: sqlite3.Connection) -> tuple[int, int]:
    """Two sources of 50 lines each (offsets 0, 100, ...), a few rejected: no duplicates."""
    a, b = _add_source(conn, "/logs/a.log"), _add_source(conn, "/logs/b.log")
    for sid in (a, b):
        offsets = [100 * i for i in range(50)]
        _store(conn, sid, [o for o in offsets if o % 700])
        _reject(conn, sid, [o for o in offsets if not o % 700])
    return a, b


def check_count_duplicates(count_duplicates: Callable[[sqlite3.Connection], int]) -> CheckReport:
    """``count_duplicates(conn) -> int``: extra copies of lines, by ``(source_id, offset)``,
    across ``records`` and ``rejects`` (a line stored 3 times counts 2)."""
    report = CheckReport("count_duplicates")
    cases: list[tuple[str, Callable[[sqlite3.Connection, int, int], None], int, str]] = [
        (
            "2 sources of 50 lines, 16 of them rejected: no duplicates",
            lambda c, a, b: None,
            0,
            "there are none here; both sources have lines at offsets 0, 100, 200...: a line is "
            "(source_id, offset), so group by both",
        ),
        (
            "one stored line stored again",
            lambda c, a, b: _store(c, a, [300]),
            1,
            "",
        ),
        (
            "a line stored three times",
            lambda c, a, b: _store(c, b, [300, 300]),
            2,
            "count the extra copies: a line stored 3 times is 2 duplicates (count(*) - 1 "
            "for each (source_id, offset) seen more than once)",
        ),
        (
            "a rejected line that was also stored",
            lambda c, a, b: _store(c, a, [700]),
            1,
            "a line in both `records` and `rejects` was taken twice: count the two tables "
            "together (`SELECT source_id, offset FROM records UNION ALL SELECT source_id, "
            "offset FROM rejects`)",
        ),
        (
            "a rejected line rejected twice",
            lambda c, a, b: _reject(c, b, [1400]),
            1,
            "duplicates in `rejects` count too",
        ),
        (
            "two files with lines at the same byte offsets (different sources)",
            lambda c, a, b: _store(c, _add_source(c, "/logs/c.log"), [100 * i for i in range(50)]),
            0,
            "the same offset in another source is another line: group by (source_id, offset), "
            "not by offset alone",
        ),
    ]
    for description, plant, want, hint in cases:
        with report.case(description):
            conn = _lab_db()
            try:
                a, b = _base(conn)
                plant(conn, a, b)
                groups = [
                    n
                    for (n,) in conn.execute(
                        f"SELECT count(*) FROM ({_ALL_LINES}) GROUP BY source_id, offset"
                    )
                    if n > 1
                ]
                got = _as_int(count_duplicates(conn), "number of duplicates")
            finally:
                conn.close()
            if got == want:
                continue
            if got == sum(groups):
                raise Hint(
                    f"got {got}, expected {want}: you counted every copy of a duplicated line; "
                    "count only the copies beyond the first (count(*) - 1 per line)"
                )
            if got == len(groups) and want:
                raise Hint(
                    f"got {got}, expected {want}: you counted the lines that have copies; count "
                    "the extra copies (a line stored 3 times is 2 duplicates: count(*) - 1)"
                )
            if got == 0:
                raise Hint(
                    f"got 0, expected {want}: "
                    + (hint or "look at records and rejects together")
                    + ". Note that UNION (without ALL) removes repeated rows before you count"
                )
            raise Hint(f"got {got}, expected {want}" + (f": {hint}" if hint else ""))
    return report.show()


# ----- Exercise 2: the accounting check -----------------------------------------------------
def check_unaccounted(
    unaccounted: Callable[[sqlite3.Connection, Mapping[str, int]], Mapping[str, int]],
) -> CheckReport:
    """``unaccounted(conn, lines_in_files) -> {name: lines - stored - rejected}``, counting the
    rows really in ``records`` and ``rejects`` of the source with that name."""
    report = CheckReport("unaccounted")

    def run(build: Callable[[sqlite3.Connection], None], files: dict[str, int]) -> dict:
        conn = _lab_db()
        try:
            build(conn)
            got = unaccounted(conn, dict(files))
        finally:
            conn.close()
        expect(got is not None, "it returned None: return a dict {file name: number}")
        expect(isinstance(got, Mapping), f"return a dict, got {type(got).__name__}")
        expect(
            set(got) == set(files),
            f"keys {sorted(got)}, expected one per file asked about: {sorted(files)}",
        )
        return {k: _as_int(v, f"count for {k}") for k, v in got.items()}

    def complete(conn: sqlite3.Connection) -> None:
        _base(conn)
        conn.execute("UPDATE sources SET lines = 50, stored = 42, rejected = 8")

    files = {"/logs/a.log": 50, "/logs/b.log": 50}
    with report.case("two files, every line stored or rejected"):
        got = run(complete, files)
        if got == {"/logs/a.log": 8, "/logs/b.log": 8}:
            raise Hint("rejected lines are accounted for too: add the rows of `rejects`")
        expect(got == {"/logs/a.log": 0, "/logs/b.log": 0}, f"got {got}, expected 0 for both")
    with report.case("a run killed before the end of b.log (10 lines not stored yet)"):

        def killed(conn: sqlite3.Connection) -> None:
            complete(conn)
            for table in ("records", "rejects"):
                conn.execute(f"DELETE FROM {table} WHERE source_id = 2 AND offset >= 4000")

        got = run(killed, files)
        want = {"/logs/a.log": 0, "/logs/b.log": 10}
        expect(
            got == want,
            f"got {got}, expected {want}: positive means lines not in the database yet",
        )
    with report.case("the counters in `sources` say complete, but 6 rows are missing"):

        def liar(conn: sqlite3.Connection) -> None:
            complete(conn)
            conn.execute("DELETE FROM records WHERE source_id = 1 AND offset < 800")

        got = run(liar, files)
        want = {"/logs/a.log": 6, "/logs/b.log": 0}
        if got == {"/logs/a.log": 0, "/logs/b.log": 0}:
            raise Hint(
                "you trusted the counters in `sources` (what the writer meant to store); count "
                "the rows really in `records` and `rejects` for the source"
            )
        expect(got == want, f"got {got}, expected {want}")
    with report.case("b.log's last 5 rows stored twice (an at-least-once restart)"):

        def doubled(conn: sqlite3.Connection) -> None:
            complete(conn)
            _store(conn, 2, [4500, 4600, 4800, 4700, 4400])

        got = run(doubled, files)
        want = {"/logs/a.log": 0, "/logs/b.log": -5}
        if got.get("/logs/b.log") == 5:
            raise Hint("the sign is backwards: return lines - stored - rejected")
        expect(got == want, f"got {got}, expected {want}: negative means extra rows")
    with report.case("a third file the run never reached (no source row for it)"):
        got = run(complete, files | {"/logs/c.log": 30})
        want = {"/logs/a.log": 0, "/logs/b.log": 0, "/logs/c.log": 30}
        expect(
            got == want,
            f"got {got}, expected {want}: a file with no source row has all its lines missing",
        )
    return report.show()


# ----- Exercise 3: the exactly-once commit ----------------------------------------------------
class SimulatedCrash(BaseException):
    """The process died here (a ``BaseException``, like ``KeyboardInterrupt``, so ``except
    Exception`` does not catch it)."""


class _Cursor:
    def __init__(self, conn: _CrashingConnection) -> None:
        self._conn = conn
        self._cur = conn._real.cursor()

    def execute(self, sql: str, params: Any = ()) -> _Cursor:
        self._conn._step(sql)
        self._cur.execute(sql, params)
        return self

    def executemany(self, sql: str, seq: Any) -> _Cursor:
        self._conn._step(sql)
        self._cur.executemany(sql, seq)
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


class _CrashingConnection:
    """A ``sqlite3.Connection`` stand-in that dies before its ``crash_before``-th call."""

    def __init__(self, real: sqlite3.Connection, crash_before: int | None = None) -> None:
        self._real = real
        self.crash_before = crash_before
        self.calls: list[str] = []
        self.crashed = False

    def _step(self, what: str) -> None:
        if self.crashed:
            raise SimulatedCrash("the process is gone")
        if self.crash_before is not None and len(self.calls) == self.crash_before:
            self.crashed = True
            raise SimulatedCrash(f"crashed before: {what.strip()[:40]}")
        self.calls.append(" ".join(what.split())[:60])

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        self._step(sql)
        return self._real.execute(sql, params)

    def executemany(self, sql: str, seq: Any) -> sqlite3.Cursor:
        self._step(sql)
        return self._real.executemany(sql, seq)

    def executescript(self, sql: str) -> sqlite3.Cursor:
        self._step(sql)
        return self._real.executescript(sql)

    def commit(self) -> None:
        self._step("commit()")
        self._real.commit()

    def rollback(self) -> None:
        self._step("rollback()")
        self._real.rollback()

    def cursor(self) -> _Cursor:
        return _Cursor(self)

    @property
    def in_transaction(self) -> bool:
        return self._real.in_transaction

    def __enter__(self) -> _CrashingConnection:
        self._real.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        self._step("end of `with conn:`")
        return self._real.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


_SOURCE = "app.log"


def _toy_lines(n: int, width: int = 40) -> list[tuple[int, bytes]]:
    return [(i * width, f"line {i:04d} ".encode().ljust(width - 1, b".")) for i in range(n)]


def _toy_db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(TOY_SCHEMA)
    conn.execute("INSERT INTO offsets VALUES (?, 0)", (_SOURCE,))
    return conn


def _state(conn: sqlite3.Connection) -> tuple[int, list[int]]:
    committed = conn.execute(
        "SELECT committed FROM offsets WHERE source = ?", (_SOURCE,)
    ).fetchone()[0]
    offsets = [o for (o,) in conn.execute("SELECT offset FROM lines ORDER BY offset")]
    return committed, offsets


def _batches(lines: list[tuple[int, bytes]], size: int, width: int = 40) -> list[tuple]:
    out = []
    for i in range(0, len(lines), size):
        part = lines[i : i + size]
        out.append((part[0][0], part[-1][0] + width, part))
    return out


def _call(commit_batch: Callable, conn: Any, batch: tuple) -> Any:
    start, end, rows = batch
    return commit_batch(conn, _SOURCE, start, end, list(rows))


def check_commit_batch(commit_batch: Callable[..., bool]) -> CheckReport:
    """``commit_batch(conn, source, start, end, batch) -> bool``: store ``batch`` and move the
    source's offset from ``start`` to ``end`` in one transaction, only if it is still at
    ``start`` (True); otherwise store nothing (False). Crash-tested before every statement."""
    report = CheckReport("commit_batch")
    lines = _toy_lines(30)
    batches = _batches(lines, 10)
    with report.case("three batches in order"):
        conn = _toy_db()
        try:
            for b in batches:
                got = _call(commit_batch, conn, b)
                expect(
                    got is True,
                    f"returned {got!r} for a batch that starts at the committed offset: store "
                    "it and return True",
                )
                expect(
                    not conn.in_transaction,
                    "a transaction is still open after return: COMMIT it",
                )
            committed, offsets = _state(conn)
            expect(
                offsets == [o for o, _ in lines],
                f"{len(offsets)} lines stored, expected the 30 lines once each, in order",
            )
            expect(
                committed == batches[-1][1],
                f"the offset is {committed}, expected {batches[-1][1]} (the last batch's end): "
                "UPDATE offsets SET committed = end ...",
            )
        finally:
            conn.close()
    with report.case("the second batch again (a restart replays what it read)"):
        conn = _toy_db()
        try:
            for b in batches[:2]:
                _call(commit_batch, conn, b)
            expect(
                len(_state(conn)[1]) == 20,
                f"{len(_state(conn)[1])} lines stored after the first two batches, expected 20",
            )
            got = _call(commit_batch, conn, batches[1])
            committed, offsets = _state(conn)
            expect(
                len(offsets) == 20,
                f"{len(offsets)} lines stored, expected 20: the replayed batch was stored "
                "again. Move the offset only `WHERE source = ? AND committed = ?` (start) and "
                "store nothing when that UPDATE changed no row (`cursor.rowcount`)",
            )
            expect(got is False, f"returned {got!r} for a batch already stored: return False")
            expect(committed == batches[1][1], f"the offset moved to {committed}")
            expect(not conn.in_transaction, "a transaction is still open: ROLLBACK it")
        finally:
            conn.close()
    with report.case("a batch that skips ahead (batch 3 before batch 2)"):
        conn = _toy_db()
        try:
            _call(commit_batch, conn, batches[0])
            expect(
                len(_state(conn)[1]) == 10,
                f"{len(_state(conn)[1])} lines stored after the first batch, expected 10",
            )
            got = _call(commit_batch, conn, batches[2])
            committed, offsets = _state(conn)
            expect(
                len(offsets) == 10 and committed == batches[0][1],
                "a batch that does not start at the committed offset was stored: a gap. "
                "Store nothing unless the offset is exactly `start`",
            )
            expect(got is False, f"returned {got!r} for a batch after a gap: return False")
        finally:
            conn.close()
    if report.failed:
        return report.show()

    # how many calls does one commit make?
    conn = _toy_db()
    try:
        _call(commit_batch, conn, batches[0])
        counting = _CrashingConnection(conn)
        _call(commit_batch, counting, batches[1])
        calls = list(counting.calls)
    finally:
        conn.close()
    with report.case(f"a crash before each of your {len(calls)} calls to the connection"):
        for k in range(len(calls) + 1):
            conn = _toy_db()
            try:
                _call(commit_batch, conn, batches[0])
                dying = _CrashingConnection(conn, crash_before=k)
                with contextlib.suppress(SimulatedCrash):  # the process died there
                    _call(commit_batch, dying, batches[1])
                if conn.in_transaction:  # what SQLite does with it when the database reopens
                    conn.execute("ROLLBACK")
                committed, offsets = _state(conn)
                where = f"a crash before `{calls[k]}`" if k < len(calls) else "no crash"
                start, end = batches[1][0], batches[1][1]
                stored_now = [o for o in offsets if start <= o < end]
                expect(
                    committed in (start, end),
                    f"after {where} the offset is {committed}: neither the batch's start nor end",
                )
                if committed == start and stored_now:
                    raise Hint(
                        f"after {where}, {len(stored_now)} lines of the batch were stored but "
                        "the offset still says `start`: the restart reads them again and stores "
                        "them twice (at-least-once). Make the rows and the offset one "
                        "transaction: BEGIN, UPDATE offsets, INSERT lines, COMMIT"
                    )
                if committed == end and len(stored_now) < 10:
                    raise Hint(
                        f"after {where} the offset says the batch is stored but only "
                        f"{len(stored_now)} of its 10 lines are: the restart skips the rest, "
                        "they are lost (at-most-once). Make the rows and the offset one "
                        "transaction: BEGIN, UPDATE offsets, INSERT lines, COMMIT"
                    )
                # the restart: read from the committed offset, replay what follows
                for b in batches[1:]:
                    if b[0] >= committed:
                        _call(commit_batch, conn, b)
                committed, offsets = _state(conn)
                expect(
                    offsets == [o for o, _ in lines] and committed == batches[-1][1],
                    f"after {where} and a restart, {len(offsets)} lines are stored "
                    f"({len(set(offsets))} distinct), expected each of the 30 once",
                )
            finally:
                conn.close()
    return report.show()


# ----- Exercise 4: which guarantee? ------------------------------------------------------------
#: The steps a design may take for each batch, in its order.
STEPS = {
    "write_rows": "commit the batch's rows (a transaction of their own)",
    "upsert_rows": "commit the rows with INSERT OR IGNORE on a unique (source, offset) key",
    "save_offset": "save the new read position on its own (a file, like a shipper's registry)",
    "write_rows_and_offset": "commit the rows and the new position in one transaction",
}
#: The answers ``guarantee`` may give.
GUARANTEES = ("exactly-once", "at-least-once", "at-most-once")

_BATCHES, _PER_BATCH = 3, 10


def simulate(steps: Sequence[str], crash_after: int | None, crash_batch: int = 1) -> dict:
    """Ingest 3 batches of 10 lines with ``steps`` per batch, crash during ``crash_batch`` after
    step ``crash_after`` (0-based; None: no crash), restart from the saved position (the start
    when nothing saves one), and count ``duplicates`` and ``lost`` lines."""
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise ValueError(f"unknown steps {unknown}; choose from {list(STEPS)}")
    rows: list[int] = []
    saved = 0

    def run(first: int, crash: bool) -> None:
        nonlocal saved
        for b in range(first, _BATCHES):
            lines = list(range(b * _PER_BATCH, (b + 1) * _PER_BATCH))
            for i, step in enumerate(steps):
                if step in ("write_rows", "write_rows_and_offset"):
                    rows.extend(lines)
                elif step == "upsert_rows":
                    rows.extend(x for x in lines if x not in rows)
                if step in ("save_offset", "write_rows_and_offset"):
                    saved = b + 1
                if crash and b == crash_batch and i == crash_after:
                    return

    run(0, crash_after is not None)
    run(saved, False)
    total = _BATCHES * _PER_BATCH
    return {"duplicates": len(rows) - len(set(rows)), "lost": total - len(set(rows))}


def _truth(steps: Sequence[str]) -> tuple[str, str]:
    """The guarantee of ``steps``, and a sentence showing why (the worst crash point)."""
    worst = None
    for k in range(len(steps)):
        got = simulate(steps, k)
        if got["duplicates"] or got["lost"]:
            worst = (k, got)
            break
    if worst is None:
        return "exactly-once", "a crash after any step, then a restart, stored every line once"
    k, got = worst
    after = f"a crash right after `{steps[k]}`" + (
        f" (before `{steps[k + 1]}`)" if k + 1 < len(steps) else ""
    )
    saves = "save_offset" in steps or "write_rows_and_offset" in steps
    restart = "then a restart" + ("" if saves else " from the beginning (nothing saves a position)")
    if got["duplicates"] and got["lost"]:
        return "no guarantee", f"{after}, {restart}, duplicated and lost lines"
    if got["duplicates"]:
        return "at-least-once", f"{after}, {restart}, stored {got['duplicates']} lines twice"
    return "at-most-once", f"{after}, {restart}, lost {got['lost']} lines"


def _normal(answer: Any) -> Any:
    if isinstance(answer, str):
        return answer.strip().lower().replace("_", "-").replace(" ", "-")
    return answer


_DESIGNS_TO_CLASSIFY: tuple[tuple[str, ...], ...] = (
    ("write_rows", "save_offset"),
    ("save_offset", "write_rows"),
    ("write_rows_and_offset",),
    ("upsert_rows", "save_offset"),
    ("save_offset", "upsert_rows"),
    ("write_rows",),
    ("upsert_rows",),
)


def check_guarantee(guarantee: Callable[[Sequence[str]], str]) -> CheckReport:
    """``guarantee(steps) -> "exactly-once" | "at-least-once" | "at-most-once"`` for a design
    that takes ``steps`` (from ``STEPS``) for every batch, if the process may crash anywhere."""
    report = CheckReport("guarantee")
    for steps in _DESIGNS_TO_CLASSIFY:
        with report.case(" -> ".join(steps)):
            want, why = _truth(steps)
            got = _normal(guarantee(list(steps)))
            expect(got is not None, "it returned None: return one of " + ", ".join(GUARANTEES))
            expect(
                got in GUARANTEES,
                f"returned {got!r}: return one of " + ", ".join(repr(g) for g in GUARANTEES),
            )
            expect(got == want, f"you said {got}, but {why}: that is {want}")
    return report.show()
